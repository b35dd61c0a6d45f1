//! Filesystem paths a settings module builds from its own location
//! (`BASE_DIR = Path(__file__).resolve().parent.parent`, `BASE_DIR / "templates"`), so
//! that `TEMPLATES[...]["DIRS"]` can be found in the tree.

use ruff_python_ast::{self as ast, Expr};
use serde::{Deserialize, Serialize};

use super::eval::{qualified_name, string_literal};
use super::scope::Env;

/// A path relative to the settings file: `up` directories above it (1 is its own
/// directory), then `parts` below; or, for a relative string literal (resolved from the
/// directory `manage.py` runs in), relative to the analysed root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelativePath {
    pub up: usize,
    pub parts: Vec<String>,
    pub from_root: bool,
}

impl RelativePath {
    /// The path relative to the analysed root, given the settings file's relative path;
    /// `None` when it climbs above the root.
    pub fn resolve(&self, settings_file: &str) -> Option<String> {
        if self.from_root {
            return Some(self.parts.join("/"));
        }
        let mut parts: Vec<&str> = settings_file.split('/').collect();
        for _ in 0..self.up {
            parts.pop()?;
        }
        parts.extend(self.parts.iter().map(String::as_str));
        Some(parts.join("/"))
    }
}

const PATH_CONSTRUCTORS: &[&str] = &[
    "pathlib.Path",
    "pathlib.PurePath",
    "os.path.abspath",
    "os.path.realpath",
];
const DIRNAME: &str = "os.path.dirname";
const JOIN: &str = "os.path.join";

/// The path `expr` builds from `__file__`, looking names up in `known`.
pub fn relative_path(
    expr: &Expr,
    env: &Env<'_>,
    known: &[(String, RelativePath)],
) -> Option<RelativePath> {
    match expr {
        Expr::Name(name) if name.id.as_str() == "__file__" => Some(RelativePath {
            up: 0,
            parts: Vec::new(),
            from_root: false,
        }),
        Expr::Name(name) => known
            .iter()
            .rev()
            .find(|(known, _)| known == name.id.as_str())
            .map(|(_, path)| path.clone()),
        Expr::Attribute(attribute) if attribute.attr.as_str() == "parent" => {
            relative_path(&attribute.value, env, known).map(up_one)
        }
        Expr::BinOp(binop) if matches!(binop.op, ast::Operator::Div) => {
            let mut path = relative_path(&binop.left, env, known)?;
            path.parts.push(string_literal(&binop.right)?);
            Some(path)
        }
        Expr::Call(call) => {
            // `Path(__file__).resolve()`, `.absolute()`: the same place.
            if let Expr::Attribute(method) = call.func.as_ref() {
                if matches!(method.attr.as_str(), "resolve" | "absolute") {
                    return relative_path(&method.value, env, known);
                }
            }
            let function = qualified_name(&call.func, env)?;
            let first = call.arguments.args.first()?;
            match function.as_str() {
                DIRNAME => relative_path(first, env, known).map(up_one),
                JOIN => {
                    let mut path = relative_path(first, env, known)?;
                    for part in &call.arguments.args[1..] {
                        path.parts.push(string_literal(part)?);
                    }
                    Some(path)
                }
                name if PATH_CONSTRUCTORS.contains(&name) => relative_path(first, env, known),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `"templates"` or `"frontend/pages"`; absolute paths cannot be found in the tree.
fn relative_literal(text: &str) -> Option<RelativePath> {
    if text.starts_with('/') || text.contains("..") || text.is_empty() {
        return None;
    }
    Some(RelativePath {
        up: 0,
        parts: text
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .map(str::to_string)
            .collect(),
        from_root: true,
    })
}

/// One directory up: drops a part, or climbs above the file.
fn up_one(mut path: RelativePath) -> RelativePath {
    if path.parts.pop().is_none() {
        path.up += 1;
    }
    path
}

/// The `DIRS` of each engine in a `TEMPLATES = [...]` literal.
pub fn template_dirs(
    value: &Expr,
    env: &Env<'_>,
    known: &[(String, RelativePath)],
) -> Vec<RelativePath> {
    let Expr::List(engines) = value else {
        return Vec::new();
    };
    let mut dirs = Vec::new();
    for engine in &engines.elts {
        let Expr::Dict(engine) = engine else { continue };
        for item in &engine.items {
            let is_dirs = item
                .key
                .as_ref()
                .and_then(string_literal)
                .is_some_and(|k| k == "DIRS");
            let (true, Expr::List(list)) = (is_dirs, &item.value) else {
                continue;
            };
            dirs.extend(list.elts.iter().filter_map(|dir| match dir {
                Expr::StringLiteral(literal) => relative_literal(literal.value.to_str()),
                other => relative_path(other, env, known),
            }));
        }
    }
    dirs
}
