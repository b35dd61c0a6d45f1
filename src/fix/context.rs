//! What a fix reads: one file's text and syntax tree, and ways to find the nodes a
//! finding points at.

use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, TraversalSignal};
use ruff_python_ast::{AnyNodeRef, Expr, ModModule};
use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::edit::{line_ending, Edit};
use crate::facts::span::Span;

pub struct FixContext<'a> {
    pub source: &'a str,
    pub module: &'a ModModule,
    /// The file's line ending, for inserted lines.
    pub newline: &'static str,
    index: LineIndex,
}

impl<'a> FixContext<'a> {
    pub fn new(source: &'a str, module: &'a ModModule) -> Self {
        FixContext {
            source,
            module,
            newline: line_ending(source),
            index: LineIndex::from_source_text(source),
        }
    }

    /// The byte offset of a 1-based line and column (in characters), as spans give them.
    fn offset(&self, line: usize, column: usize) -> Option<TextSize> {
        let line = OneIndexed::new(line)?;
        if line.get() > self.index.line_count() {
            return None;
        }
        let range = self.index.line_range(line, self.source);
        let text = &self.source[range];
        let within = match text.char_indices().nth(column.checked_sub(1)?) {
            Some((at, _)) => at,
            None if column - 1 == text.chars().count() => text.len(),
            None => return None,
        };
        Some(range.start() + TextSize::try_from(within).ok()?)
    }

    /// The byte range a finding's span covers, if the file still holds that line.
    pub fn range(&self, span: &Span) -> Option<TextRange> {
        let start = self.offset(span.line, span.column)?;
        let end = self.offset(span.end_line, span.end_column)?;
        let line = self
            .index
            .line_range(OneIndexed::new(span.line)?, self.source);
        let same_line = self.source[line].trim_end_matches(['\n', '\r']) == &*span.source_line;
        (start <= end && same_line).then(|| TextRange::new(start, end))
    }

    /// The nodes enclosing `range`, from the module's statements inwards: the last is
    /// the innermost, `range` itself when a node has exactly that range.
    pub fn path_to(&self, range: TextRange) -> Vec<AnyNodeRef<'a>> {
        let mut finder = Enclosing {
            range,
            path: Vec::new(),
        };
        for stmt in &self.module.body {
            finder.visit_stmt(stmt);
        }
        finder.path
    }

    /// The expression with exactly this range (the outermost, when nested ones share it).
    pub fn expr_at(&self, range: TextRange) -> Option<&'a Expr> {
        let mut finder = ExprAt { range, found: None };
        for stmt in &self.module.body {
            finder.visit_stmt(stmt);
        }
        finder.found
    }

    pub fn text(&self, node: &impl Ranged) -> &'a str {
        &self.source[node.range()]
    }

    /// The 1-based number of the line holding `offset`, as spans count lines.
    pub fn line_number(&self, offset: TextSize) -> usize {
        self.index.line_index(offset).get()
    }

    /// The offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: TextSize) -> TextSize {
        self.index
            .line_start(self.index.line_index(offset), self.source)
    }

    /// The offset where the line after the one holding `offset` starts (the end of the
    /// file on its last line).
    pub fn next_line_start(&self, offset: TextSize) -> TextSize {
        let line = self.index.line_index(offset);
        let range = self.index.line_range(line, self.source);
        range.end()
    }

    /// The whitespace the line holding `offset` starts with.
    pub fn indentation(&self, offset: TextSize) -> &'a str {
        let start = usize::from(self.line_start(offset));
        let line = &self.source[start..];
        let width = line.len() - line.trim_start_matches([' ', '\t']).len();
        &line[..width]
    }

    pub fn replace(&self, range: TextRange, content: impl Into<String>) -> Edit {
        Edit::new(
            self.source,
            range.start().into(),
            range.end().into(),
            content,
        )
    }

    pub fn insert(&self, at: TextSize, content: impl Into<String>) -> Edit {
        Edit::insertion(self.source, at.into(), content)
    }
}

/// Collects the nodes whose ranges hold the wanted one.
struct Enclosing<'a> {
    range: TextRange,
    path: Vec<AnyNodeRef<'a>>,
}

impl<'a> SourceOrderVisitor<'a> for Enclosing<'a> {
    fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
        if node.range().contains_range(self.range) {
            self.path.push(node);
            TraversalSignal::Traverse
        } else {
            TraversalSignal::Skip
        }
    }
}

/// Finds the outermost expression with exactly the wanted range.
struct ExprAt<'a> {
    range: TextRange,
    found: Option<&'a Expr>,
}

impl<'a> SourceOrderVisitor<'a> for ExprAt<'a> {
    fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
        if self.found.is_none() && node.range().contains_range(self.range) {
            TraversalSignal::Traverse
        } else {
            TraversalSignal::Skip
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found.is_none() && expr.range() == self.range {
            self.found = Some(expr);
            return;
        }
        ruff_python_ast::visitor::source_order::walk_expr(self, expr);
    }
}
