//! The JSON report, schema version 1: byte-identical for the same input (no timings,
//! diagnostics sorted by path, line, column, code).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::fingerprint::fingerprints;
use super::{counts_by_code, counts_by_severity};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Position;
use crate::edit::{Applicability, Fix};
use crate::facts::Through;
use crate::invalidation::{InvalidationMap, KeyPlace};
use crate::pipeline::Analysis;
use crate::rules::Unknowns;

const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    summary: Summary<'a>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    invalidation: JsonInvalidation<'a>,
}

#[derive(Serialize)]
struct JsonInvalidation<'a> {
    models: Vec<JsonModel<'a>>,
    keys: Vec<JsonKey<'a>>,
}

#[derive(Serialize)]
struct JsonModel<'a> {
    model: &'a str,
    path: Option<&'a str>,
    line: Option<usize>,
    cached_in: Vec<JsonCachedIn<'a>>,
    invalidated_by: Vec<JsonInvalidatedBy<'a>>,
    bypassed_by: Vec<JsonBypass<'a>>,
}

#[derive(Serialize)]
struct JsonCachedIn<'a> {
    key: Option<String>,
    path: &'a str,
    line: usize,
    timeout: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    through: Option<JsonThrough<'a>>,
}

/// The project function a call site calls, and the cache call it makes.
#[derive(Serialize)]
struct JsonThrough<'a> {
    helper: &'a str,
    call: &'a str,
    path: &'a str,
    line: usize,
}

impl<'a> From<&'a Through> for JsonThrough<'a> {
    fn from(through: &'a Through) -> Self {
        JsonThrough {
            helper: &through.helper,
            call: &through.cache_call,
            path: &through.path,
            line: through.line,
        }
    }
}

#[derive(Serialize)]
struct JsonInvalidatedBy<'a> {
    kind: String,
    handler: &'a str,
    path: &'a str,
    line: usize,
}

#[derive(Serialize)]
struct JsonBypass<'a> {
    call: &'a str,
    kind: &'static str,
    path: &'a str,
    line: usize,
    handled: bool,
}

#[derive(Serialize)]
struct JsonKey<'a> {
    template: &'a str,
    set_at: Vec<JsonPlace<'a>>,
    deleted_at: Vec<JsonPlace<'a>>,
}

#[derive(Serialize)]
struct JsonPlace<'a> {
    path: &'a str,
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    through: Option<JsonThrough<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_analyzed: usize,
    templates_analyzed: usize,
    django_version: String,
    django_version_source: String,
    findings: usize,
    by_code: BTreeMap<&'static str, usize>,
    by_severity: BTreeMap<&'static str, usize>,
    errors: usize,
    /// Findings `# noqa` comments silenced (not in `diagnostics`).
    suppressed: usize,
    /// Per rule, candidates left unreported because a deciding fact was not proved, by
    /// reason.
    unknown: &'a Unknowns,
    /// What the baseline hid; only when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline<'a>>,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    /// Relative to the analysed root.
    file: &'a str,
    /// Findings it holds, not in `diagnostics`.
    matched: usize,
    /// Entries this run could have matched and did not: fixed, or their line changed.
    stale: usize,
}

/// A finding as the JSON report and `json-lines` write it.
#[derive(Serialize)]
pub(super) struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    help: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    /// Why the finding was chosen (opportunities), else null.
    detail: Option<&'a str>,
    /// Stable across edits elsewhere in the file (the rule, the file and the text of the
    /// finding's line, never its number): what baselines and verdict files match on.
    fingerprint: String,
    /// The edits that resolve the finding, when its rule has a fix for it, else null.
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: Applicability,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    content: &'a str,
    location: Position,
    end_location: Position,
}

impl<'a> From<&'a Fix> for JsonFix<'a> {
    fn from(fix: &'a Fix) -> Self {
        JsonFix {
            applicability: fix.applicability,
            message: &fix.message,
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    content: &edit.content,
                    location: edit.location,
                    end_location: edit.end_location,
                })
                .collect(),
        }
    }
}

pub fn write_json(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let errors = analysis.errors();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_analyzed: analysis.files_analyzed,
            templates_analyzed: analysis.templates_analyzed,
            django_version: analysis.django.version.to_string(),
            django_version_source: analysis.django.source_label(),
            findings: analysis.diagnostics.len() - errors,
            by_code: counts_by_code(&analysis.diagnostics),
            by_severity: counts_by_severity(&analysis.diagnostics),
            errors,
            suppressed: analysis.suppressed.len(),
            unknown: &analysis.unknown,
            baseline: analysis.baseline.as_ref().map(|b| JsonBaseline {
                file: &b.file,
                matched: b.matched,
                stale: b.stale,
            }),
        },
        diagnostics: json_diagnostics(&analysis.diagnostics),
        invalidation: JsonInvalidation::from(&analysis.invalidation),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// The diagnostics as JSON objects, in report order, each with its fingerprint.
pub(super) fn json_diagnostics(diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic<'_>> {
    diagnostics
        .iter()
        .zip(fingerprints(diagnostics))
        .map(|(d, fingerprint)| JsonDiagnostic {
            code: d.code,
            name: d.name,
            severity: d.severity,
            message: &d.message,
            help: d.help,
            path: &d.path,
            detail: d.detail.as_deref(),
            line: d.span.line,
            column: d.span.column,
            end_line: d.span.end_line,
            end_column: d.span.end_column,
            fingerprint: fingerprint.unique(),
            fix: d.fix.as_ref().map(JsonFix::from),
        })
        .collect()
}

impl<'a> From<&'a InvalidationMap> for JsonInvalidation<'a> {
    fn from(map: &'a InvalidationMap) -> Self {
        let place = |place: &'a KeyPlace| JsonPlace {
            path: &place.location.path,
            line: place.location.span.line,
            through: place.through.as_ref().map(JsonThrough::from),
        };
        JsonInvalidation {
            models: map
                .models
                .iter()
                .map(|entry| JsonModel {
                    model: &entry.model,
                    path: entry.location.as_ref().map(|l| l.path.as_str()),
                    line: entry.location.as_ref().map(|l| l.span.line),
                    cached_in: entry
                        .cached_in
                        .iter()
                        .map(|c| JsonCachedIn {
                            key: c.template.as_ref().map(ToString::to_string),
                            path: &c.location.path,
                            line: c.location.span.line,
                            timeout: c.timeout.as_deref(),
                            through: c.through.as_ref().map(JsonThrough::from),
                        })
                        .collect(),
                    invalidated_by: entry
                        .invalidated_by
                        .iter()
                        .map(|i| JsonInvalidatedBy {
                            kind: i.kind.describe(),
                            handler: &i.handler,
                            path: &i.location.path,
                            line: i.location.span.line,
                        })
                        .collect(),
                    bypassed_by: entry
                        .bypassed_by
                        .iter()
                        .map(|b| JsonBypass {
                            call: &b.call,
                            kind: b.kind.describe(),
                            path: &b.location.path,
                            line: b.location.span.line,
                            handled: b.handled,
                        })
                        .collect(),
                })
                .collect(),
            keys: map
                .keys
                .iter()
                .map(|key| JsonKey {
                    template: &key.template,
                    set_at: key.set_at.iter().map(place).collect(),
                    deleted_at: key.deleted_at.iter().map(place).collect(),
                })
                .collect(),
        }
    }
}
