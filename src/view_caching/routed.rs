//! Every routed view with what decides whether its response could be cached whole, and
//! the code that runs while requests are answered, with its expensive queries.

use super::site::{SiteFacts, MIDDLEWARE_METHODS};
use super::{location, parent, Found, MroEntry, Project, Stack};
use crate::facts::last_name;
use crate::facts::span::Span;
use crate::facts::view_facts::{
    Evidence, QueryUse, RenderedTemplate, Route, RouteTarget, ViewBody, ViewFunction, Wrapper,
    WrapperKind,
};
use crate::test_code::is_test_path;

/// A layer that caches the response or makes it conditional.
fn caches_page(wrapper: &Wrapper) -> bool {
    matches!(
        wrapper.kind,
        WrapperKind::CachePage | WrapperKind::CacheControl(_) | WrapperKind::Conditional
    )
}

/// Generic views and mixins that answer more than GET.
fn handles_forms(base: &str) -> bool {
    let name = last_name(base);
    name.ends_with("FormView")
        || name.ends_with("FormMixin")
        || name.ends_with("WizardView")
        || matches!(
            name,
            "CreateView"
                | "UpdateView"
                | "DeleteView"
                | "DeletionMixin"
                | "ProcessFormView"
                | "BaseCreateView"
                | "BaseUpdateView"
                | "BaseDeleteView"
                | "RedirectView"
        )
        || base.starts_with("django.contrib.auth.views.")
}

/// Django's display views and mixins: what they do for a GET is known (render a template
/// from the view's queryset or object), and they answer nothing else.
const DISPLAY_VIEWS: &[&str] = &[
    "View",
    "TemplateView",
    "ListView",
    "DetailView",
    "ArchiveIndexView",
    "YearArchiveView",
    "MonthArchiveView",
    "WeekArchiveView",
    "DayArchiveView",
    "TodayArchiveView",
    "DateDetailView",
    "BaseListView",
    "BaseDetailView",
    "ContextMixin",
    "TemplateResponseMixin",
    "MultipleObjectMixin",
    "MultipleObjectTemplateResponseMixin",
    "SingleObjectMixin",
    "SingleObjectTemplateResponseMixin",
];

/// A routed project view and what it does, as CA502 weighs it.
pub struct RoutedView {
    pub name: String,
    pub path: String,
    pub span: Span,
    /// The URLconf entry routing to it, `path:line`.
    pub routed_at: String,
    /// Every layer a request passes, outermost first: URLconf wrappers, decorators,
    /// `dispatch` decorators and auth mixins' checks, handler decorators.
    pub layers: Vec<Wrapper>,
    pub is_drf: bool,
    /// The first part of the view the analysis cannot see through: an unknown decorator,
    /// a base class from outside the tree that is not one of Django's display views, a
    /// template it cannot read.
    pub unknown: Option<Found>,
    /// Why it answers more than GET and HEAD.
    pub answers_writes: Option<Found>,
    pub per_user: Option<Found>,
    /// A request attribute plain `HttpRequest` does not have.
    pub request_extra: Option<Found>,
    pub changes_state: Option<Found>,
    pub uncacheable_response: Option<Found>,
    pub csrf_token: Option<Found>,
    /// The body reads or writes the cache, or sets caching headers.
    pub caches: Option<Found>,
    /// The response depends on the query string.
    pub reads_query_string: Option<Found>,
    /// It renders a template with the request, so context processors' values reach it.
    pub renders_templates: bool,
    /// Its first query, described.
    pub query: Option<String>,
    /// The functions and methods its GET path runs, by dotted name and `def` line.
    pub get_path: Vec<(String, usize)>,
}

/// Where code runs while a request is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunsIn {
    /// On the GET path of a routed view, by name.
    View(String),
    /// A context processor: on every page rendered with the request.
    ContextProcessor,
    /// A template tag or filter: on every page that uses it.
    TemplateTag,
    /// A project middleware: on every request.
    Middleware,
}

