//! Django templates: what each one says that rules need, and an index that follows
//! `{% extends %}` and `{% include %}` from a template to everything its page renders.

pub mod lexer;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::discover::TemplateFile;
use lexer::{closing_quote, split_contents, tokenize, TokenKind};

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
    &["request", "COOKIES"],
];

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
    let mut collector = Collector::default();
    for token in tokenize(source) {
        match token.kind {
            TokenKind::Variable => collector.expression(token.contents, token.line),
            TokenKind::Block => collector.tag(token.contents, token.line),
            TokenKind::Text | TokenKind::Comment => {}
        }
    }
    collector.facts
}

/// Names bound until a closing tag: `{% for %}` loop variables, `{% with %}` and
/// `{% blocktrans %}` keyword arguments, and `as name` targets inside them.
struct Scope<'a> {
    end_tag: &'static str,
    bound: Vec<&'a str>,
}

#[derive(Default)]
struct Collector<'a> {
    facts: TemplateFacts,
    /// Innermost last.
    scopes: Vec<Scope<'a>>,
    /// Names `as name` binds outside any scope: bound to the end of the file.
    file_bound: Vec<&'a str>,
    /// The `{% block %}`s open, outermost first.
    blocks: Vec<&'a str>,
    /// Which of [`PER_USER_ROOTS`] already has its first use recorded, per block path.
    seen: Vec<(usize, Vec<&'a str>)>,
}

/// The names a tag's arguments bind.
#[derive(Default)]
struct Bindings<'a> {
    /// Keys of `key=value` arguments.
    keywords: Vec<&'a str>,
    /// The name after `as` or `asvar`.
    target: Option<&'a str>,
}

impl<'a> Collector<'a> {
    fn tag(&mut self, contents: &'a str, line: usize) {
        let bits = split_contents(contents);
        let Some((&command, args)) = bits.split_first() else {
            return;
        };
        match command {
            "csrf_token" => self.facts.csrf_tokens.push(TemplateUse {
                line,
                text: contents.to_string(),
                blocks: self.block_path(),
            }),
            "extends" | "include" => {
                let bindings = self.arguments(args, line);
                if let Some(name) = args.first() {
                    let target = template_ref(name);
                    if command == "include" {
                        let mut bound: Vec<String> = self
                            .scopes
                            .iter()
                            .flat_map(|scope| &scope.bound)
                            .chain(&self.file_bound)
                            .chain(&bindings.keywords)
                            .map(|name| name.to_string())
                            .collect();
                        bound.sort_unstable();
                        bound.dedup();
                        self.facts.includes.push(Include {
                            target,
                            only: args.contains(&"only"),
                            bound,
                            blocks: self.block_path(),
                        });
                    } else if self.facts.extends.is_none() {
                        self.facts.extends = Some(target);
                    }
                }
                self.bind(bindings.target);
            }
            "block" => {
                if let Some(name) = args.first() {
                    self.blocks.push(name);
                    self.facts.blocks.push(name.to_string());
                }
            }
            "endblock" => {
                self.blocks.pop();
            }
            "for" => {
                let (targets, iterable) = match args.iter().rposition(|a| *a == "in") {
                    Some(split) => (&args[..split], &args[split + 1..]),
                    None => (&[][..], args),
                };
                self.arguments(iterable, line);
                let bound = targets
                    .iter()
                    .flat_map(|t| t.split(','))
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .collect();
                self.scopes.push(Scope {
                    end_tag: "endfor",
                    bound,
                });
            }
            // The `{% empty %}` branch runs when there was nothing to loop over.
            "empty" => {
                if let Some(scope) = self.scopes.last_mut() {
                    if scope.end_tag == "endfor" {
                        scope.bound.clear();
                    }
                }
            }
            "with" | "blocktrans" | "blocktranslate" => {
                let bindings = self.arguments(args, line);
                let mut bound = bindings.keywords;
                bound.extend(bindings.target);
                let end_tag = match command {
                    "with" => "endwith",
                    "blocktrans" => "endblocktrans",
                    _ => "endblocktranslate",
                };
                self.scopes.push(Scope { end_tag, bound });
            }
            // The second argument names the fragment.
            "cache" => {
                self.arguments(args.get(..1).unwrap_or_default(), line);
                self.arguments(args.get(2..).unwrap_or_default(), line);
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
                if let Some(open) = self.scopes.iter().rposition(|s| s.end_tag == end) {
                    self.scopes.truncate(open);
                }
            }
            _ if TAGS_WITHOUT_VARIABLES.contains(&command) => {}
            _ => {
                let bindings = self.arguments(args, line);
                self.bind(bindings.target);
            }
        }
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
                    bindings.keywords.push(key);
                    value
                }
                None => arg,
            };
            self.expression(value, line);
        }
        bindings
    }

    /// Records the per-user variables of a filter expression (`a.b|f:c`).
    fn expression(&mut self, expression: &'a str, line: usize) {
        for variable in variables(expression) {
            let mut segments = variable.split('.');
            let Some(first) = segments.next() else {
                continue;
            };
            if self.is_bound(first) {
                continue;
            }
            let second = segments.next();
            let root = PER_USER_ROOTS.iter().position(|root| match root {
                [name] => *name == first,
                [name, attribute] => *name == first && Some(*attribute) == second,
                _ => false,
            });
            if let Some(root) = root {
                if !self
                    .seen
                    .iter()
                    .any(|(seen, blocks)| *seen == root && *blocks == self.blocks)
                {
                    self.seen.push((root, self.blocks.clone()));
                    self.facts.per_user.push(TemplateUse {
                        line,
                        text: variable.to_string(),
                        blocks: self.block_path(),
                    });
                }
            }
        }
    }

    fn block_path(&self) -> Vec<String> {
        self.blocks.iter().map(|name| name.to_string()).collect()
    }

    fn is_bound(&self, name: &str) -> bool {
        self.file_bound.contains(&name) || self.scopes.iter().any(|s| s.bound.contains(&name))
    }

    /// Binds an `as name` target in the innermost scope, like Django's context assignment.
    fn bind(&mut self, target: Option<&'a str>) {
        let Some(name) = target else {
            return;
        };
        match self.scopes.last_mut() {
            Some(scope) => scope.bound.push(name),
            None => self.file_bound.push(name),
        }
    }
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
    use crate::discover::discover;

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

        let discovery = discover(root, &[root.to_path_buf()]);
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
