//! CA104 get-or-set-eager-default: a `get_or_set` default computed on every call.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA104",
    name: "get-or-set-eager-default",
    severity: Severity::Error,
    help: "Pass a callable (`lambda: ...` or the function itself) so the work runs only on a miss.",
    doc: include_str!("../../rules/CA104.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    index
        .cache_calls()
        .filter_map(|(file, call)| {
            let default = call.eager_default.as_ref()?;
            // The fix is quoted whole only while the message stays short.
            let fix = if default.text.chars().count() <= 40 {
                format!("`lambda: {}`", default.text)
            } else {
                "a lambda returning it".to_string()
            };
            Some(Violation {
                benefit: 0,
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: default.span.clone(),
                message: format!(
                    "default `{}` of {} is computed on every call, hit or miss; pass {fix} instead",
                    default.text,
                    call.shown()
                ),
            })
        })
        .collect()
}
