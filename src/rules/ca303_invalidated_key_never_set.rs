//! CA303 invalidated-key-never-set: a delete whose key nothing in the project writes.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA303",
    name: "invalidated-key-never-set",
    severity: Severity::Warning,
    help: "Build the key with the same template (ideally the same helper function) as the write it is meant to clear.",
    doc: include_str!("../../rules/CA303.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    for _ in 0..context.invalidation.unknown_deletes {
        context.note_unknown(RULE.code, "a write whose key the analysis cannot read");
    }
    context
        .invalidation
        .dead_deletes
        .iter()
        .map(|dead| {
            let closest = match &dead.closest {
                Some((template, location)) => format!(
                    "the closest written key is `{template}` ({}:{})",
                    location.path, location.span.line
                ),
                None => "clear the key the data is written under".to_string(),
            };
            Violation {
                benefit: 0,
                severity: None,
                detail: Some(
                    "clearing a key nothing writes leaves the entry it should clear stale"
                        .to_string(),
                ),
                path: dead.location.path.clone(),
                span: dead.location.span.clone(),
                message: format!(
                    "`{}.{}()` clears `{}`, which nothing writes; {closest}",
                    dead.receiver, dead.method, dead.template
                ),
            }
        })
        .collect()
}
