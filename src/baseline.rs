//! The baseline: the findings a project accepts for now, as a team adopting the analyzer on
//! a legacy code base records them (`--write-baseline FILE`), so that later runs
//! (`--baseline FILE`, or `baseline` in the configuration) report, and fail on, only the
//! findings that are new.
//!
//! The file is JSON, pretty-printed and sorted, with nothing that changes from run to run:
//! rewritten on an unchanged tree it is byte-identical, and a review sees one entry per
//! finding added or dropped. Paths are relative to the project root (the directory of the
//! configuration file found, as its patterns are, else the analysed root): they read as the
//! JSON report's do, and do not depend on the current directory or on which of the
//! project's files or directories a run is given.
//!
//! Each entry matches at most one finding: first one with the same code, path and
//! fingerprint (the rule, the file and the trimmed text of the line, never its number);
//! then, for edits and moves, one with the same code and the same line text (spacing
//! aside): in the same file, nearest line first, then in a file of the same name elsewhere
//! when the entry's file is gone from disk (a file moved with its content).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::atomic_file;
use crate::diagnostic::Diagnostic;
use crate::discover::relative;
use crate::lexical_path::{absolute, normalize};
use crate::report::fingerprints;

/// The format version this build writes and reads; a later one is refused, never guessed.
pub const VERSION: u64 = 1;
const TOOL: &str = env!("CARGO_PKG_NAME");

/// Which baseline a run hides findings with.
#[derive(Clone, Debug, Default)]
pub enum BaselineChoice {
    /// The configuration's `baseline`, if it sets one.
    #[default]
    Configured,
    /// `--baseline FILE`.
    File(PathBuf),
    /// None: `--no-baseline`, or `--write-baseline`, which records every finding.
    Ignored,
}

impl BaselineChoice {
    pub fn new(given: Option<&Path>, ignored: bool) -> BaselineChoice {
        match (given, ignored) {
            (_, true) => BaselineChoice::Ignored,
            (Some(file), false) => BaselineChoice::File(file.to_path_buf()),
            (None, false) => BaselineChoice::Configured,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u64,
    tool: String,
    findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    code: String,
    /// Relative to the project root, with `/` separators.
    path: String,
    /// Where the finding was: only a hint, for the nearest of several candidates when its
    /// line's text is found elsewhere.
    line: usize,
    /// `Fingerprint::line_hash()` of the finding, over this entry's path.
    fingerprint: String,
    /// The finding's line, trimmed.
    source: String,
    /// For people reviewing the file; not matched on.
    #[serde(default)]
    message: String,
}

/// A baseline read for a run.
pub struct Baseline {
    /// What entries' paths are relative to, absolute.
    dir: PathBuf,
    /// The file as messages name it: as given, or from the current directory.
    shown: String,
    /// The file as the JSON report names it: from the analysed root.
    from_root: String,
    entries: Vec<Entry>,
}

/// What the baseline did in a run, for the reports.
#[derive(Clone, Debug)]
pub struct BaselineUse {
    /// The file as messages name it.
    pub shown: String,
    /// The file relative to the analysed root, as the JSON report names it.
    pub file: String,
    /// Findings the baseline hid.
    pub matched: usize,
    /// Entries that could have matched a finding of this run and matched none.
    pub stale: usize,
}

impl Baseline {
    /// The baseline of a run rooted at `root`: `--baseline`'s, else the configuration's
    /// (`configured`, relative to the configuration file, in `config_dir`; `config_name`
    /// names that file in messages), else none. Entries' paths are relative to
    /// `project_root` (absolute).
    pub fn resolve(
        choice: &BaselineChoice,
        configured: Option<&Path>,
        config_dir: &Path,
        project_root: &Path,
        config_name: &str,
        root: &Path,
    ) -> Result<Option<Baseline>> {
        let load = |path: &Path, shown: String, origin: Option<&str>| {
            Baseline::load(path, shown, origin, root, project_root).map(Some)
        };
        match (choice, configured) {
            (BaselineChoice::Ignored, _) | (BaselineChoice::Configured, None) => Ok(None),
            (BaselineChoice::File(file), _) => load(file, file.display().to_string(), None),
            (BaselineChoice::Configured, Some(file)) => {
                let path = config_dir.join(file);
                let shown = std::env::current_dir()
                    .ok()
                    .and_then(|cwd| pathdiff::diff_paths(absolute(&path), cwd))
                    .unwrap_or_else(|| path.clone());
                let origin = format!(" (`baseline` in {config_name})");
                load(&path, shown.display().to_string(), Some(&origin))
            }
        }
    }

    /// Reads and checks the file: a missing, malformed or foreign file, or one of a later
    /// version, is an error naming it, never an empty baseline.
    fn load(
        path: &Path,
        shown: String,
        origin: Option<&str>,
        root: &Path,
        project_root: &Path,
    ) -> Result<Baseline> {
        let named = format!("baseline `{shown}`{}", origin.unwrap_or_default());
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                bail!("{named} does not exist; write it with `--write-baseline {shown}`")
            }
            Err(err) => bail!("cannot read {named}: {err}"),
        };
        let entries = parse(&text, &shown).map_err(|problem| anyhow!("{named} {problem}"))?;
        let file = absolute(path);
        Ok(Baseline {
            dir: project_root.to_path_buf(),
            from_root: slashed(&pathdiff::diff_paths(&file, root).unwrap_or(file)),
            shown,
            entries,
        })
    }

