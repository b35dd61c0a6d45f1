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
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (path, fragment) in context.templates.known_fragments() {
        if fragment.varies_on_user {
            continue;
        }
        let (used_text, found, through) = match &fragment.per_user {
            Some(used) => (
                used.text.clone(),
                format!(
                    "`{}` uses `{}` (line {})",
                    fragment.tag(),
                    used.text,
                    used.line
                ),
                String::new(),
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
                    "`{}` uses `{}` ({}:{}) through `{{% include %}}`",
                    fragment.tag(),
                    evidence.text,
                    evidence.path,
                    evidence.line
                );
                (
                    evidence.text,
                    found,
                    format!("the fragment includes `{included}`; "),
                )
            }
        };
        let root = used_text.split('.').next().unwrap_or_default();
        let (message, detail) = if root == "messages" {
            (
                format!(
                    "{found}; render `messages` outside the `{{% cache %}}` block"
                ),
                "one visitor's messages are stored in the fragment and shown to everyone until it expires".to_string(),
            )
        } else {
            let vary_on = match used_text.split('.').nth(1) {
                // Session data differs per session, not per user: vary on what is read.
                Some("session") if root == "request" => used_text.clone(),
                Some("user") if root == "request" => "request.user.pk".to_string(),
                _ if root == "perms" => "user.pk".to_string(),
                _ => format!("{root}.pk"),
            };
            (
                format!(
                    "{found} but does not vary on the user; write `{}`",
                    fragment.tag_with_vary_on(Some(&vary_on))
                ),
                "the first visitor's fragment is shown to everyone".to_string(),
            )
        };
        violations.push(Violation {
            fix_anchor: None,
            benefit: 0,
            severity: None,
            detail: Some(format!("{through}{detail}")),
            path: path.to_string(),
            span: fragment.span.clone(),
            message,
        });
    }
    violations
}
