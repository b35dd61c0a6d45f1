//! A tokenizer for Django's template language, after `django.template.base.Lexer`: the
//! same tokens, lines and verbatim handling, found by a linear scan instead of a regex.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Literal output, including tags a `{% verbatim %}` block turns back into text.
    Text,
    /// `{{ ... }}`.
    Variable,
    /// `{% ... %}`.
    Block,
    /// `{# ... #}`, or everything between `{% comment %}` and `{% endcomment %}`.
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    /// For tags, the text between the delimiters, trimmed; for text and for the body of a
    /// `{% comment %}` block, the source as written.
    pub contents: &'a str,
    /// 1-based line where the token starts.
    pub line: usize,
    /// Byte offset of the token's start in the source.
    pub start: usize,
    /// Byte offset just past the token's end (past the closer, for tags).
    pub end: usize,
}

/// Splits a template into tokens. Like Django, a tag never spans lines: a `{%` with no
/// `%}` later on its line is text. Unlike Django, the body of a `{% comment %}` block is
/// one comment token rather than tokens the parser later skips.
pub fn tokenize(source: &str) -> Vec<Token<'_>> {
    Lexer {
        source,
        tokens: Vec::new(),
        line: 1,
        line_offset: 0,
        no_closer_before: [0; 3],
        mode: Mode::Normal,
    }
    .run()
}

/// Splits a tag's contents into words like Django's `Token.split_contents`: on
/// whitespace, except inside quoted strings, and keeping a translated string `_("a b")`
/// whole. A translated string split by stray quotes comes back as the source text it
/// spans rather than Django's re-joined words.
pub fn split_contents(contents: &str) -> Vec<&str> {
    let mut bits = Vec::new();
    // Where a `_("...` bit started whose closing `")` has not been seen yet.
    let mut translation: Option<(usize, &str)> = None;
    let mut position = 0;
    while let Some(start) = next_non_whitespace(contents, position) {
        let end = smart_bit_end(contents, start);
        position = end;
        let bit = &contents[start..end];
        if let Some((first, sentinel)) = translation {
            if bit.ends_with(sentinel) {
                bits.push(&contents[first..end]);
                translation = None;
            }
            continue;
        }
        let sentinel = if bit.starts_with("_(\"") {
            "\")"
        } else if bit.starts_with("_('") {
            "')"
        } else {
            ""
        };
        if sentinel.is_empty() || bit.ends_with(sentinel) {
            bits.push(bit);
        } else {
            translation = Some((start, sentinel));
        }
    }
    if let Some((first, _)) = translation {
        bits.push(contents[first..].trim_end());
    }
    bits
}

fn next_non_whitespace(text: &str, from: usize) -> Option<usize> {
    text[from..]
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .map(|(offset, _)| from + offset)
}

/// The end of the word starting at `start`, per Django's `smart_split_re`: runs of plain
/// characters and complete quoted strings, or when there is no complete quoted string, the
/// characters up to the next whitespace.
fn smart_bit_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = skip_plain(text, start);
    let mut quoted = false;
    while let Some(&quote @ (b'"' | b'\'')) = bytes.get(end) {
        let Some(after) = closing_quote(bytes, end + 1, quote) else {
            break;
        };
        quoted = true;
        end = skip_plain(text, after);
    }
    if quoted {
        return end;
    }
    text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |offset| start + offset)
}

/// The end of the run of characters that are neither whitespace nor quotes.
fn skip_plain(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .map_or(text.len(), |offset| from + offset)
}

/// The offset just past the `quote` closing a string whose body starts at `from`; a
/// backslash escapes any character but a newline.
pub(crate) fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while let Some(&byte) = bytes.get(i) {
        if byte == quote {
            return Some(i + 1);
        }
        if byte == b'\\' {
            match bytes.get(i + 1) {
                None | Some(b'\n') => return None,
                Some(_) => i += 1,
            }
        }
        i += 1;
    }
    None
}

enum Mode<'a> {
    Normal,
    /// Inside `{% verbatim %}`: the contents of the opening tag, which `end` must precede
    /// in the closing one.
    Verbatim(&'a str),
    /// Inside `{% comment %}`, whose body starts at this offset.
    Comment(usize),
}

