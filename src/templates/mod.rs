//! Django templates: what each one says that rules need, and an index that follows
//! `{% extends %}` and `{% include %}` from a template to everything its page renders.

mod fragments;
pub mod lexer;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::discover::TemplateFile;
use fragments::{CacheTag, Positions};
pub use fragments::{Fragment, LoopUse, Malformed};
use lexer::{closing_quote, split_contents, tokenize, Token, TokenKind};

/// How many `{% extends %}` and `{% include %}` steps `find` follows: real chains are a
/// few steps long, and the limit bounds the work on generated or pathological trees.
const MAX_DEPTH: usize = 32;

/// Variables that hold per-user state, as their leading dotted segments: what
/// `django.contrib.auth` and `messages` context processors add, and the parts of
/// `request` that differ between users.
const PER_USER_ROOTS: [&[&str]; 6] = [
    &["user"],
    &["perms"],
    &["messages"],
    &["request", "user"],
    &["request", "session"],
    COOKIES,
];

/// Cookies differ between visitors, but not by user: varying a fragment on the user does
/// not tell them apart, so fragment rules leave them out.
const COOKIES: &[&str] = &["request", "COOKIES"];

/// Tags whose arguments are names rather than variables: `{% block messages %}` names a
/// block, `{% load user_tags %}` a library, `{% filter lower %}` filters.
const TAGS_WITHOUT_VARIABLES: &[&str] = &[
    "autoescape",
    "block",
    "comment",
    "filter",
    "load",
    "lorem",
    "resetcycle",
    "templatetag",
    "verbatim",
];

/// Tag libraries Django ships whose tags render the same for every visitor.
const BUILTIN_LIBRARIES: &[&str] = &[
    "static",
    "staticfiles",
    "i18n",
    "l10n",
    "tz",
    "cache",
    "humanize",
];

/// What one template says that rules need.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TemplateFacts {
    pub extends: Option<TemplateRef>,
    pub includes: Vec<Include>,
    /// The names of the `{% block %}`s it defines: an extending template's blocks replace
    /// its parent's of the same name.
    pub blocks: Vec<String>,
    /// The first use of each kind of per-user state (`user`, `perms`, `messages`,
    /// `request.user`, `request.session`, `request.COOKIES`) as the leading segments of a
    /// variable in `{{ }}` or a tag's arguments, in source order. Names a `{% for %}`,
    /// `{% with %}`, `{% blocktrans %}` or `as name` binds are not per-user where bound;
    /// string literals and comments never count.
    pub per_user: Vec<TemplateUse>,
    /// `{% csrf_token %}` tags.
    pub csrf_tokens: Vec<TemplateUse>,
    /// `{% cache %}` blocks, in the order they open.
    pub fragments: Vec<Fragment>,
    /// The first structural problem (an unclosed or mismatched built-in block tag, a
    /// `{% cache %}` without a name) in a Django template that uses `{% cache %}`: what it
    /// caches is then unknown.
    pub malformed: Option<Malformed>,
    /// The template uses Jinja2-only syntax, so Django's fragment rules do not apply.
    pub jinja: bool,
    /// The first `{% load %}` of a tag library other than Django's own: what its tags
    /// render is not read.
    pub custom_library: Option<TemplateUse>,
}

impl TemplateFacts {
    /// Whether the fragment rules can judge this template's `{% cache %}` blocks.
    pub fn fragments_are_known(&self) -> bool {
        self.malformed.is_none() && !self.jinja
    }
}

/// A template named by `{% extends %}` or `{% include %}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateRef {
    /// A quoted literal, as written (`./` and `../` names are resolved by the index).
    Name(String),
    /// A variable: which template it names is unknown.
    Dynamic,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateUse {
    pub line: usize,
    pub text: String,
    /// The `{% block %}`s around it, outermost first.
    pub blocks: Vec<String>,
}

/// An `{% include %}`, with what the included template sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub target: TemplateRef,
    /// `only`: the included template sees just the keyword arguments, not the context
    /// (nor what context processors add, such as `user` and `csrf_token`).
    pub only: bool,
    /// Names bound where it is included (loop variables, `with` names, its keyword
    /// arguments): they hide what context processors add under the same names.
    pub bound: Vec<String>,
    pub blocks: Vec<String>,
}

/// What [`TemplateIndex::find`] looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateQuery {
    PerUser,
    CsrfToken,
}

/// Where a template uses what a [`TemplateQuery`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// Relative path of the template holding it.
    pub path: String,
    pub line: usize,
    pub text: String,
}

pub fn template_facts(source: &str) -> TemplateFacts {
    let mut collector = Collector::new(source);
    for token in tokenize(source) {
        match token.kind {
            TokenKind::Variable => collector.expression(token.contents, token.line),
            TokenKind::Block => collector.tag(token),
            TokenKind::Text | TokenKind::Comment => {}
        }
    }
    collector.finish()
}

/// What a name stands for where it is used.
#[derive(Clone, Copy)]
enum Binding<'a> {
    /// A `{% for %}` loop's variable: the loop (an index into `Collector::loops`) and the
    /// variable's name.
    Loop(usize, &'a str),
    /// A `{% with %}` name bound from a loop's variable, named here.
    FromLoop(usize, &'a str),
    /// A `{% with %}` name bound from per-user state.
    PerUser,
    Other,
}

/// An open built-in block tag, until its closing tag.
struct Frame<'a> {
    token: Token<'a>,
    command: &'a str,
    end_tag: &'static str,
    /// Names bound until the closing tag (their bindings are in `Collector::bindings`):
    /// `{% for %}` loop variables, `{% with %}` and `{% blocktrans %}` keyword arguments,
    /// and `as name` targets inside them.
    bound: Vec<&'a str>,
    kind: FrameKind,
}

enum FrameKind {
    /// A `{% for %}` loop; `false` in its `{% empty %}` branch, which runs without one.
    Loop(bool),
    /// A `{% cache %}` block; `false` when its arguments are malformed.
    Fragment(bool),
    /// `{% with %}` and `{% blocktrans %}`: they bind names, like loops.
    Scope,
    /// Other block tags, which bind nothing of their own.
    Block,
}

struct OpenFragment {
    /// Index into `TemplateFacts::fragments`.
    index: usize,
    /// How many loops are around the fragment: the outermost of `Collector::active_loops`.
    enclosing_loops: usize,
    /// How many of those, from the outermost, the vary-on arguments identify: varying on
    /// an inner loop's variable identifies the iterations of the loops around it too.
    varied_loops: usize,
    /// Loops whose first use is already recorded.
    reported_loops: Vec<usize>,
}

