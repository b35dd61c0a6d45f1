//! Per-file facts: everything the rules need from one Python file, extracted while its
//! syntax tree is alive. The tree is dropped afterwards; only these facts remain.

mod extract;
pub mod keys;
mod scope;
pub mod settings;
pub mod shape;
pub mod span;

pub use extract::extract;

use keys::KeyTemplate;
use settings::CacheSetting;
use shape::{Constant, Shape};
use span::Span;

#[derive(Debug, Default)]
pub struct FileFacts {
    pub cache_calls: Vec<CacheCall>,
    /// Module-level functions whose return value can matter to a rule.
    pub functions: Vec<FunctionSummary>,
    /// Attribute names this file declares as managers: reverse relations (`related_name`),
    /// many-to-many fields and custom managers on model classes.
    pub manager_attributes: Vec<String>,
    pub cache_settings: Vec<CacheSetting>,
}

/// The operations of Django's cache API (`BaseCache`), without the `a` prefix of the
/// async forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOp {
    Get,
    Set,
    Add,
    GetOrSet,
    Delete,
    GetMany,
    SetMany,
    DeleteMany,
    Touch,
    Incr,
    Decr,
    HasKey,
    IncrVersion,
    DecrVersion,
    Clear,
    Close,
}

impl CacheOp {
    /// Parses a method name, returning the operation and whether it is the async form.
    pub fn from_method(name: &str) -> Option<(CacheOp, bool)> {
        let (sync_name, is_async) = match name.strip_prefix('a') {
            Some(rest) if name != "add" && Self::from_sync(rest).is_some() => (rest, true),
            _ => (name, false),
        };
        Self::from_sync(sync_name).map(|op| (op, is_async))
    }

    fn from_sync(name: &str) -> Option<CacheOp> {
        Some(match name {
            "get" => CacheOp::Get,
            "set" => CacheOp::Set,
            "add" => CacheOp::Add,
            "get_or_set" => CacheOp::GetOrSet,
            "delete" => CacheOp::Delete,
            "get_many" => CacheOp::GetMany,
            "set_many" => CacheOp::SetMany,
            "delete_many" => CacheOp::DeleteMany,
            "touch" => CacheOp::Touch,
            "incr" => CacheOp::Incr,
            "decr" => CacheOp::Decr,
            "has_key" => CacheOp::HasKey,
            "incr_version" => CacheOp::IncrVersion,
            "decr_version" => CacheOp::DecrVersion,
            "clear" => CacheOp::Clear,
            "close" => CacheOp::Close,
            _ => return None,
        })
    }

    /// Operations that store a value: `set`, `add`, `get_or_set` (on a miss), `set_many`.
    pub fn writes(self) -> bool {
        matches!(
            self,
            CacheOp::Set | CacheOp::Add | CacheOp::GetOrSet | CacheOp::SetMany
        )
    }

    /// Position of the `timeout` parameter, for operations that take one.
    pub fn timeout_position(self) -> Option<usize> {
        match self {
            CacheOp::Set | CacheOp::Add | CacheOp::GetOrSet => Some(2),
            CacheOp::SetMany | CacheOp::Touch => Some(1),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct CacheCall {
    pub op: CacheOp,
    /// The method as written, e.g. `aset`.
    pub method: String,
    /// The receiver as written, e.g. `cache` or `caches["sessions"]`.
    pub receiver: String,
    /// The cache alias (`default` for `django.core.cache.cache`), when known.
    pub alias: Option<String>,
    pub span: Span,
    pub keys: Vec<CacheKey>,
    pub timeout: Timeout,
    /// What a write stores: the value, each value of a `set_many` mapping, or what a
    /// `get_or_set` default is or returns.
    pub stored: Vec<StoredValue>,
    /// A `get_or_set` default computed before the call (a call, not a callable).
    pub eager_default: Option<Snippet>,
}

#[derive(Debug)]
pub struct CacheKey {
    /// `None` when the key expression is not a string we can read.
    pub template: Option<KeyTemplate>,
    pub text: String,
    pub span: Span,
}

#[derive(Debug)]
pub enum Timeout {
    /// The call passes no timeout, so the cache's `TIMEOUT` setting applies.
    Missing,
    /// `*args` or `**kwargs` may carry one: not judged.
    Unknown,
    Given {
        value: Option<Constant>,
        text: String,
        span: Span,
    },
}

#[derive(Debug)]
pub struct StoredValue {
    pub shape: Shape,
    pub span: Span,
}

#[derive(Debug)]
pub struct Snippet {
    pub text: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct FunctionSummary {
    /// Dotted name, e.g. `blog.services.recent_posts`.
    pub qualified_name: String,
    pub returns: Shape,
}
