//! The line a finding's `# noqa` belongs on, as Ruff maps them. Python sees no comment
//! inside a string or before a backslash continuation, so a finding on a line inside a
//! string token spanning several lines (triple-quoted, or continued with `\`), or on a
//! line ending with `\`, has its directive at the end of the line where that string, or
//! that logical line, ends. Runs of such lines are chained: a string ending on a line that
//! ends with `\` carries on to the line after it. Elsewhere a finding's noqa line is its
//! own. Suppression reads directives there, and `--add-noqa` writes them there.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::PySourceType;
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::Ranged;

/// One file's lines, with the runs of lines whose directive goes on the run's last line.
pub struct NoqaLines {
    /// The byte offset each line starts at, line 1 first.
    line_starts: Vec<usize>,
    /// `(first, last)` 1-based lines, sorted and disjoint: a finding on any of them has its
    /// directive on `last`.
    runs: Vec<(usize, usize)>,
    /// Where each comment starts, in order (Python only).
    comments: Vec<usize>,
}

impl NoqaLines {
    /// The noqa lines of Python source, from its tokens. Parses the source (a file that
    /// does not parse still gives its tokens): call it on a thread with a deep stack, as
    /// the pipeline's workers have, since dropping a very deep syntax tree recurses.
    pub fn python(source: &str) -> NoqaLines {
        let parsed = parse_unchecked_source(source, PySourceType::Python);
        NoqaLines::from_tokens(source, parsed.tokens())
    }

    /// A template's lines (split at `\n`, as the template tokenizer counts them): every
    /// finding's directive is on its own line.
    pub fn template(source: &str) -> NoqaLines {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        NoqaLines {
            line_starts,
            runs: Vec::new(),
            comments: Vec::new(),
        }
    }

    pub fn from_tokens(source: &str, tokens: &Tokens) -> NoqaLines {
        let mut lines = NoqaLines {
            line_starts: python_line_starts(source),
            runs: Vec::new(),
            comments: Vec::new(),
        };
        let mut runs = Vec::new();
        // The starts of the f- and t-strings open around the current token.
        let mut open_strings: Vec<usize> = Vec::new();
        let mut previous_end = 0;
        for token in tokens.iter() {
            let start = usize::from(token.start());
            let end = usize::from(token.end());
            // Between tokens, a backslash before a line break joins the next line.
            if let Some(gap) = source.get(previous_end..start) {
                for (at, _) in gap.match_indices('\\') {
                    if gap[at + 1..].starts_with(['\n', '\r']) {
                        let line = lines.line_of(previous_end + at);
                        runs.push((line, line + 1));
                    }
                }
            }
            let string = match token.kind() {
                TokenKind::String => Some(start),
                TokenKind::FStringStart | TokenKind::TStringStart => {
                    open_strings.push(start);
                    None
                }
                TokenKind::FStringEnd | TokenKind::TStringEnd => open_strings.pop(),
                TokenKind::Comment => {
                    lines.comments.push(start);
                    None
                }
                _ => None,
            };
            if let Some(string_start) = string {
                let (first, last) = (lines.line_of(string_start), lines.line_of(end.max(1) - 1));
                if first < last {
                    runs.push((first, last));
                }
            }
            previous_end = previous_end.max(end);
        }
        runs.sort_unstable();
        let line_count = lines.line_starts.len();
        for (first, last) in runs {
            let last = last.min(line_count);
            match lines.runs.last_mut() {
                // Overlapping runs share a line inside one of them: one run.
                Some(run) if first <= run.1 => run.1 = run.1.max(last),
                _ => lines.runs.push((first, last)),
            }
        }
        lines
    }

