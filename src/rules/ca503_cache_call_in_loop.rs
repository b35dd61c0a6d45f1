//! CA503 cache-call-in-loop: one cache round trip per item where one batched call would do.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::CacheOp;

pub const RULE: Rule = Rule {
    code: "CA503",
    name: "cache-call-in-loop",
    severity: Severity::Opportunity,
    help: "Collect the keys first and make one `get_many`, `set_many` or `delete_many` call.",
    doc: include_str!("../../rules/CA503.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .index
        .cache_calls()
        .filter(|(_, call)| call.per_item)
        // A migration runs once; batching its cache calls saves nothing worth a finding.
        .filter(|(file, _)| !file.path.starts_with("migrations/") && !file.path.contains("/migrations/"))
        .filter_map(|(file, call)| {
            let (op, is_async) = CacheOp::from_method(&call.method)?;
            let batched = match op {
                CacheOp::Get => "get_many(keys)",
                CacheOp::Set => "set_many({key: value, ...})",
                CacheOp::Delete => "delete_many(keys)",
                _ => return None,
            };
            let prefix = if is_async { "await " } else { "" };
            let batched_method = if is_async {
                format!("a{batched}")
            } else {
                batched.to_string()
            };
            Some(Violation {
                severity: None,
                detail: Some(format!(
                    "the key `{}` changes with each item of the loop around the call",
                    call.keys.first().map_or("?", |key| key.text.as_str())
                )),
                path: file.path.clone(),
                span: call.span.clone(),
                message: format!(
                    "`{}.{}()` runs once per item of the loop, one round trip to the cache each; collect the keys and call `{prefix}{}.{batched_method}` once",
                    call.receiver, call.method, call.receiver
                ),
            })
        })
        .collect()
}
