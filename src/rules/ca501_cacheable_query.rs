//! CA501 cacheable-query: expensive queries that give every request the same answer, in
//! code that runs on requests, with nothing caching them. One finding per function.

use super::{Rule, RuleContext, Violation};
use crate::diagnostic::Severity;
use crate::facts::view_facts::{QueryKind, QueryUse};
use crate::view_caching::{RequestCode, RunsIn};

pub const RULE: Rule = Rule {
    code: "CA501",
    name: "cacheable-query",
    severity: Severity::Opportunity,
    help: "Cache the result (cache-aside): `cache.get_or_set(key, lambda: ..., timeout)` with a key built from the query's inputs, cleared when the data changes.",
    doc: include_str!("../../rules/CA501.md"),
    check,
    fix: None,
};

/// A query run once per item of a loop costs that many round trips: counted as this many.
const PER_ITEM_WEIGHT: u32 = 5;
/// Code that runs on every page of the site (middleware, context processors) counts for
/// this many views; a template tag, for fewer.
const EVERY_PAGE_WEIGHT: u32 = 10;
const TAG_WEIGHT: u32 = 3;

fn check(context: &RuleContext) -> Vec<Violation> {
    let mut violations = Vec::new();
    for code in &context.views.request_code {
        let silent = if code.caches.is_some() {
            Some("the function or its view caches already")
        } else if code.unknown_decorator.is_some() {
            Some("a decorator of unknown effect wraps the function")
        } else if code.answers_writes.is_some() {
            Some("the view answers more than GET")
        } else {
            None
        };
        if let Some(why) = silent {
            context.note_unknown(RULE.code, why);
            continue;
        }
        let worth: Vec<&QueryUse> = code
            .queries
            .iter()
            .filter(|query| {
                let why = if matches!(code.runs_in, RunsIn::View(_))
                    && query.kind == QueryKind::Count
                    && !query.per_item
                {
                    Some("one count in one view saves too little to cache")
                } else if !query.shared_inputs {
                    Some("the query's inputs differ between requests or are not followed")
                } else if query.must_be_fresh.is_some() {
                    Some("the query must be fresh (after a write, in a transaction, locking)")
                } else if query.single_row {
                    Some("a single-row primary-key lookup")
                } else {
                    None
                };
                if let Some(why) = why {
                    context.note_unknown(RULE.code, why);
                }
                why.is_none()
            })
            .collect();
        if let Some(violation) = violation(code, &worth) {
            violations.push(violation);
        }
    }
    violations
}

fn violation(code: &RequestCode, queries: &[&QueryUse]) -> Option<Violation> {
    let first = queries.first()?;
    let (weight, runs) = match &code.runs_in {
        RunsIn::Middleware => (
            EVERY_PAGE_WEIGHT,
            "on every request (it is middleware)".to_string(),
        ),
        RunsIn::ContextProcessor => (
            EVERY_PAGE_WEIGHT,
            "on every page rendered with the request (it is a context processor)".to_string(),
        ),
        RunsIn::TemplateTag => (TAG_WEIGHT, "on every page that uses the tag".to_string()),
        RunsIn::View(view) if *view == code.name => (1, "on every GET".to_string()),
        RunsIn::View(view) => (1, format!("on every GET of view `{view}`")),
    };
    let round_trips: u32 = queries
        .iter()
        .map(|q| if q.per_item { PER_ITEM_WEIGHT } else { 1 })
        .sum();
    let listed: Vec<String> = queries
        .iter()
        .map(|q| {
            let per_item = if q.per_item {
                ", once per item of a loop"
            } else {
                ""
            };
            format!(
                "`{}` (line {}), {}{per_item}",
                q.text,
                q.span.line,
                q.kind.describe()
            )
        })
        .collect();
    let per_item = queries.iter().filter(|q| q.per_item).count();
    let count = match (queries.len(), per_item) {
        (1, 1) => format!("`{}` once per item of a loop", first.text),
        (1, _) => format!("`{}`", first.text),
        (n, 0) => format!("{n} queries"),
        (n, 1) => format!("{n} queries (one of them once per item of a loop)"),
        (n, m) => format!("{n} queries ({m} of them once per item of a loop)"),
    };
    Some(Violation {
        fix_anchor: None,
        severity: None,
        benefit: weight * round_trips,
        detail: Some(format!(
            "runs {runs}; each input is a literal, a module-level name, or a local or loop variable holding them, so every request gets the same answer; caching saves each such request {}, as `cache.get_or_set(key, lambda: ..., timeout)` with the key cleared when the data changes: {}",
            saved(queries.len(), per_item),
            listed.join("; ")
        )),
        path: code.path.clone(),
        span: code.span.clone(),
        message: format!(
            "`{}` runs {count} {runs} and nothing caches the result; cache it with `cache.get_or_set()`",
            code.name
        ),
    })
}

/// The round trips a request saves, in words.
fn saved(queries: usize, per_item: usize) -> String {
    let trips = |n: usize| {
        if n == 1 {
            "1 query".to_string()
        } else {
            format!("{n} queries")
        }
    };
    match (queries - per_item, per_item) {
        (once, 0) => trips(once),
        (0, looped) => format!("{} for each item of the loop", trips(looped)),
        (once, looped) => format!(
            "{} and {} for each item of the loop",
            trips(once),
            trips(looped)
        ),
    }
}
