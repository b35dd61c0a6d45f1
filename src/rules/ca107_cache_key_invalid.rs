//! CA107 cache-key-invalid: a key Django warns about and memcached rejects.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::keys::KeyTemplate;

pub const RULE: Rule = Rule {
    code: "CA107",
    name: "cache-key-invalid",
    severity: Severity::Warning,
    help: "Build keys from `:`-separated parts without spaces, and hash long parts.",
    doc: include_str!("../../rules/CA107.md"),
    check,
    fix: None,
};

/// Memcached's limit, which Django's `validate_key` enforces with `CacheKeyWarning`.
const MAX_KEY_LENGTH: usize = 250;

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let mut violations = Vec::new();
    for (file, call) in index.cache_calls() {
        for key in &call.keys {
            let Some(template) = index.key_template(&key.source) else {
                continue;
            };
            if let Some(problem) = problem(&template) {
                violations.push(Violation {
                    fix_anchor: None,
                    benefit: 0,
                    severity: None,
                    detail: Some(
                        "Django warns (`CacheKeyWarning`) about such keys and memcached rejects them"
                            .to_string(),
                    ),
                    path: file.path.clone(),
                    span: key.span.clone(),
                    message: format!(
                        "cache key `{}` {problem}; {}",
                        key.text,
                        if problem.starts_with("is") {
                            "hash the long part (e.g. with `hashlib.md5`)"
                        } else {
                            "use `:` or `_` as separators"
                        }
                    ),
                });
            }
        }
    }
    violations
}

/// Django's `memcache_key_warnings`: characters below 33 or equal to 127, or more than
/// 250 characters.
fn problem(template: &KeyTemplate) -> Option<String> {
    for literal in template.literals() {
        if let Some(c) = literal
            .chars()
            .find(|&c| (c as u32) < 33 || c as u32 == 127)
        {
            return Some(match c {
                ' ' => "contains a space".to_string(),
                other => format!("contains the control character {:?}", other),
            });
        }
    }
    let literal_length: usize = template.literals().map(|l| l.chars().count()).sum();
    if literal_length > MAX_KEY_LENGTH {
        let qualifier = if template.is_fully_literal() {
            ""
        } else {
            "at least "
        };
        return Some(format!(
            "is {qualifier}{literal_length} characters long, over the {MAX_KEY_LENGTH}-character limit"
        ));
    }
    None
}
