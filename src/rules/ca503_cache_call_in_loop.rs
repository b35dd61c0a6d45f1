//! CA503 cache-call-in-loop: one cache round trip per item where one batched call would
//! do. One finding per loop and operation.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::{CacheCall, CacheOp};
use crate::index::FileEntry;
use crate::key_lifecycle::is_scheduled_job;

pub const RULE: Rule = Rule {
    code: "CA503",
    name: "cache-call-in-loop",
    severity: Severity::Opportunity,
    help: "Collect the keys first and make one `get_many`, `set_many` or `delete_many` call.",
    doc: include_str!("../../rules/CA503.md"),
    check,
    fix: None,
};

/// Each call of a group is one round trip a batched call saves.
const BENEFIT_PER_CALL: u32 = 2;

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut loops: Vec<Vec<(&FileEntry, &CacheCall, CacheOp, bool)>> = Vec::new();
    for (file, call) in context.index.cache_calls() {
        let Some(per_item) = &call.per_item else {
            continue;
        };
        let Some((op, is_async)) = CacheOp::from_method(&call.method) else {
            continue;
        };
        let same_loop = loops.iter_mut().find(|group| {
            let (first_file, first, _, _) = group[0];
            first_file.path == file.path
                && first.function == call.function
                && first.per_item.as_ref().map(|p| p.loop_line) == Some(per_item.loop_line)
        });
        match same_loop {
            Some(group) => group.push((file, call, op, is_async)),
            None => loops.push(vec![(file, call, op, is_async)]),
        }
    }
    let mut violations = Vec::new();
    for group in &loops {
        let (file, first, _, _) = group[0];
        let why = if is_scheduled_job(&file.path) || is_migration(&file.path) {
            Some("a migration, task or management command runs once, off the request path")
        } else if first.per_item.as_ref().is_some_and(|p| p.few_fixed_items) {
            Some("the loop walks a few fixed items")
        } else if group
            .iter()
            .any(|(_, call, _, _)| call.per_item.as_ref().is_some_and(|p| p.in_with))
        {
            Some("each item's call runs inside a `with` block (a per-item lock)")
        } else if depends_on_earlier_call(group) {
            Some("each item's call depends on another call for the same key")
        } else {
            None
        };
        if let Some(why) = why {
            context.note_unknown(RULE.code, why);
            continue;
        }
        for op in [CacheOp::Get, CacheOp::Set, CacheOp::Delete] {
            let calls: Vec<&(&FileEntry, &CacheCall, CacheOp, bool)> =
                group.iter().filter(|(_, _, o, _)| *o == op).collect();
            if let Some(violation) = violation(&calls, op) {
                violations.push(violation);
            }
        }
    }
    violations
}

fn is_migration(path: &str) -> bool {
    path.starts_with("migrations/") || path.contains("/migrations/")
}

/// A read and a delete (or a `touch`, `add`, `incr`) of the same key in one loop: an
/// ownership check or a lock, which a batched call cannot replace.
fn depends_on_earlier_call(group: &[(&FileEntry, &CacheCall, CacheOp, bool)]) -> bool {
    let key = |call: &CacheCall| call.keys.first().map(|key| key.text.clone());
    group.iter().any(|(_, read, read_op, _)| {
        *read_op == CacheOp::Get
            && group.iter().any(|(_, other, op, _)| {
                !matches!(op, CacheOp::Get | CacheOp::Set) && key(other) == key(read)
            })
    })
}

fn violation(calls: &[&(&FileEntry, &CacheCall, CacheOp, bool)], op: CacheOp) -> Option<Violation> {
    let (file, first, _, is_async) = **calls.first()?;
    let batched = match op {
        CacheOp::Get => "get_many(keys)",
        CacheOp::Set => "set_many({key: value, ...})",
        CacheOp::Delete => "delete_many(keys)",
        _ => return None,
    };
    let prefix = if is_async { "await " } else { "" };
    let batched = if is_async {
        format!("a{batched}")
    } else {
        batched.to_string()
    };
    let mut keys: Vec<String> = Vec::new();
    for (_, call, _, _) in calls {
        let text = call.keys.first().map_or("?", |key| key.text.as_str());
        let described = format!("`{text}` (line {})", call.span.line);
        if !keys.contains(&described) {
            keys.push(described);
        }
    }
    let loop_line = first
        .per_item
        .as_ref()
        .map_or(first.span.line, |p| p.loop_line);
    let calls_described = match calls.len() {
        1 => format!("`{}.{}()` runs", first.receiver, first.method),
        n => format!("{n} `{}.{}()` calls run", first.receiver, first.method),
    };
    Some(Violation {
        severity: None,
        benefit: BENEFIT_PER_CALL * calls.len() as u32,
        detail: Some(format!(
            "the loop at line {loop_line} makes one round trip per item for the keys {}, which change with each item; batched, it makes one in all",
            keys.join(", ")
        )),
        path: file.path.clone(),
        span: first.span.clone(),
        message: format!(
            "{calls_described} once per item of the loop at line {loop_line}; collect the keys and call `{prefix}{}.{batched}` once",
            first.receiver
        ),
    })
}
