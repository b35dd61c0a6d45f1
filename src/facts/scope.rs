//! Name bindings: what each name in a scope may refer to at a point in the code.
//!
//! A name maps to every binding that may reach the current statement (after an `if`, both
//! branches' assignments reach). Function scopes fall back to the module's final
//! bindings, as Python resolves globals at call time.

use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::shape::{CallableKind, Shape, Unpicklable};

#[derive(Clone, Debug, PartialEq)]
pub enum Binding {
    /// An imported module or member, or a module-level `def`/`class`: its dotted name.
    Qualified(String),
    /// A Django cache object, with its alias when known.
    DjangoCache(Option<String>),
    /// A variable holding a value of this shape (shared: scopes are cloned at branches).
    Value(Rc<Shape>),
    /// A view's `request` parameter.
    Request,
    /// Anything else (parameters, loop variables, unpacked values).
    Unknown,
}

pub type Bindings = FxHashMap<String, Vec<Binding>>;

const MAX_REACHING: usize = 8;

/// The names visible at a point of the code: layered scopes, innermost last, each shared
/// until written so that branches, closures and class bodies cost nothing to open. Lookups
/// that miss every layer fall back to the module's final bindings.
#[derive(Clone)]
pub struct Env<'g> {
    globals: Option<&'g Bindings>,
    scopes: Vec<Rc<Bindings>>,
    project: &'g ProjectQuestions<'g>,
}

/// The names of the project's own packages and modules (every directory and module name
/// in the analysed tree): a dotted name starting with one may be project code; `json.dumps`
/// or `requests.get` cannot be.
#[derive(Default)]
pub struct ProjectPackages {
    names: FxHashSet<String>,
    /// A `src/` layout: `src` holds the packages and is not one (no `src/__init__.py`), so
    /// `src/documents/signals.py` is module `documents.signals`.
    src_layout: bool,
    /// `cache-objects` from the configuration: project objects that behave like a Django
    /// cache.
    cache_objects: Vec<String>,
    /// The last names of the project functions that may cache what they are given
    /// (known after a first pass over every file): calls to them are kept with their
    /// arguments.
    helpers: FxHashSet<String>,
}

impl ProjectPackages {
    pub fn from_relative_paths<'p>(paths: impl Iterator<Item = &'p str>) -> Self {
        let mut names = FxHashSet::default();
        let mut under_src = false;
        let mut src_is_package = false;
        for path in paths {
            under_src |= path.starts_with("src/");
            src_is_package |= path == "src/__init__.py";
            let module = path.strip_suffix(".py").unwrap_or(path);
            for part in module.split('/') {
                if !names.contains(part) {
                    names.insert(part.to_string());
                }
            }
        }
        ProjectPackages {
            names,
            src_layout: under_src && !src_is_package,
            cache_objects: Vec::new(),
            helpers: FxHashSet::default(),
        }
    }

    /// The module a file defines: `blog/services.py` is `blog.services`, and
    /// `blog/__init__.py` is the package `blog` (the flag); in a `src/` layout the `src`
    /// directory is no part of the name.
    pub fn module_name(&self, relative: &str) -> (String, bool) {
        let relative = match relative.strip_prefix("src/") {
            Some(inside) if self.src_layout => inside,
            _ => relative,
        };
        let without_ext = relative.strip_suffix(".py").unwrap_or(relative);
        let mut parts: Vec<&str> = without_ext.split('/').collect();
        let is_package = parts.last() == Some(&"__init__");
        if is_package {
            parts.pop();
        }
        (parts.join("."), is_package)
    }

    pub fn with_cache_objects(mut self, cache_objects: Vec<String>) -> Self {
        self.cache_objects = cache_objects;
        self
    }

    /// The same project, with the last names of the functions that may cache what they
    /// are given.
    pub fn with_helpers(&self, helpers: FxHashSet<String>) -> Self {
        ProjectPackages {
            names: self.names.clone(),
            src_layout: self.src_layout,
            cache_objects: self.cache_objects.clone(),
            helpers,
        }
    }

    /// What decides module names and extraction besides each file's path and contents:
    /// part of the fact cache's key.
    pub fn extraction_settings(&self) -> (bool, &[String]) {
        (self.src_layout, &self.cache_objects)
    }
}

