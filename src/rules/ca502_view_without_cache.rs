//! CA502 view-without-cache: a routed view proved to answer every visitor with the same
//! page, which queries the database and caches nothing.
//!
//! Advice to cache a view that is not the same for every visitor would serve one user's
//! page to another, so the rule speaks only when every layer around the view, everything
//! its GET path runs and every template it renders has been read and none of it tells
//! visitors apart, answers more than GET, changes state or already caches.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::view_facts::{Wrapper, WrapperKind};
use crate::view_caching::{Found, RoutedView, SiteFacts};

pub const RULE: Rule = Rule {
    code: "CA502",
    name: "view-without-cache",
    severity: Severity::Opportunity,
    help: "Wrap the view in `cache_page(timeout)` (and clear it when its data changes), or send caching headers.",
    doc: include_str!("../../rules/CA502.md"),
    check,
    fix: None,
};

/// A whole page from the cache saves its queries and its rendering: ranked with a
/// context processor's query, above a view's single query.
const BENEFIT: u32 = 4;

fn check(context: &RuleContext) -> Vec<Violation> {
    let views = &context.views;
    if let Some(why) = site_reason(&views.site) {
        for _ in &views.routed {
            context.note_unknown(RULE.code, why);
        }
        return Vec::new();
    }
    let mut violations = Vec::new();
    for view in &views.routed {
        if let Err(why) = shared_reason(view, &views.site) {
            context.note_unknown(RULE.code, why);
            continue;
        }
        let Some(query) = &view.query else { continue };
        violations.push(Violation {
            fix_anchor: None,
            severity: None,
            benefit: BENEFIT,
            detail: Some(format!(
                "routed at {}; every layer, base class, middleware and template around it was read: it answers only GET, reads nothing per visitor, changes no state, caches nothing, and queries {query}; a cached page saves every request its queries and its rendering; choose a timeout its data allows",
                view.routed_at
            )),
            path: view.path.clone(),
            span: view.span.clone(),
            message: format!(
                "`{}` answers every visitor's GET with the same page, querying the database each time, and nothing caches it; consider `cache_page(60 * 15)`",
                view.name
            ),
        });
    }
    violations
}

/// Why no view of the site can be proved shared, when the settings decide it.
fn site_reason(site: &SiteFacts) -> Option<&'static str> {
    if site.cache_middleware.is_some() {
        Some("the site-wide cache middleware caches every page already")
    } else if site.login_middleware.is_some() {
        Some("LoginRequiredMiddleware makes every view per-user")
    } else if site.unknown_middleware.is_some() {
        Some("a middleware is not proved to answer every visitor alike")
    } else {
        None
    }
}

/// `Ok` when the view is proved to answer every visitor alike and to cache nothing;
/// otherwise the first reason it is not, for the unknown counts.
fn shared_reason(view: &RoutedView, site: &SiteFacts) -> Result<(), &'static str> {
    let checks: [(Option<&Found>, &'static str); 10] = [
        (
            view.unknown.as_ref(),
            "a decorator, base class or template is not read",
        ),
        (
            view.answers_writes.as_ref(),
            "the view answers more than GET",
        ),
        (view.per_user.as_ref(), "the view reads per-user state"),
        (
            view.request_extra.as_ref(),
            "the view reads a request attribute set per request",
        ),
        (
            view.changes_state.as_ref(),
            "the view's GET path changes state",
        ),
        (
            view.uncacheable_response.as_ref(),
            "the response is a redirect or a file",
        ),
        (view.csrf_token.as_ref(), "the page carries a CSRF token"),
        (
            view.caches.as_ref(),
            "the view caches or sets caching headers already",
        ),
        (
            view.reads_query_string.as_ref(),
            "the page depends on the query string",
        ),
        (
            site.per_user_context_processor
                .as_ref()
                .filter(|_| view.renders_templates),
            "a context processor is not proved the same for every visitor",
        ),
    ];
    if view.is_drf {
        return Err("DRF views are left to their authentication");
    }
    if view.layers.iter().any(decides_caching) {
        return Err("a layer caches, sets caching headers, checks auth or allows other methods");
    }
    match checks.iter().find(|(found, _)| found.is_some()) {
        Some((_, why)) => Err(why),
        None => Ok(()),
    }
}

/// Layers that cache the response, set HTTP caching headers, check auth or let other
/// methods than GET through: a view with any of them is not one to suggest caching.
fn decides_caching(wrapper: &Wrapper) -> bool {
    matches!(
        wrapper.kind,
        WrapperKind::CachePage
            | WrapperKind::CacheControl(_)
            | WrapperKind::NeverCache
            | WrapperKind::Conditional
            | WrapperKind::ApiView
            | WrapperKind::AuthCheck
            | WrapperKind::UnsafeMethods
    )
}
