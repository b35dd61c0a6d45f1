//! CA401 template-fragment-per-user: a `{% cache %}` block that shows per-user state while
//! no vary-on argument names the user.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::templates::{TemplateQuery, TemplateRef};

pub const RULE: Rule = Rule {
    code: "CA401",
    name: "template-fragment-per-user",
    severity: Severity::Error,
    help: "Add the user's id to the fragment's vary-on arguments, or move the per-user part outside the `{% cache %}` block.",
    doc: include_str!("../../rules/CA401.md"),
    check,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (path, fragment) in context.templates.known_fragments() {
        if fragment.varies_on_user {
            continue;
        }
        let (used_text, found) = match &fragment.per_user {
            Some(used) => (
                used.text.clone(),
                format!(
                    "`{}` uses `{}` (line {})",
                    fragment.tag(),
                    used.text,
                    used.line
                ),
            ),
            None => {
                let Some((include, evidence)) =
                    fragment.includes.iter().find_map(|(include, _)| {
                        let evidence = context
                            .templates
                            .find_included(include, TemplateQuery::PerUser)?;
                        Some((include, evidence))
                    })
                else {
                    continue;
                };
                let included = match &include.target {
                    TemplateRef::Name(name) => name.as_str(),
                    TemplateRef::Dynamic => "a template",
                };
                let found = format!(
                    "`{}` includes `{included}`, which uses `{}` ({}:{})",
                    fragment.tag(),
                    evidence.text,
                    evidence.path,
                    evidence.line
                );
                (evidence.text, found)
            }
        };
        let root = used_text.split('.').next().unwrap_or_default();
        let message = if root == "messages" {
            format!(
                "{found}, so one visitor's messages are stored and shown to everyone until the fragment expires; render `messages` outside the `{{% cache %}}` block"
            )
        } else {
            let vary_on = match used_text.split('.').nth(1) {
                // Session data differs per session, not per user: vary on what is read.
                Some("session") if root == "request" => used_text.clone(),
                Some("user") if root == "request" => "request.user.pk".to_string(),
                _ if root == "perms" => "user.pk".to_string(),
                _ => format!("{root}.pk"),
            };
            format!(
                "{found} but no vary-on argument names the user, so the first visitor's fragment is shown to everyone; add `{vary_on}` to the vary-on arguments: `{}`",
                fragment.tag_with_vary_on(Some(&vary_on))
            )
        };
        violations.push(Violation {
            benefit: 0,
            severity: None,
            detail: None,
            path: path.to_string(),
            span: fragment.span.clone(),
            message,
        });
    }
    violations
}
