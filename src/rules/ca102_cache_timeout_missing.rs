//! CA102 cache-timeout-missing: a cache write that relies on the configured `TIMEOUT`.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::settings::SettingTimeout;
use crate::facts::shape::Constant;
use crate::facts::Timeout;
use crate::index::ProjectIndex;

pub const RULE: Rule = Rule {
    code: "CA102",
    name: "cache-timeout-missing",
    severity: Severity::Warning,
    help: "Pass an explicit timeout in seconds, chosen for how stale this value may get.",
    doc: include_str!("../../rules/CA102.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    index
        .cache_calls()
        .filter(|(_, call)| call.op.writes() && matches!(call.timeout, Timeout::Missing))
        .map(|(file, call)| Violation {
            path: file.path.clone(),
            span: call.span.clone(),
            message: format!(
                "`{}.{}()` has no timeout, so {}; pass an explicit timeout",
                call.receiver,
                call.method,
                fallback(index, call.alias.as_deref())
            ),
        })
        .collect()
}

/// What the call falls back to, as the project's settings tell it.
fn fallback(index: &ProjectIndex, alias: Option<&str>) -> String {
    let Some(alias) = alias else {
        return "it falls back to the cache's `TIMEOUT` setting (300 seconds unless `CACHES` sets it)".to_string();
    };
    let settings = index.cache_settings(alias);
    if settings.is_empty() {
        return format!(
            "it falls back to the `TIMEOUT` of cache `{alias}` (300 seconds unless `CACHES` sets it)"
        );
    }
    let described: Vec<String> = settings
        .iter()
        .map(|(path, setting)| {
            let place = format!("{path}:{}", setting.line);
            match &setting.timeout {
                SettingTimeout::Set(Some(Constant::None), _) => format!(
                    "`TIMEOUT` None of cache `{alias}` ({place}) and never expires"
                ),
                SettingTimeout::Set(_, text) => {
                    format!("`TIMEOUT` {text} of cache `{alias}` ({place})")
                }
                SettingTimeout::NotSet => format!(
                    "Django's default of 300 seconds (cache `{alias}` at {place} sets no `TIMEOUT`)"
                ),
                SettingTimeout::OnlyInOptions => format!(
                    "Django's default of 300 seconds (cache `{alias}` at {place} sets `TIMEOUT` only inside `OPTIONS`, which Django ignores)"
                ),
            }
        })
        .collect();
    format!("it falls back to {}", described.join("; or to "))
}
