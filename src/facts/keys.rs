//! Cache keys as templates: literal text with holes where runtime values go
//! (`f"post:{post.id}"` is `post:{}`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyPart {
    Literal(String),
    Hole(Hole),
}

/// What fills a hole, as far as the expression tells: the characters it can produce.
/// Two templates match only where their holes can produce what the other has there, so
/// `category:{id}:posts` and `category:posts:{id}` are different keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Hole {
    /// Any text.
    #[default]
    Any,
    /// A primary key or foreign key id (`pk`, `id`, `*_id`): digits, or a UUID's hex
    /// digits and dashes.
    Id,
    /// A number (`len()`, `int()`, `.count()`, a number literal).
    Integer,
    /// A slug (`slug`, `*_slug`): letters, digits, `-` and `_`.
    Slug,
}

impl Hole {
    fn can_produce(self, c: char) -> bool {
        match self {
            Hole::Any => true,
            Hole::Id => c.is_ascii_hexdigit() || c == '-',
            Hole::Integer => c.is_ascii_digit() || c == '-',
            Hole::Slug => c.is_alphanumeric() || c == '-' || c == '_',
        }
    }
}

/// A key expression: a template read in place, a project function's return value or a
/// module constant (resolved by the index), or unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeySource {
    Template(KeyTemplate),
    /// `called` is true for `key_for(post)`, false for `POPULAR_KEY`.
    Symbol {
        name: String,
        called: bool,
    },
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyTemplate {
    pub parts: Vec<KeyPart>,
    /// A hole is filled by a version read at run time (`f"ids:{get_version()}"`): bumping
    /// it retires every old entry, an invalidation no delete shows.
    pub versioned: bool,
}

impl KeyTemplate {
    pub fn literal(text: &str) -> Self {
        let mut template = KeyTemplate::default();
        template.push_literal(text);
        template
    }

    /// The key Django's `make_template_fragment_key(name, vary_on)` builds:
    /// `template.cache.<name>.<md5 of vary_on>`.
    pub fn fragment(name: &str) -> Self {
        let mut template = KeyTemplate::literal(&format!("template.cache.{name}."));
        template.push_hole(Hole::Any);
        template
    }

    pub fn hole(hole: Hole) -> Self {
        KeyTemplate {
            parts: vec![KeyPart::Hole(hole)],
            versioned: false,
        }
    }

    pub fn push_literal(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(KeyPart::Literal(last)) = self.parts.last_mut() {
            last.push_str(text);
        } else {
            self.parts.push(KeyPart::Literal(text.to_string()));
        }
    }

    /// Adjacent holes are one, producing what either can.
    pub fn push_hole(&mut self, hole: Hole) {
        match self.parts.last_mut() {
            Some(KeyPart::Hole(last)) if *last != hole => *last = Hole::Any,
            Some(KeyPart::Hole(_)) => {}
            _ => self.parts.push(KeyPart::Hole(hole)),
        }
    }

    pub fn append(&mut self, other: KeyTemplate) {
        self.versioned |= other.versioned;
        for part in other.parts {
            match part {
                KeyPart::Literal(text) => self.push_literal(&text),
                KeyPart::Hole(hole) => self.push_hole(hole),
            }
        }
    }

