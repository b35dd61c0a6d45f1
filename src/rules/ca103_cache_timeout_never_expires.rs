//! CA103 cache-timeout-never-expires: an explicit `timeout=None` on model data that
//! nothing in the project ever deletes or rewrites.
//!
//! `None` is right for a version counter, a flag the code deletes itself, or data a
//! receiver clears; so the rule speaks only when the value is read from models and no
//! production code clears, rewrites or counts the key (a use of an unknown key of the same
//! cache keeps it silent).

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::shape::{Constant, ModelRef};
use crate::facts::Timeout;
use crate::key_lifecycle::{judgeable_key, Knowledge};

pub const RULE: Rule = Rule {
    code: "CA103",
    name: "cache-timeout-never-expires",
    severity: Severity::Warning,
    help: "Use a finite timeout, and invalidate the key when its data changes.",
    doc: include_str!("../../rules/CA103.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let lifecycle = &context.invalidation.lifecycle;
    let mut violations = Vec::new();
    for (file, call) in index.cache_calls() {
        let Timeout::Given {
            value: Some(Constant::None),
            text,
            span,
        } = &call.timeout
        else {
            continue;
        };
        let template = call
            .keys
            .first()
            .and_then(|key| index.key_template(&key.source));
        let template = match judgeable_key(template.as_ref()) {
            Ok(template) => template,
            Err(why) => {
                context.note_unknown(RULE.code, why);
                continue;
            }
        };
        let mut models: Vec<String> = call
            .stored
            .iter()
            .flat_map(|stored| index.stored_model_refs(&stored.shape))
            .filter_map(|model| match index.resolve_model(&model).as_slice() {
                [project] => Some(index.models[*project].label.clone()),
                _ => match model {
                    ModelRef::Class(name) | ModelRef::Label(name) => {
                        Some(name.rsplit('.').next().unwrap_or(&name).to_string())
                    }
                    _ => None,
                },
            })
            .map(|name| format!("`{name}`"))
            .collect();
        models.sort();
        models.dedup();
        if models.is_empty() {
            // Flags, counters, timestamps and values of unknown origin.
            continue;
        }
        let alias = call.alias.as_deref();
        let answers = [
            lifecycle.cleared(template, alias, |_| true),
            lifecycle.counted(template, alias),
            lifecycle.refreshed(template, alias, &file.path, &call.span),
        ];
        if answers.contains(&Knowledge::Present) {
            continue;
        }
        if let Some(Knowledge::Unknown(why)) = answers.iter().find(|a| **a != Knowledge::Absent) {
            context.note_unknown(RULE.code, why);
            continue;
        }
        let timeout = if text == "None" {
            "`None`".to_string()
        } else {
            format!("`{text}` (None)")
        };
        violations.push(Violation {
            fix_anchor: None,
            benefit: 0,
            severity: None,
            detail: Some(format!(
                "it caches {} data, and no code in the project deletes or rewrites `{template}`, so the entry keeps the data as it was when cached until the cache evicts it",
                models.join(", "),
            )),
            path: file.path.clone(),
            span: span.clone(),
            message: format!(
                "{} caches model data under `{template}` with timeout {timeout} and nothing clears it; pass a finite timeout, or delete the key when the data changes",
                call.shown()
            ),
        });
    }
    violations
}
