//! Adding `from module import name` for a fix, once, in the file's style: into an existing
//! import from that module, else beside the file's other `from django...` imports, in
//! sorted place.

use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::{Expr, Stmt, StmtImportFrom};
use ruff_text_size::{Ranged, TextSize};

use super::FixContext;
use crate::edit::Edit;

/// What making `name` available takes.
pub enum Import {
    /// The module-level `from module import name` is there already.
    Present,
    Add(Edit),
}

/// How to import `name` from `module` at the top of the file, for a use at `used_at`;
/// `None` when the file binds that name otherwise at module level (in a `try:` or `if`
/// too), which an import would shadow or which would shadow it, or when the import could
/// only go below the use, where it would run too late.
pub fn from_import(
    context: &FixContext,
    module: &str,
    name: &str,
    used_at: TextSize,
) -> Option<Import> {
    let body = &context.module.body;
    let mut same_module: Option<&StmtImportFrom> = None;
    // The one module-level `from module import name`, if there is one.
    let mut present: Option<&StmtImportFrom> = None;
    for stmt in body {
        match stmt {
            Stmt::ImportFrom(import) => {
                let is_module = import.level == 0
                    && import.module.as_ref().is_some_and(|m| m.as_str() == module);
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    if bound.as_str() == name {
                        if !is_module || alias.name.as_str() != name || present.is_some() {
                            return None;
                        }
                        present = Some(import);
                    }
                }
                let is_star = import.names.iter().any(|alias| alias.name.as_str() == "*");
                if is_module && !is_star && same_module.is_none() {
                    same_module = Some(import);
                }
            }
            _ => {
                let mut nested = NestedBinding { name, found: false };
                nested.visit_stmt(stmt);
                if nested.found {
                    return None;
                }
            }
        }
    }
    let above = |stmt: &dyn Ranged| stmt.end() <= used_at;
    if let Some(import) = present {
        // It must run before the use.
        return above(import).then_some(Import::Present);
    }
    if let Some(import) = same_module {
        let last = import.names.last()?;
        return above(import)
            .then(|| Import::Add(context.insert(last.range().end(), format!(", {name}"))));
    }
    let place = new_import_place(context, module);
    if place > context.line_start(used_at) {
        return None;
    }
    let mut line = format!("from {module} import {name}{}", context.newline);
    // After a last line with no line ending, the import starts a line of its own.
    if usize::from(place) == context.source.len() && !context.source.ends_with('\n') {
        line.insert_str(0, context.newline);
    }
    Some(Import::Add(context.insert(place, line)))
}

/// Whether a statement binds `name` as a `def`, `class` or import.
fn binds(stmt: &Stmt, name: &str) -> bool {
    match stmt {
        Stmt::FunctionDef(def) => def.name.as_str() == name,
        Stmt::ClassDef(class) => class.name.as_str() == name,
        Stmt::Import(import) => import.names.iter().any(|alias| {
            alias.asname.as_ref().map_or_else(
                || alias.name.as_str().split('.').next() == Some(name),
                |asname| asname.as_str() == name,
            )
        }),
        Stmt::ImportFrom(import) => import
            .names
            .iter()
            .any(|alias| alias.asname.as_ref().unwrap_or(&alias.name).as_str() == name),
        _ => false,
    }
}

/// Finds a binding of the name by a module-level statement, or one inside a module-level
/// `try:`, `if`, `with`, loop or `match` (not in functions and classes, which have scopes
/// of their own).
struct NestedBinding<'n> {
    name: &'n str,
    found: bool,
}

impl<'a> StatementVisitor<'a> for NestedBinding<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.found {
            return;
        }
        let loop_or_with_target = match stmt {
            Stmt::For(for_loop) => names_in(&for_loop.target, self.name),
            Stmt::With(with) => with.items.iter().any(|item| {
                item.optional_vars
                    .as_deref()
                    .is_some_and(|vars| names_in(vars, self.name))
            }),
            Stmt::AnnAssign(assign) => names_in(&assign.target, self.name),
            Stmt::Assign(assign) => assign.targets.iter().any(|t| names_in(t, self.name)),
            _ => false,
        };
        self.found = loop_or_with_target || binds(stmt, self.name);
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            walk_stmt(self, stmt);
        }
    }
}

/// Whether an assignment target binds `name` (in a tuple or list of targets too).
fn names_in(target: &Expr, name: &str) -> bool {
    match target {
        Expr::Name(target) => target.id.as_str() == name,
        Expr::Tuple(tuple) => tuple.elts.iter().any(|elt| names_in(elt, name)),
        Expr::List(list) => list.elts.iter().any(|elt| names_in(elt, name)),
        Expr::Starred(starred) => names_in(&starred.value, name),
        _ => false,
    }
}

/// Where a new `from module import ...` line goes: before the first module-level
/// `from django...` import that sorts after it, else after the last of them, else after
/// the last import of the file's leading imports, else after its docstring.
fn new_import_place(context: &FixContext, module: &str) -> TextSize {
    let body = &context.module.body;
    let django_imports: Vec<&StmtImportFrom> =
        body.iter()
            .filter_map(Stmt::as_import_from_stmt)
            .filter(|import| {
                import.level == 0
                    && import.module.as_ref().is_some_and(|m| {
                        m.as_str() == "django" || m.as_str().starts_with("django.")
                    })
            })
            .collect();
    if let Some(after) = django_imports
        .iter()
        .find(|import| import.module.as_ref().is_some_and(|m| m.as_str() > module))
    {
        return context.line_start(after.range().start());
    }
    if let Some(last) = django_imports.last() {
        return context.next_line_start(last.range().end());
    }
    let leading_imports = body
        .iter()
        .skip_while(|stmt| is_docstring(stmt))
        .take_while(|stmt| matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)))
        .last();
    if let Some(last) = leading_imports {
        return context.next_line_start(last.range().end());
    }
    match body.first() {
        Some(first) if is_docstring(first) => context.next_line_start(first.range().end()),
        _ => TextSize::default(),
    }
}

fn is_docstring(stmt: &Stmt) -> bool {
    stmt.as_expr_stmt()
        .is_some_and(|expr| expr.value.is_string_literal_expr())
}
