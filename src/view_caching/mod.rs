//! How each view of the project is cached: every way the project caches a view's
//! response, with the layers a request passes through in order (URLconf wrappers,
//! decorators, `dispatch`, auth mixins and DRF checks, handler decorators, what the body
//! does to the response), and what the view reads of the current user, directly, through
//! a helper or through its template (CA2xx). `routed` gives every routed view and the code
//! that runs on requests (CA501, CA502); `site` what the settings do to every request.

mod routed;
mod site;

pub use routed::{RequestCode, RoutedView, RunsIn};
pub use site::SiteFacts;

use rustc_hash::FxHashMap as HashMap;

use crate::django_version::{CacheBehaviour, TargetVersion};
use crate::facts::span::Span;
use crate::facts::view_facts::{
    CacheControl, ClassView, DrfPolicy, RenderedTemplate, RestFrameworkSettings, Route,
    RouteTarget, VaryOn, ViewBody, ViewFunction, Wrapper, WrapperKind,
};
use crate::facts::{last_name, ClassFact};
use crate::index::ProjectIndex;
use crate::templates::{TemplateIndex, TemplateQuery};
use crate::test_code::is_test_path;

/// One way a view's response is cached.
pub struct CachedView {
    /// The view as named in messages, e.g. `index` or `PostList`.
    pub name: String,
    /// Where findings are reported: the view's `def`/`class` line, or the URLconf line.
    pub path: String,
    pub span: Span,
    /// The URLconf entry, when the caching is applied there.
    pub route: Option<String>,
    /// A class-based view (decorators go through `method_decorator`).
    pub is_class: bool,
    /// Outermost first; `layers[cache_at]` is the outermost `cache_page`, whose hits skip
    /// everything inside it.
    pub layers: Vec<Wrapper>,
    pub cache_at: usize,
    /// `layers[store_at]` is the innermost `cache_page`, the first to store the response:
    /// what must run before a response is stored (a vary, `csrf_protect`) must run inside
    /// it, where it is inside every cache. The same as `cache_at` for a view cached once.
    pub store_at: usize,
    /// The innermost `cache_page` is applied in the URLconf.
    pub stored_by_urlconf: bool,
    /// How a DRF view authenticates, when it is one.
    pub drf: Option<DrfAuthentication>,
    /// Where the view reads per-user state.
    pub per_user: Option<Found>,
    /// Where the response gets a CSRF token.
    pub csrf_token: Option<Found>,
}

/// A fact found in the project, described for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// e.g. "reads `request.user` (line 12)".
    pub description: String,
}

/// A DRF view's authentication: by header (token, JWT, Basic), by session cookie, or both.
#[derive(Clone, Debug, Default)]
pub struct DrfAuthentication {
    /// The first header-based class, e.g. `TokenAuthentication`.
    pub header: Option<String>,
    pub session: bool,
}

pub struct ViewMap {
    pub views: Vec<CachedView>,
    /// Every routed project view, with what decides whether its response could be
    /// cached whole (CA502).
    pub routed: Vec<RoutedView>,
    /// Functions that run while requests are answered, with their expensive queries
    /// (CA501).
    pub request_code: Vec<RequestCode>,
    /// What the settings do to every request.
    pub site: SiteFacts,
}

/// Auth mixins whose check runs in `dispatch`.
const AUTH_MIXINS: &[&str] = &[
    "LoginRequiredMixin",
    "PermissionRequiredMixin",
    "UserPassesTestMixin",
];
/// Methods that handle a GET, which is what `cache_page` stores.
const GET_HANDLERS: &[&str] = &["get", "list", "retrieve"];
/// Methods Django's generic views and DRF call while answering a GET.
const GET_HOOKS: &[&str] = &[
    "dispatch",
    "setup",
    "head",
    "get_context_data",
    "get_queryset",
    "get_object",
    "get_context_object_name",
    "render_to_response",
    "get_serializer",
    "get_serializer_class",
    "get_serializer_context",
    "filter_queryset",
    "paginate_queryset",
    "get_paginated_response",
    "finalize_response",
];
const MAX_INHERITANCE: usize = 8;

impl CachedView {
    pub fn outside(&self) -> &[Wrapper] {
        &self.layers[..self.cache_at]
    }

    /// What runs before the response is stored, and is skipped on a cache hit.
    pub fn inside(&self) -> &[Wrapper] {
        &self.layers[self.cache_at + 1..]
    }

    pub fn cache_page(&self) -> &Wrapper {
        &self.layers[self.cache_at]
    }

    /// Cached by two `cache_page`s or more, one inside the other.
    pub fn cached_twice(&self) -> bool {
        self.store_at != self.cache_at
    }

    /// The innermost `cache_page`, which stores the response first.
    pub fn storing_cache(&self) -> &Wrapper {
        &self.layers[self.store_at]
    }

    /// What runs before the first cache stores the response.
    fn inside_storing(&self) -> &[Wrapper] {
        &self.layers[self.store_at + 1..]
    }