struct LoopInfo<'a> {
    tag: &'a str,
    line: usize,
    /// Its index in `Collector::active_loops` while it runs.
    depth: usize,
}

/// The walk over a template's tokens. Lookups are by name and open blocks are kept on
/// stacks, so deeply nested or generated templates take time linear in their size.
struct Collector<'a> {
    positions: Positions<'a>,
    facts: TemplateFacts,
    /// Open built-in block tags, innermost last.
    frames: Vec<Frame<'a>>,
    /// Each bound name's bindings, innermost last. Names `as name` binds outside any
    /// scope stay bound to the end of the file.
    bindings: FxHashMap<&'a str, Vec<Binding<'a>>>,
    /// Every `{% for %}` seen, in source order.
    loops: Vec<LoopInfo<'a>>,
    /// The loops running here, outermost first.
    active_loops: Vec<usize>,
    /// Open `{% cache %}` blocks, outermost first.
    open_fragments: Vec<OpenFragment>,
    /// Which of [`PER_USER_ROOTS`] already has its first use recorded, per block path.
    seen: Vec<(usize, Vec<String>)>,
    uses_cache: bool,
}

/// The names a tag's arguments bind.
#[derive(Default)]
struct Bindings<'a> {
    /// `key=value` arguments.
    keywords: Vec<(&'a str, &'a str)>,
    /// The name after `as` or `asvar`.
    target: Option<&'a str>,
}

impl<'a> Collector<'a> {
    fn new(source: &'a str) -> Self {
        Collector {
            positions: Positions::new(source),
            facts: TemplateFacts::default(),
            frames: Vec::new(),
            bindings: FxHashMap::default(),
            loops: Vec::new(),
            active_loops: Vec::new(),
            open_fragments: Vec::new(),
            seen: Vec::new(),
            uses_cache: false,
        }
    }

    fn tag(&mut self, token: Token<'a>) {
        let (contents, line) = (token.contents, token.line);
        let bits = split_contents(contents);
        let Some((&command, args)) = bits.split_first() else {
            return;
        };
        self.facts.jinja |= fragments::is_jinja_tag(contents, command);
        match command {
            "csrf_token" => {
                self.facts.csrf_tokens.push(TemplateUse {
                    line,
                    text: contents.to_string(),
                    blocks: self.block_path(),
                });
                self.record_csrf_token(&token);
            }
            "load" if self.facts.custom_library.is_none() => {
                let libraries = match args.iter().position(|a| *a == "from") {
                    Some(from) => &args[from + 1..],
                    None => args,
                };
                if libraries
                    .iter()
                    .any(|library| !BUILTIN_LIBRARIES.contains(library))
                {
                    self.facts.custom_library = Some(TemplateUse {
                        line,
                        text: contents.to_string(),
                        blocks: self.block_path(),
                    });
                }
            }
            "extends" | "include" => {
                let bindings = self.arguments(args, line);
                if let Some(name) = args.first() {
                    let target = template_ref(name);
                    if command == "include" {
                        let mut bound: Vec<String> = self
                            .bindings
                            .keys()
                            .copied()
                            .chain(bindings.keywords.iter().map(|&(key, _)| key))
                            .map(str::to_string)
                            .collect();
                        bound.sort_unstable();
                        bound.dedup();
                        let include = Include {
                            target,
                            only: args.contains(&"only"),
                            bound,
                            blocks: self.block_path(),
                        };
                        if let Some(outermost) = self.open_fragments.first() {
                            let index = outermost.index;
                            let span = self.positions.span(&token);
                            self.facts.fragments[index]
                                .includes
                                .push((include.clone(), span));
                        }
                        self.facts.includes.push(include);
                    } else if self.facts.extends.is_none() {
                        self.facts.extends = Some(target);
                    }
                }
                self.bind(bindings.target);
            }
            "for" => {
                let (targets, iterable) = match args.iter().rposition(|a| *a == "in") {
                    Some(split) => (&args[..split], &args[split + 1..]),
                    None => (&[][..], args),
                };
                self.arguments(iterable, line);
                let id = self.loops.len();
                self.loops.push(LoopInfo {
                    tag: contents,
                    line,
                    depth: self.active_loops.len(),
                });
                self.active_loops.push(id);
                let bound = targets
                    .iter()
                    .flat_map(|t| t.split(','))
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(|name| (name, Binding::Loop(id, name)))
                    .collect();
                self.open(token, command, bound, FrameKind::Loop(true));
            }
            // The `{% empty %}` branch runs when there was nothing to loop over.
            "empty" => {
                if let Some(frame) = self.frames.last_mut() {
                    if let FrameKind::Loop(running @ true) = &mut frame.kind {
                        *running = false;
                        self.active_loops.pop();
                        for name in std::mem::take(&mut frame.bound) {
                            unbind(&mut self.bindings, name);
                        }
                    }
                }
            }
            "with" | "blocktrans" | "blocktranslate" => {
                let bindings = self.arguments(args, line);
                let mut bound: Vec<(&'a str, Binding<'a>)> = bindings
                    .keywords
                    .iter()
                    .map(|&(key, value)| (key, self.binding_from(value)))
                    .collect();
                if let Some(target) = bindings.target {
                    // The old form, `{% with value as name %}`.
                    let binding = match args {
                        [value, _, _] => self.binding_from(value),
                        _ => Binding::Other,
                    };
                    bound.push((target, binding));
                }
                self.open(token, command, bound, FrameKind::Scope);
            }
            // The second argument names the fragment.
            "cache" => {
                self.uses_cache = true;
                self.arguments(args.get(..1).unwrap_or_default(), line);
                self.arguments(args.get(2..).unwrap_or_default(), line);
                let parsed = match CacheTag::parse(args) {
                    Some(cache) => {
                        self.open_fragment(&cache, &token);
                        true
                    }
                    None => {
                        self.malformed(
                            &token,
                            format!(
                                "`{{% {contents} %}}` on line {line} needs a timeout and a fragment name, as in `{{% cache 500 sidebar %}}`"
                            ),
                        );
                        false
                    }
                };
                self.open(token, command, Vec::new(), FrameKind::Fragment(parsed));
            }
            // `{% regroup items by attribute as name %}`: the attribute is looked up on
            // each item.
            "regroup" => {
                let by = args.iter().position(|a| *a == "by").unwrap_or(args.len());
                self.arguments(&args[..by], line);
                let bindings = self.arguments(args.get(by + 2..).unwrap_or_default(), line);
                self.bind(bindings.target);
            }
            end if end.starts_with("end") => {
                // A stray `{% endcache %}` is a `{% cache %}` block whose start is lost.
                self.uses_cache |= end == "endcache";
                self.close(&token, end);
            }
            _ => {
                if command == "block" {
                    if let Some(name) = args.first() {
                        self.facts.blocks.push(name.to_string());
                    }
                }
                if !TAGS_WITHOUT_VARIABLES.contains(&command) {
                    let bindings = self.arguments(args, line);
                    self.bind(bindings.target);
                }
                if let Some(end_tag) = fragments::end_tag(command) {
                    self.frames.push(Frame {
                        token,
                        command,
                        end_tag,
                        bound: Vec::new(),
                        kind: FrameKind::Block,
                    });
                }
            }
        }
    }

