//! CA101 queryset-cached-unevaluated: a QuerySet written to the cache.

use ruff_python_ast::helpers::any_over_expr;
use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, TraversalSignal};
use ruff_python_ast::{
    AnyNodeRef, Expr, ExprCall, ExprContext, Identifier, ModModule, Parameters, Stmt,
    StmtFunctionDef,
};
use ruff_text_size::{Ranged, TextRange};

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::fix::FixContext;
use crate::index::LeafKind;

pub const RULE: Rule = Rule {
    code: "CA101",
    name: "queryset-cached-unevaluated",
    severity: Severity::Error,
    help: "Cache `list(queryset)` or a list of primary keys instead of the QuerySet itself.",
    doc: include_str!("../../rules/CA101.md"),
    check,
    fix: Some(fix),
};

/// How the message of a QuerySet cached as such starts (one a project function returns
/// starts with the function).
const DIRECT: &str = "QuerySet `";

const WHY: &str = "pickling a QuerySet runs the query and stores its query object with the rows, a pickle Django supports only on the Django version that wrote it, and what is read back is a QuerySet whose further filtering queries the database again";

fn check(context: &RuleContext) -> Vec<Violation> {
    let index = context.index;
    let mut violations = Vec::new();
    for (file, call) in index.cache_calls().filter(|(_, call)| call.op.writes()) {
        for stored in &call.stored {
            for leaf in index.stored_leaves(&stored.shape, &stored.span) {
                let LeafKind::QuerySet(queryset) = leaf.kind else {
                    continue;
                };
                let message = match leaf.via {
                    Some(via) => format!(
                        "`{via}` returns QuerySet `{queryset}`, which {} caches unevaluated; return `list(...)` from it",
                        call.shown()
                    ),
                    None => format!(
                        "{DIRECT}{queryset}` is cached unevaluated by {}; cache `list(...)` of it or its primary keys",
                        call.shown()
                    ),
                };
                violations.push(Violation {
                    fix_anchor: None,
                    benefit: 0,
                    severity: None,
                    detail: Some(WHY.to_string()),
                    path: file.path.clone(),
                    span: leaf.span,
                    message,
                });
            }
        }
    }
    violations
}

/// The methods of a QuerySet or manager that return a new QuerySet: an expression ending in
/// one of these calls (or in a slice) is a QuerySet whatever path led to it, which is what
/// `list(...)` needs to be proved right.
const QUERYSET_METHODS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "alias",
    "values",
    "values_list",
    "distinct",
    "only",
    "defer",
    "none",
    "union",
    "intersection",
    "difference",
    "reverse",
    "using",
    "select_for_update",
    "get_queryset",
];

/// The cache methods that store their argument as given, and where.
const VALUE_WRITES: &[&str] = &["set", "add"];

/// Wraps the cached QuerySet in `list(...)`: `cache.set(k, list(qs))`, a lambda default's
/// body `lambda: list(qs)`, a `get_or_set` default computed in place `lambda: list(qs)`
/// (evaluated on a miss only, as the QuerySet was), an uncalled `Post.objects.all` as
/// `lambda: list(Post.objects.all())`, and a helper's argument as it is passed. Unsafe: the
/// cache then holds a list, and code reading it back may call QuerySet methods on it.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    // A project function's result (`recent()` returns ...) may be a QuerySet on one path
    // and something else on another, or a container holding one: fixed in the function.
    if !diagnostic.message.starts_with(DIRECT) {
        return None;
    }
    let range = context.range(&diagnostic.span)?;
    let expr = context.expr_at(range)?;
    if binds_anywhere(context.module, "list") {
        return None;
    }
    let path = context.path_to(range);
    let at = path
        .iter()
        .rposition(|node| node.ptr_eq(AnyNodeRef::from(expr)))?;
    // In async code `list(qs)` would query on the event loop: SynchronousOnlyOperation.
    let function = path[..at].iter().rev().find_map(|node| match node {
        AnyNodeRef::StmtFunctionDef(def) => Some(*def),
        _ => None,
    });
    if function.is_some_and(|def| def.is_async) {
        return None;
    }
    let scope = Scope::of(context.module, function);
    let only_in_place = |expr: &Expr| {
        matches!(
            expr,
            Expr::Await(_) | Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Named(_)
        )
    };
    let (target, replacement) = match expr {
        // `get_or_set` calls a lambda default: what it returns is stored.
        Expr::Lambda(lambda) if lambda.parameters.is_none() => {
            let body = lambda.body.as_ref();
            is_queryset(body, &scope).then_some(())?;
            (body.range(), format!("list({})", context.text(body)))
        }
        // `Post.objects.all` passed uncalled, which `get_or_set` calls.
        Expr::Attribute(attribute)
            if QUERYSET_METHODS.contains(&attribute.attr.as_str())
                && !any_over_expr(expr, &only_in_place) =>
        {
            (range, format!("lambda: list({}())", context.text(expr)))
        }
        _ => {
            if !is_queryset(expr, &scope) {
                return None;
            }
            match role(&path[..=at]) {
                Role::Stored => (range, format!("list({})", context.text(expr))),
                Role::EagerDefault if !any_over_expr(expr, &only_in_place) => {
                    (range, format!("lambda: list({})", context.text(expr)))
                }
                _ => return None,
            }
        }
    };
    Some(Fix::unsafe_edits(
        format!("Cache `{replacement}`"),
        vec![context.replace(target, replacement)],
    ))
}

