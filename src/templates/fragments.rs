//! Template fragment caching: what each `{% cache %}` block caches, and the block
//! structure a template must have for that to be known. The walk itself is the
//! template collector's (`super::Collector`); this module holds what it produces.

use crate::facts::span::Span;

use super::lexer::Token;
use super::TemplateUse;

/// Built-in block tags and the tag that closes each, after Django's `defaulttags`,
/// `i18n`, `l10n`, `tz` and `cache` libraries. Tags from other libraries are neither
/// opened nor closed: their structure is unknown, so it is never judged.
const BLOCK_TAGS: &[(&str, &str)] = &[
    ("autoescape", "endautoescape"),
    ("block", "endblock"),
    ("blocktrans", "endblocktrans"),
    ("blocktranslate", "endblocktranslate"),
    ("cache", "endcache"),
    ("comment", "endcomment"),
    ("filter", "endfilter"),
    ("for", "endfor"),
    ("if", "endif"),
    ("ifchanged", "endifchanged"),
    ("ifequal", "endifequal"),
    ("ifnotequal", "endifnotequal"),
    ("language", "endlanguage"),
    ("localize", "endlocalize"),
    ("localtime", "endlocaltime"),
    ("spaceless", "endspaceless"),
    ("timezone", "endtimezone"),
    ("verbatim", "endverbatim"),
    ("with", "endwith"),
];

/// Jinja2 tags Django's language does not have: a template using them is Jinja2, whose
/// block structure and `{% cache %}` extensions differ.
const JINJA_ONLY_TAGS: &[&str] = &[
    "call", "endcall", "endmacro", "endraw", "endset", "import", "macro", "raw", "set",
];

/// One `{% cache TIMEOUT NAME [VARY_ON...] [using="alias"] %}` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// The `{% cache %}` tag.
    pub span: Span,
    pub timeout: String,
    /// The fragment name as written: Django never resolves it, so quotes stay part of it.
    pub name: String,
    pub vary_on: Vec<String>,
    /// The `using="alias"` argument's value, as written.
    pub using: Option<String>,
    /// The first use in the body of state that differs between visitors (`user`,
    /// `request.user`, `perms`, `request.session`, `messages`, or a `{% with %}` name bound
    /// from them).
    pub per_user: Option<TemplateUse>,
    /// Whether a vary-on argument names the visitor: `user`, `request.user`,
    /// `request.session` or a name bound from them, with any attribute.
    pub varies_on_user: bool,
    /// Variables of enclosing `{% for %}` loops the body uses while no vary-on argument
    /// mentions that loop's variables (or those of a loop nested in it): the first use of
    /// each.
    pub unvaried_loop_uses: Vec<LoopUse>,
    /// `{% csrf_token %}` tags in the body that no enclosing fragment holds already, so
    /// each token belongs to its outermost fragment.
    pub csrf_tokens: Vec<Span>,
    /// `{% include %}` tags in the body (outermost fragment only, like tokens): what the
    /// included templates render is cached with the fragment.
    pub includes: Vec<(super::Include, Span)>,
}

impl Fragment {
    /// The `{% cache %}` tag as written, on one line.
    pub fn tag(&self) -> String {
        self.tag_with_vary_on(None)
    }

    /// The `{% cache %}` tag with one more vary-on argument, `using=` kept last.
    pub fn tag_with_vary_on(&self, extra: Option<&str>) -> String {
        let mut bits = vec![self.timeout.as_str(), self.name.as_str()];
        bits.extend(self.vary_on.iter().map(String::as_str));
        bits.extend(extra);
        let using = self.using.as_ref().map(|alias| format!("using={alias}"));
        bits.extend(using.as_deref());
        format!("{{% cache {} %}}", bits.join(" "))
    }
}

/// A use of an enclosing loop's variable inside a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopUse {
    /// The variable as written, e.g. `post.title` or `author.name`.
    pub text: String,
    pub line: usize,
    /// The loop variable it is, or is bound from by `{% with %}`: `post`.
    pub loop_variable: String,
    /// The `{% for %}` tag's contents and line.
    pub loop_tag: String,
    pub loop_line: usize,
}

/// Why a template's block structure is not what Django accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub span: Span,
}

/// The arguments of a `{% cache %}` tag, split like Django's `do_cache`.
pub(super) struct CacheTag<'a> {
    pub timeout: &'a str,
    pub name: &'a str,
    pub vary_on: &'a [&'a str],
    pub using: Option<&'a str>,
}

impl<'a> CacheTag<'a> {
    /// `None` when the tag lacks a timeout or a name, which Django rejects.
    pub fn parse(args: &'a [&'a str]) -> Option<Self> {
        let (&timeout, rest) = args.split_first()?;
        let (&name, mut vary_on) = rest.split_first()?;
        // Like Django, a last `using=` argument names the cache only after the name.
        let mut using = None;
        if let Some((last, before)) = vary_on.split_last() {
            if let Some(alias) = last.strip_prefix("using=") {
                using = Some(alias);
                vary_on = before;
            }
        }
        Some(CacheTag {
            timeout,
            name,
            vary_on,
            using,
        })
    }
}

