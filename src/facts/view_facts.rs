//! View facts: how a view is wrapped (decorators, `method_decorator`, URLconf wrapping),
//! what it reads of the current user, what it renders, and its DRF policies.

use ruff_python_ast::{self as ast, Expr};
use serde::{Deserialize, Serialize};

use super::eval::{constant, is_literal, last_segment, qualified_name, string_literal, Evaluator};
use super::scope::{Binding, Env};
use super::shape::Constant;
use super::syntax::{argument, elements, keyword, root_name};

/// A decorator that matters to view caching, as applied to a view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wrapper {
    pub kind: WrapperKind,
    /// The decorator as written, e.g. `cache_page(60 * 15)`.
    pub text: String,
    pub line: usize,
    /// Where it comes from when that is not the view itself (a settings file's defaults).
    pub origin: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WrapperKind {
    CachePage,
    /// `vary_on_cookie`, `vary_on_headers(...)`: which request headers it adds to `Vary`.
    Vary(VaryOn),
    /// `login_required`, `permission_required`, `user_passes_test`, `staff_member_required`.
    AuthCheck,
    /// `csrf_protect`, `requires_csrf_token` (`always: false`) and `ensure_csrf_cookie`
    /// (`always: true`): the CSRF cookie, with `Vary: Cookie`, set on a response that
    /// carries a token, or on every response. Only `csrf_protect` refuses a POST without
    /// a token.
    SetsCsrfCookie {
        always: bool,
    },
    /// `csrf_exempt`: POSTs are not checked for a token.
    CsrfExempt,
    CacheControl(CacheControl),
    /// `never_cache`: `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`.
    NeverCache,
    /// DRF's `api_view`: what is below it runs after DRF authenticates the request.
    ApiView,
    /// `require_GET`, `require_safe`, `require_http_methods(["GET"])`: GET and HEAD only.
    SafeMethodsOnly,
    /// `condition`, `etag`, `last_modified`: conditional responses, HTTP caching.
    Conditional,
    /// `require_POST`, `require_http_methods(["POST", ...])`: answers more than GET.
    UnsafeMethods,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaryOn {
    pub cookie: bool,
    pub authorization: bool,
}

/// `Cache-Control` directives set to true.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheControl {
    pub private: bool,
    pub no_cache: bool,
    pub no_store: bool,
    pub public: bool,
}

impl CacheControl {
    fn union(self, other: CacheControl) -> CacheControl {
        CacheControl {
            private: self.private || other.private,
            no_cache: self.no_cache || other.no_cache,
            no_store: self.no_store || other.no_store,
            public: self.public || other.public,
        }
    }
}

/// Where a view reads something, for messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    pub line: usize,
}

/// A DRF view's explicit policies: class names as written or resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrfPolicy {
    pub authentication_classes: Option<Vec<String>>,
    pub permission_classes: Option<Vec<String>>,
}

/// A function or method's view-related facts.
#[derive(Debug, Serialize, Deserialize)]
pub struct ViewFunction {
    pub qualified_name: String,
    /// The function's name in its `def` line.
    pub span: super::span::Span,
    /// Decorators that matter, outermost first; `method_decorator` lists unfolded.
    pub decorators: Vec<Wrapper>,
    /// `@authentication_classes(...)` / `@permission_classes(...)` on an `api_view`.
    pub drf: DrfPolicy,
    /// Decorators whose effect on the response is not known (a project's own, a third
    /// party's): they may check access, set request attributes or cache.
    pub unknown_decorators: Vec<Evidence>,
    /// The name of its first parameter: a function view's request, which the facts follow
    /// only when it is called `request`.
    pub first_parameter: Option<String>,
    pub body: ViewBody,
}

/// What a view's body does that matters to caching its response.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ViewBody {
    /// The first read of per-user state: `request.user`, `request.session`, ...
    pub per_user: Option<Evidence>,
    /// Project functions it passes the request to.
    pub request_passed_to: Vec<String>,
    /// The first call outside the project given the request, whose reads of it are not
    /// known (`get_user(request)`, a third party's helper).
    pub request_passed_outside: Option<Evidence>,
    /// Templates it renders with the request (`render(request, "x.html")`).
    pub templates: Vec<RenderedTemplate>,
    /// The first template named at run time (`render(request, name)`, `get_template(name)`)
    /// or made from a string (`Template(source)`).
    pub dynamic_template: Option<Evidence>,
    /// `get_token(request)`: the response carries a CSRF token.
    pub csrf_token: Option<Evidence>,
    /// `patch_cache_control(response, ...)` / `add_never_cache_headers(response)`.
    pub cache_control: Option<(CacheControl, Evidence)>,
    /// `patch_vary_headers(response, [...])`.
    pub vary: VaryOn,
    /// The first database query it makes.
    pub query: Option<Evidence>,
    /// Expensive queries: aggregates, counts, rows of aggregating or `distinct()` queries,
    /// and lookups run once per item of a loop.
    pub expensive_queries: Vec<QueryUse>,
    /// Reads or writes a Django cache.
    pub uses_cache: bool,
    /// Reads `request.method`, `request.POST`, `request.FILES`, `request.body` or
    /// `request.data`: it may handle more than GET.
    pub handles_writes: bool,
    /// Sets caching headers in its body (`patch_response_headers`, ...).
    pub sets_caching_headers: bool,
    /// Reads `request.GET`: its response depends on the query string.
    pub reads_query_string: bool,
    /// A response not worth caching: a file or stream (`FileResponse`,
    /// `StreamingHttpResponse`), or a redirect or `304` on every path.
    pub uncacheable_response: Option<Evidence>,
    /// The first read of a request attribute plain `HttpRequest` does not have
    /// (`request.project`): middleware or a decorator sets it per request.
    pub request_extra: Option<Evidence>,
    /// The first call that changes state or talks to the outside: a `save()`, a query's
    /// `create()`/`update()`/`delete()`, a queued task, `messages.*`, mail, an HTTP call.
    pub changes_state: Option<Evidence>,
}

/// An expensive query the function runs (a `Subquery`, `Exists`, `Prefetch` queryset or
/// a QuerySet handed to another query is part of that query, not one of its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryUse {
    pub text: String,
    pub span: super::span::Span,
    /// Its source range: a query inside a reported chain is the same query.
    pub range: ruff_text_size::TextRange,
    /// What makes it expensive.
    pub kind: QueryKind,
    /// Runs once per item of a `for` loop or comprehension.
    pub per_item: bool,
    /// Every input is the same on every request: literals, module-level names (models,
    /// constants, `settings`), calls of them, and locals assigned once (or loop
    /// variables) over such values. A parameter, `self`, the request, another local or a
    /// function reading the current request's state makes it `false`.
    pub shared_inputs: bool,
    /// Why its result must be fresh: it runs after a write in the same function, inside
    /// `transaction.atomic()`, or locks rows (`select_for_update()`).
    pub must_be_fresh: Option<String>,
    /// `get(pk=...)`, `get(id=...)`: one row by primary key.
    pub single_row: bool,
}

/// What makes a query expensive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryKind {
    /// `aggregate(...)`.
    Aggregate,
    /// `count()`.
    Count,
    /// A row fetched from a query with an aggregating `annotate()`.
    AggregatingAnnotate,
    /// A row fetched from a `distinct()` query.
    Distinct,
    /// A lookup (`get()`, `first()`, `exists()`, ...) run once per item of a loop.
    Lookup,
}

