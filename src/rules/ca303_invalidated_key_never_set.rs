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
                    "; the closest written key is `{template}` ({}:{})",
                    location.path, location.span.line
                ),
                None => String::new(),
            };
            Violation {
                benefit: 0,
                severity: None,
                detail: None,
                path: dead.location.path.clone(),
                span: dead.location.span.clone(),
                message: format!(
                    "`{}.{}()` clears key `{}`, which nothing in the project writes{closest}, so the entry it should clear stays stale",
                    dead.receiver, dead.method, dead.template
                ),
            }
        })
        .collect()
}