    fn varies(layers: &[Wrapper], on: fn(VaryOn) -> bool) -> Option<&Wrapper> {
        layers
            .iter()
            .find(|w| matches!(w.kind, WrapperKind::Vary(vary) if on(vary)))
    }

    /// A cookie vary before the response is stored. A vary decorator counts anywhere
    /// inside the outermost cache: it patches the response as it passes, before any cache
    /// stores a `TemplateResponse`. The CSRF cookie, which comes with `Vary: Cookie`, counts
    /// inside the innermost: `ensure_csrf_cookie` sets it on every response,
    /// `csrf_protect` and `requires_csrf_token` on a page that renders a token (which
    /// paths render it is not followed, so such a page is not proved shared).
    pub fn vary_on_cookie_inside(&self) -> Option<&Wrapper> {
        Self::varies(self.inside(), |v| v.cookie).or_else(|| {
            self.csrf_cookie_inside().filter(|w| {
                matches!(w.kind, WrapperKind::SetsCsrfCookie { always } if always || self.csrf_token.is_some())
            })
        })
    }

    pub fn vary_on_cookie_outside(&self) -> Option<&Wrapper> {
        Self::varies(self.outside(), |v| v.cookie)
    }

    pub fn vary_on_authorization_inside(&self) -> Option<&Wrapper> {
        Self::varies(self.inside(), |v| v.authorization)
    }

    pub fn auth_check_inside(&self) -> Option<&Wrapper> {
        self.inside()
            .iter()
            .find(|w| w.kind == WrapperKind::AuthCheck)
    }

    /// `csrf_exempt` on any layer, or a DRF view (whose `as_view()` is `csrf_exempt`): the
    /// view accepts POSTs without a token.
    pub fn csrf_exempt(&self) -> bool {
        self.drf.is_some()
            || self
                .layers
                .iter()
                .any(|w| w.kind == WrapperKind::CsrfExempt)
    }

    /// What sets the CSRF cookie before the response is stored: `csrf_protect`,
    /// `requires_csrf_token` or `ensure_csrf_cookie`.
    pub fn csrf_cookie_inside(&self) -> Option<&Wrapper> {
        self.inside_storing()
            .iter()
            .find(|w| matches!(w.kind, WrapperKind::SetsCsrfCookie { .. }))
    }

    /// `Cache-Control: public` set before the response is stored.
    pub fn public_inside(&self) -> bool {
        self.inside()
            .iter()
            .any(|w| matches!(w.kind, WrapperKind::CacheControl(c) if c.public))
    }

    /// How the URLconf caches the view, when it does, for details.
    pub fn route_note(&self) -> Option<String> {
        self.route
            .as_ref()
            .map(|route| format!("the URLconf caches it as `{route}`"))
    }

    /// The line of the view's one `cache_page`, when it is written on the view itself (in
    /// the file the view is reported in) rather than in the URLconf, a base class or a
    /// settings default: where a decorator goes to run inside it. `None` for a view cached
    /// twice, where which cache a decorator must be inside depends on the response.
    pub fn own_cache_page_line(&self) -> Option<usize> {
        let cache_page = self.storing_cache();
        (!self.stored_by_urlconf
            && !self.cached_twice()
            && cache_page.origin.is_none()
            && cache_page.line > 0)
            .then_some(cache_page.line)
    }

    /// How to put `decorator` inside the storing (innermost) cache, inside every cache,
    /// for messages that name it just before.
    pub fn inside_fix(&self, decorator: &str) -> String {
        let cache = self.storing_cache();
        if self.stored_by_urlconf {
            let cache = &cache.text;
            format!("wrap it as `{cache}({decorator}(...))` in the URLconf")
        } else if let Some(origin) = cache.origin.as_ref().filter(|_| self.is_class) {
            format!("apply `{decorator}` inside it, where {origin} applies it")
        } else if self.is_class {
            format!("add `@method_decorator({decorator})` beneath it, with the same `name=` (or `{decorator}` after it in its `method_decorator([...])` list)")
        } else {
            format!("add `@{decorator}` below it")
        }
    }

    /// Whether the view reads per-user state and its users are told apart by the
    /// `Authorization` header, on a Django that does not vary on it by itself (or with
    /// a `public` response): CA204's case, which CA201 leaves to it.
    pub fn shared_across_tokens(&self, version: &TargetVersion) -> bool {
        let Some(drf) = &self.drf else { return false };
        drf.header.is_some()
            && self.per_user.is_some()
            && self.vary_on_authorization_inside().is_none()
            && (!version.version.has(CacheBehaviour::VariesOnAuthorization) || self.public_inside())
    }

    /// Whether the session cookie tells this view's users apart.
    pub fn identified_by_cookie(&self) -> bool {
        self.drf.as_ref().is_none_or(|drf| drf.session)
    }

