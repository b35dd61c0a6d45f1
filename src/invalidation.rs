//! The invalidation map: for each model whose data is cached, where it is cached, what
//! invalidates it (signal receivers, `save()`/`delete()` overrides that touch the cache),
//! and what writes bypass that; for each key template, where it is set and deleted.
//! Built once from the index; the CA3xx rules and the reports read it.

use std::collections::BTreeMap;

use crate::facts::keys::{templates_overlap, KeyPart, KeyTemplate};
use crate::facts::settings::SettingTimeout;
use crate::facts::shape::{Constant, ModelRef};
use crate::facts::span::Span;
use crate::facts::{last_name, BulkKind, CacheOp, Signal, Through, Timeout};
use crate::index::ProjectIndex;
use crate::key_lifecycle::{is_scheduled_job, KeyLifecycle, KeyUse, Knowledge};
use crate::templates::TemplateIndex;

#[derive(Debug, Default)]
pub struct InvalidationMap {
    pub models: Vec<ModelEntry>,
    pub keys: Vec<KeyEntry>,
    /// Deletes of fully known keys that no write in the project can produce.
    pub dead_deletes: Vec<DeadDelete>,
    /// Deletes whose key some write the analysis cannot read might produce.
    pub unknown_deletes: usize,
    /// Receivers that touch the cache for a sender the analysis cannot resolve to a model
    /// (`swapper.load_model(...)`, `self.model`): any model may be theirs.
    pub unresolved_receivers: Vec<Location>,
    /// Every production use of every key.
    pub lifecycle: KeyLifecycle,
    /// Receivers and `save()`/`delete()` overrides, with the models they are for: a delete
    /// in one of them clears the key when those models change, not others.
    pub handlers: BTreeMap<String, Vec<String>>,
    /// Receivers of other signals for one sender (`m2m_changed`), whatever else they
    /// receive.
    pub other_signal_handlers: std::collections::BTreeSet<String>,
}

#[derive(Debug)]
pub struct ModelEntry {
    /// Deleting a row runs code other than Django's own `Model.delete()`: a `delete()`
    /// the project defines, or a base class from outside the tree.
    pub custom_delete: bool,
    /// `app_label.ModelName`, or the dotted name for models outside the tree.
    pub model: String,
    /// Where the model is defined; `None` when it is not in the analysed tree.
    pub location: Option<Location>,
    pub is_abstract: bool,
    pub cached_in: Vec<CachedIn>,
    pub invalidated_by: Vec<Invalidation>,
    pub bypassed_by: Vec<Bypass>,
}

