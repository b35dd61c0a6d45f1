//! The JSON report, schema version 1: byte-identical for the same input (no timings,
//! diagnostics sorted by path, line, column, code).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::counts_by_code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::pipeline::Analysis;

const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    summary: Summary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files_analyzed: usize,
    findings: usize,
    by_code: BTreeMap<&'static str, usize>,
    errors: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    help: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

pub fn write_json(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let errors = analysis.errors();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_analyzed: analysis.files_analyzed,
            findings: analysis.diagnostics.len() - errors,
            by_code: counts_by_code(&analysis.diagnostics),
            errors,
        },
        diagnostics: analysis
            .diagnostics
            .iter()
            .map(JsonDiagnostic::from)
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            code: d.code,
            name: d.name,
            severity: d.severity,
            message: &d.message,
            help: d.help,
            path: &d.path,
            line: d.span.line,
            column: d.span.column,
            end_line: d.span.end_line,
            end_column: d.span.end_column,
        }
    }
}
