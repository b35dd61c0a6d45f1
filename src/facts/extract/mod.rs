//! The fact extractor: one pass over a module's statements in execution order, tracking
//! what each name holds, and recording every Django cache call with what it stores, the
//! module's classes, functions, signal receivers and bulk writes.

mod calls;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::eval::{constant, key_template, last_segment, model_ref, qualified_name, Evaluator};
use super::keys::KeyTemplate;
use super::paths::{relative_path, template_dirs, RelativePath};
use super::scope::{Binding, Env, ProjectAnswers, ProjectPackages, ProjectQuestions};
use super::settings::cache_settings;
use super::shape::{ManagerOrigin, ModelRef, Shape, Unpicklable};
use super::span::Locator;
use super::syntax::{argument, elements, keyword, root_name};
use super::view_facts::{
    changes_templates, drf_decorator_policy, inspect_header_assignment, is_request_attribute,
    record_view_attribute, rest_framework, wrapper_alias, ClassView, SettingEntries, SharedValues,
    ViewBody, ViewFunction, ViewReader, WrapperKind,
};
use super::{
    CacheMethod, CacheOp, ClassFact, FileFacts, FunctionFact, FunctionSummary, Parameter,
    ParameterCacheCall, RelationFact, RelationKind, Timeout,
};

pub fn extract(
    module: &ast::ModModule,
    source: &str,
    module_name: &str,
    is_package: bool,
    in_tests: bool,
    packages: &ProjectPackages,
) -> (FileFacts, ProjectAnswers) {
    let project = ProjectQuestions::new(packages);
    let mut package: Vec<String> = module_name.split('.').map(str::to_string).collect();
    if !is_package {
        package.pop();
    }
    let mut extractor = Extractor {
        locator: Locator::new(source),
        package,
        facts: FileFacts {
            module: module_name.to_string(),
            ..FileFacts::default()
        },
        activities: Vec::new(),
        classes: Vec::new(),
        in_tests,
        call_site: CallSite::default(),
        module_paths: Vec::new(),
        module_wrappers: Vec::new(),
        class_attribute_caches: Vec::new(),
        managers_here: Vec::new(),
        mentions_update_fields: source.contains("update_fields"),
    };
    let mut env = Env::module(&project);
    let mut frame = Frame::new(ScopeKind::Module, module_name.to_string());
    extractor.walk_body(&module.body, &mut env, &mut frame);

    let mut globals = env.into_bindings();
    // A name some function rebinds with `global` may hold anything at call time.
    for name in global_declarations(&module.body) {
        if let Some(bindings) = globals.get_mut(name) {
            if !bindings.contains(&Binding::Unknown) {
                bindings.push(Binding::Unknown);
            }
        }
    }
    let deferred = std::mem::take(&mut frame.deferred);
    let module_env = Env::function(&globals, &project);
    for (name, alias) in lazy_caches(&module.body, &extractor, &module_env) {
        let qualified = frame.qualify(name);
        extractor.facts.module_caches.push((qualified, alias));
    }
    // `def get_cache(): return caches["shared"]`: what `get_cache()` gives is a cache.
    for stmt in &module.body {
        if let Stmt::FunctionDef(func) = stmt {
            if let Some(alias) = extractor.returned_cache(&func.body, &module_env) {
                let called = format!("{}()", frame.qualify(func.name.as_str()));
                extractor.facts.module_caches.push((called, alias));
            }
        }
    }
    for class in deferred.iter().filter_map(|d| match d {
        Deferred::Class(class) => Some(*class),
        Deferred::Function(_) => None,
    }) {
        let qualified = frame.qualify(class.name.as_str());
        let caches = extractor.class_caches(class, &module_env);
        extractor.class_attribute_caches.extend(
            caches
                .into_iter()
                .map(|(attribute, alias)| (format!("{qualified}.{attribute}"), alias)),
        );
    }
    drop(module_env);
    for deferred in deferred {
        match deferred {
            Deferred::Function(func) => {
                let qualified = frame.qualify(func.name.as_str());
                let outcome =
                    extractor.walk_function(func, Env::function(&globals, &project), &qualified);
                let matters = outcome.returns.is_interesting() || outcome.returns_key.is_some();
                if matters || func.is_async {
                    extractor.facts.functions.push(FunctionSummary {
                        qualified_name: qualified,
                        is_async: func.is_async,
                        returns: outcome.returns,
                        returns_key: outcome.returns_key,
                    });
                }
            }
            Deferred::Class(class) => {
                let qualified = frame.qualify(class.name.as_str());
                let fact =
                    extractor.walk_class(class, Env::function(&globals, &project), &qualified);
                extractor.facts.classes.push(fact);
            }
        }
    }
    extractor.facts.unseen_calls.sort_unstable();
    extractor.facts.unseen_calls.dedup();
    (extractor.facts, project.into_answers())
}

/// A class being walked.
struct ClassScope {
    /// Its dotted name.
    name: String,
    role: ClassRole,
    /// Attributes holding a Django cache, and its alias when known.
    caches: Vec<(String, Option<String>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClassRole {
    Model,
    Manager,
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function,
}

/// Module-level function and class bodies run after the module is loaded, so they are
/// walked once the module's final bindings are known.
enum Deferred<'a> {
    Function(&'a ast::StmtFunctionDef),
    Class(&'a ast::StmtClassDef),
}

struct Frame<'a> {
    kind: ScopeKind,
    /// Dotted name of the scope: definitions in it are named `{prefix}.{name}`.
    prefix: String,
    returns: Vec<Shape>,
    return_keys: Vec<Option<KeyTemplate>>,
    deferred: Vec<Deferred<'a>>,
}

impl Frame<'_> {
    fn new(kind: ScopeKind, prefix: String) -> Self {
        Frame {
            kind,
            prefix,
            returns: Vec::new(),
            return_keys: Vec::new(),
            deferred: Vec::new(),
        }
    }

    fn qualify(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }
}

/// What a function does, gathered while its body is walked.
struct Activity {
    qualified_name: String,
    touches_cache: bool,
    calls: Vec<String>,
    /// Methods called on objects of unknown class, as `?.name`.
    unknown_methods: Vec<String>,
    /// Fields whose change it tests in `update_fields` (`if "title" in update_fields`).
    watched_fields: Vec<String>,
    /// Its parameters (positional ones first, in order, then keyword-only ones), and for
    /// each whether the body may rebind it. Empty for a method or a task bound to `self`,
    /// whose callers' positions are shifted.
    parameters: Vec<(Parameter, bool)>,
    /// Its cache calls with a parameter as key, value or timeout.
    parameter_cache_calls: Vec<ParameterCacheCall>,
    /// It calls a project function passing one of its parameters on.
    forwards_parameters: bool,
    /// Names read by the tests of the `if` and `while` statements walked so far: a cache
    /// call after `if not timeout: return` or inside `if use_cache:` depends on them.
    tested_names: Vec<String>,
    /// Names a test checks the type of (`isinstance(value, list)`).
    type_tested: Vec<String>,
    /// Locals assigned what calling a parameter of an enclosing function returns
    /// (`result = func(*args, **kwargs)` in a decorator's wrapper).
    wrapped_results: Vec<(String, usize)>,
    /// What a wrapper defined in it caches of its function parameter's result.
    memoises: Option<Box<super::MemoCache>>,
    /// Models it tests `sender` or `instance` against.
    dispatches_on: Vec<ModelRef>,
    /// Bulk writes in this function: indexes into `FileFacts::bulk_writes`.
    bulk_writes: Vec<usize>,
    view: ViewBody,
    /// How many branches (`if`, loops, `match`) the walk is inside.
    branch_depth: usize,
    is_async: bool,
    /// For each `for` loop the walk is inside: its targets and the names its body assigns,
    /// which change from one iteration to the next.
    loop_names: Vec<Vec<String>>,
    /// Targets of the loops the walk is inside whose iterable is the same on every
    /// request: their values are too.
    shared_loop_targets: Vec<String>,
    /// Arguments of queries seen so far (`Subquery(...)`, `filter(id__in=...)`): a
    /// QuerySet inside them is part of that query.
    query_arguments: Vec<ruff_text_size::TextRange>,
    /// Expressions evaluated as they are: the argument of `list(...)`, `len(...)`, or a
    /// returned value (a template tag's or context processor's, which the template runs).
    evaluated: Vec<ruff_text_size::TextRange>,
    /// How many `with transaction.atomic():` blocks the walk is inside.
    atomic_depth: usize,
    /// Locals the function assigns exactly once.
    assigned_once: Vec<String>,
    /// Those of them assigned a value that is the same on every request.
    shared_locals: Vec<String>,
    /// The `for` loops the walk is inside, innermost last.
    loops: Vec<LoopFrame>,
}

/// A `for` loop being walked.
struct LoopFrame {
    line: usize,
    /// It walks a literal list, tuple or set of a few items.
    few_fixed_items: bool,
    /// How many `with` blocks inside the loop the walk is in.
    with_depth: usize,
}

struct FunctionOutcome {
    returns: Shape,
    returns_key: Option<KeyTemplate>,
}

pub(super) struct Extractor<'src> {
    pub(super) locator: Locator<'src>,
    package: Vec<String>,
    pub(super) facts: FileFacts,
    activities: Vec<Activity>,
    /// The classes being walked, innermost last.
    classes: Vec<ClassScope>,
    /// The file is test code (by its path): calls in it are never evidence, so its calls
    /// to project helpers are not kept.
    pub(super) in_tests: bool,
    /// Where the call being inspected sits inside its expression.
    pub(super) call_site: CallSite,
    /// Module-level names bound to paths built from `__file__` (`BASE_DIR`).
    module_paths: Vec<(String, RelativePath)>,
    /// Module-level names bound to view decorators (`cache_15 = cache_page(900)`).
    pub(super) module_wrappers: Vec<(String, WrapperKind)>,
    /// The module's Manager and QuerySet subclasses walked so far: bases that make a
    /// class one too.
    managers_here: Vec<String>,
    /// Caches the module's classes hold, by dotted name (`app.models.Rendition.backend`),
    /// for `Rendition.backend.set(...)` anywhere in the module.
    class_attribute_caches: Vec<(String, Option<String>)>,
    /// The file mentions `update_fields`: only then are functions searched for the fields
    /// they watch (searched once here, not once per nested function).
    mentions_update_fields: bool,
}

