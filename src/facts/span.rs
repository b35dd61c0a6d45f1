//! Source positions that outlive the syntax tree: facts keep these, never AST nodes.

use std::cell::OnceCell;

use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange};
use serde::Serialize;

/// A 1-based line/column range plus the text of its first line, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip)]
    pub source_line: Box<str>,
}

impl Span {
    /// A span covering the start of a file, for diagnostics about the whole file.
    pub fn file_start() -> Self {
        Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            source_line: "".into(),
        }
    }
}

/// Turns byte ranges of one file into [`Span`]s and source snippets. The line index is
/// built on first use: most files never need a position.
pub struct Locator<'src> {
    source: &'src str,
    index: OnceCell<LineIndex>,
}

impl<'src> Locator<'src> {
    pub fn new(source: &'src str) -> Self {
        Locator {
            source,
            index: OnceCell::new(),
        }
    }

    fn index(&self) -> &LineIndex {
        self.index
            .get_or_init(|| LineIndex::from_source_text(self.source))
    }

    pub fn span(&self, node: &impl Ranged) -> Span {
        self.span_of(node.range())
    }

    pub fn span_of(&self, range: TextRange) -> Span {
        let index = self.index();
        let start = index.line_column(range.start(), self.source);
        let end = index.line_column(range.end(), self.source);
        let line_range = index.line_range(start.line, self.source);
        let source_line = self.source[line_range]
            .trim_end_matches(['\n', '\r'])
            .into();
        Span {
            line: start.line.get(),
            column: start.column.get(),
            end_line: end.line.get(),
            end_column: end.column.get(),
            source_line,
        }
    }

    /// The source text of a node, whitespace collapsed and shortened for messages.
    pub fn snippet(&self, node: &impl Ranged) -> String {
        const MAX_CHARS: usize = 60;
        let text = &self.source[node.range()];
        let mut snippet = String::with_capacity(text.len().min(4 * MAX_CHARS));
        let mut chars = 0;
        let mut pending_space = false;
        for c in text.chars() {
            if c.is_whitespace() {
                pending_space = chars > 0;
                continue;
            }
            if pending_space {
                snippet.push(' ');
                chars += 1;
                pending_space = false;
            }
            snippet.push(c);
            chars += 1;
            if chars > MAX_CHARS {
                let cut = snippet
                    .char_indices()
                    .nth(MAX_CHARS - 3)
                    .map_or(snippet.len(), |(i, _)| i);
                snippet.truncate(cut);
                snippet.push_str("...");
                return snippet;
            }
        }
        snippet
    }
}
