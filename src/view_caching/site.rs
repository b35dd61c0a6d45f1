//! What the settings do to every request: the middleware and context processors, as far
//! as they are read, and which URLconf modules `ROOT_URLCONF` reaches.

use rustc_hash::FxHashMap as HashMap;

use super::{parent, Found, MroEntry, Project};
use crate::facts::last_name;
use crate::facts::view_facts::{Evidence, VaryOn, ViewFunction};
use crate::index::{FileEntry, ProjectIndex};

/// The URLconf files reached from the production settings' `ROOT_URLCONF` through
/// module-level `include()`s. A file reached through a module that hands its
/// `urlpatterns` to a call carries that call: it may wrap every view below it.
pub(super) fn url_reach(index: &ProjectIndex) -> HashMap<&str, Option<Found>> {
    let by_module: HashMap<&str, &FileEntry> = index
        .files
        .iter()
        .filter(|file| !file.is_test)
        .map(|file| (file.facts.module.as_str(), file))
        .collect();
    let mut reach: HashMap<&str, Option<Found>> = HashMap::default();
    let mut pending: Vec<(&FileEntry, Option<Found>)> = by_module
        .values()
        .filter_map(|file| file.facts.root_urlconf.as_ref())
        .filter_map(|root| by_module.get(root.text.as_str()))
        .map(|file| (*file, None))
        .collect();
    while let Some((file, wrapped)) = pending.pop() {
        let wrapped = wrapped.or_else(|| {
            file.facts.urlpatterns_wrapped.as_ref().map(|call| Found {
                description: format!(
                    "is routed below `{}` ({}:{}), which may wrap every view it routes",
                    call.text, file.path, call.line
                ),
            })
        });
        match reach.get(file.path.as_str()) {
            Some(Some(_)) => continue,
            Some(None) if wrapped.is_none() => continue,
            _ => {}
        }
        reach.insert(&file.path, wrapped.clone());
        for include in &file.facts.url_includes {
            if let Some(included) = by_module.get(include.text.as_str()) {
                pending.push((included, wrapped.clone()));
            }
        }
    }
    reach
}

/// Middleware known to answer every visitor alike: Django's own (but for the caches and
/// the login gate, which the site facts name) and a few ubiquitous ones.
const SHARED_MIDDLEWARE: &[&str] = &[
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.common.BrokenLinkEmailsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sites.middleware.CurrentSiteMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "django.contrib.redirects.middleware.RedirectFallbackMiddleware",
    "django.contrib.admindocs.middleware.XViewMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "debug_toolbar.middleware.DebugToolbarMiddleware",
];
const CACHE_MIDDLEWARE: &[&str] = &[
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
    "django.middleware.cache.CacheMiddleware",
];
const LOGIN_REQUIRED_MIDDLEWARE: &str = "django.contrib.auth.middleware.LoginRequiredMiddleware";
/// Bases of project middleware that add nothing per request.
const TRANSPARENT_MIDDLEWARE_BASES: &[&str] =
    &["django.utils.deprecation.MiddlewareMixin", "object"];
/// Middleware methods that run while a request is answered.
pub(super) const MIDDLEWARE_METHODS: &[&str] = &[
    "__call__",
    "process_request",
    "process_view",
    "process_template_response",
    "process_response",
];
/// Django's context processors: `auth` and `messages` add `user`, `perms` and `messages`,
/// which the template facts look for themselves.
const DJANGO_CONTEXT_PROCESSORS: &[&str] = &[
    "django.template.context_processors.debug",
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.template.context_processors.media",
    "django.template.context_processors.static",
    "django.template.context_processors.tz",
    "django.template.context_processors.csrf",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
];

/// What the project's settings do to every request: its middleware and its context
/// processors, as far as they are known.
#[derive(Default)]
pub struct SiteFacts {
    /// A site-wide cache middleware (Django's, or a project middleware that reads and
    /// writes the cache): every page is cached already.
    pub cache_middleware: Option<Found>,
    /// `LoginRequiredMiddleware`: every view requires login unless marked otherwise.
    pub login_middleware: Option<Found>,
    /// The first middleware not proved to answer every visitor alike: one from outside
    /// the tree that is not known, or a project middleware that inherits from outside the
    /// tree or whose request-time code (helpers included) reads the visitor's state or a
    /// request attribute of its own, redirects on every path, uses the cache or sets
    /// caching headers. Also set when no production settings module sets `MIDDLEWARE`,
    /// part of it cannot be read, or it includes a list no settings module defines.
    pub unknown_middleware: Option<Found>,
    /// The first context processor not proved to give every visitor the same values.
    pub per_user_context_processor: Option<Found>,
}

/// How a middleware may change what visitors get.
enum MiddlewareDifference {
    /// It caches responses, in this method: the site's own page cache.
    Caches(String),
    /// Anything else that may answer visitors differently, in words.
    Other(String),
}

