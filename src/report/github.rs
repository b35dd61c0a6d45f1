//! The `github` report: GitHub Actions workflow commands, which annotate the pull request
//! and the run summary. One line a finding:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE name::message`.

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::pipeline::Analysis;

pub fn write_github(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    for d in &analysis.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Opportunity => "notice",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&analysis.shown_paths.from_cwd(&d.path)),
            d.span.line,
            d.span.column,
            d.span.end_line,
            d.span.end_column,
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&d.message),
        )?;
    }
    Ok(())
}

/// The command's message: `%`, CR and LF would end or corrupt the command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value, where `:` and `,` also separate the command's parts.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