    fn open(
        &mut self,
        token: Token<'a>,
        command: &'a str,
        bound: Vec<(&'a str, Binding<'a>)>,
        kind: FrameKind,
    ) {
        // Every caller's command has a closing tag.
        let Some(end_tag) = fragments::end_tag(command) else {
            return;
        };
        let mut names = Vec::with_capacity(bound.len());
        for (name, binding) in bound {
            self.bindings.entry(name).or_default().push(binding);
            names.push(name);
        }
        self.frames.push(Frame {
            token,
            command,
            end_tag,
            bound: names,
            kind,
        });
    }

    /// Closes the innermost open blocks down to and including `frames[open]`.
    fn close_frames(&mut self, open: usize) {
        while self.frames.len() > open {
            let Some(frame) = self.frames.pop() else {
                break;
            };
            for name in frame.bound.into_iter().rev() {
                unbind(&mut self.bindings, name);
            }
            match frame.kind {
                FrameKind::Loop(true) => {
                    self.active_loops.pop();
                }
                FrameKind::Fragment(true) => {
                    self.open_fragments.pop();
                }
                _ => {}
            }
        }
    }

    /// Closes the block `end` ends. Django rejects a closing tag that is not the innermost
    /// open block's; the walk recovers by closing every block inside the one it ends.
    fn close(&mut self, token: &Token<'a>, end: &'a str) {
        let Some(opening) = fragments::opening_tag(end) else {
            return;
        };
        let line = token.line;
        match self.frames.iter().rposition(|frame| frame.end_tag == end) {
            Some(open) => {
                if let Some(inner) = self.frames.get(open + 1..).and_then(<[_]>::last) {
                    let message = format!(
                        "`{{% {end} %}}` on line {line} closes `{{% {opening} %}}` (line {}) while `{{% {} %}}` from line {} is still open",
                        self.frames[open].token.line, inner.command, inner.token.line
                    );
                    self.malformed(token, message);
                }
                self.close_frames(open);
            }
            None => self.malformed(
                token,
                format!(
                    "`{{% {end} %}}` on line {line} closes nothing: no `{{% {opening} %}}` is open"
                ),
            ),
        }
    }

    fn finish(mut self) -> TemplateFacts {
        if let Some(unclosed) = self.frames.last() {
            let message = format!(
                "`{{% {} %}}` on line {} is never closed: `{{% {} %}}` is missing",
                unclosed.command, unclosed.token.line, unclosed.end_tag
            );
            let token = unclosed.token;
            self.malformed(&token, message);
        }
        // Structure is only judged where fragments depend on it; a template that never
        // caches may be Jinja2 or use tags from libraries this walk does not know.
        if !self.uses_cache || self.facts.jinja {
            self.facts.malformed = None;
        }
        self.facts
    }

    /// Keeps the first structural problem.
    fn malformed(&mut self, token: &Token, message: String) {
        if self.facts.malformed.is_none() {
            self.facts.malformed = Some(Malformed {
                message,
                span: self.positions.span(token),
            });
        }
    }

    fn open_fragment(&mut self, cache: &CacheTag, token: &Token) {
        let enclosing_loops = self.active_loops.len();
        let mut varies_on_user = false;
        let mut varied_loops = 0;
        for variable in cache.vary_on.iter().flat_map(|arg| variables(arg)) {
            let mut segments = variable.split('.');
            let first = segments.next().unwrap_or_default();
            let second = segments.next();
            match self.lookup(first) {
                None => {
                    varies_on_user |= first == "user"
                        || (first == "request" && matches!(second, Some("user" | "session")));
                    // `forloop.counter` tells the innermost loop's iterations apart.
                    if first == "forloop" {
                        varied_loops = enclosing_loops;
                    }
                }
                Some(Binding::PerUser) => varies_on_user = true,
                // A bound loop variable's loop is running, so it encloses the fragment.
                Some(Binding::Loop(id, _) | Binding::FromLoop(id, _)) => {
                    if let Some(info) = self.loops.get(id) {
                        varied_loops = varied_loops.max(info.depth + 1);
                    }
                }
                Some(Binding::Other) => {}
            }
        }
        let index = self.facts.fragments.len();
        self.facts.fragments.push(Fragment {
            span: self.positions.span(token),
            timeout: cache.timeout.to_string(),
            name: cache.name.to_string(),
            vary_on: cache.vary_on.iter().map(|arg| arg.to_string()).collect(),
            using: cache.using.map(str::to_string),
            per_user: None,
            varies_on_user,
            unvaried_loop_uses: Vec::new(),
            csrf_tokens: Vec::new(),
            includes: Vec::new(),
        });
        self.open_fragments.push(OpenFragment {
            index,
            enclosing_loops,
            varied_loops,
            reported_loops: Vec::new(),
        });
    }

