//! CA204 token-auth-view-cached-without-vary: a cached DRF view authenticates by the
//! `Authorization` header and the cache does not vary on it, so one client's data is
//! served to every client.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::django_version::{introduced_in, CacheBehaviour};

pub const RULE: Rule = Rule {
    code: "CA204",
    name: "token-auth-view-cached-without-vary",
    severity: Severity::Error,
    help: "Add `vary_on_headers(\"Authorization\")` inside the cache (below `cache_page`).",
    doc: include_str!("../../rules/CA204.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let django = context.django;
    context
        .views
        .stored(django)
        .filter(|view| view.shared_across_tokens(django))
        .filter_map(|view| {
            let per_user = view.per_user.as_ref()?;
            let header = view.drf.as_ref()?.header.as_ref()?;
            let cache = &view.storing_cache().text;
            let why = if django.version.has(CacheBehaviour::VariesOnAuthorization) {
                "the response is marked `Cache-Control: public`, which stops Django from varying on `Authorization` by itself".to_string()
            } else {
                format!(
                    "Django {} ({}) does not vary the cache on `Authorization` by itself (that came in {})",
                    django.version,
                    django.source_label(),
                    introduced_in(CacheBehaviour::VariesOnAuthorization)
                )
            };
            Some(view_violation(
                view,
                format!(
                    "`{}` {} and authenticates with `{header}`, but `{cache}` does not vary on `Authorization`; {}",
                    view.name,
                    per_user.description,
                    view.inside_fix("vary_on_headers(\"Authorization\")")
                ),
                format!("{why}, so one client's data is served to every client"),
            ))
        })
        .collect()
}
