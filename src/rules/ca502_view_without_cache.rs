//! CA502 view-without-cache: a GET-only view that queries the database, reads nothing
//! per-user, and caches nothing.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA502",
    name: "view-without-cache",
    severity: Severity::Opportunity,
    help: "Wrap the view in `cache_page(timeout)` (and clear it when its data changes), or send caching headers.",
    doc: include_str!("../../rules/CA502.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .uncached_views
        .iter()
        .map(|view| Violation {
            severity: None,
            detail: Some(format!(
                "routed at {}; it answers only GET, reads no per-user state (in its code or templates), and queries {}",
                view.routed_at, view.query
            )),
            path: view.path.clone(),
            span: view.span.clone(),
            message: format!(
                "`{}` answers GET with the same page for every visitor and queries the database on each request, with no cache and no caching headers; consider `cache_page(60 * 15)` (or a timeout its data allows)",
                view.name
            ),
        })
        .collect()
}
