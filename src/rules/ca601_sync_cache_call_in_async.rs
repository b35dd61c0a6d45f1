//! CA601 sync-cache-call-in-async: a blocking cache call on an event loop.

use ruff_python_ast::{AnyNodeRef, Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::django_version::DjangoVersion;
use crate::edit::Fix;
use crate::facts::CacheOp;
use crate::fix::imports::{from_import, Import};
use crate::fix::FixContext;

pub const RULE: Rule = Rule {
    code: "CA601",
    name: "sync-cache-call-in-async",
    severity: Severity::Warning,
    help:
        "Await the asynchronous form (`aget`, `aset`, `adelete`, ...), available since Django 4.0.",
    doc: include_str!("../../rules/CA601.md"),
    check,
    fix: Some(fix),
};

/// The cache API gained its `a`-prefixed methods in Django 4.0.
const ASYNC_CACHE_API: DjangoVersion = DjangoVersion::new(4, 0, 0);

fn check(context: &RuleContext) -> Vec<Violation> {
    if context.django.version < ASYNC_CACHE_API {
        return Vec::new();
    }
    context
        .index
        .cache_calls()
        .filter_map(|(file, call)| {
            let function = call.in_async_def.as_deref()?;
            let (op, is_async) = CacheOp::from_method(&call.method)?;
            // django-redis' `delete_pattern` has no asynchronous form, and Django's
            // `aclose` does nothing (the backends that close connections override only
            // `close`): there is nothing to advise.
            if is_async || matches!(op, CacheOp::DeletePattern | CacheOp::Close) {
                return None;
            }
            let function = function.rsplit('.').next().unwrap_or(function);
            // A generator expression cannot await (an `await` would make it an asynchronous
            // generator): the call moves before it, one call for all its items.
            let many = match op {
                CacheOp::Get => Some("get_many"),
                CacheOp::Set => Some("set_many"),
                CacheOp::Delete => Some("delete_many"),
                _ => None,
            };
            let advice = match (call.in_generator, call.per_item.is_some(), many) {
                (true, true, Some(many)) => format!(
                    "a generator expression cannot await, so make one `await {}.a{many}(...)` call before it",
                    call.receiver
                ),
                (true, _, _) => format!(
                    "a generator expression cannot await, so make the call before it with `await {}.a{}(...)`",
                    call.receiver, call.method
                ),
                (false, _, _) => format!("use `await {}.a{}(...)`", call.receiver, call.method),
            };
            Some(Violation {
                fix_anchor: None,
                benefit: 0,
                severity: None,
                detail: None,
                path: file.path.clone(),
                span: call.span.clone(),
                message: format!(
                    "`{}.{}()` blocks the event loop inside `async def {function}` while it waits for the cache; {advice}",
                    call.receiver, call.method
                ),
            })
        })
        .collect()
}

/// `cache.get(...)` becomes `await cache.aget(...)`, parenthesized where the result is
/// used further (`(await cache.aget(k)).items()`). Safe for Django's cache objects, whose
/// `a`-methods run the same code; unsafe where the asynchronous form does something else
/// on Django's base backend (`aincr` and `aincr_version` read then write, `aget_many`
/// makes a round trip per key), on another receiver (a backend or wrapper may lack the
/// method), and where the call is awaited already.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    let range = context.range(&diagnostic.span)?;
    let Expr::Call(call) = context.expr_at(range)? else {
        return None;
    };
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let (op, false) = CacheOp::from_method(method.attr.as_str())? else {
        return None;
    };
    if !takes_arguments_as_django(op, call) {
        return None;
    }
    let path = context.path_to(range);
    let at = path
        .iter()
        .rposition(|node| node.ptr_eq(AnyNodeRef::from(call)))?;
    let (above, parent) = (&path[..at], *path[..at].last()?);
    // In `f"{cache.get(k)=}"` the text of the call is part of the string.
    let in_debug_text = above.iter().any(|node| {
        matches!(node, AnyNodeRef::InterpolatedElement(element) if element.debug_text.is_some())
    });
    if in_debug_text || !awaitable_here(above, call.range()) {
        return None;
    }
    let awaited = matches!(parent, AnyNodeRef::ExprAwait(_));
    let used_further = match parent {
        AnyNodeRef::ExprAttribute(_) => true,
        AnyNodeRef::ExprSubscript(subscript) => subscript.value.range() == call.range(),
        AnyNodeRef::ExprCall(outer) => outer.func.range() == call.range(),
        _ => false,
    };
    let asynchronous = format!("a{}", method.attr);
    let mut edits = vec![context.replace(method.attr.range(), asynchronous.clone())];
    if !awaited {
        let (open, close) = if used_further { ("(", ")") } else { ("", "") };
        edits.insert(0, context.insert(call.start(), format!("{open}await ")));
        if used_further {
            edits.push(context.insert(call.end(), close));
        }
    }
    let different_on_base_backend = matches!(
        op,
        CacheOp::Incr
            | CacheOp::Decr
            | CacheOp::IncrVersion
            | CacheOp::DecrVersion
            | CacheOp::GetMany
            | CacheOp::SetMany
            | CacheOp::DeleteMany
    );
    let message = format!("Await `{asynchronous}`");
    Some(
        if awaited
            || different_on_base_backend
            || !is_django_cache(context, &method.value, call.start())
        {
            Fix::unsafe_edits(message, edits)
        } else {
            Fix::safe(message, edits)
        },
    )
}

/// Whether `await` may stand at `call`: in the body of the innermost `def`, an `async def`,
/// and not in a lambda, a class body or a generator expression (which `await` would turn
/// into an asynchronous generator).
fn awaitable_here(above: &[AnyNodeRef], call: TextRange) -> bool {
    for node in above.iter().rev() {
        match node {
            AnyNodeRef::StmtFunctionDef(def) => {
                return def.is_async
                    && def
                        .body
                        .first()
                        .is_some_and(|first| first.start() <= call.start());
            }
            AnyNodeRef::ExprLambda(_)
            | AnyNodeRef::StmtClassDef(_)
            | AnyNodeRef::ExprGenerator(_) => return false,
            _ => {}
        }
    }
    false
}

/// Whether the call passes only what Django's method takes (django-redis' `nx=`, say, the
/// `a`-method would refuse), and no `*args` or `**kwargs` that could hold more.
fn takes_arguments_as_django(op: CacheOp, call: &ExprCall) -> bool {
    let Some(parameters) = op.parameters() else {
        return false;
    };
    let arguments = &call.arguments;
    arguments.args.len() <= parameters.len()
        && arguments.args.iter().all(|arg| !arg.is_starred_expr())
        && arguments.keywords.iter().all(|keyword| {
            keyword
                .arg
                .as_ref()
                .is_some_and(|name| parameters[arguments.args.len()..].contains(&name.as_str()))
        })
}

/// `cache` or `caches[...]`, imported from `django.core.cache` at the top of the file.
fn is_django_cache(context: &FixContext, receiver: &Expr, used_at: TextSize) -> bool {
    let imported = |name: &str| {
        matches!(
            from_import(context, "django.core.cache", name, used_at),
            Some(Import::Present)
        )
    };
    match receiver {
        Expr::Name(name) => name.id.as_str() == "cache" && imported("cache"),
        Expr::Subscript(subscript) => matches!(
            subscript.value.as_ref(),
            Expr::Name(name) if name.id.as_str() == "caches" && imported("caches")
        ),
        _ => false,
    }
}