impl QueryKind {
    pub fn describe(self) -> &'static str {
        match self {
            QueryKind::Aggregate => "an aggregate",
            QueryKind::Count => "a count",
            QueryKind::AggregatingAnnotate => "an aggregating `annotate()`",
            QueryKind::Distinct => "a `distinct()` query",
            QueryKind::Lookup => "a lookup",
        }
    }
}

impl ViewBody {
    pub fn is_empty(&self) -> bool {
        self.per_user.is_none()
            && self.request_passed_to.is_empty()
            && self.request_passed_outside.is_none()
            && self.templates.is_empty()
            && self.dynamic_template.is_none()
            && self.csrf_token.is_none()
            && self.cache_control.is_none()
            && self.vary == VaryOn::default()
            && self.query.is_none()
            && self.expensive_queries.is_empty()
            && !self.uses_cache
            && !self.handles_writes
            && !self.sets_caching_headers
            && !self.reads_query_string
            && self.uncacheable_response.is_none()
            && self.request_extra.is_none()
            && self.changes_state.is_none()
    }
}

/// A template a view renders, with the names its context gives (which hide what
/// context processors add: `{"user": owner}` is not the visitor).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedTemplate {
    pub name: String,
    pub hidden: Vec<String>,
}

/// A class's view-related attributes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ClassView {
    pub template_name: Option<String>,
    /// Names a generic view puts in the context: `context_object_name`, and the model's
    /// name (`model = User` gives `user`).
    pub context_names: Vec<String>,
    /// `model = ...` or `queryset = ...`: a generic view that queries it.
    pub declares_queryset: bool,
    pub drf: DrfPolicy,
    /// `@method_decorator(..., name="dispatch")` on the class: the method, and the
    /// decorators outermost first.
    pub method_decorators: Vec<(String, Wrapper)>,
    /// Class decorators (or decorators in its `method_decorator`s) whose effect is not
    /// known.
    pub unknown_decorators: Vec<Evidence>,
    /// `http_method_names = [...]`, when the class sets it.
    pub http_method_names: Option<Vec<String>>,
}

/// A URLconf entry, with the wrappers around its view.
#[derive(Debug, Serialize, Deserialize)]
pub struct Route {
    /// Wrappers around the view, outermost first.
    pub wrappers: Vec<Wrapper>,
    pub target: RouteTarget,
    /// The view argument as written.
    pub text: String,
    pub span: super::span::Span,
    /// In the module's own code, not in a function (which adds routes at run time).
    pub at_module_level: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum RouteTarget {
    Function(String),
    /// `SomeView.as_view(...)`, with a `template_name=` given there.
    Class {
        qualified_name: String,
        template_name: Option<String>,
    },
    Unknown,
}

/// DRF's settings: `REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [...], ...}`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RestFrameworkSettings {
    pub authentication_classes: Option<Vec<String>>,
    pub permission_classes: Option<Vec<String>>,
}

const CACHE_PAGE: &str = "django.views.decorators.cache.cache_page";
const CACHE_CONTROL: &str = "django.views.decorators.cache.cache_control";
const NEVER_CACHE: &str = "django.views.decorators.cache.never_cache";
const VARY_ON_COOKIE: &str = "django.views.decorators.vary.vary_on_cookie";
const VARY_ON_HEADERS: &str = "django.views.decorators.vary.vary_on_headers";
const CSRF_PROTECT: &str = "django.views.decorators.csrf.csrf_protect";
const REQUIRES_CSRF_TOKEN: &str = "django.views.decorators.csrf.requires_csrf_token";
const ENSURE_CSRF_COOKIE: &str = "django.views.decorators.csrf.ensure_csrf_cookie";
const CSRF_EXEMPT: &str = "django.views.decorators.csrf.csrf_exempt";
const METHOD_DECORATOR: &str = "django.utils.decorators.method_decorator";
const API_VIEW: &str = "rest_framework.decorators.api_view";
const DRF_AUTHENTICATION: &str = "rest_framework.decorators.authentication_classes";
const DRF_PERMISSIONS: &str = "rest_framework.decorators.permission_classes";
/// Decorators that are applied without arguments as well as with them.
const AUTH_CHECKS: &[&str] = &[
    "django.contrib.auth.decorators.login_required",
    "django.contrib.auth.decorators.permission_required",
    "django.contrib.auth.decorators.user_passes_test",
    "django.contrib.admin.views.decorators.staff_member_required",
];
const INCLUDE_FUNCTIONS: &[&str] = &["django.urls.include", "django.conf.urls.include"];
const URL_FUNCTIONS: &[&str] = &[
    "django.urls.path",
    "django.urls.re_path",
    "django.conf.urls.url",
];
const RENDER_FUNCTIONS: &[&str] = &[
    "django.shortcuts.render",
    "django.template.response.TemplateResponse",
];
const RENDER_TO_STRING: &str = "django.template.loader.render_to_string";
const TEMPLATE_LOADERS: &[&str] = &[
    "django.template.loader.get_template",
    "django.template.loader.select_template",
];
const TEMPLATE_FROM_SOURCE: &str = "django.template.Template";
const GET_TOKEN: &str = "django.middleware.csrf.get_token";
const PATCH_CACHE_CONTROL: &str = "django.utils.cache.patch_cache_control";
const ADD_NEVER_CACHE_HEADERS: &str = "django.utils.cache.add_never_cache_headers";
const PATCH_VARY_HEADERS: &str = "django.utils.cache.patch_vary_headers";
const CACHING_HEADERS: &[&str] = &[
    "django.utils.cache.patch_response_headers",
    "django.utils.cache.patch_cache_control",
    "django.utils.cache.add_never_cache_headers",
];
/// Response headers that cache the response somewhere, set by hand.
const CACHING_HEADER_NAMES: &[&str] = &[
    "Cache-Control",
    "Expires",
    "ETag",
    "Last-Modified",
    "Surrogate-Key",
    "Surrogate-Control",
    "Cache-Tag",
    "Edge-Control",
];
const SAFE_METHODS_ONLY: &[&str] = &[
    "django.views.decorators.http.require_GET",
    "django.views.decorators.http.require_safe",
];
const REQUIRE_HTTP_METHODS: &str = "django.views.decorators.http.require_http_methods";
const CONDITIONAL: &[&str] = &[
    "django.views.decorators.http.condition",
    "django.views.decorators.http.etag",
    "django.views.decorators.http.last_modified",
];
const FILE_RESPONSES: &[&str] = &[
    "django.http.FileResponse",
    "django.http.StreamingHttpResponse",
    "django.views.static.serve",
];
/// Responses that are a redirect or `304` whatever the page: nothing for a cache to keep.
const REDIRECTS: &[&str] = &[
    "django.shortcuts.redirect",
    "django.http.HttpResponseRedirect",
    "django.http.HttpResponsePermanentRedirect",
    "django.http.HttpResponseNotModified",
];
/// Modules whose calls change state or talk to the outside world.
const SIDE_EFFECT_MODULES: &[&str] = &[
    "django.contrib.messages.",
    "django.core.mail.",
    "requests.",
    "httpx.",
    "urllib.request.",
    "urllib3.",
];
/// QuerySet and manager methods that write.
const WRITE_METHODS: &[&str] = &[
    "create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
];
/// Expressions whose QuerySet arguments run inside another query, not on their own.
const EMBEDDED_QUERIES: &[&str] = &[
    "django.db.models.Subquery",
    "django.db.models.Exists",
    "django.db.models.OuterRef",
    "django.db.models.Prefetch",
    "django.db.models.expressions.Subquery",
    "django.db.models.expressions.Exists",
    "django.db.models.query.Prefetch",
];
/// Parts of function names that read the current request's state without being given
/// it (`get_current_site()`, `get_language()`, a thread-local `get_current_user()`).
const REQUEST_STATE_MARKERS: &[&str] =
    &["current", "request", "user", "language", "local", "thread"];
