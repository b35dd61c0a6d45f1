//! Calls that matter: Django cache calls, signal connections, and writes that bypass
//! `save()` signals.

use ruff_python_ast::{self as ast, Expr};

use super::Extractor;
use crate::facts::eval::{
    constant, is_computed, key_source, model_ref, qualified_name, queryset_source, string_literal,
    MANAGER_ATTRIBUTES,
};
use crate::facts::keys::{KeySource, KeyTemplate};
use crate::facts::scope::{Binding, Env};
use crate::facts::shape::{Constant, ManagerOrigin, ModelRef, Shape};
use crate::facts::syntax::{argument, elements, has_unpacking, keyword};
use crate::facts::view_facts::{
    is_single_row, locks_rows, query_call, query_kind, QueryCall, QueryUse, UrlconfCall,
};
use crate::facts::{
    ArgumentValue, BulkKind, BulkWrite, CacheCall, CacheKey, CacheOp, GivenArgument,
    HelperArgument, HelperCall, MemoCache, ParameterCacheCall, ReceiverFact, Signal, Snippet,
    StoredValue, Timeout, WrapperCall,
};

impl Extractor<'_> {
    /// Calls inside a view's body that matter to caching its response.
    fn inspect_view_call(&mut self, call: &ast::ExprCall, qualified: Option<&str>, env: &Env<'_>) {
        self.update_view_body(|walk, body| {
            let (in_branch, self_method) = (walk.in_branch(), walk.self_method(call));
            walk.views()
                .inspect_view_call(call, qualified, env, in_branch, self_method, body)
        });
    }

    /// `path(...)` routes, and at module level the calls that shape the URLconf.
    fn inspect_route(&mut self, call: &ast::ExprCall, qualified: Option<&str>, env: &Env<'_>) {
        let at_module_level = self.current_function().is_none();
        let views = self.views();
        let urlconf = at_module_level
            .then(|| views.urlconf_call(call, qualified, env))
            .flatten();
        let route = views.route(call, qualified, env, at_module_level);
        match urlconf {
            Some(UrlconfCall::Include(module)) => self.facts.url_includes.push(module),
            Some(UrlconfCall::WrapsUrlpatterns(evidence)) => {
                self.facts.urlpatterns_wrapped.get_or_insert(evidence);
            }
            None => {}
        }
        self.facts.routes.extend(route);
    }

    /// `MIDDLEWARE.append(...)` and changes to `TEMPLATES`, at module level.
    fn inspect_middleware_call(&mut self, call: &ast::ExprCall) {
        if self.current_function().is_some() {
            return;
        }
        if let Expr::Attribute(method) = call.func.as_ref() {
            self.inspect_templates_change(&method.value);
        }
        if let Some(added) = self.views().middleware_call(call) {
            self.record_middleware_entries(added);
        }
    }

    /// A query in a function's body: the first one, and the ones worth caching.
    fn inspect_query(&mut self, call: &ast::ExprCall, qualified: Option<&str>, env: &Env<'_>) {
        let Some(body) = self.view_body() else { return };
        let has_query = body.query.is_some();
        let (name, receiver) = match query_call(call, qualified) {
            None => return,
            Some(QueryCall::Embedding) => {
                self.record_query_arguments(call);
                return;
            }
            Some(QueryCall::Evaluating(argument)) => {
                if let Some(argument) = argument {
                    self.record_evaluated(argument);
                }
                return;
            }
            Some(QueryCall::Shortcut) => {
                if !has_query {
                    let evidence = self.views().evidence(call);
                    self.view_body_mut(|body| body.query = Some(evidence));
                }
                return;
            }
            Some(QueryCall::Method { name, receiver }) => (name, receiver),
        };
        if self.in_query_argument(call) {
            return;
        }
        self.record_query_arguments(call);
        let Some(body) = self.view_body() else { return };
        let per_item = self.in_loop();
        let kind = query_kind(call, name, per_item, self.is_evaluated(call), env);
        // A query correlated with an outer one (`OuterRef`) only runs inside it.
        let correlated = self.locator.text(call).contains("OuterRef(");
        let range = ruff_text_size::Ranged::range(call);
        let in_reported_chain = body
            .expensive_queries
            .iter()
            .any(|found| found.range.contains_range(range));
        if (kind.is_none() && has_query)
            || in_reported_chain
            || correlated
            || !self.evaluator().eval(receiver, env, 0).is_query()
        {
            return;
        }
        let must_be_fresh = if body.changes_state.is_some() {
            Some("it runs after a write in the same function")
        } else if self.in_atomic() {
            Some("it runs inside `transaction.atomic()`")
        } else if locks_rows(call) {
            Some("it locks rows with `select_for_update()`")
        } else {
            None
        }
        .map(str::to_string);
        let evidence = self.views().evidence(call);
        let found = kind.map(|kind| QueryUse {
            text: evidence.text.clone(),
            span: self.locator.span(call),
            range,
            kind,
            per_item,
            shared_inputs: self.shared_values().shared_call(call, env, 0),
            must_be_fresh,
            single_row: is_single_row(call, name),
        });
        self.view_body_mut(|body| {
            if body.query.is_none() {
                body.query = Some(evidence);
            }
            body.expensive_queries.extend(found);
        });
    }

    pub(super) fn inspect_call(&mut self, call: &ast::ExprCall, env: &Env<'_>) {
        let qualified = qualified_name(&call.func, env);
        self.inspect_view_call(call, qualified.as_deref(), env);
        self.inspect_route(call, qualified.as_deref(), env);
        self.inspect_query(call, qualified.as_deref(), env);
        self.inspect_middleware_call(call);
        self.record_passed_functions(call, env);
        if let Some(project) = qualified.as_deref().filter(|q| env.is_project_name(q)) {
            if !self.in_tests
                && may_be_helper(project)
                && !self.record_helper_call(call, project, env)
            {
                self.facts.unseen_calls.push(project.to_string());
            }
            self.record_call(project.to_string());
        } else if let Some(method) = self.self_method(call) {
            self.record_call(method);
        }
        self.record_deferred_calls(call, qualified.as_deref(), env);
        if qualified.as_deref() == Some("builtins.isinstance") {
            if let (Some(Expr::Name(subject)), Some(models)) =
                (call.arguments.args.first(), call.arguments.args.get(1))
            {
                if subject.id.as_str() == "instance" {
                    self.record_dispatch(models, env);
                }
            }
        }
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let name = method.attr.as_str();
        if name == "connect" {
            self.record_connect(call, &method.value, env);
        }
        if let Some((op, _)) = CacheOp::from_method(name) {
            if let Some(alias) = self.django_cache(&method.value, env) {
                self.record_cache_call(call, method, op, alias, None, env);
                return;
            }
            if let Some(imported) = imported_project_name(&method.value, env) {
                self.record_cache_call(call, method, op, None, Some(imported), env);
            }
        }
        self.record_bulk_write(call, method, env);
    }

    /// Code a call runs later or elsewhere, recorded as calls of the enclosing function: a
    /// Celery task queued with `.delay()`/`.apply_async()`/`.s()`, a function handed to
    /// `transaction.on_commit()`, a signal sent by hand (`post_save.send(...)`, recorded
    /// by the signal's name), and a method called on some other object (kept for the
    /// function's bulk writes only, as `?.name`, which the index matches against the
    /// project's methods of that name).
    fn record_deferred_calls(
        &mut self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        env: &Env<'_>,
    ) {
        if qualified == Some("django.db.transaction.on_commit") {
            let callback = argument(call, 0, "func");
            let target = match callback {
                Some(Expr::Call(partial))
                    if qualified_name(&partial.func, env).as_deref()
                        == Some("functools.partial") =>
                {
                    partial.arguments.args.first()
                }
                other => other,
            };
            if let Some(target) = target {
                if let Some(name) = self.callable_name(target, env) {
                    self.record_call(name);
                }
            }
            return;
        }
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let name = method.attr.as_str();
        if matches!(name, "delay" | "apply_async" | "s" | "si" | "signature") {
            if let Some(task) = self.callable_name(&method.value, env) {
                self.record_call(task);
            }
        } else if matches!(name, "send" | "send_robust") {
            if let Some(signal) =
                qualified_name(&method.value, env).filter(|q| Signal::from_qualified(q).is_some())
            {
                self.record_call(signal);
            }
        } else if qualified.is_none()
            && !COMMON_METHODS.contains(&name)
            && !matches!(method.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self")
        {
            self.record_unknown_method(name);
        }
    }

    /// The project function or `self` method an expression names, uncalled.
    fn callable_name(&self, expr: &Expr, env: &Env<'_>) -> Option<String> {
        self.self_attribute(expr)
            .or_else(|| qualified_name(expr, env).filter(|q| env.is_project_name(q)))
    }

    /// `self.method(...)` inside a class body: the method's dotted name.
    pub(super) fn self_method(&self, call: &ast::ExprCall) -> Option<String> {
        self.self_attribute(&call.func)
    }

    /// `self.name` inside a class body: the dotted name of the class's `name`.
    fn self_attribute(&self, expr: &Expr) -> Option<String> {
        let Expr::Attribute(attribute) = expr else {
            return None;
        };
        let on_self = matches!(attribute.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self");
        let class = self.current_class()?;
        on_self.then(|| format!("{class}.{}", attribute.attr))
    }

    fn record_cache_call(
        &mut self,
        call: &ast::ExprCall,
        method: &ast::ExprAttribute,
        op: CacheOp,
        alias: Option<String>,
        imported_receiver: Option<String>,
        env: &Env<'_>,
    ) {
        let keys = self.keys(op, call, env);
        let wrapper = configured_object(method.value.as_ref(), env).map(|object| WrapperCall {
            object,
            timeout_position: op.timeout_position().filter(|&position| {
                call.arguments.args.len() > position
                    && !call.arguments.args[..=position]
                        .iter()
                        .any(Expr::is_starred_expr)
            }),
        });
        let timeout = match op.timeout_position() {
            Some(position) => match argument(call, position, "timeout") {
                Some(timeout) => Timeout::Given {
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
        let receiver = self.locator.snippet(method.value.as_ref());
        let span = self.locator.span(call);
        // What a write stores: the value of `set`/`add`, the default of `get_or_set`.
        let written = match op {
            CacheOp::Set | CacheOp::Add => argument(call, 1, "value"),
            CacheOp::GetOrSet => argument(call, 1, "default"),
            _ => None,
        };
        let timeout_expr = op
            .timeout_position()
            .and_then(|position| argument(call, position, "timeout"));
        let single_key = !matches!(
            op,
            CacheOp::GetMany
                | CacheOp::DeleteMany
                | CacheOp::SetMany
                | CacheOp::Clear
                | CacheOp::Close
        );
        let key_name = if op == CacheOp::DeletePattern {
            "pattern"
        } else {
            "key"
        };
        let key_parameter = argument(call, 0, key_name)
            .filter(|_| single_key)
            .and_then(|key| self.given_parameter(key));
        let value_parameter = written.and_then(|value| self.given_parameter(value));
        let timeout_parameter = timeout_expr.and_then(|timeout| self.given_parameter(timeout));
        if key_parameter.is_some() || value_parameter.is_some() || timeout_parameter.is_some() {
            self.record_parameter_cache_call(ParameterCacheCall {
                op,
                method: method.attr.to_string(),
                receiver: receiver.clone(),
                alias: alias.clone(),
                span: span.clone(),
                key: key_parameter,
                value: value_parameter,
                own_timeout: if timeout_parameter.is_some() {
                    Timeout::Unknown
                } else {
                    timeout.clone()
                },
                timeout: timeout_parameter,
            });
        }
        if let Some(value) = written {
            let memo = || MemoCache {
                op,
                method: method.attr.to_string(),
                receiver: receiver.clone(),
                alias: alias.clone(),
                line: span.line,
                applied_by_call: false,
                timeout: timeout.clone(),
                timeout_parameter: None,
            };
            self.record_memo_write(value, timeout_expr, memo);
        }
        match op {
            CacheOp::Set | CacheOp::Add => {
                if let Some(value) = argument(call, 1, "value") {
                    stored.push(self.stored(self.evaluator().eval(value, env, 0), value));
                }
            }
            CacheOp::SetMany => {
                if let Some(data) = argument(call, 0, "data") {
                    stored.push(self.stored(self.evaluator().eval(data, env, 0), data));
                }
            }
            CacheOp::GetOrSet => {
                if let Some(default) = argument(call, 1, "default") {
                    stored.push(
                        self.stored(self.evaluator().stored_by_default(default, env), default),
                    );
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
        // A delete through an imported name counts once the index knows the name is a
        // cache; a view that may use a cache is not one that caches nothing (CA502).
        if op.invalidates() && imported_receiver.is_none() {
            self.record_cache_touch();
        }
        self.view_body_mut(|body| body.uses_cache = true);
        self.facts.cache_calls.push(CacheCall {
            op,
            method: method.attr.to_string(),
            receiver,
            alias,
            span,
            keys,
            timeout,
            stored,
            eager_default,
            in_async_def: self.async_def(),
            in_generator: self.call_site.in_generator,
            function: self.current_function().map(str::to_string),
            per_item: self.per_item(call),
            wrapper,
            imported_receiver,
            through: None,
            keys_from_callers: false,
        });
    }

    /// A call to a project function, if an argument would matter were the function to
    /// cache it (a key, a QuerySet, a model's data, a timeout) or passes on a parameter
    /// of the calling function; the index checks what the function caches.
    /// Returns whether it was recorded.
    fn record_helper_call(&mut self, call: &ast::ExprCall, function: &str, env: &Env<'_>) -> bool {
        let mut arguments = Vec::new();
        let mut positional = 0;
        for argument in &call.arguments.args {
            if argument.is_starred_expr() {
                break;
            }
            arguments.push((Some(positional), None, argument));
            positional += 1;
        }
        for keyword in &call.arguments.keywords {
            if let Some(name) = &keyword.arg {
                arguments.push((None, Some(name.to_string()), &keyword.value));
            }
        }
        // Only a call passing a parameter on is kept on the first pass over the files,
        // which finds the helpers; the second keeps the calls to them.
        let to_helper = env.may_be_helper(function);
        let forwards = arguments
            .iter()
            .any(|(_, _, argument)| self.given_parameter(argument).is_some());
        if !forwards && !to_helper {
            return false;
        }
        let mut recorded = Vec::new();
        for (position, keyword, argument) in arguments {
            let value = if let Some(parameter) = self.given_parameter(argument) {
                ArgumentValue::Parameter(parameter)
            } else if !to_helper {
                continue;
            } else {
                let key = key_source(argument, env);
                let shape = self.evaluator().eval(argument, env, 0);
                let shape = shape.is_interesting().then_some(shape);
                let constant = constant(argument, env, 0)
                    .filter(|c| matches!(c, Constant::None | Constant::Number(_)));
                if matches!(key, KeySource::Unknown) && shape.is_none() && constant.is_none() {
                    continue;
                }
                ArgumentValue::Given(Box::new(GivenArgument {
                    text: self.locator.snippet(argument),
                    span: self.locator.span(argument),
                    key,
                    shape,
                    constant,
                    computed: is_computed(argument, env),
                }))
            };
            recorded.push(HelperArgument {
                position,
                keyword,
                value,
            });
        }
        if recorded.is_empty() {
            return false;
        }
        if forwards {
            self.record_forwarded_parameter();
        }
        self.facts.helper_calls.push(HelperCall {
            function: function.to_string(),
            caller: self.current_function().map(str::to_string),
            call: format!("{}()", self.locator.snippet(call.func.as_ref())),
            span: self.locator.span(call),
            positional,
            keywords: call
                .arguments
                .keywords
                .iter()
                .filter_map(|k| k.arg.as_ref().map(|a| a.to_string()))
                .collect(),
            unpacked: has_unpacking(call),
            arguments: recorded,
        });
        true
    }

    /// Project names passed as arguments (`partial(forget, key)`, `map(remember, ...)`):
    /// what the callee does with them is not followed.
    fn record_passed_functions(&mut self, call: &ast::ExprCall, env: &Env<'_>) {
        let arguments = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value));
        for argument in arguments {
            self.record_function_values(argument, env);
        }
    }

    /// Project names used as values (`WRITERS = {"default": remember}`, `return forget`,
    /// an argument), directly or as items of a display: calls made through them are not
    /// read.
    pub(super) fn record_function_values(&mut self, value: &Expr, env: &Env<'_>) {
        if self.in_tests {
            return;
        }
        let items: Vec<&Expr> = match value {
            Expr::Starred(starred) => vec![starred.value.as_ref()],
            Expr::Dict(dict) => dict.items.iter().map(|item| &item.value).collect(),
            Expr::List(list) => list.elts.iter().collect(),
            Expr::Tuple(tuple) => tuple.elts.iter().collect(),
            Expr::Set(set) => set.elts.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if matches!(item, Expr::Name(_) | Expr::Attribute(_)) {
                if let Some(name) = qualified_name(item, env).filter(|q| env.is_project_name(q)) {
                    self.facts.unseen_calls.push(name);
                }
            }
        }
    }

    fn stored(&self, shape: Shape, expr: &Expr) -> StoredValue {
        StoredValue {
            shape,
            span: self.locator.span(expr),
        }
    }

    fn keys(&self, op: CacheOp, call: &ast::ExprCall, env: &Env<'_>) -> Vec<CacheKey> {
        let key_exprs: Vec<&Expr> = match op {
            // A comprehension's element stands for every key it makes.
            CacheOp::GetMany | CacheOp::DeleteMany => match argument(call, 0, "keys") {
                Some(Expr::List(list)) => list.elts.iter().collect(),
                Some(Expr::Tuple(tuple)) => tuple.elts.iter().collect(),
                Some(Expr::Set(set)) => set.elts.iter().collect(),
                Some(Expr::ListComp(comprehension)) => vec![comprehension.elt.as_ref()],
                Some(Expr::SetComp(comprehension)) => vec![comprehension.elt.as_ref()],
                Some(Expr::Generator(comprehension)) => vec![comprehension.elt.as_ref()],
                _ => Vec::new(),
            },
            CacheOp::SetMany => match argument(call, 0, "data") {
                Some(Expr::Dict(dict)) => {
                    dict.items.iter().filter_map(|i| i.key.as_ref()).collect()
                }
                Some(Expr::DictComp(comprehension)) => {
                    comprehension.key.as_deref().into_iter().collect()
                }
                _ => Vec::new(),
            },
            CacheOp::DeletePattern => argument(call, 0, "pattern").into_iter().collect(),
            CacheOp::Clear | CacheOp::Close => Vec::new(),
            _ => argument(call, 0, "key").into_iter().collect(),
        };
        let is_pattern = op == CacheOp::DeletePattern;
        key_exprs
            .into_iter()
            .map(|expr| CacheKey {
                source: match key_source(expr, env) {
                    KeySource::Template(glob) if is_pattern => {
                        KeySource::Template(KeyTemplate::from_glob(&glob))
                    }
                    source => source,
                },
                is_pattern,
                text: self.locator.snippet(expr),
                span: self.locator.span(expr),
            })
            .collect()
    }

    /// The cache alias when `expr` is a Django cache: `Some(None)` when the alias is unknown.
    pub(super) fn django_cache(&self, expr: &Expr, env: &Env<'_>) -> Option<Option<String>> {
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
                        Binding::Qualified(q) if env.is_cache_object(q) => aliases.push(None),
                        // `except ImportError: cache = None`: calls on None never run.
                        Binding::Value(shape) if shape.constant() == Some(&Constant::None) => {}
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
            Expr::Attribute(attribute) if matches!(attribute.value.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls")) => {
                self.class_cache(attribute.attr.as_str())
            }
            Expr::Attribute(_) => {
                let qualified = qualified_name(expr, env)?;
                if qualified == CACHE {
                    Some(Some("default".to_string()))
                } else if let Some(alias) = self.module_class_cache(&qualified) {
                    Some(alias)
                } else {
                    env.is_cache_object(&qualified).then_some(None)
                }
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

    /// `post_save.connect(handler, sender=Post)`.
    fn record_connect(&mut self, call: &ast::ExprCall, signal: &Expr, env: &Env<'_>) {
        let Some(handler) = argument(call, 0, "receiver").and_then(|h| self.handler_name(h, env))
        else {
            return;
        };
        let senders = keyword(call, "sender").map(|s| model_ref(s, env).into_iter().collect());
        let signals = match qualified_name(signal, env) {
            Some(name) => match Signal::from_qualified(&name) {
                Some(signal) => vec![signal],
                None => {
                    if keyword(call, "sender").is_some() {
                        self.facts.other_receivers.push(handler);
                    }
                    return;
                }
            },
            // `for signal in (post_save, post_delete): signal.connect(...)`: any of the
            // model signals, or another one.
            None => {
                self.facts.other_receivers.push(handler.clone());
                vec![
                    Signal::PreSave,
                    Signal::PostSave,
                    Signal::PreDelete,
                    Signal::PostDelete,
                ]
            }
        };
        self.facts.receivers.push(ReceiverFact {
            handler,
            signals,
            senders,
            span: self.locator.span(call),
        });
    }

    /// `@receiver(post_save, sender=Post)` on the function named `handler`.
    pub(super) fn record_receiver_decorator(
        &mut self,
        decorator: &ast::Decorator,
        handler: &str,
        env: &Env<'_>,
    ) {
        let Expr::Call(call) = &decorator.expression else {
            return;
        };
        let is_receiver = qualified_name(&call.func, env).is_some_and(|q| {
            q == "django.dispatch.receiver" || q == "django.dispatch.dispatcher.receiver"
        });
        if !is_receiver {
            return;
        }
        let signal_exprs = argument(call, 0, "signal").map_or(&[][..], elements);
        let mut signals: Vec<Signal> = signal_exprs
            .iter()
            .filter_map(|s| qualified_name(s, env).and_then(|q| Signal::from_qualified(&q)))
            .collect();
        signals.sort();
        signals.dedup();
        if signals.is_empty() {
            if keyword(call, "sender").is_some() {
                self.facts.other_receivers.push(handler.to_string());
            }
            return;
        }
        let senders = keyword(call, "sender").map(|s| model_ref(s, env).into_iter().collect());
        self.facts.receivers.push(ReceiverFact {
            handler: handler.to_string(),
            signals,
            senders,
            span: self.locator.span(decorator),
        });
    }

    fn handler_name(&self, handler: &Expr, env: &Env<'_>) -> Option<String> {
        if let Expr::Name(name) = handler {
            if let Some([binding]) = env.lookup(name.id.as_str()) {
                if let Some(Shape::Callable { .. }) = binding.value_shape() {
                    return Some(self.nested_name(name.id.as_str()));
                }
            }
        }
        qualified_name(handler, env).filter(|q| env.is_project_name(q))
    }

    /// `Post.objects.filter(...).update(...)`, `bulk_create`, `bulk_update`, a QuerySet's
    /// `delete()`, and `add`/`remove`/`clear` on a related manager.
    fn record_bulk_write(
        &mut self,
        call: &ast::ExprCall,
        method: &ast::ExprAttribute,
        env: &Env<'_>,
    ) {
        let kind = match method.attr.as_str() {
            "update" | "aupdate" => BulkKind::Update,
            "bulk_create" | "abulk_create" => BulkKind::BulkCreate,
            "bulk_update" | "abulk_update" => BulkKind::BulkUpdate,
            "delete" | "adelete" => BulkKind::QuerySetDelete,
            "add" | "remove" | "clear" | "aadd" | "aremove" | "aclear" => BulkKind::ReverseRelated,
            _ => return,
        };
        let Some(ManagerOrigin::Model(model)) =
            queryset_source(&self.evaluator().eval(&method.value, env, 0))
        else {
            return;
        };
        if kind == BulkKind::ReverseRelated {
            let bulk_false =
                matches!(keyword(call, "bulk"), Some(Expr::BooleanLiteral(b)) if !b.value);
            let related = matches!(model, ModelRef::Attribute(_) | ModelRef::ReverseAccessor(_));
            if bulk_false || !related {
                return;
            }
        }
        let index = self.facts.bulk_writes.len();
        self.facts.bulk_writes.push(BulkWrite {
            kind,
            model,
            text: self.locator.snippet(call),
            span: self.locator.span(call),
            cache_touched_in_function: false,
            function_calls: Vec::new(),
            fields: written_fields(kind, call),
        });
        self.record_bulk_write_in_function(index);
    }
}

/// Methods of models, managers, QuerySets and builtins: a call of one of these on an
/// object of unknown class says nothing about which project method runs.
const COMMON_METHODS: &[&str] = &[
    "save",
    "delete",
    "update",
    "create",
    "get",
    "set",
    "add",
    "remove",
    "clear",
    "pop",
    "append",
    "extend",
    "insert",
    "filter",
    "exclude",
    "all",
    "first",
    "last",
    "count",
    "exists",
    "values",
    "values_list",
    "order_by",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "refresh_from_db",
    "full_clean",
    "clean",
    "items",
    "keys",
    "copy",
    "format",
    "join",
    "split",
    "strip",
    "replace",
    "send",
    "run",
    "execute",
    "close",
    "open",
    "read",
    "write",
    "process",
    "handle",
    "call",
];

/// The fields a bulk write sets, when the call spells them out: `update()`'s keywords (not
/// `**values`), `bulk_update()`'s field list.
fn written_fields(kind: BulkKind, call: &ast::ExprCall) -> Option<Vec<String>> {
    match kind {
        BulkKind::Update => call
            .arguments
            .keywords
            .iter()
            .map(|keyword| keyword.arg.as_ref().map(|name| name.to_string()))
            .collect(),
        BulkKind::BulkUpdate => match argument(call, 1, "fields")? {
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                elts.iter().map(string_literal).collect()
            }
            _ => None,
        },
        _ => None,
    }
}

/// The dotted name of the `cache-objects` wrapper an expression names, if it names one.
fn configured_object(expr: &Expr, env: &Env<'_>) -> Option<String> {
    named_object(expr, env).filter(|qualified| env.is_cache_object(qualified))
}

/// The dotted name an expression names an object by: a name bound to one (an import,
/// a module-level name) or a dotted attribute.
fn named_object(expr: &Expr, env: &Env<'_>) -> Option<String> {
    match expr {
        Expr::Name(name) => match env.lookup(name.id.as_str())? {
            [Binding::Qualified(qualified)] => Some(qualified.clone()),
            _ => None,
        },
        Expr::Attribute(_) => qualified_name(expr, env),
        _ => None,
    }
}

/// The dotted name of a project-module object an expression names through an import
/// (`process_cache`, `caching.process_cache`), which may be a cache that module binds.
fn imported_project_name(expr: &Expr, env: &Env<'_>) -> Option<String> {
    // `Post.objects.get(...)` is the ORM, not a cache: the most common look-alike.
    if matches!(expr, Expr::Attribute(attribute) if MANAGER_ATTRIBUTES.contains(&attribute.attr.as_str()))
    {
        return None;
    }
    // `get_cache().set(...)`: a cache if that function returns one.
    if let Expr::Call(call) = expr {
        return qualified_name(&call.func, env)
            .filter(|qualified| env.is_project_name(qualified))
            .map(|qualified| format!("{qualified}()"));
    }
    named_object(expr, env).filter(|qualified| env.is_project_name(qualified))
}

/// Whether a project name may be a function whose parameters a cache call takes: not a
/// class (its constructor takes `self`) nor something reached through one (`Model.
/// objects.get`, a method).
fn may_be_helper(name: &str) -> bool {
    !name
        .split('.')
        .skip(1)
        .any(|part| part.starts_with(|c: char| c.is_ascii_uppercase()))
}
