//! CA303 invalidated-key-never-set: a delete whose key nothing in the project writes.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;

pub const RULE: Rule = Rule {
    code: "CA303",
    name: "invalidated-key-never-set",
    severity: Severity::Warning,
    help: "Build the key with the same template (ideally the same helper function) as the write it is meant to clear.",
    doc: include_str!("../../rules/CA303.md"),
    check,
    fix: None,
};

const STALE: &str = "clearing a key nothing writes leaves the entry it should clear stale";

fn check(context: &RuleContext) -> Vec<Violation> {
    for _ in 0..context.invalidation.unknown_deletes {
        context.note_unknown(RULE.code, "a write whose key the analysis cannot read");
    }
    context
        .invalidation
        .dead_deletes
        .iter()
        .map(|dead| {
            let call = &dead.call;
            let (closest, location) = &dead.closest;
            let place = format!("{}:{}", location.path, location.span.line);
            let (message, detail) = if dead.fragment {
                (
                    format!(
                        "{call} clears `{}`, the name of the `{{% cache %}}` fragment at {place}, not its key; clear `make_template_fragment_key(\"{}\", vary_on)`",
                        dead.template, dead.template
                    ),
                    "a `{% cache %}` fragment is stored under a key Django builds from its name and vary-on values (none, or the tag's), so the fragment stays stale".to_string(),
                )
            } else {
                let typed = if dead.typed_holes {
                    "; a `{}` filled by an id (`.id`, `.<field>_id`), a number or a slug holds only what those can produce, so it cannot stand for the written key's text"
                } else {
                    ""
                };
                (
                    format!(
                        "{call} clears `{}`, which nothing writes; the closest written key is `{closest}` ({place})",
                        dead.template
                    ),
                    format!("{STALE}{typed}"),
                )
            };
            Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: Some(detail),
                path: dead.location.path.clone(),
                span: dead.location.span.clone(),
                message,
            }
        })
        .collect()
}
