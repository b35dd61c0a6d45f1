//! CA201 per-user-view-cached-without-vary: a cached view renders per-user data and the
//! cache key does not vary on the session cookie, so one user's page is served to all.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::fix::view_decorators::inside_cache_page;
use crate::fix::FixContext;

pub const RULE: Rule = Rule {
    code: "CA201",
    name: "per-user-view-cached-without-vary",
    severity: Severity::Error,
    help: "Put `@vary_on_cookie` below `@cache_page` (so it runs first), or stop caching the per-user view.",
    doc: include_str!("../../rules/CA201.md"),
    check,
    fix: Some(fix),
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .stored(context.django)
        .filter(|view| view.identified_by_cookie() && !view.shared_across_tokens(context.django))
        .filter(|view| view.vary_on_cookie_inside().is_none())
        .filter_map(|view| {
            let per_user = view.per_user.as_ref()?;
            let cache = &view.cache_page().text;
            let (problem, fix, detail) = match view.vary_on_cookie_outside() {
                Some(vary) => (
                    format!("`{}` sits outside `{cache}`, where it has no effect", vary.text),
                    "move it inside the cache".to_string(),
                    "a vary decorator outside the cache takes effect only after the response is stored, so the first visitor's page is served to everyone".to_string(),
                ),
                // Inside the innermost cache a vary is inside every cache, whatever the
                // response.
                None => (
                    format!(
                        "`{}` does not vary on the session cookie",
                        view.storing_cache().text
                    ),
                    view.inside_fix("vary_on_cookie"),
                    "the first visitor's page is stored and served to everyone until it expires"
                        .to_string(),
                ),
            };
            Some(view_violation(
                view,
                format!(
                    "`{}` {}, but {problem}; {fix}",
                    view.name, per_user.description,
                ),
                detail,
            ))
        })
        .collect()
}

/// `@vary_on_cookie` inside the view's `cache_page`. Unsafe: pages are then stored per
/// session cookie, so the cache holds more and hits less.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    inside_cache_page(
        context,
        diagnostic,
        "django.views.decorators.vary",
        "vary_on_cookie",
        &[],
    )
}