#[derive(Debug, Clone)]
pub struct Location {
    pub path: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct CachedIn {
    /// The key template, when the key can be read.
    pub template: Option<KeyTemplate>,
    pub alias: Option<String>,
    /// An unconditional write in a scheduled job: the refresh itself.
    pub is_refresh: bool,
    /// The value is statistics over the model's rows (counts, aggregates).
    pub is_aggregate: bool,
    /// The model fields the value holds (`values("name")`), when known.
    pub read_fields: Option<Vec<String>>,
    pub location: Location,
    /// The timeout as written (`"300"`, `"None"`), or `None` when the call passes none.
    pub timeout: Option<String>,
    /// Seconds the data may stay stale: `None` for "never expires"; unknown timeouts are
    /// left out.
    pub stale_for: Option<Option<f64>>,
    /// The project function the call is to, when the cache call is made in it.
    pub through: Option<Through>,
    /// The many-to-many field the rows are read through (`book.shelves.all()`): adding
    /// or removing rows there sends `m2m_changed` only.
    pub relation: Option<String>,
}

#[derive(Debug)]
pub struct Invalidation {
    pub kind: InvalidationKind,
    /// The receiver or method, e.g. `blog.signals.invalidate_post`.
    pub handler: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidationKind {
    Receiver(Vec<Signal>),
    SaveOverride,
    DeleteOverride,
}

#[derive(Debug)]
pub struct Bypass {
    pub kind: BulkKind,
    /// The invalidation it skips: an index into the entry's `invalidated_by`.
    pub skips: usize,
    pub call: String,
    pub location: Location,
    /// The function that writes touches the cache itself, calls code that does, or sends
    /// the skipped signal by hand, so the bypass is handled.
    pub handled: bool,
}

#[derive(Debug)]
pub struct KeyEntry {
    pub template: String,
    pub set_at: Vec<KeyPlace>,
    pub deleted_at: Vec<KeyPlace>,
}

/// Where a key is set or deleted, and the project function that does it when the call
/// there is to one.
#[derive(Debug)]
pub struct KeyPlace {
    pub location: Location,
    pub through: Option<Through>,
}

#[derive(Debug)]
pub struct DeadDelete {
    pub template: String,
    /// The delete, as messages name it (`CacheCall::shown`).
    pub call: String,
    pub location: Location,
    /// The written template most like it, and where it is written.
    pub closest: (String, Location),
    /// The key is the name of a `{% cache %}` fragment, whose entry lives under
    /// `make_template_fragment_key(name, ...)` instead (`closest` is that fragment).
    pub fragment: bool,
    /// Some hole of the key holds only what an id, number or slug can produce, which
    /// is why it matches no written key.
    pub typed_holes: bool,
}

impl InvalidationKind {
    pub fn describe(&self) -> String {
        match self {
            InvalidationKind::Receiver(signals) => {
                let names: Vec<&str> = signals.iter().map(|s| s.as_str()).collect();
                format!("{} receiver", names.join("/"))
            }
            InvalidationKind::SaveOverride => "save() override".to_string(),
            InvalidationKind::DeleteOverride => "delete() override".to_string(),
        }
    }
}

impl BulkKind {
    pub fn describe(self) -> &'static str {
        match self {
            BulkKind::Update => "update()",
            BulkKind::BulkCreate => "bulk_create()",
            BulkKind::BulkUpdate => "bulk_update()",
            BulkKind::QuerySetDelete => "QuerySet.delete()",
            BulkKind::ReverseRelated => "related manager add()/remove()/clear()",
        }
    }
}

/// Which model a cached value, receiver or bulk write is about: a project model, or a
/// model outside the tree known by its dotted name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ModelKey {
    Project(usize),
    External(String),
}

