//! Cached views: every way the project caches a view's response, with the layers a
//! request passes through in order (URLconf wrappers, decorators, `dispatch`, auth mixins
//! and DRF checks, handler decorators, what the body does to the response), and what the
//! view reads of the current user, directly, through a helper or through its template.

use std::collections::HashMap;

use crate::django_version::{CacheBehaviour, TargetVersion};
use crate::facts::span::Span;
use crate::facts::views::{
    CacheControl, CachedRoute, ClassView, DrfPolicy, RestFrameworkSettings, RouteTarget, VaryOn,
    ViewBody, ViewFunction, Wrapper, WrapperKind,
};
use crate::facts::ClassFact;
use crate::index::ProjectIndex;
use crate::templates::{TemplateIndex, TemplateQuery};

/// One way a view's response is cached.
pub struct CachedView {
    /// The view as named in messages, e.g. `index` or `PostList`.
    pub name: String,
    /// Where findings are reported: the view's `def`/`class` line, or the URLconf line.
    pub path: String,
    pub span: Span,
    /// The URLconf entry, when the caching is applied there.
    pub route: Option<String>,
    /// Outermost first; `layers[cache_at]` is the `cache_page`.
    pub layers: Vec<Wrapper>,
    pub cache_at: usize,
    /// How a DRF view authenticates, when it is one.
    pub drf: Option<DrfAuthentication>,
    /// Where the view reads per-user state.
    pub per_user: Option<Found>,
    /// Where the response gets a CSRF token.
    pub csrf_token: Option<Found>,
}

/// A fact found in the project, described for messages.
#[derive(Clone, Debug)]
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
}

