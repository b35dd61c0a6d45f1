//! Cache calls made through the project's own functions. A function whose cache call
//! takes its key, value or timeout from a parameter (`def remember(key, value,
//! timeout=None): cache.set(key, value, timeout)`) caches what its callers pass there;
//! a function that passes its parameters on to such a function does too, however many
//! calls deep. Each call site that decides one of those parts (an argument, or a
//! parameter's default when the argument is left out) becomes a cache call of its own,
//! located there, which every rule then judges as if it were written there. What a call
//! site does not decide (an argument from `*args`/`**kwargs`, one decided deeper down)
//! stays unknown.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::ProjectIndex;
use crate::facts::keys::{KeySource, KeyTemplate};
use crate::facts::last_name;
use crate::facts::shape::Shape;
use crate::facts::span::Span;
use crate::facts::{
    ArgumentValue, CacheCall, CacheKey, CacheOp, FunctionFact, GivenArgument, HelperCall,
    Parameter, ParameterCacheCall, Snippet, StoredValue, Through, Timeout,
};

/// How many project calls deep a cache call is followed.
const MAX_DEPTH: usize = 8;

/// A cache call some function makes, directly or through the functions it calls, with
/// the parts the function's callers still decide.
#[derive(Clone)]
struct Pending<'a> {
    call: &'a ParameterCacheCall,
    /// The function making the cache call, and its file.
    helper: &'a str,
    path: &'a str,
    key: Slot,
    value: Slot,
    timeout: Slot,
}

/// A part of a cache call: decided by the caller's argument for this parameter, or
/// already decided (or not taken from a parameter at all); a timeout decided by a call
/// deeper down is carried to the call sites that decide the key and value.
#[derive(Clone)]
enum Slot {
    Parameter(String),
    Decided,
    Carried(Timeout),
}