fn root_name(qualified: &str) -> &str {
    qualified.split('.').next().unwrap_or(qualified)
}

/// One file's questions to the project while its facts are extracted, with the answers:
/// cached facts stay valid while the project gives every answer again, so adding a module
/// elsewhere invalidates only the files that asked about its name.
pub struct ProjectQuestions<'p> {
    packages: &'p ProjectPackages,
    defines: RefCell<FxHashMap<String, bool>>,
    helpers: RefCell<FxHashMap<String, bool>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Question {
    /// May the project define a module or package of this root name?
    Defines,
    /// May a project function of this last name cache what it is given?
    Helper,
}

/// Whether `name` is among `known`, remembered in `answers`.
fn ask(answers: &RefCell<FxHashMap<String, bool>>, name: &str, known: &FxHashSet<String>) -> bool {
    let mut answers = answers.borrow_mut();
    if let Some(answer) = answers.get(name) {
        return *answer;
    }
    let answer = known.contains(name);
    answers.insert(name.to_string(), answer);
    answer
}

/// The answers a file's facts depend on, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectAnswers(Vec<(Question, String, bool)>);

impl ProjectAnswers {
    /// Whether `packages` gives every answer again.
    pub fn hold_for(&self, packages: &ProjectPackages) -> bool {
        self.0.iter().all(|(question, name, answer)| {
            let now = match question {
                Question::Defines => packages.names.contains(name.as_str()),
                Question::Helper => packages.helpers.contains(name.as_str()),
            };
            now == *answer
        })
    }
}

impl<'p> ProjectQuestions<'p> {
    pub fn new(packages: &'p ProjectPackages) -> Self {
        ProjectQuestions {
            packages,
            defines: RefCell::default(),
            helpers: RefCell::default(),
        }
    }

    pub fn into_answers(self) -> ProjectAnswers {
        let asked = |question: Question, answers: RefCell<FxHashMap<String, bool>>| {
            answers
                .into_inner()
                .into_iter()
                .map(move |(name, answer)| (question, name, answer))
        };
        let mut answers: Vec<(Question, String, bool)> = asked(Question::Defines, self.defines)
            .chain(asked(Question::Helper, self.helpers))
            .collect();
        answers.sort_unstable();
        ProjectAnswers(answers)
    }

    fn may_define(&self, qualified: &str) -> bool {
        let root = root_name(qualified);
        ask(&self.defines, root, &self.packages.names)
    }

    fn may_be_helper(&self, qualified: &str) -> bool {
        ask(
            &self.helpers,
            super::last_name(qualified),
            &self.packages.helpers,
        )
    }
}

impl<'g> Env<'g> {
    pub fn module(project: &'g ProjectQuestions<'g>) -> Self {
        Env {
            globals: None,
            scopes: vec![Rc::default()],
            project,
        }
    }

    /// The scope of a function or class body of the module, once the module is loaded.
    pub fn function(globals: &'g Bindings, project: &'g ProjectQuestions<'g>) -> Self {
        Env {
            globals: Some(globals),
            scopes: vec![Rc::default()],
            project,
        }
    }

    /// Whether a dotted name may be the project's own code (not builtins, Django, the
    /// standard library or other installed packages).
    pub fn is_project_name(&self, qualified: &str) -> bool {
        !qualified.starts_with("builtins.")
            && !qualified.starts_with("django.")
            && self.project.may_define(qualified)
    }

    /// Whether a project function may cache what it is given (`ProjectPackages::
    /// may_be_helper`).
    pub fn may_be_helper(&self, qualified: &str) -> bool {
        self.project.may_be_helper(qualified)
    }

    /// Whether the configuration declares this object a Django cache (`cache-objects`).
    pub fn is_cache_object(&self, qualified: &str) -> bool {
        self.project
            .packages
            .cache_objects
            .iter()
            .any(|object| object == qualified)
    }