    /// The layer inside the storing cache (and so inside every cache) that stops it from
    /// ever storing the response.
    pub fn prevents_storing(&self, version: &TargetVersion) -> Option<&Wrapper> {
        let refuses_no_cache = version.version.has(CacheBehaviour::RefusesNoCacheResponses);
        self.inside_storing().iter().find(|w| match w.kind {
            WrapperKind::NeverCache => true,
            WrapperKind::CacheControl(control) => {
                control.private || (refuses_no_cache && (control.no_cache || control.no_store))
            }
            _ => false,
        })
    }
}

impl ViewMap {
    /// The cached views whose responses the cache does store: what CA201–CA204 judge
    /// (a view it never stores is CA205's, and leaks nothing).
    pub fn stored<'v>(
        &'v self,
        version: &'v TargetVersion,
    ) -> impl Iterator<Item = &'v CachedView> {
        self.views
            .iter()
            .filter(move |view| view.prevents_storing(version).is_none())
    }

    pub fn build(index: &ProjectIndex, templates: &TemplateIndex) -> ViewMap {
        let project = Project::new(index, templates);
        let mut views = Vec::new();
        for (path, function) in project.function_views.values() {
            if project
                .classes
                .contains_key(parent(&function.qualified_name))
            {
                continue;
            }
            let stack = project.function_stack(path, function);
            views.extend(project.cached(
                &stack,
                &[],
                last_name(&function.qualified_name),
                path,
                &function.span,
                None,
            ));
        }
        for (qualified, (path, class)) in &project.classes {
            // Caching a class inherits is reported where the base class applies it, and
            // also on a subclass that renders or runs something of its own (a template, a
            // GET-path method): a `CacheMixin` caches each such view on its own terms.
            let introduces = project.introduces_cache(qualified, class);
            if !introduces
                && (!project.adds_to_view(qualified, class)
                    || project.dispatch_overridden_below_cache(qualified, class))
            {
                continue;
            }
            for stack in project
                .class_stacks(qualified, class, None)
                .into_iter()
                .filter(|stack| {
                    if introduces {
                        !stack.inherited_cache
                    } else {
                        stack.inherited_cache
                            && stack
                                .layers
                                .iter()
                                .any(|w| w.kind == WrapperKind::CachePage)
                    }
                })
            {
                let (at_path, span) = match &stack.reported_at {
                    Some((method_path, method)) => (method_path.as_str(), method.span.clone()),
                    None => (path.as_str(), class.span.clone()),
                };
                views.extend(project.cached(&stack, &[], &class.name, at_path, &span, None));
            }
        }
        for (path, route) in project.routes.iter().filter(|(_, route)| {
            route
                .wrappers
                .iter()
                .any(|w| w.kind == WrapperKind::CachePage)
        }) {
            let name = match &route.target {
                RouteTarget::Function(qualified) => last_name(qualified).to_string(),
                RouteTarget::Class { qualified_name, .. } => last_name(qualified_name).to_string(),
                RouteTarget::Unknown => route.text.clone(),
            };
            let stacks = match &route.target {
                RouteTarget::Function(qualified) => {
                    match project.function_views.get(qualified.as_str()) {
                        Some((function_path, function)) => {
                            vec![project.function_stack(function_path, function)]
                        }
                        None => vec![Stack::default()],
                    }
                }
                RouteTarget::Class {
                    qualified_name,
                    template_name,
                } => match project.classes.get(qualified_name.as_str()) {
                    Some((_, class)) => project
                        .class_stacks(qualified_name, class, template_name.as_deref())
                        .into_iter()
                        .take(1)
                        .collect(),
                    None => vec![Stack {
                        templates: template_name
                            .iter()
                            .map(|name| RenderedTemplate {
                                name: name.clone(),
                                hidden: Vec::new(),
                            })
                            .collect(),
                        is_class: true,
                        ..Stack::default()
                    }],
                },
                RouteTarget::Unknown => vec![Stack::default()],
            };
            for stack in stacks {
                views.extend(project.cached(
                    &stack,
                    &route.wrappers,
                    &name,
                    path,
                    &route.span,
                    Some(route.text.clone()),
                ));
            }
        }
        views.sort_by(|a, b| (&a.path, a.span.line).cmp(&(&b.path, b.span.line)));
        let routed = project.routed_views();
        let site = project.site_facts();
        let request_code = project.request_code(&routed, &site);
        ViewMap {
            views,
            routed,
            request_code,
            site,
        }
    }
}

/// A view's layers without URLconf wrapping, and what its body reads.
#[derive(Default)]
struct Stack<'a> {
    layers: Vec<Wrapper>,
    drf: Option<DrfAuthentication>,
    /// The functions and methods that build the response, with their files.
    bodies: Vec<(&'a str, &'a ViewFunction)>,
    /// A class's `template_name` (or the one `as_view()` is given).
    templates: Vec<RenderedTemplate>,
    /// The handler method whose decorator caches it, when the caching is on a method.
    reported_at: Option<(&'a String, &'a ViewFunction)>,
    /// The class caches `dispatch` only through a base class.
    inherited_cache: bool,
    is_class: bool,
    /// A generic view's `model` or `queryset`, which it queries.
    queries_model: bool,
}

