//! CA101 queryset-cached-unevaluated: a QuerySet written to the cache.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::index::LeafKind;

pub const RULE: Rule = Rule {
    code: "CA101",
    name: "queryset-cached-unevaluated",
    severity: Severity::Error,
    help: "Cache `list(queryset)` or a list of primary keys instead of the QuerySet itself.",
    doc: include_str!("../../rules/CA101.md"),
    check,
    fix: None,
};

const WHY: &str = "pickling a QuerySet runs the query and stores its query object with the rows, a pickle Django supports only on the Django version that wrote it, and what is read back is a QuerySet whose further filtering queries the database again";

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let mut violations = Vec::new();
    for (file, call) in index.cache_calls().filter(|(_, call)| call.op.writes()) {
        for stored in &call.stored {
            for leaf in index.stored_leaves(&stored.shape, &stored.span) {
                let LeafKind::QuerySet(queryset) = leaf.kind else {
                    continue;
                };
                let message = match leaf.via {
                    Some(via) => format!(
                        "`{via}` returns QuerySet `{queryset}`, which {} caches unevaluated; return `list(...)` from it",
                        call.shown()
                    ),
                    None => format!(
                        "QuerySet `{queryset}` is cached unevaluated by {}; cache `list(...)` of it or its primary keys",
                        call.shown()
                    ),
                };
                violations.push(Violation {
                    benefit: 0,
                    severity: None,
                    detail: Some(WHY.to_string()),
                    path: file.path.clone(),
                    span: leaf.span,
                    message,
                });
            }
        }
    }
    violations
}
