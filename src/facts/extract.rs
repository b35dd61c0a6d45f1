//! The fact extractor: one pass over a module's statements in execution order, tracking
//! what each name holds, and recording every Django cache call with what it stores.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Number, Operator, Stmt, UnaryOp};

use super::keys::KeyTemplate;
use super::scope::{Binding, Env};
use super::settings::cache_settings;
use super::shape::{CallableKind, Constant, ManagerOrigin, Shape, Unpicklable};
use super::span::Locator;
use super::{CacheCall, CacheKey, CacheOp, FileFacts, FunctionSummary, Snippet, StoredValue};
use super::{Timeout, Timeout::Given};

/// Methods that return a new QuerySet (Django's "methods that return new QuerySets").
const QUERYSET_METHODS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "alias",
    "values",
    "values_list",
    "distinct",
    "only",
    "defer",
    "none",
    "union",
    "intersection",
    "difference",
    "reverse",
    "using",
    "select_for_update",
    "extra",
    "complex_filter",
    "dates",
    "datetimes",
];

const MANAGER_ATTRIBUTES: &[&str] = &["objects", "_default_manager", "_base_manager"];

/// Builtins whose result is an evaluated value, never a QuerySet.
const EVALUATING_BUILTINS: &[&str] = &[
    "list",
    "tuple",
    "set",
    "frozenset",
    "dict",
    "len",
    "bool",
    "sorted",
    "str",
    "repr",
    "int",
    "float",
    "sum",
    "min",
    "max",
    "any",
    "all",
];

const OPEN_FUNCTIONS: &[&str] = &["builtins.open", "io.open", "codecs.open"];
const PARTIAL: &str = "functools.partial";

/// Field classes whose `related_name` names a reverse manager (one-to-one reverses are
/// instances, so `OneToOneField` is absent).
const RELATION_FIELDS: &[&str] = &[
    "ForeignKey",
    "ManyToManyField",
    "ParentalKey",
    "ParentalManyToManyField",
    "GenericRelation",
];
/// Field classes whose own attribute is a manager on the instance.
const MANAGER_FIELDS: &[&str] = &[
    "ManyToManyField",
    "ParentalManyToManyField",
    "GenericRelation",
    "TaggableManager",
    "ClusterTaggableManager",
];

/// Deeper expressions than this are treated as opaque rather than recursed into.
const MAX_EVAL_DEPTH: usize = 48;

pub fn extract(
    module: &ast::ModModule,
    source: &str,
    module_name: &str,
    is_package: bool,
) -> FileFacts {
    let mut package: Vec<String> = module_name.split('.').map(str::to_string).collect();
    if !is_package {
        package.pop();
    }
    let mut extractor = Extractor {
        locator: Locator::new(source),
        module_name: module_name.to_string(),
        package,
        facts: FileFacts::default(),
    };
    let mut env = Env::module();
    let mut frame = Frame::new(ScopeKind::Module);
    extractor.walk_body(&module.body, &mut env, &mut frame);

    let globals = env.locals;
    for deferred in frame.deferred {
        match deferred {
            Deferred::Function(func) => {
                let returns = extractor.walk_function(func, Env::function(&globals, None));
                if returns.is_interesting() {
                    extractor.facts.functions.push(FunctionSummary {
                        qualified_name: extractor.qualify(func.name.as_str()),
                        returns,
                    });
                }
            }
            Deferred::Class(class) => extractor.walk_class(class, Env::function(&globals, None)),
        }
    }
    extractor.facts
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
    returns: Vec<Shape>,
    deferred: Vec<Deferred<'a>>,
}

impl Frame<'_> {
    fn new(kind: ScopeKind) -> Self {
        Frame {
            kind,
            returns: Vec::new(),
            deferred: Vec::new(),
        }
    }
}

struct Extractor<'src> {
    locator: Locator<'src>,
    module_name: String,
    package: Vec<String>,
    facts: FileFacts,
}