/// The tag closing a built-in block tag.
pub(super) fn end_tag(command: &str) -> Option<&'static str> {
    BLOCK_TAGS
        .iter()
        .find(|(open, _)| *open == command)
        .map(|(_, end)| *end)
}

/// The built-in block tag a closing tag ends.
pub(super) fn opening_tag(end: &str) -> Option<&'static str> {
    BLOCK_TAGS
        .iter()
        .find(|(_, close)| *close == end)
        .map(|(open, _)| *open)
}

/// Whether a tag's contents are Jinja2's: whitespace control (`{%- if x -%}`) or a
/// Jinja2-only tag.
pub(super) fn is_jinja_tag(contents: &str, command: &str) -> bool {
    contents.starts_with(['-', '+'])
        || contents.ends_with(" -")
        || contents == "-"
        || JINJA_ONLY_TAGS.contains(&command)
}

/// Lines longer than this are left out of spans: a minified template holds every tag
/// on one line, and each span would copy all of it.
const MAX_SOURCE_LINE_BYTES: usize = 4096;

/// Spans of tokens, for tokens met mostly in source order: the column is counted on from
/// the previous token's when both are on one line, so long lines are scanned once.
pub(super) struct Positions<'a> {
    source: &'a str,
    /// The line of the previous token (0 before any), its byte range, and the previous
    /// token's offset and 1-based column.
    line: usize,
    line_start: usize,
    line_end: usize,
    offset: usize,
    column: usize,
}

impl<'a> Positions<'a> {
    pub fn new(source: &'a str) -> Self {
        Positions {
            source,
            line: 0,
            line_start: 0,
            line_end: 0,
            offset: 0,
            column: 1,
        }
    }

    /// The span of a tag, with its line's text for the report's caret.
    pub fn span(&mut self, token: &Token) -> Span {
        let source = self.source;
        if token.line != self.line || token.start < self.offset {
            self.line = token.line;
            self.line_start = source[..token.start].rfind('\n').map_or(0, |i| i + 1);
            self.line_end = source[token.start..]
                .find('\n')
                .map_or(source.len(), |i| token.start + i);
            self.offset = self.line_start;
            self.column = 1;
        }
        self.column += source[self.offset..token.start].chars().count();
        self.offset = token.start;
        // Tags never span lines; a text token might, so its end is cut at its first line.
        let end = token.end.clamp(token.start, self.line_end);
        let line = &source[self.line_start..self.line_end];
        Span {
            line: token.line,
            column: self.column,
            end_line: token.line,
            end_column: self.column + source[token.start..end].chars().count(),
            source_line: if line.len() > MAX_SOURCE_LINE_BYTES {
                "".into()
            } else {
                line.trim_end_matches('\r').into()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::lexer::tokenize;

    #[test]
    fn cache_arguments_split_like_django() {
        let bits = ["300", "sidebar", "request.user.pk", "using=\"local\""];
        let tag = CacheTag::parse(&bits).unwrap();
        assert_eq!((tag.timeout, tag.name), ("300", "sidebar"));
        assert_eq!(tag.vary_on, ["request.user.pk"]);
        assert_eq!(tag.using, Some("\"local\""));
        let bits = ["300", "sidebar"];
        let tag = CacheTag::parse(&bits).unwrap();
        assert!(tag.vary_on.is_empty() && tag.using.is_none());
        assert!(CacheTag::parse(&["300"]).is_none());
    }

    #[test]
    fn spans_cover_the_tag_on_its_line() {
        let source = "<p>\n  é {% cache 1 x %}ü{{ a }}\r\n{{ b }}";
        let tokens = tokenize(source);
        let mut positions = Positions::new(source);
        let span = positions.span(&tokens[1]);
        assert_eq!((span.line, span.column, span.end_column), (2, 5, 20));
        assert_eq!(&*span.source_line, "  é {% cache 1 x %}ü{{ a }}");
        let span = positions.span(&tokens[3]);
        assert_eq!((span.line, span.column, span.end_column), (2, 21, 28));
        let span = positions.span(&tokens[5]);
        assert_eq!((span.line, span.column, span.end_column), (3, 1, 8));
        let span = positions.span(&tokens[1]);
        assert_eq!((span.line, span.column), (2, 5));
        let long = format!("{} {{% cache 1 x %}}", "x".repeat(MAX_SOURCE_LINE_BYTES));
        let span = Positions::new(&long).span(&tokenize(&long)[1]);
        assert_eq!(
            (span.column, &*span.source_line),
            (MAX_SOURCE_LINE_BYTES + 2, "")
        );
    }

    #[test]
    fn jinja_tags_are_told_apart() {
        assert!(is_jinja_tag("- if x -", "-"));
        assert!(is_jinja_tag("set x = 1", "set"));
        assert!(!is_jinja_tag("if x", "if"));
        assert!(!is_jinja_tag("cycle '-' 'a'", "cycle"));
    }
}