/// Builtins that evaluate the QuerySet they are given.
const EVALUATING_BUILTINS: &[&str] = &[
    "builtins.list",
    "builtins.len",
    "builtins.tuple",
    "builtins.sorted",
];
const SHORTCUT_QUERIES: &[&str] = &[
    "django.shortcuts.get_object_or_404",
    "django.shortcuts.get_list_or_404",
];
/// Request attributes that differ from one visitor to the next: who they are, their
/// cookies, and their headers (`request.headers`, `request.META`), which a response that
/// reads them may vary on without saying so.
const PER_USER_ATTRIBUTES: &[&str] = &[
    "user",
    "auser",
    "session",
    "COOKIES",
    "get_signed_cookie",
    "auth",
    "META",
    "headers",
];
/// What plain `HttpRequest` has, besides the attributes above and below: anything else
/// (`request.project`, `request.tenant`) is set per request by middleware or a decorator.
const HTTP_REQUEST_ATTRIBUTES: &[&str] = &[
    "path",
    "path_info",
    "scheme",
    "encoding",
    "content_type",
    "content_params",
    "resolver_match",
    "site",
    "current_app",
    "urlconf",
    "LANGUAGE_CODE",
    "upload_handlers",
    "csrf_processing_done",
    "build_absolute_uri",
    "get_host",
    "get_port",
    "get_full_path",
    "get_full_path_info",
    "is_secure",
    "accepts",
    "read",
    "readline",
    "readlines",
];
/// Request attributes only a view that handles more than GET reads.
const WRITE_ATTRIBUTES: &[&str] = &["method", "POST", "FILES", "body", "data"];
const QUERY_STRING: &str = "GET";
/// QuerySet methods that build or run a query.
const QUERY_METHODS: &[&str] = &[
    "get",
    "first",
    "last",
    "count",
    "exists",
    "aggregate",
    "in_bulk",
    "latest",
    "earliest",
    "iterator",
    "all",
    "filter",
    "exclude",
    "values",
    "values_list",
    "order_by",
    "annotate",
    "distinct",
    "select_related",
    "prefetch_related",
];
/// Methods that run a query each time they are called.
const EVALUATING_METHODS: &[&str] = &[
    "get",
    "first",
    "last",
    "count",
    "exists",
    "aggregate",
    "latest",
    "earliest",
];
/// `django.db.models` aggregates, which make `annotate()` expensive.
const AGGREGATES: &[&str] = &["Count", "Sum", "Avg", "Max", "Min", "StdDev", "Variance"];

/// Request attributes the view facts read: per-user state and write handling.
pub(super) fn is_request_attribute(name: &str) -> bool {
    PER_USER_ATTRIBUTES.contains(&name) || WRITE_ATTRIBUTES.contains(&name) || name == QUERY_STRING
}

/// Decorators known to leave a response the same for every visitor and to do nothing a
/// cache would undo: they restrict methods, mark headers, or only matter to Python.
const TRANSPARENT_DECORATORS: &[&str] = &[
    "django.views.decorators.gzip.gzip_page",
    "django.views.decorators.clickjacking.xframe_options_deny",
    "django.views.decorators.clickjacking.xframe_options_sameorigin",
    "django.views.decorators.clickjacking.xframe_options_exempt",
    "django.views.decorators.debug.sensitive_variables",
    "django.views.decorators.debug.sensitive_post_parameters",
    "django.views.decorators.common.no_append_slash",
    "django.contrib.auth.decorators.login_not_required",
    "django.utils.functional.cached_property",
    "functools.cached_property",
    "builtins.property",
    "builtins.staticmethod",
    "builtins.classmethod",
    "abc.abstractmethod",
    "typing.override",
    "typing_extensions.override",
];
/// `register.simple_tag` and the like: a template library registering the function.
const TEMPLATE_REGISTRATIONS: &[&str] = &[
    "simple_tag",
    "inclusion_tag",
    "filter",
    "tag",
    "assignment_tag",
];

/// `@method_decorator(...)`, with the method it names (`name=`), if any.
pub struct Decoration {
    pub wrappers: Vec<Wrapper>,
    /// Decorators whose effect on the response is not known.
    pub unknown: Vec<Evidence>,
    pub method: Option<String>,
}

/// What view recognition reads besides the syntax and its scope: how expressions evaluate
/// (and the source, for the evidence it keeps), and the view decorators the module has
/// named so far (`cache_15 = cache_page(900)`).
pub(super) struct ViewReader<'a> {
    pub(super) evaluator: Evaluator<'a>,
    pub(super) module_wrappers: &'a [(String, WrapperKind)],
}

/// The string entries of a settings list (`MIDDLEWARE`, `context_processors`), and the
/// first part of it that could not be read.
#[derive(Default)]
pub(super) struct SettingEntries {
    pub(super) entries: Vec<Evidence>,
    pub(super) unread: Option<Evidence>,
}

impl SettingEntries {
    fn unread(&mut self, evidence: Evidence) {
        self.unread.get_or_insert(evidence);
    }
}

/// A module-level call that shapes the URLconf.
pub(super) enum UrlconfCall {
    /// `include("blog.urls")` (or of an imported module): the included module.
    Include(Evidence),
    /// A call given `urlpatterns` (`decorate_urlpatterns(urlpatterns, require_admin)`),
    /// which may wrap every view of the module.
    WrapsUrlpatterns(Evidence),
}

