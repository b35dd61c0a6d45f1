//! Adding `from module import name` for a fix, once, in the file's style: into an existing
//! import from that module, else beside the file's other `from django...` imports, in
//! sorted place.

use ruff_python_ast::{Stmt, StmtImportFrom};
use ruff_text_size::{Ranged, TextSize};

use super::FixContext;
use crate::edit::Edit;

/// What making `name` available takes.
pub enum Import {
    /// The module-level `from module import name` is there already.
    Present,
    Add(Edit),
}

/// How to import `name` from `module` at the top of the file; `None` when the file binds
/// that name to something else at module level, which an import would shadow.
pub fn from_import(context: &FixContext, module: &str, name: &str) -> Option<Import> {
    let body = &context.module.body;
    let mut same_module: Option<&StmtImportFrom> = None;
    for stmt in body {
        match stmt {
            Stmt::ImportFrom(import) => {
                let is_module = import.level == 0
                    && import.module.as_ref().is_some_and(|m| m.as_str() == module);
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    if bound.as_str() == name {
                        return (is_module && alias.name.as_str() == name)
                            .then_some(Import::Present);
                    }
                }
                let is_star = import.names.iter().any(|alias| alias.name.as_str() == "*");
                if is_module && !is_star && same_module.is_none() {
                    same_module = Some(import);
                }
            }
            Stmt::Import(import) => {
                let binds = import.names.iter().any(|alias| {
                    alias.asname.as_ref().map_or_else(
                        || alias.name.as_str().split('.').next() == Some(name),
                        |asname| asname.as_str() == name,
                    )
                });
                if binds {
                    return None;
                }
            }
            Stmt::FunctionDef(def) if def.name.as_str() == name => return None,
            Stmt::ClassDef(class) if class.name.as_str() == name => return None,
            Stmt::Assign(assign)
                if assign.targets.iter().any(|target| {
                    target
                        .as_name_expr()
                        .is_some_and(|target| target.id.as_str() == name)
                }) =>
            {
                return None
            }
            _ => {}
        }
    }
    if let Some(import) = same_module {
        let last = import.names.last()?;
        return Some(Import::Add(
            context.insert(last.range().end(), format!(", {name}")),
        ));
    }
    let place = new_import_place(context, module);
    let mut line = format!("from {module} import {name}{}", context.newline);
    // After a last line with no line ending, the import starts a line of its own.
    if usize::from(place) == context.source.len() && !context.source.ends_with('\n') {
        line.insert_str(0, context.newline);
    }
    Some(Import::Add(context.insert(place, line)))
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