    /// Whether the key starts with a run-time value (`f"{prefix}_{name}"`): it may be any
    /// key at all, so it matches nothing for sure.
    pub fn starts_with_hole(&self) -> bool {
        matches!(self.parts.first(), Some(KeyPart::Hole(_)))
    }

    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            KeyPart::Literal(text) => Some(text.as_str()),
            KeyPart::Hole(_) => None,
        })
    }

    /// Whether a hole holds only what an id, number or slug can produce.
    pub fn has_typed_holes(&self) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, KeyPart::Hole(hole) if *hole != Hole::Any))
    }

    pub fn is_fully_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, KeyPart::Literal(_)))
    }

    /// A glob (`delete_pattern("post:*")`): `*`, `?` and `[...]` become holes.
    pub fn from_glob(glob: &KeyTemplate) -> Self {
        let mut template = KeyTemplate::default();
        for part in &glob.parts {
            let KeyPart::Literal(text) = part else {
                template.push_hole(Hole::Any);
                continue;
            };
            let mut chars = text.chars();
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '*' | '?' | '[' => {
                        if c == '[' {
                            chars.by_ref().find(|&c| c == ']');
                        }
                        template.push_literal(&literal);
                        literal.clear();
                        template.push_hole(Hole::Any);
                    }
                    other => literal.push(other),
                }
            }
            template.push_literal(&literal);
        }
        template
    }

    /// A `%`-format string: each conversion specifier becomes a hole, `%%` a literal `%`.
    pub fn from_percent_format(format: &str) -> Self {
        let mut template = KeyTemplate::default();
        let mut chars = format.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            template.push_literal(&literal);
            literal.clear();
            template.push_hole(Hole::Any);
            // Skip the mapping key, flags, width, precision and length up to the conversion.
            if chars.peek() == Some(&'(') {
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        }
        template.push_literal(&literal);
        template
    }

    /// A `str.format` string: each `{...}` field becomes a hole, `{{` and `}}` literal braces.
    pub fn from_brace_format(format: &str) -> Self {
        let mut template = KeyTemplate::default();
        let mut chars = format.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    template.push_literal(&literal);
                    literal.clear();
                    template.push_hole(Hole::Any);
                    let mut depth = 1;
                    for c in chars.by_ref() {
                        match c {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                other => literal.push(other),
            }
        }
        template.push_literal(&literal);
        template
    }
}

/// Whether some string matches both templates (a hole matches any text its kind can
/// produce).
pub fn templates_overlap(a: &KeyTemplate, b: &KeyTemplate) -> bool {
    // Literal text before the first hole and after the last must agree: a cheap test
    // that settles most pairs before the quadratic one.
    fn prefix(template: &KeyTemplate) -> &str {
        match template.parts.first() {
            Some(KeyPart::Literal(text)) => text,
            _ => "",
        }
    }
    fn suffix(template: &KeyTemplate) -> &str {
        match template.parts.last() {
            Some(KeyPart::Literal(text)) => text,
            _ => "",
        }
    }
    let (prefix_a, prefix_b) = (prefix(a), prefix(b));
    let (suffix_a, suffix_b) = (suffix(a), suffix(b));
    if !(prefix_a.starts_with(prefix_b) || prefix_b.starts_with(prefix_a))
        || !(suffix_a.ends_with(suffix_b) || suffix_b.ends_with(suffix_a))
    {
        return false;
    }
    let a = symbols(a);
    let b = symbols(b);
    // reachable[i][j]: a[i..] and b[j..] can match a common string.
    let mut reachable = vec![vec![false; b.len() + 1]; a.len() + 1];
    reachable[a.len()][b.len()] = true;
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            if i == a.len() && j == b.len() {
                continue;
            }
            let ai = a.get(i).copied();
            let bj = b.get(j).copied();
            // A hole ends here, or takes the other side's next symbol: a character it can
            // produce, or a hole (both produce digits).
            let takes = |hole: Hole, other: Option<Symbol>| match other {
                Some(Symbol::Char(c)) => hole.can_produce(c),
                Some(Symbol::Hole(_)) => true,
                None => false,
            };
            reachable[i][j] = match (ai, bj) {
                (Some(Symbol::Hole(hole)), _) => {
                    reachable[i + 1][j] || (takes(hole, bj) && reachable[i][j + 1])
                }
                (_, Some(Symbol::Hole(hole))) => {
                    reachable[i][j + 1] || (takes(hole, ai) && reachable[i + 1][j])
                }
                (Some(Symbol::Char(x)), Some(Symbol::Char(y))) => x == y && reachable[i + 1][j + 1],
                _ => false,
            };
        }
    }
    reachable[0][0]
}

#[derive(Clone, Copy, Serialize, Deserialize)]
enum Symbol {
    Char(char),
    Hole(Hole),
}