/// A function that runs while a request is answered, with its expensive queries.
pub struct RequestCode {
    pub path: String,
    /// Its short name, e.g. `site_stats`.
    pub name: String,
    /// Its `def` line.
    pub span: Span,
    pub runs_in: RunsIn,
    pub queries: Vec<QueryUse>,
    /// The function, its view or its URLconf entry caches already (or sets caching
    /// headers), or the function is on a path the site-wide cache serves.
    pub caches: Option<Found>,
    /// A decorator around the function whose effect is not known (a memoising helper).
    pub unknown_decorator: Option<Found>,
    /// It runs for requests other than GET: a view that reads `request.method` or
    /// `request.POST`, or answers POST.
    pub answers_writes: Option<Found>,
}

impl<'a> Project<'a> {
    /// Every routed project view outside test code, once, with what CA502 weighs.
    pub(super) fn routed_views(&self) -> Vec<RoutedView> {
        let mut found: Vec<RoutedView> = Vec::new();
        for (route_path, route) in &self.routes {
            if is_test_path(route_path) {
                continue;
            }
            let Some(view) = self.routed_view(route_path, route) else {
                continue;
            };
            if !found
                .iter()
                .any(|seen| seen.path == view.path && seen.span == view.span)
            {
                found.push(view);
            }
        }
        found.sort_by(|a, b| (&a.path, a.span.line).cmp(&(&b.path, b.span.line)));
        found
    }