    /// Removes the findings the baseline holds and counts what it did. `reportable` tells
    /// whether this run could report a finding of a code at a root-relative path (its
    /// selection, `--app`, the files named): only those entries can be stale.
    pub fn apply(
        &self,
        diagnostics: Vec<Diagnostic>,
        root: &Path,
        reportable: impl Fn(&str, &str) -> bool,
    ) -> (Vec<Diagnostic>, BaselineUse) {
        let current = current_findings(&diagnostics, root, &self.dir);
        let pairs = self.pair(&current);
        let mut matched_finding = vec![false; current.len()];
        let mut matched_entry = vec![false; self.entries.len()];
        for (finding, entry) in pairs {
            matched_finding[finding] = true;
            matched_entry[entry] = true;
        }
        let stale = self
            .entries
            .iter()
            .zip(&matched_entry)
            .filter(|(entry, matched)| !**matched && self.could_match(entry, root, &reportable))
            .count();
        let matched = matched_finding.iter().filter(|m| **m).count();
        let kept = diagnostics
            .into_iter()
            .zip(matched_finding)
            .filter_map(|(d, matched)| (!matched).then_some(d))
            .collect();
        let used = BaselineUse {
            shown: self.shown.clone(),
            file: self.from_root.clone(),
            matched,
            stale,
        };
        (kept, used)
    }

    /// Whether the run could have reported the entry's finding: its file lies under the
    /// root and in scope, and its code is selected.
    fn could_match(
        &self,
        entry: &Entry,
        root: &Path,
        reportable: &impl Fn(&str, &str) -> bool,
    ) -> bool {
        let file = normalize(&self.dir.join(&entry.path));
        file.starts_with(root) && reportable(&entry.code, &relative(root, &file))
    }

    /// (finding, entry) pairs, each finding and entry in at most one.
    fn pair(&self, current: &[Current]) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        let mut entry_taken = vec![false; self.entries.len()];
        let mut finding_taken = vec![false; current.len()];

        // 1. Same code, path and fingerprint: the line's text is unchanged, wherever it
        // moved in its file (the counter tells apart identical lines, in file order).
        let mut by_fingerprint: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (index, entry) in self.entries.iter().enumerate().rev() {
            let key = (
                entry.code.as_str(),
                entry.path.as_str(),
                entry.fingerprint.as_str(),
            );
            by_fingerprint.entry(key).or_default().push(index);
        }
        for (index, finding) in current.iter().enumerate() {
            let key = (
                finding.code,
                finding.path.as_str(),
                finding.fingerprint.as_str(),
            );
            // Entries the same (a hand-merged file) are taken in file order.
            if let Some(entry) = by_fingerprint.get_mut(&key).and_then(Vec::pop) {
                pairs.push((index, entry));
            }
        }
        for &(finding, entry) in &pairs {
            finding_taken[finding] = true;
            entry_taken[entry] = true;
        }

