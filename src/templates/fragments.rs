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

/// The span of a token, with its line's text for the report's caret.
pub(super) fn token_span(source: &str, token: &Token) -> Span {
    let line_start = source[..token.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[token.start..]
        .find('\n')
        .map_or(source.len(), |i| token.start + i);
    // Tags never span lines; a text token might, so its end is cut at its first line.
    let end = token.end.min(line_end);
    let column = |offset: usize| source[line_start..offset].chars().count() + 1;
    Span {
        line: token.line,
        column: column(token.start),
        end_line: token.line,
        end_column: column(end),
        source_line: source[line_start..line_end].trim_end_matches('\r').into(),
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
        let source = "<p>\n  é {% cache 1 x %}\r\n";
        let tokens = tokenize(source);
        let span = token_span(source, &tokens[1]);
        assert_eq!((span.line, span.column, span.end_column), (2, 5, 20));
        assert_eq!(&*span.source_line, "  é {% cache 1 x %}");
    }

    #[test]
    fn jinja_tags_are_told_apart() {
        assert!(is_jinja_tag("- if x -", "-"));
        assert!(is_jinja_tag("set x = 1", "set"));
        assert!(!is_jinja_tag("if x", "if"));
        assert!(!is_jinja_tag("cycle '-' 'a'", "cycle"));
    }
}
