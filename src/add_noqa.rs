//! `--add-noqa`, as Ruff's: a `# noqa: CODE` directive on the noqa line of every reported
//! finding (see [`crate::noqa_lines`]), `{# noqa: CODE #}` in templates, merged into the
//! directive already there. Each file's directives are one group of edits, written back
//! as fixes are (see [`crate::write_back`]): atomically, inside the root, never through a
//! symlink, and never when the Python would no longer parse.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use clap::Args;
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::edit::{self, Edit};
use crate::exit_code;
use crate::noqa_lines::NoqaLines;
use crate::pipeline::{self, Analysis};
use crate::rules::FILE_NOT_ANALYZED;
use crate::suppression::{self, is_python, Noqa};
use crate::write_back;

#[derive(Args)]
pub struct AddNoqaArgs {
    /// Instead of reporting the findings, add a `# noqa: CODE` directive for each one to
    /// the line it is read from (merged into a directive already there), and say how many.
    #[arg(long, conflicts_with_all = ["fix", "diff", "write_baseline"])]
    pub add_noqa: bool,
    /// With `--add-noqa`: words written after the codes of each new directive, as in
    /// `# noqa: CA102 legacy`.
    #[arg(long, requires = "add_noqa", value_name = "TEXT", value_parser = parse_reason)]
    pub reason: Option<String>,
}

/// A reason is kept as written, so it must stay inside the comment and not read as codes.
fn parse_reason(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("the reason is empty".to_string());
    }
    if value.contains(['\n', '\r']) {
        return Err("the reason must fit on one line".to_string());
    }
    if value.contains('#') {
        return Err("the reason must not contain `#`, which would end the directive".to_string());
    }
    if suppression::starts_with_code(value) {
        return Err(
            "the reason must not start with a rule code, which the directive would read as one"
                .to_string(),
        );
    }
    Ok(value.to_string())
}

/// Adds the directives of `analysis`'s findings (but `CA000`: a file not analysed cannot
/// be annotated), file by file, and says how many it added to how many files. Exit 2 when
/// a file could not be written, which standard error names.
pub fn run(analysis: &Analysis, reason: Option<&str>) -> Result<ExitCode> {
    let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for diagnostic in &analysis.diagnostics {
        if diagnostic.code != FILE_NOT_ANALYZED.code {
            by_file
                .entry(diagnostic.path.as_str())
                .or_default()
                .push(diagnostic);
        }
    }
    let files: Vec<(&str, Vec<&Diagnostic>)> = by_file.into_iter().collect();
    let pool = pipeline::worker_pool()?;
    let results: Vec<Result<usize>> = pool.install(|| {
        files
            .par_iter()
            .map(|(path, findings)| {
                // Messages name the file as the report would, from the current directory.
                let shown = analysis.shown_paths.from_cwd(path);
                panic::catch_unwind(AssertUnwindSafe(|| {
                    add_to_file(&analysis.root, path, &shown, findings, reason)
                }))
                .unwrap_or_else(|_| {
                    Err(anyhow!(
                        "internal error while adding directives to `{shown}` (please report it)"
                    ))
                })
            })
            .collect()
    });
    let (mut directives, mut written, mut failed) = (0, 0, false);
    for result in results {
        match result {
            Ok(0) => {}
            Ok(added) => {
                directives += added;
                written += 1;
            }
            Err(err) => {
                eprintln!("cache-analyzer: error: {err:#}");
                failed = true;
            }
        }
    }
    println!(
        "Added {directives} noqa {} to {written} {}.",
        if directives == 1 {
            "directive"
        } else {
            "directives"
        },
        if written == 1 { "file" } else { "files" }
    );
    Ok(ExitCode::from(if failed {
        exit_code::ERROR
    } else {
        exit_code::CLEAN
    }))
}

/// Adds the directives of one file's findings; how many lines it gave one.
fn add_to_file(
    root: &Path,
    path: &str,
    shown: &str,
    findings: &[&Diagnostic],
    reason: Option<&str>,
) -> Result<usize> {
    let source = fs::read_to_string(root.join(path))
        .map_err(|err| anyhow!("cannot read `{shown}`: {err}"))?;
    let python = is_python(path);
    let lines = if python {
        NoqaLines::python(&source)
    } else {
        NoqaLines::template(&source)
    };
    let mut codes: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for finding in findings {
        // The finding's line as analysed (a template line too long to keep has none).
        let kept = finding.span.source_line.trim_end_matches('\r');
        let now = lines.line_text(&source, finding.span.line);
        if now.is_none_or(|now| !kept.is_empty() && now.trim_end_matches('\r') != kept) {
            bail!("not writing `{shown}`: it changed since it was analysed");
        }
        codes
            .entry(lines.noqa_line(finding.span.line))
            .or_default()
            .insert(finding.code);
    }
    let edits: Vec<Edit> = codes
        .iter()
        .filter_map(|(&line, codes)| directive_edit(&source, &lines, line, codes, python, reason))
        .collect();
    if edits.is_empty() {
        return Ok(0);
    }
    let edited = edit::apply(&source, &[&edits]).text;
    write_back::write(root, path, &source, &edited).map_err(|err| {
        // The write-back names the file from the root.
        anyhow!(format!("{err:#}").replacen(&format!("`{path}`"), &format!("`{shown}`"), 1))
    })?;
    Ok(edits.len())
}