        // 2. Same code and line text: the line moved within its file, or its file moved.
        let mut by_text: HashMap<(&str, String), Vec<usize>> = HashMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if !entry_taken[index] {
                by_text
                    .entry((entry.code.as_str(), squashed(&entry.source)))
                    .or_default()
                    .push(index);
            }
        }
        let mut gone: HashMap<&str, bool> = HashMap::new();
        let mut candidates = Vec::new();
        for (index, finding) in current.iter().enumerate() {
            if finding_taken[index] {
                continue;
            }
            let Some(entries) = by_text.get(&(finding.code, squashed(finding.source))) else {
                continue;
            };
            for &entry_index in entries {
                let entry = &self.entries[entry_index];
                let tier = if entry.path == finding.path {
                    0
                } else if file_name(&entry.path) == file_name(&finding.path)
                    && *gone
                        .entry(entry.path.as_str())
                        .or_insert_with(|| !self.dir.join(&entry.path).exists())
                {
                    // The file moved: its own is gone (were it there, the entry would
                    // be of a finding fixed in it, and this one new).
                    1
                } else {
                    continue;
                };
                let distance = finding.line.abs_diff(entry.line);
                candidates.push(((tier, distance), index, entry_index));
            }
        }
        pairs.extend(nearest_first(candidates));
        pairs
    }
}

/// Pairs greedily, best (lowest) rank first, ties in finding then entry order.
fn nearest_first(mut candidates: Vec<((u8, usize), usize, usize)>) -> Vec<(usize, usize)> {
    candidates.sort_unstable();
    let mut findings_taken = HashSet::new();
    let mut entries_taken = HashSet::new();
    let mut pairs = Vec::new();
    for (_, finding, entry) in candidates {
        if !findings_taken.contains(&finding) && !entries_taken.contains(&entry) {
            findings_taken.insert(finding);
            entries_taken.insert(entry);
            pairs.push((finding, entry));
        }
    }
    pairs
}

/// A finding as the baseline sees it.
struct Current<'d> {
    code: &'d str,
    /// Relative to the project root.
    path: String,
    line: usize,
    fingerprint: String,
    source: &'d str,
    message: &'d str,
}

/// The findings with their paths from `dir` and their fingerprints over those paths, in
/// report order.
fn current_findings<'d>(
    diagnostics: &'d [Diagnostic],
    root: &Path,
    dir: &Path,
) -> Vec<Current<'d>> {
    let mut paths: HashMap<&str, String> = HashMap::new();
    let moved: Vec<Diagnostic> = diagnostics
        .iter()
        .map(|d| {
            let path = paths
                .entry(d.path.as_str())
                .or_insert_with(|| from_dir(dir, root, &d.path));
            Diagnostic {
                path: path.clone(),
                ..d.clone()
            }
        })
        .collect();
    moved
        .iter()
        .zip(fingerprints(&moved))
        .zip(diagnostics)
        .map(|((moved, fingerprint), d)| Current {
            code: d.code,
            path: moved.path.clone(),
            line: d.span.line,
            fingerprint: fingerprint.line_hash(),
            source: d.span.source_line.trim(),
            message: &d.message,
        })
        .collect()
}

/// Writes the baseline of `diagnostics` (paths relative to `root`, made relative to
/// `project_root`) to `path`, atomically; the number of findings recorded.
pub fn write(
    path: &Path,
    root: &Path,
    project_root: &Path,
    diagnostics: &[Diagnostic],
) -> Result<usize> {
    if path.extension().is_some_and(|e| e == "py") {
        bail!(
            "refusing to write the baseline to `{}`: it is a Python file",
            path.display()
        );
    }
    let text = render(diagnostics, root, project_root);
    atomic_file::replace(path, text.as_bytes(), None)?;
    Ok(diagnostics.len())
}

/// The baseline file's text: entries sorted by path, code, line and fingerprint.
fn render(diagnostics: &[Diagnostic], root: &Path, dir: &Path) -> String {
    let mut findings: Vec<Entry> = current_findings(diagnostics, root, dir)
        .into_iter()
        .map(|finding| Entry {
            code: finding.code.to_string(),
            path: finding.path,
            line: finding.line,
            fingerprint: finding.fingerprint,
            source: finding.source.to_string(),
            message: finding.message.to_string(),
        })
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, &a.code, a.line, &a.fingerprint, &a.message).cmp(&(
            &b.path,
            &b.code,
            b.line,
            &b.fingerprint,
            &b.message,
        ))
    });
    let file = BaselineFile {
        version: VERSION,
        tool: TOOL.to_string(),
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline serialises");
    text.push('\n');
    text
}

