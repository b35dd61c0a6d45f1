//! Small readers of call and attribute syntax, shared by every part of the extraction
//! (and [`elements`] by the fixes that edit decorator lists).

use ruff_python_ast::{self as ast, Expr};

/// A call's argument by position or, failing that, by keyword; positions after a
/// `*args` are unknown.
pub(super) fn argument<'a>(
    call: &'a ast::ExprCall,
    position: usize,
    name: &str,
) -> Option<&'a Expr> {
    for (index, arg) in call.arguments.args.iter().enumerate() {
        if arg.is_starred_expr() {
            break;
        }
        if index == position {
            return Some(arg);
        }
    }
    keyword(call, name)
}

/// A call's keyword argument.
pub(super) fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|arg| arg.as_str() == name))
        .map(|k| &k.value)
}

/// The call passes `*args` or `**kwargs`.
pub(super) fn has_unpacking(call: &ast::ExprCall) -> bool {
    call.arguments.args.iter().any(Expr::is_starred_expr)
        || call.arguments.keywords.iter().any(|k| k.arg.is_none())
}

/// The name an attribute or call chain starts from: `cache` in `cache.get(k).x()`.
pub(super) fn root_name(expr: &Expr) -> Option<&str> {
    let mut current = expr;
    loop {
        current = match current {
            Expr::Attribute(attribute) => &attribute.value,
            Expr::Call(call) => &call.func,
            Expr::Subscript(subscript) => &subscript.value,
            Expr::Name(name) => return Some(name.id.as_str()),
            _ => return None,
        };
    }
}

/// A list or tuple display's elements, or the expression itself: arguments Django takes
/// as one value or several (`vary_on_headers`, `method_decorator`, `receiver`'s signals,
/// `isinstance`'s classes).
pub fn elements(expr: &Expr) -> &[Expr] {
    match expr {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        other => std::slice::from_ref(other),
    }
}
