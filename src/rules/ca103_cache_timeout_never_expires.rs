//! CA103 cache-timeout-never-expires: an explicit `timeout=None`.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::shape::Constant;
use crate::facts::Timeout;

pub const RULE: Rule = Rule {
    code: "CA103",
    name: "cache-timeout-never-expires",
    severity: Severity::Warning,
    help: "Use a finite timeout, and invalidate the key when its data changes.",
    doc: include_str!("../../rules/CA103.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    index
        .cache_calls()
        .filter_map(|(file, call)| match &call.timeout {
            Timeout::Given {
                value: Some(Constant::None),
                text,
                span,
            } => Some(Violation {
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: span.clone(),
                message: format!(
                    "`{}.{}()` passes timeout {}, so the entry never expires; use a finite timeout in seconds",
                    call.receiver,
                    call.method,
                    if text == "None" { "`None`".to_string() } else { format!("`{text}` (None)") }
                ),
            }),
            _ => None,
        })
        .collect()
}