/// A call's place in its expression: in a lambda (which runs wherever it is called), in a
/// generator expression, and under which comprehension variables.
#[derive(Default)]
pub(super) struct CallSite {
    pub(super) in_lambda: bool,
    pub(super) in_generator: bool,
    pub(super) comprehension_names: Vec<String>,
}

impl Extractor<'_> {
    pub(super) fn current_class(&self) -> Option<&str> {
        self.classes.last().map(|class| class.name.as_str())
    }

    /// The cache alias a class of this module holds as `qualified` (`app.models.Rendition
    /// .backend`), when it holds one.
    pub(super) fn module_class_cache(&self, qualified: &str) -> Option<Option<String>> {
        self.class_attribute_caches
            .iter()
            .find(|(name, _)| name == qualified)
            .map(|(_, alias)| alias.clone())
    }

    /// The cache alias of `self.<attribute>` (or `cls.<attribute>`) in the class being
    /// walked, when the class holds a Django cache there: `Some(None)` for an unknown
    /// alias.
    pub(super) fn class_cache(&self, attribute: &str) -> Option<Option<String>> {
        self.classes.last().and_then(|class| {
            class
                .caches
                .iter()
                .find(|(name, _)| name == attribute)
                .map(|(_, alias)| alias.clone())
        })
    }

    /// The evaluator of expressions at the walk's current place.
    pub(super) fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            locator: &self.locator,
            in_model_class: self.in_model_class(),
        }
    }

    /// Whether the code being walked is in a model class (or a class that may be one).
    fn in_model_class(&self) -> bool {
        self.classes
            .last()
            .is_some_and(|class| class.role == ClassRole::Model)
    }

    /// Whether the code being walked is in a `Manager` or `QuerySet` subclass, whose
    /// `self` is a manager of the model it is attached to.
    fn in_manager_class(&self) -> bool {
        self.classes
            .last()
            .is_some_and(|class| class.role == ClassRole::Manager)
    }

    /// The dotted name of a function defined in the function being walked.
    pub(super) fn nested_name(&self, name: &str) -> String {
        match self.activities.last() {
            Some(activity) => format!("{}.{name}", activity.qualified_name),
            None => name.to_string(),
        }
    }

    /// `func(...)` where `func` is a parameter of a function enclosing the one being
    /// walked (a decorator's wrapped function, called in its wrapper): the index of that
    /// function among the activities.
    pub(super) fn calls_enclosing_parameter(&self, expr: &Expr) -> Option<usize> {
        let Expr::Call(call) = expr else { return None };
        let Expr::Name(called) = call.func.as_ref() else {
            return None;
        };
        let enclosing = self.activities.len().checked_sub(1)?;
        self.activities[..enclosing].iter().rposition(|activity| {
            activity
                .parameters
                .iter()
                .any(|(parameter, rebound)| parameter.name == called.id.as_str() && !rebound)
        })
    }

    /// A cache write of `value` in the function being walked, if it caches what the
    /// function an enclosing decorator wraps returns: recorded on that decorator, or on
    /// the function making it when the decorator is made by a call.
    pub(super) fn record_memo_write(
        &mut self,
        value: &Expr,
        timeout: Option<&Expr>,
        memo: impl FnOnce() -> super::MemoCache,
    ) {
        let result = match value {
            Expr::Lambda(lambda) => self.calls_enclosing_parameter(&lambda.body),
            Expr::Name(name) => self.activities.last().and_then(|activity| {
                if activity.type_tested.iter().any(|t| t == name.id.as_str()) {
                    return None;
                }
                activity
                    .wrapped_results
                    .iter()
                    .find(|(local, _)| local == name.id.as_str())
                    .map(|(_, owner)| *owner)
            }),
            other => self.calls_enclosing_parameter(other),
        };
        let Some(decorator) = result else { return };
        // `if timeout:` or `if enabled:` around or before the write: the decorator's
        // arguments may turn the caching off.
        let current = self.activities.len() - 1;
        let guarded = self.activities[decorator.saturating_sub(1)..]
            .iter()
            .flat_map(|activity| &activity.tested_names)
            .any(|name| {
                self.activities[decorator.saturating_sub(1)..current]
                    .iter()
                    .flat_map(|activity| &activity.parameters)
                    .any(|(parameter, _)| parameter.name == *name)
            });
        if guarded {
            return;
        }
        let mut memo = memo();
        // `def cached(timeout=300): def decorator(func): def wrapper(...)`.
        let owner = match decorator.checked_sub(1) {
            Some(factory) if !self.activities[factory].parameters.is_empty() => {
                memo.applied_by_call = true;
                factory
            }
            _ => decorator,
        };
        if let Some(Expr::Name(name)) = timeout {
            let parameter = self.activities[owner]
                .parameters
                .iter()
                .find(|(p, rebound)| p.name == name.id.as_str() && !rebound)
                .map(|(p, _)| p.clone());
            if parameter.is_some() {
                memo.timeout = Timeout::Unknown;
                memo.timeout_parameter = parameter;
            }
        }
        self.activities[owner].memoises = Some(Box::new(memo));
    }

    /// The parameter of the function being walked that `expr` is, as the caller gave it
    /// (never rebound in the body, not shadowed in a lambda or comprehension).
    pub(super) fn given_parameter(&self, expr: &Expr) -> Option<String> {
        let Expr::Name(name) = expr else { return None };
        if self.call_site.in_lambda || !self.call_site.comprehension_names.is_empty() {
            return None;
        }
        let activity = self.activities.last()?;
        activity
            .parameters
            .iter()
            .any(|(parameter, rebound)| parameter.name == name.id.as_str() && !rebound)
            .then(|| name.id.to_string())
    }

    /// A cache call in the function being walked, if its key, value or timeout is one of
    /// the function's parameters as given.
    /// A call depending on a test of another parameter (`if use_cache:`) is left out,
    /// and a timeout the function tests (`if not timeout: return`) is no timeout its
    /// callers give the cache.
    pub(super) fn record_parameter_cache_call(&mut self, mut call: ParameterCacheCall) {
        let Some(activity) = self.activities.last_mut() else {
            return;
        };
        let tested = |name: &str| activity.tested_names.iter().any(|t| t == name);
        if call.timeout.as_deref().is_some_and(tested) {
            call.timeout = None;
            call.own_timeout = Timeout::Unknown;
        }
        let slots = [&call.key, &call.value];
        let guarded = activity.parameters.iter().any(|(parameter, _)| {
            tested(&parameter.name)
                && !slots
                    .iter()
                    .any(|slot| slot.as_deref() == Some(&parameter.name))
                && call.timeout.as_deref() != Some(&parameter.name)
        });
        if call
            .value
            .as_ref()
            .is_some_and(|value| activity.type_tested.contains(value))
        {
            call.value = None;
        }
        let untouched = call.key.is_none() && call.value.is_none() && call.timeout.is_none();
        if guarded || untouched {
            return;
        }
        activity.parameter_cache_calls.push(call);
    }

    /// The names an `if` or `while` test reads, for the function being walked.
    fn record_tested(&mut self, test: &Expr) {
        let Some(activity) = self.activities.last_mut() else {
            return;
        };
        let mut names = Vec::new();
        NameCollector { names: &mut names }.visit_expr(test);
        activity
            .tested_names
            .extend(names.into_iter().map(str::to_string));
        // `isinstance(value, list)`: what is cached then is only a value of that type.
        let mut finder = CallFinder::default();
        finder.visit_expr(test);
        for found in finder.calls {
            let call = found.call;
            if let (Expr::Name(func), Some(Expr::Name(subject))) =
                (call.func.as_ref(), call.arguments.args.first())
            {
                if func.id.as_str() == "isinstance" {
                    activity.type_tested.push(subject.id.to_string());
                }
            }
        }
    }

    /// The function being walked passes one of its parameters on to a project function.
    pub(super) fn record_forwarded_parameter(&mut self) {
        if let Some(activity) = self.activities.last_mut() {
            activity.forwards_parameters = true;
        }
    }

    pub(super) fn record_call(&mut self, callee: String) {
        if let Some(activity) = self.activities.last_mut() {
            activity.calls.push(callee);
        }
    }

    /// The models a receiver without `sender=` acts for: `sender is Post`,
    /// `isinstance(instance, (Post, Page))`.
    pub(super) fn record_dispatch(&mut self, models: &Expr, env: &Env<'_>) {
        let classes = match models {
            Expr::Set(set) => &set.elts[..],
            other => elements(other),
        };
        let refs: Vec<ModelRef> = classes.iter().filter_map(|e| model_ref(e, env)).collect();
        if let Some(activity) = self.activities.last_mut() {
            activity.dispatches_on.extend(refs);
        }
    }

    pub(super) fn record_unknown_method(&mut self, name: &str) {
        if let Some(activity) = self.activities.last_mut() {
            activity.unknown_methods.push(format!("?.{name}"));
        }
    }

    pub(super) fn record_cache_touch(&mut self) {
        if let Some(activity) = self.activities.last_mut() {
            activity.touches_cache = true;
        }
    }

    fn branch_depth_change(&mut self, by: isize) {
        if let Some(activity) = self.activities.last_mut() {
            activity.branch_depth = activity.branch_depth.saturating_add_signed(by);
        }
    }

    /// Whether the code being walked runs once per item of a `for` loop or comprehension.
    pub(super) fn in_loop(&self) -> bool {
        self.activities
            .last()
            .is_some_and(|activity| !activity.loop_names.is_empty())
            || !self.call_site.comprehension_names.is_empty()
    }

    /// Whether the code being walked runs only on some paths through its function.
    pub(super) fn in_branch(&self) -> bool {
        self.activities
            .last()
            .is_some_and(|activity| activity.branch_depth > 0)
    }

    /// The function or method being walked.
    pub(super) fn current_function(&self) -> Option<&str> {
        self.activities
            .last()
            .map(|activity| activity.qualified_name.as_str())
    }

    /// The `async def` being walked, unless the code is in a lambda inside it.
    pub(super) fn async_def(&self) -> Option<String> {
        let activity = self.activities.last()?;
        (activity.is_async && !self.call_site.in_lambda).then(|| activity.qualified_name.clone())
    }

    /// The loop a cache call runs once per item of, when its key changes per item.
    pub(super) fn per_item(&self, call: &ast::ExprCall) -> Option<super::PerItem> {
        if !self.varies_per_item(call) {
            return None;
        }
        let innermost = self.activities.last().and_then(|a| a.loops.last());
        let in_comprehension = !self.call_site.comprehension_names.is_empty();
        Some(match innermost {
            Some(frame) if !in_comprehension => super::PerItem {
                loop_line: frame.line,
                few_fixed_items: frame.few_fixed_items,
                in_with: frame.with_depth > 0,
            },
            _ => super::PerItem {
                loop_line: self.locator.span(call).line,
                few_fixed_items: false,
                in_with: false,
            },
        })
    }

    /// Whether a cache call's key arguments use a name that changes per loop iteration.
    fn varies_per_item(&self, call: &ast::ExprCall) -> bool {
        let loop_names = self
            .activities
            .last()
            .into_iter()
            .flat_map(|activity| activity.loop_names.iter().flatten());
        let varying: Vec<&str> = loop_names
            .map(String::as_str)
            .chain(
                self.call_site
                    .comprehension_names
                    .iter()
                    .map(String::as_str),
            )
            .collect();
        if varying.is_empty() {
            return false;
        }
        let mut names = Vec::new();
        for argument in call.arguments.args.iter().take(1).chain(
            call.arguments
                .keywords
                .iter()
                .filter(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "key"))
                .map(|k| &k.value),
        ) {
            NameCollector { names: &mut names }.visit_expr(argument);
        }
        names.iter().any(|name| varying.contains(name))
    }

    /// Which values are the same on every request, in the function being walked.
    fn shared_values(&self) -> SharedValues<'_> {
        match self.activities.last() {
            Some(activity) => SharedValues {
                locals: &activity.shared_locals,
                loop_targets: &activity.shared_loop_targets,
            },
            None => SharedValues {
                locals: &[],
                loop_targets: &[],
            },
        }
    }

    /// `name = value` in a function: the name is the same on every request from here on
    /// when the function assigns it only here and the value is.
    fn record_shared_local(&mut self, targets: &[Expr], value: &Expr, env: &Env<'_>) {
        let [Expr::Name(name)] = targets else { return };
        let id = name.id.as_str();
        let once = self.activities.last().is_some_and(|activity| {
            activity
                .assigned_once
                .binary_search_by(|n| n.as_str().cmp(id))
                .is_ok()
        });
        if once && self.shared_values().is_shared(value, env) {
            if let Some(activity) = self.activities.last_mut() {
                activity.shared_locals.push(id.to_string());
            }
        }
    }

    /// Records a query's arguments: QuerySets inside them are part of that query.
    pub(super) fn record_query_arguments(&mut self, call: &ast::ExprCall) {
        if let Some(activity) = self.activities.last_mut() {
            activity.query_arguments.extend(
                call.arguments
                    .args
                    .iter()
                    .chain(call.arguments.keywords.iter().map(|k| &k.value))
                    .map(ruff_text_size::Ranged::range),
            );
        }
    }

    /// Records an expression that is evaluated as it is.
    pub(super) fn record_evaluated(&mut self, mut expr: &Expr) {
        // `list(query[:5])` runs the sliced query.
        while let Expr::Subscript(subscript) = expr {
            expr = &subscript.value;
        }
        if let Some(activity) = self.activities.last_mut() {
            activity.evaluated.push(ruff_text_size::Ranged::range(expr));
        }
    }

    /// Whether the call is an expression evaluated as it is.
    pub(super) fn is_evaluated(&self, call: &ast::ExprCall) -> bool {
        let range = ruff_text_size::Ranged::range(call);
        self.activities
            .last()
            .is_some_and(|activity| activity.evaluated.contains(&range))
    }

    /// Whether the call is inside an argument of a query seen before it.
    pub(super) fn in_query_argument(&self, call: &ast::ExprCall) -> bool {
        let range = ruff_text_size::Ranged::range(call);
        self.activities.last().is_some_and(|activity| {
            activity
                .query_arguments
                .iter()
                .any(|argument| argument.contains_range(range))
        })
    }

    /// Whether the code being walked is inside `with transaction.atomic():`.
    pub(super) fn in_atomic(&self) -> bool {
        self.activities
            .last()
            .is_some_and(|activity| activity.atomic_depth > 0)
    }

    /// The view facts of the function being walked.
    pub(super) fn view_body(&self) -> Option<&ViewBody> {
        self.activities.last().map(|activity| &activity.view)
    }

    pub(super) fn view_body_mut(&mut self, update: impl FnOnce(&mut ViewBody)) {
        if let Some(activity) = self.activities.last_mut() {
            update(&mut activity.view);
        }
    }

    /// Like [`Self::view_body_mut`], for an update that reads the rest of the walk: the
    /// body is taken out of the function's activity meanwhile.
    fn update_view_body(&mut self, update: impl FnOnce(&Self, &mut ViewBody)) {
        let Some(activity) = self.activities.last_mut() else {
            return;
        };
        let mut body = std::mem::take(&mut activity.view);
        update(self, &mut body);
        if let Some(activity) = self.activities.last_mut() {
            activity.view = body;
        }
    }

    /// The reader of view facts at the walk's current place.
    fn views(&self) -> ViewReader<'_> {
        ViewReader {
            evaluator: self.evaluator(),
            module_wrappers: &self.module_wrappers,
        }
    }

    pub(super) fn record_bulk_write_in_function(&mut self, index: usize) {
        if let Some(activity) = self.activities.last_mut() {
            activity.bulk_writes.push(index);
        }
    }

    // ---- statements -------------------------------------------------------------------

    fn walk_body<'a>(&mut self, body: &'a [Stmt], env: &mut Env<'_>, frame: &mut Frame<'a>) {
        for stmt in body {
            self.walk_stmt(stmt, env, frame);
        }
    }

    /// Walks alternative bodies from the same starting point and joins the writes of
    /// those that fall through (a branch that returns or raises leaves nothing behind).
    fn walk_alternatives<'a>(
        &mut self,
        bodies: &[&'a [Stmt]],
        fallthrough: bool,
        env: &mut Env<'_>,
        frame: &mut Frame<'a>,
    ) {
        let mut outcomes = Vec::new();
        self.branch_depth_change(1);
        for body in bodies {
            env.push_scope();
            self.walk_body(body, env, frame);
            let writes = env.pop_scope();
            if !terminates(body) {
                outcomes.push(writes);
            }
        }
        self.branch_depth_change(-1);
        env.join(outcomes, fallthrough);
    }

    fn walk_stmt<'a>(&mut self, stmt: &'a Stmt, env: &mut Env<'_>, frame: &mut Frame<'a>) {
        match stmt {
            Stmt::FunctionDef(func) => self.walk_function_def(func, env, frame),
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_expr(&decorator.expression, env);
                }
                if let Some(arguments) = &class.arguments {
                    for base in arguments.args.iter() {
                        self.visit_expr(base, env);
                    }
                }
                let name = class.name.as_str();
                if frame.kind == ScopeKind::Module {
                    env.bind(name, Binding::Qualified(frame.qualify(name)));
                    frame.deferred.push(Deferred::Class(class));
                } else {
                    self.walk_class(class, env.clone(), &frame.qualify(name));
                    env.bind(name, Binding::Unknown);
                }
            }
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    self.record_evaluated(value);
                    self.record_function_values(value, env);
                    self.visit_expr(value, env);
                    frame.returns.push(self.evaluator().eval(value, env, 0));
                    frame.return_keys.push(key_template(value, env, 0));
                }
            }
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value, env);
                self.record_function_values(&assign.value, env);
                if let [Expr::Name(target)] = assign.targets.as_slice() {
                    let owner = self.calls_enclosing_parameter(&assign.value);
                    if let Some(activity) = self.activities.last_mut() {
                        // `result = list(result)` makes it something else.
                        activity
                            .wrapped_results
                            .retain(|(local, _)| local != target.id.as_str());
                        if let Some(owner) = owner {
                            activity
                                .wrapped_results
                                .push((target.id.to_string(), owner));
                        }
                    }
                }
                if frame.kind == ScopeKind::Module {
                    self.record_settings(&assign.targets, &assign.value, env);
                    if let Some(settings) = rest_framework(&assign.targets, &assign.value, env) {
                        self.facts.rest_framework = Some(settings);
                    }
                    self.record_middleware(&assign.targets, &assign.value);
                    let urlconf = self.views().root_urlconf(&assign.targets, &assign.value);
                    if let Some(urlconf) = urlconf {
                        self.facts.root_urlconf = Some(urlconf);
                    }
                    for target in &assign.targets {
                        self.inspect_templates_change(target);
                    }
                    self.record_paths(&assign.targets, &assign.value, env);
                    let alias = wrapper_alias(&assign.targets, &assign.value, env);
                    self.module_wrappers.extend(alias);
                    self.record_key_constant(&assign.targets, &assign.value, env, frame);
                    self.record_cache_object_class(&assign.targets, &assign.value, env, frame);
                }
                let binding = self.value_binding(&assign.value, env);
                if let (ScopeKind::Module, Binding::DjangoCache(alias), [Expr::Name(name)]) =
                    (frame.kind, &binding, assign.targets.as_slice())
                {
                    let qualified = frame.qualify(name.id.as_str());
                    self.facts.module_caches.push((qualified, alias.clone()));
                }
                // Only a QuerySet held in a local matters: queries on it may be shared.
                let holds_query = binding.value_shape().is_some_and(Shape::is_query);
                if frame.kind == ScopeKind::Function && holds_query {
                    self.record_shared_local(&assign.targets, &assign.value, env);
                }
                for target in &assign.targets {
                    self.view_body_mut(|body| {
                        inspect_header_assignment(target, &assign.value, body)
                    });
                    self.visit_expr(target, env);
                    bind_target(target, binding.clone(), env);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.visit_expr(value, env);
                    let targets = std::slice::from_ref(assign.target.as_ref());
                    if frame.kind == ScopeKind::Module {
                        self.record_settings(targets, value, env);
                        self.record_key_constant(targets, value, env, frame);
                    }
                    let binding = self.value_binding(value, env);
                    bind_target(&assign.target, binding, env);
                }
            }
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value, env);
                if frame.kind == ScopeKind::Module {
                    self.record_middleware(std::slice::from_ref(&assign.target), &assign.value);
                    self.inspect_templates_change(&assign.target);
                }
                bind_target(&assign.target, Binding::Unknown, env);
            }
            Stmt::For(stmt_for) => {
                self.visit_expr(&stmt_for.iter, env);
                bind_target(&stmt_for.target, Binding::Unknown, env);
                let mut varying = Vec::new();
                bound_names(&stmt_for.target, &mut varying);
                varying.extend(assigned_names(&stmt_for.body));
                let varying = varying.into_iter().map(str::to_string).collect();
                let mut shared_targets = Vec::new();
                if self.shared_values().is_shared(&stmt_for.iter, env) {
                    bound_names(&stmt_for.target, &mut shared_targets);
                }
                let shared_before = self
                    .activities
                    .last()
                    .map_or(0, |activity| activity.shared_loop_targets.len());
                const FEW_ITEMS: usize = 8;
                let few_fixed_items = match stmt_for.iter.as_ref() {
                    Expr::List(list) => list.elts.len() <= FEW_ITEMS,
                    Expr::Tuple(tuple) => tuple.elts.len() <= FEW_ITEMS,
                    Expr::Set(set) => set.elts.len() <= FEW_ITEMS,
                    _ => false,
                };
                let line = self.locator.span(stmt_for).line;
                if let Some(activity) = self.activities.last_mut() {
                    activity.loops.push(LoopFrame {
                        line,
                        few_fixed_items,
                        with_depth: 0,
                    });
                    activity.loop_names.push(varying);
                    activity
                        .shared_loop_targets
                        .extend(shared_targets.into_iter().map(str::to_string));
                }
                self.walk_alternatives(&[&stmt_for.body], true, env, frame);
                if let Some(activity) = self.activities.last_mut() {
                    activity.loops.pop();
                    activity.loop_names.pop();
                    activity.shared_loop_targets.truncate(shared_before);
                }
                self.walk_body(&stmt_for.orelse, env, frame);
            }
            Stmt::While(stmt_while) => {
                self.record_tested(&stmt_while.test);
                self.visit_expr(&stmt_while.test, env);
                self.walk_alternatives(&[&stmt_while.body], true, env, frame);
                self.walk_body(&stmt_while.orelse, env, frame);
            }
            Stmt::If(stmt_if) => {
                self.record_tested(&stmt_if.test);
                self.visit_expr(&stmt_if.test, env);
                let mut bodies: Vec<&[Stmt]> = vec![&stmt_if.body];
                let mut has_else = false;
                for clause in &stmt_if.elif_else_clauses {
                    match &clause.test {
                        Some(test) => {
                            self.record_tested(test);
                            self.visit_expr(test, env)
                        }
                        None => has_else = true,
                    }
                    bodies.push(&clause.body);
                }
                self.walk_alternatives(&bodies, !has_else, env, frame);
            }
            Stmt::With(with) => {
                for item in &with.items {
                    self.visit_expr(&item.context_expr, env);
                    if let Some(target) = &item.optional_vars {
                        let binding = match self.evaluator().eval(&item.context_expr, env, 0) {
                            shape @ Shape::Unpicklable {
                                what: Unpicklable::OpenFile,
                                ..
                            } => Binding::value(shape),
                            _ => Binding::Unknown,
                        };
                        bind_target(target, binding, env);
                    }
                }
                let atomic = with.items.iter().any(|item| {
                    let func = match &item.context_expr {
                        Expr::Call(call) => call.func.as_ref(),
                        other => other,
                    };
                    qualified_name(func, env).as_deref() == Some("django.db.transaction.atomic")
                });
                let depth = usize::from(atomic);
                let change = |activity: &mut Activity, by: isize| {
                    activity.atomic_depth = activity
                        .atomic_depth
                        .saturating_add_signed(by * depth as isize);
                    if let Some(innermost) = activity.loops.last_mut() {
                        innermost.with_depth = innermost.with_depth.saturating_add_signed(by);
                    }
                };
                if let Some(activity) = self.activities.last_mut() {
                    change(activity, 1);
                }
                self.walk_body(&with.body, env, frame);
                if let Some(activity) = self.activities.last_mut() {
                    change(activity, -1);
                }
            }
            Stmt::Match(stmt_match) => {
                self.visit_expr(&stmt_match.subject, env);
                let bodies: Vec<&[Stmt]> = stmt_match.cases.iter().map(|c| &c.body[..]).collect();
                self.walk_alternatives(&bodies, true, env, frame);
            }
            Stmt::Try(stmt_try) => {
                let mut outcomes = Vec::new();
                env.push_scope();
                self.walk_body(&stmt_try.body, env, frame);
                self.walk_body(&stmt_try.orelse, env, frame);
                let completed = env.pop_scope();
                if !terminates(&stmt_try.body) && !terminates(&stmt_try.orelse) {
                    outcomes.push(completed);
                }
                for handler in &stmt_try.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    env.push_scope();
                    if let Some(name) = &handler.name {
                        env.bind(name.as_str(), Binding::Unknown);
                    }
                    self.walk_body(&handler.body, env, frame);
                    let caught = env.pop_scope();
                    if !terminates(&handler.body) {
                        outcomes.push(caught);
                    }
                }
                env.join(outcomes, false);
                self.walk_body(&stmt_try.finalbody, env, frame);
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let dotted = alias.name.as_str();
                    self.facts.imports_django |= is_django_module(dotted);
                    match &alias.asname {
                        Some(asname) => {
                            env.bind(asname.as_str(), Binding::Qualified(dotted.to_string()))
                        }
                        None => {
                            let top = dotted.split('.').next().unwrap_or(dotted);
                            env.bind(top, Binding::Qualified(top.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let Some(module) = self.resolve_import_module(import) else {
                    return;
                };
                self.facts.imports_django |= is_django_module(&module);
                for alias in &import.names {
                    let name = alias.name.as_str();
                    if name == "*" {
                        continue;
                    }
                    let bound = alias.asname.as_ref().map_or(name, |a| a.as_str());
                    let qualified = if module.is_empty() {
                        name.to_string()
                    } else {
                        format!("{module}.{name}")
                    };
                    env.bind(bound, Binding::Qualified(qualified));
                }
            }
            Stmt::Expr(expr) => self.visit_expr(&expr.value, env),
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    self.visit_expr(target, env);
                }
            }
            Stmt::Raise(raise) => {
                for expr in raise.exc.iter().chain(raise.cause.iter()) {
                    self.visit_expr(expr, env);
                }
            }
            Stmt::Assert(assert) => {
                self.visit_expr(&assert.test, env);
                if let Some(msg) = &assert.msg {
                    self.visit_expr(msg, env);
                }
            }
            Stmt::TypeAlias(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    fn walk_function_def<'a>(
        &mut self,
        func: &'a ast::StmtFunctionDef,
        env: &mut Env<'_>,
        frame: &mut Frame<'a>,
    ) {
        for decorator in &func.decorator_list {
            self.visit_expr(&decorator.expression, env);
        }
        for param in func.parameters.iter_non_variadic_params() {
            if let Some(default) = param.default() {
                self.visit_expr(default, env);
            }
        }
        let name = func.name.as_str();
        let qualified = frame.qualify(name);
        for decorator in &func.decorator_list {
            self.record_receiver_decorator(decorator, &qualified, env);
            self.record_project_decorator(decorator, &qualified, env);
        }
        match frame.kind {
            ScopeKind::Module => {
                env.bind(name, Binding::Qualified(qualified));
                frame.deferred.push(Deferred::Function(func));
            }
            ScopeKind::Class => {
                // A method sees the enclosing scopes, not its class body's names.
                let outcome = self.walk_function(func, env.without_innermost(), &qualified);
                // What a manager's method returns decides what `Post.objects.method()` is.
                if self.in_manager_class() && outcome.returns.is_interesting() {
                    self.facts.functions.push(FunctionSummary {
                        qualified_name: qualified,
                        is_async: func.is_async,
                        returns: outcome.returns,
                        returns_key: outcome.returns_key,
                    });
                }
            }
            ScopeKind::Function => {
                let outcome = self.walk_function(func, env.clone(), &qualified);
                env.bind(name, Binding::local_function(name, outcome.returns));
            }
        }
    }

    fn walk_function(
        &mut self,
        func: &ast::StmtFunctionDef,
        enclosing: Env<'_>,
        qualified: &str,
    ) -> FunctionOutcome {
        let mut env = enclosing.nested();
        // Names assigned anywhere in the body are local from its first line on: they
        // shadow the module's (and closures see them), whatever runs first.
        let mut assigned = assignments(&func.body);
        assigned.sort_unstable();
        // A walrus or a `match` capture rebinds names the statements above do not count.
        let text = self.locator.text(func);
        let assigned_once = if text.contains(":=") || text.contains("match ") {
            Vec::new()
        } else {
            bound_once(&assigned)
        };
        assigned.dedup();
        // A walrus, a `match` capture or a nested `nonlocal` may rebind any of them.
        let rebinds_unseen =
            text.contains(":=") || text.contains("match ") || text.contains("nonlocal");
        // A project decorator may change what its callers' arguments become
        // (`kwargs.setdefault("timeout", 300)`): its parameters are not followed.
        let wrapped = func.decorator_list.iter().any(|decorator| {
            let callee = match &decorator.expression {
                Expr::Call(call) => call.func.as_ref(),
                other => other,
            };
            qualified_name(callee, &env).is_some_and(|q| env.is_project_name(&q))
        });
        let parameters = if wrapped {
            Vec::new()
        } else {
            self.parameters(func, &env, |name| {
                rebinds_unseen || assigned.contains(&name)
            })
        };
        for name in assigned {
            env.bind(name, Binding::Unknown);
        }
        let in_manager = self.in_manager_class() && self.activities.is_empty();
        for (position, param) in func.parameters.iter().enumerate() {
            let name = param.name().as_str();
            let binding = if name == "request" && is_request_annotation(param.annotation()) {
                Binding::Request
            } else if position == 0 && name == "self" && in_manager {
                // `self.filter(...)`, `self.all()` in a manager or QuerySet method.
                Binding::value(Shape::Manager(ManagerOrigin::Unknown))
            } else {
                Binding::Unknown
            };
            env.bind(name, binding);
        }
        self.activities.push(Activity {
            qualified_name: qualified.to_string(),
            touches_cache: false,
            calls: Vec::new(),
            unknown_methods: Vec::new(),
            watched_fields: Vec::new(),
            parameters,
            parameter_cache_calls: Vec::new(),
            forwards_parameters: false,
            wrapped_results: Vec::new(),
            tested_names: Vec::new(),
            type_tested: Vec::new(),
            memoises: None,
            dispatches_on: Vec::new(),
            bulk_writes: Vec::new(),
            view: ViewBody::default(),
            branch_depth: 0,
            is_async: func.is_async,
            loop_names: Vec::new(),
            shared_loop_targets: Vec::new(),
            query_arguments: Vec::new(),
            evaluated: Vec::new(),
            atomic_depth: 0,
            assigned_once,
            shared_locals: Vec::new(),
            loops: Vec::new(),
        });
        let mut frame = Frame::new(ScopeKind::Function, qualified.to_string());
        self.walk_body(&func.body, &mut env, &mut frame);
        if let Some(mut activity) = self.activities.pop() {
            // Only a function that mentions `update_fields` can look at which fields a save
            // changed: the others are not walked again.
            if self.mentions_update_fields && self.locator.text(func).contains("update_fields") {
                let mut watched = WatchedFields::default();
                watched.visit_body(&func.body);
                activity.watched_fields = watched.fields;
            }
            let body = std::mem::take(&mut activity.view);
            self.finish_activity(activity);
            self.record_view_function(func, &enclosing, qualified, body);
        }
        let returns_key = match frame.return_keys.split_first() {
            Some((Some(first), rest)) if rest.iter().all(|k| k.as_ref() == Some(first)) => {
                Some(first.clone())
            }
            _ => None,
        };
        FunctionOutcome {
            returns: Shape::one_of(frame.returns),
            returns_key,
        }
    }

    /// A decorator that is a project function, or a call of one, on the function
    /// `decorated`.
    fn record_project_decorator(
        &mut self,
        decorator: &ast::Decorator,
        decorated: &str,
        env: &Env<'_>,
    ) {
        if self.in_tests {
            return;
        }
        let (callee, arguments) = match &decorator.expression {
            Expr::Call(call) => (
                call.func.as_ref(),
                Some(call.arguments.args.len() + call.arguments.keywords.len()),
            ),
            other => (other, None),
        };
        let Some(name) = qualified_name(callee, env).filter(|q| env.is_project_name(q)) else {
            return;
        };
        self.facts.decorated.push(super::Decorated {
            function: decorated.to_string(),
            decorator: name,
            text: format!("@{}", self.locator.snippet(&decorator.expression)),
            arguments,
            span: self.locator.span(&decorator.expression),
        });
    }

    /// A function's parameters, positional ones first, each with whether `rebound` says
    /// the body may rebind it; none for a function taking `self` or `cls`, whose callers'
    /// positions are shifted.
    fn parameters(
        &self,
        func: &ast::StmtFunctionDef,
        env: &Env<'_>,
        rebound: impl Fn(&str) -> bool,
    ) -> Vec<(Parameter, bool)> {
        let parameters = &func.parameters;
        let positional_only = parameters.posonlyargs.len();
        let positional = parameters.posonlyargs.iter().chain(&parameters.args);
        if positional
            .clone()
            .next()
            .is_some_and(|first| matches!(first.parameter.name.as_str(), "self" | "cls"))
        {
            return Vec::new();
        }
        let positions = (0..).map(Some);
        positional
            .zip(positions)
            .chain(parameters.kwonlyargs.iter().zip(std::iter::repeat(None)))
            .map(|(p, position)| {
                let name = p.parameter.name.as_str();
                let default = p.default.as_deref().map(|default| {
                    let django_default = qualified_name(default, env).as_deref()
                        == Some("django.core.cache.backends.base.DEFAULT_TIMEOUT");
                    if django_default {
                        Timeout::Missing
                    } else {
                        Timeout::Given {
                            value: constant(default, env, 0),
                            text: self.locator.snippet(default),
                            span: self.locator.span(default),
                        }
                    }
                });
                let parameter = Parameter {
                    name: name.to_string(),
                    position,
                    by_keyword: position.is_none_or(|position| position >= positional_only),
                    default,
                };
                (parameter, rebound(name))
            })
            .collect()
    }

    fn record_view_function(
        &mut self,
        func: &ast::StmtFunctionDef,
        enclosing: &Env<'_>,
        qualified: &str,
        body: ViewBody,
    ) {
        let mut decorators = Vec::new();
        let mut unknown_decorators = Vec::new();
        for decorator in &func.decorator_list {
            let decoration = self.views().decoration(&decorator.expression, enclosing);
            decorators.extend(decoration.wrappers);
            unknown_decorators.extend(decoration.unknown);
        }
        let drf = drf_decorator_policy(&func.decorator_list, enclosing);
        if decorators.is_empty() && body.is_empty() && drf == Default::default() {
            return;
        }
        self.facts.view_functions.push(ViewFunction {
            qualified_name: qualified.to_string(),
            span: self.locator.span(&func.name),
            decorators,
            drf,
            unknown_decorators,
            first_parameter: func
                .parameters
                .iter_non_variadic_params()
                .next()
                .map(|param| param.name().to_string()),
            body,
        });
    }

    /// Records what the function did, and for each bulk write in it, whether the function
    /// touches the cache and what it calls.
    fn finish_activity(&mut self, activity: Activity) {
        let mut calls = activity.calls;
        calls.sort();
        calls.dedup();
        if !activity.bulk_writes.is_empty() {
            let mut function_calls = calls.clone();
            function_calls.extend(activity.unknown_methods);
            function_calls.sort();
            function_calls.dedup();
            for index in &activity.bulk_writes {
                let write = &mut self.facts.bulk_writes[*index];
                write.cache_touched_in_function = activity.touches_cache;
                write.function_calls = function_calls.clone();
            }
        }
        let touches_cache = activity.touches_cache;
        let caches_parameters =
            !activity.parameter_cache_calls.is_empty() || activity.forwards_parameters;
        if touches_cache || !calls.is_empty() || caches_parameters || activity.memoises.is_some() {
            let parameters = if caches_parameters {
                activity.parameters.into_iter().map(|(p, _)| p).collect()
            } else {
                Vec::new()
            };
            self.facts.function_facts.push(FunctionFact {
                qualified_name: activity.qualified_name,
                touches_cache,
                calls,
                watched_fields: activity.watched_fields,
                dispatches_on: activity.dispatches_on,
                parameter_cache_calls: activity.parameter_cache_calls,
                parameters,
                memoises: activity.memoises,
            });
        }
    }

    fn walk_class(
        &mut self,
        class: &ast::StmtClassDef,
        enclosing: Env<'_>,
        qualified: &str,
    ) -> ClassFact {
        let mut env = enclosing.nested();
        let mut fact = ClassFact {
            qualified_name: qualified.to_string(),
            name: class.name.to_string(),
            span: self.locator.span(&class.name),
            bases: class
                .arguments
                .iter()
                .flat_map(|arguments| arguments.args.iter())
                .filter_map(|base| {
                    qualified_name(base, &env)
                        .filter(|q| !q.starts_with("builtins."))
                        .or_else(|| last_segment(base).map(str::to_string))
                })
                .collect(),
            is_abstract: false,
            has_model_fields: false,
            relations: Vec::new(),
            managers: Vec::new(),
            manager_classes: Vec::new(),
            overrides: Vec::new(),
            cache_methods: Vec::new(),
            has_permission_allows_safe_methods: None,
            view: ClassView::default(),
        };
        for decorator in &class.decorator_list {
            let decoration = self.views().decoration(&decorator.expression, &env);
            fact.view.unknown_decorators.extend(decoration.unknown);
            if let Some(method) = decoration.method {
                fact.view
                    .method_decorators
                    .extend(decoration.wrappers.into_iter().map(|w| (method.clone(), w)));
            }
        }
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        self.record_field(target, &assign.value, &env, &mut fact);
                        record_view_attribute(target, &assign.value, &env, &mut fact.view);
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Some(value) = &assign.value {
                        self.record_field(&assign.target, value, &env, &mut fact);
                        record_view_attribute(&assign.target, value, &env, &mut fact.view);
                    }
                }
                Stmt::FunctionDef(func) if matches!(func.name.as_str(), "save" | "delete") => {
                    fact.overrides.push((
                        format!("{qualified}.{}", func.name),
                        self.locator.span(&func.name),
                    ));
                    if func.name.as_str() == "delete" {
                        fact.cache_methods.push(cache_method(func));
                    }
                }
                Stmt::FunctionDef(func) if CacheOp::from_method(func.name.as_str()).is_some() => {
                    fact.cache_methods.push(cache_method(func));
                }
                Stmt::FunctionDef(func) if func.name.as_str() == "has_permission" => {
                    fact.has_permission_allows_safe_methods = Some(allows_safe_methods(func));
                }
                Stmt::ClassDef(meta) if meta.name.as_str() == "Meta" => {
                    fact.is_abstract = declares_abstract(meta);
                }
                _ => {}
            }
        }
        let role = if fact.has_model_fields
            || fact
                .bases
                .iter()
                .any(|base| base.ends_with("Model") || base.ends_with("Mixin"))
        {
            ClassRole::Model
        } else if fact.bases.iter().any(|base| {
            let django = base.starts_with("django.db.models.")
                && (base.ends_with("Manager") || base.ends_with("QuerySet"));
            django || self.managers_here.contains(base)
        }) {
            self.managers_here.push(qualified.to_string());
            ClassRole::Manager
        } else {
            ClassRole::Other
        };
        let caches = self.class_caches(class, &env);
        self.classes.push(ClassScope {
            name: qualified.to_string(),
            role,
            caches,
        });
        let mut frame = Frame::new(ScopeKind::Class, qualified.to_string());
        self.walk_body(&class.body, &mut env, &mut frame);
        self.classes.pop();
        fact
    }

    /// Where a class holds a Django cache for its methods: a class attribute
    /// (`backend = caches["renditions"]`), an attribute `__init__` sets (`self.cache =
    /// caches[alias]`), or a property, `cached_property` or `classproperty` returning one.
    fn class_caches(
        &self,
        class: &ast::StmtClassDef,
        env: &Env<'_>,
    ) -> Vec<(String, Option<String>)> {
        let mut caches = Vec::new();
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(assign) => {
                    if let ([Expr::Name(name)], Some(alias)) = (
                        assign.targets.as_slice(),
                        self.django_cache(&assign.value, env),
                    ) {
                        caches.push((name.id.to_string(), alias));
                    }
                }
                Stmt::FunctionDef(func) if func.name.as_str() == "__init__" => {
                    for stmt in &func.body {
                        let Stmt::Assign(assign) = stmt else { continue };
                        let [Expr::Attribute(target)] = assign.targets.as_slice() else {
                            continue;
                        };
                        let on_self = matches!(target.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self");
                        if let (true, Some(alias)) =
                            (on_self, self.django_cache(&assign.value, env))
                        {
                            caches.push((target.attr.to_string(), alias));
                        }
                    }
                }
                Stmt::FunctionDef(func) if is_property(func) => {
                    if let Some(alias) = self.returned_cache(&func.body, env) {
                        caches.push((func.name.to_string(), alias));
                    }
                }
                _ => {}
            }
        }
        caches
    }

    /// The cache a function body returns, when every `return` gives one (`try: return
    /// caches["renditions"] except ...: return caches["default"]`): its alias if they all
    /// agree, else an unknown alias.
    fn returned_cache(&self, body: &[Stmt], env: &Env<'_>) -> Option<Option<String>> {
        let mut returned = Vec::new();
        returns(body, &mut returned);
        let aliases: Vec<Option<String>> = returned
            .iter()
            .map(|value| self.django_cache(value, env))
            .collect::<Option<_>>()?;
        let first = aliases.first()?.clone();
        Some(first.filter(|_| aliases.iter().all(|alias| *alias == aliases[0])))
    }

    /// A class-level `name = models.ForeignKey(...)`, `ManyToManyField(...)` or manager.
    fn record_field(&self, target: &Expr, value: &Expr, env: &Env<'_>, fact: &mut ClassFact) {
        let (Expr::Name(field), Expr::Call(call)) = (target, value) else {
            return;
        };
        let field = field.id.to_string();
        fact.has_model_fields |= qualified_name(&call.func, env)
            .is_some_and(|q| q.starts_with("django.db.models.") && q.ends_with("Field"));
        let Some(kind) = relation_kind(call) else {
            if declares_manager(call) {
                if let Some(class) = manager_class(call, env) {
                    fact.manager_classes.push((field.clone(), class));
                }
                fact.managers.push(field);
            }
            return;
        };
        let target_model = argument(call, 0, "to").and_then(|to| match to {
            Expr::StringLiteral(s) if s.value.to_str() == "self" => {
                Some(ModelRef::Class(fact.qualified_name.clone()))
            }
            other => model_ref(other, env),
        });
        let related_name = match keyword(call, "related_name") {
            Some(Expr::StringLiteral(name)) => Some(name.value.to_str().to_string())
                .filter(|n| !n.is_empty() && !n.ends_with('+') && !n.contains("%(")),
            _ => None,
        };
        fact.has_model_fields = true;
        fact.relations.push(RelationFact {
            field,
            kind,
            target: target_model,
            related_name,
        });
    }

    fn resolve_import_module(&self, import: &ast::StmtImportFrom) -> Option<String> {
        let module = import.module.as_ref().map(|m| m.as_str());
        if import.level == 0 {
            return module.map(str::to_string);
        }
        let keep = self.package.len().checked_sub(import.level as usize - 1)?;
        let mut parts: Vec<&str> = self.package[..keep].iter().map(String::as_str).collect();
        parts.extend(module);
        Some(parts.join("."))
    }

    fn value_binding(&mut self, value: &Expr, env: &Env<'_>) -> Binding {
        if let Some(alias) = self.django_cache(value, env) {
            return Binding::DjangoCache(alias);
        }
        if matches!(value, Expr::Name(_) | Expr::Attribute(_)) {
            if let Some(qualified) = qualified_name(value, env) {
                if !qualified.starts_with("builtins.") {
                    return Binding::Qualified(qualified);
                }
            }
        }
        Binding::value(self.evaluator().eval(value, env, 0))
    }

    /// `BASE_DIR = Path(__file__)...` and `TEMPLATES = [{"DIRS": [...]}]`.
    fn record_paths(&mut self, targets: &[Expr], value: &Expr, env: &Env<'_>) {
        let [Expr::Name(name)] = targets else { return };
        if name.id.as_str() == "TEMPLATES" {
            let dirs = template_dirs(value, env, &self.module_paths);
            self.facts.template_dirs.extend(dirs);
            let found = self.views().context_processors(value);
            self.facts.context_processors.extend(found.entries);
            if self.facts.context_processors_unread.is_none() {
                self.facts.context_processors_unread = found.unread;
            }
        } else if let Some(path) = relative_path(value, env, &self.module_paths) {
            self.module_paths.push((name.id.to_string(), path));
        }
    }

    /// `MIDDLEWARE = [...]` (or `+=`) at module level.
    fn record_middleware(&mut self, targets: &[Expr], value: &Expr) {
        if let Some((list, found)) = self.views().middleware_setting(targets, value) {
            self.facts.middleware_lists.push(list);
            self.record_middleware_entries(found);
        }
    }

    fn record_middleware_entries(&mut self, found: SettingEntries) {
        self.facts.middleware.extend(found.entries);
        if self.facts.middleware_unread.is_none() {
            self.facts.middleware_unread = found.unread;
        }
    }

    /// A change to `TEMPLATES` the walk cannot follow: the context processors are unread.
    fn inspect_templates_change(&mut self, target: &Expr) {
        if changes_templates(target) && self.facts.context_processors_unread.is_none() {
            self.facts.context_processors_unread = Some(self.views().evidence(target));
        }
    }

    fn record_settings(&mut self, targets: &[Expr], value: &Expr, env: &Env<'_>) {
        let is_caches = targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "CACHES"));
        let Expr::Dict(dict) = value else { return };
        if !is_caches {
            return;
        }
        let settings = cache_settings(
            dict,
            &|e| self.locator.span(e).line,
            &|e| self.locator.snippet(e),
            &|e| constant(e, env, 0),
        );
        self.facts.cache_settings.extend(settings);
    }

    /// `redis_cache = RedisCache()` at module level, when the configuration names
    /// `redis_cache` in `cache-objects`: its class, whose signature says what its
    /// arguments are.
    fn record_cache_object_class(
        &mut self,
        targets: &[Expr],
        value: &Expr,
        env: &Env<'_>,
        frame: &Frame<'_>,
    ) {
        let ([Expr::Name(name)], Expr::Call(call)) = (targets, value) else {
            return;
        };
        let object = frame.qualify(name.id.as_str());
        if !env.is_cache_object(&object) {
            return;
        }
        if let Some(class) = qualified_name(&call.func, env) {
            self.facts.cache_object_classes.push((object, class));
        }
    }

    /// `POPULAR_KEY = "blog:popular"`: a key other modules may import.
    fn record_key_constant(
        &mut self,
        targets: &[Expr],
        value: &Expr,
        env: &Env<'_>,
        frame: &Frame<'_>,
    ) {
        if !matches!(
            value,
            Expr::StringLiteral(_) | Expr::FString(_) | Expr::BinOp(_)
        ) {
            return;
        }
        let [Expr::Name(name)] = targets else { return };
        if let Some(template) = key_template(value, env, 0) {
            let qualified = frame.qualify(name.id.as_str());
            if env.is_project_name(&qualified) {
                self.facts.key_constants.push((qualified, template));
            }
        }
    }

    /// Inspects every call inside `expr`, then binds its walrus targets.
    pub(super) fn visit_expr(&mut self, expr: &Expr, env: &mut Env<'_>) {
        let mut finder = CallFinder::default();
        finder.visit_expr(expr);
        for found in finder.calls {
            // `lambda cache: cache.set(...)`: that `cache` is the parameter.
            if root_name(&found.call.func).is_some_and(|root| found.shadowed.contains(&root)) {
                continue;
            }
            self.call_site = CallSite {
                in_lambda: found.in_lambda,
                in_generator: found.in_generator,
                comprehension_names: found.comprehension_names,
            };
            self.inspect_call(found.call, env);
        }
        self.call_site = CallSite::default();
        for attribute in finder.request_attributes {
            self.update_view_body(|walk, body| {
                walk.views().inspect_per_user_read(attribute, env, body)
            });
        }
        for test in finder.sender_tests {
            if let Some(models) = test.comparators.first() {
                self.record_dispatch(models, env);
            }
        }
        for named in finder.walrus {
            let binding = self.value_binding(&named.value, env);
            bind_target(&named.target, binding, env);
        }
    }
}

