//! What a Python expression holds, as far as caching cares: a QuerySet, a callable,
//! something pickle rejects, a constant, or a container of those.
//!
//! Shapes are computed while the syntax tree is alive and kept after it is dropped; the
//! parts that need project-wide knowledge (which attributes are managers, what a project
//! function returns) stay symbolic until the index resolves them.

use super::keys::KeyTemplate;
use super::span::Span;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// A model manager such as `Post.objects`, not yet a QuerySet.
    Manager(ManagerOrigin),
    /// A QuerySet built from a manager; `text` is its source.
    QuerySet {
        origin: ManagerOrigin,
        text: String,
        /// An `annotate()` in the chain: its rows are statistics.
        aggregated: bool,
        /// The fields a `values()`, `values_list()` or `only()` limits it to; `None`: all.
        fields: Option<Vec<String>>,
    },
    /// A lambda or a function defined inside another function: pickle rejects both, and
    /// calling it yields `returns`.
    Callable {
        kind: CallableKind,
        text: String,
        returns: Box<Shape>,
    },
    /// A value pickle cannot serialise.
    Unpicklable {
        what: Unpicklable,
        text: String,
    },
    /// Whatever the project function `function` (a dotted name) returns; a coroutine
    /// when the function is `async def` and the call is not awaited.
    CallResult {
        function: String,
        text: String,
        awaited: bool,
    },
    /// What `get_or_set` stores from a default: the value, or what calling it returns
    /// when it is callable.
    CalledIfCallable(Box<Shape>),
    /// A dict, list, tuple or set display written in place; each element keeps its span.
    Container(Vec<(Shape, Span)>),
    /// Any one of several values, such as the assignments that reach a use.
    OneOf(Vec<Shape>),
    /// Evaluated data read from these models (`Post.objects.get()`, `list(qs)`).
    ModelData(Vec<ModelRef>),
    /// These fields of these models' rows (`list(qs.values("name"))`).
    Fields(Vec<ModelRef>, Vec<String>),
    /// Statistics over these models' rows (`count()`, `aggregate()`, an aggregating
    /// `annotate()`): data whose usual invalidation is a time window.
    Aggregate(Vec<ModelRef>),
    Constant(Constant),
    /// A string built at run time from literal text and values (`f"post:{pk}"`).
    Template(KeyTemplate),
    /// Nothing caching rules care about.
    Opaque,
}

/// Where a manager comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManagerOrigin {
    /// A manager of this model (for `ModelRef::Attribute`, only if the project declares
    /// the attribute as a relation or manager).
    Model(ModelRef),
    /// Certainly a manager or QuerySet, of a model we cannot name (`self.get_queryset()`).
    Unknown,
}