/// What a call site passes for a parameter.
enum Passed<'a> {
    /// A parameter of the calling function, passed on.
    Parameter(&'a str),
    /// A value the call site gives (or the parameter's default): judged there.
    Here(Located<'a>),
    /// Something the analysis cannot read, or nothing.
    Unknown,
}

#[derive(Clone, Copy)]
enum Located<'a> {
    Argument(&'a GivenArgument),
    Default(&'a Timeout),
}

/// The cache calls made at call sites of project functions, by file, and the helpers'
/// own cache calls (file, span) whose keys those give.
struct HelperCacheCalls {
    made: Vec<(usize, CacheCall)>,
    keys_from_callers: Vec<(usize, Span)>,
}

impl ProjectIndex {
    /// Adds, to each file, the cache calls its calls to project functions make.
    /// A cache call whose key is a parameter has its keys from its callers when every
    /// call of its function, and of the functions passing their own parameter on to it,
    /// is read; otherwise it stays a write of an unknown key.
    pub(super) fn add_helper_cache_calls(&mut self) {
        let HelperCacheCalls {
            made,
            keys_from_callers,
        } = self.helper_cache_calls();
        for (f, call) in made.into_iter().chain(self.memoised_calls()) {
            self.files[f].facts.cache_calls.push(call);
        }
        for (f, span) in keys_from_callers {
            for call in &mut self.files[f].facts.cache_calls {
                if call.span == span && call.through.is_none() {
                    call.keys_from_callers = true;
                }
            }
        }
    }

    /// What memoising decorators cache: the decorated function's result, written where
    /// the decorator is applied, with the timeout the decorator's arguments (or its
    /// defaults) give.
    fn memoised_calls(&self) -> Vec<(usize, CacheCall)> {
        let mut made = Vec::new();
        for (f, file) in self.files.iter().enumerate().filter(|(_, f)| !f.is_test) {
            for decorated in &file.facts.decorated {
                let Some((helper_file, fact)) = self.function_fact_in_file(&decorated.decorator)
                else {
                    continue;
                };
                let Some(memo) = fact.memoises.as_ref().filter(|m| {
                    !helper_file.is_test && m.applied_by_call == decorated.arguments.is_some()
                }) else {
                    continue;
                };
                let factory_call = file
                    .facts
                    .helper_calls
                    .iter()
                    .find(|call| call.span == decorated.span);
                let timeout = match (&memo.timeout_parameter, factory_call) {
                    (None, _) => memo.timeout.clone(),
                    (Some(parameter), Some(call)) => match passed_for(call, parameter) {
                        Passed::Here(located) => located.into_timeout(&decorated.span),
                        Passed::Parameter(_) | Passed::Unknown => Timeout::Unknown,
                    },
                    // No argument worth recording: none at all, or only unread ones.
                    (Some(parameter), None) => match (&parameter.default, decorated.arguments) {
                        (Some(default), Some(0)) => {
                            Located::Default(default).into_timeout(&decorated.span)
                        }
                        _ => Timeout::Unknown,
                    },
                };
                let name = last_name(&decorated.function);
                let through = Through {
                    call: decorated.text.clone(),
                    helper: fact.qualified_name.clone(),
                    cache_call: format!("{}.{}()", memo.receiver, memo.method),
                    path: helper_file.path.clone(),
                    line: memo.line,
                    timeout_inside: false,
                };
                let stored = StoredValue {
                    // Awaited: the wrapper of an `async def` awaits it.
                    shape: Shape::CallResult {
                        function: decorated.function.clone(),
                        text: format!("{name}()"),
                        awaited: true,
                    },
                    span: decorated.span.clone(),
                };
                let made_call = CacheCall::made_through(
                    memo.op,
                    memo.method.clone(),
                    memo.receiver.clone(),
                    memo.alias.clone(),
                    decorated.span.clone(),
                    through,
                );
                made.push((
                    f,
                    CacheCall {
                        timeout,
                        stored: vec![stored],
                        ..made_call
                    },
                ));
            }
        }
        made
    }

    /// The cache calls the project's calls to its own functions make, by file, and the
    /// cache calls (file, span) whose keys those calls give.
    fn helper_cache_calls<'s>(&'s self) -> HelperCacheCalls {
        let mut pending: HashMap<&str, Vec<Pending<'_>>> = HashMap::default();
        let mut made: Vec<(usize, CacheCall)> = Vec::new();
        // Every function that may pass a parameter on, called or not.
        for file in self.files.iter().filter(|file| !file.is_test) {
            for fact in &file.facts.function_facts {
                if !fact.parameters.is_empty() {
                    self.pending_for(&fact.qualified_name, &mut pending, &mut Vec::new());
                }
            }
        }
        for (f, file) in self.files.iter().enumerate() {
            if file.is_test {
                continue;
            }
            for call in &file.facts.helper_calls {
                let mut in_progress = Vec::new();
                let ops = self.pending_for(&call.function, &mut pending, &mut in_progress);
                for op in &ops {
                    if let Some(cache_call) = self.located_call(call, op) {
                        made.push((f, cache_call));
                    }
                }
            }
        }
        // Functions by their own dotted name, however the calls name them, and whether the
        // name is an attribute of one: `remember.delay` is a call of `remember` too.
        let canonical = |name: &'s str| -> Option<(&'s str, bool)> {
            let mut current = name;
            for depth in 0..3 {
                if let Some(fact) = self.function_fact(current) {
                    return Some((fact.qualified_name.as_str(), depth > 0));
                }
                current = current.rsplit_once('.')?.0;
            }
            None
        };
        let production = || self.files.iter().filter(|file| !file.is_test);
        let mut unseen: HashSet<&str> = HashSet::default();
        // Names no function answers to (a re-export, a name built elsewhere): any
        // function of that last name may be called through them.
        let mut unresolved: HashSet<&str> = HashSet::default();
        let named = production()
            .flat_map(|file| file.facts.unseen_calls.iter())
            .map(|name| (name.as_str(), true))
            .chain(
                production()
                    .flat_map(|file| file.facts.helper_calls.iter())
                    .map(|call| (call.function.as_str(), false)),
            );
        let mut called: HashSet<&str> = HashSet::default();
        for (name, is_unseen) in named {
            match canonical(name) {
                Some((function, attribute)) if is_unseen || attribute => {
                    unseen.insert(function);
                }
                Some((function, _)) => {
                    called.insert(function);
                }
                None => {
                    unresolved.extend(name.split('.'));
                }
            }
        }
        // Called in the project, and only where the call is read: a function no code here
        // calls may be called from anywhere.
        let read = |name: &str| {
            called.contains(name) && !unseen.contains(name) && !unresolved.contains(last_name(name))
        };
        let mut from_callers = Vec::new();
        for (f, file) in self.files.iter().enumerate().filter(|(_, f)| !f.is_test) {
            for fact in &file.facts.function_facts {
                for call in fact
                    .parameter_cache_calls
                    .iter()
                    .filter(|c| c.key.is_some())
                {
                    let mut forwarders = pending.iter().filter(|(_, ops)| {
                        ops.iter().any(|op| {
                            std::ptr::eq(op.call, call) && matches!(op.key, Slot::Parameter(_))
                        })
                    });
                    if forwarders.all(|(name, _)| read(name)) && read(&fact.qualified_name) {
                        from_callers.push((f, call.span.clone()));
                    }
                }
            }
        }
        HelperCacheCalls {
            made,
            keys_from_callers: from_callers,
        }
    }

    /// The cache calls `function` makes with parts its callers decide; a function
    /// already being followed (recursion) adds none.
    fn pending_for<'a>(
        &'a self,
        function: &str,
        memo: &mut HashMap<&'a str, Vec<Pending<'a>>>,
        in_progress: &mut Vec<&'a str>,
    ) -> Vec<Pending<'a>> {
        let Some((file, fact)) = self.function_fact_in_file(function) else {
            return Vec::new();
        };
        if file.is_test || fact.parameters.is_empty() {
            return Vec::new();
        }
        let name = fact.qualified_name.as_str();
        if let Some(known) = memo.get(name) {
            return known.clone();
        }
        if in_progress.contains(&name) || in_progress.len() >= MAX_DEPTH {
            return Vec::new();
        }
        in_progress.push(name);
        let slot = |parameter: &Option<String>| match parameter {
            Some(parameter) => Slot::Parameter(parameter.clone()),
            None => Slot::Decided,
        };
        // Calls on an imported name the index found to be no cache are no cache calls.
        let confirmed = |call: &&ParameterCacheCall| {
            file.facts
                .cache_calls
                .iter()
                .any(|made| made.span == call.span)
        };
        let mut ops: Vec<Pending<'a>> = fact
            .parameter_cache_calls
            .iter()
            .filter(confirmed)
            .map(|call| Pending {
                call,
                helper: name,
                path: &file.path,
                key: slot(&call.key),
                value: slot(&call.value),
                timeout: match &call.timeout {
                    Some(parameter) => Slot::Parameter(parameter.clone()),
                    None => Slot::Carried(call.own_timeout.clone()),
                },
            })
            .collect();
        let forwarded = file
            .facts
            .helper_calls
            .iter()
            .filter(|call| call.caller.as_deref() == Some(name));
        for call in forwarded {
            let Some(callee) = self.function_fact(&call.function) else {
                continue;
            };
            for op in self.pending_for(&call.function, memo, in_progress) {
                let through = |slot: &Slot| match slot {
                    Slot::Parameter(parameter) => match passed(call, callee, parameter) {
                        Passed::Parameter(own) => Slot::Parameter(own.to_string()),
                        Passed::Here(_) | Passed::Unknown => Slot::Decided,
                    },
                    other => other.clone(),
                };
                let timeout = match &op.timeout {
                    Slot::Parameter(parameter) => match passed(call, callee, parameter) {
                        Passed::Here(located) => Slot::Carried(located.into_timeout(&call.span)),
                        Passed::Parameter(own) => Slot::Parameter(own.to_string()),
                        Passed::Unknown => Slot::Decided,
                    },
                    other => other.clone(),
                };
                let next = Pending {
                    key: through(&op.key),
                    value: through(&op.value),
                    timeout,
                    ..op
                };
                let open = [&next.key, &next.value, &next.timeout]
                    .iter()
                    .any(|slot| matches!(slot, Slot::Parameter(_)));
                if open {
                    ops.push(next);
                }
            }
        }
        in_progress.pop();
        memo.insert(name, ops.clone());
        ops
    }

    /// The cache call `op` as the call site `call` makes it, with the parts the call site
    /// decides; `None` when it decides none.
    fn located_call(&self, call: &HelperCall, op: &Pending<'_>) -> Option<CacheCall> {
        let callee = self.function_fact(&call.function)?;
        let here = |slot: &Slot| match slot {
            Slot::Parameter(parameter) => match passed(call, callee, parameter) {
                Passed::Here(located) => Some(located),
                Passed::Parameter(_) | Passed::Unknown => None,
            },
            Slot::Decided | Slot::Carried(_) => None,
        };
        let (key, value, timeout) = (here(&op.key), here(&op.value), here(&op.timeout));
        // A key the call passes but the analysis cannot read: an unknown key is cached.
        let unread_key = matches!(&op.key, Slot::Parameter(parameter)
            if matches!(passed(call, callee, parameter), Passed::Unknown));
        if key.is_none() && value.is_none() && timeout.is_none() && !unread_key {
            return None;
        }
        let inner = op.call;
        let keys = match key {
            Some(Located::Argument(given)) => {
                let is_pattern = inner.op == CacheOp::DeletePattern;
                let source = match &given.key {
                    KeySource::Template(glob) if is_pattern => {
                        KeySource::Template(KeyTemplate::from_glob(glob))
                    }
                    source => source.clone(),
                };
                vec![CacheKey {
                    source,
                    is_pattern,
                    text: given.text.clone(),
                    span: given.span.clone(),
                }]
            }
            _ if unread_key => vec![CacheKey {
                source: KeySource::Unknown,
                is_pattern: false,
                text: call.call.clone(),
                span: call.span.clone(),
            }],
            _ => Vec::new(),
        };
        let timeout_inside = matches!(op.timeout, Slot::Carried(_));
        let timeout = match (timeout, &op.timeout) {
            (Some(located), _) => located.into_timeout(&call.span),
            (None, Slot::Carried(carried)) => match carried {
                Timeout::Given { value, text, .. } => Timeout::Given {
                    value: value.clone(),
                    text: text.clone(),
                    span: call.span.clone(),
                },
                other => other.clone(),
            },
            (None, _) => Timeout::Unknown,
        };
        let mut stored = Vec::new();
        let mut eager_default = None;
        if let Some(Located::Argument(given)) = value {
            if inner.op == CacheOp::GetOrSet && given.computed {
                eager_default = Some(Snippet {
                    text: given.text.clone(),
                    span: given.span.clone(),
                });
            }
            if let Some(shape) = &given.shape {
                let shape = if inner.op == CacheOp::GetOrSet {
                    Shape::CalledIfCallable(Box::new(shape.clone()))
                } else {
                    shape.clone()
                };
                stored.push(StoredValue {
                    shape,
                    span: given.span.clone(),
                });
            }
        }
        let through = Through {
            call: call.call.clone(),
            helper: op.helper.to_string(),
            cache_call: format!("{}.{}()", inner.receiver, inner.method),
            path: op.path.to_string(),
            line: inner.span.line,
            timeout_inside,
        };
        let made = CacheCall::made_through(
            inner.op,
            inner.method.clone(),
            inner.receiver.clone(),
            inner.alias.clone(),
            call.span.clone(),
            through,
        );
        Some(CacheCall {
            keys,
            timeout,
            stored,
            eager_default,
            function: call.caller.clone(),
            ..made
        })
    }
}