    fn routed_view(&self, route_path: &str, route: &'a Route) -> Option<RoutedView> {
        let mut unknown: Option<Found> = match self.url_reach.get(route_path) {
            _ if !route.at_module_level => Some(Found {
                description: "is routed by code that runs at run time, not by the URLconf module itself".to_string(),
            }),
            None => Some(Found {
                description: format!("is routed in `{route_path}`, which is not reached from `ROOT_URLCONF` through module-level `include()`s"),
            }),
            Some(wrapped) => wrapped.clone(),
        };
        let mut answers_writes: Option<Found> = None;
        let (name, path, span, stack) = match &route.target {
            RouteTarget::Function(qualified) => {
                let (path, function) = self.function_views.get(qualified.as_str())?;
                let safe_only = function
                    .decorators
                    .iter()
                    .any(|w| w.kind == WrapperKind::SafeMethodsOnly);
                if function.body.handles_writes && !safe_only {
                    answers_writes = Some(Found {
                        description: "reads `request.method`, `request.POST`, `request.FILES` or `request.body`".to_string(),
                    });
                }
                if function.first_parameter.as_deref() != Some("request") {
                    unknown = unknown.or_else(|| {
                        Some(Found {
                            description: "names its request parameter otherwise than `request`, so its reads of it are not followed".to_string(),
                        })
                    });
                }
                unknown = unknown.or_else(|| {
                    function.unknown_decorators.first().map(|d| Found {
                        description: format!(
                            "is decorated with `{}` (line {}), whose effect is not known",
                            d.text, d.line
                        ),
                    })
                });
                let stack = self.function_stack(path, function);
                (
                    last_name(qualified).to_string(),
                    path.as_str(),
                    function.span.clone(),
                    stack,
                )
            }
            RouteTarget::Class {
                qualified_name,
                template_name,
            } => {
                let (path, class) = self.classes.get(qualified_name.as_str())?;
                let mro = self.linearize(qualified_name, class);
                for entry in &mro {
                    match entry {
                        MroEntry::Project(class) => {
                            let writes = ["post", "put", "patch", "delete"]
                                .iter()
                                .find(|method| self.method(class, method).is_some());
                            if let (None, Some(method)) = (&answers_writes, writes) {
                                answers_writes = Some(Found {
                                    description: format!("`{}` defines `{method}()`", class.name),
                                });
                            }
                            let unsafe_methods =
                                class.view.http_method_names.as_ref().and_then(|names| {
                                    names
                                        .iter()
                                        .find(|m| !matches!(m.as_str(), "get" | "head" | "options"))
                                });
                            if let (None, Some(method)) = (&answers_writes, unsafe_methods) {
                                answers_writes = Some(Found {
                                    description: format!(
                                        "`{}` allows `{method}` in `http_method_names`",
                                        class.name
                                    ),
                                });
                            }
                            if let (None, Some(decorator)) =
                                (&unknown, class.view.unknown_decorators.first())
                            {
                                unknown = Some(Found {
                                    description: format!("`{}` is decorated with `{}` (line {}), whose effect is not known", class.name, decorator.text, decorator.line),
                                });
                            }
                        }
                        MroEntry::External(base) => {
                            if answers_writes.is_none() && handles_forms(base) {
                                answers_writes = Some(Found {
                                    description: format!("inherits `{}`, which handles forms or other methods than GET", last_name(base)),
                                });
                            }
                            let display = base.starts_with("django.views.")
                                && DISPLAY_VIEWS.contains(&last_name(base));
                            if unknown.is_none() && !display && !handles_forms(base) {
                                unknown = Some(Found {
                                    description: format!("inherits `{base}`, from outside the tree, whose checks are not known"),
                                });
                            }
                        }
                    }
                }
                let stack = self
                    .class_stacks(qualified_name, class, template_name.as_deref())
                    .into_iter()
                    .next()?;
                let queries_model = mro.iter().any(
                    |entry| matches!(entry, MroEntry::Project(class) if class.view.declares_queryset),
                );
                let renders_default_template = stack.templates.is_empty()
                    && mro.iter().any(|entry| matches!(entry, MroEntry::External(base) if base.starts_with("django.views.") && last_name(base) != "View"));
                if unknown.is_none() && renders_default_template {
                    unknown = Some(Found {
                        description: "renders the template Django derives from its model, which is not looked up".to_string(),
                    });
                }
                let stack = Stack {
                    queries_model,
                    ..stack
                };
                (class.name.clone(), path.as_str(), class.span.clone(), stack)
            }
            RouteTarget::Unknown => return None,
        };
        let functions = match self.reached_functions(&stack.bodies) {
            Ok(functions) => functions,
            Err(why) => {
                unknown = unknown.or(Some(why));
                stack.bodies.clone()
            }
        };
        let first = |get: fn(&ViewBody) -> Option<&Evidence>, what: &str| {
            functions.iter().find_map(|(at, f)| {
                get(&f.body).map(|evidence| Found {
                    description: format!(
                        "{what} `{}` ({})",
                        evidence.text,
                        location(at, evidence.line, path)
                    ),
                })
            })
        };
        if unknown.is_none() {
            unknown = stack.bodies.iter().find_map(|(at, f)| {
                let decorator = f.unknown_decorators.first()?;
                Some(Found {
                    description: format!(
                        "`{}` is decorated with `{}` ({}), whose effect is not known",
                        last_name(&f.qualified_name),
                        decorator.text,
                        location(at, decorator.line, path)
                    ),
                })
            });
        }
        if unknown.is_none() {
            unknown = first(
                |b| b.dynamic_template.as_ref(),
                "renders a template named at run time:",
            );
        }
        let rendered: Vec<&RenderedTemplate> = stack
            .bodies
            .iter()
            .flat_map(|(_, f)| &f.body.templates)
            .chain(&stack.templates)
            .collect();
        if unknown.is_none() {
            unknown = rendered.iter().find_map(|template| {
                self.templates
                    .first_unknown(&template.name)
                    .map(|why| Found {
                        description: format!("renders `{}`: {why}", template.name),
                    })
            });
        }
        let caches = functions.iter().find_map(|(at, f)| {
            let body = &f.body;
            if let Some((_, evidence)) = &body.cache_control {
                return Some(Found {
                    description: format!(
                        "sets caching headers: `{}` ({})",
                        evidence.text,
                        location(at, evidence.line, path)
                    ),
                });
            }
            (body.uses_cache || body.sets_caching_headers).then(|| Found {
                description: format!(
                    "`{}` uses the cache or sets caching headers",
                    last_name(&f.qualified_name)
                ),
            })
        });
        let reads_query_string = functions.iter().find_map(|(_, f)| {
            f.body.reads_query_string.then(|| Found {
                description: format!("`{}` reads `request.GET`", last_name(&f.qualified_name)),
            })
        });
        let query = functions
            .iter()
            .find_map(|(at, f)| {
                f.body
                    .query
                    .as_ref()
                    .map(|q| format!("`{}` ({at}:{})", q.text, q.line))
            })
            .or_else(|| {
                stack
                    .queries_model
                    .then(|| "the `model`/`queryset` it lists".to_string())
            });
        let mut layers: Vec<Wrapper> = route.wrappers.clone();
        layers.extend(stack.layers.iter().cloned());
        Some(RoutedView {
            name,
            path: path.to_string(),
            span,
            routed_at: format!("{route_path}:{}", route.span.line),
            layers,
            is_drf: stack.drf.is_some(),
            unknown,
            answers_writes,
            per_user: self
                .per_user(&stack, path)
                .or_else(|| first(|b| b.per_user.as_ref(), "calls code that reads")),
            request_extra: first(|b| b.request_extra.as_ref(), "reads"),
            changes_state: first(|b| b.changes_state.as_ref(), "calls"),
            uncacheable_response: first(|b| b.uncacheable_response.as_ref(), "answers with"),
            // `ensure_csrf_cookie` gives every response a token's cookie, and `Vary: Cookie`.
            csrf_token: stack
                .layers
                .iter()
                .find(|w| w.kind == WrapperKind::SetsCsrfCookie { always: true })
                .map(|ensure| Found {
                    description: format!(
                        "`{}` (line {}) sets the CSRF cookie on every response",
                        ensure.text, ensure.line
                    ),
                })
                .or_else(|| self.csrf_token(&stack, path)),
            caches,
            reads_query_string,
            renders_templates: !rendered.is_empty(),
            query,
            get_path: stack
                .bodies
                .iter()
                .map(|(_, f)| (f.qualified_name.clone(), f.span.line))
                .collect(),
        })
    }

