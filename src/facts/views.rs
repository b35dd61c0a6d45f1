//! View facts: how a view is wrapped (decorators, `method_decorator`, URLconf wrapping),
//! what it reads of the current user, what it renders, and its DRF policies.

use ruff_python_ast::{self as ast, Expr};

use super::eval::{constant, elements, qualified_name, string_literal};
use super::extract::{argument, keyword, Extractor};
use super::scope::{Binding, Env};
use super::shape::Constant;

/// A decorator that matters to view caching, as applied to a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapper {
    pub kind: WrapperKind,
    /// The decorator as written, e.g. `cache_page(60 * 15)`.
    pub text: String,
    pub line: usize,
    /// Where it comes from when that is not the view itself (a settings file's defaults).
    pub origin: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrapperKind {
    CachePage,
    /// `vary_on_cookie`, `vary_on_headers(...)`: which request headers it adds to `Vary`.
    Vary(VaryOn),
    /// `login_required`, `permission_required`, `user_passes_test`, `staff_member_required`.
    AuthCheck,
    CsrfProtect,
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VaryOn {
    pub cookie: bool,
    pub authorization: bool,
}

/// `Cache-Control` directives set to true.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub text: String,
    pub line: usize,
}

/// A DRF view's explicit policies: class names as written or resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrfPolicy {
    pub authentication_classes: Option<Vec<String>>,
    pub permission_classes: Option<Vec<String>>,
}

/// A function or method's view-related facts.
#[derive(Debug)]
pub struct ViewFunction {
    pub qualified_name: String,
    /// The function's name in its `def` line.
    pub span: super::span::Span,
    /// Decorators that matter, outermost first; `method_decorator` lists unfolded.
    pub decorators: Vec<Wrapper>,
    /// `@authentication_classes(...)` / `@permission_classes(...)` on an `api_view`.
    pub drf: DrfPolicy,
    pub body: ViewBody,
}

/// What a view's body does that matters to caching its response.
#[derive(Debug, Default)]
pub struct ViewBody {
    /// The first read of per-user state: `request.user`, `request.session`, ...
    pub per_user: Option<Evidence>,
    /// Project functions it passes the request to.
    pub request_passed_to: Vec<String>,
    /// Templates it renders with the request (`render(request, "x.html")`).
    pub templates: Vec<RenderedTemplate>,
    /// `get_token(request)`: the response carries a CSRF token.
    pub csrf_token: Option<Evidence>,
    /// `patch_cache_control(response, ...)` / `add_never_cache_headers(response)`.
    pub cache_control: Option<(CacheControl, Evidence)>,
    /// `patch_vary_headers(response, [...])`.
    pub vary: VaryOn,
    /// The first database query it makes.
    pub query: Option<Evidence>,
    /// Queries worth caching: aggregates, counts, `distinct()`, and queries in a loop.
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
    /// Streams a file (`FileResponse`, `StreamingHttpResponse`): not a page to cache.
    pub serves_file: bool,
}

/// A query worth caching.
#[derive(Debug, Clone)]
pub struct QueryUse {
    pub text: String,
    pub span: super::span::Span,
    /// Its source range: a query inside a reported chain is the same query.
    pub range: ruff_text_size::TextRange,
    /// What makes it expensive, e.g. "an aggregate" or "a query inside a loop".
    pub reason: &'static str,
}

impl ViewBody {
    pub fn is_empty(&self) -> bool {
        self.per_user.is_none()
            && self.request_passed_to.is_empty()
            && self.templates.is_empty()
            && self.csrf_token.is_none()
            && self.cache_control.is_none()
            && self.vary == VaryOn::default()
            && self.query.is_none()
            && self.expensive_queries.is_empty()
            && !self.uses_cache
            && !self.handles_writes
            && !self.sets_caching_headers
            && !self.reads_query_string
            && !self.serves_file
    }
}

/// A template a view renders, with the names its context gives (which hide what
/// context processors add: `{"user": owner}` is not the visitor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedTemplate {
    pub name: String,
    pub hidden: Vec<String>,
}

/// A class's view-related attributes.
#[derive(Debug, Default)]
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
}

