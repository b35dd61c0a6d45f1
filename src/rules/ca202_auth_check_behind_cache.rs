//! CA202 auth-check-behind-cache: an authentication or permission check runs inside
//! `cache_page`, so a cached hit is served without it.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA202",
    name: "auth-check-behind-cache",
    severity: Severity::Error,
    help: "Apply the check outside the cache (decorator above `@cache_page`, or cache a GET handler rather than `dispatch`).",
    doc: include_str!("../../rules/CA202.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .stored(context.django)
        .filter_map(|view| {
            let check = view.auth_check_inside()?;
            let cache = &view.cache_page().text;
            let varies = view
                .vary_on_cookie_inside()
                .or_else(|| view.vary_on_authorization_inside());
            let (severity, consequence) = match varies {
                Some(vary) => (
                    Severity::Warning,
                    format!("`{}` keeps entries apart per visitor, but a revoked user still gets their cached page until it expires", vary.text),
                ),
                None => (
                    Severity::Error,
                    "and nothing varies the cache per visitor, so a page cached for an authorised user is served to anyone".to_string(),
                ),
            };
            Some(Violation {
                benefit: 0,
                severity: Some(severity),
                ..view_violation(view, format!(
                    "{}: `{}`{} runs inside `{cache}`, so cached hits skip it, {consequence}; apply the check outside the cache",
                    view.subject(),
                    check.text,
                    check.origin.as_ref().map(|origin| format!(" (from {origin})")).unwrap_or_default()
                ))
            })
        })
        .collect()
}
