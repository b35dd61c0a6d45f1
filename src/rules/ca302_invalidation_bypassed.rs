//! CA302 invalidation-bypassed: a write that skips the signals or overrides a model's
//! cache invalidation relies on.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA302",
    name: "invalidation-bypassed",
    severity: Severity::Error,
    help: "Delete the affected cache keys right after the bulk write, or save objects one by one.",
    doc: include_str!("../../rules/CA302.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for entry in &context.invalidation.models {
        let Some(invalidation) = entry.invalidated_by.first() else {
            continue;
        };
        for bypass in entry.bypassed_by.iter().filter(|b| !b.handled) {
            violations.push(Violation {
                severity: None,
                detail: None,
                path: bypass.location.path.clone(),
                span: bypass.location.span.clone(),
                message: format!(
                    "`{}` writes `{}` with {}, which skips the {} `{}` ({}:{}), so cached data stays stale; delete the cached keys after it",
                    bypass.call,
                    entry.model,
                    bypass.kind.describe(),
                    invalidation.kind.describe(),
                    invalidation.handler,
                    invalidation.location.path,
                    invalidation.location.span.line
                ),
            });
        }
    }
    violations
}