impl<'a> Project<'a> {
    /// The site's middleware and context processors, from the production settings.
    pub(super) fn site_facts(&self) -> SiteFacts {
        let mut site = SiteFacts::default();
        let settings = || self.index.files.iter().filter(|file| !file.is_test);
        let defined_lists: Vec<&str> = settings()
            .flat_map(|file| &file.facts.middleware_lists)
            .map(String::as_str)
            .collect();
        let mut sets_middleware = false;
        let mut lists_processors = false;
        for file in settings() {
            let facts = &file.facts;
            sets_middleware |= !facts.middleware.is_empty() || facts.middleware_unread.is_some();
            lists_processors |=
                !facts.context_processors.is_empty() || facts.context_processors_unread.is_some();
            let at = |evidence: &Evidence| format!("{}:{}", file.path, evidence.line);
            if let (None, Some(unread)) = (&site.unknown_middleware, &facts.middleware_unread) {
                site.unknown_middleware = Some(Found {
                    description: format!(
                        "part of `MIDDLEWARE` cannot be read: `{}` ({})",
                        unread.text,
                        at(unread)
                    ),
                });
            }
            if let (None, Some(unread)) = (
                &site.per_user_context_processor,
                &facts.context_processors_unread,
            ) {
                site.per_user_context_processor = Some(Found {
                    description: format!(
                        "part of `context_processors` cannot be read: `{}` ({})",
                        unread.text,
                        at(unread)
                    ),
                });
            }
            for entry in &facts.middleware {
                let name = entry.text.as_str();
                if let Some(list) = name.strip_prefix('*') {
                    if !defined_lists.contains(&list) && site.unknown_middleware.is_none() {
                        site.unknown_middleware = Some(Found {
                            description: format!(
                                "`MIDDLEWARE` includes `{list}` ({}), which no settings module in the tree defines",
                                at(entry)
                            ),
                        });
                    }
                } else if CACHE_MIDDLEWARE.contains(&name) {
                    site.cache_middleware.get_or_insert_with(|| Found {
                        description: format!(
                            "`{}` is in `MIDDLEWARE` ({})",
                            last_name(name),
                            at(entry)
                        ),
                    });
                } else if name == LOGIN_REQUIRED_MIDDLEWARE {
                    site.login_middleware.get_or_insert_with(|| Found {
                        description: format!(
                            "`LoginRequiredMiddleware` is in `MIDDLEWARE` ({})",
                            at(entry)
                        ),
                    });
                } else if !SHARED_MIDDLEWARE.contains(&name) {
                    match self.middleware_difference(name) {
                        Some(MiddlewareDifference::Caches(method)) => {
                            site.cache_middleware.get_or_insert_with(|| Found {
                                description: format!(
                                    "middleware `{name}` ({}) caches responses in `{method}`",
                                    at(entry)
                                ),
                            });
                        }
                        Some(MiddlewareDifference::Other(why))
                            if site.unknown_middleware.is_none() =>
                        {
                            site.unknown_middleware = Some(Found {
                                description: format!("middleware `{name}` ({}) {why}", at(entry)),
                            });
                        }
                        _ => {}
                    }
                }
            }
            for entry in &facts.context_processors {
                let name = entry.text.as_str();
                if site.per_user_context_processor.is_none()
                    && !DJANGO_CONTEXT_PROCESSORS.contains(&name)
                {
                    site.per_user_context_processor =
                        self.processor_difference(name).map(|why| Found {
                            description: format!(
                                "context processor `{name}` ({}) {why}",
                                at(entry)
                            ),
                        });
                }
            }
        }
        if !sets_middleware && site.unknown_middleware.is_none() {
            site.unknown_middleware = Some(Found {
                description: "no settings module in the tree sets `MIDDLEWARE`, so what runs around each view is not known".to_string(),
            });
        }
        if !lists_processors && site.per_user_context_processor.is_none() {
            site.per_user_context_processor = Some(Found {
                description: "no settings module in the tree lists the context processors, so what templates receive is not known".to_string(),
            });
        }
        site
    }

