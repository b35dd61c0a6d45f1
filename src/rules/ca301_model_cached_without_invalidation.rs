//! CA301 model-cached-without-invalidation: a model's data is cached, read back, and
//! nothing clears it when the model changes.
//!
//! The finding rests on absence, so each part is proved: no receiver (every cache-touching
//! receiver's sender resolved), no `save()`/`delete()` that touches the cache on the model
//! or its project base classes, no delete or rewrite of the key anywhere in production
//! code (a view that deletes it after saving, a task that rebuilds it), a read of the key,
//! and a window longer than `max-staleness`.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::keys::KeyPart;
use crate::facts::last_name;
use crate::invalidation::{human_duration, CachedIn, Invalidation, InvalidationKind, ModelEntry};
use crate::key_lifecycle::{judgeable_key, Knowledge};

pub const RULE: Rule = Rule {
    code: "CA301",
    name: "model-cached-without-invalidation",
    severity: Severity::Error,
    help: "Add a post_save/post_delete receiver for the model (or a save()/delete() override) that deletes the cached keys.",
    doc: include_str!("../../rules/CA301.md"),
    check,
    fix: None,
};

/// At most this many cache writes are listed in the message.
const LISTED_WRITES: usize = 3;

fn check(context: &RuleContext) -> Vec<Violation> {
    let map = context.invalidation;
    let candidates = map
        .models
        .iter()
        .filter(|entry| !entry.cached_in.is_empty())
        // A model outside the tree may well have receivers outside it too: only the map
        // shows those.
        .filter(|entry| entry.location.is_some() && !entry.is_abstract);
    let mut violations = Vec::new();
    for entry in candidates {
        let all: Vec<&Invalidation> = entry.invalidated_by.iter().collect();
        let modes = match uncovered(entry) {
            Some(Uncovered::Everything) => vec![Uncovered::Everything],
            Some(deletes) => vec![deletes, Uncovered::Relation(all)],
            None => vec![Uncovered::Relation(all)],
        };
        if !map.unresolved_receivers.is_empty() {
            context.note_unknown(
                RULE.code,
                "a receiver with an unresolved sender clears the cache",
            );
            continue;
        }
        for uncovered in &modes {
            let stale: Vec<(&CachedIn, Option<f64>)> = entry
                .cached_in
                .iter()
                .filter_map(
                    |cached| match stale_window(context, entry, cached, uncovered) {
                        Ok(window) => Some((cached, window)),
                        Err(why) => {
                            if let Some(why) = why {
                                context.note_unknown(RULE.code, why);
                            }
                            None
                        }
                    },
                )
                .collect();
            if let Some(violation) = violation(entry, &stale, uncovered) {
                violations.push(violation);
                break;
            }
        }
    }
    violations
}

/// The changes of a model's rows no invalidation covers.
enum Uncovered<'a> {
    /// No receiver or override clears anything for the model.
    Everything,
    /// Receivers of `pre_save`/`post_save` and `save()` overrides do (these), but nothing
    /// runs when a row is deleted.
    Deletes(Vec<&'a Invalidation>),
    /// These receivers and overrides run when rows are saved or deleted, but rows read
    /// through a many-to-many field change with `add()`/`remove()`, which send only
    /// `m2m_changed`.
    Relation(Vec<&'a Invalidation>),
}

/// What no invalidation of the model covers, or `None` when saves and deletes both are.
fn uncovered(entry: &ModelEntry) -> Option<Uncovered<'_>> {
    if entry.invalidated_by.is_empty() {
        return Some(Uncovered::Everything);
    }
    let on_save_only = |invalidation: &&Invalidation| match &invalidation.kind {
        InvalidationKind::Receiver(signals) => signals.iter().all(|signal| signal.is_save()),
        InvalidationKind::SaveOverride => true,
        InvalidationKind::DeleteOverride => false,
    };
    // A handler connected to a delete signal elsewhere covers deletes too.
    let covers_deletes = |handler: &str| {
        entry
            .invalidated_by
            .iter()
            .any(|i| i.handler == handler && !on_save_only(&i))
    };
    let save_only: Vec<&Invalidation> = entry.invalidated_by.iter().filter(on_save_only).collect();
    (!entry.custom_delete
        && save_only.len() == entry.invalidated_by.len()
        && !save_only.iter().any(|i| covers_deletes(&i.handler)))
    .then_some(Uncovered::Deletes(save_only))
}