    /// The line whose directive applies to a finding on `line`.
    pub fn noqa_line(&self, line: usize) -> usize {
        let after = self.runs.partition_point(|&(first, _)| first <= line);
        match after.checked_sub(1).map(|index| self.runs[index]) {
            Some((_, last)) if line <= last => last,
            _ => line,
        }
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    /// The text of `line`, without its line break; `None` past the end.
    pub fn line_text<'s>(&self, source: &'s str, line: usize) -> Option<&'s str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        source.get(start..self.line_end(source, line))
    }

    /// The byte offset where `line`'s text ends, before its line break.
    pub fn line_end(&self, source: &str, line: usize) -> usize {
        let next = self.line_starts.get(line).copied().unwrap_or(source.len());
        let text = &source[..next];
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix(['\n', '\r']))
            .unwrap_or(text);
        text.len().max(self.line_starts[line - 1])
    }

    /// Where a comment starts on `line`, as an offset into the line's text: Python has at
    /// most one a line, running to its end.
    pub fn comment_on(&self, source: &str, line: usize) -> Option<usize> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self.line_end(source, line);
        let index = self.comments.partition_point(|&at| at < start);
        self.comments
            .get(index)
            .filter(|&&at| at < end)
            .map(|&at| at - start)
    }
}

/// Line starts as the parser's line index counts them: after `\n`, `\r\n` and a lone `\r`.
fn python_line_starts(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut starts = vec![0];
    for (at, &byte) in bytes.iter().enumerate() {
        let breaks = byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
        if breaks {
            starts.push(at + 1);
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The noqa line of each line of `source`, from line 1.
    fn noqa_lines(source: &str) -> Vec<usize> {
        let lines = NoqaLines::python(source);
        (1..=lines.line_starts.len())
            .map(|line| lines.noqa_line(line))
            .collect()
    }

    #[test]
    fn a_line_inside_a_multi_line_string_maps_to_where_it_ends() {
        let source = "x = 1\ncache.set(\"k\", \"\"\"a\nb\nc\"\"\")\ny = 2\n";
        assert_eq!(noqa_lines(source), [1, 4, 4, 4, 5, 6]);
        // A docstring, an f-string and a t-string, whose fields may hold the finding.
        let source = "def f():\n    '''doc\n    '''\n    s = f\"\"\"\n{cache.get(k)}\n\"\"\"\n";
        assert_eq!(noqa_lines(source), [1, 3, 3, 6, 6, 6, 7]);
        let source = "t = t'''{a}\n{b}'''\n";
        assert_eq!(noqa_lines(source), [2, 2, 3]);
        // A single-quoted string continued with a backslash inside it.
        let source = "cache.set(\"a\\\nb\", v)\nz = 1\n";
        assert_eq!(noqa_lines(source), [2, 2, 3, 4]);
    }

    #[test]
    fn a_backslash_continued_line_maps_to_the_end_of_its_logical_line() {
        let source = "value = cache.get(k) or \\\n    compute() + \\\n    more()\nx = 1\n";
        assert_eq!(noqa_lines(source), [3, 3, 3, 4, 5]);
        // A `\` in a comment or a string continues nothing.
        let source = "x = 1  # see \\\ny = '\\\\'\nz = 2\n";
        assert_eq!(noqa_lines(source), [1, 2, 3, 4]);
    }

    #[test]
    fn runs_chain_when_they_share_a_line() {
        // The string ends on a line that ends with `\`, and on the next line another begins.
        let source = "a = \"\"\"x\ny\"\"\" + \\\n    \"\"\"z\nw\"\"\"\nb = 1\n";
        assert_eq!(noqa_lines(source), [4, 4, 4, 4, 5, 6]);
        // Implicitly continued lines in brackets keep their own noqa line, as in Ruff.
        let source = "cache.set(\n    \"k\",\n    qs,\n)\n";
        assert_eq!(noqa_lines(source), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn line_texts_ends_and_comments_follow_the_line_breaks() {
        let source = "a = 1  # c\r\nb = '#'\rc\n";
        let lines = NoqaLines::python(source);
        assert_eq!(lines.line_text(source, 1), Some("a = 1  # c"));
        assert_eq!(lines.line_text(source, 2), Some("b = '#'"));
        assert_eq!(lines.line_text(source, 3), Some("c"));
        assert_eq!(lines.line_text(source, 4), Some(""));
        assert_eq!(lines.line_text(source, 5), None);
        assert_eq!(lines.line_end(source, 1), 10);
        assert_eq!(lines.comment_on(source, 1), Some(7));
        assert_eq!(lines.comment_on(source, 2), None);
        let template = "<p>\r\n{% cache 1 x %}\rmore\n";
        let lines = NoqaLines::template(template);
        assert_eq!(lines.line_text(template, 2), Some("{% cache 1 x %}\rmore"));
        assert_eq!(lines.noqa_line(2), 2);
    }
}
