//! `# noqa` comments, as Ruff reads them: a bare `# noqa` on the reported line silences
//! every finding there, `# noqa: CA101, CA102` only those codes (case-insensitive, with or
//! without spaces). In templates the same words go in a comment tag: `{# noqa: CA401 #}`.
//! A finding's directive is read from its own line, as reported, and from its noqa line
//! when that is another (see [`crate::noqa_lines`]): where the multi-line string or the
//! backslash-continued line it lies on ends.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::edit::{text_as_analysed, EditedFiles};
use crate::noqa_lines::NoqaLines;
use crate::rules::FILE_NOT_ANALYZED;

/// What a line's `noqa` directive silences.
#[derive(Debug, PartialEq, Eq)]
pub enum Noqa {
    All,
    /// These codes, upper-cased. `end` is where their list ends in the line: after the
    /// last code, else after the colon.
    Codes {
        codes: Vec<String>,
        end: usize,
    },
}

impl Noqa {
    pub fn silences(&self, code: &str) -> bool {
        match self {
            Noqa::All => true,
            Noqa::Codes { codes, .. } => codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// Whether a directive on `line` silences `code`.
fn silenced_on(line: &str, code: &str) -> bool {
    directive(line).is_some_and(|(_, noqa)| noqa.silences(code))
}

pub fn is_python(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyi")
}

/// Splits findings, in their order, into those a `# noqa` silences and those reported
/// (`CA000` is never silenced). Only the files holding a finding that its own line does
/// not silence are read again, on `pool`'s threads: Python files, for their noqa lines,
/// and templates whose line was too long to keep with the finding.
pub fn partition(
    root: &Path,
    edited: &EditedFiles,
    pool: &rayon::ThreadPool,
    diagnostics: Vec<Diagnostic>,
) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let mut silenced: Vec<bool> = diagnostics
        .iter()
        .map(|d| d.code != FILE_NOT_ANALYZED.code && silenced_on(&d.span.source_line, d.code))
        .collect();
    let mut by_file: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, d) in diagnostics.iter().enumerate() {
        let read_again = is_python(&d.path) || d.span.source_line.is_empty();
        if !silenced[index] && d.code != FILE_NOT_ANALYZED.code && read_again {
            by_file.entry(d.path.as_str()).or_default().push(index);
        }
    }
    let by_file: Vec<(&str, Vec<usize>)> = by_file.into_iter().collect();
    let silenced_on_noqa_lines: Vec<usize> = pool.install(|| {
        by_file
            .par_iter()
            .flat_map_iter(|(path, indexes)| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    silenced_in_file(root, edited, path, indexes, &diagnostics)
                }))
                .unwrap_or_default()
            })
            .collect()
    });
    for index in silenced_on_noqa_lines {
        silenced[index] = true;
    }
    let mut suppressed = Vec::new();
    let mut reported = Vec::new();
    for (diagnostic, silenced) in diagnostics.into_iter().zip(silenced) {
        if silenced {
            suppressed.push(diagnostic);
        } else {
            reported.push(diagnostic);
        }
    }
    (suppressed, reported)
}

/// The findings of one file (`indexes` into `diagnostics`) that a directive on their
/// noqa line silences, when that is not the line already read; none when the file cannot
/// be read.
fn silenced_in_file(
    root: &Path,
    edited: &EditedFiles,
    path: &str,
    indexes: &[usize],
    diagnostics: &[Diagnostic],
) -> Vec<usize> {
    let Some(source) = text_as_analysed(root, edited, path) else {
        return Vec::new();
    };
    let lines = if is_python(path) {
        NoqaLines::python(&source)
    } else {
        NoqaLines::template(&source)
    };
    indexes
        .iter()
        .copied()
        .filter(|&index| {
            let d = &diagnostics[index];
            let line = lines.noqa_line(d.span.line);
            (line != d.span.line || d.span.source_line.is_empty())
                && lines
                    .line_text(&source, line)
                    .is_some_and(|text| silenced_on(text, d.code))
        })
        .collect()
}

