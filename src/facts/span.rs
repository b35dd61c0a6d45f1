//! Source positions that outlive the syntax tree: facts keep these, never AST nodes.

use std::cell::OnceCell;

use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange};
use serde::{Deserialize, Serialize};

/// A 1-based line/column range plus the text of its first line, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
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

    /// The source text of a node, as written.
    pub fn text(&self, node: &impl Ranged) -> &'src str {
        &self.source[node.range()]
    }

    /// The source text of a node as a message quotes it: comments and line continuations
    /// dropped, whitespace outside strings collapsed (none inside brackets' edges, no
    /// trailing comma), and shortened at a token boundary with `…`.
    pub fn snippet(&self, node: &impl Ranged) -> String {
        const MAX_CHARS: usize = 60;
        // Where the snippet may be cut: byte offsets outside strings, before a `.` or an
        // opening bracket, or after a comma or a closing bracket.
        let mut boundaries: Vec<usize> = Vec::new();
        let text = &self.source[node.range()];
        let mut snippet = String::with_capacity(text.len().min(4 * MAX_CHARS));
        let mut pending_space = false;
        // The quote of the string literal being copied, and whether it is tripled.
        let mut string: Option<(char, bool)> = None;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some((quote, triple)) = string {
                snippet.push(c);
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        snippet.push(escaped);
                    }
                } else if c == quote && (!triple || snippet.ends_with(&quote.to_string().repeat(3)))
                {
                    string = None;
                }
                continue;
            }
            match c {
                '#' => {
                    while chars.next_if(|&next| next != '\n').is_some() {}
                    pending_space = !snippet.is_empty();
                    continue;
                }
                '\\' if chars
                    .peek()
                    .is_some_and(|next| *next == '\n' || *next == '\r') =>
                {
                    pending_space = !snippet.is_empty();
                    continue;
                }
                c if c.is_whitespace() => {
                    pending_space = !snippet.is_empty();
                    continue;
                }
                _ => {}
            }
            let closes = matches!(c, ')' | ']' | '}');
            if closes && snippet.ends_with(',') {
                snippet.pop();
            }
            if matches!(c, '.' | '(' | '[' | '{') || snippet.ends_with([',', ')', ']', '}']) {
                boundaries.push(snippet.len());
            }
            if pending_space && !closes && !snippet.ends_with(['(', '[', '{']) {
                snippet.push(' ');
            }
            pending_space = false;
            if c == '"' || c == '\'' {
                let triple = chars.peek() == Some(&c) && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek() == Some(&c)
                };
                if triple {
                    snippet.push(c);
                    snippet.push(c);
                    chars.next();
                    chars.next();
                }
                string = Some((c, triple));
            }
            snippet.push(c);
            if snippet.chars().count() > MAX_CHARS {
                break;
            }
        }
        if snippet.chars().count() > MAX_CHARS {
            let limit = snippet
                .char_indices()
                .nth(MAX_CHARS - 1)
                .map_or(snippet.len(), |(i, _)| i);
            // The last token boundary that leaves most of the text; inside one long
            // string or name, the character limit.
            let cut = boundaries
                .iter()
                .rev()
                .copied()
                .find(|&at| at <= limit)
                .filter(|&at| at >= limit / 2)
                .unwrap_or(limit);
            snippet.truncate(cut);
            snippet.push('…');
        }
        snippet
    }
}

#[cfg(test)]
mod tests {
    use ruff_text_size::{TextRange, TextSize};

    use super::Locator;

    fn snippet(source: &str) -> String {
        let range = TextRange::new(TextSize::new(0), TextSize::of(source));
        Locator::new(source).snippet(&range)
    }

    #[test]
    fn snippets_read_as_one_line_of_code() {
        assert_eq!(
            snippet("Doc.objects.filter(  # all of them\n    title=\"x\",\n).update(title=\"y\")"),
            "Doc.objects.filter(title=\"x\").update(title=\"y\")"
        );
        assert_eq!(snippet("a + \\\n    b"), "a + b");
        assert_eq!(
            snippet("f(\"# not a comment\",  'x  y')"),
            "f(\"# not a comment\", 'x  y')"
        );
        assert_eq!(snippet("g('''a ) # b''')"), "g('''a ) # b''')");
        assert_eq!(
            snippet(&format!("h({})", "x, ".repeat(40))),
            format!("h({}x,…", "x, ".repeat(18))
        );
        assert_eq!(
            snippet("Post.objects.filter(published=True).select_related(\"category\", \"author\")"),
            "Post.objects.filter(published=True).select_related…"
        );
        let long_name = format!("f(\"{}\")", "k".repeat(80));
        assert_eq!(snippet(&long_name).chars().count(), 60);
    }
}