/// How long a cached value may be served stale (`None`: never expires), or why it is no
/// stale read: `Err(None)` when that is proved, `Err(Some(why))` when it is not known.
/// When only deletes are uncovered, what the save handlers clear does not count.
fn stale_window(
    context: &RuleContext,
    entry: &ModelEntry,
    cached: &CachedIn,
    uncovered: &Uncovered<'_>,
) -> Result<Option<f64>, Option<&'static str>> {
    let lifecycle = &context.invalidation.lifecycle;
    let template = judgeable_key(cached.template.as_ref()).map_err(Some)?;
    // A key of one row (`post:{pk}`) is asked for that row only, which nothing links to
    // once it is deleted; a key with no hole (a list, a menu) still shows the row.
    if matches!(uncovered, Uncovered::Deletes(_)) && !template.is_fully_literal() {
        return Err(None);
    }
    // Only a key named for the relation (`book:{}:shelves`) holds its members: a row
    // reached through it (`book.shelves.get(pk=pk)` under `shelf:{}`) is the row's.
    let names_relation = |relation: &str| {
        template
            .parts
            .iter()
            .any(|part| matches!(part, KeyPart::Literal(text) if text.contains(relation)))
    };
    if matches!(uncovered, Uncovered::Relation(_))
        && !cached.relation.as_deref().is_some_and(names_relation)
    {
        return Err(None);
    }
    let window = match cached.stale_for {
        Some(window) => window,
        None => return Err(Some("a timeout that is not a constant")),
    };
    // A short window is deliberate, a scheduled job's write is the refresh itself, and
    // statistics over many rows (a count, a ranking) are kept fresh by their timeout:
    // deleting them on every row written would defeat the cache.
    if window.is_some_and(|seconds| seconds <= context.max_staleness)
        || cached.is_refresh
        || (cached.is_aggregate && window.is_some())
    {
        return Err(None);
    }
    let alias = cached.alias.as_deref();
    let absent = |knowledge: Knowledge| match knowledge {
        Knowledge::Absent => Ok(()),
        Knowledge::Present => Err(None),
        Knowledge::Unknown(why) => Err(Some(why)),
    };
    let map = context.invalidation;
    let in_save_handler = |function: Option<&String>| match uncovered {
        Uncovered::Deletes(handlers) => {
            function.is_some_and(|f| handlers.iter().any(|h| h.handler == *f))
        }
        Uncovered::Everything | Uncovered::Relation(_) => false,
    };
    absent(lifecycle.cleared(template, alias, |u| match uncovered {
        Uncovered::Relation(_) => map.clears_on_relation_change(&entry.model, u),
        _ => map.clears_for(&entry.model, u) && !in_save_handler(u.function.as_ref()),
    }))?;
    absent(lifecycle.refreshed(
        template,
        alias,
        &cached.location.path,
        &cached.location.span,
    ))?;
    match lifecycle.read(template, alias) {
        Knowledge::Present => Ok(window),
        Knowledge::Absent => Err(None),
        Knowledge::Unknown(why) => Err(Some(why)),
    }
}