struct FoundCall<'a> {
    call: &'a ast::ExprCall,
    /// Names the lambdas and comprehensions around it rebind.
    shadowed: Vec<&'a str>,
    in_lambda: bool,
    in_generator: bool,
    comprehension_names: Vec<String>,
}

/// The calls in an expression, each with the names the lambdas and comprehensions around
/// it rebind, and the walrus assignments outside those.
#[derive(Default)]
struct CallFinder<'a> {
    calls: Vec<FoundCall<'a>>,
    lambda_depth: usize,
    generator_depth: usize,
    /// Names bound by the comprehensions around the expression being visited.
    comprehension_names: Vec<&'a str>,
    walrus: Vec<&'a ast::ExprNamed>,
    /// `x.user`, `x.session`, ...: reads of per-user state when `x` is the request.
    request_attributes: Vec<&'a ast::ExprAttribute>,
    /// `sender is Post`, `sender in (Post, Page)`: a receiver choosing its models.
    sender_tests: Vec<&'a ast::ExprCompare>,
    shadowed: Vec<&'a str>,
}

/// `x.user`, `request.anything`, `self.request.anything`: an attribute that may be read
/// from the request (the caller checks that `x` is it).
fn may_read_request(attribute: &ast::ExprAttribute) -> bool {
    is_request_attribute(attribute.attr.as_str())
        || match attribute.value.as_ref() {
            Expr::Name(name) => name.id.as_str() == "request",
            Expr::Attribute(inner) => inner.attr.as_str() == "request",
            _ => false,
        }
}

