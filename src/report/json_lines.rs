//! The `json-lines` report: each finding on its own line, as one JSON object with the
//! fields of the JSON report's diagnostics, and nothing else, so it streams into `jq` or a
//! log pipeline.

use std::io::{self, Write};

use super::json::json_diagnostics;
use crate::pipeline::Analysis;

pub fn write_json_lines(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    for diagnostic in json_diagnostics(&analysis.diagnostics) {
        serde_json::to_writer(&mut *out, &diagnostic)?;
        writeln!(out)?;
    }
    Ok(())
}
