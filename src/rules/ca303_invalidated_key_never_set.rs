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
            let call = format!("`{}.{}()`", dead.receiver, dead.method);
            let (message, detail) = match (&dead.closest, &dead.fragment) {
                (Some((_, location)), Some(name)) => (
                    format!(
                        "{call} clears `{name}`, the name of the `{{% cache %}}` fragment at {}:{}, not its key; clear `make_template_fragment_key(\"{name}\", vary_on)`",
                        location.path, location.span.line
                    ),
                    "a `{% cache %}` fragment is stored under a key Django builds from its name and vary-on values, so the fragment stays stale",
                ),
                (Some((template, location)), None) => (
                    format!(
                        "{call} clears `{}`, which nothing writes; the closest written key is `{template}` ({}:{})",
                        dead.template, location.path, location.span.line
                    ),
                    STALE,
                ),
                (None, _) => (
                    format!(
                        "{call} clears `{}`, which nothing writes; clear the key the data is written under",
                        dead.template
                    ),
                    STALE,
                ),
            };
            Violation {
                benefit: 0,
                severity: None,
                detail: Some(detail.to_string()),
                path: dead.location.path.clone(),
                span: dead.location.span.clone(),
                message,
            }
        })
        .collect()
}
