//! The `junit` report: JUnit XML, which CI systems show as test results. A test suite per
//! file and a test case per finding; errors and warnings are failures, while
//! opportunities, which do not fail the run, pass with their message as output.

use std::io::{self, Write};

use crate::diagnostic::{Diagnostic, Severity};
use crate::pipeline::Analysis;

pub fn write_junit(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let diagnostics = &analysis.diagnostics;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="cache-analyzer" tests="{}" failures="{}">"#,
        diagnostics.len().max(1),
        failures(diagnostics)
    )?;
    if diagnostics.is_empty() {
        // As Ruff does: some CI systems reject a report without a single test.
        writeln!(
            out,
            r#"  <testsuite name="cache-analyzer" tests="1" failures="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="All checks passed" classname="cache-analyzer"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    // Diagnostics are sorted by path, so each file's findings are adjacent.
    for file in diagnostics.chunk_by(|a, b| a.path == b.path) {
        let shown = analysis.shown_paths.from_cwd(&file[0].path);
        let path = escape(&shown);
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{}" failures="{}">"#,
            file.len(),
            failures(file)
        )?;
        for d in file {
            write_test_case(out, d, &shown, &path)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// A finding as a test case; `shown` is its file as people read it, `path` the same
/// escaped for XML.
fn write_test_case(out: &mut dyn Write, d: &Diagnostic, shown: &str, path: &str) -> io::Result<()> {
    let (line, column) = (d.span.line, d.span.column);
    writeln!(
        out,
        r#"    <testcase name="{} {path}:{line}:{column}" classname="{path}" file="{path}" line="{line}">"#,
        d.code
    )?;
    let mut body = format!("{shown}:{line}:{column}: {} {}", d.code, d.message);
    if let Some(detail) = &d.detail {
        body.push_str(&format!("\nwhy: {detail}"));
    }
    body.push_str(&format!("\nhelp: {}", d.help));
    if d.severity == Severity::Opportunity {
        writeln!(out, "      <system-out>{}</system-out>", escape(&body))?;
    } else {
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            escape(&d.message),
            d.code,
            escape(&body)
        )?;
    }
    writeln!(out, "    </testcase>")
}

fn failures(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Opportunity)
        .count()
}

/// Text for an attribute or an element. Tabs and line breaks become character references,
/// which attribute values keep (a literal one would be read as a space); characters
/// XML 1.0 forbids even as references (most controls) are written as Rust escapes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push_str(&format!("&#{};", u32::from(c))),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => {
                escaped.push(c)
            }
            forbidden => escaped.extend(forbidden.escape_default()),
        }
    }
    escaped
}
