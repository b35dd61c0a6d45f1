//! CA601 sync-cache-call-in-async: a blocking cache call on an event loop.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::django_version::DjangoVersion;
use crate::facts::CacheOp;

pub const RULE: Rule = Rule {
    code: "CA601",
    name: "sync-cache-call-in-async",
    severity: Severity::Warning,
    help:
        "Await the asynchronous form (`aget`, `aset`, `adelete`, ...), available since Django 4.0.",
    doc: include_str!("../../rules/CA601.md"),
    check,
    fix: None,
};

/// The cache API gained its `a`-prefixed methods in Django 4.0.
const ASYNC_CACHE_API: DjangoVersion = DjangoVersion::new(4, 0, 0);

fn check(context: &RuleContext) -> Vec<Violation> {
    if context.django.version < ASYNC_CACHE_API {
        return Vec::new();
    }
    context
        .index
        .cache_calls()
        .filter_map(|(file, call)| {
            let function = call.in_async_def.as_deref()?;
            let (op, is_async) = CacheOp::from_method(&call.method)?;
            // django-redis' `delete_pattern` has no asynchronous form.
            if is_async || op == CacheOp::DeletePattern {
                return None;
            }
            let function = function.rsplit('.').next().unwrap_or(function);
            Some(Violation {
                benefit: 0,
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: call.span.clone(),
                message: format!(
                    "`{}.{}()` blocks the event loop inside `async def {function}` while it waits for the cache; use `await {}.a{}(...)`",
                    call.receiver, call.method, call.receiver, call.method
                ),
            })
        })
        .collect()
}
