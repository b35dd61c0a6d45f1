//! A finding, ready to report.

use serde::Serialize;

use crate::edit::Fix;
use crate::facts::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// A place where caching would help: reported, but not a failure unless asked.
    Opportunity,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Opportunity => "opportunity",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: &'static str,
    /// Relative to the analysed root, with `/` separators.
    pub path: String,
    pub span: Span,
    /// Why the finding was chosen (the query, the view, the path that reaches it), shown
    /// under `--verbose`.
    pub detail: Option<String>,
    /// An opportunity's estimated worth, by which reports rank opportunities (most
    /// valuable first); 0 for problems.
    pub benefit: u32,
    /// The line of the code its fix must edit, when that is not the finding's own.
    pub fix_anchor: Option<usize>,
    /// The edits that resolve it, when its rule has a fix for it.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// Report order: path, line, column, code.
    pub fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.span.line, self.span.column, self.code)
    }
}