/// `sender is X`, `sender == X`, `sender in (X, Y)`.
fn is_sender_test(compare: &ast::ExprCompare) -> bool {
    matches!(compare.left.as_ref(), Expr::Name(name) if name.id.as_str() == "sender")
        && matches!(
            compare.ops.first(),
            Some(ast::CmpOp::Is | ast::CmpOp::Eq | ast::CmpOp::In)
        )
}

impl<'a> Visitor<'a> for CallFinder<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        let scope_start = self.shadowed.len();
        let comprehension_start = self.comprehension_names.len();
        let mut in_lambda = false;
        let in_generator = expr.is_generator_expr();
        match expr {
            Expr::Call(call) => self.calls.push(FoundCall {
                call,
                shadowed: self.shadowed.clone(),
                in_lambda: self.lambda_depth > 0,
                in_generator: self.generator_depth > 0,
                comprehension_names: self
                    .comprehension_names
                    .iter()
                    .map(|name| name.to_string())
                    .collect(),
            }),
            Expr::Named(named) if self.shadowed.is_empty() => self.walrus.push(named),
            Expr::Compare(compare) if is_sender_test(compare) => self.sender_tests.push(compare),
            Expr::Attribute(attribute) if may_read_request(attribute) => {
                self.request_attributes.push(attribute)
            }
            Expr::Lambda(lambda) => {
                in_lambda = true;
                if let Some(parameters) = &lambda.parameters {
                    self.shadowed
                        .extend(parameters.iter().map(|p| p.name().as_str()));
                }
            }
            Expr::ListComp(ast::ExprListComp { generators, .. })
            | Expr::SetComp(ast::ExprSetComp { generators, .. })
            | Expr::DictComp(ast::ExprDictComp { generators, .. })
            | Expr::Generator(ast::ExprGenerator { generators, .. }) => {
                for generator in generators {
                    bound_names(&generator.target, &mut self.shadowed);
                    bound_names(&generator.target, &mut self.comprehension_names);
                }
            }
            _ => {}
        }
        self.lambda_depth += usize::from(in_lambda);
        self.generator_depth += usize::from(in_generator);
        visitor::walk_expr(self, expr);
        self.lambda_depth -= usize::from(in_lambda);
        self.generator_depth -= usize::from(in_generator);
        self.shadowed.truncate(scope_start);
        self.comprehension_names.truncate(comprehension_start);
    }
}