/// A template as characters and holes.
fn symbols(template: &KeyTemplate) -> Vec<Symbol> {
    let mut symbols = Vec::new();
    for part in &template.parts {
        match part {
            KeyPart::Literal(text) => symbols.extend(text.chars().map(Symbol::Char)),
            KeyPart::Hole(hole) => symbols.push(Symbol::Hole(*hole)),
        }
    }
    symbols
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                KeyPart::Literal(text) => f.write_str(text)?,
                KeyPart::Hole(_) => f.write_str("{}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_match_any_text() {
        assert!(templates_overlap(
            &KeyTemplate::from_brace_format("post:{}"),
            &KeyTemplate::from_brace_format("post:42")
        ));
        assert!(templates_overlap(
            &KeyTemplate::from_brace_format("post:{}:x"),
            &KeyTemplate::from_brace_format("{}:x")
        ));
        assert!(!templates_overlap(
            &KeyTemplate::from_brace_format("posts:category:{}"),
            &KeyTemplate::from_brace_format("category:posts:{}")
        ));
        // Both produce `category:posts:posts`, so they are not told apart.
        assert!(templates_overlap(
            &KeyTemplate::from_brace_format("category:{}:posts"),
            &KeyTemplate::from_brace_format("category:posts:{}")
        ));
        assert!(!templates_overlap(
            &KeyTemplate::from_brace_format("a"),
            &KeyTemplate::from_brace_format("b")
        ));
    }

    /// `category:{id}:posts` as an f-string over an id builds it.
    fn typed(parts: &[Result<&str, Hole>]) -> KeyTemplate {
        let mut template = KeyTemplate::default();
        for part in parts {
            match part {
                Ok(text) => template.push_literal(text),
                Err(hole) => template.push_hole(*hole),
            }
        }
        template
    }

    #[test]
    fn typed_holes_match_only_what_they_can_produce() {
        let id_then_posts = typed(&[Ok("category:"), Err(Hole::Id), Ok(":posts")]);
        let posts_then_id = typed(&[Ok("category:posts:"), Err(Hole::Id)]);
        // An id never produces `posts`, nor swallows a `:`.
        assert!(!templates_overlap(&id_then_posts, &posts_then_id));
        assert!(!templates_overlap(&posts_then_id, &id_then_posts));
        // A hole of any text can hold `posts:42`, and `posts`.
        let any = typed(&[Ok("category:"), Err(Hole::Any)]);
        assert!(templates_overlap(&any, &posts_then_id));
        let any_then_posts = typed(&[Ok("category:"), Err(Hole::Any), Ok(":posts")]);
        assert!(templates_overlap(
            &any_then_posts,
            &typed(&[Ok("category:"), Err(Hole::Id), Ok(":"), Err(Hole::Any)])
        ));
        // An id and a number, or an id and a literal id, meet.
        let number = typed(&[Ok("category:"), Err(Hole::Integer), Ok(":posts")]);
        assert!(templates_overlap(&number, &id_then_posts));
        assert!(templates_overlap(
            &KeyTemplate::literal("category:42:posts"),
            &id_then_posts
        ));
        // A UUID primary key is an id too.
        assert!(templates_overlap(
            &KeyTemplate::literal("category:9b2e-41fa:posts"),
            &id_then_posts
        ));
        let slug = typed(&[Ok("post:"), Err(Hole::Slug)]);
        assert!(templates_overlap(
            &KeyTemplate::literal("post:hello-world_2"),
            &slug
        ));
        assert!(!templates_overlap(&KeyTemplate::literal("post:a:b"), &slug));
        // Holes side by side produce what either can.
        let mut merged = typed(&[Ok("p:"), Err(Hole::Id)]);
        merged.push_hole(Hole::Slug);
        assert_eq!(merged.parts.last(), Some(&KeyPart::Hole(Hole::Any)));
    }

    #[test]
    fn percent_format_becomes_holes() {
        assert_eq!(
            KeyTemplate::from_percent_format("post:%s:%(lang)s:100%%").to_string(),
            "post:{}:{}:100%"
        );
    }

    #[test]
    fn glob_becomes_holes() {
        let glob = KeyTemplate::literal("post:*:[ab]?");
        assert_eq!(KeyTemplate::from_glob(&glob).to_string(), "post:{}:{}");
    }

    #[test]
    fn brace_format_becomes_holes() {
        assert_eq!(
            KeyTemplate::from_brace_format("post:{}:{0.id}:{{x}}").to_string(),
            "post:{}:{}:{x}"
        );
    }
}
