//! CA203 csrf-token-in-cached-view: a cached page carries a CSRF token, so every visitor
//! gets the first visitor's token.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::fix::view_decorators::inside_cache_page;
use crate::fix::FixContext;

pub const RULE: Rule = Rule {
    code: "CA203",
    name: "csrf-token-in-cached-view",
    severity: Severity::Error,
    help: "Put `@csrf_protect` below `@cache_page`, as Django's CSRF documentation asks for cached views.",
    doc: include_str!("../../rules/CA203.md"),
    check,
    fix: Some(fix),
};

const DECORATOR: &str = "csrf_protect";
/// For `csrf_exempt` views, which `csrf_protect` would start checking.
const EXEMPT_DECORATOR: &str = "requires_csrf_token";

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .stored(context.django)
        .filter(|view| view.csrf_cookie_inside().is_none())
        .filter_map(|view| {
            let token = view.csrf_token.as_ref()?;
            let cache = &view.storing_cache().text;
            // A `csrf_exempt` view keeps taking POSTs without a token with
            // `requires_csrf_token`, which sets the cookie as `csrf_protect` does.
            let decorator = if view.csrf_exempt() {
                EXEMPT_DECORATOR
            } else {
                DECORATOR
            };
            Some(view_violation(
                view,
                format!(
                    "`{}` {}, but no `{decorator}` runs inside `{cache}`; {}",
                    view.name,
                    token.description,
                    view.inside_fix(decorator)
                ),
                format!("without `{decorator}` inside the cache nothing sets the CSRF cookie and `Vary: Cookie` on the stored page, so later visitors get the first visitor's token and their forms fail"),
            ))
        })
        .collect()
}

/// `@csrf_protect` inside the view's `cache_page`, `@requires_csrf_token` on a `csrf_exempt`
/// view, as the message says. Unsafe: the view then sets the CSRF cookie and `Vary:
/// Cookie`, so pages are stored per visitor's cookie. `csrf_protect` is never added beside
/// a `csrf_exempt` the facts did not see, whose POSTs it would start refusing.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    let exempt = diagnostic
        .message
        .contains(&format!("`{EXEMPT_DECORATOR}`"));
    let (decorator, declined_beside): (&str, &[&str]) = if exempt {
        (EXEMPT_DECORATOR, &[])
    } else {
        (DECORATOR, &["csrf_exempt"])
    };
    inside_cache_page(
        context,
        diagnostic,
        "django.views.decorators.csrf",
        decorator,
        declined_beside,
    )
}
