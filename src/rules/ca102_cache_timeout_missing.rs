//! CA102 cache-timeout-missing: a cache write that relies on the configured `TIMEOUT`.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::settings::SettingTimeout;
use crate::facts::shape::Constant;
use crate::facts::Timeout;
use crate::index::ProjectIndex;
use crate::invalidation::{describe_timeout, human_duration};

pub const RULE: Rule = Rule {
    code: "CA102",
    name: "cache-timeout-missing",
    severity: Severity::Warning,
    help: "Pass an explicit timeout in seconds, chosen for how stale this value may get.",
    doc: include_str!("../../rules/CA102.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let lifecycle = &context.invalidation.lifecycle;
    let mut violations = Vec::new();
    for (file, call) in index
        .cache_calls()
        .filter(|(_, call)| call.op.writes() && matches!(call.timeout, Timeout::Missing))
    {
        let alias = call.alias.as_deref();
        let fallback = fallback(index, alias);
        let timeout_inside = call.through.as_ref().is_some_and(|t| t.timeout_inside);
        let (message, detail) = if settings_never_expire(index, alias) {
            // Reported where the helper leaves the timeout out, not at each of its callers.
            if timeout_inside {
                continue;
            }
            (
                format!(
                    "{} has no timeout, so {fallback}; pass an explicit timeout",
                    call.shown()
                ),
                None,
            )
        } else {
            // The same key written elsewhere with a timeout: this write silently gives it
            // another lifetime.
            let explicit = call
                .keys
                .first()
                .and_then(|key| index.key_template(&key.source))
                .and_then(|template| {
                    lifecycle
                        .write_with_timeout(&template, alias, &file.path, &call.span)
                        .map(|other| (template.to_string(), other))
                });
            let Some((key, other)) = explicit else {
                context.note_unknown(RULE.code, "a default timeout that may be intended");
                continue;
            };
            let place = if other.path == file.path {
                format!("on line {}", other.span.line)
            } else {
                format!("at {}:{}", other.path, other.span.line)
            };
            let timeout =
                describe_timeout(other.timeout_text.as_deref().unwrap_or("?"), other.timeout);
            (
                format!(
                    "{} has no timeout, while `{key}` is written with a timeout of {timeout} {place}; pass an explicit timeout",
                    call.shown()
                ),
                Some(format!("without a timeout, {fallback}")),
            )
        };
        violations.push(Violation {
            fix_anchor: None,
            benefit: 0,
            severity: None,
            detail,
            path: file.path.clone(),
            span: call.span.clone(),
            message,
        });
    }
    violations
}

/// Whether every production `CACHES` entry for the alias sets `TIMEOUT: None`, so that a
/// write without a timeout never expires, or sets it only inside `OPTIONS`, where Django
/// ignores it.
fn settings_never_expire(index: &ProjectIndex, alias: Option<&str>) -> bool {
    let Some(alias) = alias else {
        return false;
    };
    let settings = index.cache_settings(alias);
    !settings.is_empty()
        && settings.iter().all(|(_, setting)| {
            matches!(
                setting.timeout,
                SettingTimeout::Set(Some(Constant::None), _) | SettingTimeout::OnlyInOptions
            )
        })
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
    // Settings files that agree are named together, in the order found.
    let mut described: Vec<(String, Vec<String>)> = Vec::new();
    for (path, setting) in &settings {
        let place = format!("{path}:{}", setting.line);
        let what = match &setting.timeout {
            SettingTimeout::Set(Some(Constant::None), _) => {
                format!("`TIMEOUT` None of cache `{alias}` ({{places}}) and never expires")
            }
            SettingTimeout::Set(value, text) => {
                let seconds = value.as_ref().and_then(Constant::as_timeout);
                format!(
                    "a `TIMEOUT` of {} for cache `{alias}` ({{places}})",
                    describe_timeout(text, seconds)
                )
            }
            SettingTimeout::Environment { variable, default } => match default {
                Some(seconds) => format!(
                    "a `TIMEOUT` of {} unless the environment sets `{variable}` (cache `{alias}`, {{places}})",
                    human_duration(*seconds)
                ),
                None => format!(
                    "the `TIMEOUT` the environment variable `{variable}` gives cache `{alias}` ({{places}})"
                ),
            },
            SettingTimeout::NotSet => format!(
                "Django's default of 300 seconds (cache `{alias}` at {{places}} sets no `TIMEOUT`)"
            ),
            SettingTimeout::OnlyInOptions => format!(
                "Django's default of 300 seconds (cache `{alias}` at {{places}} sets `TIMEOUT` only inside `OPTIONS`, which Django ignores)"
            ),
        };
        match described.iter_mut().find(|(w, _)| *w == what) {
            Some((_, places)) => places.push(place),
            None => described.push((what, vec![place])),
        }
    }
    let described: Vec<String> = described
        .into_iter()
        .map(|(what, places)| what.replace("{places}", &list_places(&places)))
        .collect();
    format!("it falls back to {}", described.join("; or to "))
}

/// Up to two places, then how many more.
fn list_places(places: &[String]) -> String {
    const LISTED: usize = 2;
    let mut listed = places
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if places.len() > LISTED {
        listed.push_str(&format!(" and {} more", places.len() - LISTED));
    }
    listed
}