    /// Records the per-user variables in a tag's arguments, and returns what they bind.
    fn arguments(&mut self, args: &[&'a str], line: usize) -> Bindings<'a> {
        let mut bindings = Bindings::default();
        let mut args = args.iter();
        while let Some(&arg) = args.next() {
            if arg == "as" || arg == "asvar" {
                bindings.target = args.next().copied();
                continue;
            }
            let value = match keyword_argument(arg) {
                Some((key, value)) => {
                    bindings.keywords.push((key, value));
                    value
                }
                None => arg,
            };
            self.expression(value, line);
        }
        bindings
    }

    /// Records the per-user and loop variables of a filter expression (`a.b|f:c`).
    fn expression(&mut self, expression: &'a str, line: usize) {
        for variable in variables(expression) {
            let mut segments = variable.split('.');
            let Some(first) = segments.next() else {
                continue;
            };
            let second = segments.next();
            match self.lookup(first) {
                None => {
                    let Some(root) = per_user_root(first, second) else {
                        continue;
                    };
                    let blocks = self.block_path();
                    if !self
                        .seen
                        .iter()
                        .any(|(seen, path)| *seen == root && *path == blocks)
                    {
                        self.seen.push((root, blocks.clone()));
                        self.facts.per_user.push(TemplateUse {
                            line,
                            text: variable.to_string(),
                            blocks,
                        });
                    }
                    if PER_USER_ROOTS[root] != COOKIES {
                        self.record_per_user(variable, line);
                    }
                }
                Some(Binding::PerUser) => self.record_per_user(variable, line),
                Some(Binding::Loop(id, name) | Binding::FromLoop(id, name)) => {
                    self.record_loop_use(id, name, variable, line)
                }
                Some(Binding::Other) => {}
            }
        }
    }

    /// Records the first per-user use in each open fragment. Fragments that have one
    /// are the outer ones, opened before that use, so the walk stops at the first.
    fn record_per_user(&mut self, variable: &str, line: usize) {
        for open in self.open_fragments.iter().rev() {
            let per_user = &mut self.facts.fragments[open.index].per_user;
            if per_user.is_some() {
                break;
            }
            *per_user = Some(TemplateUse {
                line,
                text: variable.to_string(),
                blocks: Vec::new(),
            });
        }
    }

    /// Records the first use of a loop's variable in each open fragment inside that loop
    /// whose vary-on arguments do not identify the loop's iterations. A fragment that has
    /// recorded it was open at an earlier use, and so was every fragment around it.
    fn record_loop_use(&mut self, id: usize, loop_variable: &str, variable: &str, line: usize) {
        let Some(info) = self.loops.get(id) else {
            return;
        };
        for open in self.open_fragments.iter_mut().rev() {
            if info.depth >= open.enclosing_loops || open.reported_loops.contains(&id) {
                break;
            }
            if info.depth < open.varied_loops {
                continue;
            }
            open.reported_loops.push(id);
            self.facts.fragments[open.index]
                .unvaried_loop_uses
                .push(LoopUse {
                    text: variable.to_string(),
                    line,
                    loop_variable: loop_variable.to_string(),
                    loop_tag: info.tag.to_string(),
                    loop_line: info.line,
                });
        }
    }

    fn record_csrf_token(&mut self, token: &Token) {
        if let Some(outermost) = self.open_fragments.first() {
            let span = self.positions.span(token);
            self.facts.fragments[outermost.index].csrf_tokens.push(span);
        }
    }

    /// The names of the `{% block %}`s open here, outermost first.
    fn block_path(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|frame| frame.command == "block")
            .filter_map(|frame| {
                split_contents(frame.token.contents)
                    .get(1)
                    .map(|n| n.to_string())
            })
            .collect()
    }

    /// What `name` is bound to here, innermost binding first; `None` when unbound.
    fn lookup(&self, name: &str) -> Option<Binding<'a>> {
        self.bindings.get(name)?.last().copied()
    }

    /// What a `{% with %}` name bound to `value` stands for: a loop variable's value, the
    /// visitor's state, or something else.
    fn binding_from(&self, value: &str) -> Binding<'a> {
        let mut binding = Binding::Other;
        for variable in variables(value) {
            let mut segments = variable.split('.');
            let first = segments.next().unwrap_or_default();
            match self.lookup(first) {
                Some(Binding::Loop(id, name) | Binding::FromLoop(id, name)) => {
                    return Binding::FromLoop(id, name)
                }
                Some(Binding::PerUser) => binding = Binding::PerUser,
                None => {
                    if per_user_root(first, segments.next())
                        .is_some_and(|root| PER_USER_ROOTS[root] != COOKIES)
                    {
                        binding = Binding::PerUser;
                    }
                }
                Some(Binding::Other) => {}
            }
        }
        binding
    }

    /// Binds an `as name` target in the innermost scope, like Django's context assignment.
    fn bind(&mut self, target: Option<&'a str>) {
        let Some(name) = target else {
            return;
        };
        let scope = self
            .frames
            .iter_mut()
            .rev()
            .find(|frame| matches!(frame.kind, FrameKind::Loop(_) | FrameKind::Scope));
        if let Some(frame) = scope {
            frame.bound.push(name);
        }
        self.bindings.entry(name).or_default().push(Binding::Other);
    }
}

/// Drops the innermost binding of `name`.
fn unbind(bindings: &mut FxHashMap<&str, Vec<Binding>>, name: &str) {
    if let Some(stack) = bindings.get_mut(name) {
        stack.pop();
        if stack.is_empty() {
            bindings.remove(name);
        }
    }
}

/// Which of [`PER_USER_ROOTS`] a variable's leading segments are.
fn per_user_root(first: &str, second: Option<&str>) -> Option<usize> {
    PER_USER_ROOTS.iter().position(|root| match root {
        [name] => *name == first,
        [name, attribute] => *name == first && Some(*attribute) == second,
        _ => false,
    })
}

/// `key=value` split like Django's `kwarg_re`; `a==b` is a comparison, not an argument.
fn keyword_argument(arg: &str) -> Option<(&str, &str)> {
    let (key, value) = arg.split_once('=')?;
    let is_word = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    (is_word && !value.starts_with('=')).then_some((key, value))
}

/// The variables a filter expression looks up, skipping string literals and filter names:
/// `x|default:user.name` gives `x` and `user.name`. Numbers come back too; they never
/// name per-user state.
fn variables(expression: &str) -> Vec<&str> {
    let bytes = expression.as_bytes();
    let mut found = Vec::new();
    let mut after_pipe = false;
    let mut i = 0;
    while let Some(c) = expression.get(i..).and_then(|rest| rest.chars().next()) {
        if c == '"' || c == '\'' {
            // An unclosed literal runs to the end: never a variable.
            i = closing_quote(bytes, i + 1, c as u8).unwrap_or(bytes.len());
            after_pipe = false;
        } else if is_variable_char(c) {
            let end = expression[i..]
                .find(|c: char| !is_variable_char(c))
                .map_or(expression.len(), |offset| i + offset);
            if !after_pipe {
                found.push(&expression[i..end]);
            }
            after_pipe = false;
            i = end;
        } else {
            if c == '|' {
                after_pipe = true;
            } else if !c.is_whitespace() {
                after_pipe = false;
            }
            i += c.len_utf8();
        }
    }
    found
}

/// The characters of a variable in Django's filter expressions: `[\w.+-]`.
fn is_variable_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
}