/// Every name an expression reads.
/// String literals tested for membership in `update_fields`: `"title" in update_fields`,
/// `"title" in kwargs["update_fields"]`, `"title" in (update_fields or [])`.
#[derive(Default)]
struct WatchedFields {
    fields: Vec<String>,
}

impl<'a> Visitor<'a> for WatchedFields {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Compare(compare) = expr {
            if compare.ops.first() == Some(&ast::CmpOp::In)
                && compare
                    .comparators
                    .first()
                    .is_some_and(mentions_update_fields)
            {
                if let Expr::StringLiteral(field) = compare.left.as_ref() {
                    self.fields.push(field.value.to_str().to_string());
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// `update_fields`, `kwargs["update_fields"]`, `kwargs.get("update_fields")`, or an
/// expression using one of them (`set(update_fields or [])`).
fn mentions_update_fields(expr: &Expr) -> bool {
    let is_key =
        |e: &Expr| matches!(e, Expr::StringLiteral(k) if k.value.to_str() == "update_fields");
    match expr {
        Expr::Subscript(subscript) if is_key(&subscript.slice) => true,
        Expr::Call(call) if call.arguments.args.first().is_some_and(is_key) => true,
        _ => {
            let mut names = Vec::new();
            NameCollector { names: &mut names }.visit_expr(expr);
            names.contains(&"update_fields")
        }
    }
}

struct NameCollector<'a, 'n> {
    names: &'n mut Vec<&'a str>,
}

impl<'a> Visitor<'a> for NameCollector<'a, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(name) = expr {
            self.names.push(name.id.as_str());
        }
        visitor::walk_expr(self, expr);
    }
}

fn bound_names<'a>(target: &'a Expr, names: &mut Vec<&'a str>) {
    match target {
        Expr::Name(name) => names.push(name.id.as_str()),
        Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| bound_names(e, names)),
        Expr::List(list) => list.elts.iter().for_each(|e| bound_names(e, names)),
        Expr::Starred(starred) => bound_names(&starred.value, names),
        _ => {}
    }
}

