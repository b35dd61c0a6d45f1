//! CA501 cacheable-query: an expensive query that runs on every request, uncached.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA501",
    name: "cacheable-query",
    severity: Severity::Opportunity,
    help: "Cache the result (cache-aside): `cache.get_or_set(key, lambda: ..., timeout)` with a key built from the query's inputs, cleared when the data changes.",
    doc: include_str!("../../rules/CA501.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .uncached_queries
        .iter()
        .map(|found| Violation {
            severity: None,
            detail: Some(format!(
                "{} is {} in {}, which runs on every request; nothing on the way caches it",
                found.query.text, found.query.reason, found.runs_in
            )),
            path: found.path.clone(),
            span: found.query.span.clone(),
            message: format!(
                "`{}` runs {} on every request to {} and nothing caches it; cache the result with `cache.get_or_set(key, lambda: ..., timeout)` under a key built from the query's inputs",
                found.query.text, found.query.reason, found.runs_in
            ),
        })
        .collect()
}
