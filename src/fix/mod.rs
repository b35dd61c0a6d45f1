//! Fixes: the edits that resolve a finding, and how safe they are, as Ruff grades them.
//! Fixes are made after the rules, from the reported findings and the syntax of their
//! files, read again: facts stay small, and only the few files with fixable findings are
//! parsed twice.

mod context;
pub mod imports;
pub mod run;
pub mod view_decorators;

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use ruff_python_parser::parse_module;
use serde::Serialize;

pub use context::FixContext;

use crate::diagnostic::Diagnostic;
pub use crate::edit::EditedFiles;
use crate::edit::{text_as_analysed, Edit};
use crate::rules;

/// Whether applying a fix keeps the program's behaviour (`safe`), or changes it, for the
/// better as the rule sees it, in a way its author should review (`unsafe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does, in a few words ("Pass `compute` itself").
    pub message: String,
    /// Applied together or not at all.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: message.into(),
            edits,
        }
    }

    pub fn unsafe_edits(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Unsafe,
            message: message.into(),
            edits,
        }
    }
}

/// Which fixes are offered and applied: the safe ones, or (`--unsafe-fixes`) all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixMode {
    pub unsafe_fixes: bool,
}

impl FixMode {
    pub fn allows(self, fix: &Fix) -> bool {
        fix.applicability == Applicability::Safe || self.unsafe_fixes
    }
}

/// A rule's fix: built from its finding and the syntax of the finding's file; `None` when
/// this finding has no fix the rule can prove right.
pub type FixBuilder = fn(&FixContext, &Diagnostic) -> Option<Fix>;

/// Gives each finding whose rule has a fix the fix for it, reading each such file once
/// (its edited text when there is one).
pub fn attach(root: &Path, edited: &EditedFiles, diagnostics: &mut [Diagnostic]) {
    let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        if builder(diagnostic).is_some() {
            by_path.entry(&diagnostic.path).or_default().push(index);
        }
    }
    let fixes: Vec<(usize, Fix)> = by_path
        .into_par_iter()
        .flat_map_iter(|(path, indexes)| {
            let fixes: Vec<(usize, Fix)> = text_as_analysed(root, edited, path)
                .and_then(|text| {
                    let parsed = parse_module(&text).ok()?;
                    let context = FixContext::new(&text, parsed.syntax());
                    Some(
                        indexes
                            .iter()
                            .filter_map(|&index| {
                                let diagnostic = &diagnostics[index];
                                let fix = builder(diagnostic)?(&context, diagnostic)?;
                                Some((index, fix))
                            })
                            .collect(),
                    )
                })
                .unwrap_or_default();
            fixes
        })
        .collect();
    for (index, fix) in fixes {
        diagnostics[index].fix = Some(fix);
    }
}

fn builder(diagnostic: &Diagnostic) -> Option<FixBuilder> {
    rules::by_code(diagnostic.code).and_then(|rule| rule.fix)
}