/// A `request` parameter is an `HttpRequest` unless annotated with another type.
fn is_request_annotation(annotation: Option<&Expr>) -> bool {
    // `HttpRequest`, `WSGIRequest`, DRF's `Request`, projects' `AuthenticatedHttpRequest`.
    annotation.is_none_or(|a| last_segment(a).is_some_and(|name| name.ends_with("Request")))
}

/// `django`, `django.db.models`, ...
fn is_django_module(module: &str) -> bool {
    module == "django" || module.starts_with("django.")
}

/// Every binding of a name in a function body, one entry per binding (not counting
/// nested functions' and classes' own bodies), less the names it declares `global` or
/// `nonlocal`.
fn assignments(body: &[Stmt]) -> Vec<&str> {
    fn collect<'a>(body: &'a [Stmt], names: &mut Vec<&'a str>, declared: &mut Vec<&'a str>) {
        for stmt in body {
            match stmt {
                Stmt::Assign(assign) => assign.targets.iter().for_each(|t| bound_names(t, names)),
                Stmt::AnnAssign(assign) if assign.value.is_some() => {
                    bound_names(&assign.target, names)
                }
                Stmt::AugAssign(assign) => bound_names(&assign.target, names),
                Stmt::For(stmt_for) => {
                    bound_names(&stmt_for.target, names);
                    collect(&stmt_for.body, names, declared);
                    collect(&stmt_for.orelse, names, declared);
                }
                Stmt::While(stmt_while) => {
                    collect(&stmt_while.body, names, declared);
                    collect(&stmt_while.orelse, names, declared);
                }
                Stmt::If(stmt_if) => {
                    collect(&stmt_if.body, names, declared);
                    for clause in &stmt_if.elif_else_clauses {
                        collect(&clause.body, names, declared);
                    }
                }
                Stmt::With(with) => {
                    for item in &with.items {
                        if let Some(vars) = &item.optional_vars {
                            bound_names(vars, names);
                        }
                    }
                    collect(&with.body, names, declared);
                }
                Stmt::Match(stmt_match) => {
                    for case in &stmt_match.cases {
                        collect(&case.body, names, declared);
                    }
                }
                Stmt::Try(stmt_try) => {
                    collect(&stmt_try.body, names, declared);
                    for handler in &stmt_try.handlers {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        if let Some(name) = &handler.name {
                            names.push(name.as_str());
                        }
                        collect(&handler.body, names, declared);
                    }
                    collect(&stmt_try.orelse, names, declared);
                    collect(&stmt_try.finalbody, names, declared);
                }
                Stmt::Import(import) => {
                    for alias in &import.names {
                        let bound = alias.asname.as_ref().map_or_else(
                            || alias.name.as_str().split('.').next().unwrap_or_default(),
                            |a| a.as_str(),
                        );
                        names.push(bound);
                    }
                }
                Stmt::ImportFrom(import) => {
                    for alias in &import.names {
                        names.push(
                            alias
                                .asname
                                .as_ref()
                                .map_or(alias.name.as_str(), |a| a.as_str()),
                        );
                    }
                }
                Stmt::FunctionDef(func) => names.push(func.name.as_str()),
                Stmt::ClassDef(class) => names.push(class.name.as_str()),
                Stmt::Global(global) => declared.extend(global.names.iter().map(|n| n.as_str())),
                Stmt::Nonlocal(nonlocal) => {
                    declared.extend(nonlocal.names.iter().map(|n| n.as_str()))
                }
                _ => {}
            }
        }
    }
    let mut names = Vec::new();
    let mut declared = Vec::new();
    collect(body, &mut names, &mut declared);
    names.retain(|name| *name != "*" && !declared.contains(name));
    names
}

