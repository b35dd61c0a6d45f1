//! Reports: Ruff-like text for people, schema-versioned JSON for machines.

mod json;
mod text;

pub use json::write_json;
pub use text::{write_text, TextOptions};

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;

/// Findings per code, in code order.
pub fn counts_by_code(diagnostics: &[Diagnostic]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for diagnostic in diagnostics {
        *counts.entry(diagnostic.code).or_insert(0) += 1;
    }
    counts
}
