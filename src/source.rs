//! Reading and parsing one file, then extracting its facts. The syntax tree lives only
//! inside [`analyze_bytes`].

use std::fs;
use std::time::{Duration, Instant};

use ruff_python_parser::parse_module;
use ruff_source_file::LineIndex;
use ruff_text_size::{TextRange, TextSize};

use crate::discover::SourcePath;
use crate::facts::span::{Locator, Span};
use crate::facts::{self, FileFacts, ProjectAnswers, ProjectPackages};

pub enum FileOutcome {
    Analyzed(Box<FileFacts>),
    /// The file could not be read or parsed: why, and where when known.
    NotAnalyzed {
        reason: String,
        span: Span,
    },
}

/// Time spent on one file, by phase.
#[derive(Clone, Copy, Default)]
pub struct FileTimings {
    pub read: Duration,
    pub parse: Duration,
    /// Fact extraction, and dropping the syntax tree.
    pub facts: Duration,
}

/// Reads a file's bytes, timing it; a file that cannot be read is not analysed.
pub fn read_file(file: &SourcePath, timings: &mut FileTimings) -> Result<Vec<u8>, FileOutcome> {
    let started = Instant::now();
    let read = fs::read(&file.absolute);
    timings.read = started.elapsed();
    read.map_err(|err| FileOutcome::NotAnalyzed {
        reason: format!("cannot read file: {err}"),
        span: Span::file_start(),
    })
}

/// Analyses the contents of the file at `relative` (its module name comes from the path)
/// as the pipeline does once the file is read: any bytes give an outcome.
pub fn analyze_source(bytes: Vec<u8>, relative: &str, packages: &ProjectPackages) -> FileOutcome {
    analyze_bytes(bytes, relative, packages, &mut FileTimings::default()).0
}

/// The file's outcome, with the answers about the project its facts depend on.
pub fn analyze_bytes(
    bytes: Vec<u8>,
    relative: &str,
    packages: &ProjectPackages,
    timings: &mut FileTimings,
) -> (FileOutcome, ProjectAnswers) {
    match parse_and_extract(bytes, relative, packages, timings) {
        Ok((facts, answers)) => (FileOutcome::Analyzed(Box::new(facts)), answers),
        Err(outcome) => (outcome, ProjectAnswers::default()),
    }
}

fn parse_and_extract(
    bytes: Vec<u8>,
    relative: &str,
    packages: &ProjectPackages,
    timings: &mut FileTimings,
) -> Result<(FileFacts, ProjectAnswers), FileOutcome> {
    if u32::try_from(bytes.len()).is_err() {
        return Err(FileOutcome::NotAnalyzed {
            reason: format!(
                "file is too large to parse ({} bytes; the limit is 4 GiB)",
                bytes.len()
            ),
            span: Span::file_start(),
        });
    }
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(err) => return Err(not_utf8(err)),
    };
    if let Some(nul) = source.find('\0') {
        let span = Locator::new(&source).span_of(TextRange::at(
            TextSize::try_from(nul).unwrap_or_default(),
            1.into(),
        ));
        return Err(FileOutcome::NotAnalyzed {
            reason: format!(
                "file contains a NUL byte (line {}, column {}); Python refuses source code with null bytes",
                span.line, span.column
            ),
            span,
        });
    }
    if is_plain_migration(relative, &source) {
        let (module, _) = packages.module_name(relative);
        let facts = FileFacts {
            module,
            imports_django: source.contains("django"),
            ..FileFacts::default()
        };
        return Ok((facts, ProjectAnswers::default()));
    }
    let parsing = Instant::now();
    let parsed = parse_module(&source);
    timings.parse = parsing.elapsed();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let span = Locator::new(&source).span_of(err.location);
            return Err(FileOutcome::NotAnalyzed {
                reason: format!("syntax error: {}", err.error),
                span,
            });
        }
    };
    let extracting = Instant::now();
    let (module_name, is_package) = packages.module_name(relative);
    let in_tests = crate::test_code::is_test_path(relative);
    let facts = facts::extract(
        parsed.syntax(),
        &source,
        &module_name,
        is_package,
        in_tests,
        packages,
    );
    drop(parsed);
    timings.facts = extracting.elapsed();
    Ok(facts)
}

/// A numbered Django migration (`shop/migrations/0002_add_slug.py`) that never mentions a
/// cache: its operations and data functions hold none of the facts the rules read, so it
/// is not parsed (an eighth of a large project's lines).
fn is_plain_migration(relative: &str, source: &str) -> bool {
    let mut parts = relative.rsplit('/');
    let is_numbered = parts
        .next()
        .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_digit()));
    is_numbered
        && parts.next() == Some("migrations")
        && !source.contains("cache")
        && !source.contains("Cache")
}

fn not_utf8(err: std::string::FromUtf8Error) -> FileOutcome {
    let valid_up_to = err.utf8_error().valid_up_to();
    let bytes = err.as_bytes();
    // Everything before the first bad byte is valid UTF-8, so it can be located.
    let prefix = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let index = LineIndex::from_source_text(prefix);
    let position = index.line_column(TextSize::new(valid_up_to as u32), prefix);
    let (line, column) = (position.line.get(), position.column.get());
    FileOutcome::NotAnalyzed {
        reason: format!(
            "file is not valid UTF-8 (byte 0x{:02x} at line {line}, column {column}); Python source must be UTF-8",
            bytes[valid_up_to]
        ),
        span: Span {
            line,
            column,
            end_line: line,
            end_column: column,
            source_line: "".into(),
        },
    }
}