/// A class in a method resolution order: one of the project's, or one from outside the
/// tree by dotted name (`django.views.generic.ListView`).
enum MroEntry<'a> {
    Project(&'a ClassFact),
    External(String),
}

struct Project<'a> {
    function_views: HashMap<&'a str, (&'a String, &'a ViewFunction)>,
    classes: HashMap<&'a str, (&'a String, &'a ClassFact)>,
    class_names: HashMap<&'a str, Vec<&'a str>>,
    methods: HashMap<&'a str, Vec<(&'a String, &'a ViewFunction)>>,
    routes: Vec<(&'a String, &'a Route)>,
    /// Routes by the dotted name of the function or class they route to.
    routes_by_target: HashMap<&'a str, Vec<(&'a String, &'a Route)>>,
    rest_framework: RestFrameworkSettings,
    /// The settings file `REST_FRAMEWORK`'s default permission classes come from.
    permission_settings: Option<&'a str>,
    /// URLconf files reached from `ROOT_URLCONF` through module-level `include()`s, with
    /// the call that may wrap their views on the way (`decorate_urlpatterns(...)`).
    url_reach: HashMap<&'a str, Option<Found>>,
    /// Every function and method by its last name, built when first needed.
    functions_by_name: std::cell::OnceCell<HashMap<&'a str, Vec<&'a str>>>,
    templates: &'a TemplateIndex,
    index: &'a ProjectIndex,
}

impl<'a> Project<'a> {
    fn new(index: &'a ProjectIndex, templates: &'a TemplateIndex) -> Self {
        let mut project = Project {
            function_views: HashMap::default(),
            classes: HashMap::default(),
            class_names: HashMap::default(),
            methods: HashMap::default(),
            routes: Vec::new(),
            routes_by_target: HashMap::default(),
            rest_framework: RestFrameworkSettings::default(),
            permission_settings: None,
            url_reach: site::url_reach(index),
            functions_by_name: std::cell::OnceCell::new(),
            templates,
            index,
        };
        for file in &index.files {
            let facts = &file.facts;
            for class in &facts.classes {
                project
                    .classes
                    .insert(&class.qualified_name, (&file.path, class));
                project
                    .class_names
                    .entry(&class.name)
                    .or_default()
                    .push(&class.qualified_name);
            }
            for function in &facts.view_functions {
                project
                    .function_views
                    .insert(&function.qualified_name, (&file.path, function));
            }
            project
                .routes
                .extend(facts.routes.iter().map(|route| (&file.path, route)));
            // Settings used only by tests are not the project's defaults.
            if let Some(settings) = facts.rest_framework.as_ref().filter(|_| !file.is_test) {
                if project.rest_framework.authentication_classes.is_none() {
                    project.rest_framework.authentication_classes =
                        settings.authentication_classes.clone();
                }
                if project.rest_framework.permission_classes.is_none()
                    && settings.permission_classes.is_some()
                {
                    project.rest_framework.permission_classes = settings.permission_classes.clone();
                    project.permission_settings = Some(&file.path);
                }
            }
        }
        for &(path, route) in &project.routes {
            let target = match &route.target {
                RouteTarget::Function(qualified) => qualified.as_str(),
                RouteTarget::Class { qualified_name, .. } => qualified_name.as_str(),
                RouteTarget::Unknown => continue,
            };
            if !is_test_path(path) {
                project
                    .routes_by_target
                    .entry(target)
                    .or_default()
                    .push((path, route));
            }
        }
        for (qualified, (path, function)) in &project.function_views {
            let class = parent(qualified);
            if project.classes.contains_key(class) {
                project
                    .methods
                    .entry(class)
                    .or_default()
                    .push((path, function));
            }
        }
        project
    }

    /// Whether the class applies `cache_page` itself: on the class or on its own methods.
    fn introduces_cache(&self, qualified: &str, class: &ClassFact) -> bool {
        let is_cache = |w: &Wrapper| w.kind == WrapperKind::CachePage;
        class
            .view
            .method_decorators
            .iter()
            .any(|(_, w)| is_cache(w))
            || self
                .methods
                .get(qualified)
                .into_iter()
                .flatten()
                .any(|(_, method)| method.decorators.iter().any(is_cache))
    }

    /// Whether the class adds something of its own to what a GET renders: a template, or
    /// a method on the GET path.
    fn adds_to_view(&self, qualified: &str, class: &ClassFact) -> bool {
        class.view.template_name.is_some()
            || self.methods.get(qualified).is_some_and(|methods| {
                methods.iter().any(|(_, method)| {
                    GET_HANDLERS
                        .iter()
                        .chain(GET_HOOKS)
                        .any(|name| last_name(&method.qualified_name) == *name)
                })
            })
    }

