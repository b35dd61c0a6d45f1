//! The `json-lines` report: each finding on its own line, as one JSON object with the
//! fields of the JSON report's diagnostics, and nothing else, so it streams into `jq` or a
//! log pipeline.

use std::io::{self, Write};

use super::json::JsonDiagnostic;
use crate::pipeline::Analysis;

pub fn write_json_lines(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    for diagnostic in &analysis.diagnostics {
        serde_json::to_writer(&mut *out, &JsonDiagnostic::from(diagnostic))?;
        writeln!(out)?;
    }
    Ok(())
}
