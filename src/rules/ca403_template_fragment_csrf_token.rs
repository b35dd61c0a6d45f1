//! CA403 template-fragment-csrf-token: `{% csrf_token %}` inside a `{% cache %}` block.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::templates::TemplateQuery;

pub const RULE: Rule = Rule {
    code: "CA403",
    name: "template-fragment-csrf-token",
    severity: Severity::Error,
    help: "Keep the form's `{% csrf_token %}` outside the `{% cache %}` block.",
    doc: include_str!("../../rules/CA403.md"),
    check,
    fix: None,
};

const WHY: &str = "the cached fragment holds the first visitor's token, so later visitors' form submissions fail CSRF verification";

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (path, fragment) in context.templates.known_fragments() {
        for token in &fragment.csrf_tokens {
            violations.push(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: Some(WHY.to_string()),
                path: path.to_string(),
                span: token.clone(),
                message: format!(
                    "`{{% csrf_token %}}` is inside the cached fragment `{}` (line {}); move it, or the whole form, outside the `{{% cache %}}` block",
                    fragment.tag(),
                    fragment.span.line
                ),
            });
        }
        for (include, span) in &fragment.includes {
            let Some(token) = context
                .templates
                .find_included(include, TemplateQuery::CsrfToken)
            else {
                continue;
            };
            violations.push(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: Some(WHY.to_string()),
                path: path.to_string(),
                span: span.clone(),
                message: format!(
                    "this `{{% include %}}` in `{}` (line {}) renders `{{% csrf_token %}}` ({}:{}); include the form outside the `{{% cache %}}` block",
                    fragment.tag(),
                    fragment.span.line,
                    token.path,
                    token.line
                ),
            });
        }
    }
    violations
}