fn violation(
    entry: &ModelEntry,
    stale: &[(&CachedIn, Option<f64>)],
    uncovered: &Uncovered<'_>,
) -> Option<Violation> {
    let location = entry.location.as_ref()?;
    if stale.is_empty() {
        return None;
    }
    let mut writes: Vec<String> = stale
        .iter()
        .take(LISTED_WRITES)
        .map(|(cached, _)| {
            let key = cached
                .template
                .as_ref()
                .map_or("?".to_string(), ToString::to_string);
            format!(
                "`{key}` ({}:{})",
                cached.location.path, cached.location.span.line
            )
        })
        .collect();
    if stale.len() > LISTED_WRITES {
        writes.push(format!("{} more", stale.len() - LISTED_WRITES));
    }
    let longest = stale
        .iter()
        .map(|(_, window)| *window)
        .reduce(|a, b| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        })
        .flatten();
    let how_long = match longest {
        None => "forever (the entry never expires)".to_string(),
        Some(seconds) => format!("for up to {}", human_duration(seconds)),
    };
    let (first, model) = (&writes[0], &entry.model);
    // Keys, not writes: one key may be written in several places.
    let mut keys: Vec<String> = stale
        .iter()
        .map(|(cached, _)| {
            cached
                .template
                .as_ref()
                .map_or("?".to_string(), ToString::to_string)
        })
        .collect();
    keys.sort();
    keys.dedup();
    let (what, them) = match keys.len() {
        1 if stale.len() == 1 => (format!("under {first}"), "it"),
        1 if stale.len() == 2 => (format!("under {first} and 1 more place"), "it"),
        1 => (
            format!("under {first} and {} more places", stale.len() - 1),
            "it",
        ),
        2 => (format!("under {first} and 1 more key"), "them"),
        n => (format!("under {first} and {} more keys", n - 1), "them"),
    };
    let (detail, message) = match uncovered {
        Uncovered::Everything => (
            format!(
                "cached under {}; no receiver, no `save()`/`delete()` override and no delete of the key clears {them} when `{model}` rows are saved or deleted, so stale copies are read back {how_long}",
                writes.join(", "),
            ),
            format!(
                "`{model}` is cached {what}, but nothing clears {them} when its rows change; delete {them} in a post_save/post_delete receiver",
            ),
        ),
        Uncovered::Relation(handlers) => {
            let relation = stale
                .iter()
                .find_map(|(cached, _)| cached.relation.as_deref())
                .unwrap_or("?");
            let first = handlers[0];
            let handler = format!(
                "`{}` ({}:{})",
                last_name(&first.handler),
                first.location.path,
                first.location.span.line
            );
            (
                format!(
                    "cached under {}, read through the many-to-many field `{relation}`; {handler} and the other receivers and overrides of `{model}` run when rows are saved or deleted, but `add()`, `remove()`, `set()` and `clear()` on `{relation}` send only `m2m_changed`, which no code handles by clearing {them}, so stale copies are read back {how_long}",
                    writes.join(", "),
                ),
                format!(
                    "`{model}` is cached {what} through `{relation}`; {handler} runs when rows are saved or deleted, but nothing clears {them} when `{relation}` changes; clear {them} in an m2m_changed receiver for its through model",
                ),
            )
        }
        Uncovered::Deletes(handlers) => {
            let first = handlers[0];
            let (handler, fix) = match first.kind {
                InvalidationKind::SaveOverride => (
                    format!("`save()` ({}:{})", first.location.path, first.location.span.line),
                    "override `delete()` to clear it too, or add a post_delete receiver",
                ),
                _ => (
                    format!(
                        "the {} `{}` ({}:{})",
                        first.kind.describe(),
                        last_name(&first.handler),
                        first.location.path,
                        first.location.span.line
                    ),
                    "connect it to post_delete too",
                ),
            };
            (
                format!(
                    "cached under {}; {handler} clears {them} when rows are saved, but no post_delete receiver, `delete()` override or other delete of the key clears {them} when a `{model}` row is deleted, so the deleted row is read back {how_long}",
                    writes.join(", "),
                ),
                format!(
                    "`{model}` is cached {what}; {handler} clears {them} on save, but nothing does when a row is deleted; {fix}",
                ),
            )
        }
    };
    Some(Violation {
        fix_anchor: None,
        benefit: 0,
        severity: None,
        detail: Some(detail),
        path: location.path.clone(),
        span: location.span.clone(),
        message,
    })
}
