//! Per-file facts: everything the rules need from one Python file, extracted while its
//! syntax tree is alive. The tree is dropped afterwards; only these facts remain.

mod eval;
mod extract;
pub mod keys;
pub mod paths;
mod scope;
pub mod settings;
pub mod shape;
pub mod span;
pub mod syntax;
pub mod view_facts;

pub use extract::extract;

/// The last part of a dotted name: `forget` for `shop.receivers.forget`.
pub fn last_name(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}
pub use scope::{ProjectAnswers, ProjectPackages};

use keys::{KeySource, KeyTemplate};
use serde::{Deserialize, Serialize};
use settings::CacheSetting;
use shape::{Constant, ModelRef, Shape};
use span::Span;
use view_facts::{ClassView, RestFrameworkSettings, Route, ViewFunction};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    pub cache_calls: Vec<CacheCall>,
    /// Module-level functions whose return value can matter to a rule.
    pub functions: Vec<FunctionSummary>,
    pub cache_settings: Vec<CacheSetting>,
    /// Module-level classes, with what the index needs to tell models apart.
    pub classes: Vec<ClassFact>,
    /// Every function and method: whether it touches the cache, and what it calls.
    pub function_facts: Vec<FunctionFact>,
    pub receivers: Vec<ReceiverFact>,
    /// Handlers of other signals for one sender (`m2m_changed` for a through model, a
    /// project's own signals): what they clear is cleared for that sender only.
    pub other_receivers: Vec<String>,
    /// Writes that send no `post_save` (`update()`, `bulk_create()`, ...).
    pub bulk_writes: Vec<BulkWrite>,
    /// Module-level string constants usable as cache keys.
    pub key_constants: Vec<(String, KeyTemplate)>,
    /// `cache-objects` wrappers made at module level (`redis_cache = RedisCache()`): the
    /// object's dotted name and its class's.
    pub cache_object_classes: Vec<(String, String)>,
    /// Calls to project functions that may cache what they are given.
    pub helper_calls: Vec<HelperCall>,
    /// Functions decorated by project functions.
    pub decorated: Vec<Decorated>,
    /// Project functions called here with no argument worth recording, or passed as an
    /// argument: a key they cache is unknown at those calls. Sorted, without repeats.
    pub unseen_calls: Vec<String>,
    /// Module-level names bound to a Django cache (`redis = caches["redis"]`,
    /// `process_cache = SimpleLazyObject(get_cache)`), by dotted name, with the alias
    /// when known: other modules import them.
    pub module_caches: Vec<(String, Option<String>)>,
    /// Functions and methods with view decorators or view-related reads and calls.
    pub view_functions: Vec<ViewFunction>,
    /// The file's dotted module name.
    pub module: String,
    /// It imports Django (`import django...`, `from django... import ...`).
    pub imports_django: bool,
    /// URLconf entries (`path`, `re_path`, `url`) and the wrappers around their views.
    pub routes: Vec<Route>,
    /// Modules the module-level code `include()`s, by dotted name.
    pub url_includes: Vec<view_facts::Evidence>,
    /// A module-level call given `urlpatterns`, which may wrap every view it routes.
    pub urlpatterns_wrapped: Option<view_facts::Evidence>,
    /// `ROOT_URLCONF` in a settings file.
    pub root_urlconf: Option<view_facts::Evidence>,
    /// Entries of `MIDDLEWARE` (or a list named like it) in a settings file, however the
    /// list is built; `*BASE_MIDDLEWARE` for another list it includes by name.
    pub middleware: Vec<view_facts::Evidence>,
    /// The middleware lists the file defines (`MIDDLEWARE`, `BASE_MIDDLEWARE`).
    pub middleware_lists: Vec<String>,
    /// Part of a middleware list that could not be read (a call, a comprehension).
    pub middleware_unread: Option<view_facts::Evidence>,
    /// `TEMPLATES[...]["OPTIONS"]["context_processors"]` entries in a settings file.
    pub context_processors: Vec<view_facts::Evidence>,
    /// Part of a `context_processors` list that could not be read.
    pub context_processors_unread: Option<view_facts::Evidence>,
    /// `TEMPLATES[...]["DIRS"]` in a settings file, relative to the file.
    pub template_dirs: Vec<paths::RelativePath>,
    /// `REST_FRAMEWORK` defaults, in a settings file.
    pub rest_framework: Option<RestFrameworkSettings>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ClassFact {
    pub qualified_name: String,
    pub name: String,
    /// The class name's position, where model findings are reported.
    pub span: Span,
    /// Base classes: dotted names where they resolve, else bare names.
    pub bases: Vec<String>,
    pub is_abstract: bool,
    /// Declares Django model fields (`models.CharField(...)`, relations): a model even when
    /// its base class comes from outside the tree.
    pub has_model_fields: bool,
    pub relations: Vec<RelationFact>,
    /// Attributes assigned a manager (`published = PublishedManager()`).
    pub managers: Vec<String>,
    /// Those of them whose manager or QuerySet class is named: the attribute and the
    /// class's dotted name (`objects = PostQuerySet.as_manager()`).
    pub manager_classes: Vec<(String, String)>,
    /// `save` and `delete` methods defined on the class: dotted name, and where.
    pub overrides: Vec<(String, Span)>,
    /// Methods named as cache operations (`set`, `get_or_set`, ...): what a
    /// `cache-objects` wrapper's signature says its arguments are.
    pub cache_methods: Vec<CacheMethod>,
    /// A DRF permission's `has_permission`, when the class defines one: whether it lets
    /// every safe method (GET, HEAD, OPTIONS) through.
    pub has_permission_allows_safe_methods: Option<bool>,
    /// What it declares as a class-based view.
    pub view: ClassView,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelationKind {
    ForeignKey,
    OneToOne,
    ManyToMany,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RelationFact {
    pub field: String,
    pub kind: RelationKind,
    pub target: Option<ModelRef>,
    /// `related_name`, unless it disables the reverse accessor (`+`) or is a pattern.
    pub related_name: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FunctionFact {
    pub qualified_name: String,
    /// Writes to or deletes from a Django cache directly.
    pub touches_cache: bool,
    /// Project functions and methods it calls (dotted names), the tasks it queues, the
    /// callbacks it hands to `on_commit`, and the model signals it sends by hand (by the
    /// signal's dotted name).
    pub calls: Vec<String>,
    /// Fields it tests in `update_fields`: a receiver that acts only when these change.
    pub watched_fields: Vec<String>,
    /// Models it tests `sender` or `instance` against (`sender is Post`, `isinstance(
    /// instance, Post)`): a receiver without `sender=` that acts for those only.
    pub dispatches_on: Vec<ModelRef>,
    /// Its cache calls whose key, value or timeout is one of its parameters as given
    /// (`def remember(key, value): cache.set(key, value)`): what its callers pass there
    /// is what is cached.
    pub parameter_cache_calls: Vec<ParameterCacheCall>,
    /// Its parameters, when it has such calls or passes its parameters on to a project
    /// function that may.
    pub parameters: Vec<Parameter>,
    /// It is a decorator (or makes one) whose wrapper caches what the wrapped function
    /// returns.
    pub memoises: Option<Box<MemoCache>>,
}

/// The cache write of a memoising decorator's wrapper: `cache.set(key, func(*args),
/// timeout)`, or `cache.get_or_set(key, lambda: func(*args), timeout)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoCache {
    pub op: CacheOp,
    pub method: String,
    pub receiver: String,
    pub alias: Option<String>,
    pub line: usize,
    /// It makes the decorator when called (`@cached(timeout=60)`), rather than being it
    /// (`@memoize`).
    pub applied_by_call: bool,
    /// The timeout as the wrapper passes it, when that is no parameter of the function
    /// making the decorator.
    pub timeout: Timeout,
    /// The parameter of the function making the decorator that the wrapper passes as
    /// the timeout (`def cached(timeout=300)`).
    pub timeout_parameter: Option<Parameter>,
}

/// A function decorated by a project function (`@memoize`, `@cached(timeout=60)`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Decorated {
    pub function: String,
    pub decorator: String,
    /// The decorator as written.
    pub text: String,
    /// Called with arguments, and how many (`@cached(60)`: `Some(1)`), or used bare.
    pub arguments: Option<usize>,
    pub span: Span,
}

/// A cache call whose key, value or timeout is a parameter of the function it is in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParameterCacheCall {
    pub op: CacheOp,
    pub method: String,
    pub receiver: String,
    pub alias: Option<String>,
    pub span: Span,
    /// The parameter that is its key.
    pub key: Option<String>,
    /// The parameter it caches: the value of `set`/`add`, the default of `get_or_set`.
    pub value: Option<String>,
    /// The parameter it passes as the timeout.
    pub timeout: Option<String>,
    /// Its timeout, when that is no parameter.
    pub own_timeout: Timeout,
}

