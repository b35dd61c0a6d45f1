//! CA301 model-cached-without-invalidation: a model's data is cached and nothing clears
//! it when the model changes.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::invalidation::ModelEntry;

pub const RULE: Rule = Rule {
    code: "CA301",
    name: "model-cached-without-invalidation",
    severity: Severity::Error,
    help: "Add a post_save/post_delete receiver for the model (or a save()/delete() override) that deletes the cached keys.",
    doc: include_str!("../../rules/CA301.md"),
    check,
};

/// At most this many cache writes are listed in the message.
const LISTED_WRITES: usize = 3;

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .invalidation
        .models
        .iter()
        .filter(|entry| !entry.cached_in.is_empty() && entry.invalidated_by.is_empty())
        // A model outside the tree may well have receivers outside it too: only the map
        // shows those.
        .filter(|entry| entry.location.is_some() && !entry.is_abstract)
        .filter_map(violation)
        .collect()
}

fn violation(entry: &ModelEntry) -> Option<Violation> {
    let location = entry.location.as_ref()?;
    let mut writes: Vec<String> = entry
        .cached_in
        .iter()
        .take(LISTED_WRITES)
        .map(|cached| {
            let key = match &cached.key {
                Some(key) => format!("`{key}`"),
                None => "a run-time key".to_string(),
            };
            let timeout = cached.timeout.as_deref().unwrap_or("default timeout");
            format!(
                "{key} ({}:{}, {timeout})",
                cached.location.path, cached.location.span.line
            )
        })
        .collect();
    if entry.cached_in.len() > LISTED_WRITES {
        writes.push(format!("{} more", entry.cached_in.len() - LISTED_WRITES));
    }
    Some(Violation {
        severity: None,
        detail: None,
        path: location.path.clone(),
        span: location.span.clone(),
        message: format!(
            "model `{}` is cached under {} but no save/delete receiver or save()/delete() override clears the cache, so cached data stays stale for {}; add a post_save/post_delete receiver that deletes these keys",
            entry.model,
            writes.join(", "),
            entry.staleness()
        ),
    })
}
