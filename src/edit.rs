//! Edits to a user's source file, as fixes and `--add-noqa` make them: byte ranges of the
//! original text and their replacements, applied together when no two of them overlap.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::Serialize;

/// The text of files as fixes have edited them so far, by path relative to the root: read
/// instead of the files on disk while fixes are applied in memory.
pub type EditedFiles = HashMap<String, String>;

/// A file's text as the analysis read it: its edited text, else the file's (`None` when
/// it cannot be read as UTF-8).
pub fn text_as_analysed(root: &Path, edited: &EditedFiles, relative: &str) -> Option<String> {
    match edited.get(relative) {
        Some(text) => Some(text.clone()),
        None => fs::read(root.join(relative))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
    }
}

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

/// A 1-based line and column (in characters), as reports give positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Replace `start..end` (bytes of the original text) with `content`; an insertion when the
/// range is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
    /// `start` and `end` as lines and columns, for reports.
    pub location: Position,
    pub end_location: Position,
}

impl Edit {
    pub fn new(source: &str, start: usize, end: usize, content: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            content: content.into(),
            location: position(source, start),
            end_location: position(source, end),
        }
    }

    pub fn insertion(source: &str, at: usize, content: impl Into<String>) -> Edit {
        Edit::new(source, at, at, content)
    }

    /// Whether the two edits cannot both be applied: their ranges overlap, one inserts
    /// inside the other's range, or both replace or insert text at the same place (which
    /// comes first is for a second pass to see: two imports, say, each placed in sorted
    /// order). An edit equal to another is the same edit.
    fn conflicts_with(&self, other: &Edit) -> bool {
        if self == other {
            return false;
        }
        let overlap = self.start.max(other.start) < self.end.min(other.end);
        let inside = |insertion: &Edit, range: &Edit| {
            insertion.start == insertion.end
                && range.start < insertion.start
                && insertion.start < range.end
        };
        let same_start =
            self.start == other.start && (self.start == self.end) == (other.start == other.end);
        overlap || inside(self, other) || inside(other, self) || same_start
    }
}

fn position(source: &str, offset: usize) -> Position {
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// The result of applying groups of edits (each group one fix, taken whole or not at all).
pub struct Applied {
    pub text: String,
    /// The indexes of the groups applied, and of those left for another pass because they
    /// overlap an applied one.
    pub applied: Vec<usize>,
    pub left: Vec<usize>,
}

/// Applies every group that conflicts with none applied before it, in order of the groups'
/// first edits (ties by index), all to the original text at once.
pub fn apply(source: &str, groups: &[&[Edit]]) -> Applied {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&index| {
        let first = groups[index].iter().map(|edit| edit.start).min();
        (first.unwrap_or(usize::MAX), index)
    });
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    let mut left = Vec::new();
    for index in order {
        let group = groups[index];
        if group
            .iter()
            .any(|edit| taken.iter().any(|other| edit.conflicts_with(other)))
        {
            left.push(index);
            continue;
        }
        for edit in group {
            if !taken.contains(&edit) {
                taken.push(edit);
            }
        }
        applied.push(index);
    }
    // Stable: insertions at one place keep the order their fixes were taken in.
    taken.sort_by_key(|edit| (edit.start, edit.end));
    let mut text = String::with_capacity(source.len());
    let mut copied = 0;
    for edit in taken {
        text.push_str(&source[copied..edit.start]);
        text.push_str(&edit.content);
        copied = edit.end;
    }
    text.push_str(&source[copied..]);
    applied.sort_unstable();
    left.sort_unstable();
    Applied {
        text,
        applied,
        left,
    }
}

/// The file's line ending, from its first line: what inserted lines must end with.
pub fn line_ending(source: &str) -> &'static str {
    match source.find('\n') {
        Some(newline) if source[..newline].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_overlapping_groups_apply_together() {
        let source = "a = f(x)\nb = g(y)\n";
        let first = [Edit::new(source, 4, 8, "f")];
        let second = [Edit::new(source, 13, 17, "g")];
        let applied = apply(source, &[&second, &first]);
        assert_eq!(applied.text, "a = f\nb = g\n");
        assert_eq!(applied.applied, vec![0, 1]);
        assert!(applied.left.is_empty());
        assert_eq!(first[0].location, Position { line: 1, column: 5 });
        assert_eq!(second[0].end_location, Position { line: 2, column: 9 });
    }

    #[test]
    fn overlapping_groups_wait_for_another_pass() {
        let source = "value = compute(x)\n";
        let outer = [Edit::new(source, 8, 18, "list(compute(x))")];
        let inner = [Edit::new(source, 8, 15, "lambda: compute")];
        let applied = apply(source, &[&outer, &inner]);
        assert_eq!(applied.text, "value = list(compute(x))\n");
        assert_eq!(applied.left, vec![1]);
    }

    #[test]
    fn shared_edits_apply_once() {
        let source = "import os\n\ndef f():\n    pass\n";
        let import = Edit::insertion(source, 10, "from x import y\n");
        let first = [import.clone(), Edit::insertion(source, 11, "@a\n")];
        let second = [import, Edit::insertion(source, 20, "    return\n")];
        let applied = apply(source, &[&first, &second]);
        assert_eq!(
            applied.text,
            "import os\nfrom x import y\n\n@a\ndef f():\n    return\n    pass\n"
        );
        assert_eq!(applied.applied, vec![0, 1]);
    }

    #[test]
    fn insertions_at_one_place_keep_their_order_within_a_fix_and_wait_across_fixes() {
        let source = "def f():\n    pass\n";
        let first = [
            Edit::insertion(source, 0, "@a\n"),
            Edit::insertion(source, 0, "@b\n"),
        ];
        let second = [Edit::insertion(source, 0, "@c\n")];
        let applied = apply(source, &[&first, &second]);
        assert_eq!(applied.text, "@a\n@b\ndef f():\n    pass\n");
        assert_eq!(applied.left, vec![1]);
    }

    #[test]
    fn an_insertion_inside_a_replacement_conflicts() {
        let source = "abcdef";
        let replace = [Edit::new(source, 1, 4, "X")];
        let insert = [Edit::insertion(source, 2, "Y")];
        let at_edge = [Edit::insertion(source, 4, "Z")];
        let applied = apply(source, &[&replace, &insert, &at_edge]);
        assert_eq!(applied.text, "aXZef");
        assert_eq!(applied.left, vec![1]);
    }

    #[test]
    fn line_endings_follow_the_first_line() {
        assert_eq!(line_ending("a\r\nb\n"), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!(line_ending("a"), "\n");
    }
}