/// A parameter of a function that caches what it is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// Its position among the positional parameters; `None` for a keyword-only one.
    pub position: Option<usize>,
    /// Callers may pass it by keyword (it is not positional-only).
    pub by_keyword: bool,
    /// What a caller that leaves it out passes, read as a timeout: `None` when it has no
    /// default; `Timeout::Missing` for Django's `DEFAULT_TIMEOUT`.
    pub default: Option<Timeout>,
}

/// A call to a project function with an argument that would matter if the function
/// caches it (a key, a QuerySet, a model's data, a timeout), or that passes on a
/// parameter of the calling function: the index checks what the function caches.
#[derive(Debug, Serialize, Deserialize)]
pub struct HelperCall {
    pub function: String,
    /// The function or method the call is in.
    pub caller: Option<String>,
    /// The call, as messages name it: `remember()`.
    pub call: String,
    pub span: Span,
    /// Arguments passed by position (before any `*args`).
    pub positional: usize,
    /// Arguments passed by keyword.
    pub keywords: Vec<String>,
    /// `*args` or `**kwargs` may fill any parameter.
    pub unpacked: bool,
    /// The arguments that matter, by position or keyword.
    pub arguments: Vec<HelperArgument>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HelperArgument {
    /// The argument's position, or its keyword.
    pub position: Option<usize>,
    pub keyword: Option<String>,
    pub value: ArgumentValue,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum ArgumentValue {
    /// A parameter of the calling function, passed on as it was given.
    Parameter(String),
    Given(Box<GivenArgument>),
}

/// An argument as the call site writes it.
#[derive(Debug, Serialize, Deserialize)]
pub struct GivenArgument {
    pub text: String,
    pub span: Span,
    pub key: KeySource,
    /// What it holds, when that can matter to a rule.
    pub shape: Option<Shape>,
    pub constant: Option<Constant>,
    /// A call or other computation, evaluated before the function runs.
    pub computed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Signal {
    PreSave,
    PostSave,
    PreDelete,
    PostDelete,
}

impl Signal {
    pub fn from_qualified(name: &str) -> Option<Signal> {
        let short = name.strip_prefix("django.db.models.signals.")?;
        Some(match short {
            "pre_save" => Signal::PreSave,
            "post_save" => Signal::PostSave,
            "pre_delete" => Signal::PreDelete,
            "post_delete" => Signal::PostDelete,
            _ => return None,
        })
    }

    /// `pre_save` or `post_save`: what `update()` and the bulk writes do not send.
    pub fn is_save(self) -> bool {
        matches!(self, Signal::PreSave | Signal::PostSave)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::PreSave => "pre_save",
            Signal::PostSave => "post_save",
            Signal::PreDelete => "pre_delete",
            Signal::PostDelete => "post_delete",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReceiverFact {
    /// The receiving function's dotted name.
    pub handler: String,
    pub signals: Vec<Signal>,
    /// `None` when no sender is given: the receiver hears every model.
    pub senders: Option<Vec<ModelRef>>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkKind {
    Update,
    BulkCreate,
    BulkUpdate,
    QuerySetDelete,
    /// `add`, `remove` or `clear` on a reverse foreign-key manager (bulk by default).
    ReverseRelated,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BulkWrite {
    pub kind: BulkKind,
    pub model: ModelRef,
    /// The call as written, shortened.
    pub text: String,
    pub span: Span,
    /// Whether the enclosing function writes to or deletes from the cache, before or after
    /// the write (refreshing the cache with the new values first is as good).
    pub cache_touched_in_function: bool,
    /// What the enclosing function calls (`FunctionFact::calls`), and `?.name` for each
    /// method it calls on an object whose class is unknown.
    pub function_calls: Vec<String>,
    /// The fields it sets (`update(title=...)`, `bulk_update(objs, ["title"])`), when
    /// they can be read.
    pub fields: Option<Vec<String>>,
}

/// The operations of Django's cache API (`BaseCache`), without the `a` prefix of the
/// async forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// django-redis: delete every key matching a glob.
    DeletePattern,
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
            "delete_pattern" => CacheOp::DeletePattern,
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

    /// Operations that remove or replace cached data: what invalidation is made of.
    pub fn invalidates(self) -> bool {
        matches!(
            self,
            CacheOp::Set
                | CacheOp::Add
                | CacheOp::SetMany
                | CacheOp::Delete
                | CacheOp::DeleteMany
                | CacheOp::DeletePattern
                | CacheOp::Clear
                | CacheOp::Touch
                | CacheOp::IncrVersion
                | CacheOp::DecrVersion
        )
    }

    /// Operations whose keys are deleted (or expired, or moved to another version).
    pub fn deletes(self) -> bool {
        matches!(
            self,
            CacheOp::Delete
                | CacheOp::DeleteMany
                | CacheOp::DeletePattern
                | CacheOp::Touch
                | CacheOp::IncrVersion
                | CacheOp::DecrVersion
        )
    }

    /// The parameters of Django's method (and of its `a`-form), in order; `None` for
    /// `close(**kwargs)` and django-redis' `delete_pattern`.
    pub fn parameters(self) -> Option<&'static [&'static str]> {
        Some(match self {
            CacheOp::Get => &["key", "default", "version"],
            CacheOp::Set | CacheOp::Add => &["key", "value", "timeout", "version"],
            CacheOp::GetOrSet => &["key", "default", "timeout", "version"],
            CacheOp::Delete | CacheOp::HasKey => &["key", "version"],
            CacheOp::GetMany | CacheOp::DeleteMany => &["keys", "version"],
            CacheOp::SetMany => &["data", "timeout", "version"],
            CacheOp::Touch => &["key", "timeout", "version"],
            CacheOp::Incr | CacheOp::Decr | CacheOp::IncrVersion | CacheOp::DecrVersion => {
                &["key", "delta", "version"]
            }
            CacheOp::Clear => &[],
            CacheOp::Close | CacheOp::DeletePattern => return None,
        })
    }

    /// Position of the `timeout` parameter, for operations that take one.
    pub fn timeout_position(self) -> Option<usize> {
        self.parameters()?
            .iter()
            .position(|&parameter| parameter == "timeout")
    }
}

#[derive(Debug, Serialize, Deserialize)]
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
    /// The `async def` whose event loop the call runs on (not in a lambda or nested `def`).
    pub in_async_def: Option<String>,
    /// In a generator expression, which cannot `await` (an `await` would make it an
    /// asynchronous generator).
    pub in_generator: bool,
    /// The function or method the call is in (`None` at module level).
    pub function: Option<String>,
    /// In a `for` loop or comprehension, with a key that changes from one item to the
    /// next: one cache round trip per item.
    pub per_item: Option<PerItem>,
    /// Made on a project object the configuration declares a cache (`cache-objects`),
    /// whose own signature decides which argument is the timeout.
    pub wrapper: Option<WrapperCall>,
    /// Made on a name imported from another project module (`process_cache.set(...)`):
    /// a cache call only if that module binds the name to a cache, which the index
    /// checks (and drops the call otherwise).
    pub imported_receiver: Option<String>,
    /// Made by calling a project function that makes it: the call site stands for the
    /// cache call in that function, with the arguments given there.
    pub through: Option<Through>,
    /// Its key is a parameter of the function it is in, and every call of that function
    /// (and of those passing their own parameter on to it) is read: its keys are those of
    /// the cache calls made at the call sites, which stand for it.
    pub keys_from_callers: bool,
}

impl CacheCall {
    /// A cache call made at `span` by calling project functions: the parts the call site
    /// decides are set by the caller, the rest stays unknown.
    pub fn made_through(
        op: CacheOp,
        method: String,
        receiver: String,
        alias: Option<String>,
        span: Span,
        through: Through,
    ) -> CacheCall {
        CacheCall {
            op,
            method,
            receiver,
            alias,
            span,
            keys: Vec::new(),
            timeout: Timeout::Unknown,
            stored: Vec::new(),
            eager_default: None,
            in_async_def: None,
            in_generator: false,
            function: None,
            per_item: None,
            wrapper: None,
            imported_receiver: None,
            through: Some(through),
            keys_from_callers: false,
        }
    }

    /// The call as messages name it, quoted: `` `cache.set()` ``, or for a call made
    /// through project functions, the one called and the cache call it leads to.
    pub fn shown(&self) -> String {
        match &self.through {
            Some(through) => format!(
                "`{}` (`{}` at {}:{})",
                through.call, through.cache_call, through.path, through.line
            ),
            None => format!("`{}.{}()`", self.receiver, self.method),
        }
    }
}

/// Where a cache call made through project functions is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Through {
    /// The project function the call site calls, as written: `remember()`.
    pub call: String,
    /// The function that makes the cache call (the last of a chain of helpers), by
    /// dotted name.
    pub helper: String,
    /// The cache call in it, as written: `cache.set()`.
    pub cache_call: String,
    pub path: String,
    pub line: usize,
    /// The timeout was decided by a call between the two (a value or a default passed
    /// on), where a finding about the timeout alone is reported.
    pub timeout_inside: bool,
}

/// A method of a class named as a cache operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheMethod {
    pub name: String,
    /// The parameters arguments can fill by position, `self` first.
    pub parameters: Vec<String>,
    /// Its `timeout` parameter defaults to something other than Django's
    /// `DEFAULT_TIMEOUT` (`timeout=None`, `timeout=3600`): leaving it out is no fall
    /// back to the cache's `TIMEOUT`.
    pub own_timeout_default: bool,
}

/// A call on a `cache-objects` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapperCall {
    /// The wrapper's dotted name, e.g. `app.wrapper.redis_cache`.
    pub object: String,
    /// The position the timeout was read from, as Django's signature places it; `None`
    /// when it was passed as `timeout=` or not at all.
    pub timeout_position: Option<usize>,
}

/// The loop a cache call runs once per item of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerItem {
    /// The innermost `for` loop's line (the call's own line in a comprehension).
    pub loop_line: usize,
    /// The loop walks a literal list, tuple or set of a few items.
    pub few_fixed_items: bool,
    /// The call sits in a `with` block inside the loop (a per-item lock, usually).
    pub in_with: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CacheKey {
    pub source: KeySource,
    /// A `delete_pattern` glob rather than a key.
    pub is_pattern: bool,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Serialize, Deserialize)]
pub struct StoredValue {
    pub shape: Shape,
    pub span: Span,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Snippet {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FunctionSummary {
    /// Dotted name, e.g. `blog.services.recent_posts`.
    pub qualified_name: String,
    /// `async def`: calling it without `await` gives a coroutine.
    pub is_async: bool,
    /// What it returns, one alternative per `return` statement.
    pub returns: Shape,
    /// The key template it returns, when every `return` gives the same one.
    pub returns_key: Option<KeyTemplate>,
}
