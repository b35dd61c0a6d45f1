//! CA503 cache-call-in-loop: one cache round trip per item where one batched call would
//! do. One finding per loop and operation.

use ruff_python_ast::helpers::any_over_expr;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, TraversalSignal};
use ruff_python_ast::{AnyNodeRef, Expr, ExprCall, ExprContext, Identifier, Stmt};
use ruff_python_parser::{lexer, Mode};
use ruff_text_size::{Ranged, TextRange};

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::facts::{CacheCall, CacheOp};
use crate::fix::FixContext;
use crate::index::FileEntry;
use crate::key_lifecycle::is_scheduled_job;

pub const RULE: Rule = Rule {
    code: "CA503",
    name: "cache-call-in-loop",
    severity: Severity::Opportunity,
    help: "Collect the keys first and make one `get_many`, `set_many` or `delete_many` call.",
    doc: include_str!("../../rules/CA503.md"),
    check,
    fix: Some(fix),
};

/// Each call of a group is one round trip a batched call saves.
const BENEFIT_PER_CALL: u32 = 2;

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut loops: Vec<Vec<(&FileEntry, &CacheCall, CacheOp, bool)>> = Vec::new();
    for (file, call) in context.index.cache_calls() {
        let Some(per_item) = &call.per_item else {
            continue;
        };
        let Some((op, is_async)) = CacheOp::from_method(&call.method) else {
            continue;
        };
        let same_loop = loops.iter_mut().find(|group| {
            let (first_file, first, _, _) = group[0];
            first_file.path == file.path
                && first.function == call.function
                && first.per_item.as_ref().map(|p| p.loop_line) == Some(per_item.loop_line)
        });
        match same_loop {
            Some(group) => group.push((file, call, op, is_async)),
            None => loops.push(vec![(file, call, op, is_async)]),
        }
    }
    let mut violations = Vec::new();
    for group in &loops {
        let (file, first, _, _) = group[0];
        let why = if is_scheduled_job(&file.path) || is_migration(&file.path) {
            Some("a migration, task or management command runs once, off the request path")
        } else if first.per_item.as_ref().is_some_and(|p| p.few_fixed_items) {
            Some("the loop walks a few fixed items")
        } else if group
            .iter()
            .any(|(_, call, _, _)| call.per_item.as_ref().is_some_and(|p| p.in_with))
        {
            Some("each item's call runs inside a `with` block (a per-item lock)")
        } else if depends_on_earlier_call(group) {
            Some("each item's call depends on another call for the same key")
        } else {
            None
        };
        if let Some(why) = why {
            context.note_unknown(RULE.code, why);
            continue;
        }
        for op in [CacheOp::Get, CacheOp::Set, CacheOp::Delete] {
            let calls: Vec<&(&FileEntry, &CacheCall, CacheOp, bool)> =
                group.iter().filter(|(_, _, o, _)| *o == op).collect();
            if let Some(violation) = violation(&calls, op) {
                violations.push(violation);
            }
        }
    }
    violations
}

fn is_migration(path: &str) -> bool {
    path.starts_with("migrations/") || path.contains("/migrations/")
}

/// A read and a delete (or a `touch`, `add`, `incr`) of the same key in one loop: an
/// ownership check or a lock, which a batched call cannot replace.
fn depends_on_earlier_call(group: &[(&FileEntry, &CacheCall, CacheOp, bool)]) -> bool {
    let key = |call: &CacheCall| call.keys.first().map(|key| key.text.clone());
    group.iter().any(|(_, read, read_op, _)| {
        *read_op == CacheOp::Get
            && group.iter().any(|(_, other, op, _)| {
                !matches!(op, CacheOp::Get | CacheOp::Set) && key(other) == key(read)
            })
    })
}

