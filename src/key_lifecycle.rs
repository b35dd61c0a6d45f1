//! Every production use of every cache key, gathered once from the index: where keys are
//! written, read, cleared and counted, so that a rule asking "is this key ever deleted?"
//! gets one of three answers. A use whose key or cache the analysis cannot read makes the
//! answer unknown for every key it might be, and a rule whose finding rests on absence
//! stays silent on unknown.

use crate::facts::keys::{templates_overlap, KeyTemplate};
use crate::facts::shape::Constant;
use crate::facts::span::Span;
use crate::facts::{CacheOp, Timeout};
use crate::index::ProjectIndex;
use crate::templates::TemplateIndex;

/// What the project's code proves about a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knowledge {
    Present,
    Absent,
    /// Something that could hold the fact was not read: why, in a few words.
    Unknown(&'static str),
}

#[derive(Debug)]
pub struct KeyUse {
    /// `None` when the key is built by code the analysis cannot follow.
    pub template: Option<KeyTemplate>,
    /// `None` when the cache alias is unknown.
    pub alias: Option<String>,
    pub op: CacheOp,
    pub path: String,
    /// The call.
    pub span: Span,
    /// Seconds, when the call passes a constant timeout (`None` inside: never expires).
    pub timeout: Option<Option<f64>>,
    /// The timeout as written.
    pub timeout_text: Option<String>,
    /// The function or method the use is in.
    pub function: Option<String>,
}

#[derive(Debug, Default)]
pub struct KeyLifecycle {
    pub uses: Vec<KeyUse>,
}

/// What a use does to a key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Write,
    Read,
    Clear,
    Count,
}

impl KeyUse {
    fn roles(&self) -> &'static [Role] {
        match self.op {
            CacheOp::Set | CacheOp::Add | CacheOp::SetMany => &[Role::Write],
            CacheOp::GetOrSet => &[Role::Write, Role::Read],
            CacheOp::Get | CacheOp::GetMany | CacheOp::HasKey => &[Role::Read],
            CacheOp::Incr | CacheOp::Decr => &[Role::Count, Role::Read],
            CacheOp::IncrVersion | CacheOp::DecrVersion => &[Role::Count, Role::Clear],
            CacheOp::Delete
            | CacheOp::DeleteMany
            | CacheOp::DeletePattern
            | CacheOp::Touch
            | CacheOp::Clear => &[Role::Clear],
            CacheOp::Close => &[],
        }
    }

    /// Whether this use concerns the same cache as `alias`.
    fn same_cache(&self, alias: Option<&str>) -> bool {
        match (self.alias.as_deref(), alias) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// Whether this use may touch a key of `template`: present, absent, or unknown.
    fn touches(&self, template: &KeyTemplate, alias: Option<&str>) -> Knowledge {
        if !self.same_cache(alias) {
            return Knowledge::Absent;
        }
        if self.op == CacheOp::Clear {
            return Knowledge::Present;
        }
        match &self.template {
            // `f"{prefix}_{name}"` may be any key at all.
            Some(own) if own.starts_with_hole() => Knowledge::Unknown(RUN_TIME_PREFIX),
            Some(own) if templates_overlap(own, template) => Knowledge::Present,
            Some(_) => Knowledge::Absent,
            None => Knowledge::Unknown(UNREADABLE_KEY),
        }
    }
}

const UNREADABLE_KEY: &str = "a key built by code the analysis cannot follow";
const RUN_TIME_PREFIX: &str = "a key that starts with a run-time value";

/// A key a rule can judge by its template, or why not: one the analysis could not read,
/// one versioned by a value read at run time (bumping the version retires every entry),
/// or one that starts with a run-time value (it may be any key).
pub fn judgeable_key(template: Option<&KeyTemplate>) -> Result<&KeyTemplate, &'static str> {
    match template {
        None => Err(UNREADABLE_KEY),
        Some(template) if template.versioned => Err("a key versioned by a value read at run time"),
        Some(template) if template.starts_with_hole() => Err(RUN_TIME_PREFIX),
        Some(template) => Ok(template),
    }
}

/// Modules that run on a schedule or from the command line: management commands, and
/// Celery (or similar) task modules.
pub fn is_scheduled_job(path: &str) -> bool {
    let mut parts = path.split('/').rev();
    let file = parts.next().unwrap_or_default();
    let directories: Vec<&str> = parts.collect();
    matches!(file, "tasks.py" | "jobs.py" | "cron.py" | "scheduled.py")
        || directories.contains(&"tasks")
        || directories
            .windows(2)
            .any(|w| w == ["commands", "management"])
}