/// A URLconf entry, with the wrappers around its view.
#[derive(Debug)]
pub struct Route {
    /// Wrappers around the view, outermost first.
    pub wrappers: Vec<Wrapper>,
    pub target: RouteTarget,
    /// The view argument as written.
    pub text: String,
    pub span: super::span::Span,
}

#[derive(Debug)]
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
#[derive(Debug, Default, Clone)]
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
const GET_TOKEN: &str = "django.middleware.csrf.get_token";
const PATCH_CACHE_CONTROL: &str = "django.utils.cache.patch_cache_control";
const ADD_NEVER_CACHE_HEADERS: &str = "django.utils.cache.add_never_cache_headers";
const PATCH_VARY_HEADERS: &str = "django.utils.cache.patch_vary_headers";
const CACHING_HEADERS: &[&str] = &[
    "django.utils.cache.patch_response_headers",
    "django.utils.cache.patch_cache_control",
    "django.utils.cache.add_never_cache_headers",
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
const SHORTCUT_QUERIES: &[&str] = &[
    "django.shortcuts.get_object_or_404",
    "django.shortcuts.get_list_or_404",
];
/// Request attributes that differ from one user to the next.
const PER_USER_ATTRIBUTES: &[&str] = &["user", "session", "COOKIES", "auth"];
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

/// `@method_decorator(...)`, with the method it names (`name=`), if any.
pub struct Decoration {
    pub wrappers: Vec<Wrapper>,
    pub method: Option<String>,
}

impl Extractor<'_> {
    /// The wrappers a decorator expression applies, outermost first.
    pub(super) fn decoration(&self, decorator: &Expr, env: &Env<'_>) -> Decoration {
        if let Expr::Call(call) = decorator {
            if qualified_name(&call.func, env).as_deref() == Some(METHOD_DECORATOR) {
                let method = keyword(call, "name").and_then(string_literal);
                let wrappers = argument(call, 0, "decorator")
                    .map(|decorators| self.wrappers(elements(decorators), env))
                    .unwrap_or_default();
                return Decoration { wrappers, method };
            }
        }
        Decoration {
            wrappers: self.wrappers(std::slice::from_ref(decorator), env),
            method: None,
        }
    }

    fn wrappers(&self, decorators: &[Expr], env: &Env<'_>) -> Vec<Wrapper> {
        decorators
            .iter()
            .filter_map(|decorator| {
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
                Some(Wrapper {
                    origin: None,
                    kind,
                    text: self.locator.snippet(decorator),
                    line: self.locator.span(decorator).line,
                })
            })
            .collect()
    }

    /// `@authentication_classes([...])` and `@permission_classes([...])` on an `api_view`.
    pub(super) fn drf_decorator_policy(
        &self,
        decorators: &[ast::Decorator],
        env: &Env<'_>,
    ) -> DrfPolicy {
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
        &self,
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
                    .extend(super::eval::last_segment(value).map(str::to_lowercase));
            }
            "queryset" => view.declares_queryset = true,
            "authentication_classes" => {
                view.drf.authentication_classes = Some(class_names(value, env))
            }
            "permission_classes" => view.drf.permission_classes = Some(class_names(value, env)),
            _ => {}
        }
    }

    /// Calls inside a view's body that matter to caching its response.
    pub(super) fn inspect_view_call(
        &mut self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
    ) {
        let Some(body) = self.view_body() else { return };
        let passes_request = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .any(|arg| is_request(arg, env));
        let line = || self.locator.span(call).line;
        match qualified {
            Some(name) if RENDER_FUNCTIONS.contains(&name) => {
                if let Some(template) = argument(call, 1, "template") {
                    let hidden = context_keys(argument(call, 2, "context"));
                    let rendered = rendered(template_names(template, env), hidden);
                    self.view_body_mut(|body| body.templates.extend(rendered));
                }
                return;
            }
            Some(RENDER_TO_STRING) => {
                let with_request = argument(call, 2, "request").is_some_and(|r| is_request(r, env));
                if with_request {
                    if let Some(template) = argument(call, 0, "template_name") {
                        let hidden = context_keys(argument(call, 1, "context"));
                        let rendered = rendered(template_names(template, env), hidden);
                        self.view_body_mut(|body| body.templates.extend(rendered));
                    }
                }
                return;
            }
            Some(GET_TOKEN) => {
                if body.csrf_token.is_none() {
                    let evidence = Evidence {
                        text: self.locator.snippet(call),
                        line: line(),
                    };
                    self.view_body_mut(|body| body.csrf_token = Some(evidence));
                }
                return;
            }
            // Only where every response gets it: a marking in a branch leaves the
            // others cacheable.
            Some(PATCH_CACHE_CONTROL) | Some(ADD_NEVER_CACHE_HEADERS) if self.in_branch() => {
                return;
            }
            Some(PATCH_CACHE_CONTROL) | Some(ADD_NEVER_CACHE_HEADERS) => {
                let control = if qualified == Some(ADD_NEVER_CACHE_HEADERS) {
                    NEVER_CACHE_CONTROL
                } else {
                    cache_control_keywords(call)
                };
                let evidence = Evidence {
                    text: self.locator.snippet(call),
                    line: line(),
                };
                self.view_body_mut(|body| {
                    body.cache_control = Some(match body.cache_control.take() {
                        Some((earlier, first)) => (earlier.union(control), first),
                        None => (control, evidence),
                    });
                });
                return;
            }
            Some(name) if FILE_RESPONSES.contains(&name) => {
                self.view_body_mut(|body| body.serves_file = true);
                return;
            }
            Some(name) if CACHING_HEADERS.contains(&name) => {
                self.view_body_mut(|body| body.sets_caching_headers = true);
                return;
            }
            Some(PATCH_VARY_HEADERS) => {
                if let Some(headers) = argument(call, 1, "newheaders") {
                    let vary = vary_of_headers(headers);
                    self.view_body_mut(|body| {
                        body.vary.cookie |= vary.cookie;
                        body.vary.authorization |= vary.authorization;
                    });
                }
                return;
            }
            _ => {}
        }
        if passes_request {
            let callee = qualified
                .filter(|q| env.is_project_name(q))
                .map(str::to_string)
                .or_else(|| self.self_method(call));
            if let Some(callee) = callee {
                self.view_body_mut(|body| body.request_passed_to.push(callee));
            }
        }
    }

    /// `request.user`, `self.request.session`, ...: the first such read in a function.
    pub(super) fn inspect_per_user_read(&mut self, attribute: &ast::ExprAttribute, env: &Env<'_>) {
        if !is_request(&attribute.value, env) {
            return;
        }
        let name = attribute.attr.as_str();
        if WRITE_ATTRIBUTES.contains(&name) {
            self.view_body_mut(|body| body.handles_writes = true);
            return;
        }
        if name == QUERY_STRING {
            self.view_body_mut(|body| body.reads_query_string = true);
            return;
        }
        if !PER_USER_ATTRIBUTES.contains(&name) {
            return;
        }
        if self.view_body().is_some_and(|body| body.per_user.is_none()) {
            let evidence = self.evidence(attribute);
            self.view_body_mut(|body| body.per_user = Some(evidence));
        }
    }

    /// `path("x/", cache_page(60)(views.index))`: records the route when the view is
    /// wrapped in `cache_page`.
    pub(super) fn inspect_route(
        &mut self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
    ) {
        if !qualified.is_some_and(|q| URL_FUNCTIONS.contains(&q)) {
            return;
        }
        let Some(view) = argument(call, 1, "view") else {
            return;
        };
        let mut wrappers = Vec::new();
        let target = self.peel_wrappers(view, env, &mut wrappers, 0);
        if matches!(target, RouteTarget::Unknown) && wrappers.is_empty() {
            return;
        }
        self.facts.routes.push(Route {
            wrappers,
            target,
            text: self.locator.snippet(view),
            span: self.locator.span(call),
        });
    }

    /// A query in a function's body: the first one, and the ones worth caching.
    pub(super) fn inspect_query(
        &mut self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
    ) {
        let Some(body) = self.view_body() else { return };
        let has_query = body.query.is_some();
        if qualified.is_some_and(|q| SHORTCUT_QUERIES.contains(&q)) {
            if !has_query {
                let evidence = self.evidence(call);
                self.view_body_mut(|body| body.query = Some(evidence));
            }
            return;
        }
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let name = method.attr.as_str();
        if !QUERY_METHODS.contains(&name) {
            return;
        }
        let reason = if self.in_loop() && EVALUATING_METHODS.contains(&name) {
            Some("a query inside a loop")
        } else {
            match name {
                "aggregate" => Some("an aggregate"),
                "count" => Some("a count"),
                "distinct" => Some("a `distinct()` query"),
                "annotate" if has_aggregate(call, env) => Some("an aggregating `annotate()`"),
                _ => None,
            }
        };
        let range = ruff_text_size::Ranged::range(call);
        let in_reported_chain = body
            .expensive_queries
            .iter()
            .any(|found| found.range.contains_range(range));
        if (reason.is_none() && has_query)
            || in_reported_chain
            || !self.eval(&method.value, env, 0).is_query()
        {
            return;
        }
        let evidence = self.evidence(call);
        let found = reason.map(|reason| QueryUse {
            text: evidence.text.clone(),
            span: self.locator.span(call),
            range,
            reason,
        });
        self.view_body_mut(|body| {
            if body.query.is_none() {
                body.query = Some(evidence);
            }
            body.expensive_queries.extend(found);
        });
    }

    fn evidence(&self, node: &impl ruff_text_size::Ranged) -> Evidence {
        Evidence {
            text: self.locator.snippet(node),
            line: self.locator.span(node).line,
        }
    }

    /// `MIDDLEWARE = [..., "django.middleware.cache.UpdateCacheMiddleware", ...]`.
    pub(super) fn record_middleware(&mut self, targets: &[Expr], value: &Expr) {
        let is_setting = targets.iter().any(|t| {
            matches!(t, Expr::Name(n) if matches!(n.id.as_str(), "MIDDLEWARE" | "MIDDLEWARE_CLASSES"))
        });
        if !is_setting {
            return;
        }
        for middleware in headers_literals(value) {
            match middleware.as_str() {
                "django.middleware.cache.UpdateCacheMiddleware" => {
                    self.facts.site_wide_cache = true
                }
                "django.contrib.auth.middleware.LoginRequiredMiddleware" => {
                    self.facts.site_requires_login = true
                }
                _ => {}
            }
        }
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
        wrappers.push(Wrapper {
            origin: None,
            kind,
            text: self.locator.snippet(call.func.as_ref()),
            line: self.locator.span(call).line,
        });
        self.peel_wrappers(inner, env, wrappers, depth + 1)
    }

    /// `response["Vary"] = "Cookie"` (or `response.headers["Vary"]`) in a view.
    pub(super) fn inspect_header_assignment(&mut self, target: &Expr, value: &Expr) {
        let Expr::Subscript(subscript) = target else {
            return;
        };
        let is_vary =
            string_literal(&subscript.slice).is_some_and(|h| h.eq_ignore_ascii_case("vary"));
        if is_vary {
            let vary = vary_of_headers(value);
            self.view_body_mut(|body| {
                body.vary.cookie |= vary.cookie;
                body.vary.authorization |= vary.authorization;
            });
        }
    }

    /// `cache_15 = cache_page(60 * 15)` at module level: a decorator under another name.
    pub(super) fn record_wrapper_alias(&mut self, targets: &[Expr], value: &Expr, env: &Env<'_>) {
        let [Expr::Name(name)] = targets else { return };
        if let Some(kind) = wrapper_kind(value, env) {
            self.module_wrappers.push((name.id.to_string(), kind));
        }
    }

    /// `REST_FRAMEWORK = {...}` in a settings module.
    pub(super) fn record_rest_framework(&mut self, targets: &[Expr], value: &Expr, env: &Env<'_>) {
        let is_setting = targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "REST_FRAMEWORK"));
        let (true, Expr::Dict(dict)) = (is_setting, value) else {
            return;
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
        self.facts.rest_framework = Some(settings);
    }
}

const NEVER_CACHE_CONTROL: CacheControl = CacheControl {
    private: true,
    no_cache: true,
    no_store: true,
    public: false,
};

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
        CSRF_PROTECT => WrapperKind::CsrfProtect,
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
                .or_else(|| super::eval::last_segment(other).map(str::to_string)),
        })
        .collect()
}