/// Where the QuerySet sits, as far as `list(...)` in its place goes.
#[derive(Debug, PartialEq, Eq)]
enum Role {
    /// Evaluated only to be stored: the value of `set`/`add`, an item of a stored
    /// container or `set_many` mapping, a lambda's result, a helper's argument.
    Stored,
    /// The default of `get_or_set`, computed on every call though stored only on a miss.
    EagerDefault,
    /// Anywhere else: not fixed.
    Other,
}

/// The role of the last node of `path` (which runs from the module down to it).
fn role(path: &[AnyNodeRef]) -> Role {
    let mut child = match path.last() {
        Some(node) => *node,
        None => return Role::Other,
    };
    let mut in_container = false;
    let mut keyword: Option<&str> = None;
    for parent in path.iter().rev().skip(1) {
        let is = |expr: &Expr| AnyNodeRef::from(expr).ptr_eq(child);
        match parent {
            AnyNodeRef::ExprDict(dict) if dict.items.iter().any(|item| is(&item.value)) => {
                in_container = true;
            }
            AnyNodeRef::ExprList(list) if list.elts.iter().any(is) => in_container = true,
            AnyNodeRef::ExprTuple(tuple) if tuple.elts.iter().any(is) => in_container = true,
            AnyNodeRef::ExprSet(set) if set.elts.iter().any(is) => in_container = true,
            AnyNodeRef::ExprListComp(comp) if is(&comp.elt) => in_container = true,
            AnyNodeRef::ExprSetComp(comp) if is(&comp.elt) => in_container = true,
            AnyNodeRef::ExprDictComp(comp) if is(&comp.value) => in_container = true,
            // A lambda's result is computed when it is called, and then stored.
            AnyNodeRef::ExprLambda(lambda) if is(&lambda.body) => return Role::Stored,
            AnyNodeRef::Keyword(found) if is(&found.value) => {
                keyword = found.arg.as_ref().map(|arg| arg.as_str());
                continue;
            }
            AnyNodeRef::Arguments(_) => continue,
            AnyNodeRef::ExprCall(call) => return call_role(call, child, keyword, in_container),
            _ => return Role::Other,
        }
        child = *parent;
    }
    Role::Other
}

/// The role of `argument` (passed by `keyword`, else by position) in `call`.
fn call_role(
    call: &ExprCall,
    argument: AnyNodeRef,
    keyword: Option<&str>,
    in_container: bool,
) -> Role {
    let position = match keyword {
        Some(_) => None,
        None => {
            let Some(position) = call
                .arguments
                .args
                .iter()
                .position(|arg| AnyNodeRef::from(arg).ptr_eq(argument))
            else {
                return Role::Other;
            };
            if call.arguments.args[..position]
                .iter()
                .any(Expr::is_starred_expr)
            {
                return Role::Other;
            }
            Some(position)
        }
    };
    let is_argument = |index: usize, name: &str| position == Some(index) || keyword == Some(name);
    let Expr::Attribute(method) = call.func.as_ref() else {
        // A project helper that caches what it is given.
        return Role::Stored;
    };
    let method = method.attr.as_str();
    match method {
        _ if VALUE_WRITES.contains(&method) => {
            if is_argument(1, "value") {
                Role::Stored
            } else {
                Role::Other
            }
        }
        "set_many" if in_container && is_argument(0, "data") => Role::Stored,
        "get_or_set" if is_argument(1, "default") => {
            // `{"posts": list(qs)}` would still be built on every call: made lazy first
            // (CA104's fix), its items are fixed on the next pass.
            if in_container {
                Role::Other
            } else {
                Role::EagerDefault
            }
        }
        "set_many" | "get_or_set" | "aset" | "aadd" | "aset_many" | "aget_or_set" => Role::Other,
        // A helper method.
        _ => Role::Stored,
    }
}

/// The names a QuerySet may be bound to: those of the function the finding is in (its
/// parameters and its body), or of the module.
struct Scope<'a> {
    body: &'a [Stmt],
    parameters: Option<&'a Parameters>,
}

impl<'a> Scope<'a> {
    fn of(module: &'a ModModule, function: Option<&'a StmtFunctionDef>) -> Self {
        match function {
            Some(def) => Scope {
                body: &def.body,
                parameters: Some(&def.parameters),
            },
            None => Scope {
                body: &module.body,
                parameters: None,
            },
        }
    }
}

