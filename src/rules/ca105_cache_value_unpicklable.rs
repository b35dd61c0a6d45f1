//! CA105 cache-value-unpicklable: a value pickle cannot serialise.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::index::LeafKind;

pub const RULE: Rule = Rule {
    code: "CA105",
    name: "cache-value-unpicklable",
    severity: Severity::Error,
    help: "Cache plain data (the file's bytes, the request's relevant fields, the function's result) instead.",
    doc: include_str!("../../rules/CA105.md"),
    check,
    fix: None,
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let mut violations = Vec::new();
    for (file, call) in index.cache_calls().filter(|(_, call)| call.op.writes()) {
        for stored in &call.stored {
            for leaf in index.stored_leaves(&stored.shape, &stored.span) {
                let LeafKind::Unpicklable(what) = leaf.kind else {
                    continue;
                };
                let source = leaf
                    .via
                    .map(|via| format!(" (returned by `{via}`)"))
                    .unwrap_or_default();
                violations.push(Violation {
                    fix_anchor: None,
                    benefit: 0,
                    severity: None,
                    detail: None,
                    path: file.path.clone(),
                    span: leaf.span,
                    message: format!(
                        "{what}{source} cannot be pickled, so {} fails at run time; cache plain data instead",
                        call.shown()
                    ),
                });
            }
        }
    }
    violations
}