impl ViewReader<'_> {
    /// The wrappers a decorator expression applies, outermost first.
    pub(super) fn decoration(&self, decorator: &Expr, env: &Env<'_>) -> Decoration {
        if let Expr::Call(call) = decorator {
            if qualified_name(&call.func, env).as_deref() == Some(METHOD_DECORATOR) {
                let method = keyword(call, "name").and_then(string_literal);
                let decorators = argument(call, 0, "decorator").map_or(&[][..], elements);
                return self.classify(decorators, method, env);
            }
        }
        self.classify(std::slice::from_ref(decorator), None, env)
    }

    /// Each decorator, once: a wrapper that matters to caching, one known to leave the
    /// response shared, or one whose effect is not known.
    fn classify(&self, decorators: &[Expr], method: Option<String>, env: &Env<'_>) -> Decoration {
        let mut decoration = Decoration {
            wrappers: Vec::new(),
            unknown: Vec::new(),
            method,
        };
        for decorator in decorators {
            match self.wrapper(decorator, env) {
                Some(wrapper) => decoration.wrappers.push(wrapper),
                None if !is_transparent(decorator, env) => {
                    decoration.unknown.push(self.evidence(decorator))
                }
                None => {}
            }
        }
        decoration
    }

    fn wrapper(&self, decorator: &Expr, env: &Env<'_>) -> Option<Wrapper> {
        let kind = wrapper_kind(decorator, env).or_else(|| {
            // `cache_15 = cache_page(60 * 15)` earlier in the module, then `@cache_15`.
            let Expr::Name(name) = decorator else {
                return None;
            };
            self.module_wrappers
                .iter()
                .rev()
                .find(|(alias, _)| alias == name.id.as_str())
                .map(|(_, kind)| *kind)
        })?;
        let locator = self.evaluator.locator;
        Some(Wrapper {
            origin: None,
            kind,
            text: locator.snippet(decorator),
            line: locator.span(decorator).line,
        })
    }

    /// Calls inside a view's body that matter to caching its response. `in_branch`: the
    /// call runs only on some paths; `self_method`: the method of the class being walked
    /// that the call names, if any.
    pub(super) fn inspect_view_call(
        &self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
        in_branch: bool,
        self_method: Option<String>,
        body: &mut ViewBody,
    ) {
        let passes_request = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .any(|arg| is_request(arg, env));
        match qualified {
            Some(name) if RENDER_FUNCTIONS.contains(&name) => {
                let hidden = context_keys(argument(call, 2, "context"));
                self.note_rendered(call, argument(call, 1, "template"), hidden, env, body);
                return;
            }
            Some(RENDER_TO_STRING) => {
                let with_request = argument(call, 2, "request").is_some_and(|r| is_request(r, env));
                if with_request {
                    if let Some(template) = argument(call, 0, "template_name") {
                        let hidden = context_keys(argument(call, 1, "context"));
                        body.templates
                            .extend(rendered(template_names(template, env), hidden));
                    }
                }
                return;
            }
            // `get_template("x.html").render(context, request)`: the template is rendered
            // later, perhaps with the request; `Template(source)` is one made at run time.
            Some(name) if TEMPLATE_LOADERS.contains(&name) => {
                let template = argument(call, 0, "template_name");
                self.note_rendered(call, template, Vec::new(), env, body);
                return;
            }
            Some(TEMPLATE_FROM_SOURCE) => {
                self.note_first(call, &mut body.dynamic_template);
                return;
            }
            Some(GET_TOKEN) => {
                self.note_first(call, &mut body.csrf_token);
                return;
            }
            // Only where every response gets it: a marking in a branch leaves the
            // others cacheable.
            Some(PATCH_CACHE_CONTROL) | Some(ADD_NEVER_CACHE_HEADERS) if in_branch => {
                return;
            }
            Some(PATCH_CACHE_CONTROL) | Some(ADD_NEVER_CACHE_HEADERS) => {
                let control = if qualified == Some(ADD_NEVER_CACHE_HEADERS) {
                    NEVER_CACHE_CONTROL
                } else {
                    cache_control_keywords(call)
                };
                let evidence = self.evidence(call);
                body.cache_control = Some(match body.cache_control.take() {
                    Some((earlier, first)) => (earlier.union(control), first),
                    None => (control, evidence),
                });
                return;
            }
            Some(name) if FILE_RESPONSES.contains(&name) => {
                self.note_first(call, &mut body.uncacheable_response);
                return;
            }
            Some(name) if REDIRECTS.contains(&name) && !in_branch => {
                self.note_first(call, &mut body.uncacheable_response);
                return;
            }
            Some(name) if CACHING_HEADERS.contains(&name) => {
                body.sets_caching_headers = true;
                return;
            }
            Some(PATCH_VARY_HEADERS) => {
                if let Some(headers) = argument(call, 1, "newheaders") {
                    let vary = vary_of_headers(headers);
                    body.vary.cookie |= vary.cookie;
                    body.vary.authorization |= vary.authorization;
                }
                return;
            }
            _ => {}
        }
        if body.changes_state.is_none()
            && changes_state(call, qualified, |receiver| {
                self.evaluator.eval(receiver, env, 0).is_query()
            })
        {
            self.note_first(call, &mut body.changes_state);
        }
        if passes_request {
            let callee = qualified
                .filter(|q| env.is_project_name(q))
                .map(str::to_string)
                .or(self_method);
            match callee {
                Some(callee) => body.request_passed_to.push(callee),
                None if !reads_request_as_django_does(call, qualified) => {
                    self.note_first(call, &mut body.request_passed_outside);
                }
                None => {}
            }
        }
    }

    /// `request.user`, `self.request.session`, ...: the first such read in a function.
    pub(super) fn inspect_per_user_read(
        &self,
        attribute: &ast::ExprAttribute,
        env: &Env<'_>,
        body: &mut ViewBody,
    ) {
        if !is_request(&attribute.value, env) {
            return;
        }
        let name = attribute.attr.as_str();
        if WRITE_ATTRIBUTES.contains(&name) {
            body.handles_writes = true;
            return;
        }
        if name == QUERY_STRING {
            body.reads_query_string = true;
            return;
        }
        if !PER_USER_ATTRIBUTES.contains(&name) {
            // Setting an attribute (`request.request_id = ...`) reads nothing per request.
            if attribute.ctx == ast::ExprContext::Load && !HTTP_REQUEST_ATTRIBUTES.contains(&name) {
                self.note_first(attribute, &mut body.request_extra);
            }
            return;
        }
        self.note_first(attribute, &mut body.per_user);
    }

    /// `path("x/", cache_page(60)(views.index))`: the route, when its view is wrapped or
    /// can be named.
    pub(super) fn route(
        &self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
        at_module_level: bool,
    ) -> Option<Route> {
        if !qualified.is_some_and(|q| URL_FUNCTIONS.contains(&q)) {
            return None;
        }
        let view = argument(call, 1, "view")?;
        let mut wrappers = Vec::new();
        let target = self.peel_wrappers(view, env, &mut wrappers, 0);
        if matches!(target, RouteTarget::Unknown) && wrappers.is_empty() {
            return None;
        }
        let locator = self.evaluator.locator;
        Some(Route {
            wrappers,
            target,
            text: locator.snippet(view),
            span: locator.span(call),
            at_module_level,
        })
    }

    /// At module level: `include(...)`, or a call given `urlpatterns`.
    pub(super) fn urlconf_call(
        &self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
    ) -> Option<UrlconfCall> {
        if qualified.is_some_and(|q| INCLUDE_FUNCTIONS.contains(&q)) {
            let target = argument(call, 0, "arg").map(|arg| match arg {
                Expr::Tuple(tuple) => tuple.elts.first().unwrap_or(arg),
                other => other,
            });
            let module = target.and_then(|target| match target {
                Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
                Expr::List(_) => None,
                other => qualified_name(other, env),
            })?;
            let line = self.evaluator.locator.span(call).line;
            return Some(UrlconfCall::Include(Evidence { text: module, line }));
        }
        let given_urlpatterns = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .any(|arg| matches!(arg, Expr::Name(name) if name.id.as_str() == "urlpatterns"));
        given_urlpatterns.then(|| UrlconfCall::WrapsUrlpatterns(self.evidence(call)))
    }

    /// Keeps `node` as the evidence of a fact of the function's body, unless an earlier
    /// one is kept: the first read, call or response of its kind is the one reported.
    fn note_first(&self, node: &impl ruff_text_size::Ranged, field: &mut Option<Evidence>) {
        if field.is_none() {
            *field = Some(self.evidence(node));
        }
    }

    /// The templates `template` names, rendered with `hidden` bound by the context; when
    /// it names none a literal gives, the call is a template named at run time.
    fn note_rendered(
        &self,
        call: &ast::ExprCall,
        template: Option<&Expr>,
        hidden: Vec<String>,
        env: &Env<'_>,
        body: &mut ViewBody,
    ) {
        let names = template.map(|t| template_names(t, env));
        match names.filter(|names| !names.is_empty()) {
            Some(names) => body.templates.extend(rendered(names, hidden)),
            None => self.note_first(call, &mut body.dynamic_template),
        }
    }

    pub(super) fn evidence(&self, node: &impl ruff_text_size::Ranged) -> Evidence {
        let locator = self.evaluator.locator;
        Evidence {
            text: locator.snippet(node),
            line: locator.span(node).line,
        }
    }

    /// `MIDDLEWARE = [...]` however it is built: `BASE + [...]`, `+=`, on `MIDDLEWARE` or
    /// a list named like it (`BASE_MIDDLEWARE`): the list's name and its entries.
    pub(super) fn middleware_setting(
        &self,
        targets: &[Expr],
        value: &Expr,
    ) -> Option<(String, SettingEntries)> {
        let setting = targets.iter().find_map(|t| match t {
            Expr::Name(n) if is_middleware_name(n.id.as_str()) => Some(n.id.as_str()),
            _ => None,
        });
        // `HAS_LOCALE_MIDDLEWARE = "..." in settings.MIDDLEWARE` is no list of them.
        let is_list = matches!(value, Expr::List(_) | Expr::Tuple(_) | Expr::BinOp(_));
        let name = setting
            .filter(|name| is_list || matches!(*name, "MIDDLEWARE" | "MIDDLEWARE_CLASSES"))?;
        Some((name.to_string(), self.setting_entries(value)))
    }

    /// `MIDDLEWARE.append("...")`, `.insert(0, "...")`, `.extend([...])`: the entries added.
    pub(super) fn middleware_call(&self, call: &ast::ExprCall) -> Option<SettingEntries> {
        let Expr::Attribute(method) = call.func.as_ref() else {
            return None;
        };
        if !matches!(method.value.as_ref(), Expr::Name(n) if is_middleware_name(n.id.as_str())) {
            return None;
        }
        let added = match method.attr.as_str() {
            "append" | "extend" => call.arguments.args.first(),
            "insert" => call.arguments.args.get(1),
            _ => None,
        };
        added.map(|added| self.setting_entries(added))
    }

    /// `"context_processors": [...]` in each engine's `OPTIONS` of `TEMPLATES = [...]`.
    pub(super) fn context_processors(&self, templates: &Expr) -> SettingEntries {
        let mut found = SettingEntries::default();
        if !matches!(templates, Expr::List(_) | Expr::Tuple(_)) {
            found.unread(self.evidence(templates));
            return found;
        }
        for engine in elements(templates) {
            let Expr::Dict(engine) = engine else {
                found.unread(self.evidence(engine));
                continue;
            };
            let key = |item: &ast::DictItem| item.key.as_ref().and_then(string_literal);
            if let Some(spread) = engine.items.iter().find(|item| item.key.is_none()) {
                found.unread(self.evidence(&spread.value));
                continue;
            }
            let Some(options) = engine
                .items
                .iter()
                .find(|item| key(item).as_deref() == Some("OPTIONS"))
            else {
                continue;
            };
            let Expr::Dict(options) = &options.value else {
                found.unread(self.evidence(&options.value));
                continue;
            };
            for item in &options.items {
                if item.key.is_none() {
                    found.unread(self.evidence(&item.value));
                }
                if key(item).as_deref() != Some("context_processors") {
                    continue;
                }
                let SettingEntries { entries, unread } = self.setting_entries(&item.value);
                found.entries.extend(entries);
                if let Some(unread) = unread {
                    found.unread(unread);
                }
            }
        }
        found
    }

    /// The string entries of a settings list, and the expression itself when part of it
    /// cannot be read.
    fn setting_entries(&self, value: &Expr) -> SettingEntries {
        let mut entries = Vec::new();
        let readable = collect_setting_entries(value, &mut entries, 0);
        let entries = entries
            .into_iter()
            .map(|entry| Evidence {
                text: match entry {
                    // Another list by name (`BASE_MIDDLEWARE`), which the site facts
                    // look for among the settings modules.
                    Expr::Name(name) => format!("*{}", name.id),
                    other => string_literal(other).unwrap_or_default(),
                },
                line: self.evaluator.locator.span(entry).line,
            })
            .collect();
        SettingEntries {
            entries,
            unread: (!readable).then(|| self.evidence(value)),
        }
    }

    /// `ROOT_URLCONF = "mysite.urls"` in a settings module.
    pub(super) fn root_urlconf(&self, targets: &[Expr], value: &Expr) -> Option<Evidence> {
        let is_setting = targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "ROOT_URLCONF"));
        let module = string_literal(value).filter(|_| is_setting)?;
        let line = self.evaluator.locator.span(value).line;
        Some(Evidence { text: module, line })
    }

    fn peel_wrappers(
        &self,
        view: &Expr,
        env: &Env<'_>,
        wrappers: &mut Vec<Wrapper>,
        depth: usize,
    ) -> RouteTarget {
        const MAX_WRAPPERS: usize = 16;
        let Expr::Call(call) = view else {
            return match qualified_name(view, env) {
                Some(name) if !name.starts_with("builtins.") => RouteTarget::Function(name),
                _ => RouteTarget::Unknown,
            };
        };
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            if attribute.attr.as_str() == "as_view" {
                return match qualified_name(&attribute.value, env) {
                    Some(name) => RouteTarget::Class {
                        qualified_name: name,
                        template_name: keyword(call, "template_name")
                            .and_then(|t| string_constant(t, env)),
                    },
                    None => RouteTarget::Unknown,
                };
            }
        }
        let ([inner], true) = (&call.arguments.args[..], call.arguments.keywords.is_empty()) else {
            return RouteTarget::Unknown;
        };
        // `cache_page(60)(view)` applies the decorator `cache_page(60)`; `login_required(view)`
        // applies `login_required` itself.
        let kind = match call.func.as_ref() {
            factory @ Expr::Call(_) => wrapper_kind(factory, env),
            bare => bare_wrapper_kind(bare, env),
        };
        let Some(kind) = kind.filter(|_| depth < MAX_WRAPPERS) else {
            return RouteTarget::Unknown;
        };
        let locator = self.evaluator.locator;
        wrappers.push(Wrapper {
            origin: None,
            kind,
            text: locator.snippet(call.func.as_ref()),
            line: locator.span(call).line,
        });
        self.peel_wrappers(inner, env, wrappers, depth + 1)
    }
}

