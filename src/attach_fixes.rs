//! Gives each finding whose rule has a fix the fix for it, after the rules and before
//! reporting: each such file is read again (its edited text during `--fix` passes) and
//! parsed once for all its findings.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use ruff_python_parser::parse_module;

use crate::diagnostic::Diagnostic;
use crate::edit::{text_as_analysed, EditedFiles, Fix};
use crate::fix::{FixBuilder, FixContext};
use crate::rules;

/// Reads each file with fixable findings once (its edited text when there is one).
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
