//! Putting a decorator inside a view's `cache_page`, where it runs before the response is
//! stored (CA201's `vary_on_cookie`, CA203's `csrf_protect`): beneath `@cache_page(...)`,
//! beneath `@method_decorator(cache_page(...), ...)` as another `method_decorator`, or
//! after `cache_page(...)` in a `method_decorator([...])` list.

use ruff_python_ast::{AnyNodeRef, Decorator, Expr, ExprCall, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::imports::{from_import, Import};
use super::FixContext;
use crate::diagnostic::Diagnostic;
use crate::edit::{Edit, Fix};
use crate::facts::syntax::elements;

/// The fix for a finding on a view's `def` or `class` line: `decorator`, imported from
/// `module`, added inside the view's one `cache_page`, the one on the finding's anchor
/// line. `None` when the finding has no anchor (the caching is applied in the URLconf, a
/// base class or a settings default, or twice), when the view holds a second
/// `cache_page`, or when it is decorated with one of `declined_beside`, whose effect the
/// new decorator would undo.
pub fn inside_cache_page<'a>(
    context: &FixContext<'a>,
    diagnostic: &Diagnostic,
    module: &str,
    decorator: &str,
    declined_beside: &[&str],
) -> Option<Fix> {
    let anchor = diagnostic.fix_anchor?;
    let range = context.range(&diagnostic.span)?;
    let view = context.path_to(range).into_iter().rev().find(|node| {
        matches!(
            node,
            AnyNodeRef::StmtFunctionDef(_) | AnyNodeRef::StmtClassDef(_)
        )
    })?;
    let mut places = Vec::new();
    let mut declined = false;
    let mut add = |list: &'a [Decorator]| {
        places.extend(list.iter().filter_map(|decorator| place(decorator, list)));
        declined |= list.iter().any(|d| {
            declined_beside
                .iter()
                .any(|name| applies(&d.expression, name))
        });
    };
    match view {
        AnyNodeRef::StmtFunctionDef(def) => add(&def.decorator_list),
        AnyNodeRef::StmtClassDef(class) => {
            add(&class.decorator_list);
            for stmt in &class.body {
                if let Stmt::FunctionDef(method) = stmt {
                    add(&method.decorator_list);
                }
            }
        }
        _ => return None,
    }
    let [place] = places.as_slice() else {
        return None;
    };
    let lines =
        [place.decorator.start(), place.cache_page.start()].map(|at| context.line_number(at));
    if declined || !lines.contains(&anchor) {
        return None;
    }
    let mut edits = match from_import(context, module, decorator, place.decorator.start())? {
        Import::Present => Vec::new(),
        Import::Add(edit) => vec![edit],
    };
    edits.extend(place.outside(context, decorator));
    edits.push(place.edit(context, decorator));
    Some(Fix::unsafe_edits(
        format!("Add `{decorator}` inside `cache_page`"),
        edits,
    ))
}

/// A `cache_page(...)` written as a decorator, and how another goes inside it.
struct Place<'a> {
    decorator: &'a Decorator,
    /// The decorator list it is in.
    siblings: &'a [Decorator],
    cache_page: &'a ExprCall,
    how: How<'a>,
}

enum How<'a> {
    /// `@cache_page(...)`: a decorator line beneath it.
    Beneath,
    /// `@method_decorator(cache_page(...)[, name=...])`: a `method_decorator` line beneath
    /// it, with the same `name=`.
    BeneathMethodDecorator(&'a ExprCall),
    /// `@method_decorator([cache_page(...), ...], ...)`: after it in the list.
    InList,
}

fn place<'a>(decorator: &'a Decorator, siblings: &'a [Decorator]) -> Option<Place<'a>> {
    let Expr::Call(call) = &decorator.expression else {
        return None;
    };
    if is_named(&call.func, "cache_page") {
        return Some(Place {
            decorator,
            siblings,
            cache_page: call,
            how: How::Beneath,
        });
    }
    // `name=` is the only other argument `method_decorator` takes.
    let only_name = call.arguments.args.len() == 1
        && call.arguments.keywords.iter().all(|keyword| {
            keyword
                .arg
                .as_ref()
                .is_some_and(|arg| arg.as_str() == "name")
        });
    if !is_named(&call.func, "method_decorator") || !only_name {
        return None;
    }
    let cache_page = |expr: &'a Expr| match expr {
        Expr::Call(inner) if is_named(&inner.func, "cache_page") => Some(inner),
        _ => None,
    };
    let decorators = &call.arguments.args[0];
    let [cache_page] = elements(decorators)
        .iter()
        .filter_map(cache_page)
        .collect::<Vec<_>>()[..]
    else {
        return None;
    };
    let how = if matches!(decorators, Expr::List(_) | Expr::Tuple(_)) {
        How::InList
    } else {
        How::BeneathMethodDecorator(call)
    };
    Some(Place {
        decorator,
        siblings,
        cache_page,
        how,
    })
}

impl Place<'_> {
    /// Removing a bare `@decorator` line above the `cache_page`, where it had no effect.
    fn outside(&self, context: &FixContext, decorator: &str) -> Option<Edit> {
        let How::Beneath = self.how else {
            return None;
        };
        let above = self
            .siblings
            .iter()
            .take_while(|d| !std::ptr::eq(*d, self.decorator))
            .find(|d| matches!(&d.expression, Expr::Name(name) if name.id.as_str() == decorator))?;
        let start = context.line_start(above.start());
        let end = context.next_line_start(above.end());
        let whole_line =
            context.source[usize::from(start)..usize::from(end)].trim() == format!("@{decorator}");
        whole_line.then(|| context.replace(TextRange::new(start, end), ""))
    }

    fn edit(&self, context: &FixContext, decorator: &str) -> Edit {
        let line = |text: String| {
            let at = context.next_line_start(self.decorator.end());
            let indentation = context.indentation(self.decorator.start());
            context.insert(at, format!("{indentation}@{text}{}", context.newline))
        };
        match self.how {
            How::Beneath => line(decorator.to_string()),
            How::BeneathMethodDecorator(call) => {
                let keywords: String = call
                    .arguments
                    .keywords
                    .iter()
                    .map(|keyword| format!(", {}", context.text(keyword)))
                    .collect();
                line(format!(
                    "{}({decorator}{keywords})",
                    context.text(&*call.func)
                ))
            }
            How::InList => context.insert(self.cache_page.end(), format!(", {decorator}")),
        }
    }
}

/// Whether a decorator is `name`, bare or through `method_decorator(name, ...)` or a
/// `method_decorator([...])` list.
fn applies(decorator: &Expr, name: &str) -> bool {
    match decorator {
        Expr::Call(call) if is_named(&call.func, "method_decorator") => call
            .arguments
            .args
            .first()
            .is_some_and(|decorators| elements(decorators).iter().any(|d| is_named(d, name))),
        other => is_named(other, name),
    }
}

/// `name` or `module.name`.
fn is_named(func: &Expr, name: &str) -> bool {
    match func {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Attribute(attribute) => attribute.attr.as_str() == name,
        _ => false,
    }
}