/// `@authentication_classes([...])` and `@permission_classes([...])` on an `api_view`.
pub(super) fn drf_decorator_policy(decorators: &[ast::Decorator], env: &Env<'_>) -> DrfPolicy {
    let mut policy = DrfPolicy::default();
    for decorator in decorators {
        let Expr::Call(call) = &decorator.expression else {
            continue;
        };
        let classes = || call.arguments.args.first().map(|arg| class_names(arg, env));
        match qualified_name(&call.func, env).as_deref() {
            Some(DRF_AUTHENTICATION) => policy.authentication_classes = classes(),
            Some(DRF_PERMISSIONS) => policy.permission_classes = classes(),
            _ => {}
        }
    }
    policy
}

/// Class-level `template_name = ...`, `authentication_classes = ...`,
/// `permission_classes = ...`.
pub(super) fn record_view_attribute(
    target: &Expr,
    value: &Expr,
    env: &Env<'_>,
    view: &mut ClassView,
) {
    let Expr::Name(name) = target else { return };
    match name.id.as_str() {
        "template_name" => view.template_name = string_constant(value, env),
        "context_object_name" => view.context_names.extend(string_constant(value, env)),
        "model" => {
            view.declares_queryset = true;
            view.context_names
                .extend(last_segment(value).map(str::to_lowercase));
        }
        "queryset" => view.declares_queryset = true,
        "http_method_names" => {
            view.http_method_names = Some(
                elements(value)
                    .iter()
                    .filter_map(|e| string_constant(e, env))
                    .collect(),
            )
        }
        "authentication_classes" => view.drf.authentication_classes = Some(class_names(value, env)),
        "permission_classes" => view.drf.permission_classes = Some(class_names(value, env)),
        _ => {}
    }
}