/// A template argument: a quoted literal names a template, anything else is a variable
/// (Django treats a filtered literal as a variable too).
fn template_ref(bit: &str) -> TemplateRef {
    for quote in ['"', '\''] {
        if let Some(name) = bit
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            if !name.contains(quote) {
                return TemplateRef::Name(name.to_string());
            }
        }
    }
    TemplateRef::Dynamic
}

/// A `{% extends %}` or `{% include %}` name as Django loads it: `./` and `../` names are
/// relative to the directory of the template naming them. `None` for a relative name
/// that climbs above the template root, which Django rejects.
fn resolve<'n>(current: &str, name: &'n str) -> Option<Cow<'n, str>> {
    if !name.starts_with("./") && !name.starts_with("../") {
        return Some(Cow::Borrowed(name));
    }
    let current = current.trim_start_matches('/');
    let mut parts: Vec<&str> = current.split('/').collect();
    parts.pop();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(Cow::Owned(parts.join("/")))
}

struct IndexedTemplate {
    relative: String,
    name: String,
    facts: TemplateFacts,
}

/// The analysed tree's templates, by the name Django loads them by.
#[derive(Default)]
pub struct TemplateIndex {
    templates: Vec<IndexedTemplate>,
    /// Indices into `templates`; unreadable templates have a name but no index.
    by_name: FxHashMap<String, Vec<usize>>,
    /// Templates that could not be read: relative path and reason.
    pub unreadable: Vec<(String, String)>,
}

impl TemplateIndex {
    /// Reads (non-UTF-8 bytes become U+FFFD) and tokenizes each template in parallel.
    pub fn build(files: &[TemplateFile]) -> TemplateIndex {
        let facts: Vec<Result<TemplateFacts, String>> = files
            .par_iter()
            .map(|file| {
                fs::read(&file.absolute)
                    .map(|bytes| template_facts(&String::from_utf8_lossy(&bytes)))
                    .map_err(|err| format!("cannot read file: {err}"))
            })
            .collect();
        let mut index = TemplateIndex::default();
        for (file, facts) in files.iter().zip(facts) {
            let indices = index.by_name.entry(file.name.clone()).or_default();
            match facts {
                Ok(facts) => {
                    indices.push(index.templates.len());
                    index.templates.push(IndexedTemplate {
                        relative: file.relative.clone(),
                        name: file.name.clone(),
                        facts,
                    });
                }
                Err(reason) => index.unreadable.push((file.relative.clone(), reason)),
            }
        }
        index
    }

    /// How many templates were read.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// Each template read, with its relative path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TemplateFacts)> {
        self.templates
            .iter()
            .map(|template| (template.relative.as_str(), &template.facts))
    }

    /// The fragments of each template whose `{% cache %}` blocks can be judged, with the
    /// template's relative path.
    pub fn known_fragments(&self) -> impl Iterator<Item = (&str, &Fragment)> {
        self.iter()
            .filter(|(_, facts)| facts.fragments_are_known())
            .flat_map(|(path, facts)| facts.fragments.iter().map(move |f| (path, f)))
    }

    /// Whether some template in the tree, readable or not, has this name.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The first evidence, breadth-first through `{% extends %}` and `{% include %}` from
    /// the named template, that its page uses what `query` asks for. `hidden` are names
    /// the view's own context binds (`{"user": owner}`), which hide what context
    /// processors add. Blocks an extending template replaces, `only` includes, and names
    /// bound around an include do not count. Templates sharing a name (in different apps)
    /// all count; dynamic names, names outside the tree and unreadable templates are never
    /// evidence.
    pub fn find(&self, name: &str, query: TemplateQuery, hidden: &[String]) -> Option<Evidence> {
        let mut visited = vec![false; self.templates.len()];
        let mut queue = VecDeque::new();
        let start = Reach {
            depth: 0,
            hidden: hidden.to_vec(),
            replaced: Vec::new(),
        };
        self.enqueue(name, &start, &mut visited, &mut queue);
        while let Some((index, reach)) = queue.pop_front() {
            let template = &self.templates[index];
            let uses = match query {
                TemplateQuery::PerUser => &template.facts.per_user,
                TemplateQuery::CsrfToken => &template.facts.csrf_tokens,
            };
            let hidden = |use_: &TemplateUse| {
                reach.is_replaced(&use_.blocks)
                    || (query == TemplateQuery::PerUser && reach.hides(&use_.text))
            };
            let visible = |use_: &&TemplateUse| !hidden(use_);
            if let Some(found) = uses.iter().find(visible) {
                return Some(Evidence {
                    path: template.relative.clone(),
                    line: found.line,
                    text: found.text.clone(),
                });
            }
            if reach.depth == MAX_DEPTH {
                continue;
            }
            let facts = &template.facts;
            if let Some(TemplateRef::Name(parent)) = &facts.extends {
                if let Some(parent) = resolve(&template.name, parent) {
                    let mut replaced = reach.replaced.clone();
                    replaced.extend(facts.blocks.iter().cloned());
                    let next = Reach {
                        depth: reach.depth + 1,
                        hidden: reach.hidden.clone(),
                        replaced,
                    };
                    self.enqueue(&parent, &next, &mut visited, &mut queue);
                }
            }
            for include in &facts.includes {
                let TemplateRef::Name(target) = &include.target else {
                    continue;
                };
                if include.only || reach.is_replaced(&include.blocks) {
                    continue;
                }
                if let Some(target) = resolve(&template.name, target) {
                    let mut hidden = reach.hidden.clone();
                    hidden.extend(include.bound.iter().cloned());
                    let next = Reach {
                        depth: reach.depth + 1,
                        hidden,
                        replaced: Vec::new(),
                    };
                    self.enqueue(&target, &next, &mut visited, &mut queue);
                }
            }
        }
        None
    }

    /// The first part of the page a template renders that the analysis cannot read, in
    /// words: a template missing from the tree or unreadable, one named at run time, a
    /// Jinja2 template, a custom tag library. `None` when every template reached through
    /// `{% extends %}` and `{% include %}` was read.
    pub fn first_unknown(&self, name: &str) -> Option<String> {
        let mut seen: Vec<String> = vec![name.to_string()];
        let mut next = 0;
        while next < seen.len() {
            let current = seen[next].clone();
            next += 1;
            let Some(indices) = self.by_name.get(&current) else {
                return Some(format!("template `{current}` is not in the tree"));
            };
            if indices.is_empty() {
                return Some(format!("template `{current}` could not be read"));
            }
            for &index in indices {
                let template = &self.templates[index];
                let facts = &template.facts;
                if facts.jinja {
                    return Some(format!("`{}` is a Jinja2 template", template.relative));
                }
                if let Some(library) = &facts.custom_library {
                    return Some(format!(
                        "`{}` uses `{{% {} %}}` ({}:{}), whose tags are not read",
                        template.relative, library.text, template.relative, library.line
                    ));
                }
                let targets = facts
                    .extends
                    .iter()
                    .chain(facts.includes.iter().map(|include| &include.target));
                for target in targets {
                    let TemplateRef::Name(target) = target else {
                        return Some(format!(
                            "`{}` extends or includes a template named at run time",
                            template.relative
                        ));
                    };
                    const MAX_TEMPLATES: usize = 64;
                    let Some(resolved) = resolve(&template.name, target) else {
                        return Some(format!(
                            "`{}` names `{target}`, above the template root",
                            template.relative
                        ));
                    };
                    if !seen.iter().any(|s| s == resolved.as_ref()) {
                        if seen.len() == MAX_TEMPLATES {
                            return Some(format!(
                                "`{name}` reaches more than {MAX_TEMPLATES} templates, which are not all read"
                            ));
                        }
                        seen.push(resolved.into_owned());
                    }
                }
            }
        }
        None
    }

    /// What `query` finds in the template an `{% include %}` renders (and what that one
    /// extends and includes), seen as the included template sees it: nothing through
    /// `only`, names bound around the include hide context processors' values. Dynamic and
    /// relative names are unknown.
    pub fn find_included(&self, include: &Include, query: TemplateQuery) -> Option<Evidence> {
        let TemplateRef::Name(name) = &include.target else {
            return None;
        };
        if include.only || name.starts_with("./") || name.starts_with("../") {
            return None;
        }
        self.find(name, query, &include.bound)
    }

    fn enqueue(
        &self,
        name: &str,
        reach: &Reach,
        visited: &mut [bool],
        queue: &mut VecDeque<(usize, Reach)>,
    ) {
        for &index in self.by_name.get(name).into_iter().flatten() {
            if !visited[index] {
                visited[index] = true;
                queue.push_back((index, reach.clone()));
            }
        }
    }
}

