//! CA402 template-fragment-loop-without-vary: a `{% cache %}` block inside a `{% for %}`
//! loop that uses the loop variable while no vary-on argument mentions it.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA402",
    name: "template-fragment-loop-without-vary",
    severity: Severity::Error,
    help: "Add what identifies the loop's item (such as its `pk`) to the fragment's vary-on arguments.",
    doc: include_str!("../../rules/CA402.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (path, fragment) in context.templates.known_fragments() {
        for used in &fragment.unvaried_loop_uses {
            let variable = &used.loop_variable;
            let through = if used.text.split('.').next() == Some(variable.as_str()) {
                String::new()
            } else {
                format!(", bound from `{variable}`")
            };
            violations.push(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: Some(format!(
                    "the fragment sits inside `{{% {} %}}` (line {}) and uses `{}` (line {}{through}), so every iteration shows the fragment cached for the first one",
                    used.loop_tag, used.loop_line, used.text, used.line,
                )),
                path: path.to_string(),
                span: fragment.span.clone(),
                message: format!(
                    "`{}` in a loop uses `{}` (line {}) but does not vary on `{variable}`; write e.g. `{}`",
                    fragment.tag(),
                    used.text,
                    used.line,
                    fragment.tag_with_vary_on(Some(&format!("{variable}.pk")))
                ),
            });
        }
    }
    violations
}