impl Extractor<'_> {
    fn qualify(&self, name: &str) -> String {
        if self.module_name.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.module_name)
        }
    }

    // ---- statements -------------------------------------------------------------------

    fn walk_body<'a>(&mut self, body: &'a [Stmt], env: &mut Env<'_>, frame: &mut Frame<'a>) {
        for stmt in body {
            self.walk_stmt(stmt, env, frame);
        }
    }

    /// Walks alternative bodies from the same starting scope and joins their outcomes.
    fn walk_alternatives<'a>(
        &mut self,
        bodies: &[&'a [Stmt]],
        include_fallthrough: bool,
        env: &mut Env<'_>,
        frame: &mut Frame<'a>,
    ) {
        let start = env.clone();
        let mut outcomes = Vec::new();
        for body in bodies {
            let mut branch = start.clone();
            self.walk_body(body, &mut branch, frame);
            outcomes.push(branch);
        }
        if !include_fallthrough {
            if let Some(first) = outcomes.pop() {
                *env = first;
            }
        }
        env.merge(outcomes);
    }

    fn walk_stmt<'a>(&mut self, stmt: &'a Stmt, env: &mut Env<'_>, frame: &mut Frame<'a>) {
        match stmt {
            Stmt::FunctionDef(func) => {
                for decorator in &func.decorator_list {
                    self.visit_expr(&decorator.expression, env);
                }
                for param in func.parameters.iter_non_variadic_params() {
                    if let Some(default) = param.default() {
                        self.visit_expr(default, env);
                    }
                }
                let name = func.name.as_str();
                match frame.kind {
                    ScopeKind::Module => {
                        env.bind(name, Binding::Qualified(self.qualify(name)));
                        frame.deferred.push(Deferred::Function(func));
                    }
                    ScopeKind::Class => {
                        self.walk_function(func, env.clone());
                    }
                    ScopeKind::Function => {
                        let returns = self.walk_function(func, env.clone());
                        env.bind(name, Binding::local_function(name, returns));
                    }
                }
            }
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
                    env.bind(name, Binding::Qualified(self.qualify(name)));
                    frame.deferred.push(Deferred::Class(class));
                } else {
                    self.walk_class(class, env.clone());
                    env.bind(name, Binding::Unknown);
                }
            }
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    self.visit_expr(value, env);
                    let shape = self.eval(value, env, 0);
                    if shape.is_interesting() {
                        frame.returns.push(shape);
                    }
                }
            }
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value, env);
                if frame.kind == ScopeKind::Module {
                    self.record_settings(&assign.targets, &assign.value, env);
                }
                if frame.kind == ScopeKind::Class {
                    self.record_manager_fields(&assign.targets, &assign.value);
                }
                let binding = self.value_binding(&assign.value, env);
                for target in &assign.targets {
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
                    }
                    if frame.kind == ScopeKind::Class {
                        self.record_manager_fields(targets, value);
                    }
                    let binding = self.value_binding(value, env);
                    bind_target(&assign.target, binding, env);
                }
            }
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value, env);
                bind_target(&assign.target, Binding::Unknown, env);
            }
            Stmt::For(stmt_for) => {
                self.visit_expr(&stmt_for.iter, env);
                bind_target(&stmt_for.target, Binding::Unknown, env);
                self.walk_alternatives(&[&stmt_for.body], true, env, frame);
                self.walk_body(&stmt_for.orelse, env, frame);
            }
            Stmt::While(stmt_while) => {
                self.visit_expr(&stmt_while.test, env);
                self.walk_alternatives(&[&stmt_while.body], true, env, frame);
                self.walk_body(&stmt_while.orelse, env, frame);
            }
            Stmt::If(stmt_if) => {
                self.visit_expr(&stmt_if.test, env);
                let mut bodies: Vec<&[Stmt]> = vec![&stmt_if.body];
                let mut has_else = false;
                for clause in &stmt_if.elif_else_clauses {
                    match &clause.test {
                        Some(test) => self.visit_expr(test, env),
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
                        let binding = match self.eval(&item.context_expr, env, 0) {
                            shape @ Shape::Unpicklable {
                                what: Unpicklable::OpenFile,
                                ..
                            } => Binding::Value(shape),
                            _ => Binding::Unknown,
                        };
                        bind_target(target, binding, env);
                    }
                }
                self.walk_body(&with.body, env, frame);
            }
            Stmt::Match(stmt_match) => {
                self.visit_expr(&stmt_match.subject, env);
                let bodies: Vec<&[Stmt]> = stmt_match.cases.iter().map(|c| &c.body[..]).collect();
                self.walk_alternatives(&bodies, true, env, frame);
            }
            Stmt::Try(stmt_try) => {
                let start = env.clone();
                self.walk_body(&stmt_try.body, env, frame);
                self.walk_body(&stmt_try.orelse, env, frame);
                let mut outcomes = Vec::new();
                for handler in &stmt_try.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    let mut branch = start.clone();
                    if let Some(name) = &handler.name {
                        branch.bind(name.as_str(), Binding::Unknown);
                    }
                    self.walk_body(&handler.body, &mut branch, frame);
                    outcomes.push(branch);
                }
                env.merge(outcomes);
                self.walk_body(&stmt_try.finalbody, env, frame);
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let dotted = alias.name.as_str();
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

    fn walk_function(&mut self, func: &ast::StmtFunctionDef, mut env: Env<'_>) -> Shape {
        for param in func.parameters.iter() {
            let name = param.name().as_str();
            let binding = if name == "request" {
                Binding::Request
            } else {
                Binding::Unknown
            };
            env.bind(name, binding);
        }
        let mut frame = Frame::new(ScopeKind::Function);
        self.walk_body(&func.body, &mut env, &mut frame);
        Shape::one_of(frame.returns)
    }

    fn walk_class(&mut self, class: &ast::StmtClassDef, mut env: Env<'_>) {
        let mut frame = Frame::new(ScopeKind::Class);
        self.walk_body(&class.body, &mut env, &mut frame);
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
        Binding::Value(self.eval(value, env, 0))
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

    fn record_manager_fields(&mut self, targets: &[Expr], value: &Expr) {
        let Expr::Call(call) = value else { return };
        if !declares_manager(call) {
            return;
        }
        for target in targets {
            if let Expr::Name(name) = target {
                self.facts.manager_attributes.push(name.id.to_string());
            }
        }
    }

    // ---- calls ------------------------------------------------------------------------

    /// Inspects every call inside `expr`.
    fn visit_expr(&mut self, expr: &Expr, env: &Env<'_>) {
        let mut finder = CallFinder::default();
        finder.visit_expr(expr);
        for call in finder.calls {
            self.record_related_name(call);
            self.inspect_call(call, env);
        }
    }

    fn record_related_name(&mut self, call: &ast::ExprCall) {
        if !last_segment(&call.func).is_some_and(|name| RELATION_FIELDS.contains(&name)) {
            return;
        }
        let Some(Expr::StringLiteral(related)) = keyword(call, "related_name") else {
            return;
        };
        let related = related.value.to_str();
        if !related.ends_with('+') && !related.contains("%(") && !related.is_empty() {
            self.facts.manager_attributes.push(related.to_string());
        }
    }

    fn inspect_call(&mut self, call: &ast::ExprCall, env: &Env<'_>) {
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let Some((op, _)) = CacheOp::from_method(method.attr.as_str()) else {
            return;
        };
        let Some(alias) = self.django_cache(&method.value, env) else {
            return;
        };
        let keys = self.keys(op, call, env);
        let timeout = match op.timeout_position() {
            Some(position) => match argument(call, position, "timeout") {
                Some(timeout) => Given {
                    value: constant(timeout, env, 0),
                    text: self.locator.snippet(timeout),
                    span: self.locator.span(timeout),
                },
                None if has_unpacking(call) => Timeout::Unknown,
                None => Timeout::Missing,
            },
            None => Timeout::Unknown,
        };
        let mut stored = Vec::new();
        let mut eager_default = None;
        match op {
            CacheOp::Set | CacheOp::Add => {
                if let Some(value) = argument(call, 1, "value") {
                    stored.push(self.stored(self.eval(value, env, 0), value));
                }
            }
            CacheOp::SetMany => {
                if let Some(data) = argument(call, 0, "data") {
                    stored.push(self.stored(self.eval(data, env, 0), data));
                }
            }
            CacheOp::GetOrSet => {
                if let Some(default) = argument(call, 1, "default") {
                    stored.push(self.stored(self.stored_by_default(default, env), default));
                    if is_computed(default, env) {
                        eager_default = Some(Snippet {
                            text: self.locator.snippet(default),
                            span: self.locator.span(default),
                        });
                    }
                }
            }
            _ => {}
        }
        self.facts.cache_calls.push(CacheCall {
            op,
            method: method.attr.to_string(),
            receiver: self.locator.snippet(method.value.as_ref()),
            alias,
            span: self.locator.span(call),
            keys,
            timeout,
            stored,
            eager_default,
        });
    }

    fn stored(&self, shape: Shape, expr: &Expr) -> StoredValue {
        StoredValue {
            shape,
            span: self.locator.span(expr),
        }
    }

    fn keys(&self, op: CacheOp, call: &ast::ExprCall, env: &Env<'_>) -> Vec<CacheKey> {
        let key_exprs: Vec<&Expr> = match op {
            CacheOp::GetMany | CacheOp::DeleteMany => match argument(call, 0, "keys") {
                Some(Expr::List(list)) => list.elts.iter().collect(),
                Some(Expr::Tuple(tuple)) => tuple.elts.iter().collect(),
                Some(Expr::Set(set)) => set.elts.iter().collect(),
                _ => Vec::new(),
            },
            CacheOp::SetMany => match argument(call, 0, "data") {
                Some(Expr::Dict(dict)) => {
                    dict.items.iter().filter_map(|i| i.key.as_ref()).collect()
                }
                _ => Vec::new(),
            },
            CacheOp::Clear | CacheOp::Close => Vec::new(),
            _ => argument(call, 0, "key").into_iter().collect(),
        };
        key_exprs
            .into_iter()
            .map(|expr| CacheKey {
                template: key_template(expr, env, 0),
                text: self.locator.snippet(expr),
                span: self.locator.span(expr),
            })
            .collect()
    }

    /// The cache alias when `expr` is a Django cache: `Some(None)` when the alias is unknown.
    fn django_cache(&self, expr: &Expr, env: &Env<'_>) -> Option<Option<String>> {
        const CACHE: &str = "django.core.cache.cache";
        const CACHES: &str = "django.core.cache.caches";
        match expr {
            Expr::Name(name) => {
                let bindings = env.lookup(name.id.as_str())?;
                let mut aliases = Vec::new();
                for binding in bindings {
                    match binding {
                        Binding::DjangoCache(alias) => aliases.push(alias.clone()),
                        Binding::Qualified(q) if q == CACHE => {
                            aliases.push(Some("default".to_string()))
                        }
                        _ => return None,
                    }
                }
                let first = aliases.first()?.clone();
                Some(if aliases.iter().all(|a| *a == first) {
                    first
                } else {
                    None
                })
            }
            Expr::Attribute(_) => {
                (qualified_name(expr, env)? == CACHE).then(|| Some("default".to_string()))
            }
            Expr::Subscript(subscript) => (qualified_name(&subscript.value, env)? == CACHES)
                .then(|| string_literal(&subscript.slice)),
            Expr::Call(call) => {
                let Expr::Attribute(method) = call.func.as_ref() else {
                    return None;
                };
                let is_get =
                    method.attr.as_str() == "get" && qualified_name(&method.value, env)? == CACHES;
                is_get.then(|| call.arguments.args.first().and_then(string_literal))
            }
            _ => None,
        }
    }

    // ---- values -----------------------------------------------------------------------

    /// What `expr` evaluates to.
    fn eval(&self, expr: &Expr, env: &Env<'_>, depth: usize) -> Shape {
        if depth > MAX_EVAL_DEPTH {
            return Shape::Opaque;
        }
        let depth = depth + 1;
        match expr {
            Expr::Name(name) => match env.lookup(name.id.as_str()) {
                Some(bindings) => Shape::one_of(bindings.iter().map(Binding::shape).collect()),
                None => Shape::Opaque,
            },
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str();
                let on_self =
                    matches!(attribute.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self");
                if on_self && attr == "request" {
                    Shape::Unpicklable {
                        what: Unpicklable::Request,
                        text: self.locator.snippet(expr),
                    }
                } else if is_django_manager(attr, &attribute.value) {
                    Shape::Manager(ManagerOrigin::Django)
                } else {
                    Shape::Manager(ManagerOrigin::ProjectAttribute(attr.to_string()))
                }
            }
            Expr::Call(call) => self.eval_call(call, env, depth),
            Expr::Subscript(subscript) => match self.eval(&subscript.value, env, depth) {
                Shape::QuerySet { origin, .. } if subscript.slice.is_slice_expr() => {
                    Shape::QuerySet {
                        origin,
                        text: self.locator.snippet(expr),
                    }
                }
                _ => Shape::Opaque,
            },
            Expr::Lambda(lambda) => Shape::Callable {
                kind: CallableKind::Lambda,
                text: self.locator.snippet(expr),
                returns: Box::new(self.eval(&lambda.body, env, depth)),
            },
            Expr::Generator(_) => Shape::Unpicklable {
                what: Unpicklable::Generator,
                text: self.locator.snippet(expr),
            },
            Expr::Dict(dict) => self.container(dict.items.iter().map(|i| &i.value), env, depth),
            Expr::List(list) => self.container(list.elts.iter(), env, depth),
            Expr::Tuple(tuple) => self.container(tuple.elts.iter(), env, depth),
            Expr::Set(set) => self.container(set.elts.iter(), env, depth),
            Expr::Starred(starred) => self.eval(&starred.value, env, depth),
            Expr::If(if_expr) => Shape::one_of(vec![
                self.eval(&if_expr.body, env, depth),
                self.eval(&if_expr.orelse, env, depth),
            ]),
            Expr::BoolOp(bool_op) => Shape::one_of(
                bool_op
                    .values
                    .iter()
                    .map(|v| self.eval(v, env, depth))
                    .collect(),
            ),
            Expr::Named(named) => self.eval(&named.value, env, depth),
            _ => constant(expr, env, depth).map_or(Shape::Opaque, Shape::Constant),
        }
    }

    fn container<'e>(
        &self,
        elements: impl Iterator<Item = &'e Expr>,
        env: &Env<'_>,
        depth: usize,
    ) -> Shape {
        Shape::Container(
            elements
                .map(|e| (self.eval(e, env, depth), self.locator.span(e)))
                .collect(),
        )
    }

    fn eval_call(&self, call: &ast::ExprCall, env: &Env<'_>, depth: usize) -> Shape {
        if let Expr::Attribute(method) = call.func.as_ref() {
            let name = method.attr.as_str();
            if name == "get_queryset" {
                return Shape::QuerySet {
                    origin: ManagerOrigin::Django,
                    text: self.locator.snippet(call),
                };
            }
            if QUERYSET_METHODS.contains(&name) {
                if let Some(origin) = queryset_source(&self.eval(&method.value, env, depth)) {
                    return Shape::QuerySet {
                        origin,
                        text: self.locator.snippet(call),
                    };
                }
            }
        }
        let qualified = qualified_name(&call.func, env);
        if let Some(qualified) = &qualified {
            if let Some(builtin) = qualified.strip_prefix("builtins.") {
                if EVALUATING_BUILTINS.contains(&builtin) {
                    return Shape::Opaque;
                }
            }
            if OPEN_FUNCTIONS.contains(&qualified.as_str()) {
                return Shape::Unpicklable {
                    what: Unpicklable::OpenFile,
                    text: self.locator.snippet(call),
                };
            }
        }
        if let Expr::Name(name) = call.func.as_ref() {
            let returns: Vec<Shape> = env
                .lookup(name.id.as_str())
                .unwrap_or(&[])
                .iter()
                .filter_map(|binding| match binding {
                    Binding::Value(Shape::Callable { returns, .. }) => Some((**returns).clone()),
                    _ => None,
                })
                .collect();
            if !returns.is_empty() {
                return Shape::one_of(returns).detached();
            }
        }
        match qualified {
            Some(function) if is_project_name(&function) => Shape::CallResult {
                function,
                text: self.locator.snippet(call),
            },
            _ => Shape::Opaque,
        }
    }

    /// What `get_or_set` stores from its `default`: the result of calling it when it is
    /// callable, otherwise the value itself.
    fn stored_by_default(&self, default: &Expr, env: &Env<'_>) -> Shape {
        match default {
            Expr::Lambda(lambda) => self.eval(&lambda.body, env, 1),
            Expr::Name(name) => {
                let Some(bindings) = env.lookup(name.id.as_str()) else {
                    return Shape::Opaque;
                };
                Shape::one_of(
                    bindings
                        .iter()
                        .map(|binding| match binding {
                            Binding::Value(Shape::Callable { returns, .. }) => {
                                (**returns).clone().detached()
                            }
                            Binding::Qualified(function) if is_project_name(function) => {
                                Shape::CallResult {
                                    function: function.clone(),
                                    text: format!("{}()", name.id),
                                }
                            }
                            other => other.shape(),
                        })
                        .collect(),
                )
            }
            Expr::Attribute(attribute) => {
                let bound_queryset = QUERYSET_METHODS
                    .contains(&attribute.attr.as_str())
                    .then(|| queryset_source(&self.eval(&attribute.value, env, 1)))
                    .flatten();
                if let Some(origin) = bound_queryset {
                    return Shape::QuerySet {
                        origin,
                        text: format!("{}()", self.locator.snippet(default)),
                    };
                }
                match qualified_name(default, env) {
                    Some(function) if is_project_name(&function) => Shape::CallResult {
                        text: format!("{}()", self.locator.snippet(default)),
                        function,
                    },
                    _ => Shape::Opaque,
                }
            }
            Expr::Call(call) if qualified_name(&call.func, env).as_deref() == Some(PARTIAL) => {
                match call.arguments.args.first() {
                    Some(function) => self.stored_by_default(function, env),
                    None => Shape::Opaque,
                }
            }
            other => self.eval(other, env, 0),
        }
    }
}

