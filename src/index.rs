//! The project index: every file's facts merged once, with the project-wide lookups the
//! rules share (which attributes are managers, what project functions return, what the
//! settings say). Rules read it; they never walk files.

use std::collections::{HashMap, HashSet};

use crate::facts::settings::CacheSetting;
use crate::facts::shape::{CallableKind, ManagerOrigin, Shape, Unpicklable};
use crate::facts::span::Span;
use crate::facts::{CacheCall, FileFacts, FunctionSummary};

pub struct FileEntry {
    /// Relative to the analysed root, with `/` separators.
    pub path: String,
    pub facts: FileFacts,
}

pub struct ProjectIndex {
    pub files: Vec<FileEntry>,
    /// Every dotted suffix of at least two parts of each function's name, so that
    /// `blog.services.recent` finds `mysite.blog.services.recent` too.
    functions: HashMap<String, Vec<(usize, usize)>>,
    manager_attributes: HashSet<String>,
}

/// A value a rule may object to, found inside what a cache call stores.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLeaf {
    pub kind: LeafKind,
    /// Where to report it: the element of a literal container, or the argument itself.
    pub span: Span,
    /// The project function call it comes from, e.g. `recent_posts()`.
    pub via: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LeafKind {
    QuerySet(String),
    Unpicklable(String),
}

const MAX_RESOLVE_DEPTH: usize = 8;

impl ProjectIndex {
    pub fn build(mut files: Vec<FileEntry>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut functions: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        let mut manager_attributes = HashSet::new();
        for (file_index, file) in files.iter().enumerate() {
            for (function_index, function) in file.facts.functions.iter().enumerate() {
                for suffix in dotted_suffixes(&function.qualified_name) {
                    functions
                        .entry(suffix.to_string())
                        .or_default()
                        .push((file_index, function_index));
                }
            }
            manager_attributes.extend(file.facts.manager_attributes.iter().cloned());
        }
        ProjectIndex {
            files,
            functions,
            manager_attributes,
        }
    }

    pub fn cache_calls(&self) -> impl Iterator<Item = (&FileEntry, &CacheCall)> {
        self.files
            .iter()
            .flat_map(|file| file.facts.cache_calls.iter().map(move |call| (file, call)))
    }

    /// Every `CACHES` alias entry in the project, with the file that sets it.
    pub fn cache_settings(&self, alias: &str) -> Vec<(&str, &CacheSetting)> {
        self.files
            .iter()
            .flat_map(|file| {
                file.facts
                    .cache_settings
                    .iter()
                    .filter(move |setting| setting.alias == alias)
                    .map(move |setting| (file.path.as_str(), setting))
            })
            .collect()
    }

    /// The function a dotted name refers to, when exactly one project function matches.
    pub fn function(&self, qualified_name: &str) -> Option<&FunctionSummary> {
        match self.functions.get(qualified_name)?.as_slice() {
            [(file, function)] => Some(&self.files[*file].facts.functions[*function]),
            _ => None,
        }
    }

    fn is_manager(&self, origin: &ManagerOrigin) -> bool {
        match origin {
            ManagerOrigin::Django => true,
            ManagerOrigin::ProjectAttribute(attr) => self.manager_attributes.contains(attr),
        }
    }

    /// The QuerySets and unpicklable values a stored shape contains, resolved with
    /// project knowledge.
    pub fn stored_leaves(&self, shape: &Shape, span: &Span) -> Vec<StoredLeaf> {
        let mut leaves = Vec::new();
        self.collect_leaves(shape, span, None, 0, &mut leaves);
        leaves.dedup();
        leaves
    }

    fn collect_leaves(
        &self,
        shape: &Shape,
        span: &Span,
        via: Option<&str>,
        depth: usize,
        leaves: &mut Vec<StoredLeaf>,
    ) {
        if depth > MAX_RESOLVE_DEPTH {
            return;
        }
        let mut push = |kind| {
            leaves.push(StoredLeaf {
                kind,
                span: span.clone(),
                via: via.map(str::to_string),
            })
        };
        match shape {
            Shape::QuerySet { origin, text } if self.is_manager(origin) => {
                push(LeafKind::QuerySet(text.clone()))
            }
            Shape::Callable { kind, text, .. } => push(LeafKind::Unpicklable(match kind {
                CallableKind::Lambda => format!("lambda `{text}`"),
                CallableKind::LocalFunction => format!("locally defined function `{text}`"),
            })),
            Shape::Unpicklable { what, text } => push(LeafKind::Unpicklable(match what {
                Unpicklable::Generator => format!("generator expression `{text}`"),
                Unpicklable::OpenFile => format!("open file `{text}`"),
                Unpicklable::Request => format!("request object `{text}`"),
            })),
            Shape::CallResult { function, text } => {
                if let Some(summary) = self.function(function) {
                    let via = via.unwrap_or(text);
                    self.collect_leaves(&summary.returns, span, Some(via), depth + 1, leaves);
                }
            }
            Shape::Container(items) => {
                for (item, item_span) in items {
                    self.collect_leaves(item, item_span, via, depth + 1, leaves);
                }
            }
            Shape::OneOf(alternatives) => {
                for alternative in alternatives {
                    self.collect_leaves(alternative, span, via, depth + 1, leaves);
                }
            }
            Shape::QuerySet { .. } | Shape::Manager(_) | Shape::Constant(_) | Shape::Opaque => {}
        }
    }
}

fn dotted_suffixes(name: &str) -> impl Iterator<Item = &str> {
    let starts = std::iter::once(0).chain(name.match_indices('.').map(|(i, _)| i + 1));
    starts
        .map(move |start| &name[start..])
        .filter(|suffix| suffix.contains('.'))
}