/// The edit giving `line` a directive for `codes`: their names appended, in order, to the
/// codes of the directive there (none when a bare `# noqa` is there, or all are named),
/// else a new directive at the end of the line. In Python only a directive in the line's
/// comment counts, in a template only one in a `{# #}` comment: another goes after them.
fn directive_edit(
    source: &str,
    lines: &NoqaLines,
    line: usize,
    codes: &BTreeSet<&str>,
    python: bool,
    reason: Option<&str>,
) -> Option<Edit> {
    let text = lines.line_text(source, line)?;
    let line_start = lines.line_end(source, line) - text.len();
    let existing = suppression::directive(text).filter(|&(hash, _)| {
        if python {
            lines
                .comment_on(source, line)
                .is_some_and(|comment| hash >= comment)
        } else {
            in_template_comment(text, hash)
        }
    });
    match existing {
        Some((_, Noqa::All)) => None,
        Some((_, Noqa::Codes { codes: named, end })) => {
            let new: Vec<&str> = codes
                .iter()
                .copied()
                .filter(|code| !named.iter().any(|named| named.eq_ignore_ascii_case(code)))
                .collect();
            if new.is_empty() {
                return None;
            }
            let separator = if named.is_empty() { " " } else { ", " };
            let content = format!("{separator}{}", new.join(", "));
            Some(Edit::insertion(source, line_start + end, content))
        }
        None => {
            let codes = codes.iter().copied().collect::<Vec<_>>().join(", ");
            let reason = reason
                .map(|reason| format!(" {reason}"))
                .unwrap_or_default();
            let directive = if python {
                format!("  # noqa: {codes}{reason}")
            } else {
                // Nothing before it: a space would be rendered with the template.
                format!("{{# noqa: {codes}{reason} #}}")
            };
            Some(Edit::insertion(source, line_start + text.len(), directive))
        }
    }
}

/// Whether the `#` at `hash` lies inside a `{# ... #}` comment of the template line.
fn in_template_comment(text: &str, hash: usize) -> bool {
    let Some(open) = text[..=hash].rfind("{#") else {
        return false;
    };
    let between = text.get(open + 2..hash).unwrap_or_default();
    !between.contains("#}") && text[hash + 1..].contains("#}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `source` with the directives for `codes` on `line` (1-based).
    fn with_directive(source: &str, line: usize, codes: &[&str], python: bool) -> String {
        let lines = if python {
            NoqaLines::python(source)
        } else {
            NoqaLines::template(source)
        };
        let codes: BTreeSet<&str> = codes.iter().copied().collect();
        let edits: Vec<Edit> = directive_edit(source, &lines, line, &codes, python, None)
            .into_iter()
            .collect();
        edit::apply(source, &[&edits]).text
    }

    #[test]
    fn directives_are_added_or_merged() {
        assert_eq!(
            with_directive("x = 1\r\ny = 2\r\n", 1, &["CA102", "CA101"], true),
            "x = 1  # noqa: CA101, CA102\r\ny = 2\r\n"
        );
        assert_eq!(
            with_directive("x = 1  # noqa:e501 long\n", 1, &["CA102", "E501"], true),
            "x = 1  # noqa:e501, CA102 long\n"
        );
        assert_eq!(
            with_directive("x = 1  # noqa\n", 1, &["CA102"], true),
            "x = 1  # noqa\n"
        );
        // A directive in a string is not one: the new one goes after it.
        assert_eq!(
            with_directive("x = '# noqa: E501'\n", 1, &["CA102"], true),
            "x = '# noqa: E501'  # noqa: CA102\n"
        );
        assert_eq!(
            with_directive("{% cache 1 a %}{# noqa: CA401 #}\n", 1, &["CA402"], false),
            "{% cache 1 a %}{# noqa: CA401, CA402 #}\n"
        );
        assert_eq!(
            with_directive(
                "<a href=\"# noqa: X1\">{% cache 1 a %}",
                1,
                &["CA401"],
                false
            ),
            "<a href=\"# noqa: X1\">{% cache 1 a %}{# noqa: CA401 #}"
        );
    }

    #[test]
    fn reasons_stay_in_the_comment_and_read_as_no_code() {
        assert_eq!(
            parse_reason("legacy, see #12").unwrap_err(),
            "the reason must not contain `#`, which would end the directive"
        );
        assert!(parse_reason("two\nlines").is_err());
        assert!(parse_reason("E501 too").is_err());
        assert!(parse_reason(" ").is_err());
        assert_eq!(
            parse_reason("legacy: fix in 2027").unwrap(),
            "legacy: fix in 2027"
        );
    }
}