impl InvalidationMap {
    pub fn build(index: &ProjectIndex, templates: &TemplateIndex) -> Self {
        let mut entries: BTreeMap<ModelKey, ModelEntry> = BTreeMap::new();
        let mut keys: BTreeMap<String, KeyEntry> = BTreeMap::new();
        let mut written: Vec<(KeyTemplate, Location)> = Vec::new();

        // `{% cache %}` writes the key `make_template_fragment_key` builds for its name,
        // whatever it varies on. Every fragment counts, even in templates the fragment
        // rules cannot judge: a name read is a name written.
        for (path, facts) in templates.iter() {
            for fragment in &facts.fragments {
                let template = KeyTemplate::fragment(&fragment.name);
                let location = Location {
                    path: path.to_string(),
                    span: fragment.span.clone(),
                };
                keys.entry(template.to_string())
                    .or_insert_with(|| KeyEntry {
                        template: template.to_string(),
                        set_at: Vec::new(),
                        deleted_at: Vec::new(),
                    })
                    .set_at
                    .push(KeyPlace {
                        location: location.clone(),
                        through: None,
                    });
                written.push((template, location));
            }
        }

        for (file, call) in index.cache_calls() {
            let location = |span: &Span| Location {
                path: file.path.clone(),
                span: span.clone(),
            };
            let templates: Vec<Option<KeyTemplate>> = call
                .keys
                .iter()
                .map(|key| index.key_template(&key.source))
                .collect();
            for (key, template) in call.keys.iter().zip(&templates) {
                let Some(template) = template else { continue };
                if !call.op.writes() && !call.op.deletes() {
                    continue;
                }
                let entry = keys
                    .entry(template.to_string())
                    .or_insert_with(|| KeyEntry {
                        template: template.to_string(),
                        set_at: Vec::new(),
                        deleted_at: Vec::new(),
                    });
                let place = KeyPlace {
                    location: location(&key.span),
                    through: call.through.clone(),
                };
                if call.op.writes() {
                    entry.set_at.push(place);
                    written.push((template.clone(), location(&key.span)));
                } else if call.op.deletes() {
                    entry.deleted_at.push(place);
                }
            }
            // What a test caches is no model data that production serves stale.
            if !call.op.writes() || file.is_test {
                continue;
            }
            let mut models: Vec<ModelKey> = call
                .stored
                .iter()
                .flat_map(|stored| model_keys(index, &index.stored_model_refs(&stored.shape)))
                .collect();
            models.sort();
            models.dedup();
            let refs: Vec<ModelRef> = call
                .stored
                .iter()
                .flat_map(|stored| index.stored_model_refs(&stored.shape))
                .collect();
            for model in models {
                let entry = entries
                    .entry(model.clone())
                    .or_insert_with(|| ModelEntry::new(index, &model));
                let template = templates.first().cloned().flatten();
                // Read only through a many-to-many field: its changes are its own signal's.
                let reached: Vec<&ModelRef> = refs
                    .iter()
                    .filter(|r| model_keys(index, std::slice::from_ref(*r)).contains(&model))
                    .collect();
                let relation = reached
                    .iter()
                    .map(|r| index.many_to_many(r))
                    .collect::<Option<Vec<&str>>>()
                    .and_then(|attrs| attrs.first().map(|a| a.to_string()));
                entry.cached_in.push(CachedIn {
                    template,
                    alias: call.alias.clone(),
                    is_refresh: matches!(call.op, CacheOp::Set | CacheOp::SetMany)
                        && is_scheduled_job(&file.path),
                    is_aggregate: !call.stored.is_empty()
                        && call.stored.iter().all(|stored| stored.shape.is_aggregate()),
                    read_fields: call
                        .stored
                        .iter()
                        .map(|stored| stored.shape.read_fields())
                        .collect::<Option<Vec<Vec<String>>>>()
                        .map(|lists| lists.concat()),
                    location: location(&call.span),
                    timeout: match &call.timeout {
                        Timeout::Given { text, .. } => Some(text.clone()),
                        _ => None,
                    },
                    stale_for: stale_for(index, call.alias.as_deref(), &call.timeout),
                    through: call.through.clone(),
                    relation,
                });
            }
        }

        let mut unresolved_receivers = Vec::new();
        for file in &index.files {
            for receiver in &file.facts.receivers {
                if !index.function_touches_cache(&receiver.handler) {
                    continue;
                }
                let location = Location {
                    path: file.path.clone(),
                    span: receiver.span.clone(),
                };
                let targets: Vec<ModelKey> = match &receiver.senders {
                    // Without `sender=`, the models it tests `sender` or `instance` against,
                    // else every model.
                    None => {
                        let dispatch = index
                            .function_fact(&receiver.handler)
                            .map(|fact| model_keys(index, &fact.dispatches_on))
                            .unwrap_or_default();
                        if dispatch.is_empty() {
                            entries.keys().cloned().collect()
                        } else {
                            dispatch
                        }
                    }
                    Some(senders) => model_keys(index, senders),
                };
                if receiver.senders.is_some() && targets.is_empty() {
                    unresolved_receivers.push(location.clone());
                }
                for model in targets {
                    let entry = entries
                        .entry(model.clone())
                        .or_insert_with(|| ModelEntry::new(index, &model));
                    entry.invalidated_by.push(Invalidation {
                        kind: InvalidationKind::Receiver(receiver.signals.clone()),
                        handler: receiver.handler.clone(),
                        location: location.clone(),
                    });
                }
            }
        }
        // `save()`/`delete()` defined on the model or inherited from a project base class
        // or mixin, nearest first.
        for model in 0..index.models.len() {
            let class = index.class(model);
            let ancestors = index.ancestors(class);
            let lineage = std::iter::once((index.model_path(model), class)).chain(ancestors);
            let mut seen_methods: Vec<&str> = Vec::new();
            for (path, owner) in lineage {
                for (method, span) in &owner.overrides {
                    let short = method.rsplit('.').next().unwrap_or(method);
                    if seen_methods.contains(&short) {
                        continue;
                    }
                    seen_methods.push(short);
                    if !index.function_touches_cache(method) {
                        continue;
                    }
                    let kind = if short == "save" {
                        InvalidationKind::SaveOverride
                    } else {
                        InvalidationKind::DeleteOverride
                    };
                    let entry = entries
                        .entry(ModelKey::Project(model))
                        .or_insert_with(|| ModelEntry::new(index, &ModelKey::Project(model)));
                    entry.invalidated_by.push(Invalidation {
                        kind,
                        handler: method.clone(),
                        location: Location {
                            path: path.to_string(),
                            span: span.clone(),
                        },
                    });
                }
            }
        }

        let lifecycle = KeyLifecycle::build(index, templates);
        // Migrations write through historical models, whose signals no receiver hears.
        // Tests arrange state with bulk writes on purpose.
        for file in index
            .files
            .iter()
            .filter(|f| !is_migration(&f.path) && !f.is_test)
        {
            for write in &file.facts.bulk_writes {
                if write.kind == BulkKind::ReverseRelated
                    && !index.is_reverse_foreign_key(&write.model)
                {
                    continue;
                }
                for model in model_keys(index, std::slice::from_ref(&write.model)) {
                    let Some(entry) = entries.get_mut(&model) else {
                        continue;
                    };
                    // An invalidation that acts only when certain fields change is not
                    // skipped by a write that sets none of them, nor one that clears only
                    // keys other than those the model's data is cached under.
                    let concerned = |invalidation: &Invalidation| {
                        let watches_other_fields =
                            match (index.function_fact(&invalidation.handler), &write.fields) {
                                (Some(handler), Some(fields))
                                    if !handler.watched_fields.is_empty() =>
                                {
                                    !fields.iter().any(|f| handler.watched_fields.contains(f))
                                }
                                _ => false,
                            };
                        !watches_other_fields
                            && may_clear(index, &lifecycle, &invalidation.handler, &entry.cached_in)
                    };
                    // Nor is anything stale when every cached value holds only fields the
                    // write does not set.
                    let changes_cached = match &write.fields {
                        Some(written) => {
                            entry.cached_in.is_empty()
                                || entry.cached_in.iter().any(|cached| {
                                    cached
                                        .read_fields
                                        .as_ref()
                                        .is_none_or(|read| read.iter().any(|f| written.contains(f)))
                                })
                        }
                        None => true,
                    };
                    if !changes_cached {
                        continue;
                    }
                    let Some(skips) = entry.skipped_by(write.kind, concerned) else {
                        continue;
                    };
                    // The function refreshes or clears the cache itself, calls code that
                    // does, or sends the skipped signal by hand.
                    let handled = write.cache_touched_in_function
                        || write.function_calls.iter().any(|c| {
                            index.call_may_touch_cache(c) || Signal::from_qualified(c).is_some()
                        });
                    entry.bypassed_by.push(Bypass {
                        kind: write.kind,
                        skips,
                        call: write.text.clone(),
                        location: Location {
                            path: file.path.clone(),
                            span: write.span.clone(),
                        },
                        handled,
                    });
                }
            }
        }

        let mut handlers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in entries.values() {
            for invalidation in &entry.invalidated_by {
                handlers
                    .entry(invalidation.handler.clone())
                    .or_default()
                    .push(entry.model.clone());
            }
        }
        let mut other_signal_handlers = std::collections::BTreeSet::new();
        for file in &index.files {
            for handler in &file.facts.other_receivers {
                handlers.entry(handler.clone()).or_default();
                other_signal_handlers.insert(handler.clone());
            }
        }
        let (dead_deletes, unknown_deletes) = dead_deletes(index, &lifecycle, &written);
        InvalidationMap {
            models: entries.into_values().collect(),
            keys: keys.into_values().collect(),
            dead_deletes,
            unknown_deletes,
            unresolved_receivers,
            lifecycle,
            handlers,
            other_signal_handlers,
        }
    }
}