// ---- helpers over expressions ----------------------------------------------------------

#[derive(Default)]
struct CallFinder<'a> {
    calls: Vec<&'a ast::ExprCall>,
}

impl<'a> Visitor<'a> for CallFinder<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            self.calls.push(call);
        }
        visitor::walk_expr(self, expr);
    }
}

/// Whether evaluating `expr` does work (calls, comprehensions, awaits) beyond reading
/// names and literals; lambda bodies and `functools.partial` itself do not count.
fn is_computed(expr: &Expr, env: &Env<'_>) -> bool {
    struct Computation<'e, 'g> {
        env: &'e Env<'g>,
        found: bool,
    }
    impl<'a> Visitor<'a> for Computation<'_, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Lambda(_) => {}
                Expr::Call(call)
                    if qualified_name(&call.func, self.env).as_deref() == Some(PARTIAL) =>
                {
                    visitor::walk_arguments(self, &call.arguments);
                }
                // `dict()`, `list()` and friends without arguments are literals by another name.
                Expr::Call(call)
                    if call.arguments.is_empty()
                        && is_builtin_constructor(&call.func, self.env) => {}
                Expr::Call(_)
                | Expr::ListComp(_)
                | Expr::SetComp(_)
                | Expr::DictComp(_)
                | Expr::Generator(_)
                | Expr::Await(_) => self.found = true,
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut computation = Computation { env, found: false };
    computation.visit_expr(expr);
    computation.found
}