/// What a call in a function's body is to its queries.
pub(super) enum QueryCall<'e> {
    /// `Subquery(...)`, `Exists(...)`: its arguments are part of one query.
    Embedding,
    /// `list(qs)`, `len(qs)`: evaluates its argument, when it is given one.
    Evaluating(Option<&'e Expr>),
    /// `get_object_or_404(...)` and the like: runs a query.
    Shortcut,
    /// `qs.get(...)`, `qs.count()`, ...: a query method, by name, on its receiver.
    Method { name: &'e str, receiver: &'e Expr },
}

pub(super) fn query_call<'e>(
    call: &'e ast::ExprCall,
    qualified: Option<&str>,
) -> Option<QueryCall<'e>> {
    if qualified.is_some_and(|q| EMBEDDED_QUERIES.contains(&q)) {
        return Some(QueryCall::Embedding);
    }
    if qualified.is_some_and(|q| EVALUATING_BUILTINS.contains(&q)) {
        let only = match &call.arguments.args[..] {
            [argument] => Some(argument),
            _ => None,
        };
        return Some(QueryCall::Evaluating(only));
    }
    if qualified.is_some_and(|q| SHORTCUT_QUERIES.contains(&q)) {
        return Some(QueryCall::Shortcut);
    }
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let name = method.attr.as_str();
    QUERY_METHODS.contains(&name).then_some(QueryCall::Method {
        name,
        receiver: &method.value,
    })
}

/// The kind of query worth caching that `call` (query method `name`) runs, if any: only a
/// call that runs the query (`evaluated`: its value is evaluated where it stands); a lazy
/// `annotate()` or `distinct()` is usually filtered further, per request, before it runs.
/// `per_item`: the call is in a loop.
pub(super) fn query_kind(
    call: &ast::ExprCall,
    name: &str,
    per_item: bool,
    evaluated: bool,
    env: &Env<'_>,
) -> Option<QueryKind> {
    match name {
        "aggregate" => Some(QueryKind::Aggregate),
        "count" => Some(QueryKind::Count),
        name if EVALUATING_METHODS.contains(&name) || evaluated => {
            let chain = chain_calls(call);
            if chain
                .iter()
                .any(|inner| method_name(inner) == Some("annotate") && has_aggregate(inner, env))
            {
                Some(QueryKind::AggregatingAnnotate)
            } else if chain
                .iter()
                .any(|inner| method_name(inner) == Some("distinct"))
            {
                Some(QueryKind::Distinct)
            } else if per_item && EVALUATING_METHODS.contains(&name) {
                Some(QueryKind::Lookup)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The call locks rows with `select_for_update()` somewhere along its chain.
pub(super) fn locks_rows(call: &ast::ExprCall) -> bool {
    chain_calls(call)
        .iter()
        .any(|inner| method_name(inner) == Some("select_for_update"))
}

/// `qs.get(pk=...)` (or `id=`): one row by its identity.
pub(super) fn is_single_row(call: &ast::ExprCall, name: &str) -> bool {
    name == "get"
        && call.arguments.args.is_empty()
        && matches!(&call.arguments.keywords[..], [only] if only.arg.as_ref().is_some_and(|a| matches!(a.as_str(), "pk" | "id")))
}

/// Which expressions have the same value on every request, given the locals of the
/// function being walked that do: those assigned once such a value, and the targets of
/// loops over one.
pub(super) struct SharedValues<'a> {
    pub(super) locals: &'a [String],
    pub(super) loop_targets: &'a [String],
}

impl SharedValues<'_> {
    /// Whether an expression has the same value on every request: literals, module-level
    /// names (models, constants, `settings`), locals assigned once and loop variables over
    /// such values, and calls, attributes, subscripts and operators of them. A parameter
    /// (`request`, `self`), another local, `super()`, a function that reads the current
    /// request's state, or anything the walk cannot follow is not.
    pub(super) fn is_shared(&self, expr: &Expr, env: &Env<'_>) -> bool {
        self.shared_within(expr, env, 0)
    }

    fn is_shared_local(&self, name: &str) -> bool {
        self.loop_targets.iter().any(|n| n == name) || self.locals.iter().any(|n| n == name)
    }

    pub(super) fn shared_call(&self, call: &ast::ExprCall, env: &Env<'_>, depth: usize) -> bool {
        let shared = |e: &Expr| self.shared_within(e, env, depth + 1);
        let reads_request_state = last_segment(&call.func).is_some_and(|name| {
            name == "super"
                || REQUEST_STATE_MARKERS
                    .iter()
                    .any(|marker| name.contains(marker))
        });
        !reads_request_state
            && shared(&call.func)
            && call.arguments.args.iter().all(shared)
            && call.arguments.keywords.iter().all(|k| shared(&k.value))
    }

    fn shared_within(&self, expr: &Expr, env: &Env<'_>, depth: usize) -> bool {
        const MAX_DEPTH: usize = 48;
        if depth > MAX_DEPTH {
            return false;
        }
        let shared = |e: &Expr| self.shared_within(e, env, depth + 1);
        match expr {
            literal if is_literal(literal) => true,
            Expr::Name(name) => {
                let id = name.id.as_str();
                !env.is_local(id) || self.is_shared_local(id) || constant(expr, env, 0).is_some()
            }
            Expr::Attribute(attribute) => shared(&attribute.value),
            Expr::Call(call) => self.shared_call(call, env, depth + 1),
            Expr::Subscript(subscript) => shared(&subscript.value) && shared(&subscript.slice),
            Expr::Slice(slice) => [&slice.lower, &slice.upper, &slice.step]
                .into_iter()
                .flatten()
                .all(|part| shared(part)),
            Expr::List(list) => list.elts.iter().all(shared),
            Expr::Tuple(tuple) => tuple.elts.iter().all(shared),
            Expr::Set(set) => set.elts.iter().all(shared),
            Expr::Dict(dict) => dict
                .items
                .iter()
                .all(|item| item.key.as_ref().is_none_or(shared) && shared(&item.value)),
            Expr::Starred(starred) => shared(&starred.value),
            Expr::BinOp(op) => shared(&op.left) && shared(&op.right),
            Expr::UnaryOp(op) => shared(&op.operand),
            Expr::BoolOp(op) => op.values.iter().all(shared),
            Expr::Compare(compare) => {
                shared(&compare.left) && compare.comparators.iter().all(shared)
            }
            Expr::If(test) => shared(&test.test) && shared(&test.body) && shared(&test.orelse),
            _ => false,
        }
    }
}

/// `TEMPLATES[0]["OPTIONS"]["context_processors"] += [...]` (or `.append(...)`): the
/// processors are changed where they cannot be followed.
pub(super) fn changes_templates(target: &Expr) -> bool {
    root_name(target) == Some("TEMPLATES") && !matches!(target, Expr::Name(_))
}

/// `response["Vary"] = "Cookie"` (or `response.headers["Vary"]`) in a view, and
/// caching headers set by hand (`response["Surrogate-Key"] = ...`).
pub(super) fn inspect_header_assignment(target: &Expr, value: &Expr, body: &mut ViewBody) {
    let Expr::Subscript(subscript) = target else {
        return;
    };
    let Some(header) = string_literal(&subscript.slice) else {
        return;
    };
    if header.eq_ignore_ascii_case("vary") {
        let vary = vary_of_headers(value);
        body.vary.cookie |= vary.cookie;
        body.vary.authorization |= vary.authorization;
    } else if CACHING_HEADER_NAMES
        .iter()
        .any(|name| header.eq_ignore_ascii_case(name))
    {
        // An edge cache (a CDN purged by these keys) or the browser's: an origin cache
        // in front would defeat the purges.
        body.sets_caching_headers = true;
    }
}

/// `cache_15 = cache_page(60 * 15)` at module level: a decorator under another name.
pub(super) fn wrapper_alias(
    targets: &[Expr],
    value: &Expr,
    env: &Env<'_>,
) -> Option<(String, WrapperKind)> {
    let [Expr::Name(name)] = targets else {
        return None;
    };
    wrapper_kind(value, env).map(|kind| (name.id.to_string(), kind))
}

/// `REST_FRAMEWORK = {...}` in a settings module.
pub(super) fn rest_framework(
    targets: &[Expr],
    value: &Expr,
    env: &Env<'_>,
) -> Option<RestFrameworkSettings> {
    let is_setting = targets
        .iter()
        .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "REST_FRAMEWORK"));
    let (true, Expr::Dict(dict)) = (is_setting, value) else {
        return None;
    };
    let mut settings = RestFrameworkSettings::default();
    for item in &dict.items {
        let Some(Expr::StringLiteral(key)) = &item.key else {
            continue;
        };
        match key.value.to_str() {
            "DEFAULT_AUTHENTICATION_CLASSES" => {
                settings.authentication_classes = Some(class_names(&item.value, env))
            }
            "DEFAULT_PERMISSION_CLASSES" => {
                settings.permission_classes = Some(class_names(&item.value, env))
            }
            _ => {}
        }
    }
    Some(settings)
}

