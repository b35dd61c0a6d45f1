//! CA302 invalidation-bypassed: a QuerySet or manager write that skips the signals or
//! overrides a model's cache invalidation relies on, in a function that does nothing
//! about the cache itself.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::invalidation::{Invalidation, InvalidationKind};

pub const RULE: Rule = Rule {
    code: "CA302",
    name: "invalidation-bypassed",
    severity: Severity::Error,
    help: "Delete the affected cache keys right after the bulk write, or save objects one by one.",
    doc: include_str!("../../rules/CA302.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for entry in &context.invalidation.models {
        let open: Vec<_> = entry.bypassed_by.iter().filter(|b| !b.handled).collect();
        if open.is_empty() {
            continue;
        }
        // Invalidation with no cached data in sight clears something built from the
        // model in code the analysis did not follow: whether the write matters is unknown.
        if entry.cached_in.is_empty() {
            for _ in &open {
                context.note_unknown(RULE.code, "the model's cached data was not found");
            }
            continue;
        }
        for bypass in open {
            let invalidation = &entry.invalidated_by[bypass.skips];
            violations.push(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: Some(format!(
                    "`{}` skips {} ({}:{}), which clears the cached `{}` data, so that data stays stale",
                    bypass.call,
                    describe(invalidation, false),
                    invalidation.location.path,
                    invalidation.location.span.line,
                    entry.model,
                )),
                path: bypass.location.path.clone(),
                span: bypass.location.span.clone(),
                message: format!(
                    "this {} writes `{}` and {}, so {} ({}:{}) does not run; delete the cached keys after it",
                    bypass.kind.describe(),
                    entry.model,
                    skipped_signals(invalidation),
                    describe(invalidation, true),
                    invalidation.location.path,
                    invalidation.location.span.line
                ),
            });
        }
    }
    violations
}

/// What the write does not do, in words.
fn skipped_signals(invalidation: &Invalidation) -> String {
    match &invalidation.kind {
        InvalidationKind::Receiver(signals) => {
            let names: Vec<&str> = signals
                .iter()
                .filter(|s| s.is_save())
                .map(|s| s.as_str())
                .collect();
            format!("sends no {}", names.join(" or "))
        }
        InvalidationKind::DeleteOverride => "does not call `delete()`".to_string(),
        InvalidationKind::SaveOverride => "does not call `save()`".to_string(),
    }
}

/// The receiver or override; `short` names it by its last part, as messages do.
fn describe(invalidation: &Invalidation, short: bool) -> String {
    let handler = &invalidation.handler;
    let handler = if short {
        handler.rsplit('.').next().unwrap_or(handler)
    } else {
        handler
    };
    match &invalidation.kind {
        InvalidationKind::Receiver(_) => format!("the receiver `{handler}`"),
        InvalidationKind::SaveOverride | InvalidationKind::DeleteOverride => {
            format!("`{handler}()`")
        }
    }
}