    /// The functions that run while requests are answered, with their expensive queries.
    pub(super) fn request_code(&self, routed: &[RoutedView], site: &SiteFacts) -> Vec<RequestCode> {
        let production = || self.index.files.iter().filter(|file| !file.is_test);
        // Settings name classes and functions as `sys.path` sees them.
        let resolved = |entries: Vec<&'a str>| -> Vec<String> {
            entries
                .into_iter()
                .map(|entry| {
                    self.project_name(entry)
                        .unwrap_or_else(|| entry.to_string())
                })
                .collect()
        };
        let middleware_classes = resolved(
            production()
                .flat_map(|file| &file.facts.middleware)
                .map(|entry| entry.text.as_str())
                .collect(),
        );
        // The context processors `TEMPLATES` lists; without settings (a reusable app),
        // the functions of its `context_processors` modules.
        let listed_processors = resolved(
            production()
                .flat_map(|file| &file.facts.context_processors)
                .map(|entry| entry.text.as_str())
                .collect(),
        );
        let is_context_processor = |qualified: &str| {
            if listed_processors.is_empty() {
                qualified.contains(".context_processors.")
            } else {
                listed_processors.iter().any(|listed| listed == qualified)
            }
        };
        let mut found = Vec::new();
        let mut functions: Vec<&(&String, &ViewFunction)> = self.function_views.values().collect();
        functions.sort_by_key(|(path, f)| (path.as_str(), f.span.line));
        for (path, function) in functions {
            if function.body.expensive_queries.is_empty() || is_test_path(path) {
                continue;
            }
            let qualified = function.qualified_name.as_str();
            let mut caches = site.cache_middleware.clone();
            let mut answers_writes = None;
            let runs_in = if let Some(view) = self.view_running(function, routed) {
                if caches.is_none() {
                    caches = view.layers.iter().find(|w| caches_page(w)).map(|w| Found {
                        description: format!("view `{}` is wrapped in `{}`", view.name, w.text),
                    });
                }
                caches = caches.or_else(|| view.caches.clone());
                answers_writes = view.answers_writes.clone();
                RunsIn::View(view.name.clone())
            } else if is_context_processor(qualified) {
                RunsIn::ContextProcessor
            } else if qualified.contains(".templatetags.") {
                RunsIn::TemplateTag
            } else if middleware_classes
                .iter()
                .any(|class| class == parent(qualified))
                && MIDDLEWARE_METHODS.contains(&last_name(qualified))
            {
                RunsIn::Middleware
            } else {
                continue;
            };
            if caches.is_none() && function.body.uses_cache {
                caches = Some(Found {
                    description: format!("`{}` reads or writes the cache", last_name(qualified)),
                });
            }
            if caches.is_none() {
                caches = function
                    .decorators
                    .iter()
                    .find(|w| w.kind == WrapperKind::CachePage)
                    .map(|w| Found {
                        description: format!("it is wrapped in `{}`", w.text),
                    });
            }
            found.push(RequestCode {
                path: path.to_string(),
                name: last_name(qualified).to_string(),
                span: function.span.clone(),
                runs_in,
                queries: function.body.expensive_queries.clone(),
                caches,
                unknown_decorator: function.unknown_decorators.first().map(|d| Found {
                    description: format!("`{}` (line {})", d.text, d.line),
                }),
                answers_writes,
            });
        }
        found
    }

    /// Every project function that runs from these, as far as it can be followed: the
    /// functions themselves, then what they call or hand the request to, transitively (a
    /// project class through its `__init__` and `__call__`). `Err` says what cannot be
    /// followed: the request handed to code outside the project, or more helpers than
    /// are read.
    pub(super) fn reached_functions(
        &self,
        roots: &[(&'a str, &'a ViewFunction)],
    ) -> Result<Vec<(&'a str, &'a ViewFunction)>, Found> {
        const MAX_FUNCTIONS: usize = 64;
        let mut reached: Vec<(&'a str, &'a ViewFunction)> = roots.to_vec();
        let mut next = 0;
        while next < reached.len() {
            let (path, function) = reached[next];
            next += 1;
            if let Some(call) = &function.body.request_passed_outside {
                return Err(Found {
                    description: format!(
                        "hands the request to `{}` ({path}:{}), outside the project, whose reads of it are not known",
                        call.text, call.line
                    ),
                });
            }
            let callees = self
                .project_calls(function)
                .iter()
                .chain(&function.body.request_passed_to);
            for callee in callees {
                let helpers: Vec<(&'a str, &'a ViewFunction)> =
                    match self.function_views.get(callee.as_str()) {
                        Some((helper_path, helper)) => vec![(helper_path.as_str(), *helper)],
                        None => match self.classes.get(callee.as_str()) {
                            Some((_, class)) => ["__init__", "__call__"]
                                .iter()
                                .filter_map(|method| self.method(class, method))
                                .map(|(helper_path, helper)| (helper_path.as_str(), helper))
                                .collect(),
                            None => Vec::new(),
                        },
                    };
                for helper in helpers {
                    if !reached.iter().any(|(_, f)| std::ptr::eq(*f, helper.1)) {
                        reached.push(helper);
                    }
                }
            }
            if reached.len() > MAX_FUNCTIONS {
                return Err(Found {
                    description: format!(
                        "calls more than {MAX_FUNCTIONS} project functions, which are not all read"
                    ),
                });
            }
        }
        Ok(reached)
    }

    /// The routed view whose GET path runs this function.
    fn view_running<'v>(
        &self,
        function: &ViewFunction,
        routed: &'v [RoutedView],
    ) -> Option<&'v RoutedView> {
        let qualified = function.qualified_name.as_str();
        let class = parent(qualified);
        let routes = self
            .routes_by_target
            .get(qualified)
            .or_else(|| self.routes_by_target.get(class))?;
        let (_, route) = routes.first()?;
        match &route.target {
            RouteTarget::Class { qualified_name, .. } => {
                let (path, class_fact) = self.classes.get(qualified_name.as_str())?;
                let view = routed
                    .iter()
                    .find(|v| v.path == **path && v.span == class_fact.span)?;
                // Only what a GET runs.
                let on_get_path = view.get_path.iter().any(|(name, line)| {
                    *name == function.qualified_name && *line == function.span.line
                });
                on_get_path.then_some(view)
            }
            RouteTarget::Function(_) => {
                let (path, _) = self.function_views.get(qualified)?;
                routed.iter().find(|v| {
                    v.path == **path && v.span == function.span && v.name == last_name(qualified)
                })
            }
            RouteTarget::Unknown => None,
        }
    }
}
