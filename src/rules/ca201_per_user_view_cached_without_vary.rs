//! CA201 per-user-view-cached-without-vary: a cached view renders per-user data and the
//! cache key does not vary on the session cookie, so one user's page is served to all.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA201",
    name: "per-user-view-cached-without-vary",
    severity: Severity::Error,
    help: "Put `@vary_on_cookie` below `@cache_page` (so it runs first), or stop caching the per-user view.",
    doc: include_str!("../../rules/CA201.md"),
    check,
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
            let problem = match view.vary_on_cookie_outside() {
                Some(vary) => format!(
                    "`{}` is applied outside `{cache}`, so it only takes effect after the response is stored; move it inside: {}",
                    vary.text,
                    view.inside_fix("vary_on_cookie")
                ),
                None => format!(
                    "nothing varies the cache on the session cookie, so the first visitor's page is served to everyone; {}",
                    view.inside_fix("vary_on_cookie")
                ),
            };
            Some(view_violation(view, format!(
                    "{} is cached by `{cache}` and {}, but {problem}",
                    view.subject(),
                    per_user.description
                )))
        })
        .collect()
}