fn is_builtin_constructor(func: &Expr, env: &Env<'_>) -> bool {
    qualified_name(func, env)
        .as_deref()
        .and_then(|q| q.strip_prefix("builtins."))
        .is_some_and(|name| EVALUATING_BUILTINS.contains(&name))
}

/// The dotted name an expression refers to through imports and module-level definitions;
/// unbound names are builtins.
fn qualified_name(expr: &Expr, env: &Env<'_>) -> Option<String> {
    match expr {
        Expr::Name(name) => match env.lookup(name.id.as_str()) {
            None => Some(format!("builtins.{}", name.id)),
            Some([Binding::Qualified(qualified)]) => Some(qualified.clone()),
            Some(_) => None,
        },
        Expr::Attribute(attribute) => {
            let base = qualified_name(&attribute.value, env)?;
            Some(format!("{base}.{}", attribute.attr))
        }
        _ => None,
    }
}

/// Names that may be project code: not builtins, not Django, not the standard library
/// pieces we know.
fn is_project_name(qualified: &str) -> bool {
    !qualified.starts_with("builtins.") && !qualified.starts_with("django.")
}

fn queryset_source(shape: &Shape) -> Option<ManagerOrigin> {
    match shape {
        Shape::Manager(origin) | Shape::QuerySet { origin, .. } => Some(origin.clone()),
        Shape::OneOf(alternatives) => alternatives.iter().find_map(queryset_source),
        _ => None,
    }
}

