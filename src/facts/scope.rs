//! Name bindings: what each name in a scope may refer to at a point in the code.
//!
//! A scope maps a name to every binding that may reach the current statement (after an
//! `if`, both branches' assignments reach). Function scopes fall back to the module's
//! final bindings, as Python resolves globals at call time.

use std::rc::Rc;

use rustc_hash::FxHashMap;

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

#[derive(Clone)]
pub struct Env<'g> {
    globals: Option<&'g Bindings>,
    pub locals: Bindings,
}

impl<'g> Env<'g> {
    pub fn module() -> Self {
        Env {
            globals: None,
            locals: Bindings::default(),
        }
    }

    pub fn function(globals: &'g Bindings, closure: Option<&Bindings>) -> Self {
        Env {
            globals: Some(globals),
            locals: closure.cloned().unwrap_or_default(),
        }
    }

    pub fn lookup(&self, name: &str) -> Option<&[Binding]> {
        self.locals
            .get(name)
            .or_else(|| self.globals.and_then(|g| g.get(name)))
            .map(Vec::as_slice)
    }

    pub fn bind(&mut self, name: &str, binding: Binding) {
        self.locals.insert(name.to_string(), vec![binding]);
    }

    /// Joins the scopes at the end of alternative paths (branches of an `if`, loop taken
    /// or not) into the scope after them.
    pub fn merge(&mut self, others: Vec<Env<'g>>) {
        let mut names: Vec<String> = self.locals.keys().cloned().collect();
        for other in &others {
            names.extend(other.locals.keys().cloned());
        }
        names.sort_unstable();
        names.dedup();
        let mut merged = Bindings::default();
        for name in names {
            let mut reaching: Vec<Binding> = Vec::new();
            for env in std::iter::once(&*self).chain(others.iter()) {
                for binding in env.lookup(&name).unwrap_or(&[]) {
                    if !reaching.contains(binding) && reaching.len() < MAX_REACHING {
                        reaching.push(binding.clone());
                    }
                }
            }
            merged.insert(name, reaching);
        }
        self.locals = merged;
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