    /// Whether a class between this one and the base that caches `dispatch` defines a
    /// `dispatch` of its own, which may never call the cached one.
    fn dispatch_overridden_below_cache(&self, qualified: &str, class: &'a ClassFact) -> bool {
        let is_cache = |w: &Wrapper| w.kind == WrapperKind::CachePage;
        for entry in self.linearize(qualified, class) {
            let MroEntry::Project(current) = entry else {
                continue;
            };
            let own = self.method(current, "dispatch");
            let caches = decorators_for(current, "dispatch").iter().any(is_cache)
                || own.is_some_and(|(_, f)| f.decorators.iter().any(is_cache));
            if caches {
                return false;
            }
            if own.is_some() {
                return true;
            }
        }
        false
    }

    /// A function view: its decorators; under `api_view`, DRF's checks run below it.
    fn function_stack(&self, path: &'a str, function: &'a ViewFunction) -> Stack<'a> {
        let mut layers = Vec::new();
        let mut drf = None;
        for decorator in &function.decorators {
            layers.push(decorator.clone());
            if decorator.kind == WrapperKind::ApiView {
                let policy = self.drf_policy(&function.drf);
                let from_settings = function.drf.permission_classes.is_none();
                layers.extend(self.permission_check(&policy, from_settings, decorator.line));
                drf = Some(self.drf_authentication(&policy));
            }
        }
        Stack {
            layers,
            drf,
            bodies: vec![(path, function)],
            ..Stack::default()
        }
    }

    /// A class-based view's stacks: one for GET through `dispatch` (cached there, or left
    /// for URLconf wrapping to build on), and one for each GET handler cached on its own.
    fn class_stacks(
        &self,
        qualified: &str,
        class: &'a ClassFact,
        route_template: Option<&str>,
    ) -> Vec<Stack<'a>> {
        let mro = self.linearize(qualified, class);
        let project_classes = || {
            mro.iter().filter_map(|entry| match entry {
                MroEntry::Project(class) => Some(*class),
                MroEntry::External(_) => None,
            })
        };
        let external_names = || {
            mro.iter().filter_map(|entry| match entry {
                MroEntry::External(name) => Some(name.as_str()),
                MroEntry::Project(_) => None,
            })
        };
        let is_drf = external_names().any(|name| name.starts_with("rest_framework."));
        let is_view = is_drf
            || external_names().any(|name| {
                name.starts_with("django.views.") || name.starts_with("django.contrib.auth.views.")
            })
            || project_classes()
                .any(|class| self.methods.contains_key(class.qualified_name.as_str()));
        if !is_view {
            return Vec::new();
        }
        // `dispatch`: each class's `method_decorator(..., name="dispatch")` wraps what its
        // `dispatch` resolves to, so along the MRO: decorators, own `dispatch` decorators,
        // auth mixins' checks; DRF checks permissions last, in `APIView.dispatch`.
        let mut dispatch: Vec<Wrapper> = Vec::new();
        for entry in &mro {
            match entry {
                MroEntry::Project(base) => {
                    // What a base class or mixin applies is fixed there: on the class, or
                    // on its `dispatch`.
                    let inherited = !std::ptr::eq(*base, class);
                    let base_path = self.classes.get(base.qualified_name.as_str());
                    let from = |mut layer: Wrapper, on: String| {
                        if let (true, None, Some((path, _))) = (inherited, &layer.origin, base_path)
                        {
                            layer.origin = Some(format!("`{on}` ({path}:{})", layer.line));
                        }
                        layer
                    };
                    for layer in decorators_for(base, "dispatch") {
                        dispatch.push(from(layer, base.name.clone()));
                    }
                    if let Some((_, own)) = self.method(base, "dispatch") {
                        for layer in own.decorators.iter().cloned() {
                            dispatch.push(from(layer, format!("{}.dispatch", base.name)));
                        }
                    }
                }
                MroEntry::External(name) => {
                    let short = last_name(name);
                    if AUTH_MIXINS.contains(&short) {
                        dispatch.push(Wrapper {
                            origin: None,
                            kind: WrapperKind::AuthCheck,
                            text: short.to_string(),
                            line: class.span.line,
                        });
                    }
                }
            }
        }
        let drf = is_drf.then(|| {
            let own = merged_policy(project_classes());
            let policy = self.drf_policy(&own);
            let from_settings = own.permission_classes.is_none();
            dispatch.extend(self.permission_check(&policy, from_settings, class.span.line));
            self.drf_authentication(&policy)
        });
        let introduced_here =
            |layers: &[Wrapper]| layers.iter().any(|w| w.kind == WrapperKind::CachePage);
        let own_dispatch_cache = introduced_here(&decorators_for(class, "dispatch"))
            || self
                .method(class, "dispatch")
                .is_some_and(|(_, own)| introduced_here(&own.decorators));
        let template: Vec<RenderedTemplate> = route_template
            .map(str::to_string)
            .or_else(|| project_classes().find_map(|c| c.view.template_name.clone()))
            .map(|name| RenderedTemplate {
                name,
                hidden: project_classes()
                    .flat_map(|c| c.view.context_names.iter().cloned())
                    .collect(),
            })
            .into_iter()
            .collect();
        // A handler's layers: class decorators naming it, up to the class defining it,
        // then that method's own decorators.
        let handler_layers = |handler: &str| -> Vec<Wrapper> {
            let mut layers = Vec::new();
            for class in project_classes() {
                layers.extend(decorators_for(class, handler));
                if let Some((_, own)) = self.method(class, handler) {
                    layers.extend(own.decorators.iter().cloned());
                    break;
                }
            }
            layers
        };
        let stack = |handlers: &[&str], reported_at: Option<(&'a String, &'a ViewFunction)>| {
            let mut layers = dispatch.clone();
            match handlers {
                [handler] => layers.extend(handler_layers(handler)),
                // A GET through `dispatch` runs `get` inside what `dispatch` wraps: its
                // `vary_on_cookie` or `csrf_protect` applies before the cache stores.
                _ => layers.extend(
                    handler_layers("get")
                        .into_iter()
                        .filter(|w| w.kind != WrapperKind::CachePage),
                ),
            }
            Stack {
                layers,
                drf: drf.clone(),
                bodies: self.get_path_bodies(&mro, handlers),
                templates: template.clone(),
                reported_at,
                inherited_cache: false,
                is_class: true,
                queries_model: false,
            }
        };
        let mut stacks = vec![Stack {
            inherited_cache: !own_dispatch_cache,
            ..stack(GET_HANDLERS, None)
        }];
        for handler in GET_HANDLERS {
            let own_decorators = decorators_for(class, handler);
            let own_method = self.method(class, handler);
            let cached_by_class = introduced_here(&own_decorators);
            let cached_by_method = own_method.is_some_and(|(_, f)| introduced_here(&f.decorators));
            if cached_by_class || cached_by_method {
                let reported_at = own_method.filter(|_| cached_by_method && !cached_by_class);
                stacks.push(stack(&[handler], reported_at));
            }
        }
        stacks
    }

    /// The methods a GET runs: `dispatch`, `setup`, the handlers, the hooks generic views
    /// and DRF call on the way, and the methods of the class those call. Not `post`,
    /// `form_valid` or `perform_create`: they shape other responses.
    fn get_path_bodies(
        &self,
        mro: &[MroEntry<'a>],
        handlers: &[&str],
    ) -> Vec<(&'a str, &'a ViewFunction)> {
        let resolve = |name: &str| {
            mro.iter().find_map(|entry| match entry {
                MroEntry::Project(class) => self.method(class, name),
                MroEntry::External(_) => None,
            })
        };
        let mut names: Vec<String> = handlers
            .iter()
            .chain(GET_HOOKS)
            .map(|name| name.to_string())
            .collect();
        let mut bodies: Vec<(&'a str, &'a ViewFunction)> = Vec::new();
        let mut next = 0;
        while next < names.len() {
            let name = names[next].clone();
            next += 1;
            let Some((path, function)) = resolve(&name) else {
                continue;
            };
            if bodies.iter().any(|(_, f)| std::ptr::eq(*f, function)) {
                continue;
            }
            bodies.push((path.as_str(), function));
            for callee in self.self_calls(function) {
                if !names.iter().any(|n| n == callee) {
                    names.push(callee.to_string());
                }
            }
        }
        bodies
    }

    /// `self.helper(...)` calls in a method, by method name.
    fn self_calls(&self, function: &ViewFunction) -> Vec<&'a str> {
        let class = parent(&function.qualified_name);
        self.index
            .function_fact(&function.qualified_name)
            .map(|fact| {
                fact.calls
                    .iter()
                    .filter(|callee| parent(callee) == class)
                    .map(|callee| last_name(callee))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn method(&self, class: &ClassFact, name: &str) -> Option<(&'a String, &'a ViewFunction)> {
        self.methods
            .get(class.qualified_name.as_str())?
            .iter()
            .find(|(_, f)| last_name(&f.qualified_name) == name)
            .copied()
    }

    /// The method resolution order, depth first and left to right (C3 agrees on the view
    /// hierarchies this reads), with classes from outside the tree by dotted name.
    fn linearize(&self, qualified: &str, class: &'a ClassFact) -> Vec<MroEntry<'a>> {
        let mut mro = vec![MroEntry::Project(class)];
        let mut seen = vec![qualified.to_string()];
        let mut pending: Vec<&str> = class.bases.iter().rev().map(String::as_str).collect();
        while let Some(base) = pending.pop() {
            if mro.len() >= MAX_INHERITANCE * 2 {
                break;
            }
            match self.class(base) {
                Some(base_class) => {
                    if seen.contains(&base_class.qualified_name) {
                        continue;
                    }
                    seen.push(base_class.qualified_name.clone());
                    mro.push(MroEntry::Project(base_class));
                    pending.extend(base_class.bases.iter().rev().map(String::as_str));
                }
                None => {
                    if !seen.iter().any(|s| s == base) {
                        seen.push(base.to_string());
                        mro.push(MroEntry::External(base.to_string()));
                    }
                }
            }
        }
        mro
    }

    /// A project class by dotted name. Otherwise by its last segment when only one
    /// project class has that name and, for a dotted name, it is in the same top-level
    /// package (a re-export through a package's `__init__`), never a class of Django's.
    fn class(&self, name: &str) -> Option<&'a ClassFact> {
        if let Some((_, class)) = self.classes.get(name) {
            return Some(class);
        }
        let short = last_name(name);
        let [candidate] = self.class_names.get(short)?.as_slice() else {
            return None;
        };
        let package = |dotted: &str| dotted.split('.').next().unwrap_or(dotted).to_string();
        let same_package = !name.contains('.') || package(name) == package(candidate);
        if same_package {
            self.classes.get(candidate).map(|(_, class)| *class)
        } else {
            None
        }
    }

    /// The view's policy, falling back to the `REST_FRAMEWORK` settings.
    fn drf_policy(&self, own: &DrfPolicy) -> DrfPolicy {
        DrfPolicy {
            authentication_classes: own
                .authentication_classes
                .clone()
                .or_else(|| self.rest_framework.authentication_classes.clone()),
            permission_classes: own
                .permission_classes
                .clone()
                .or_else(|| self.rest_framework.permission_classes.clone()),
        }
    }

    /// DRF's permission check, unless it allows every GET, which is all the cache stores:
    /// `AllowAny` (the default), the `...OrReadOnly` classes, and project classes whose
    /// `has_permission` (their own or inherited) lets safe methods through first.
    fn permission_check(
        &self,
        policy: &DrfPolicy,
        from_settings: bool,
        line: usize,
    ) -> Option<Wrapper> {
        let classes = policy.permission_classes.as_ref()?;
        let names: Vec<&str> = classes
            .iter()
            .filter(|class| !self.allows_every_get(class))
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            .collect();
        if names.is_empty() {
            return None;
        }
        let (text, origin) = match self.permission_settings.filter(|_| from_settings) {
            Some(path) => (
                format!("DEFAULT_PERMISSION_CLASSES = [{}]", names.join(", ")),
                Some(format!("`REST_FRAMEWORK` in {path}")),
            ),
            None => (format!("permission_classes = [{}]", names.join(", ")), None),
        };
        Some(Wrapper {
            origin,
            kind: WrapperKind::AuthCheck,
            text,
            line,
        })
    }

    fn allows_every_get(&self, class: &str) -> bool {
        let read_only = |class: &str| {
            let name = class.rsplit('.').next().unwrap_or(class);
            name == "AllowAny" || name.contains("ReadOnly")
        };
        if read_only(class) {
            return true;
        }
        let Some(fact) = self.class(class) else {
            return false;
        };
        // The first `has_permission` in method resolution order decides.
        self.linearize(class, fact)
            .iter()
            .find_map(|entry| match entry {
                MroEntry::Project(c) => c.has_permission_allows_safe_methods,
                MroEntry::External(name) => read_only(name).then_some(true),
            })
            .unwrap_or(false)
    }

    /// Header-based classes when given; without any (DRF's default: session and Basic),
    /// the session cookie is what identifies most users.
    fn drf_authentication(&self, policy: &DrfPolicy) -> DrfAuthentication {
        let Some(classes) = &policy.authentication_classes else {
            return DrfAuthentication {
                header: None,
                session: true,
            };
        };
        let names = || classes.iter().map(|c| c.rsplit('.').next().unwrap_or(c));
        DrfAuthentication {
            header: names()
                .find(|n| is_header_authentication(n))
                .map(str::to_string),
            session: names().any(|n| n.contains("Session")),
        }
    }

    /// The cached views a stack gives once URLconf wrappers are put around it: one per
    /// stack that has a `cache_page`.
    fn cached(
        &self,
        stack: &Stack<'a>,
        route_wrappers: &[Wrapper],
        name: &str,
        path: &str,
        span: &Span,
        route: Option<String>,
    ) -> Option<CachedView> {
        let mut layers: Vec<Wrapper> = route_wrappers.to_vec();
        layers.extend(stack.layers.iter().cloned());
        let cache_at = layers
            .iter()
            .position(|w| w.kind == WrapperKind::CachePage)?;
        let store_at = layers
            .iter()
            .rposition(|w| w.kind == WrapperKind::CachePage)?;
        let stored_by_urlconf = store_at < route_wrappers.len();
        for (_, function) in &stack.bodies {
            layers.extend(response_layers(&function.body));
            // `patch_vary_headers` in a helper the view calls, one level down.
            for callee in self.project_calls(function) {
                if let Some((_, helper)) = self.function_views.get(callee.as_str()) {
                    if helper.body.vary != VaryOn::default() {
                        layers.push(Wrapper {
                            origin: None,
                            kind: WrapperKind::Vary(helper.body.vary),
                            text: format!("{}(...)", last_name(callee)),
                            line: 0,
                        });
                    }
                }
            }
        }
        Some(CachedView {
            name: name.to_string(),
            path: path.to_string(),
            span: span.clone(),
            route,
            is_class: stack.is_class,
            layers,
            cache_at,
            store_at,
            stored_by_urlconf,
            drf: stack.drf.clone(),
            per_user: self.per_user(stack, path),
            csrf_token: self.csrf_token(stack, path),
        })
    }

    fn project_calls(&self, function: &ViewFunction) -> &'a [String] {
        self.index
            .function_fact(&function.qualified_name)
            .map_or(&[], |fact| fact.calls.as_slice())
    }

    fn per_user(&self, stack: &Stack<'a>, reported_in: &str) -> Option<Found> {
        for (path, function) in &stack.bodies {
            if let Some(read) = &function.body.per_user {
                return Some(Found {
                    description: format!(
                        "reads `{}` ({})",
                        read.text,
                        location(path, read.line, reported_in)
                    ),
                });
            }
        }
        for (_, function) in &stack.bodies {
            for callee in &function.body.request_passed_to {
                let Some((path, helper)) = self.function_views.get(callee.as_str()) else {
                    continue;
                };
                if let Some(read) = &helper.body.per_user {
                    return Some(Found {
                        description: format!(
                            "reads `{}` in `{}` ({})",
                            read.text,
                            last_name(callee),
                            location(path, read.line, reported_in)
                        ),
                    });
                }
            }
        }
        self.in_templates(stack, TemplateQuery::PerUser, "reads")
    }

    fn csrf_token(&self, stack: &Stack<'a>, reported_in: &str) -> Option<Found> {
        for (path, function) in &stack.bodies {
            if let Some(call) = &function.body.csrf_token {
                return Some(Found {
                    description: format!(
                        "calls `{}` ({})",
                        call.text,
                        location(path, call.line, reported_in)
                    ),
                });
            }
        }
        self.in_templates(stack, TemplateQuery::CsrfToken, "renders")
    }

    fn in_templates(&self, stack: &Stack<'a>, query: TemplateQuery, verb: &str) -> Option<Found> {
        let rendered = stack
            .bodies
            .iter()
            .flat_map(|(_, f)| &f.body.templates)
            .chain(&stack.templates);
        for template in rendered {
            if let Some(evidence) = self.templates.find(&template.name, query, &template.hidden) {
                let used = match query {
                    TemplateQuery::PerUser => evidence.text,
                    TemplateQuery::CsrfToken => format!("{{% {} %}}", evidence.text),
                };
                // The template that holds the fact, named by its path, is the place to
                // look; the template the view renders may only include or extend it.
                return Some(Found {
                    description: format!("{verb} `{used}` ({}:{})", evidence.path, evidence.line),
                });
            }
        }
        None
    }
}

/// `line 12` in the reported file, `shop/helpers.py:12` in another.
fn location(path: &str, line: usize, reported_in: &str) -> String {
    if path == reported_in {
        format!("line {line}")
    } else {
        format!("{path}:{line}")
    }
}

/// What the body does to the response, as layers inside everything else.
fn response_layers(body: &ViewBody) -> Vec<Wrapper> {
    let mut layers = Vec::new();
    if let Some((control, evidence)) = &body.cache_control {
        layers.push(Wrapper {
            origin: None,
            kind: WrapperKind::CacheControl(*control),
            text: evidence.text.clone(),
            line: evidence.line,
        });
    }
    if body.vary != VaryOn::default() {
        layers.push(Wrapper {
            origin: None,
            kind: WrapperKind::Vary(body.vary),
            text: "patch_vary_headers(...)".to_string(),
            line: 0,
        });
    }
    layers
}

/// The nearest class's policy for each attribute.
fn merged_policy<'c>(chain: impl Iterator<Item = &'c ClassFact> + Clone) -> DrfPolicy {
    let view = |get: fn(&ClassView) -> &Option<Vec<String>>| {
        chain.clone().find_map(|class| get(&class.view).clone())
    };
    DrfPolicy {
        authentication_classes: view(|v| &v.drf.authentication_classes),
        permission_classes: view(|v| &v.drf.permission_classes),
    }
}

/// Token, JWT, Basic and OAuth2 bearer authentication identify the user by the
/// `Authorization` header.
fn is_header_authentication(class_name: &str) -> bool {
    ["Token", "JWT", "Basic", "OAuth2", "Bearer"]
        .iter()
        .any(|marker| class_name.contains(marker))
}

/// Class-level `method_decorator(..., name=method)` decorators, outermost first.
fn decorators_for(class: &ClassFact, method: &str) -> Vec<Wrapper> {
    class
        .view
        .method_decorators
        .iter()
        .filter(|(name, _)| name == method)
        .map(|(_, wrapper)| wrapper.clone())
        .collect()
}

fn parent(qualified: &str) -> &str {
    qualified.rsplit_once('.').map_or("", |(parent, _)| parent)
}

impl CacheControl {
    /// The directives, as `cache_control` takes them.
    pub fn describe(self) -> String {
        let mut directives = Vec::new();
        for (set, name) in [
            (self.private, "private"),
            (self.no_cache, "no_cache"),
            (self.no_store, "no_store"),
        ] {
            if set {
                directives.push(name);
            }
        }
        directives.join(", ")
    }
}