/// How a template is reached from the one a view renders.
#[derive(Clone)]
struct Reach {
    depth: usize,
    /// Names bound on the way, which hide context processors' values.
    hidden: Vec<String>,
    /// Blocks the extending templates on the way define, which replace these.
    replaced: Vec<String>,
}

impl Reach {
    fn is_replaced(&self, blocks: &[String]) -> bool {
        blocks.iter().any(|block| self.replaced.contains(block))
    }

    /// Whether `variable`'s first segment is a name bound on the way.
    fn hides(&self, variable: &str) -> bool {
        let first = variable.split('.').next().unwrap_or(variable);
        self.hidden.iter().any(|name| name == first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{discover, Exclusions};

    fn per_user(source: &str) -> Vec<(usize, String)> {
        template_facts(source)
            .per_user
            .into_iter()
            .map(|u| (u.line, u.text))
            .collect()
    }

    fn texts(source: &str) -> Vec<String> {
        per_user(source).into_iter().map(|(_, text)| text).collect()
    }

    #[test]
    fn per_user_variables_and_tag_arguments() {
        assert_eq!(
            per_user("<p>\n{{ user.username }}</p>"),
            [(2, "user.username".to_string())]
        );
        assert_eq!(
            texts("{% if request.user.is_authenticated %}x{% endif %}"),
            ["request.user.is_authenticated"]
        );
        assert_eq!(texts("{{ perms.blog }}"), ["perms.blog"]);
        assert_eq!(
            texts("{% for m in messages %}{{ m }}{% endfor %}"),
            ["messages"]
        );
        assert_eq!(texts("{{ x|default:user.name }}"), ["user.name"]);
        assert_eq!(
            texts("{{ request.session.cart|length }}"),
            ["request.session.cart"]
        );
        assert_eq!(
            texts("{% include 'nav.html' with me=request.COOKIES.theme %}"),
            ["request.COOKIES.theme"]
        );
        assert_eq!(
            texts("{% cache 60 sidebar request.user.pk %}{% endcache %}"),
            ["request.user.pk"]
        );
    }

    #[test]
    fn each_kind_of_state_is_recorded_once() {
        assert_eq!(
            per_user("{{ user }}\n{{ user.email }}\n{{ perms }}"),
            [(1, "user".to_string()), (3, "perms".to_string())]
        );
    }

    #[test]
    fn look_alikes_are_not_per_user() {
        for source in [
            "{% for user in authors %}{{ user.name }}{% endfor %}",
            "{% with user=post.author %}{{ user }}{% endwith %}",
            "{% with post.author as user %}{{ user.name }}{% endwith %}",
            "{% for a, user in pairs %}{{ user }}{% endfor %}",
            "{% blocktrans with user=post.author %}{{ user }}{% endblocktrans %}",
            "{% url 'profile' post.pk as user %}{{ user }}",
            "{{ \"user\" }}{{ 'user'|upper }}{% trans \"user\" %}",
            "{{ username }}{{ post.user }}{{ request.path }}{{ request }}{{ x|user }}",
            "{# {{ user }} #}{% comment %}{{ request.user }}{% endcomment %}",
            "{% verbatim %}{{ user }}{% endverbatim %}",
            "{% block messages %}{% endblock messages %}{% load user_tags %}",
            "{% regroup posts by user as groups %}{{ groups }}",
            "{% cache 60 user post.pk %}{% endcache %}",
            "{% include 'card.html' with user=post.author %}",
        ] {
            assert_eq!(texts(source), Vec::<String>::new(), "{source}");
        }
    }

    #[test]
    fn bindings_end_with_their_block() {
        assert_eq!(
            per_user("{% for user in authors %}{{ user }}{% endfor %}\n{{ user }}"),
            [(2, "user".to_string())]
        );
        assert_eq!(
            texts("{% with user=a %}{% endwith %}{{ user.name }}"),
            ["user.name"]
        );
        assert_eq!(
            texts("{% for user in user.friends %}{% empty %}{{ user }}{% endfor %}"),
            ["user.friends"]
        );
        assert_eq!(
            texts("{% for user in a %}{% with b=c %}{% endfor %}{{ user }}"),
            ["user"]
        );
    }

    #[test]
    fn extends_includes_and_csrf_tokens() {
        let facts = template_facts(
            "{% extends \"base.html\" %}{% include 'a.html' %}{% include name %}\n\
             {% include \"b.html\"|lower %}{% csrf_token %}",
        );
        assert_eq!(
            facts.extends,
            Some(TemplateRef::Name("base.html".to_string()))
        );
        let targets: Vec<&TemplateRef> = facts.includes.iter().map(|i| &i.target).collect();
        assert_eq!(
            targets,
            [
                &TemplateRef::Name("a.html".to_string()),
                &TemplateRef::Dynamic,
                &TemplateRef::Dynamic
            ]
        );
        assert_eq!(
            facts.csrf_tokens,
            [TemplateUse {
                line: 2,
                text: "csrf_token".to_string(),
                blocks: Vec::new(),
            }]
        );
        assert_eq!(
            template_facts("{% extends layout %}").extends,
            Some(TemplateRef::Dynamic)
        );
    }

    fn fragments(source: &str) -> Vec<Fragment> {
        let facts = template_facts(source);
        assert_eq!(facts.malformed, None, "{source}");
        facts.fragments
    }

    #[test]
    fn fragments_record_per_user_state_and_user_vary_on() {
        let [sidebar, keyed] = &fragments(
            "{% load cache %}\n{% cache 500 sidebar %}Hi {{ request.user.username }}{% endcache %}\n\
             {% cache 500 keyed request.user.pk using=\"local\" %}{{ user }}{% endcache %}",
        )[..] else {
            panic!("two fragments")
        };
        assert_eq!((sidebar.span.line, sidebar.span.column), (2, 1));
        assert_eq!(
            &*sidebar.span.source_line,
            "{% cache 500 sidebar %}Hi {{ request.user.username }}{% endcache %}"
        );
        assert_eq!(sidebar.name, "sidebar");
        assert_eq!(
            sidebar.per_user,
            Some(TemplateUse {
                line: 2,
                text: "request.user.username".to_string(),
                blocks: Vec::new(),
            })
        );
        assert!(!sidebar.varies_on_user);
        assert!(keyed.varies_on_user);
        assert_eq!(keyed.vary_on, ["request.user.pk"]);
        assert_eq!(keyed.using.as_deref(), Some("\"local\""));

        let [aliased] = &fragments(
            "{% with me=request.user %}{% cache 1 a me.id %}{{ me.name }}{% endcache %}{% endwith %}",
        )[..] else {
            panic!("one fragment")
        };
        assert!(aliased.varies_on_user);
        assert_eq!(
            aliased.per_user.as_ref().map(|u| u.text.as_str()),
            Some("me.name")
        );
        let [cookies] = &fragments("{% cache 1 a %}{{ request.COOKIES.theme }}{% endcache %}")[..]
        else {
            panic!("one fragment")
        };
        assert_eq!(cookies.per_user, None);
    }

    #[test]
    fn fragments_in_loops_record_unvaried_loop_variables() {
        let uses = |source: &str| -> Vec<(String, String)> {
            fragments(source)
                .into_iter()
                .flat_map(|f| f.unvaried_loop_uses)
                .map(|u| (u.text, u.loop_variable))
                .collect()
        };
        let pair = |text: &str, variable: &str| (text.to_string(), variable.to_string());
        assert_eq!(
            uses(
                "{% for post in posts %}{% cache 1 t %}{{ post.title }}{% endcache %}{% endfor %}"
            ),
            [pair("post.title", "post")]
        );
        assert_eq!(
            uses("{% for post in posts %}{% with a=post.author %}{% cache 1 t %}{{ a.name }}{% endcache %}{% endwith %}{% endfor %}"),
            [pair("a.name", "post")]
        );
        assert_eq!(
            uses("{% for k, v in items %}{% cache 1 t %}{{ v }}{% endcache %}{% endfor %}"),
            [pair("v", "v")]
        );
        for fine in [
            "{% for post in posts %}{% cache 1 t post.pk %}{{ post.title }}{% endcache %}{% endfor %}",
            "{% for post in posts %}{% with a=post.author %}{% cache 1 t a.pk %}{{ post }}{% endcache %}{% endwith %}{% endfor %}",
            "{% for c in cats %}{% for p in c.posts %}{% cache 1 t p.pk %}{{ c }}{{ p }}{% endcache %}{% endfor %}{% endfor %}",
            "{% for k, v in items %}{% cache 1 t k %}{{ v }}{% endcache %}{% endfor %}",
            "{% for post in posts %}{% cache 1 t forloop.counter %}{{ post }}{% endcache %}{% endfor %}",
            "{% for post in posts %}{% empty %}{% cache 1 t %}{{ post }}{% endcache %}{% endfor %}",
            "{% for post in posts %}{% with post=featured %}{% cache 1 t %}{{ post }}{% endcache %}{% endwith %}{% endfor %}",
            "{% cache 1 t %}{% for post in posts %}{{ post }}{% endfor %}{% endcache %}",
            "{% for post in posts %}{% cache 1 t %}{# {{ post }} #}{% comment %}{{ post }}{% endcomment %}{% endcache %}{% endfor %}",
        ] {
            assert_eq!(uses(fine), Vec::<(String, String)>::new(), "{fine}");
        }
    }

    #[test]
    fn nested_fragments_and_csrf_tokens() {
        let facts = template_facts(
            "{% cache 1 outer %}\n{% cache 1 inner user.pk %}{% csrf_token %}{% endcache %}\n{% endcache %}",
        );
        let [outer, inner] = &facts.fragments[..] else {
            panic!("two fragments")
        };
        assert_eq!(outer.per_user.as_ref().map(|u| u.line), Some(2));
        assert_eq!(outer.csrf_tokens.len(), 1);
        assert!(inner.csrf_tokens.is_empty());
        assert_eq!(inner.per_user, None);
        assert!(inner.varies_on_user);
    }

    #[test]
    fn malformed_structure_matters_only_with_fragments() {
        let message = |source: &str| {
            template_facts(source)
                .malformed
                .map(|m| (m.span.line, m.message))
        };
        assert_eq!(
            message("{% cache 1 a %}\n{% for x in y %}\n{% endcache %}"),
            Some((3, "`{% endcache %}` on line 3 closes `{% cache %}` (line 1) while `{% for %}` from line 2 is still open".to_string()))
        );
        assert_eq!(
            message("{% cache 1 a %}{% if x %}\n{% endcache %}\n{% endif %}").map(|m| m.0),
            Some(2)
        );
        assert_eq!(
            message("{% cache 1 a %}\n{% if x %}{% endif %}"),
            Some((
                1,
                "`{% cache %}` on line 1 is never closed: `{% endcache %}` is missing".to_string()
            ))
        );
        assert_eq!(
            message("{% cache 1 a %}{% endcache %}\n{% endif %}"),
            Some((
                2,
                "`{% endif %}` on line 2 closes nothing: no `{% if %}` is open".to_string()
            ))
        );
        assert!(message("{% cache 300 %}{% endcache %}")
            .unwrap()
            .1
            .contains("needs a timeout and a fragment name"));
        for fine in [
            "{% for x in y %}{% endif %}",
            "{%- if x -%}{% cache 1 a %}{% endcache %}{% endfor %}",
            "{% cache 1 a %}{% addtoblock 'js' %}{% endaddtoblock %}{% placeholder 'x' %}{% endcache %}",
            "{% cache 1 a %}{% verbatim %}{% endif %}{% endverbatim %}{% endcache %}",
            "{% cache 1 a %}{% comment %}{% endif %}{% endcomment %}{% endcache %}",
            "{% block a %}{% cache 1 a %}{% endcache %}{% endblock a %}",
        ] {
            assert_eq!(message(fine), None, "{fine}");
        }
        assert!(template_facts("{% raw %}{% cache 1 a %}{% endraw %}").jinja);
    }

    #[test]
    fn relative_names_resolve_against_the_current_template() {
        assert_eq!(
            resolve("blog/post.html", "base.html").as_deref(),
            Some("base.html")
        );
        assert_eq!(
            resolve("blog/post.html", "./part.html").as_deref(),
            Some("blog/part.html")
        );
        assert_eq!(
            resolve("blog/x/post.html", "../base.html").as_deref(),
            Some("blog/base.html")
        );
        assert_eq!(resolve("post.html", "../base.html"), None);
    }

    fn index(templates: &[(&str, &str)]) -> TemplateIndex {
        let mut index = TemplateIndex::default();
        for (name, source) in templates {
            index
                .by_name
                .entry(name.to_string())
                .or_default()
                .push(index.templates.len());
            index.templates.push(IndexedTemplate {
                relative: format!("templates/{name}"),
                name: name.to_string(),
                facts: template_facts(source),
            });
        }
        index
    }

    #[test]
    fn find_follows_extends_and_includes() {
        let index = index(&[
            (
                "page.html",
                "{% extends 'base.html' %}{% block b %}{% endblock %}",
            ),
            ("base.html", "{% include \"nav.html\" %}"),
            (
                "nav.html",
                "\n{% if user.is_authenticated %}{% csrf_token %}{% endif %}",
            ),
            (
                "plain.html",
                "{% include dynamic %}{% include 'missing.html' %}",
            ),
        ]);
        let found = index.find("page.html", TemplateQuery::PerUser, &[]);
        assert_eq!(
            found,
            Some(Evidence {
                path: "templates/nav.html".to_string(),
                line: 2,
                text: "user.is_authenticated".to_string()
            })
        );
        assert!(index
            .find("page.html", TemplateQuery::CsrfToken, &[])
            .is_some());
        assert_eq!(index.find("plain.html", TemplateQuery::PerUser, &[]), None);
        assert_eq!(
            index.find("unknown.html", TemplateQuery::PerUser, &[]),
            None
        );
        assert!(index.contains("nav.html"));
        assert!(!index.contains("unknown.html"));
    }

    #[test]
    fn find_survives_cycles_and_deep_chains() {
        let cycle = index(&[
            ("a.html", "{% extends 'b.html' %}"),
            ("b.html", "{% include 'a.html' %}"),
        ]);
        assert_eq!(cycle.find("a.html", TemplateQuery::PerUser, &[]), None);

        // 0.html includes 1.html and so on; the last one uses `user`.
        let last = MAX_DEPTH + 2;
        let names: Vec<String> = (0..=last).map(|i| format!("{i}.html")).collect();
        let sources: Vec<String> = (1..=last)
            .map(|next| format!("{{% include '{next}.html' %}}"))
            .chain(["{{ user }}".to_string()])
            .collect();
        let chain: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(sources.iter().map(String::as_str))
            .collect();
        let chain = index(&chain);
        assert!(chain.find("2.html", TemplateQuery::PerUser, &[]).is_some());
        assert_eq!(chain.find("0.html", TemplateQuery::PerUser, &[]), None);
    }

    #[test]
    fn templates_sharing_a_name_all_count() {
        let index = index(&[("x.html", "plain"), ("x.html", "{{ messages }}")]);
        assert_eq!(
            index
                .find("x.html", TemplateQuery::PerUser, &[])
                .map(|e| e.text),
            Some("messages".to_string())
        );
    }

    #[test]
    fn builds_from_discovered_templates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            ("app/templates/blog/x.html", "{% extends 'base.html' %}"),
            ("templates/base.html", "{% include './nav.html' %}"),
            ("templates/nav.html", "{{ request.user }}\n{% csrf_token %}"),
            ("app/templates/blog/logo.png", "{{ user }}"),
            ("app/views.py", ""),
            ("other/x.html", "{{ user }}"),
        ];
        for (path, source) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, source).unwrap();
        }
        std::fs::write(root.join("templates/latin1.txt"), b"\xff{{ perms }}").unwrap();

        let mut exclusions = Exclusions::new(root, root, None, &[], true).unwrap();
        let discovery = discover(root, &[root.to_path_buf()], &mut exclusions);
        let found: Vec<(&str, &str)> = discovery
            .templates
            .iter()
            .map(|t| (t.relative.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("app/templates/blog/x.html", "blog/x.html"),
                ("templates/base.html", "base.html"),
                ("templates/latin1.txt", "latin1.txt"),
                ("templates/nav.html", "nav.html"),
            ]
        );
        assert_eq!(discovery.files.len(), 1);

        let index = TemplateIndex::build(&discovery.templates);
        assert_eq!(index.len(), 4);
        assert!(index.unreadable.is_empty());
        assert_eq!(
            index.find("blog/x.html", TemplateQuery::PerUser, &[]),
            Some(Evidence {
                path: "templates/nav.html".to_string(),
                line: 1,
                text: "request.user".to_string()
            })
        );
        assert_eq!(
            index
                .find("blog/x.html", TemplateQuery::CsrfToken, &[])
                .map(|e| e.line),
            Some(2)
        );
        assert_eq!(
            index
                .find("latin1.txt", TemplateQuery::PerUser, &[])
                .map(|e| e.text),
            Some("perms".to_string())
        );
    }
}
