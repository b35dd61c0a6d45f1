//! Reports: Ruff-like text for people, schema-versioned JSON for machines.

mod json;
mod text;

pub use json::write_json;
pub use text::{write_text, TextOptions};

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};

/// Findings per code, in code order.
pub fn counts_by_code(diagnostics: &[Diagnostic]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for diagnostic in diagnostics {
        *counts.entry(diagnostic.code).or_insert(0) += 1;
    }
    counts
}

/// Findings per severity, every severity listed (CA000 files count as errors).
pub fn counts_by_severity(diagnostics: &[Diagnostic]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        [Severity::Error, Severity::Warning, Severity::Opportunity]
            .into_iter()
            .map(|severity| (severity.as_str(), 0))
            .collect();
    for diagnostic in diagnostics {
        *counts.entry(diagnostic.severity.as_str()).or_insert(0) += 1;
    }
    counts
}