fn violation(calls: &[&(&FileEntry, &CacheCall, CacheOp, bool)], op: CacheOp) -> Option<Violation> {
    let (file, first, _, is_async) = **calls.first()?;
    let batched = match op {
        CacheOp::Get => "get_many(keys)",
        CacheOp::Set => "set_many({key: value, ...})",
        CacheOp::Delete => "delete_many(keys)",
        _ => return None,
    };
    let prefix = if is_async { "await " } else { "" };
    let batched = if is_async {
        format!("a{batched}")
    } else {
        batched.to_string()
    };
    let mut keys: Vec<String> = Vec::new();
    for (_, call, _, _) in calls {
        let text = call.keys.first().map_or("?", |key| key.text.as_str());
        let described = format!("`{text}` (line {})", call.span.line);
        if !keys.contains(&described) {
            keys.push(described);
        }
    }
    let loop_line = first
        .per_item
        .as_ref()
        .map_or(first.span.line, |p| p.loop_line);
    let calls_described = match calls.len() {
        1 => format!("`{}.{}()` runs", first.receiver, first.method),
        n => format!("{n} `{}.{}()` calls run", first.receiver, first.method),
    };
    Some(Violation {
        fix_anchor: None,
        severity: None,
        benefit: BENEFIT_PER_CALL * calls.len() as u32,
        detail: Some(format!(
            "the loop at line {loop_line} makes one round trip per item for the keys {}, which change with each item; batched, it makes one in all",
            keys.join(", ")
        )),
        path: file.path.clone(),
        span: first.span.clone(),
        message: format!(
            "{calls_described} once per item of the loop at line {loop_line}; collect the keys and call `{prefix}{}.{batched}` once",
            first.receiver
        ),
    })
}

/// Names that read the scope they are called in, which a comprehension's own scope changes.
const SCOPE_READERS: &[&str] = &["super", "locals", "vars", "eval", "exec", "dir"];

/// A `for` loop whose body is one `cache.set(key, value[, timeout])` statement becomes one
/// `cache.set_many({key: value for target in iterable}[, timeout])` statement (and
/// `cache.delete(key)` one `cache.delete_many([key for target in iterable])`; `await
/// cache.aset(...)` one `await cache.aset_many(...)`). Unsafe: one round trip instead of
/// one per item, so a failure part way now writes none of the items, and every key and
/// value is computed before any is written.
fn fix(context: &FixContext, diagnostic: &Diagnostic) -> Option<Fix> {
    let range = context.range(&diagnostic.span)?;
    let Expr::Call(call) = context.expr_at(range)? else {
        return None;
    };
    let path = context.path_to(range);
    let at = path
        .iter()
        .rposition(|node| node.ptr_eq(AnyNodeRef::from(call)))?;
    // The statement: `cache.set(...)` or `await cache.aset(...)`, alone in a `for` body.
    let (awaited, statement_at) = match path[..at].last()? {
        AnyNodeRef::ExprAwait(_) => (true, at.checked_sub(2)?),
        _ => (false, at.checked_sub(1)?),
    };
    let AnyNodeRef::StmtExpr(statement) = path[statement_at] else {
        return None;
    };
    let AnyNodeRef::StmtFor(for_loop) = *path[..statement_at].last()? else {
        return None;
    };
    let [only] = for_loop.body.as_slice() else {
        return None;
    };
    if !AnyNodeRef::from(only).ptr_eq(AnyNodeRef::from(statement)) || !for_loop.orelse.is_empty() {
        return None;
    }
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let (method_name, is_set) = match method.attr.as_str() {
        "set" if !awaited => ("set_many", true),
        "aset" if awaited => ("aset_many", true),
        "delete" if !awaited => ("delete_many", false),
        "adelete" if awaited => ("adelete_many", false),
        _ => return None,
    };
    let arguments = Arguments::read(call, is_set)?;
    let targets = target_names(&for_loop.target)?;
    let receiver = method.value.as_ref();
    let receiver_root = stable_root(receiver)?;
    let uses = |expr: &Expr, names: &[&str]| {
        any_over_expr(
            expr,
            |e| matches!(e, Expr::Name(name) if names.contains(&name.id.as_str())),
        )
    };
    // Evaluated once instead of once per item: neither may change with the item.
    if uses(receiver, &targets)
        || arguments
            .rest
            .iter()
            .any(|(_, expr)| uses(expr, &targets) || !is_plain(expr, receiver_root))
    {
        return None;
    }
    // Evaluated per item as before, but all before the one write: none may read the
    // cache the loop writes, nor need the scope a comprehension has its own of.
    if arguments
        .per_item()
        .any(|expr| !is_plain(expr, receiver_root))
    {
        return None;
    }
    // CA101 does not look into a comprehension's values: a QuerySet stored per item gets
    // its `list(...)` first, and the loop is batched on the next pass.
    if arguments
        .value
        .is_some_and(super::ca101_queryset_cached_unevaluated::is_queryset_expr)
    {
        return None;
    }
    let iterable = iterable_text(context, &for_loop.iter)?;
    let scope = enclosing_scope(context, &path[..statement_at - 1])?;
    if used_outside(scope, &targets, for_loop.range) {
        return None;
    }
    let loop_end = context.next_line_start(for_loop.range.end());
    let loop_text = &context.source[usize::from(for_loop.range.start())..usize::from(loop_end)];
    let indentation = context.indentation(for_loop.range.start());
    if has_comment(loop_text)
        || has_trailing_comment(&context.source[usize::from(loop_end)..], indentation)
    {
        return None;
    }
    let for_keyword = if for_loop.is_async {
        "async for"
    } else {
        "for"
    };
    let target = context.text(&*for_loop.target);
    let key = context.text(arguments.key);
    let batch = match arguments.value {
        Some(value) => format!(
            "{{{key}: {} {for_keyword} {target} in {iterable}}}",
            context.text(value)
        ),
        None => format!("[{key} {for_keyword} {target} in {iterable}]"),
    };
    let mut replacement = format!(
        "{}{}.{method_name}({batch}",
        if awaited { "await " } else { "" },
        context.text(receiver)
    );
    for (keyword, expr) in &arguments.rest {
        replacement.push_str(", ");
        if let Some(keyword) = keyword {
            replacement.push_str(keyword);
            replacement.push('=');
        }
        replacement.push_str(context.text(*expr));
    }
    replacement.push(')');
    Some(Fix::unsafe_edits(
        format!(
            "Replace the loop with one `{}.{method_name}()` call",
            context.text(receiver)
        ),
        vec![context.replace(for_loop.range, replacement)],
    ))
}