/// The last `noqa` directive on a line (after `#` in Python, after `{#` in a template),
/// with the offset of its `#`.
pub fn directive(line: &str) -> Option<(usize, Noqa)> {
    let lower = line.to_ascii_lowercase();
    let mut found = None;
    let mut search_from = 0;
    while let Some(offset) = lower[search_from..].find('#') {
        let hash = search_from + offset;
        let after_hash = hash + 1;
        search_from = after_hash;
        let rest = lower[after_hash..].trim_start();
        let Some(directive) = rest.strip_prefix("noqa") else {
            continue;
        };
        // `# noqa` must end there or continue with `:` (`# noqaxyz` is not a directive).
        let directive_end = line.len() - directive.len();
        let noqa = match directive.trim_start().strip_prefix(':') {
            Some(_) => {
                let codes_start = directive_end + directive.find(':').map_or(0, |i| i + 1);
                let (codes, length) = codes(&line[codes_start..]);
                Noqa::Codes {
                    codes,
                    end: codes_start + length,
                }
            }
            None if directive
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '#' || c == '}') =>
            {
                Noqa::All
            }
            None => continue,
        };
        found = Some((hash, noqa));
    }
    found
}

/// `CA101, ca102 some words`: the leading comma- or space-separated codes, and the length
/// of the text up to the end of the last one.
fn codes(text: &str) -> (Vec<String>, usize) {
    let mut codes = Vec::new();
    let mut length = 0;
    let mut part_start = 0;
    for part in text.split([',', ' ', '\t']) {
        let start = part_start;
        part_start += part.len() + 1;
        let code = part.trim();
        if code.is_empty() {
            continue;
        }
        if !is_code(code) {
            break;
        }
        codes.push(code.to_ascii_uppercase());
        length = start + part.trim_end().len();
    }
    (codes, length)
}

/// Whether `text` begins with a rule code, which a directive would read as one.
pub fn starts_with_code(text: &str) -> bool {
    !codes(text).0.is_empty()
}

/// A rule code of any linter: letters then digits (`CA101`, `E501`, `RUF100`).
fn is_code(text: &str) -> bool {
    let digits = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    digits.len() < text.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noqa(line: &str) -> Option<Noqa> {
        directive(line).map(|(_, noqa)| noqa)
    }

    /// A directive naming `codes`, whose list ends at byte `end` of the line.
    fn listed(codes: &[&str], end: usize) -> Option<Noqa> {
        Some(Noqa::Codes {
            codes: codes.iter().map(|code| code.to_string()).collect(),
            end,
        })
    }

    #[test]
    fn bare_and_coded_directives() {
        assert_eq!(noqa("cache.set(k, v)  # noqa"), Some(Noqa::All));
        assert_eq!(noqa("cache.set(k, v)  #NOQA"), Some(Noqa::All));
        assert_eq!(
            noqa("cache.set(k, v)  # noqa: CA102, ca103"),
            listed(&["CA102", "CA103"], 37)
        );
        assert_eq!(
            noqa("x  # noqa:CA102 because the default is fine"),
            listed(&["CA102"], 15)
        );
        assert_eq!(
            noqa("{% cache 60 sidebar %}{# noqa: CA401 #}"),
            listed(&["CA401"], 36)
        );
        assert_eq!(noqa("{% cache 60 sidebar %}{# noqa #}"), Some(Noqa::All));
        assert_eq!(noqa("x  # noqa:"), listed(&[], 10));
    }

    #[test]
    fn the_last_directive_counts_and_says_where_it_is() {
        assert_eq!(
            directive("x  # type: ignore  # noqa: E501"),
            Some((
                19,
                Noqa::Codes {
                    codes: vec!["E501".into()],
                    end: 31
                }
            ))
        );
        assert_eq!(directive("x  # noqa: E501  # noqa"), Some((17, Noqa::All)));
        assert!(starts_with_code("E501 is fine"));
        assert!(!starts_with_code("legacy, see E501"));
    }

    #[test]
    fn look_alikes_are_not_directives() {
        assert_eq!(noqa("cache.set(k, v)  # noqaxyz"), None);
        assert_eq!(noqa("cache.set(k, v)  # see the noqa docs"), None);
        assert_eq!(noqa("cache.set(k, v)"), None);
        assert_eq!(noqa("x  # noqa: E501"), listed(&["E501"], 15));
    }
}
