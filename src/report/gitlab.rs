//! The `gitlab` report: a GitLab Code Quality artifact (the Code Climate subset GitLab
//! reads), shown in merge requests. GitLab keeps one finding per fingerprint, so each
//! finding has its own.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::fingerprint::fingerprints;
use crate::diagnostic::Severity;
use crate::pipeline::Analysis;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: Cow<'a, str>,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

pub fn write_gitlab(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let issues: Vec<Issue> = analysis
        .diagnostics
        .iter()
        .zip(fingerprints(&analysis.diagnostics))
        .map(|(d, fingerprint)| Issue {
            description: &d.message,
            check_name: d.code,
            fingerprint: fingerprint.unique(),
            severity: match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Opportunity => "info",
            },
            location: Location {
                path: analysis.shown_paths.from_repository(&d.path),
                lines: Lines {
                    begin: d.span.line,
                    end: d.span.end_line,
                },
            },
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
