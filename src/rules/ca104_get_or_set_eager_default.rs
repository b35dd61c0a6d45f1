//! CA104 get-or-set-eager-default: a `get_or_set` default computed on every call.

use ruff_python_ast::helpers::any_over_expr;
use ruff_python_ast::Expr;

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::fix::FixContext;

pub const RULE: Rule = Rule {
    code: "CA104",
    name: "get-or-set-eager-default",
    severity: Severity::Error,
    help: "Pass a callable (`lambda: ...` or the function itself) so the work runs only on a miss.",
    doc: include_str!("../../rules/CA104.md"),
    check,
    fix: Some(fix),
};

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    index
        .cache_calls()
        .filter_map(|(file, call)| {
            let default = call.eager_default.as_ref()?;
            // The fix is quoted whole only while the message stays short.
            let fix = match default.text.strip_suffix("()") {
                // A lambda cannot await.
                _ if default.text.contains("await ") => {
                    "read it with `aget` and compute the default only on a miss".to_string()
                }
                Some(callable) if is_dotted_text(callable) => {
                    format!("pass `{callable}` itself instead")
                }
                _ if default.text.chars().count() <= 40 => {
                    format!("pass `lambda: {}` instead", default.text)
                }
                _ => "pass a lambda returning it instead".to_string(),
            };
            Some(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: default.span.clone(),
                message: format!(
                    "default `{}` of {} is computed on every call, hit or miss; {fix}",
                    default.text,
                    call.shown()
                ),
            })
        })
        .collect()
}

/// `compute()` becomes `compute`, anything else `lambda: ...`. Unsafe: the default no
/// longer runs on a hit, so neither do any side effects it had.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    let range = context.range(&diagnostic.span)?;
    let default = context.expr_at(range)?;
    // A lambda cannot hold these, or would bind the name in its own scope.
    let only_in_place = |expr: &Expr| {
        matches!(
            expr,
            Expr::Await(_) | Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Named(_)
        )
    };
    if any_over_expr(default, only_in_place) {
        return None;
    }
    let callable = match default {
        Expr::Call(call) if call.arguments.is_empty() && is_dotted_name(&call.func) => {
            context.text(&*call.func).to_string()
        }
        _ => format!("lambda: {}", context.text(default)),
    };
    Some(Fix::unsafe_edits(
        format!("Pass `{callable}`"),
        vec![context.replace(range, callable.clone())],
    ))
}

/// `compute` or `module.compute`, as written.
fn is_dotted_text(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// `compute` or `module.compute`: passed uncalled, it is the same callable.
fn is_dotted_name(expr: &Expr) -> bool {
    match expr {
        Expr::Name(_) => true,
        Expr::Attribute(attribute) => is_dotted_name(&attribute.value),
        _ => false,
    }
}