impl Located<'_> {
    /// As the timeout of a call at `site`: a default left out is reported there.
    fn into_timeout(self, site: &Span) -> Timeout {
        match self {
            Located::Argument(given) => Timeout::Given {
                value: given.constant.clone(),
                text: given.text.clone(),
                span: given.span.clone(),
            },
            Located::Default(Timeout::Given { value, text, .. }) => Timeout::Given {
                value: value.clone(),
                text: text.clone(),
                span: site.clone(),
            },
            Located::Default(default) => default.clone(),
        }
    }
}

/// What `call` passes for the parameter `name` of `callee`.
fn passed<'c>(call: &'c HelperCall, callee: &'c FunctionFact, name: &str) -> Passed<'c> {
    match callee.parameters.iter().find(|p| p.name == name) {
        Some(parameter) => passed_for(call, parameter),
        None => Passed::Unknown,
    }
}

/// What `call` passes for `parameter`.
fn passed_for<'c>(call: &'c HelperCall, parameter: &'c Parameter) -> Passed<'c> {
    let fills = |position: Option<usize>, keyword: Option<&str>| {
        (position.is_some() && position == parameter.position)
            || (parameter.by_keyword && keyword == Some(parameter.name.as_str()))
    };
    if let Some(argument) = call
        .arguments
        .iter()
        .find(|a| fills(a.position, a.keyword.as_deref()))
    {
        return match &argument.value {
            ArgumentValue::Parameter(own) => Passed::Parameter(own),
            ArgumentValue::Given(given) => Passed::Here(Located::Argument(given)),
        };
    }
    if given_unread(call, parameter) || call.unpacked {
        return Passed::Unknown;
    }
    match &parameter.default {
        Some(default) => Passed::Here(Located::Default(default)),
        None => Passed::Unknown,
    }
}

/// Whether the call passes the parameter an argument it did not record.
fn given_unread(call: &HelperCall, parameter: &Parameter) -> bool {
    parameter
        .position
        .is_some_and(|position| position < call.positional)
        || (parameter.by_keyword && call.keywords.contains(&parameter.name))
}
