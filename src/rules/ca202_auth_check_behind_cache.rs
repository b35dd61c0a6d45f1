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
    fix: None,
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
                    format!("`{}` keeps entries apart per visitor, but a user whose access is revoked still gets their cached page until it expires", vary.text),
                ),
                None => (
                    Severity::Error,
                    "nothing varies the cache per visitor, so a page cached for an authorised user is served to anyone".to_string(),
                ),
            };
            let origin = check
                .origin
                .as_ref()
                .map(|origin| format!("`{}` comes from {origin}; ", check.text))
                .unwrap_or_default();
            Some(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: Some(severity),
                ..view_violation(
                    view,
                    format!(
                        "`{}` runs inside `{cache}` on `{}`, so cached hits skip it; apply the check outside the cache",
                        check.text, view.name,
                    ),
                    format!("{origin}{consequence}"),
                )
            })
        })
        .collect()
}
