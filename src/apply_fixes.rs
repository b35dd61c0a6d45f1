//! `--fix`, `--unsafe-fixes` and `--diff`: fixes are applied in memory, pass after pass (a
//! fix overlapping one already applied waits for the next pass, which starts from a fresh
//! analysis of the edited text), then written to the files or shown as a diff.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use crate::diagnostic::Diagnostic;
use crate::edit::{self, FixMode};
use crate::options::Options;
use crate::pipeline::{self, Analysis};
use crate::write_back;

/// Passes after which fixes still being found are left for the next run: a guard against
/// two fixes undoing each other.
const MAX_PASSES: usize = 10;

/// A finding a fix resolved.
pub struct AppliedFix {
    pub code: &'static str,
    pub name: &'static str,
    pub path: String,
    pub line: usize,
    pub message: String,
}

pub struct Fixed {
    /// The analysis of the fixed text: the findings left.
    pub analysis: Analysis,
    /// The files fixes changed: their text as read, and as fixed.
    pub files: BTreeMap<String, (String, String)>,
    pub applied: Vec<AppliedFix>,
}

/// Applies the fixes the analysis's fix mode allows to the findings of the analysis
/// `options` asks for, in memory; nothing is written.
pub fn fix_in_memory(mut options: Options) -> Result<Fixed> {
    let mut originals: BTreeMap<String, String> = BTreeMap::new();
    let mut applied = Vec::new();
    // Files whose fixed text would not parse, and why: left as they were before the pass.
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    let mut pass = 0;
    let mut analysis = loop {
        let analysis = pipeline::run(&options)?;
        let mode = analysis.fix_mode;
        pass += 1;
        if pass > MAX_PASSES {
            break analysis;
        }
        let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
        for diagnostic in &analysis.diagnostics {
            let allowed = diagnostic.fix.as_ref().is_some_and(|fix| mode.allows(fix));
            if allowed && !refused.contains_key(&diagnostic.path) {
                by_file
                    .entry(&diagnostic.path)
                    .or_default()
                    .push(diagnostic);
            }
        }
        let mut changed = false;
        for (path, diagnostics) in by_file {
            let Some(text) = edit::text_as_analysed(&analysis.root, &options.edited, path) else {
                continue;
            };
            let groups: Vec<&[edit::Edit]> = diagnostics
                .iter()
                .filter_map(|d| d.fix.as_ref().map(|fix| fix.edits.as_slice()))
                .collect();
            let result = edit::apply(&text, &groups);
            if result.text == text {
                continue;
            }
            if let Some(why) = write_back::refusal(path, &result.text) {
                refused.insert(path.to_string(), why);
                continue;
            }
            applied.extend(result.applied.iter().map(|&index| {
                let diagnostic = diagnostics[index];
                AppliedFix {
                    code: diagnostic.code,
                    name: diagnostic.name,
                    path: diagnostic.path.clone(),
                    line: diagnostic.span.line,
                    message: diagnostic
                        .fix
                        .as_ref()
                        .map(|fix| fix.message.clone())
                        .unwrap_or_default(),
                }
            }));
            originals.entry(path.to_string()).or_insert(text);
            options.edited.insert(path.to_string(), result.text);
            changed = true;
        }
        if !changed {
            break analysis;
        }
    };
    let mode = analysis.fix_mode;
    say_refused(&mut analysis.diagnostics, &refused, mode);
    let files = originals
        .into_iter()
        .filter_map(|(path, original)| {
            let fixed = options.edited.remove(&path)?;
            Some((path, (original, fixed)))
        })
        .collect();
    Ok(Fixed {
        analysis,
        files,
        applied,
    })
}

/// A finding whose fix was refused says why, and is no longer offered as fixable.
fn say_refused(diagnostics: &mut [Diagnostic], refused: &BTreeMap<String, String>, mode: FixMode) {
    for diagnostic in diagnostics {
        let Some(why) = refused.get(&diagnostic.path) else {
            continue;
        };
        if diagnostic.fix.as_ref().is_some_and(|fix| mode.allows(fix)) {
            diagnostic.fix = None;
            diagnostic.message.push_str(&format!(" (not fixed: {why})"));
        }
    }
}

/// Writes the fixed files; the paths of those that could not be written, with why.
pub fn write(fixed: &Fixed) -> Vec<String> {
    let mut failures = Vec::new();
    for (path, (original, text)) in &fixed.files {
        if let Err(err) = write_back::write(&fixed.analysis.root, path, original, text) {
            failures.push(format!("{err:#}"));
        }
    }
    failures
}

/// The fixed files' changes as unified diffs, `a/` and `b/` before each path from the
/// analysed root, as `git diff` writes them: `patch -p1` in the root applies them.
pub fn unified_diff(fixed: &Fixed) -> String {
    let mut out = String::new();
    for (path, (original, text)) in &fixed.files {
        let diff = similar::TextDiff::from_lines(original.as_str(), text.as_str());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}

/// The files fixes changed.
pub fn changed_files(fixed: &Fixed) -> BTreeSet<&str> {
    fixed.files.keys().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::edit::{Edit, Fix};
    use crate::facts::span::Span;

    fn finding(path: &str, fix: Fix) -> Diagnostic {
        Diagnostic {
            code: "CA104",
            name: "get-or-set-eager-default",
            severity: Severity::Error,
            message: "default `f()` is computed on every call".to_string(),
            help: "",
            path: path.to_string(),
            span: Span::file_start(),
            detail: None,
            benefit: 0,
            fix_anchor: None,
            fix: Some(fix),
        }
    }

    #[test]
    fn a_refused_files_findings_say_why_and_are_no_longer_fixable() {
        let edit = Edit::new("x = f()\n", 4, 7, "f");
        let mut diagnostics = [
            finding(
                "app/a.py",
                Fix::unsafe_edits("Pass `f`", vec![edit.clone()]),
            ),
            finding(
                "app/b.py",
                Fix::unsafe_edits("Pass `f`", vec![edit.clone()]),
            ),
            // Not applied in this mode, so not refused: still offered with --unsafe-fixes.
            finding("app/a.py", Fix::unsafe_edits("Pass `f`", vec![edit])),
        ];
        let refused = BTreeMap::from([(
            "app/a.py".to_string(),
            "the edited file would not parse: unexpected indent (line 3)".to_string(),
        )]);
        say_refused(
            &mut diagnostics[..2],
            &refused,
            FixMode { unsafe_fixes: true },
        );
        say_refused(&mut diagnostics[2..], &refused, FixMode::default());
        assert_eq!(
            diagnostics[0].message,
            "default `f()` is computed on every call (not fixed: the edited file would not parse: unexpected indent (line 3))"
        );
        assert!(diagnostics[0].fix.is_none());
        assert_eq!(
            diagnostics[1].message,
            "default `f()` is computed on every call"
        );
        assert!(diagnostics[1].fix.is_some());
        assert!(diagnostics[2].fix.is_some());
    }
}