impl InvalidationMap {
    /// Whether a key use can clear data of `model`: not when it sits in a receiver or
    /// override that runs for other models only.
    pub fn clears_for(&self, model: &str, use_: &KeyUse) -> bool {
        use_.function
            .as_ref()
            .and_then(|function| self.handlers.get(function))
            .is_none_or(|models| models.iter().any(|m| m == model))
    }

    /// Whether a key use runs when a many-to-many relation changes: outside every
    /// receiver and override, or in a handler of another signal (`m2m_changed`).
    /// A handler of another model (a `through=` model's receiver) may run then too.
    pub fn clears_on_relation_change(&self, model: &str, use_: &KeyUse) -> bool {
        let Some(function) = use_.function.as_ref() else {
            return true;
        };
        self.other_signal_handlers.contains(function)
            || self
                .handlers
                .get(function)
                .is_none_or(|models| !models.iter().any(|m| m == model))
    }

    /// Keeps what concerns the given paths: models defined (or, outside the tree, cached)
    /// there, and keys set or deleted there.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.models.retain(|entry| {
            let location = entry
                .location
                .as_ref()
                .or(entry.cached_in.first().map(|c| &c.location));
            location.is_some_and(|l| keep(&l.path))
        });
        self.keys.retain(|key| {
            key.set_at
                .iter()
                .chain(&key.deleted_at)
                .any(|place| keep(&place.location.path))
        });
        self.dead_deletes.retain(|dead| keep(&dead.location.path));
    }
}