/// A `set`'s or `delete`'s arguments: key, value (for `set`), and the timeout and version
/// that follow, each with its keyword if passed by one.
struct Arguments<'a> {
    key: &'a Expr,
    value: Option<&'a Expr>,
    rest: Vec<(Option<&'static str>, &'a Expr)>,
}

impl<'a> Arguments<'a> {
    fn read(call: &'a ExprCall, is_set: bool) -> Option<Self> {
        let names: &[&'static str] = if is_set {
            &["key", "value", "timeout", "version"]
        } else {
            &["key", "version"]
        };
        let args = &call.arguments.args;
        if args.len() > names.len() || args.iter().any(Expr::is_starred_expr) {
            return None;
        }
        let mut given: Vec<(&'static str, Option<&'static str>, &'a Expr)> = names
            .iter()
            .zip(args.iter())
            .map(|(name, arg)| (*name, None, arg))
            .collect();
        for keyword in &call.arguments.keywords {
            // `**options`, or a keyword `set_many` may not take.
            let name = names.iter().find(|name| {
                keyword
                    .arg
                    .as_ref()
                    .is_some_and(|arg| arg.as_str() == **name)
            })?;
            if given.iter().any(|(given, _, _)| given == name) {
                return None;
            }
            given.push((name, Some(*name), &keyword.value));
        }
        let find = |name: &str| {
            given
                .iter()
                .position(|(given, _, _)| *given == name)
                .map(|index| (index, given[index].2))
        };
        let (key_at, key) = find("key")?;
        let value = if is_set {
            let (value_at, value) = find("value")?;
            // Keywords run in the order written; the comprehension computes the key first.
            if value_at < key_at {
                return None;
            }
            Some(value)
        } else {
            None
        };
        // In the order written, which is the order they run in.
        let rest = given
            .iter()
            .filter(|(name, _, _)| !matches!(*name, "key" | "value"))
            .map(|(_, keyword, expr)| (*keyword, *expr))
            .collect();
        Some(Arguments { key, value, rest })
    }

    fn per_item(&self) -> impl Iterator<Item = &'a Expr> + '_ {
        std::iter::once(self.key).chain(self.value)
    }
}

/// The names a loop target binds: a name, or a tuple of names (nested ones too).
fn target_names(target: &Expr) -> Option<Vec<&str>> {
    match target {
        Expr::Name(name) => Some(vec![name.id.as_str()]),
        Expr::Tuple(tuple) => {
            let mut names = Vec::new();
            for element in &tuple.elts {
                names.extend(target_names(element)?);
            }
            Some(names)
        }
        _ => None,
    }
}

/// The name a receiver starts from, when evaluating it once is the same as once per item:
/// a name, an attribute of one, or a subscript with a literal (`caches["default"]`).
fn stable_root(receiver: &Expr) -> Option<&str> {
    match receiver {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => stable_root(&attribute.value),
        Expr::Subscript(subscript)
            if subscript.slice.is_string_literal_expr()
                || subscript.slice.is_number_literal_expr() =>
        {
            stable_root(&subscript.value)
        }
        _ => None,
    }
}

/// An expression the batched call may compute where the loop did: no `await`, `yield`,
/// `:=` or lambda, no use of the receiver's name (a read of the cache being written), and
/// none of the builtins that read the calling scope.
fn is_plain(expr: &Expr, receiver_root: &str) -> bool {
    !any_over_expr(expr, |e| match e {
        Expr::Await(_) | Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Named(_) | Expr::Lambda(_) => {
            true
        }
        Expr::Name(name) => {
            let id = name.id.as_str();
            id == receiver_root || SCOPE_READERS.contains(&id)
        }
        _ => false,
    })
}

/// The iterable as a comprehension can take it: a conditional expression or a tuple
/// without parentheses gets them; one holding `await`, `yield` or `:=` is not taken.
fn iterable_text(context: &FixContext, iterable: &Expr) -> Option<String> {
    let only_in_place = |e: &Expr| {
        matches!(
            e,
            Expr::Await(_) | Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Named(_) | Expr::Lambda(_)
        )
    };
    if any_over_expr(iterable, only_in_place) || iterable.is_starred_expr() {
        return None;
    }
    let text = context.text(iterable);
    Some(match iterable {
        Expr::If(_) => format!("({text})"),
        Expr::Tuple(tuple) if !tuple.parenthesized => format!("({text})"),
        _ => text.to_string(),
    })
}

/// The statements of the function (or module) whose scope the loop binds its target in;
/// `None` in a class body, whose names a comprehension cannot see.
fn enclosing_scope<'a>(context: &FixContext<'a>, above: &[AnyNodeRef<'a>]) -> Option<&'a [Stmt]> {
    for node in above.iter().rev() {
        match node {
            AnyNodeRef::StmtFunctionDef(def) => return Some(&def.body),
            AnyNodeRef::StmtClassDef(_) | AnyNodeRef::ExprLambda(_) => return None,
            _ => {}
        }
    }
    Some(&context.module.body)
}

/// Whether any of `names` is read, deleted or declared `global`/`nonlocal` in `scope`
/// outside `range`: the loop leaves its target bound, a comprehension does not.
fn used_outside(scope: &[Stmt], names: &[&str], range: TextRange) -> bool {
    struct Finder<'n> {
        names: &'n [&'n str],
        range: TextRange,
        found: bool,
    }
    impl<'a> SourceOrderVisitor<'a> for Finder<'_> {
        fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
            if self.found || self.range.contains_range(node.range()) {
                return TraversalSignal::Skip;
            }
            let is = |name: &Identifier| self.names.contains(&name.as_str());
            self.found = match node {
                AnyNodeRef::ExprName(name) => {
                    self.names.contains(&name.id.as_str())
                        && !matches!(name.ctx, ExprContext::Store)
                }
                AnyNodeRef::StmtGlobal(global) => global.names.iter().any(is),
                AnyNodeRef::StmtNonlocal(nonlocal) => nonlocal.names.iter().any(is),
                _ => false,
            };
            TraversalSignal::Traverse
        }
    }
    let mut finder = Finder {
        names,
        range,
        found: false,
    };
    for stmt in scope {
        finder.visit_stmt(stmt);
    }
    finder.found
}

/// Whether the loop's text holds a comment, which replacing it would drop.
fn has_comment(text: &str) -> bool {
    let mut lexer = lexer::lex(text, Mode::Module);
    loop {
        match lexer.next_token() {
            TokenKind::Comment => return true,
            TokenKind::EndOfFile => return false,
            _ => {}
        }
    }
}

/// Whether comment lines indented under the loop follow its last statement (before the
/// next line of code): they belong to the loop, and would be left dangling.
fn has_trailing_comment(after: &str, indentation: &str) -> bool {
    for line in after.lines() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.trim_end().is_empty() {
            continue;
        }
        if !trimmed.starts_with('#') {
            return false;
        }
        if line.len() - trimmed.len() > indentation.len() {
            return true;
        }
    }
    false
}
