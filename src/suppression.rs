//! `# noqa` comments, as Ruff reads them: a bare `# noqa` on the reported line silences
//! every finding there, `# noqa: CA101, CA102` only those codes (case-insensitive, with or
//! without spaces). In templates the same words go in a comment tag: `{# noqa: CA401 #}`.

use crate::diagnostic::Diagnostic;

/// What a line's `noqa` comment silences.
#[derive(Debug, PartialEq, Eq)]
enum Noqa {
    All,
    Codes(Vec<String>),
}

/// Whether the finding's own line silences it.
pub fn is_suppressed(diagnostic: &Diagnostic) -> bool {
    match noqa(&diagnostic.span.source_line) {
        Some(Noqa::All) => true,
        Some(Noqa::Codes(codes)) => codes
            .iter()
            .any(|c| c.eq_ignore_ascii_case(diagnostic.code)),
        None => false,
    }
}

/// The last `noqa` directive on a line: after `#` in Python, after `{#` in a template.
fn noqa(line: &str) -> Option<Noqa> {
    let lower = line.to_ascii_lowercase();
    let mut found = None;
    let mut search_from = 0;
    while let Some(offset) = lower[search_from..].find('#') {
        let after_hash = search_from + offset + 1;
        search_from = after_hash;
        let rest = lower[after_hash..].trim_start();
        let Some(directive) = rest.strip_prefix("noqa") else {
            continue;
        };
        // `# noqa` must end there or continue with `:` (`# noqaxyz` is not a directive).
        let directive_end = line.len() - directive.len();
        found = Some(match directive.trim_start().strip_prefix(':') {
            Some(_) => {
                let codes_start = directive_end + directive.find(':').map_or(0, |i| i + 1);
                Noqa::Codes(codes(&line[codes_start..]))
            }
            None if directive
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '#' || c == '}') =>
            {
                Noqa::All
            }
            None => continue,
        });
    }
    found
}

/// `CA101, ca102 some words`: the leading comma- or space-separated codes.
fn codes(text: &str) -> Vec<String> {
    text.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .take_while(|part| is_code(part))
        .map(str::to_ascii_uppercase)
        .collect()
}

/// A rule code of any linter: letters then digits (`CA101`, `E501`, `RUF100`).
fn is_code(text: &str) -> bool {
    let digits = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    digits.len() < text.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_coded_directives() {
        assert_eq!(noqa("cache.set(k, v)  # noqa"), Some(Noqa::All));
        assert_eq!(noqa("cache.set(k, v)  #NOQA"), Some(Noqa::All));
        assert_eq!(
            noqa("cache.set(k, v)  # noqa: CA102, ca103"),
            Some(Noqa::Codes(vec!["CA102".into(), "CA103".into()]))
        );
        assert_eq!(
            noqa("x  # noqa:CA102 because the default is fine"),
            Some(Noqa::Codes(vec!["CA102".into()]))
        );
        assert_eq!(
            noqa("{% cache 60 sidebar %}{# noqa: CA401 #}"),
            Some(Noqa::Codes(vec!["CA401".into()]))
        );
        assert_eq!(noqa("{% cache 60 sidebar %}{# noqa #}"), Some(Noqa::All));
    }

    #[test]
    fn look_alikes_are_not_directives() {
        assert_eq!(noqa("cache.set(k, v)  # noqaxyz"), None);
        assert_eq!(noqa("cache.set(k, v)  # see the noqa docs"), None);
        assert_eq!(noqa("cache.set(k, v)"), None);
        assert_eq!(
            noqa("x  # noqa: E501"),
            Some(Noqa::Codes(vec!["E501".into()]))
        );
    }
}