/// `Post.objects` (and the other default managers) or a default reverse accessor such
/// as `author.post_set`.
fn is_django_manager(attr: &str, owner: &Expr) -> bool {
    let default_manager = MANAGER_ATTRIBUTES.contains(&attr) && looks_like_model(owner);
    let reverse_accessor = attr.len() > 4 && attr.ends_with("_set");
    default_manager || reverse_accessor
}

/// `Post`, `models.Post`, `self.model`, `cls`, `get_user_model()`, `apps.get_model(...)`.
fn looks_like_model(expr: &Expr) -> bool {
    let starts_upper = |s: &str| s.chars().next().is_some_and(char::is_uppercase);
    match expr {
        Expr::Name(name) => starts_upper(name.id.as_str()) || name.id.as_str() == "cls",
        Expr::Attribute(attribute) => {
            starts_upper(attribute.attr.as_str()) || attribute.attr.as_str() == "model"
        }
        Expr::Call(call) => {
            last_segment(&call.func).is_some_and(|n| n == "get_user_model" || n == "get_model")
        }
        _ => false,
    }
}

/// `ManyToManyField(...)`, `TaggableManager()`, `PostManager()`, `PostQuerySet.as_manager()`,
/// `Manager.from_queryset(QS)()`.
fn declares_manager(call: &ast::ExprCall) -> bool {
    match call.func.as_ref() {
        Expr::Call(inner) => last_segment(&inner.func) == Some("from_queryset"),
        func => last_segment(func).is_some_and(|name| {
            MANAGER_FIELDS.contains(&name) || name.ends_with("Manager") || name == "as_manager"
        }),
    }
}