    /// This environment with a new, empty innermost scope (a function or class body, or a
    /// branch whose writes are joined afterwards).
    pub fn nested(&self) -> Self {
        let mut nested = self.clone();
        nested.push_scope();
        nested
    }

    /// The environment a method body sees: its class's scope is not visible to it.
    pub fn without_innermost(&self) -> Self {
        let mut outer = self.clone();
        if outer.scopes.len() > 1 {
            outer.scopes.pop();
        }
        outer
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(Rc::default());
    }

    pub fn pop_scope(&mut self) -> Bindings {
        match self.scopes.pop() {
            Some(scope) => Rc::try_unwrap(scope).unwrap_or_else(|shared| (*shared).clone()),
            None => Bindings::default(),
        }
    }

    /// Every binding of the module, for the function bodies walked after it.
    pub fn into_bindings(mut self) -> Bindings {
        let mut flat = Bindings::default();
        while !self.scopes.is_empty() {
            for (name, bindings) in self.pop_scope() {
                flat.entry(name).or_insert(bindings);
            }
        }
        flat
    }

    pub fn lookup(&self, name: &str) -> Option<&[Binding]> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.get(name))
            .or_else(|| self.globals.and_then(|g| g.get(name)))
            .map(Vec::as_slice)
    }

    /// Whether the name is bound in a function's own scopes (a parameter, a local, a
    /// closure's variable) rather than at module level.
    pub fn is_local(&self, name: &str) -> bool {
        self.globals.is_some() && self.scopes.iter().any(|scope| scope.contains_key(name))
    }

    pub fn bind(&mut self, name: &str, binding: Binding) {
        self.bind_all(name, vec![binding]);
    }

    fn bind_all(&mut self, name: &str, bindings: Vec<Binding>) {
        if self.scopes.is_empty() {
            self.push_scope();
        }
        if let Some(scope) = self.scopes.last_mut() {
            Rc::make_mut(scope).insert(name.to_string(), bindings);
        }
    }

    /// Joins the writes of alternative paths (branches of an `if`, a loop taken or not,
    /// a `try` body and its handlers) into the current scope: a name may then hold what
    /// any path left in it, or, with `fallthrough`, what it held before.
    pub fn join(&mut self, outcomes: Vec<Bindings>, fallthrough: bool) {
        let mut names: Vec<&String> = outcomes.iter().flat_map(|o| o.keys()).collect();
        names.sort_unstable();
        names.dedup();
        let mut joined: Vec<(String, Vec<Binding>)> = Vec::with_capacity(names.len());
        for name in names {
            let before = self.lookup(name).unwrap_or(&[]);
            let mut reaching: Vec<Binding> = Vec::new();
            let paths = outcomes
                .iter()
                .map(|outcome| outcome.get(name).map_or(before, Vec::as_slice))
                .chain(fallthrough.then_some(before));
            for binding in paths.flatten() {
                if !reaching.contains(binding) && reaching.len() < MAX_REACHING {
                    reaching.push(binding.clone());
                }
            }
            joined.push((name.clone(), reaching));
        }
        for (name, reaching) in joined {
            self.bind_all(&name, reaching);
        }
    }
}

impl Binding {
    /// What a use of the name evaluates to.
    pub fn shape(&self) -> Shape {
        match self {
            Binding::Value(shape) => Shape::clone(shape).detached(),
            Binding::Request => Shape::Unpicklable {
                what: Unpicklable::Request,
                text: "request".to_string(),
            },
            Binding::Qualified(_) | Binding::DjangoCache(_) | Binding::Unknown => Shape::Opaque,
        }
    }

    pub fn value(shape: Shape) -> Binding {
        Binding::Value(Rc::new(shape))
    }

    /// The shape a variable holds, without copying it.
    pub fn value_shape(&self) -> Option<&Shape> {
        match self {
            Binding::Value(shape) => Some(shape),
            _ => None,
        }
    }

    pub fn local_function(name: &str, returns: Shape) -> Binding {
        Binding::value(Shape::Callable {
            kind: CallableKind::LocalFunction,
            text: name.to_string(),
            returns: Box::new(returns),
        })
    }
}