const NEVER_CACHE_CONTROL: CacheControl = CacheControl {
    private: true,
    no_cache: true,
    no_store: true,
    public: false,
};

/// `MIDDLEWARE`, the old `MIDDLEWARE_CLASSES`, or a list a settings module builds it
/// from (`BASE_MIDDLEWARE`).
fn is_middleware_name(name: &str) -> bool {
    matches!(name, "MIDDLEWARE" | "MIDDLEWARE_CLASSES") || name.ends_with("_MIDDLEWARE")
}

/// The string entries of a settings list expression; `false` when part of it is not a
/// literal, a list or tuple of them, a sum of those or another `*MIDDLEWARE*` name.
fn collect_setting_entries<'e>(value: &'e Expr, entries: &mut Vec<&'e Expr>, depth: usize) -> bool {
    const MAX_DEPTH: usize = 32;
    if depth > MAX_DEPTH {
        return false;
    }
    // Every item is read, even after one that cannot be: its entries still count.
    let all = |items: &'e [Expr], entries: &mut Vec<&'e Expr>| {
        let mut readable = true;
        for item in items {
            readable &= collect_setting_entries(item, entries, depth + 1);
        }
        readable
    };
    match value {
        Expr::StringLiteral(_) => {
            entries.push(value);
            true
        }
        Expr::List(list) => all(&list.elts, entries),
        Expr::Tuple(tuple) => all(&tuple.elts, entries),
        Expr::Starred(starred) => collect_setting_entries(&starred.value, entries, depth + 1),
        Expr::BinOp(op) => {
            let left = collect_setting_entries(&op.left, entries, depth + 1);
            collect_setting_entries(&op.right, entries, depth + 1) && left
        }
        Expr::If(test) => {
            let body = collect_setting_entries(&test.body, entries, depth + 1);
            collect_setting_entries(&test.orelse, entries, depth + 1) && body
        }
        Expr::Name(name) if is_middleware_name(name.id.as_str()) => {
            entries.push(value);
            true
        }
        _ => false,
    }
}

/// A decorator known to leave the response shared: one of Django's that only restricts
/// methods or marks headers, a Python built-in, or a template library registering a tag
/// (`register.simple_tag`, a library's own `register.as_tag`).
fn is_transparent(decorator: &Expr, env: &Env<'_>) -> bool {
    let func = match decorator {
        Expr::Call(call) => call.func.as_ref(),
        other => other,
    };
    let registers_tag = matches!(func, Expr::Attribute(a)
        if TEMPLATE_REGISTRATIONS.contains(&a.attr.as_str())
            || matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == "register"));
    registers_tag
        || qualified_name(func, env)
            .is_some_and(|name| TRANSPARENT_DECORATORS.contains(&name.as_str()))
}