impl ModelEntry {
    fn new(index: &ProjectIndex, model: &ModelKey) -> Self {
        match model {
            ModelKey::Project(m) => {
                let class = index.class(*m);
                let ancestors = index.ancestors(class);
                let lineage = || std::iter::once(class).chain(ancestors.iter().map(|(_, c)| *c));
                // A base from outside the tree (a soft-delete model) or a `delete()` of
                // the project's own decides what deleting a row does.
                let own_delete = lineage().any(|c| {
                    c.overrides
                        .iter()
                        .any(|(method, _)| last_name(method) == "delete")
                        || c.bases.iter().any(|base| {
                            index.class_named(base).is_none()
                                && !matches!(
                                    base.as_str(),
                                    "django.db.models.Model" | "django.db.models.base.Model"
                                )
                        })
                });
                ModelEntry {
                    custom_delete: own_delete,
                    model: index.models[*m].label.clone(),
                    location: Some(Location {
                        path: index.model_path(*m).to_string(),
                        span: class.span.clone(),
                    }),
                    is_abstract: class.is_abstract,
                    cached_in: Vec::new(),
                    invalidated_by: Vec::new(),
                    bypassed_by: Vec::new(),
                }
            }
            ModelKey::External(name) => ModelEntry {
                custom_delete: true,
                model: name.clone(),
                location: None,
                is_abstract: false,
                cached_in: Vec::new(),
                invalidated_by: Vec::new(),
                bypassed_by: Vec::new(),
            },
        }
    }

    /// The invalidation a write of this kind skips while nothing else the model has
    /// runs in its place: an index into `invalidated_by`.
    fn skipped_by(
        &self,
        kind: BulkKind,
        concerned: impl Fn(&Invalidation) -> bool,
    ) -> Option<usize> {
        let runs_on = |invalidation: &Invalidation, save: bool| match &invalidation.kind {
            InvalidationKind::Receiver(signals) => signals.iter().any(|s| s.is_save() == save),
            InvalidationKind::SaveOverride => save,
            InvalidationKind::DeleteOverride => !save,
        };
        match kind {
            // `QuerySet.delete()` still sends pre/post_delete per object: only a
            // `delete()` override is skipped, and only if no delete receiver clears.
            BulkKind::QuerySetDelete => {
                let receivers_clear = self
                    .invalidated_by
                    .iter()
                    .any(|i| matches!(i.kind, InvalidationKind::Receiver(_)) && runs_on(i, false));
                if receivers_clear {
                    return None;
                }
                self.invalidated_by
                    .iter()
                    .position(|i| i.kind == InvalidationKind::DeleteOverride)
            }
            // The others send no save signals and call no `save()`.
            _ => self
                .invalidated_by
                .iter()
                .position(|i| runs_on(i, true) && concerned(i)),
        }
    }
}

