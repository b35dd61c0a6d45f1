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

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .stored(context.django)
        .filter(|view| view.csrf_cookie_inside().is_none())
        .filter_map(|view| {
            let token = view.csrf_token.as_ref()?;
            let cache = &view.storing_cache().text;
            Some(view_violation(
                view,
                format!(
                    "`{}` {}, but no `csrf_protect` runs inside `{cache}`; {}",
                    view.name,
                    token.description,
                    view.inside_fix("csrf_protect")
                ),
                "without `csrf_protect` inside the cache nothing sets the CSRF cookie and `Vary: Cookie` on the stored page, so later visitors get the first visitor's token and their forms fail".to_string(),
            ))
        })
        .collect()
}

/// `@csrf_protect` inside the view's `cache_page`. Unsafe: the view then sets the CSRF cookie
/// and `Vary: Cookie`, so pages are stored per visitor's cookie. Not on a `csrf_exempt`
/// view, whose POSTs it would start refusing.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    inside_cache_page(
        context,
        diagnostic,
        "django.views.decorators.csrf",
        "csrf_protect",
        &["csrf_exempt"],
    )
}