/// A model as the source names it; the index resolves it to a project model.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ModelRef {
    /// A class: its dotted name when imported or defined here, else its bare name.
    Class(String),
    /// An `"app_label.ModelName"` string.
    Label(String),
    /// The lower-cased model name of a default reverse accessor (`author.post_set`).
    ReverseAccessor(String),
    /// An attribute that is a manager only if the project declares it: a `related_name`,
    /// a many-to-many field or a custom manager.
    Attribute(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallableKind {
    Lambda,
    LocalFunction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unpicklable {
    Generator,
    OpenFile,
    Request,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    None,
    Number(f64),
    Str(String),
}

impl Constant {
    /// As a cache timeout: seconds, `Some(None)` for `None` (never expires), `None` when
    /// it is no timeout at all.
    pub fn as_timeout(&self) -> Option<Option<f64>> {
        match self {
            Constant::None => Some(None),
            Constant::Number(seconds) => Some(Some(*seconds)),
            Constant::Str(_) => None,
        }
    }
}

impl Shape {
    /// Joins alternatives, flattening nested alternatives and dropping duplicates.
    pub fn one_of(shapes: Vec<Shape>) -> Shape {
        const MAX_ALTERNATIVES: usize = 8;
        let mut flat: Vec<Shape> = Vec::new();
        for shape in shapes {
            let members = match shape {
                Shape::OneOf(inner) => inner,
                other => vec![other],
            };
            for member in members {
                if flat.contains(&member) {
                    continue;
                }
                if flat.len() < MAX_ALTERNATIVES {
                    flat.push(member);
                } else if let Some(last) = flat.last_mut() {
                    // Too many to track: what the rest may be is unknown.
                    *last = Shape::Opaque;
                }
            }
        }
        match flat.len() {
            0 => Shape::Opaque,
            1 => flat.pop().unwrap_or(Shape::Opaque),
            _ => Shape::OneOf(flat),
        }
    }

    /// The same value seen from elsewhere (through a variable): element spans no longer
    /// point at the use, so containers become plain alternatives.
    pub fn detached(self) -> Shape {
        match self {
            Shape::Container(items) => {
                Shape::one_of(items.into_iter().map(|(s, _)| s.detached()).collect())
            }
            Shape::OneOf(items) => Shape::one_of(items.into_iter().map(Shape::detached).collect()),
            other => other,
        }
    }

    /// A model manager or a QuerySet (on some path): calling a query method on it runs
    /// or builds a database query.
    pub fn is_query(&self) -> bool {
        // An attribute is a manager only if the project declares it; unknown here.
        let known = |origin: &ManagerOrigin| {
            !matches!(origin, ManagerOrigin::Model(ModelRef::Attribute(_)))
        };
        match self {
            Shape::Manager(origin) | Shape::QuerySet { origin, .. } => known(origin),
            Shape::OneOf(items) => items.iter().any(Shape::is_query),
            _ => false,
        }
    }

    /// Whether the shape can matter to a rule; other shapes need not be kept.
    pub fn is_interesting(&self) -> bool {
        match self {
            Shape::QuerySet { .. }
            | Shape::Callable { .. }
            | Shape::Unpicklable { .. }
            | Shape::CallResult { .. } => true,
            Shape::CalledIfCallable(inner) => inner.is_interesting(),
            Shape::Container(items) => items.iter().any(|(s, _)| s.is_interesting()),
            Shape::OneOf(items) => items.iter().any(Shape::is_interesting),
            Shape::ModelData(models) | Shape::Aggregate(models) | Shape::Fields(models, _) => {
                !models.is_empty()
            }
            Shape::Manager(origin) => {
                !matches!(origin, ManagerOrigin::Model(ModelRef::Attribute(_)))
            }
            Shape::Constant(_) | Shape::Template(_) | Shape::Opaque => false,
        }
    }

    /// The models this value is read from, as far as the shape tells without the index.
    pub fn models(&self) -> Vec<ModelRef> {
        let mut models = Vec::new();
        self.collect_models(&mut models);
        models.sort();
        models.dedup();
        models
    }

    fn collect_models(&self, models: &mut Vec<ModelRef>) {
        match self {
            Shape::Manager(ManagerOrigin::Model(model))
            | Shape::QuerySet {
                origin: ManagerOrigin::Model(model),
                ..
            } => models.push(model.clone()),
            Shape::ModelData(refs) | Shape::Aggregate(refs) | Shape::Fields(refs, _) => {
                models.extend(refs.iter().cloned())
            }
            Shape::Callable { returns, .. } => returns.collect_models(models),
            Shape::CalledIfCallable(inner) => inner.collect_models(models),
            Shape::Container(items) => items.iter().for_each(|(s, _)| s.collect_models(models)),
            Shape::OneOf(items) => items.iter().for_each(|s| s.collect_models(models)),
            Shape::Manager(ManagerOrigin::Unknown)
            | Shape::QuerySet { .. }
            | Shape::Unpicklable { .. }
            | Shape::CallResult { .. }
            | Shape::Constant(_)
            | Shape::Template(_)
            | Shape::Opaque => {}
        }
    }

    /// Evaluated data derived from the models of `self`, or nothing.
    pub fn into_data(self) -> Shape {
        let (aggregated, fields) = match &self {
            Shape::QuerySet {
                aggregated, fields, ..
            } => (*aggregated, fields.clone()),
            Shape::Aggregate(_) => (true, None),
            Shape::Fields(_, fields) => (false, Some(fields.clone())),
            _ => (false, None),
        };
        let models = self.models();
        if models.is_empty() {
            Shape::Opaque
        } else if aggregated {
            Shape::Aggregate(models)
        } else if let Some(fields) = fields {
            Shape::Fields(models, fields)
        } else {
            Shape::ModelData(models)
        }
    }

    /// The model fields the value holds, when that is known: `None` when it may hold
    /// whole rows (or statistics over them) or comes from code not followed here.
    pub fn read_fields(&self) -> Option<Vec<String>> {
        match self {
            Shape::Fields(_, fields) => Some(fields.clone()),
            Shape::QuerySet { fields, .. } => fields.clone(),
            Shape::CalledIfCallable(inner) => inner.read_fields(),
            Shape::Callable { returns, .. } => returns.read_fields(),
            Shape::OneOf(items) => union(items.iter().map(Shape::read_fields)),
            Shape::Container(items) => union(items.iter().map(|(item, _)| item.read_fields())),
            Shape::Constant(_) | Shape::Template(_) => Some(Vec::new()),
            _ => None,
        }
    }

    /// Whether the value is statistics only (`Aggregate`, or containers and alternatives
    /// of nothing else).
    pub fn is_aggregate(&self) -> bool {
        match self {
            Shape::Aggregate(_) => true,
            Shape::CalledIfCallable(inner) => inner.is_aggregate(),
            Shape::Callable { returns, .. } => returns.is_aggregate(),
            Shape::OneOf(items) => !items.is_empty() && items.iter().all(Shape::is_aggregate),
            Shape::Container(items) => {
                !items.is_empty() && items.iter().all(|(item, _)| item.is_aggregate())
            }
            _ => false,
        }
    }

    /// The value a caller gets: what a callable returns, the value itself otherwise.
    pub fn called(self) -> Shape {
        match self {
            Shape::Callable { returns, .. } => *returns,
            Shape::OneOf(alternatives) => {
                Shape::one_of(alternatives.into_iter().map(Shape::called).collect())
            }
            other => other,
        }
    }

    pub fn constant(&self) -> Option<&Constant> {
        match self {
            Shape::Constant(c) => Some(c),
            _ => None,
        }
    }
}

/// Every list's fields together, or `None` when one of them is unknown.
fn union(lists: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    let mut all = Vec::new();
    for list in lists {
        all.extend(list?);
    }
    all.sort();
    all.dedup();
    Some(all)
}