/// Whether a handler may clear data cached as `cached`: unless every key it deletes or
/// rewrites itself is known, none matches a cached key, and it calls no other code that
/// touches the cache.
fn may_clear(
    index: &ProjectIndex,
    lifecycle: &KeyLifecycle,
    handler: &str,
    cached: &[CachedIn],
) -> bool {
    let delegates = index
        .function_fact(handler)
        .is_some_and(|fact| fact.calls.iter().any(|c| index.function_touches_cache(c)));
    let known: Vec<&KeyTemplate> = cached.iter().filter_map(|c| c.template.as_ref()).collect();
    if delegates || known.is_empty() || known.len() < cached.len() {
        return true;
    }
    let cached = known;
    let own: Vec<&KeyUse> = lifecycle
        .uses
        .iter()
        .filter(|u| u.function.as_deref() == Some(handler) && u.op.invalidates())
        .collect();
    own.is_empty()
        || own.iter().any(|u| {
            u.op == CacheOp::Clear
                || u.template.as_ref().is_none_or(|template| {
                    template.starts_with_hole()
                        || cached.iter().any(|c| templates_overlap(template, c))
                })
        })
}

fn is_migration(path: &str) -> bool {
    path.starts_with("migrations/") || path.contains("/migrations/")
}

/// Models named by references, for the map: project models, and models outside the tree
/// known by a dotted name.
fn model_keys(index: &ProjectIndex, refs: &[ModelRef]) -> Vec<ModelKey> {
    let mut keys = Vec::new();
    for model in refs {
        let resolved = index.resolve_model(model);
        if !resolved.is_empty() {
            keys.extend(resolved.into_iter().map(ModelKey::Project));
        } else if let ModelRef::Class(name) = model {
            if name.contains('.') {
                keys.push(ModelKey::External(name.clone()));
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn stale_for(index: &ProjectIndex, alias: Option<&str>, timeout: &Timeout) -> Option<Option<f64>> {
    const DJANGO_DEFAULT_TIMEOUT: f64 = 300.0;
    match timeout {
        Timeout::Given { value, .. } => value.as_ref().and_then(Constant::as_timeout),
        Timeout::Unknown => None,
        Timeout::Missing => {
            let configured = alias.map(|a| index.cache_settings(a)).unwrap_or_default();
            match configured.first().map(|(_, setting)| &setting.timeout) {
                Some(SettingTimeout::Set(value, _)) => {
                    value.as_ref().and_then(Constant::as_timeout)
                }
                // Set by the environment where it runs: unknown here.
                Some(SettingTimeout::Environment { .. }) => None,
                _ => Some(Some(DJANGO_DEFAULT_TIMEOUT)),
            }
        }
    }
}

/// A timeout as a message says it: `60 * 60` is "1 hour (`60 * 60`)", `300` is "5
/// minutes", `None` "`None` (never expires)", and a value the analysis cannot compute is
/// quoted, or named by its setting (`settings.CACHE_TTL` is "the `CACHE_TTL` setting").
pub fn describe_timeout(text: &str, seconds: Option<Option<f64>>) -> String {
    match seconds {
        Some(None) => "`None` (never expires)".to_string(),
        Some(Some(seconds)) if text.trim().parse::<f64>().is_ok() => human_duration(seconds),
        Some(Some(seconds)) => format!("{} (`{text}`)", human_duration(seconds)),
        None => match text.strip_prefix("settings.") {
            Some(setting) => format!("the `{setting}` setting"),
            None => format!("`{text}`"),
        },
    }
}

pub fn human_duration(seconds: f64) -> String {
    let plural = |n: f64, unit: &str| {
        if n == 1.0 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds >= 86_400.0 && seconds % 86_400.0 == 0.0 {
        plural(seconds / 86_400.0, "day")
    } else if seconds >= 3_600.0 && seconds % 3_600.0 == 0.0 {
        plural(seconds / 3_600.0, "hour")
    } else if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        plural(seconds / 60.0, "minute")
    } else {
        plural(seconds, "second")
    }
}

/// Deletes of fully known keys that no write of the project can produce, when the
/// project writes other keys in the same namespace (a key from another namespace may
/// belong to a library); and how many deletes a write of unknown key might match.
fn dead_deletes(
    index: &ProjectIndex,
    lifecycle: &KeyLifecycle,
    written: &[(KeyTemplate, Location)],
) -> (Vec<DeadDelete>, usize) {
    let mut dead = Vec::new();
    let mut unknown = 0;
    for (file, call) in index
        .cache_calls()
        .filter(|(f, c)| c.op.deletes() && c.op != CacheOp::Touch && !f.is_test)
    {
        for key in &call.keys {
            let Some(template) = index.key_template(&key.source) else {
                continue;
            };
            let rendered = template.to_string();
            match lifecycle.written(&template, call.alias.as_deref()) {
                Knowledge::Present => continue,
                Knowledge::Unknown(_) => {
                    unknown += 1;
                    continue;
                }
                Knowledge::Absent => {}
            }
            // `cache.delete("sidebar")` for `{% cache 500 sidebar %}`: the name is no key.
            if let Some((fragment, location)) = template
                .is_fully_literal()
                .then(|| fragment_named(written, &rendered))
                .flatten()
            {
                dead.push(DeadDelete {
                    template: rendered.clone(),
                    call: call.shown(),
                    location: Location {
                        path: file.path.clone(),
                        span: key.span.clone(),
                    },
                    closest: (fragment, location.clone()),
                    fragment: true,
                    typed_holes: false,
                });
                continue;
            }
            let namespace = namespace(&template);
            let same_namespace: Vec<&(KeyTemplate, Location)> = written
                .iter()
                .filter(|(w, _)| namespace.is_some() && namespace == self::namespace(w))
                .collect();
            if same_namespace.is_empty() {
                continue;
            }
            let Some(closest) = same_namespace
                .iter()
                .min_by_key(|(w, _)| key_distance(&w.to_string(), &rendered))
                .map(|(w, location)| (w.to_string(), location.clone()))
            else {
                continue;
            };
            dead.push(DeadDelete {
                typed_holes: template.has_typed_holes(),
                template: rendered,
                call: call.shown(),
                location: Location {
                    path: file.path.clone(),
                    span: key.span.clone(),
                },
                closest,
                fragment: false,
            });
        }
    }
    (dead, unknown)
}

/// The written key of the `{% cache %}` fragment called `name`, and where the tag is.
fn fragment_named<'w>(
    written: &'w [(KeyTemplate, Location)],
    name: &str,
) -> Option<(String, &'w Location)> {
    let fragment = KeyTemplate::fragment(name).to_string();
    written
        .iter()
        .find(|(template, _)| template.to_string() == fragment)
        .map(|(_, location)| (fragment, location))
}

/// The literal text before the first separator: `post` for `post:{}:comments`.
fn namespace(template: &KeyTemplate) -> Option<&str> {
    let Some(KeyPart::Literal(first)) = template.parts.first() else {
        return None;
    };
    let end = first.find([':', '.', '|', '/']).unwrap_or(first.len());
    (end > 0).then(|| &first[..end])
}

/// How far apart two keys are: the same segments in another order count as closest.
fn key_distance(a: &str, b: &str) -> usize {
    let segments = |key: &str| {
        let mut parts: Vec<String> = key.split(':').map(str::to_string).collect();
        parts.sort();
        parts
    };
    if segments(a) == segments(b) {
        0
    } else {
        1 + edit_distance(a, b)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