/// The names a body binds, each once.
fn assigned_names(body: &[Stmt]) -> Vec<&str> {
    let mut names = assignments(body);
    names.sort_unstable();
    names.dedup();
    names
}

/// The names bound exactly once (one assignment, no loop target, import or `global`)
/// among a body's sorted bindings: at any use after it, the name holds that one value.
/// Sorted, for `binary_search`.
fn bound_once(sorted: &[&str]) -> Vec<String> {
    let mut once = Vec::new();
    for (index, name) in sorted.iter().enumerate() {
        let repeated =
            (index > 0 && sorted[index - 1] == *name) || sorted.get(index + 1) == Some(name);
        if !repeated {
            once.push(name.to_string());
        }
    }
    once
}

/// Every name some function of the module declares `global`.
fn global_declarations(body: &[Stmt]) -> Vec<&str> {
    let mut names = Vec::new();
    let mut pending: Vec<&[Stmt]> = vec![body];
    while let Some(body) = pending.pop() {
        for stmt in body {
            match stmt {
                Stmt::Global(global) => names.extend(global.names.iter().map(|n| n.as_str())),
                Stmt::FunctionDef(func) => pending.push(&func.body),
                Stmt::ClassDef(class) => pending.push(&class.body),
                Stmt::If(stmt_if) => {
                    pending.push(&stmt_if.body);
                    pending.extend(stmt_if.elif_else_clauses.iter().map(|c| &c.body[..]));
                }
                Stmt::For(stmt_for) => pending.push(&stmt_for.body),
                Stmt::While(stmt_while) => pending.push(&stmt_while.body),
                Stmt::With(with) => pending.push(&with.body),
                Stmt::Try(stmt_try) => {
                    pending.push(&stmt_try.body);
                    pending.extend(stmt_try.handlers.iter().map(|h| {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        &h.body[..]
                    }));
                }
                _ => {}
            }
        }
    }
    names
}