    /// Why a middleware may answer visitors differently, or `None` when it is a project
    /// class (or function) whose request-time code was read and does none of that.
    fn middleware_difference(&self, name: &str) -> Option<MiddlewareDifference> {
        // Settings name modules as `sys.path` sees them: `core.middleware.X` is
        // `label_studio/core/middleware.py` when `label_studio/` is on the path.
        let resolved = self.project_name(name);
        let name = resolved.as_deref().unwrap_or(name);
        let roots: Vec<(&str, &ViewFunction)> = match self.class(name) {
            Some(class) => {
                let mro = self.linearize(&class.qualified_name, class);
                // A base from outside the tree may do anything per request.
                let outside = mro.iter().find_map(|entry| match entry {
                    MroEntry::External(base)
                        if !TRANSPARENT_MIDDLEWARE_BASES.contains(&base.as_str()) =>
                    {
                        Some(base)
                    }
                    _ => None,
                });
                if let Some(base) = outside {
                    return Some(MiddlewareDifference::Other(format!(
                        "inherits `{base}`, from outside the tree, which is not read"
                    )));
                }
                mro.iter()
                    .filter_map(|entry| match entry {
                        MroEntry::Project(class) => Some(*class),
                        MroEntry::External(_) => None,
                    })
                    .flat_map(|class| {
                        MIDDLEWARE_METHODS
                            .iter()
                            .filter_map(|method| self.method(class, method))
                            .map(|(path, f)| (path.as_str(), f))
                    })
                    .collect()
            }
            None if self.index.function_fact(name).is_some() => self
                .function_views
                .iter()
                .filter(|(qualified, _)| **qualified == name || parent(qualified) == name)
                .map(|(_, (path, f))| (path.as_str(), *f))
                .collect(),
            None => {
                return Some(MiddlewareDifference::Other(
                    "is from outside the tree and not known".to_string(),
                ))
            }
        };
        let bodies: Vec<&ViewFunction> = match self.reached_functions(&roots) {
            Ok(reached) => reached.into_iter().map(|(_, f)| f).collect(),
            Err(why) => return Some(MiddlewareDifference::Other(why.description)),
        };
        // A cache middleware by another name (Mezzanine's `UpdateCacheMiddleware`); any
        // other that uses the cache may answer from it.
        let touches_cache = |f: &ViewFunction| {
            f.body.uses_cache || self.index.function_touches_cache(&f.qualified_name)
        };
        if let Some(f) = bodies.iter().find(|f| touches_cache(f)) {
            let method = last_name(&f.qualified_name).to_string();
            return Some(if last_name(name).contains("Cache") {
                MiddlewareDifference::Caches(method)
            } else {
                MiddlewareDifference::Other(format!("uses the cache in `{method}`"))
            });
        }
        bodies.iter().find_map(|f| {
            let body = &f.body;
            let method = last_name(&f.qualified_name);
            let why = if let Some(read) = body.per_user.as_ref().or(body.request_extra.as_ref()) {
                Some(format!("reads `{}` in `{method}`", read.text))
            } else if let Some(response) = &body.uncacheable_response {
                Some(format!("answers with `{}` in `{method}`", response.text))
            } else if body.sets_caching_headers
                || body.cache_control.is_some()
                || body.vary != VaryOn::default()
            {
                Some(format!("sets caching headers in `{method}`"))
            } else if !f.unknown_decorators.is_empty() {
                Some(format!(
                    "has decorators on `{method}` whose effect is not known"
                ))
            } else {
                None
            };
            why.map(MiddlewareDifference::Other)
        })
    }

    /// The project's dotted name for a class or function a setting names by a shorter
    /// path (the part of the tree on `sys.path` left out), when exactly one matches.
    pub(super) fn project_name(&self, name: &str) -> Option<String> {
        if self.classes.contains_key(name) || self.index.function_fact(name).is_some() {
            return None;
        }
        let suffix = format!(".{name}");
        let short = last_name(name);
        let functions = self.functions_by_name.get_or_init(|| {
            let mut by_name: HashMap<&str, Vec<&str>> = HashMap::default();
            let facts = self
                .index
                .files
                .iter()
                .flat_map(|file| &file.facts.function_facts);
            for fact in facts {
                let qualified = fact.qualified_name.as_str();
                by_name
                    .entry(last_name(qualified))
                    .or_default()
                    .push(qualified);
            }
            by_name
        });
        let classes = self.class_names.get(short).into_iter().flatten();
        let mut matches = classes
            .chain(functions.get(short).into_iter().flatten())
            .copied()
            .filter(|qualified| qualified.ends_with(&suffix));
        let first = matches.next()?;
        matches
            .all(|other| other == first)
            .then(|| first.to_string())
    }

    /// Why a context processor may give visitors different values, or `None` when it is
    /// a project function that reads no per-user state.
    fn processor_difference(&self, name: &str) -> Option<String> {
        let resolved = self.project_name(name);
        let name = resolved.as_deref().unwrap_or(name);
        if self.index.function_fact(name).is_none() {
            return Some("is from outside the tree and not known".to_string());
        }
        let (path, function) = self.function_views.get(name)?;
        let reached = match self.reached_functions(&[(path.as_str(), *function)]) {
            Ok(reached) => reached,
            Err(why) => return Some(why.description),
        };
        reached.iter().find_map(|(_, f)| {
            f.body
                .per_user
                .as_ref()
                .or(f.body.request_extra.as_ref())
                .map(|read| {
                    format!(
                        "reads `{}` (in `{}`)",
                        read.text,
                        last_name(&f.qualified_name)
                    )
                })
        })
    }
}
