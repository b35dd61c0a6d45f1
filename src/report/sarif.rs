//! The `sarif` report: SARIF 2.1.0 as GitHub code scanning accepts it. One run; the driver
//! lists every rule that ran, with its documentation; each result carries a
//! `primaryLocationLineHash`, which uploads through the API do not compute.

use std::io::{self, Write};

use serde::Serialize;

use super::fingerprint::fingerprints;
use crate::diagnostic::{Diagnostic, Severity};
use crate::pipeline::Analysis;
use crate::rules::Rule;
use crate::shown_paths::ShownPaths;

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// Our columns count characters, not the UTF-16 code units SARIF assumes otherwise.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    /// From `repository` in Cargo.toml; left out while the package names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    partial_fingerprints: PartialFingerprints,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    /// Relative to the repository, which code scanning resolves against the checkout.
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialFingerprints {
    primary_location_line_hash: String,
}

pub fn write_sarif(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let results = analysis
        .diagnostics
        .iter()
        .zip(fingerprints(&analysis.diagnostics))
        .map(|(d, fingerprint)| SarifResult {
            rule_id: d.code,
            rule_index: analysis
                .rules
                .iter()
                .position(|rule| rule.code == d.code)
                .expect("every finding comes from a rule that ran"),
            level: level(d.severity),
            message: Message {
                text: d.message.clone(),
            },
            locations: [location(d, &analysis.shown_paths)],
            partial_fingerprints: PartialFingerprints {
                primary_location_line_hash: fingerprint.line_hash(),
            },
        })
        .collect();
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: Some(env!("CARGO_PKG_REPOSITORY")).filter(|u| !u.is_empty()),
                    rules: analysis.rules.iter().map(|rule| descriptor(rule)).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Opportunity => "note",
    }
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let what_it_does = section(rule.doc, "What it does");
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Message {
            text: first_sentence(&what_it_does).to_string(),
        },
        full_description: Message { text: what_it_does },
        help: Help {
            text: rule.help,
            markdown: rule.doc,
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

/// The paragraphs under `## {heading}` in a rule document, each joined into one line.
fn section(doc: &str, heading: &str) -> String {
    let body = doc
        .split_once(&format!("## {heading}\n"))
        .map_or("", |(_, rest)| rest);
    let body = body.split("\n## ").next().unwrap_or_default();
    body.split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|paragraph| !paragraph.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The first paragraph up to the full stop that ends its first sentence (`e.g.` does not).
fn first_sentence(text: &str) -> &str {
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    paragraph
        .match_indices(". ")
        .map(|(index, _)| &paragraph[..=index])
        .find(|sentence| !sentence.ends_with("e.g.") && !sentence.ends_with("i.e."))
        .unwrap_or(paragraph)
}

fn location(d: &Diagnostic, paths: &ShownPaths) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_path(&paths.from_repository(&d.path)),
            },
            region: Region {
                start_line: d.span.line,
                start_column: d.span.column,
                end_line: d.span.end_line,
                end_column: d.span.end_column,
            },
        },
    }
}

/// A relative path as a URI reference: characters a URI cannot hold as they are (spaces,
/// `%`, `#`, `?`, non-ASCII) are percent-encoded, and so is `:`, which would make the
/// first segment read as a scheme.
fn uri_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}