/// Whether `expr` is a QuerySet by its syntax: a call of a method returning one, a slice,
/// or a name every binding of which in its scope is such an expression.
fn is_queryset(expr: &Expr, scope: &Scope) -> bool {
    match expr {
        Expr::Name(name) => {
            let id = name.id.as_str();
            if scope.parameters.is_some_and(|parameters| {
                parameters
                    .iter()
                    .any(|parameter| parameter.name().as_str() == id)
            }) {
                return false;
            }
            let mut bindings = Bindings::new(id);
            for stmt in scope.body {
                bindings.visit_stmt(stmt);
            }
            !bindings.other
                && !bindings.values.is_empty()
                && bindings.values.iter().all(|value| is_queryset_expr(value))
        }
        other => is_queryset_expr(other),
    }
}

/// A call of a method returning a QuerySet, or a slice: a QuerySet by its syntax.
pub(super) fn is_queryset_expr(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => matches!(
            call.func.as_ref(),
            Expr::Attribute(method) if QUERYSET_METHODS.contains(&method.attr.as_str())
        ),
        Expr::Subscript(subscript) => subscript.slice.is_slice_expr(),
        _ => false,
    }
}

/// Whether the file binds `name` anywhere: an assignment, a parameter, a function or class,
/// an import, a `global`, an `except ... as`, a `match` capture or a type parameter.
fn binds_anywhere(module: &ModModule, name: &str) -> bool {
    let mut bindings = Bindings::new(name);
    for stmt in &module.body {
        bindings.visit_stmt(stmt);
    }
    bindings.other || !bindings.values.is_empty()
}

/// The bindings of one name: the values of plain `name = value` assignments, and whether it
/// is bound any other way.
struct Bindings<'a> {
    name: &'a str,
    values: Vec<&'a Expr>,
    /// The targets of those assignments (and of annotations without a value).
    plain_targets: Vec<TextRange>,
    other: bool,
}

impl<'a> Bindings<'a> {
    fn new(name: &'a str) -> Self {
        Bindings {
            name,
            values: Vec::new(),
            plain_targets: Vec::new(),
            other: false,
        }
    }

    fn is(&self, identifier: Option<&Identifier>) -> bool {
        identifier.is_some_and(|identifier| identifier.as_str() == self.name)
    }
}

impl<'a> SourceOrderVisitor<'a> for Bindings<'a> {
    fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
        let other = match node {
            AnyNodeRef::StmtAssign(assign) => {
                for target in &assign.targets {
                    if matches!(target, Expr::Name(n) if n.id.as_str() == self.name) {
                        self.values.push(&assign.value);
                        self.plain_targets.push(target.range());
                    }
                }
                false
            }
            AnyNodeRef::StmtAnnAssign(assign) => {
                let target = assign.target.as_ref();
                if matches!(target, Expr::Name(n) if n.id.as_str() == self.name) {
                    self.values.extend(assign.value.as_deref());
                    self.plain_targets.push(target.range());
                }
                false
            }
            // Bound by a plain assignment above; any other store (a `for` or `with`
            // target, an unpacking, `+=`, `:=`, `del`) is another binding.
            AnyNodeRef::ExprName(name) => {
                name.id.as_str() == self.name
                    && !matches!(name.ctx, ExprContext::Load)
                    && !self.plain_targets.contains(&name.range)
            }
            AnyNodeRef::StmtFunctionDef(def) => self.is(Some(&def.name)),
            AnyNodeRef::StmtClassDef(class) => self.is(Some(&class.name)),
            AnyNodeRef::Parameter(parameter) => self.is(Some(&parameter.name)),
            AnyNodeRef::Alias(alias) => match &alias.asname {
                Some(asname) => self.is(Some(asname)),
                None => alias.name.as_str().split('.').next() == Some(self.name),
            },
            AnyNodeRef::StmtGlobal(global) => global.names.iter().any(|n| self.is(Some(n))),
            AnyNodeRef::StmtNonlocal(nonlocal) => nonlocal.names.iter().any(|n| self.is(Some(n))),
            AnyNodeRef::ExceptHandlerExceptHandler(handler) => self.is(handler.name.as_ref()),
            AnyNodeRef::PatternMatchAs(pattern) => self.is(pattern.name.as_ref()),
            AnyNodeRef::PatternMatchStar(pattern) => self.is(pattern.name.as_ref()),
            AnyNodeRef::PatternMatchMapping(pattern) => self.is(pattern.rest.as_ref()),
            AnyNodeRef::TypeParamTypeVar(param) => self.is(Some(&param.name)),
            AnyNodeRef::TypeParamTypeVarTuple(param) => self.is(Some(&param.name)),
            AnyNodeRef::TypeParamParamSpec(param) => self.is(Some(&param.name)),
            _ => false,
        };
        self.other |= other;
        TraversalSignal::Traverse
    }
}