/// Whether control never leaves `body` normally: it returns or raises on every path.
fn terminates(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Return(_) | Stmt::Raise(_) => true,
        Stmt::If(stmt_if) => {
            let has_else = stmt_if.elif_else_clauses.iter().any(|c| c.test.is_none());
            has_else
                && terminates(&stmt_if.body)
                && stmt_if
                    .elif_else_clauses
                    .iter()
                    .all(|c| terminates(&c.body))
        }
        Stmt::With(with) => terminates(&with.body),
        Stmt::Try(stmt_try) => {
            terminates(&stmt_try.finalbody)
                || ((terminates(&stmt_try.body) || terminates(&stmt_try.orelse))
                    && stmt_try.handlers.iter().all(|handler| {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        terminates(&handler.body)
                    }))
        }
        _ => false,
    })
}

fn relation_kind(call: &ast::ExprCall) -> Option<RelationKind> {
    Some(match last_segment(&call.func)? {
        "ForeignKey" | "ParentalKey" => RelationKind::ForeignKey,
        "OneToOneField" => RelationKind::OneToOne,
        "ManyToManyField"
        | "ParentalManyToManyField"
        | "GenericRelation"
        | "TaggableManager"
        | "ClusterTaggableManager" => RelationKind::ManyToMany,
        _ => return None,
    })
}

/// `PostManager()`, `PostQuerySet.as_manager()`, `Manager.from_queryset(QS)()`.
fn declares_manager(call: &ast::ExprCall) -> bool {
    match call.func.as_ref() {
        Expr::Call(inner) => last_segment(&inner.func) == Some("from_queryset"),
        func => {
            last_segment(func).is_some_and(|name| name.ends_with("Manager") || name == "as_manager")
        }
    }
}

/// `process_cache = SimpleLazyObject(get_cache)` at module level, where the module's
/// `get_cache` returns a cache: the name and the alias (unknown unless every `return`
/// gives the same one).
fn lazy_caches<'m>(
    body: &'m [Stmt],
    extractor: &Extractor<'_>,
    env: &Env<'_>,
) -> Vec<(&'m str, Option<String>)> {
    let mut found = Vec::new();
    for stmt in body {
        let Stmt::Assign(assign) = stmt else { continue };
        let ([Expr::Name(name)], Expr::Call(call)) =
            (assign.targets.as_slice(), assign.value.as_ref())
        else {
            continue;
        };
        if last_segment(&call.func) != Some("SimpleLazyObject") {
            continue;
        }
        let Some(Expr::Name(factory)) = call.arguments.args.first() else {
            continue;
        };
        let function = body.iter().find_map(|stmt| match stmt {
            Stmt::FunctionDef(func) if func.name.as_str() == factory.id.as_str() => Some(func),
            _ => None,
        });
        if let Some(alias) = function.and_then(|func| extractor.returned_cache(&func.body, env)) {
            found.push((name.id.as_str(), alias));
        }
    }
    found
}

/// The values a function body returns, through `if`, `try` and `with` blocks (not nested
/// functions or classes).
fn returns<'a>(body: &'a [Stmt], found: &mut Vec<&'a Expr>) {
    for stmt in body {
        match stmt {
            Stmt::Return(ast::StmtReturn {
                value: Some(value), ..
            }) => found.push(value),
            Stmt::If(branch) => {
                returns(&branch.body, found);
                for clause in &branch.elif_else_clauses {
                    returns(&clause.body, found);
                }
            }
            Stmt::Try(block) => {
                returns(&block.body, found);
                for handler in &block.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    returns(&handler.body, found);
                }
                returns(&block.orelse, found);
                returns(&block.finalbody, found);
            }
            Stmt::With(with) => returns(&with.body, found),
            _ => {}
        }
    }
}

/// `@property`, `@cached_property`, `@functools.cached_property`, `@classproperty`.
fn is_property(func: &ast::StmtFunctionDef) -> bool {
    func.decorator_list.iter().any(|decorator| {
        last_segment(&decorator.expression)
            .is_some_and(|name| matches!(name, "property" | "cached_property" | "classproperty"))
    })
}

/// The class whose methods a manager declaration offers: `PostManager()`,
/// `PostQuerySet.as_manager()`, `Manager.from_queryset(PostQuerySet)()`.
fn manager_class(call: &ast::ExprCall, env: &Env<'_>) -> Option<String> {
    match call.func.as_ref() {
        Expr::Call(inner) => qualified_name(inner.arguments.args.first()?, env),
        Expr::Attribute(method) if method.attr.as_str() == "as_manager" => {
            qualified_name(&method.value, env)
        }
        func => qualified_name(func, env),
    }
}

/// `class Meta: abstract = True`.
fn declares_abstract(meta: &ast::StmtClassDef) -> bool {
    meta.body.iter().any(|stmt| {
        matches!(stmt, Stmt::Assign(assign)
            if matches!(assign.targets.as_slice(), [Expr::Name(n)] if n.id.as_str() == "abstract")
                && matches!(assign.value.as_ref(), Expr::BooleanLiteral(b) if b.value))
    })
}

fn bind_target(target: &Expr, binding: Binding, env: &mut Env<'_>) {
    match target {
        Expr::Name(name) => env.bind(name.id.as_str(), binding),
        Expr::Tuple(tuple) => {
            for element in &tuple.elts {
                bind_target(element, Binding::Unknown, env);
            }
        }
        Expr::List(list) => {
            for element in &list.elts {
                bind_target(element, Binding::Unknown, env);
            }
        }
        Expr::Starred(starred) => bind_target(&starred.value, Binding::Unknown, env),
        _ => {}
    }
}

/// A cache-operation method's signature.
fn cache_method(func: &ast::StmtFunctionDef) -> CacheMethod {
    let parameters = &func.parameters;
    let own_timeout_default = parameters.iter_non_variadic_params().any(|parameter| {
        parameter.parameter.name.as_str() == "timeout"
            && parameter
                .default()
                .is_some_and(|default| last_segment(default) != Some("DEFAULT_TIMEOUT"))
    });
    CacheMethod {
        name: func.name.to_string(),
        parameters: parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .map(|parameter| parameter.parameter.name.to_string())
            .collect(),
        own_timeout_default,
    }
}

/// Whether a DRF `has_permission` lets every safe method through before anything else:
/// `if request.method in SAFE_METHODS: return True`, or `return request.method in
/// SAFE_METHODS or ...`. `cache_page` stores only GET and HEAD, so such a check skips
/// nothing on a cached hit.
fn allows_safe_methods(func: &ast::StmtFunctionDef) -> bool {
    // `SAFE_METHODS`, `permissions.SAFE_METHODS`, or a literal collection holding "GET".
    fn is_safe_methods(names: &Expr) -> bool {
        match names {
            Expr::Name(name) => name.id.as_str() == "SAFE_METHODS",
            Expr::Attribute(attribute) => attribute.attr.as_str() == "SAFE_METHODS",
            Expr::Tuple(ast::ExprTuple { elts, .. })
            | Expr::List(ast::ExprList { elts, .. })
            | Expr::Set(ast::ExprSet { elts, .. }) => elts
                .iter()
                .any(|e| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "GET")),
            _ => false,
        }
    }
    fn is_safe_method_test(expr: &Expr) -> bool {
        match expr {
            Expr::Compare(compare) => {
                compare.ops.first() == Some(&ast::CmpOp::In)
                    && compare.comparators.first().is_some_and(is_safe_methods)
            }
            Expr::BoolOp(bool_op) if bool_op.op == ast::BoolOp::Or => {
                bool_op.values.iter().any(is_safe_method_test)
            }
            _ => false,
        }
    }
    let returns_true = |body: &[Stmt]| {
        matches!(body.first(), Some(Stmt::Return(ast::StmtReturn { value: Some(value), .. }))
            if matches!(value.as_ref(), Expr::BooleanLiteral(b) if b.value))
    };
    func.body.iter().any(|statement| match statement {
        Stmt::If(branch) => is_safe_method_test(&branch.test) && returns_true(&branch.body),
        Stmt::Return(ast::StmtReturn {
            value: Some(value), ..
        }) => is_safe_method_test(value),
        _ => false,
    })
}