impl KeyLifecycle {
    pub fn build(index: &ProjectIndex, templates: &TemplateIndex) -> Self {
        let mut uses = Vec::new();
        // `{% cache %}` writes the key `make_template_fragment_key` builds for its name.
        for (path, facts) in templates.iter() {
            for fragment in &facts.fragments {
                uses.push(KeyUse {
                    template: Some(KeyTemplate::fragment(&fragment.name)),
                    alias: None,
                    op: CacheOp::Set,
                    path: path.to_string(),
                    span: fragment.span.clone(),
                    timeout: None,
                    timeout_text: None,
                    function: None,
                });
            }
        }
        for (file, call) in index.cache_calls().filter(|(file, _)| !file.is_test) {
            // A helper's call stands for the calls made at its call sites, which give its
            // keys; a call site whose key is decided deeper down uses no key of its own.
            if call.keys_from_callers || (call.through.is_some() && call.keys.is_empty()) {
                continue;
            }
            let (timeout, timeout_text) = match &call.timeout {
                Timeout::Given { value, text, .. } => (
                    value.as_ref().and_then(Constant::as_timeout),
                    Some(text.clone()),
                ),
                _ => (None, None),
            };
            let templates: Vec<Option<KeyTemplate>> = if call.keys.is_empty() {
                // `clear()` has no key; `get_many(keys)` of a variable has unknown ones.
                vec![None]
            } else {
                call.keys
                    .iter()
                    .map(|key| index.key_template(&key.source))
                    .collect()
            };
            for template in templates {
                uses.push(KeyUse {
                    template,
                    alias: call.alias.clone(),
                    op: call.op,
                    path: file.path.clone(),
                    span: call.span.clone(),
                    timeout,
                    timeout_text: timeout_text.clone(),
                    function: call.function.clone(),
                });
            }
        }
        KeyLifecycle { uses }
    }

    /// Whether a use that `counts` does `role` to a key of `template`.
    fn any(
        &self,
        role: Role,
        template: &KeyTemplate,
        alias: Option<&str>,
        counts: impl Fn(&KeyUse) -> bool,
    ) -> Knowledge {
        let mut answer = Knowledge::Absent;
        for use_ in self.uses.iter().filter(|u| u.roles().contains(&role)) {
            if !counts(use_) {
                continue;
            }
            match use_.touches(template, alias) {
                Knowledge::Present => return Knowledge::Present,
                Knowledge::Unknown(why) => answer = Knowledge::Unknown(why),
                Knowledge::Absent => {}
            }
        }
        answer
    }

    /// Whether production code deletes (or expires, or versions away) a key of
    /// `template`, in a use that `counts`.
    pub fn cleared(
        &self,
        template: &KeyTemplate,
        alias: Option<&str>,
        counts: impl Fn(&KeyUse) -> bool,
    ) -> Knowledge {
        self.any(Role::Clear, template, alias, counts)
    }

    /// Whether production code reads a key of `template`.
    pub fn read(&self, template: &KeyTemplate, alias: Option<&str>) -> Knowledge {
        self.any(Role::Read, template, alias, |_| true)
    }

    /// Whether a key of `template` is a counter (`incr`/`decr`, or versioned with
    /// `incr_version`), which must not expire.
    pub fn counted(&self, template: &KeyTemplate, alias: Option<&str>) -> Knowledge {
        self.any(Role::Count, template, alias, |_| true)
    }

    /// Whether a scheduled job (a management command or a task module) other than the
    /// write at `path`/`span` sets the key template `template` again, refreshing it.
    /// Read-through writes elsewhere (`get_or_set`, `add`) refresh nothing, and neither
    /// does a write of another or an unknown key: a refresh writes the key its reader
    /// reads.
    pub fn refreshed(
        &self,
        template: &KeyTemplate,
        alias: Option<&str>,
        path: &str,
        span: &Span,
    ) -> Knowledge {
        let refreshes = self
            .other_writes_of(template, alias, path, span)
            .any(|u| matches!(u.op, CacheOp::Set | CacheOp::SetMany) && is_scheduled_job(&u.path));
        if refreshes {
            Knowledge::Present
        } else {
            Knowledge::Absent
        }
    }

    /// The first write of exactly the key template `template` with a constant timeout,
    /// other than the one at `path`/`span`.
    pub fn write_with_timeout(
        &self,
        template: &KeyTemplate,
        alias: Option<&str>,
        path: &str,
        span: &Span,
    ) -> Option<&KeyUse> {
        self.other_writes_of(template, alias, path, span)
            .find(|u| u.timeout.is_some())
    }

    /// The writes of exactly the key template `template` (never one that starts with a
    /// run-time value: that may be any key) other than the one at `path`/`span`.
    fn other_writes_of<'s, 'q>(
        &'s self,
        template: &'q KeyTemplate,
        alias: Option<&'q str>,
        path: &'q str,
        span: &'q Span,
    ) -> impl Iterator<Item = &'s KeyUse> + 'q
    where
        's: 'q,
    {
        let known = !template.starts_with_hole();
        self.uses.iter().filter(move |u| {
            known
                && u.roles().contains(&Role::Write)
                && !(u.path == path && u.span == *span)
                && u.same_cache(alias)
                && u.template.as_ref() == Some(template)
        })
    }

    /// Whether production code (or a `{% cache %}` fragment) writes a key of `template`.
    pub fn written(&self, template: &KeyTemplate, alias: Option<&str>) -> Knowledge {
        self.any(Role::Write, template, alias, |_| true)
    }
}
