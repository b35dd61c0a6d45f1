//! Reports, one module per `--output-format`: Ruff-like `full` and `concise` text for
//! people; JSON, JSON lines, SARIF, GitHub workflow commands, GitLab Code Quality and
//! JUnit XML for machines.

mod concise;
mod fingerprint;
mod full;
mod github;
mod gitlab;
mod json;
mod json_lines;
mod junit;
mod sarif;

pub use concise::write_concise;
pub use fingerprint::fingerprints;
pub use full::{write_full, FullOptions};
pub use github::write_github;
pub use gitlab::write_gitlab;
pub use json::write_json;
pub use json_lines::write_json_lines;
pub use junit::write_junit;
pub use sarif::write_sarif;

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
