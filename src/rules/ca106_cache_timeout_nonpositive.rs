//! CA106 cache-timeout-nonpositive: a timeout of zero or less.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::shape::Constant;
use crate::facts::Timeout;

pub const RULE: Rule = Rule {
    code: "CA106",
    name: "cache-timeout-nonpositive",
    severity: Severity::Warning,
    help: "Use a positive number of seconds, or `None` if the value must never expire.",
    doc: include_str!("../../rules/CA106.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    index
        .cache_calls()
        // A timeout decided inside a helper is reported where it is decided.
        .filter(|(_, call)| !call.through.as_ref().is_some_and(|t| t.timeout_inside))
        .filter_map(|(file, call)| match &call.timeout {
            Timeout::Given {
                value: Some(Constant::Number(seconds)),
                text,
                span,
            } if *seconds <= 0.0 => Some(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: span.clone(),
                message: format!(
                    "{} passes timeout `{text}`, so the value expires at once and is never served; use a positive number of seconds",
                    call.shown()
                ),
            }),
            _ => None,
        })
        .collect()
}
