//! CA205 cache-page-ineffective: a `cache_page` whose response is marked `private` (or
//! `no-cache`/`no-store` where Django honours it) inside the cache: nothing is ever stored.

use super::{view_violation, Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::view_facts::WrapperKind;

pub const RULE: Rule = Rule {
    code: "CA205",
    name: "cache-page-ineffective",
    severity: Severity::Warning,
    help: "Remove the `cache_page`, or move the `Cache-Control` marking outside it if only browsers should see it.",
    doc: include_str!("../../rules/CA205.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    context
        .views
        .views
        .iter()
        .filter_map(|view| {
            let blocker = view.prevents_storing(context.django)?;
            let marking = match blocker.kind {
                WrapperKind::NeverCache => "private, no-cache, no-store".to_string(),
                WrapperKind::CacheControl(control) => control.describe().replace('_', "-"),
                _ => return None,
            };
            let cache = &view.storing_cache().text;
            Some(view_violation(
                view,
                format!(
                    "`{cache}` on `{}` never stores anything: `{}` inside it marks the response `{marking}`; move that outside the cache, or drop the cache",
                    view.name, blocker.text
                ),
                "the cache refuses to store such responses, so every request still runs the view".to_string(),
            ))
        })
        .collect()
}
