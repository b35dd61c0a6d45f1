//! Expression evaluation: what an expression holds (its [`Shape`]), its compile-time
//! constant, its cache-key template, and the dotted name it refers to.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Number, Operator, UnaryOp};

use super::keys::{Hole, KeySource, KeyTemplate};
use super::scope::{Binding, Env};
use super::shape::{CallableKind, Constant, ManagerOrigin, ModelRef, Shape, Unpicklable};
use super::span::Locator;

/// Methods that return a new QuerySet (Django's "methods that return new QuerySets").
pub(super) const QUERYSET_METHODS: &[&str] = &[
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
    "raw",
];

pub(super) const MANAGER_ATTRIBUTES: &[&str] = &["objects", "_default_manager", "_base_manager"];

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
const FRAGMENT_KEY: &str = "django.core.cache.utils.make_template_fragment_key";

/// Deeper expressions than this are treated as opaque rather than recursed into.
const MAX_EVAL_DEPTH: usize = 48;

/// What evaluating an expression reads besides the expression and its scope: the source,
/// for the text of what it finds, and whether `self` may be a model instance there.
pub(super) struct Evaluator<'a> {
    pub(super) locator: &'a Locator<'a>,
    pub(super) in_model_class: bool,
}

impl Evaluator<'_> {
    /// What `expr` evaluates to.
    pub(super) fn eval(&self, expr: &Expr, env: &Env<'_>, depth: usize) -> Shape {
        if depth > MAX_EVAL_DEPTH {
            return Shape::Opaque;
        }
        let depth = depth + 1;
        match expr {
            Expr::Name(name) => match env.lookup(name.id.as_str()) {
                Some(bindings) => Shape::one_of(bindings.iter().map(Binding::shape).collect()),
                None => Shape::Opaque,
            },
            Expr::Attribute(attribute) => self.eval_attribute(attribute, env, depth),
            Expr::Call(call) => self.eval_call(call, env, depth),
            Expr::Subscript(subscript) => match self.eval(&subscript.value, env, depth) {
                Shape::QuerySet {
                    origin,
                    aggregated,
                    fields,
                    ..
                } if subscript.slice.is_slice_expr() => Shape::QuerySet {
                    origin,
                    text: self.locator.snippet(expr),
                    aggregated,
                    fields,
                },
                other => other.into_data(),
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
            Expr::ListComp(comp) => self.comprehension(&comp.generators, env, depth),
            Expr::SetComp(comp) => self.comprehension(&comp.generators, env, depth),
            Expr::DictComp(comp) => self.comprehension(&comp.generators, env, depth),
            Expr::Dict(dict) => self.container(dict.items.iter().map(|i| &i.value), env, depth),
            Expr::List(list) => self.container(list.elts.iter(), env, depth),
            Expr::Tuple(tuple) => self.container(tuple.elts.iter(), env, depth),
            Expr::Set(set) => self.container(set.elts.iter(), env, depth),
            Expr::Starred(starred) => self.eval(&starred.value, env, depth),
            Expr::Await(await_expr) => match self.eval(&await_expr.value, env, depth) {
                Shape::CallResult { function, text, .. } => Shape::CallResult {
                    function,
                    text,
                    awaited: true,
                },
                other => other,
            },
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
            Expr::FString(_) | Expr::BinOp(_) => match constant(expr, env, depth) {
                Some(value) => Shape::Constant(value),
                None => key_template(expr, env, depth).map_or(Shape::Opaque, Shape::Template),
            },
            _ => constant(expr, env, depth).map_or(Shape::Opaque, Shape::Constant),
        }
    }

    fn eval_attribute(&self, attribute: &ast::ExprAttribute, env: &Env<'_>, depth: usize) -> Shape {
        let attr = attribute.attr.as_str();
        let owner = attribute.value.as_ref();
        if matches!(owner, Expr::Name(n) if n.id.as_str() == "self") && attr == "request" {
            return Shape::Unpicklable {
                what: Unpicklable::Request,
                text: self.locator.snippet(attribute),
            };
        }
        if MANAGER_ATTRIBUTES.contains(&attr) {
            if !looks_like_model(owner) && !names_a_model(owner) {
                // `bucket.objects` (boto3) and the like.
                return Shape::Opaque;
            }
            let model = model_ref(owner, env);
            return Shape::Manager(model.map_or(ManagerOrigin::Unknown, ManagerOrigin::Model));
        }
        if matches!(owner, Expr::Name(n) if n.id.as_str() == "self") && !self.in_model_class {
            // `self.tags` of a plain class is an attribute, whatever models declare.
            return Shape::Opaque;
        }
        if matches!(attr, "pk" | "id") {
            // A row's identity: no save changes it.
            return Shape::Opaque;
        }
        if let Some(model) = attr.strip_suffix("_set").filter(|m| !m.is_empty()) {
            return Shape::Manager(ManagerOrigin::Model(ModelRef::ReverseAccessor(
                model.to_string(),
            )));
        }
        let related = Shape::Manager(ManagerOrigin::Model(ModelRef::Attribute(attr.to_string())));
        let owner_models = match owner {
            Expr::Name(name) => env
                .lookup(name.id.as_str())
                .unwrap_or(&[])
                .iter()
                .filter_map(Binding::value_shape)
                .flat_map(Shape::models)
                .collect(),
            _ => self.eval(owner, env, depth).models(),
        };
        if owner_models.is_empty() {
            related
        } else {
            Shape::OneOf(vec![related, Shape::ModelData(owner_models)])
        }
    }

    fn eval_call(&self, call: &ast::ExprCall, env: &Env<'_>, depth: usize) -> Shape {
        if let Expr::Attribute(method) = call.func.as_ref() {
            let name = method.attr.as_str();
            // `"post:{}".format(pk)`: a key template, kept for the names it is bound to.
            if let Some(template) = format_template(call) {
                return Shape::Template(template);
            }
            if name == "get_queryset" {
                return Shape::QuerySet {
                    origin: ManagerOrigin::Unknown,
                    text: self.locator.snippet(call),
                    aggregated: false,
                    fields: None,
                };
            }
            let receiver = self.eval_receiver(&method.value, env, depth);
            let takes_lambda = call.arguments.args.iter().any(Expr::is_lambda_expr);
            if let Some(origin) = queryset_source(&receiver).filter(|_| !takes_lambda) {
                if name == "iterator" {
                    return Shape::Unpicklable {
                        what: Unpicklable::Generator,
                        text: self.locator.snippet(call),
                    };
                }
                if QUERYSET_METHODS.contains(&name) {
                    let text = self.locator.snippet(call);
                    let aggregated = (name == "annotate" && calls_aggregate(&call.arguments))
                        || matches!(
                            receiver,
                            Shape::QuerySet {
                                aggregated: true,
                                ..
                            }
                        );
                    let fields = match projection(name, &call.arguments) {
                        Some(projected) => projected,
                        None => match &receiver {
                            Shape::QuerySet { fields, .. } => fields.clone(),
                            _ => None,
                        },
                    };
                    return Shape::QuerySet {
                        origin,
                        text,
                        aggregated,
                        fields,
                    };
                }
                // `get`, `first`, `count`, `exists`, ...: rows or statistics read from the model.
                if matches!(
                    name,
                    "count" | "acount" | "aggregate" | "aaggregate" | "exists" | "aexists"
                ) {
                    let models = receiver.models();
                    return if models.is_empty() {
                        Shape::Opaque
                    } else {
                        Shape::Aggregate(models)
                    };
                }
                if let Some(function) = manager_method(&method.value, name, env) {
                    // What the project's manager method returns, when the index finds it;
                    // the model's rows either way.
                    return Shape::one_of(vec![
                        Shape::CallResult {
                            function,
                            text: self.locator.snippet(call),
                            awaited: false,
                        },
                        receiver.into_data(),
                    ]);
                }
                return receiver.into_data();
            }
        }
        let qualified = qualified_name(&call.func, env);
        if let Some(qualified) = &qualified {
            if let Some(builtin) = qualified.strip_prefix("builtins.") {
                if EVALUATING_BUILTINS.contains(&builtin) {
                    let arguments = call.arguments.args.iter();
                    let read: Vec<Shape> = arguments.map(|a| self.eval(a, env, depth)).collect();
                    return Shape::one_of(read).into_data();
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
                .filter_map(|binding| match binding.value_shape() {
                    Some(Shape::Callable { returns, .. }) => Some((**returns).clone()),
                    _ => None,
                })
                .collect();
            if !returns.is_empty() {
                return Shape::one_of(returns).detached();
            }
        }
        match qualified {
            Some(function) if env.is_project_name(&function) => Shape::CallResult {
                function,
                text: self.locator.snippet(call),
                awaited: false,
            },
            _ => Shape::Opaque,
        }
    }

    /// What a method's receiver evaluates to. A chain of QuerySet methods on a QuerySet
    /// (`Post.objects.filter(...).exclude(...)...`) is a QuerySet of the same origin
    /// however long it is, so the chain is walked in a loop rather than by recursion,
    /// which gives up past [`MAX_EVAL_DEPTH`].
    fn eval_receiver(&self, receiver: &Expr, env: &Env<'_>, depth: usize) -> Shape {
        let mut base = receiver;
        let mut aggregated = false;
        // The outermost projection is the one that applies.
        let mut projected: Option<Option<Vec<String>>> = None;
        while let Expr::Call(call) = base {
            match call.func.as_ref() {
                Expr::Attribute(method)
                    if QUERYSET_METHODS.contains(&method.attr.as_str())
                        && !call.arguments.args.iter().any(Expr::is_lambda_expr) =>
                {
                    aggregated |=
                        method.attr.as_str() == "annotate" && calls_aggregate(&call.arguments);
                    if projected.is_none() {
                        projected = projection(method.attr.as_str(), &call.arguments);
                    }
                    base = &method.value;
                }
                _ => break,
            }
        }
        if std::ptr::eq(base, receiver) {
            return self.eval(receiver, env, depth);
        }
        let base_shape = self.eval(base, env, depth);
        aggregated |= matches!(
            base_shape,
            Shape::QuerySet {
                aggregated: true,
                ..
            }
        );
        let fields = projected.unwrap_or_else(|| match &base_shape {
            Shape::QuerySet { fields, .. } => fields.clone(),
            _ => None,
        });
        match queryset_source(&base_shape) {
            Some(origin) => Shape::QuerySet {
                origin,
                text: self.locator.snippet(receiver),
                aggregated,
                fields,
            },
            None => self.eval(receiver, env, depth),
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
                .map(|e| {
                    let shape = match e {
                        // `[*qs]` copies the items into the display.
                        Expr::Starred(starred) => self.eval(&starred.value, env, depth).into_data(),
                        _ => self.eval(e, env, depth),
                    };
                    (shape, self.locator.span(e))
                })
                .collect(),
        )
    }

    /// A list, set or dict comprehension: evaluated data read from what it iterates.
    fn comprehension(
        &self,
        generators: &[ast::Comprehension],
        env: &Env<'_>,
        depth: usize,
    ) -> Shape {
        let sources = generators.iter().map(|g| self.eval(&g.iter, env, depth));
        Shape::one_of(sources.collect()).into_data()
    }

    /// What `get_or_set` stores from its `default`: the result of calling it when it is
    /// callable, otherwise the value itself.
    pub(super) fn stored_by_default(&self, default: &Expr, env: &Env<'_>) -> Shape {
        match default {
            Expr::Lambda(lambda) => self.eval(&lambda.body, env, 1),
            Expr::If(if_expr) => Shape::one_of(vec![
                self.stored_by_default(&if_expr.body, env),
                self.stored_by_default(&if_expr.orelse, env),
            ]),
            Expr::BoolOp(bool_op) => Shape::one_of(
                bool_op
                    .values
                    .iter()
                    .map(|v| self.stored_by_default(v, env))
                    .collect(),
            ),
            Expr::Name(name) => {
                let Some(bindings) = env.lookup(name.id.as_str()) else {
                    return Shape::Opaque;
                };
                Shape::one_of(
                    bindings
                        .iter()
                        .map(|binding| match binding {
                            Binding::Qualified(function) if env.is_project_name(function) => {
                                Shape::CallResult {
                                    function: function.clone(),
                                    text: format!("{}()", name.id),
                                    awaited: false,
                                }
                            }
                            other => other.shape().called(),
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
                        aggregated: false,
                        fields: None,
                    };
                }
                match qualified_name(default, env) {
                    Some(function) if env.is_project_name(&function) => Shape::CallResult {
                        text: format!("{}()", self.locator.snippet(default)),
                        function,
                        awaited: false,
                    },
                    _ => self.eval(&attribute.value, env, 1).into_data(),
                }
            }
            Expr::Call(call) if qualified_name(&call.func, env).as_deref() == Some(PARTIAL) => {
                match call.arguments.args.first() {
                    Some(function) => self.stored_by_default(function, env),
                    None => Shape::Opaque,
                }
            }
            // A computed default (`make_loader(pk)`) may itself return a callable.
            other => Shape::CalledIfCallable(Box::new(self.eval(other, env, 0))),
        }
    }
}

/// Whether evaluating `expr` does work (calls, comprehensions, awaits) beyond reading
/// names and literals; lambda bodies and `functools.partial` itself do not count.
pub(super) fn is_computed(expr: &Expr, env: &Env<'_>) -> bool {
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
                // `dict()`, `dict(count=0)`, `list()`: literals by another name.
                Expr::Call(call)
                    if is_builtin_constructor(&call.func, self.env)
                        && call.arguments.args.iter().all(is_trivial)
                        && call.arguments.keywords.iter().all(|k| is_trivial(&k.value)) => {}
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

/// A string, bytes, number, boolean, `None` or `...` literal.
pub(super) fn is_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
    )
}

/// A literal or a display of literals: nothing to compute. (A name may hold a QuerySet,
/// so `list(posts)` is work.)
fn is_trivial(expr: &Expr) -> bool {
    match expr {
        literal if is_literal(literal) => true,
        Expr::UnaryOp(unary) => is_trivial(&unary.operand),
        Expr::List(list) => list.elts.iter().all(is_trivial),
        Expr::Tuple(tuple) => tuple.elts.iter().all(is_trivial),
        Expr::Set(set) => set.elts.iter().all(is_trivial),
        Expr::Dict(dict) => dict
            .items
            .iter()
            .all(|item| item.key.as_ref().is_none_or(is_trivial) && is_trivial(&item.value)),
        _ => false,
    }
}

fn is_builtin_constructor(func: &Expr, env: &Env<'_>) -> bool {
    qualified_name(func, env)
        .as_deref()
        .and_then(|q| q.strip_prefix("builtins."))
        .is_some_and(|name| EVALUATING_BUILTINS.contains(&name))
}

/// The dotted name an expression refers to through imports and module-level definitions;
/// unbound names are builtins.
pub(super) fn qualified_name(expr: &Expr, env: &Env<'_>) -> Option<String> {
    let mut attributes: Vec<&str> = Vec::new();
    let mut current = expr;
    while let Expr::Attribute(attribute) = current {
        attributes.push(attribute.attr.as_str());
        current = &attribute.value;
    }
    let Expr::Name(name) = current else {
        return None;
    };
    let mut qualified = match env.lookup(name.id.as_str()) {
        None => format!("builtins.{}", name.id),
        // `except ImportError: name = None` leaves the import as the only usable binding.
        Some(bindings) => match bindings
            .iter()
            .filter(|b| b.value_shape().and_then(Shape::constant) != Some(&Constant::None))
            .collect::<Vec<_>>()
            .as_slice()
        {
            [Binding::Qualified(qualified)] => qualified.clone(),
            _ => return None,
        },
    };
    for attribute in attributes.iter().rev() {
        qualified.push('.');
        qualified.push_str(attribute);
    }
    Some(qualified)
}

pub(super) fn queryset_source(shape: &Shape) -> Option<ManagerOrigin> {
    match shape {
        Shape::Manager(origin) | Shape::QuerySet { origin, .. } => Some(origin.clone()),
        Shape::OneOf(alternatives) => alternatives.iter().find_map(queryset_source),
        _ => None,
    }
}

/// Methods of Django's own managers that return rows or values, never a project method.
const DJANGO_MANAGER_VALUE_METHODS: &[&str] = &[
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "exists",
    "create",
    "get_or_create",
    "update_or_create",
    "in_bulk",
    "contains",
    "explain",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "aget",
    "afirst",
    "alast",
    "alatest",
    "aearliest",
    "aexists",
    "acreate",
    "aget_or_create",
    "aupdate_or_create",
    "ain_bulk",
    "acontains",
    "aupdate",
    "adelete",
    "abulk_create",
    "abulk_update",
];

/// `Post.objects.published()`: the name the index resolves to the method of the class
/// `Post.objects` is made from (`<model>.objects.published`).
fn manager_method(manager: &Expr, method: &str, env: &Env<'_>) -> Option<String> {
    let Expr::Attribute(attribute) = manager else {
        return None;
    };
    if attribute.attr.as_str() != "objects" || DJANGO_MANAGER_VALUE_METHODS.contains(&method) {
        return None;
    }
    match model_ref(&attribute.value, env)? {
        ModelRef::Class(model) if model.contains('.') => Some(format!("{model}.objects.{method}")),
        _ => None,
    }
}

/// `Post`, `models.Post`, `self.model`, `cls`, `get_user_model()`, `apps.get_model(...)`.
fn looks_like_model(expr: &Expr) -> bool {
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

/// `model`, `self.related_model`, `queryset.model`: a variable that holds a model class.
fn names_a_model(expr: &Expr) -> bool {
    last_segment(expr).is_some_and(|name| name.to_ascii_lowercase().ends_with("model"))
}

/// The model a class expression names, when it names one we can find again.
pub(super) fn model_ref(expr: &Expr, env: &Env<'_>) -> Option<ModelRef> {
    match expr {
        Expr::Name(name) if starts_upper(name.id.as_str()) => Some(ModelRef::Class(
            qualified_name(expr, env)
                .filter(|q| !q.starts_with("builtins."))
                .unwrap_or_else(|| name.id.to_string()),
        )),
        Expr::Attribute(attribute) if starts_upper(attribute.attr.as_str()) => {
            Some(ModelRef::Class(
                qualified_name(expr, env)
                    .filter(|q| !q.starts_with("builtins."))
                    .unwrap_or_else(|| attribute.attr.to_string()),
            ))
        }
        Expr::StringLiteral(label) => {
            let label = label.value.to_str();
            Some(if label.contains('.') {
                ModelRef::Label(label.to_string())
            } else {
                ModelRef::Class(label.to_string())
            })
        }
        _ => None,
    }
}

fn starts_upper(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

pub(super) fn last_segment(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

pub(super) fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// The compile-time value of `expr`: literals, arithmetic on them, and names bound to them.
pub(super) fn constant(expr: &Expr, env: &Env<'_>, depth: usize) -> Option<Constant> {
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
            [binding] => binding.value_shape()?.constant().cloned(),
            _ => None,
        },
        _ => None,
    }
}

/// Where a cache key comes from: a template read from the expression, or a project
/// function or constant that the index resolves.
pub(super) fn key_source(expr: &Expr, env: &Env<'_>) -> KeySource {
    if let Some(template) = key_template(expr, env, 0) {
        return KeySource::Template(template);
    }
    let symbol = match expr {
        Expr::Call(call) => qualified_name(&call.func, env).map(|name| (name, true)),
        Expr::Name(_) | Expr::Attribute(_) => qualified_name(expr, env).map(|name| (name, false)),
        _ => None,
    };
    match symbol {
        Some((name, called)) if env.is_project_name(&name) => KeySource::Symbol { name, called },
        _ => KeySource::Unknown,
    }
}

/// `"post:{}".format(pk)` as the template `post:{}`.
fn format_template(call: &ast::ExprCall) -> Option<KeyTemplate> {
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    match method.value.as_ref() {
        Expr::StringLiteral(format) if method.attr.as_str() == "format" => {
            let mut template = KeyTemplate::from_brace_format(format.value.to_str());
            template.versioned = call.arguments.args.iter().any(reads_version);
            Some(template)
        }
        _ => None,
    }
}

/// What a QuerySet method does to the fields it returns: `values("a", "b")`,
/// `values_list(...)` and `only(...)` limit them (`Some(Some(fields))`, or `Some(None)`
/// when the names cannot be read or none are given: all fields); other methods keep them
/// (`None`).
fn projection(method: &str, arguments: &ast::Arguments) -> Option<Option<Vec<String>>> {
    if !matches!(method, "values" | "values_list" | "only") {
        return None;
    }
    let fields: Option<Vec<String>> = arguments.args.iter().map(string_literal).collect();
    Some(fields.filter(|fields| !fields.is_empty()))
}

/// Whether arguments hold an aggregate expression (`Count("id")`, `Sum(...)`, ...).
fn calls_aggregate(arguments: &ast::Arguments) -> bool {
    const AGGREGATES: &[&str] = &["Count", "Sum", "Avg", "Max", "Min", "StdDev", "Variance"];
    arguments
        .args
        .iter()
        .chain(arguments.keywords.iter().map(|k| &k.value))
        .any(|argument| match argument {
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Name(name) => AGGREGATES.contains(&name.id.as_str()),
                Expr::Attribute(attribute) => AGGREGATES.contains(&attribute.attr.as_str()),
                _ => false,
            },
            _ => false,
        })
}

/// Whether a value interpolated into a key is a version read at run time: a call without
/// arguments (`get_cache_key()`, `Settings.generation()`), or of something named for a
/// version, possibly under `str(...)`.
fn reads_version(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    let name = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => "",
    };
    if name == "str" {
        return call.arguments.args.first().is_some_and(reads_version);
    }
    call.arguments.is_empty() || name.contains("version")
}

/// What an expression put into a key can produce, from the expression alone: a model
/// row's `.id` or foreign key `.<field>_id` is an id, `len(...)`, `int(...)`,
/// `.count()` and integer literals numbers, `.slug` a slug; anything else, `.pk` (a
/// primary key may be text) and plain names (a helper's parameter may be given
/// anything) included, any text. (`str(x)` is `x`.)
fn hole_for(expr: &Expr) -> Hole {
    match expr {
        Expr::Attribute(attribute) => {
            let name = attribute.attr.as_str();
            if name == "id" || (name.ends_with("_id") && name.len() > 3) {
                Hole::Id
            } else if name == "slug" {
                Hole::Slug
            } else {
                Hole::Any
            }
        }
        Expr::NumberLiteral(number) if number.value.is_int() => Hole::Integer,
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Name(name) if matches!(name.id.as_str(), "len" | "int") => Hole::Integer,
            Expr::Name(name) if name.id.as_str() == "str" && call.arguments.len() == 1 => {
                call.arguments.args.first().map_or(Hole::Any, hole_for)
            }
            Expr::Attribute(method) if method.attr.as_str() == "count" => Hole::Integer,
            _ => Hole::Any,
        },
        _ => Hole::Any,
    }
}