struct Lexer<'a> {
    source: &'a str,
    tokens: Vec<Token<'a>>,
    /// The line of `line_offset`: lines are counted forward as tokens are emitted.
    line: usize,
    line_offset: usize,
    /// Per delimiter kind (`%`, `}`, `#`), an offset before which a search for that closer
    /// is known to fail: the end of a line already searched. Without it a long line of
    /// unclosed openers would be searched once per opener.
    no_closer_before: [usize; 3],
    mode: Mode<'a>,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Vec<Token<'a>> {
        let mut pending = 0;
        let mut position = 0;
        while let Some((start, end)) = self.next_tag(position) {
            position = end;
            let opener = self.source.as_bytes()[start + 1];
            let contents = self.source[start + 2..end - 2].trim();
            match self.mode {
                Mode::Comment(body) => {
                    if opener == b'%' && contents == "endcomment" {
                        self.push_nonempty(TokenKind::Comment, body, start);
                        self.push(TokenKind::Block, contents, start, end);
                        self.mode = Mode::Normal;
                        pending = end;
                    }
                    continue;
                }
                Mode::Verbatim(opening) => {
                    self.push_nonempty(TokenKind::Text, pending, start);
                    if opener == b'%' && contents.strip_prefix("end") == Some(opening) {
                        self.push(TokenKind::Block, contents, start, end);
                        self.mode = Mode::Normal;
                    } else {
                        self.push_nonempty(TokenKind::Text, start, end);
                    }
                }
                Mode::Normal => {
                    self.push_nonempty(TokenKind::Text, pending, start);
                    let kind = match opener {
                        b'%' => TokenKind::Block,
                        b'{' => TokenKind::Variable,
                        _ => TokenKind::Comment,
                    };
                    self.push(kind, contents, start, end);
                    if kind == TokenKind::Block {
                        if contents == "verbatim" || contents.starts_with("verbatim ") {
                            self.mode = Mode::Verbatim(contents);
                        } else if contents.split_whitespace().next() == Some("comment") {
                            self.mode = Mode::Comment(end);
                        }
                    }
                }
            }
            pending = end;
        }
        let end = self.source.len();
        match self.mode {
            Mode::Comment(body) => self.push_nonempty(TokenKind::Comment, body, end),
            Mode::Normal | Mode::Verbatim(_) => self.push_nonempty(TokenKind::Text, pending, end),
        }
        self.tokens
    }

    /// The next tag at or after `from`, as the offsets of its opener and past its closer.
    fn next_tag(&mut self, from: usize) -> Option<(usize, usize)> {
        let bytes = self.source.as_bytes();
        let mut i = from;
        loop {
            i += bytes.get(i..)?.iter().position(|&b| b == b'{')?;
            let kind = match bytes.get(i + 1) {
                Some(b'%') => 0,
                Some(b'{') => 1,
                Some(b'#') => 2,
                Some(_) => {
                    i += 1;
                    continue;
                }
                None => return None,
            };
            if i + 2 >= self.no_closer_before[kind] {
                let closer = [b'%', b'}', b'#'][kind];
                let mut j = i + 2;
                while let (Some(&first), Some(&second)) = (bytes.get(j), bytes.get(j + 1)) {
                    if first == b'\n' {
                        break;
                    }
                    if first == closer && second == b'}' {
                        return Some((i, j + 2));
                    }
                    j += 1;
                }
                self.no_closer_before[kind] = j + 1;
            }
            i += 1;
        }
    }

    fn push_nonempty(&mut self, kind: TokenKind, start: usize, end: usize) {
        if start < end {
            self.push(kind, &self.source[start..end], start, end);
        }
    }

    /// Tokens are pushed in source order, so lines are counted over each byte once.
    fn push(&mut self, kind: TokenKind, contents: &'a str, start: usize, end: usize) {
        let skipped = &self.source.as_bytes()[self.line_offset..start];
        self.line += skipped.iter().filter(|&&b| b == b'\n').count();
        self.line_offset = start;
        self.tokens.push(Token {
            kind,
            contents,
            line: self.line,
            start,
            end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(source: &str) -> Vec<(TokenKind, &str, usize)> {
        tokenize(source)
            .into_iter()
            .map(|t| (t.kind, t.contents, t.line))
            .collect()
    }

    #[test]
    fn mixed_tokens_with_lines_and_offsets() {
        let source = "<p>\n{{ user.name|upper }}\n{% if x %}{# note #}\n{%endif%}";
        assert_eq!(
            kinds(source),
            [
                (Text, "<p>\n", 1),
                (Variable, "user.name|upper", 2),
                (Text, "\n", 2),
                (Block, "if x", 3),
                (Comment, "note", 3),
                (Text, "\n", 3),
                (Block, "endif", 4),
            ]
        );
        let starts: Vec<usize> = tokenize(source).iter().map(|t| t.start).collect();
        assert_eq!(starts, [0, 4, 25, 26, 36, 46, 47]);
        let ends: Vec<usize> = tokenize(source).iter().map(|t| t.end).collect();
        assert_eq!(ends, [4, 25, 26, 36, 46, 47, 56]);
    }

    #[test]
    fn tags_do_not_span_lines() {
        assert_eq!(
            kinds("a {% if\nx %} {{ y }}"),
            [(Text, "a {% if\nx %} ", 1), (Variable, "y", 2)]
        );
        assert_eq!(kinds("{{ a }} }}"), [(Variable, "a", 1), (Text, " }}", 1)]);
        assert_eq!(kinds("{{{ a }}"), [(Variable, "{ a", 1)]);
        assert_eq!(kinds("{%}"), [(Text, "{%}", 1)]);
        assert_eq!(kinds("{%%}"), [(Block, "", 1)]);
    }

    #[test]
    fn comment_blocks_are_one_comment_token() {
        assert_eq!(
            kinds("{% comment \"why\" %}\n{{ request.user }}{% endcomment %}{{ a }}"),
            [
                (Block, "comment \"why\"", 1),
                (Comment, "\n{{ request.user }}", 1),
                (Block, "endcomment", 2),
                (Variable, "a", 2),
            ]
        );
        assert_eq!(
            kinds("{% comment %}{{ x }}"),
            [(Block, "comment", 1), (Comment, "{{ x }}", 1)]
        );
    }

    #[test]
    fn verbatim_blocks_are_text_up_to_their_own_end() {
        assert_eq!(
            kinds("{% verbatim %}{{ a }}{% endverbatim %}{{ b }}"),
            [
                (Block, "verbatim", 1),
                (Text, "{{ a }}", 1),
                (Block, "endverbatim", 1),
                (Variable, "b", 1),
            ]
        );
        assert_eq!(
            kinds("{% verbatim v %}{% endverbatim %} x{% endverbatim v %}"),
            [
                (Block, "verbatim v", 1),
                (Text, "{% endverbatim %}", 1),
                (Text, " x", 1),
                (Block, "endverbatim v", 1),
            ]
        );
    }

    #[test]
    fn any_text_tokenizes() {
        assert!(tokenize("").is_empty());
        for source in [
            "{",
            "{{",
            "{%",
            "{#",
            "é{{é}}é",
            "{% verbatim %}",
            "\u{FFFD}{%\n%}",
        ] {
            let tokens = tokenize(source);
            let text: String = tokens.iter().map(|t| t.contents).collect();
            assert!(text.len() <= source.len(), "{source:?}");
        }
        let long = "{%{{{#".repeat(100_000);
        assert_eq!(tokenize(&long).len(), 1);
    }

    #[test]
    fn split_contents_keeps_quoted_strings_whole() {
        assert_eq!(
            split_contents(r#"include "a b.html" with x='c d' y=_("e f")"#),
            ["include", "\"a b.html\"", "with", "x='c d'", "y=_(\"e f\")"]
        );
        assert_eq!(
            split_contents(r#"trans "say \"hi\"" as  greeting"#),
            ["trans", r#""say \"hi\"""#, "as", "greeting"]
        );
        assert_eq!(split_contents("a\"b c"), ["a\"b", "c"]);
        assert_eq!(split_contents(r#"_("a" b")"#), [r#"_("a" b")"#]);
        assert!(split_contents("  ").is_empty());
    }
}