fn last_segment(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
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

fn argument<'a>(call: &'a ast::ExprCall, position: usize, name: &str) -> Option<&'a Expr> {
    for (index, arg) in call.arguments.args.iter().enumerate() {
        if arg.is_starred_expr() {
            break;
        }
        if index == position {
            return Some(arg);
        }
    }
    keyword(call, name)
}

fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|arg| arg.as_str() == name))
        .map(|k| &k.value)
}

fn has_unpacking(call: &ast::ExprCall) -> bool {
    call.arguments.args.iter().any(Expr::is_starred_expr)
        || call.arguments.keywords.iter().any(|k| k.arg.is_none())
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// The compile-time value of `expr`: literals, arithmetic on them, and names bound to them.
fn constant(expr: &Expr, env: &Env<'_>, depth: usize) -> Option<Constant> {
    if depth > MAX_EVAL_DEPTH {
        return None;
    }
    let depth = depth + 1;
    let number = |e: &Expr| match constant(e, env, depth) {
        Some(Constant::Number(n)) => Some(n),
        _ => None,
    };
    match expr {
        Expr::NoneLiteral(_) => Some(Constant::None),
        Expr::NumberLiteral(literal) => match &literal.value {
            Number::Int(int) => int.as_i64().map(|n| Constant::Number(n as f64)),
            Number::Float(float) => Some(Constant::Number(*float)),
            Number::Complex { .. } => None,
        },
        Expr::StringLiteral(s) => Some(Constant::Str(s.value.to_str().to_string())),
        Expr::UnaryOp(unary) => {
            let operand = number(&unary.operand)?;
            match unary.op {
                UnaryOp::USub => Some(Constant::Number(-operand)),
                UnaryOp::UAdd => Some(Constant::Number(operand)),
                _ => None,
            }
        }
        Expr::BinOp(binop) => {
            let (left, right) = (number(&binop.left)?, number(&binop.right)?);
            let value = match binop.op {
                Operator::Add => left + right,
                Operator::Sub => left - right,
                Operator::Mult => left * right,
                Operator::Div if right != 0.0 => left / right,
                Operator::FloorDiv if right != 0.0 => (left / right).floor(),
                _ => return None,
            };
            Some(Constant::Number(value))
        }
        Expr::Name(name) => match env.lookup(name.id.as_str())? {
            [Binding::Value(Shape::Constant(value))] => Some(value.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The key as a template, or `None` when it is not a string we can read.
fn key_template(expr: &Expr, env: &Env<'_>, depth: usize) -> Option<KeyTemplate> {
    if depth > MAX_EVAL_DEPTH {
        return None;
    }
    let depth = depth + 1;
    match expr {
        Expr::StringLiteral(s) => Some(KeyTemplate::literal(s.value.to_str())),
        Expr::FString(fstring) => {
            let mut template = KeyTemplate::default();
            for part in fstring.value.iter() {
                match part {
                    ast::FStringPart::Literal(literal) => template.push_literal(literal.as_str()),
                    ast::FStringPart::FString(f) => {
                        for element in &f.elements {
                            match element {
                                ast::InterpolatedStringElement::Literal(literal) => {
                                    template.push_literal(&literal.value)
                                }
                                ast::InterpolatedStringElement::Interpolation(_) => {
                                    template.push_hole()
                                }
                            }
                        }
                    }
                }
            }
            Some(template)
        }
        Expr::BinOp(binop) if binop.op == Operator::Add => {
            let left = key_template(&binop.left, env, depth);
            let right = key_template(&binop.right, env, depth);
            if left.is_none() && right.is_none() {
                return None;
            }
            let mut template = left.unwrap_or_else(KeyTemplate::hole);
            template.append(right.unwrap_or_else(KeyTemplate::hole));
            Some(template)
        }
        Expr::BinOp(binop) if binop.op == Operator::Mod => match binop.left.as_ref() {
            Expr::StringLiteral(format) => {
                Some(KeyTemplate::from_percent_format(format.value.to_str()))
            }
            _ => None,
        },
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Attribute(method) if method.attr.as_str() == "format" => {
                match method.value.as_ref() {
                    Expr::StringLiteral(format) => {
                        Some(KeyTemplate::from_brace_format(format.value.to_str()))
                    }
                    _ => None,
                }
            }
            _ => None,
        },
        Expr::Name(_) => match constant(expr, env, depth)? {
            Constant::Str(text) => Some(KeyTemplate::literal(&text)),
            _ => None,
        },
        _ => None,
    }
}