/// The key as a template, or `None` when it is not a string we can read.
pub(super) fn key_template(expr: &Expr, env: &Env<'_>, depth: usize) -> Option<KeyTemplate> {
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
                                ast::InterpolatedStringElement::Interpolation(value) => {
                                    template.versioned |= reads_version(&value.expression);
                                    // `{n:,}` or `{x!r}` formats the value anew.
                                    let formatted = value.format_spec.is_some()
                                        || value.conversion != ast::ConversionFlag::None;
                                    template.push_hole(if formatted {
                                        Hole::Any
                                    } else {
                                        hole_for(&value.expression)
                                    })
                                }
                            }
                        }
                    }
                }
            }
            Some(template)
        }
        Expr::BinOp(binop) if binop.op == Operator::Add => {
            // `"a" + x + "b" + ...` nests to the left: walk the chain without recursing.
            let mut operands = vec![binop.right.as_ref()];
            let mut left = binop.left.as_ref();
            while let Expr::BinOp(inner) = left {
                if inner.op != Operator::Add {
                    break;
                }
                operands.push(&inner.right);
                left = &inner.left;
            }
            operands.push(left);
            let parts: Vec<(Option<KeyTemplate>, &Expr)> = operands
                .iter()
                .rev()
                .map(|operand| (key_template(operand, env, depth), *operand))
                .collect();
            if parts.iter().all(|(part, _)| part.is_none()) {
                return None;
            }
            let mut template = KeyTemplate::default();
            for (part, operand) in parts {
                template.append(part.unwrap_or_else(|| KeyTemplate::hole(hole_for(operand))));
            }
            template.versioned |= operands.iter().any(|operand| reads_version(operand));
            Some(template)
        }
        Expr::BinOp(binop) if binop.op == Operator::Mod => match binop.left.as_ref() {
            Expr::StringLiteral(format) => {
                let mut template = KeyTemplate::from_percent_format(format.value.to_str());
                template.versioned = match binop.right.as_ref() {
                    Expr::Tuple(values) => values.elts.iter().any(reads_version),
                    value => reads_version(value),
                };
                Some(template)
            }
            _ => None,
        },
        Expr::Call(call) => {
            if qualified_name(&call.func, env).as_deref() == Some(FRAGMENT_KEY) {
                let name = call.arguments.args.first().and_then(string_literal)?;
                return Some(KeyTemplate::fragment(&name));
            }
            format_template(call)
        }
        Expr::Name(name) => match env.lookup(name.id.as_str())? {
            [binding] => match binding.value_shape()? {
                Shape::Constant(Constant::Str(text)) => Some(KeyTemplate::literal(text)),
                Shape::Template(template) => Some(template.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}