/// What a decorator expression is, when it is one that matters (called or not).
fn wrapper_kind(decorator: &Expr, env: &Env<'_>) -> Option<WrapperKind> {
    let (func, call) = match decorator {
        Expr::Call(call) => (call.func.as_ref(), Some(call)),
        other => (other, None),
    };
    let name = qualified_name(func, env)?;
    Some(match (name.as_str(), call) {
        (CACHE_PAGE, Some(_)) => WrapperKind::CachePage,
        (CACHE_CONTROL, Some(call)) => WrapperKind::CacheControl(cache_control_keywords(call)),
        (VARY_ON_HEADERS, Some(call)) => WrapperKind::Vary(vary_on(
            call.arguments
                .args
                .iter()
                .filter_map(string_literal)
                .collect(),
        )),
        (API_VIEW, _) => WrapperKind::ApiView,
        (REQUIRE_HTTP_METHODS, Some(call)) => {
            let methods = headers_literals(call.arguments.args.first()?);
            let safe = !methods.is_empty()
                && methods
                    .iter()
                    .all(|m| m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD"));
            return Some(if safe {
                WrapperKind::SafeMethodsOnly
            } else {
                WrapperKind::UnsafeMethods
            });
        }
        (name, Some(_)) if CONDITIONAL.contains(&name) => WrapperKind::Conditional,
        _ => {
            return bare_wrapper_kind(func, env).filter(|_| call.is_none() || is_auth_check(&name))
        }
    })
}

/// Decorators applied as they are: `login_required`, `vary_on_cookie`, `never_cache`, ...
fn bare_wrapper_kind(func: &Expr, env: &Env<'_>) -> Option<WrapperKind> {
    let name = qualified_name(func, env)?;
    Some(match name.as_str() {
        VARY_ON_COOKIE => WrapperKind::Vary(VaryOn {
            cookie: true,
            authorization: false,
        }),
        NEVER_CACHE => WrapperKind::NeverCache,
        CSRF_PROTECT | REQUIRES_CSRF_TOKEN => WrapperKind::SetsCsrfCookie { always: false },
        ENSURE_CSRF_COOKIE => WrapperKind::SetsCsrfCookie { always: true },
        CSRF_EXEMPT => WrapperKind::CsrfExempt,
        name if SAFE_METHODS_ONLY.contains(&name) => WrapperKind::SafeMethodsOnly,
        "django.views.decorators.http.require_POST" => WrapperKind::UnsafeMethods,
        name if is_auth_check(name) => WrapperKind::AuthCheck,
        _ => return None,
    })
}

fn is_auth_check(name: &str) -> bool {
    AUTH_CHECKS.contains(&name)
}

fn cache_control_keywords(call: &ast::ExprCall) -> CacheControl {
    let enabled = |name: &str| {
        keyword(call, name).is_some_and(|value| matches!(value, Expr::BooleanLiteral(b) if b.value))
    };
    CacheControl {
        private: enabled("private"),
        no_cache: enabled("no_cache"),
        no_store: enabled("no_store"),
        public: enabled("public"),
    }
}

/// What `patch_vary_headers` adds: the literal headers, or, when they are not literals,
/// possibly anything (so no rule claims the cookie is missing).
fn vary_of_headers(headers: &Expr) -> VaryOn {
    let headers = elements(headers);
    let literals: Vec<String> = headers.iter().filter_map(string_literal).collect();
    if literals.len() < headers.len() {
        return VaryOn {
            cookie: true,
            authorization: true,
        };
    }
    vary_on(
        literals
            .iter()
            .flat_map(|h| h.split(','))
            .map(|h| h.trim().to_string())
            .collect(),
    )
}

fn vary_on(headers: Vec<String>) -> VaryOn {
    VaryOn {
        cookie: headers.iter().any(|h| h.eq_ignore_ascii_case("cookie")),
        authorization: headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("authorization")),
    }
}

/// String literals of a list, tuple or single string.
fn headers_literals(expr: &Expr) -> Vec<String> {
    elements(expr).iter().filter_map(string_literal).collect()
}

/// Calls given the request whose use of it Django defines: rendering (the template
/// facts read what the page uses), the CSRF token, the response helpers, and `super()`'s
/// methods (the base class's, which the method resolution order reads).
fn reads_request_as_django_does(call: &ast::ExprCall, qualified: Option<&str>) -> bool {
    let calls_super = match call.func.as_ref() {
        Expr::Attribute(method) => matches!(method.value.as_ref(), Expr::Call(inner)
            if matches!(inner.func.as_ref(), Expr::Name(name) if name.id.as_str() == "super")),
        _ => false,
    };
    calls_super
        || qualified.is_some_and(|name| {
            RENDER_FUNCTIONS.contains(&name)
                || name == RENDER_TO_STRING
                || name == GET_TOKEN
                || name.starts_with("django.utils.cache.")
                || name.starts_with("django.contrib.messages.")
        })
}

/// A call that changes state or talks to the outside: `obj.save()`, a query's write
/// methods, a queued task (`.delay()`, `.apply_async()`), `messages.*`, mail, HTTP.
fn changes_state(
    call: &ast::ExprCall,
    qualified: Option<&str>,
    is_query: impl Fn(&Expr) -> bool,
) -> bool {
    if qualified.is_some_and(|name| SIDE_EFFECT_MODULES.iter().any(|m| name.starts_with(m))) {
        return true;
    }
    let Expr::Attribute(method) = call.func.as_ref() else {
        return false;
    };
    match method.attr.as_str() {
        "save" | "delay" | "apply_async" => true,
        name if WRITE_METHODS.contains(&name) => is_query(&method.value),
        _ => false,
    }
}

/// `annotate(n=Count("comments"))`: an argument built from a `django.db.models` aggregate.
fn has_aggregate(call: &ast::ExprCall, env: &Env<'_>) -> bool {
    call.arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|k| &k.value))
        .any(|arg| match arg {
            Expr::Call(inner) => qualified_name(&inner.func, env).is_some_and(|q| {
                q.starts_with("django.db.models")
                    && AGGREGATES.contains(&q.rsplit('.').next().unwrap_or_default())
            }),
            _ => false,
        })
}

/// The calls along a method chain, outermost first: `a.filter().select_for_update().get()`
/// gives the `get`, `select_for_update` and `filter` calls.
fn chain_calls(call: &ast::ExprCall) -> Vec<&ast::ExprCall> {
    const MAX_CHAIN: usize = 64;
    let mut calls = vec![call];
    let mut current = call;
    while let Expr::Attribute(attribute) = current.func.as_ref() {
        let Expr::Call(inner) = attribute.value.as_ref() else {
            break;
        };
        if calls.len() >= MAX_CHAIN {
            break;
        }
        calls.push(inner);
        current = inner;
    }
    calls
}

fn method_name(call: &ast::ExprCall) -> Option<&str> {
    match call.func.as_ref() {
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// `request` (a view's request parameter) or `self.request`.
fn is_request(expr: &Expr, env: &Env<'_>) -> bool {
    match expr {
        Expr::Name(name) => env
            .lookup(name.id.as_str())
            .is_some_and(|bindings| bindings.contains(&Binding::Request)),
        Expr::Attribute(attribute) => {
            attribute.attr.as_str() == "request"
                && matches!(attribute.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self")
        }
        _ => false,
    }
}

fn string_constant(expr: &Expr, env: &Env<'_>) -> Option<String> {
    match constant(expr, env, 0) {
        Some(Constant::Str(text)) => Some(text),
        _ => None,
    }
}

fn rendered(names: Vec<String>, hidden: Vec<String>) -> Vec<RenderedTemplate> {
    names
        .into_iter()
        .map(|name| RenderedTemplate {
            name,
            hidden: hidden.clone(),
        })
        .collect()
}

/// The string keys of a context given as a dict literal (`{"user": owner}`).
fn context_keys(context: Option<&Expr>) -> Vec<String> {
    match context {
        Some(Expr::Dict(dict)) => dict
            .items
            .iter()
            .filter_map(|item| item.key.as_ref().and_then(string_literal))
            .collect(),
        _ => Vec::new(),
    }
}

/// A template name, or each name of a list of candidates.
fn template_names(expr: &Expr, env: &Env<'_>) -> Vec<String> {
    elements(expr)
        .iter()
        .filter_map(|e| string_constant(e, env))
        .collect()
}

/// `[TokenAuthentication, "rest_framework.authentication.SessionAuthentication"]`: each
/// class's dotted name where it resolves, else its name as written.
fn class_names(expr: &Expr, env: &Env<'_>) -> Vec<String> {
    elements(expr)
        .iter()
        .filter_map(|element| match element {
            Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
            other => qualified_name(other, env)
                .filter(|q| !q.starts_with("builtins."))
                .or_else(|| last_segment(other).map(str::to_string)),
        })
        .collect()
}