/// Auth mixins whose check runs in `dispatch`.
const AUTH_MIXINS: &[&str] = &[
    "LoginRequiredMixin",
    "PermissionRequiredMixin",
    "UserPassesTestMixin",
];
/// Methods that handle a GET, which is what `cache_page` stores.
const GET_HANDLERS: &[&str] = &["get", "list", "retrieve"];
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

    fn varies(layers: &[Wrapper], on: fn(VaryOn) -> bool) -> Option<&Wrapper> {
        layers
            .iter()
            .find(|w| matches!(w.kind, WrapperKind::Vary(vary) if on(vary)))
    }

    pub fn vary_on_cookie_inside(&self) -> Option<&Wrapper> {
        Self::varies(self.inside(), |v| v.cookie)
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

    pub fn csrf_protect_inside(&self) -> bool {
        self.inside()
            .iter()
            .any(|w| w.kind == WrapperKind::CsrfProtect)
    }

    /// `Cache-Control: public` set before the response is stored.
    pub fn public_inside(&self) -> bool {
        self.inside()
            .iter()
            .any(|w| matches!(w.kind, WrapperKind::CacheControl(c) if c.public))
    }

    /// How findings name the view: `` `index` ``, or the view and its URLconf wrapping.
    pub fn subject(&self) -> String {
        match &self.route {
            Some(route) => format!("view `{}` (cached in the URLconf as `{route}`)", self.name),
            None => format!("`{}`", self.name),
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

    /// The layer inside the cache that stops it from ever storing the response.
    pub fn prevents_storing(&self, version: &TargetVersion) -> Option<&Wrapper> {
        let refuses_no_cache = version.version.has(CacheBehaviour::RefusesNoCacheResponses);
        self.inside().iter().find(|w| match w.kind {
            WrapperKind::NeverCache => true,
            WrapperKind::CacheControl(control) => {
                control.private || (refuses_no_cache && (control.no_cache || control.no_store))
            }
            _ => false,
        })
    }
}

impl ViewMap {
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
            let stack = project.function_stack(function);
            views.extend(project.cached(
                &stack,
                &[],
                short_name(&function.qualified_name),
                path,
                &function.span,
                None,
            ));
        }
        for (qualified, (path, class)) in &project.classes {
            for stack in project.class_stacks(qualified, class, None) {
                let (at_path, span) = match &stack.reported_at {
                    Some(method) => (path.as_str(), method.span.clone()),
                    None => (path.as_str(), class.span.clone()),
                };
                views.extend(project.cached(&stack, &[], &class.name, at_path, &span, None));
            }
        }
        for (path, route) in &project.routes {
            let name = match &route.target {
                RouteTarget::Function(qualified) => short_name(qualified).to_string(),
                RouteTarget::Class { qualified_name, .. } => short_name(qualified_name).to_string(),
                RouteTarget::Unknown => route.text.clone(),
            };
            let stacks = match &route.target {
                RouteTarget::Function(qualified) => {
                    match project.function_views.get(qualified.as_str()) {
                        Some((_, function)) => vec![project.function_stack(function)],
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
                        templates: template_name.iter().cloned().collect(),
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
        ViewMap { views }
    }
}

/// A view's layers without URLconf wrapping, and what its body reads.
#[derive(Default)]
struct Stack<'a> {
    layers: Vec<Wrapper>,
    drf: Option<DrfAuthentication>,
    bodies: Vec<(&'a str, &'a ViewFunction)>,
    templates: Vec<String>,
    /// The handler method whose decorator caches it, when the caching is on a method.
    reported_at: Option<&'a ViewFunction>,
}

struct Project<'a> {
    function_views: HashMap<&'a str, (&'a String, &'a ViewFunction)>,
    classes: HashMap<&'a str, (&'a String, &'a ClassFact)>,
    class_names: HashMap<&'a str, Vec<&'a str>>,
    methods: HashMap<&'a str, Vec<(&'a String, &'a ViewFunction)>>,
    routes: Vec<(&'a String, &'a CachedRoute)>,
    rest_framework: RestFrameworkSettings,
    templates: &'a TemplateIndex,
}

impl<'a> Project<'a> {
    fn new(index: &'a ProjectIndex, templates: &'a TemplateIndex) -> Self {
        let mut project = Project {
            function_views: HashMap::new(),
            classes: HashMap::new(),
            class_names: HashMap::new(),
            methods: HashMap::new(),
            routes: Vec::new(),
            rest_framework: RestFrameworkSettings::default(),
            templates,
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
                .extend(facts.cached_routes.iter().map(|route| (&file.path, route)));
            if let Some(settings) = &facts.rest_framework {
                if project.rest_framework.authentication_classes.is_none() {
                    project.rest_framework.authentication_classes =
                        settings.authentication_classes.clone();
                }
                if project.rest_framework.permission_classes.is_none() {
                    project.rest_framework.permission_classes = settings.permission_classes.clone();
                }
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

    /// A function view: its decorators; under `api_view`, DRF's checks run below it.
    fn function_stack(&self, function: &'a ViewFunction) -> Stack<'a> {
        let mut layers = Vec::new();
        let mut drf = None;
        for decorator in &function.decorators {
            layers.push(decorator.clone());
            if decorator.kind == WrapperKind::ApiView {
                let policy = self.drf_policy(&function.drf);
                layers.extend(self.permission_check(&policy, decorator.line));
                drf = Some(self.drf_authentication(&policy));
            }
        }
        Stack {
            layers,
            drf,
            bodies: vec![("", function)],
            templates: Vec::new(),
            reported_at: None,
        }
    }

    /// A class-based view's stacks: one per place it is cached (`dispatch` through the
    /// class, or a GET handler), or one uncached stack for URLconf wrapping to build on.
    fn class_stacks(
        &self,
        qualified: &str,
        class: &'a ClassFact,
        route_template: Option<&str>,
    ) -> Vec<Stack<'a>> {
        let chain = self.inheritance(qualified, class);
        let is_drf = chain
            .iter()
            .flat_map(|class| &class.bases)
            .any(|base| base.starts_with("rest_framework."));
        let is_view = is_drf
            || chain.iter().flat_map(|class| &class.bases).any(|base| {
                base.starts_with("django.views.") || base.starts_with("django.contrib.auth.views.")
            })
            || !self.methods_of(&chain).is_empty();
        if !is_view {
            return Vec::new();
        }
        let decorated = |method: &str| -> Vec<Wrapper> {
            chain
                .iter()
                .flat_map(|class| &class.view.method_decorators)
                .filter(|(name, _)| name == method)
                .map(|(_, wrapper)| wrapper.clone())
                .collect()
        };
        let method = |name: &str| -> Option<&'a ViewFunction> {
            self.methods_of(&chain)
                .into_iter()
                .map(|(_, f)| f)
                .find(|f| short_name(&f.qualified_name) == name)
        };
        let mut dispatch = decorated("dispatch");
        if let Some(own) = method("dispatch") {
            dispatch.extend(own.decorators.iter().cloned());
        }
        let dispatch_line = dispatch.last().map_or(class.span.line, |w| w.line);
        let mut checks: Vec<Wrapper> = chain
            .iter()
            .flat_map(|class| &class.bases)
            .filter_map(|base| {
                let name = base.rsplit('.').next().unwrap_or(base);
                AUTH_MIXINS.contains(&name).then(|| Wrapper {
                    kind: WrapperKind::AuthCheck,
                    text: name.to_string(),
                    line: dispatch_line,
                })
            })
            .take(1)
            .collect();
        let drf = is_drf.then(|| {
            let policy = self.drf_policy(&merged_policy(&chain));
            checks.extend(self.permission_check(&policy, dispatch_line));
            self.drf_authentication(&policy)
        });
        let bodies: Vec<(&str, &ViewFunction)> = self
            .methods_of(&chain)
            .into_iter()
            .map(|(path, f)| (path.as_str(), f))
            .collect();
        let templates: Vec<String> = route_template
            .map(str::to_string)
            .or_else(|| chain.iter().find_map(|c| c.view.template_name.clone()))
            .into_iter()
            .collect();
        let handler_layers = |handler: &str| -> (Vec<Wrapper>, Option<&'a ViewFunction>) {
            let mut layers = decorated(handler);
            let own = method(handler);
            if let Some(own) = own {
                layers.extend(own.decorators.iter().cloned());
            }
            (layers, own)
        };
        let stack = |handler: &str| -> Stack<'a> {
            let (handler, own) = handler_layers(handler);
            let mut layers = dispatch.clone();
            layers.extend(checks.iter().cloned());
            layers.extend(handler.iter().cloned());
            let cached_here = handler.iter().any(|w| w.kind == WrapperKind::CachePage);
            Stack {
                layers,
                drf: drf.clone(),
                bodies: bodies.clone(),
                templates: templates.clone(),
                reported_at: own.filter(|f| {
                    cached_here
                        && f.decorators
                            .iter()
                            .any(|w| w.kind == WrapperKind::CachePage)
                }),
            }
        };
        let mut stacks = vec![stack("get")];
        for handler in &GET_HANDLERS[1..] {
            let (layers, _) = handler_layers(handler);
            if layers.iter().any(|w| w.kind == WrapperKind::CachePage) {
                stacks.push(stack(handler));
            }
        }
        stacks
    }

    /// The class and its project base classes, nearest first.
    fn inheritance(&self, qualified: &str, class: &'a ClassFact) -> Vec<&'a ClassFact> {
        let mut chain = vec![class];
        let mut pending: Vec<&str> = class.bases.iter().map(String::as_str).collect();
        let mut seen = vec![qualified.to_string()];
        while let Some(base) = pending.pop() {
            if chain.len() >= MAX_INHERITANCE {
                break;
            }
            let Some(base_class) = self.class(base) else {
                continue;
            };
            if seen.contains(&base_class.qualified_name) {
                continue;
            }
            seen.push(base_class.qualified_name.clone());
            chain.push(base_class);
            pending.extend(base_class.bases.iter().map(String::as_str));
        }
        chain
    }

    fn class(&self, name: &str) -> Option<&'a ClassFact> {
        if let Some((_, class)) = self.classes.get(name) {
            return Some(class);
        }
        match self
            .class_names
            .get(name.rsplit('.').next().unwrap_or(name))
        {
            Some(candidates) if candidates.len() == 1 => {
                self.classes.get(candidates[0]).map(|(_, class)| *class)
            }
            _ => None,
        }
    }

    fn methods_of(&self, chain: &[&'a ClassFact]) -> Vec<(&'a String, &'a ViewFunction)> {
        let mut methods: Vec<(&String, &ViewFunction)> = Vec::new();
        for class in chain {
            for (path, method) in self
                .methods
                .get(class.qualified_name.as_str())
                .into_iter()
                .flatten()
            {
                let name = short_name(&method.qualified_name);
                if !methods
                    .iter()
                    .any(|(_, m)| short_name(&m.qualified_name) == name)
                {
                    methods.push((path, method));
                }
            }
        }
        methods
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

    /// DRF's permission check, unless everything is allowed (`AllowAny`, the default).
    fn permission_check(&self, policy: &DrfPolicy, line: usize) -> Option<Wrapper> {
        let classes = policy.permission_classes.as_ref()?;
        let names: Vec<&str> = classes
            .iter()
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            .filter(|name| *name != "AllowAny")
            .collect();
        (!names.is_empty()).then(|| Wrapper {
            kind: WrapperKind::AuthCheck,
            text: format!("permission_classes = [{}]", names.join(", ")),
            line,
        })
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
        for (_, body) in &stack.bodies {
            layers.extend(response_layers(&body.body));
        }
        Some(CachedView {
            name: name.to_string(),
            path: path.to_string(),
            span: span.clone(),
            route,
            layers,
            cache_at,
            drf: stack.drf.clone(),
            per_user: self.per_user(stack),
            csrf_token: self.csrf_token(stack),
        })
    }

    fn per_user(&self, stack: &Stack<'a>) -> Option<Found> {
        for (_, function) in &stack.bodies {
            let body = &function.body;
            if let Some(read) = &body.per_user {
                return Some(Found {
                    description: format!("reads `{}` (line {})", read.text, read.line),
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
                            "passes the request to `{}`, which reads `{}` ({path}:{})",
                            short_name(callee),
                            read.text,
                            read.line
                        ),
                    });
                }
            }
        }
        self.in_templates(stack, TemplateQuery::PerUser, "uses")
    }

    fn csrf_token(&self, stack: &Stack<'a>) -> Option<Found> {
        for (_, function) in &stack.bodies {
            if let Some(call) = &function.body.csrf_token {
                return Some(Found {
                    description: format!("calls `{}` (line {})", call.text, call.line),
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
            if let Some(evidence) = self.templates.find(template, query) {
                let used = match query {
                    TemplateQuery::PerUser => evidence.text,
                    TemplateQuery::CsrfToken => format!("{{% {} %}}", evidence.text),
                };
                return Some(Found {
                    description: format!(
                        "renders `{template}`, which {verb} `{used}` ({}:{})",
                        evidence.path, evidence.line
                    ),
                });
            }
        }
        None
    }
}

/// What the body does to the response, as layers inside everything else.
fn response_layers(body: &ViewBody) -> Vec<Wrapper> {
    let mut layers = Vec::new();
    if let Some((control, evidence)) = &body.cache_control {
        layers.push(Wrapper {
            kind: WrapperKind::CacheControl(*control),
            text: evidence.text.clone(),
            line: evidence.line,
        });
    }
    if body.vary != VaryOn::default() {
        layers.push(Wrapper {
            kind: WrapperKind::Vary(body.vary),
            text: "patch_vary_headers(...)".to_string(),
            line: 0,
        });
    }
    layers
}

/// The nearest class's policy for each attribute.
fn merged_policy(chain: &[&ClassFact]) -> DrfPolicy {
    let view = |get: fn(&ClassView) -> &Option<Vec<String>>| {
        chain.iter().find_map(|class| get(&class.view).clone())
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

fn parent(qualified: &str) -> &str {
    qualified.rsplit_once('.').map_or("", |(parent, _)| parent)
}

fn short_name(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
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
