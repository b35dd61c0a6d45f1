//! The rule table. Each rule lives in its own module with its code, name, severity, help
//! and documentation (`rules/CAxxx.md`, embedded), and checks the project index.

mod ca101_queryset_cached_unevaluated;
mod ca102_cache_timeout_missing;
mod ca103_cache_timeout_never_expires;
mod ca104_get_or_set_eager_default;
mod ca105_cache_value_unpicklable;
mod ca106_cache_timeout_nonpositive;
mod ca107_cache_key_invalid;
mod ca201_per_user_view_cached_without_vary;
mod ca202_auth_check_behind_cache;
mod ca203_csrf_token_in_cached_view;
mod ca204_token_auth_view_cached_without_vary;
mod ca205_cache_page_ineffective;
mod ca301_model_cached_without_invalidation;
mod ca302_invalidation_bypassed;
mod ca303_invalidated_key_never_set;
mod ca401_template_fragment_per_user;
mod ca402_template_fragment_loop_without_vary;
mod ca403_template_fragment_csrf_token;
mod ca501_cacheable_query;
mod ca502_view_without_cache;
mod ca503_cache_call_in_loop;
mod ca601_sync_cache_call_in_async;

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::diagnostic::{Diagnostic, Severity};
use crate::django_version::TargetVersion;
use crate::facts::span::Span;
use crate::fix::FixBuilder;
use crate::index::ProjectIndex;
use crate::invalidation::InvalidationMap;
use crate::templates::TemplateIndex;
use crate::view_caching::ViewMap;

/// What rules read: the project index, the templates, the maps built from them, and the
/// Django version.
pub struct RuleContext<'a> {
    pub index: &'a ProjectIndex,
    pub templates: &'a TemplateIndex,
    pub invalidation: &'a InvalidationMap,
    pub views: &'a ViewMap,
    pub django: &'a TargetVersion,
    /// Staleness accepted as deliberate, in seconds (`max-staleness`).
    pub max_staleness: f64,
    /// Candidates a rule left unknown, by rule and reason (see `note_unknown`).
    pub unknown: Mutex<Unknowns>,
}

/// How many candidates each rule left unknown, and why: a finding resting on a fact the
/// analysis could not prove stays unreported, and counting them says where coverage
/// would pay.
pub type Unknowns = BTreeMap<&'static str, BTreeMap<&'static str, usize>>;

impl RuleContext<'_> {
    /// Records that a candidate of rule `code` was left unreported because `why` was not
    /// proved.
    pub fn note_unknown(&self, code: &'static str, why: &'static str) {
        if let Ok(mut unknown) = self.unknown.lock() {
            *unknown.entry(code).or_default().entry(why).or_insert(0) += 1;
        }
    }
}

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// What to do about a finding, in one sentence.
    pub help: &'static str,
    /// The rule's documentation, `rules/<code>.md`.
    pub doc: &'static str,
    pub check: fn(&RuleContext) -> Vec<Violation>,
    /// The rule's fix, for the findings it can fix (its doc says how safe).
    pub fix: Option<FixBuilder>,
}

/// What a rule found: where, and the sentence saying what is wrong and what to write.
pub struct Violation {
    /// Overrides the rule's default severity for this finding.
    pub severity: Option<Severity>,
    /// An opportunity's estimated worth (requests' round trips saved), by which the
    /// report ranks opportunities; 0 for problems.
    pub benefit: u32,
    /// Why the finding was chosen, for `--verbose`.
    pub detail: Option<String>,
    pub path: String,
    pub span: Span,
    pub message: String,
    /// The line of the code the rule's fix must edit, when that is not the finding's own
    /// (a view finding's `cache_page` decorator); `None` for the others, or when the
    /// rule cannot prove which code that is, which leaves the finding without a fix.
    pub fix_anchor: Option<usize>,
}

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    ca101_queryset_cached_unevaluated::RULE,
    ca102_cache_timeout_missing::RULE,
    ca103_cache_timeout_never_expires::RULE,
    ca104_get_or_set_eager_default::RULE,
    ca105_cache_value_unpicklable::RULE,
    ca106_cache_timeout_nonpositive::RULE,
    ca107_cache_key_invalid::RULE,
    ca201_per_user_view_cached_without_vary::RULE,
    ca202_auth_check_behind_cache::RULE,
    ca203_csrf_token_in_cached_view::RULE,
    ca204_token_auth_view_cached_without_vary::RULE,
    ca205_cache_page_ineffective::RULE,
    ca301_model_cached_without_invalidation::RULE,
    ca302_invalidation_bypassed::RULE,
    ca303_invalidated_key_never_set::RULE,
    ca401_template_fragment_per_user::RULE,
    ca402_template_fragment_loop_without_vary::RULE,
    ca403_template_fragment_csrf_token::RULE,
    ca501_cacheable_query::RULE,
    ca502_view_without_cache::RULE,
    ca503_cache_call_in_loop::RULE,
    ca601_sync_cache_call_in_async::RULE,
];

/// A file that could not be read or parsed. Not a rule over the index: the pipeline
/// reports it for each such file.
pub const FILE_NOT_ANALYZED: Rule = Rule {
    code: "CA000",
    name: "file-not-analyzed",
    severity: Severity::Error,
    help: "Fix the file so it parses (as Python, or as a Django template for templates that use `{% cache %}`), or exclude it; nothing in it was analysed.",
    doc: include_str!("../../rules/CA000.md"),
    check: |_| Vec::new(),
    fix: None,
};

pub fn by_code(code: &str) -> Option<&'static Rule> {
    std::iter::once(&FILE_NOT_ANALYZED)
        .chain(RULES)
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

impl Rule {
    pub fn diagnostic(&self, violation: Violation) -> Diagnostic {
        Diagnostic {
            code: self.code,
            name: self.name,
            severity: violation.severity.unwrap_or(self.severity),
            message: violation.message,
            help: self.help,
            path: violation.path,
            span: violation.span,
            detail: violation.detail,
            benefit: violation.benefit,
            fix_anchor: violation.fix_anchor,
            fix: None,
        }
    }
}

/// A finding on a cached view: where the view is defined, or where the URLconf caches it;
/// the detail says how the URLconf caches it, when it does.
fn view_violation(
    view: &crate::view_caching::CachedView,
    message: String,
    detail: String,
) -> Violation {
    let detail = match view.route_note() {
        Some(route) => format!("{route}; {detail}"),
        None => detail,
    };
    Violation {
        fix_anchor: view.own_cache_page_line(),
        benefit: 0,
        severity: None,
        detail: Some(detail),
        path: view.path.clone(),
        span: view.span.clone(),
        message,
    }
}