/// `Wrote a baseline of 3 findings to FILE`.
pub fn written_message(count: usize, path: &Path) -> String {
    let noun = if count == 1 { "finding" } else { "findings" };
    format!("Wrote a baseline of {count} {noun} to {}", path.display())
}

impl BaselineUse {
    /// The summary line of `full` and `concise`.
    pub fn summary(&self) -> String {
        let file = &self.shown;
        let mut line = match self.matched {
            0 => format!("No finding matched the baseline `{file}`"),
            1 => format!("1 finding matched the baseline `{file}` and is not shown"),
            n => format!("{n} findings matched the baseline `{file}` and are not shown"),
        };
        match self.stale {
            0 => {}
            1 => line.push_str(&format!(
                "; 1 baseline entry no longer matches: run with `--write-baseline {file}` to drop it"
            )),
            n => line.push_str(&format!(
                "; {n} baseline entries no longer match: run with `--write-baseline {file}` to drop them"
            )),
        }
        line.push('.');
        line
    }
}

/// The entries of a baseline file's text, or what is wrong with it.
fn parse(text: &str, shown: &str) -> Result<Vec<Entry>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|err| format!("is not valid JSON: {err}"))?;
    let Some(object) = value.as_object() else {
        return Err(
            "is not a baseline: expected a JSON object with `version`, `tool` and `findings`"
                .to_string(),
        );
    };
    if object.contains_key("schema_version") && object.contains_key("diagnostics") {
        return Err(
            "is a JSON report, not a baseline; write one with `--write-baseline FILE`".to_string(),
        );
    }
    match object.get("tool") {
        Some(Value::String(tool)) if tool == TOOL => {}
        Some(Value::String(tool)) => {
            return Err(format!("was written by `{tool}`, not by {TOOL}"));
        }
        Some(_) => return Err(format!("has a `tool` that is not the string \"{TOOL}\"")),
        None => return Err(format!("has no `tool` field: it is not a {TOOL} baseline")),
    }
    match object.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(version) if version > VERSION => {
            return Err(format!(
                "has version {version}, but this {TOOL} ({}) reads version {VERSION} only: upgrade {TOOL}, or write the baseline again with `--write-baseline {shown}`",
                env!("CARGO_PKG_VERSION")
            ));
        }
        _ => return Err(format!("has no valid `version` (expected {VERSION})")),
    }
    let file: BaselineFile =
        serde_json::from_str(text).map_err(|err| format!("is malformed: {err}"))?;
    Ok(file.findings)
}

/// A line's text without its spacing, which formatters change.
fn squashed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A root-relative path as relative to `dir`, with `/` separators.
fn from_dir(dir: &Path, root: &Path, path: &str) -> String {
    if dir == root {
        return path.to_string();
    }
    let absolute = root.join(path);
    slashed(&pathdiff::diff_paths(&absolute, dir).unwrap_or(absolute))
}

fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_not_a_baseline() {
        let report =
            r#"{"schema_version": 1, "tool": {"name": "cache-analyzer"}, "diagnostics": []}"#;
        assert!(parse(report, "b.json").unwrap_err().contains("JSON report"));
    }

    #[test]
    fn unknown_fields_are_kept_for_later_versions_of_version_1() {
        let text = r#"{"version": 1, "tool": "cache-analyzer", "extra": true, "findings": [
            {"code": "CA102", "path": "a.py", "line": 3, "fingerprint": "00:1", "source": "x", "new": 1}]}"#;
        assert_eq!(parse(text, "b.json").unwrap().len(), 1);
    }

    #[test]
    fn nearest_first_takes_each_side_once() {
        let pairs = nearest_first(vec![((0, 5), 0, 0), ((0, 1), 1, 0), ((0, 2), 0, 1)]);
        assert_eq!(pairs, [(1, 0), (0, 1)]);
    }
}
