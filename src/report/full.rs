//! The `full` report (also `text`), shaped like Ruff's: `path:line:col: CODE message`,
//! the source line with a caret underline, and a summary with counts per code.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use owo_colors::OwoColorize;
use unicode_width::UnicodeWidthChar;

use super::counts_by_code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::FixMode;
use crate::invalidation::{InvalidationMap, Location};
use crate::pipeline::Analysis;
use crate::shown_paths::ShownPaths;

pub struct FullOptions {
    pub verbose: bool,
    /// Print each finding's detail and its rule's help (`--verbose`, `--show-details`).
    pub details: bool,
    /// Print the invalidation map (`check-invalidation`).
    pub invalidation_map: bool,
    /// Counts per code instead of the findings (`--statistics`).
    pub statistics: bool,
    /// Count what `# noqa` silenced (`--show-suppressed`).
    pub show_suppressed: bool,
    /// The most opportunities to list (`--show-opportunities`); `None` for all.
    pub opportunity_limit: Option<usize>,
    /// Which fixes count as fixable (`--unsafe-fixes`): those are marked `[*]`.
    pub fix_mode: FixMode,
    /// How many findings `--fix` fixed before this report.
    pub fixed: usize,
}

impl FullOptions {
    /// The opportunities to list, most valuable first, and how many are left out.
    pub(super) fn listed<'d>(&self, opportunities: &'d [Diagnostic]) -> (&'d [Diagnostic], usize) {
        let shown = self
            .opportunity_limit
            .map_or(opportunities.len(), |limit| limit.min(opportunities.len()));
        (&opportunities[..shown], opportunities.len() - shown)
    }
}

/// `... and 12 more opportunities`, with how to list them.
pub(super) fn write_more_opportunities(out: &mut dyn Write, left_out: usize) -> io::Result<()> {
    if left_out == 0 {
        return Ok(());
    }
    let more = if left_out == 1 {
        "1 more opportunity".to_string()
    } else {
        format!("{left_out} more opportunities")
    };
    writeln!(
        out,
        "... and {more}, less valuable: `--show-opportunities all` (or a count) lists them, `--select CA5` lists only opportunities."
    )
}

pub fn write_full(
    out: &mut dyn Write,
    analysis: &Analysis,
    options: &FullOptions,
) -> io::Result<()> {
    let (problems, opportunities) = problems_and_opportunities(analysis);
    if options.statistics {
        write_statistics(out, &analysis.diagnostics)?;
    } else {
        let sources = Sources::new(&analysis.root);
        for diagnostic in &problems {
            write_diagnostic(out, diagnostic, options, &sources, &analysis.shown_paths)?;
        }
        if !opportunities.is_empty() {
            writeln!(out, "{}", "Opportunities:".bold())?;
            writeln!(out)?;
            let (listed, left_out) = options.listed(&opportunities);
            for diagnostic in listed {
                write_diagnostic(out, diagnostic, options, &sources, &analysis.shown_paths)?;
            }
            if left_out > 0 {
                write_more_opportunities(out, left_out)?;
                writeln!(out)?;
            }
        }
    }
    if options.invalidation_map {
        write_invalidation_map(out, &analysis.invalidation, &analysis.shown_paths)?;
    }
    write_summary(out, analysis, &problems, &opportunities, options)
}

/// One line per code, as Ruff's `--statistics`: count, code, name.
fn write_statistics(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    for (code, count) in counts_by_code(diagnostics) {
        let name = diagnostics
            .iter()
            .find(|d| d.code == code)
            .map_or("", |d| d.name);
        writeln!(out, "{count:>5}\t{code}\t{name}")?;
    }
    Ok(())
}

/// Lines shown above and below a finding's line, as Ruff shows them.
const CONTEXT_LINES: usize = 2;
/// A context line longer than this (a minified template, generated code) is cut.
const MAX_CONTEXT_CHARS: usize = 200;

/// A context line, cut at `MAX_CONTEXT_CHARS` characters with `…`.
fn shortened(line: &str) -> String {
    match line.char_indices().nth(MAX_CONTEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// The analysed files' text, read once each when a finding in them is shown with its
/// context.
struct Sources<'a> {
    root: &'a Path,
    files: RefCell<HashMap<String, Option<Vec<String>>>>,
}

impl<'a> Sources<'a> {
    fn new(root: &'a Path) -> Self {
        Sources {
            root,
            files: RefCell::default(),
        }
    }

    /// Lines `first..=last` (1-based) of a file, those it has; none when it cannot be
    /// read as it was when analysed (the finding's own line differs).
    fn lines(&self, d: &Diagnostic, first: usize, last: usize) -> Vec<(usize, String)> {
        let mut files = self.files.borrow_mut();
        let text = files.entry(d.path.clone()).or_insert_with(|| {
            let bytes = std::fs::read(self.root.join(&d.path)).ok()?;
            let text = String::from_utf8_lossy(&bytes);
            Some(text.lines().map(str::to_string).collect())
        });
        let Some(lines) = text else {
            return Vec::new();
        };
        let same_line = lines.get(d.span.line.wrapping_sub(1)).is_some_and(|line| {
            line.trim_end_matches('\r') == d.span.source_line.trim_end_matches('\r')
        });
        if !same_line {
            return Vec::new();
        }
        (first.max(1)..=last.min(lines.len()))
            .map(|number| (number, shortened(&lines[number - 1])))
            .collect()
    }
}

fn write_diagnostic(
    out: &mut dyn Write,
    d: &Diagnostic,
    options: &FullOptions,
    sources: &Sources,
    paths: &ShownPaths,
) -> io::Result<()> {
    write_location_line(out, d, paths, options.fix_mode)?;
    let code = coloured_code(d);
    if !d.span.source_line.is_empty() {
        let line = d.span.line;
        let before = sources.lines(
            d,
            line.saturating_sub(CONTEXT_LINES),
            line.saturating_sub(1),
        );
        let after = sources.lines(d, line + 1, line + CONTEXT_LINES);
        let widest = after.last().map_or(line, |(number, _)| *number);
        let width_of_numbers = widest.to_string().len();
        let gutter = " ".repeat(width_of_numbers);
        let numbered = |out: &mut dyn Write, number: usize, text: &str| {
            let number = format!("{number:>width_of_numbers$}");
            if text.is_empty() {
                writeln!(out, "{} {}", number.blue(), "|".blue())
            } else {
                let text = escape_controls_keep_tabs(text);
                writeln!(out, "{} {} {text}", number.blue(), "|".blue())
            }
        };
        let (indent, width) = underline(&d.span.source_line, d);
        writeln!(out, "{gutter} {}", "|".blue())?;
        for (number, text) in &before {
            numbered(out, *number, text)?;
        }
        numbered(out, line, &d.span.source_line)?;
        writeln!(
            out,
            "{gutter} {} {indent}{} {code}",
            "|".blue(),
            "^".repeat(width).red()
        )?;
        for (number, text) in &after {
            numbered(out, *number, text)?;
        }
        writeln!(out, "{gutter} {}", "|".blue())?;
    }
    if options.details {
        if let Some(detail) = &d.detail {
            writeln!(out, "  {} {}", "= why:".bold(), escape_controls(detail))?;
        }
        writeln!(out, "  {} {}", "= help:".bold(), d.help)?;
    }
    writeln!(out)
}

/// Problems are listed first, errors before warnings, each in file order; opportunities
/// after them, most valuable first (file order among equals).
pub(super) fn problems_and_opportunities(
    analysis: &Analysis,
) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let (mut problems, mut opportunities): (Vec<Diagnostic>, Vec<Diagnostic>) = analysis
        .diagnostics
        .iter()
        .cloned()
        .partition(|d| d.severity != Severity::Opportunity);
    problems.sort_by_key(|d| d.severity);
    opportunities.sort_by_key(|d| std::cmp::Reverse(d.benefit));
    (problems, opportunities)
}

/// `Found N problems (...)`, `All checks passed!`, the opportunities' count and, verbose,
/// what was analysed: the closing lines of `full` and `concise`.
pub(super) fn write_summary(
    out: &mut dyn Write,
    analysis: &Analysis,
    problems: &[Diagnostic],
    opportunities: &[Diagnostic],
    options: &FullOptions,
) -> io::Result<()> {
    if options.fixed > 0 {
        writeln!(out, "Fixed {}.", counted(options.fixed, "finding"))?;
    }
    // "All checks passed!" only when nothing at all was found: opportunities are
    // findings too, counted on their own line below.
    if problems.is_empty() && opportunities.is_empty() {
        writeln!(out, "{}", "All checks passed!".green().bold())?;
    } else if problems.is_empty() {
        writeln!(out, "{}", "No problems found.".green().bold())?;
    } else {
        writeln!(out, "Found {}.", tally(problems, "problem", "problems"))?;
    }
    if !opportunities.is_empty() {
        writeln!(
            out,
            "Found {}.",
            tally(opportunities, "opportunity", "opportunities")
        )?;
    }
    write_fixable(out, analysis, options)?;
    if options.show_suppressed && !analysis.suppressed.is_empty() {
        writeln!(
            out,
            "Suppressed {} with `# noqa`.",
            tally(&analysis.suppressed, "finding", "findings")
        )?;
    }
    if let Some(baseline) = &analysis.baseline {
        writeln!(out, "{}", baseline.summary())?;
    }
    if options.verbose {
        writeln!(
            out,
            "Analyzed {} and {} in {:.2}s.",
            counted(analysis.files_analyzed, "file"),
            counted(analysis.templates_analyzed, "template"),
            analysis.elapsed.as_secs_f64(),
        )?;
        writeln!(
            out,
            "Django {}: {}.",
            analysis.django.version,
            analysis.django.source_label()
        )?;
        for (code, reasons) in &analysis.unknown {
            let total: usize = reasons.values().sum();
            let why: Vec<String> = reasons
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            writeln!(
                out,
                "{code}: {} left unreported, not proved: {}.",
                counted(total, "candidate"),
                why.join("; ")
            )?;
        }
    }
    Ok(())
}

/// How many findings `--fix` would fix, and how many more `--unsafe-fixes` would, in
/// Ruff's words.
fn write_fixable(
    out: &mut dyn Write,
    analysis: &Analysis,
    options: &FullOptions,
) -> io::Result<()> {
    let fixes = analysis.diagnostics.iter().filter_map(|d| d.fix.as_ref());
    let (fixable, hidden) = fixes.fold((0, 0), |(fixable, hidden), fix| {
        if options.fix_mode.allows(fix) {
            (fixable + 1, hidden)
        } else {
            (fixable, hidden + 1)
        }
    });
    let hidden = match hidden {
        0 => String::new(),
        1 => " (1 hidden fix can be enabled with the `--unsafe-fixes` option)".to_string(),
        n => format!(" ({n} hidden fixes can be enabled with the `--unsafe-fixes` option)"),
    };
    match fixable {
        0 if hidden.is_empty() => Ok(()),
        0 => writeln!(out, "No fixes available{hidden}."),
        n => writeln!(out, "[*] {n} fixable with the `--fix` option{hidden}."),
    }
}

/// `path:line:col: CODE message`, coloured as Ruff colours it.
pub(super) fn write_location_line(
    out: &mut dyn Write,
    d: &Diagnostic,
    paths: &ShownPaths,
    fix_mode: FixMode,
) -> io::Result<()> {
    // `[*]` marks a finding `--fix` fixes, as in Ruff.
    let fixable = if d.fix.as_ref().is_some_and(|fix| fix_mode.allows(fix)) {
        " [*]"
    } else {
        ""
    };
    // The severity as a word, so that it survives `NO_COLOR`, pipes and CI logs; the
    // line still reads `path:line:col: CODE ...` for the tools that parse Ruff's.
    writeln!(
        out,
        "{}{}{}{}{}{} {}{fixable} {} {}",
        escape_controls(&paths.from_cwd(&d.path)).bold(),
        ":".cyan(),
        d.span.line,
        ":".cyan(),
        d.span.column,
        ":".cyan(),
        coloured_code(d),
        coloured(d, &format!("{}:", d.severity.as_str())),
        escape_controls(&d.message)
    )
}

fn coloured_code(d: &Diagnostic) -> String {
    coloured(d, d.code)
}

/// Text in the colour of the finding's severity.
fn coloured(d: &Diagnostic, text: &str) -> String {
    match d.severity {
        Severity::Error => text.red().bold().to_string(),
        Severity::Warning => text.yellow().bold().to_string(),
        Severity::Opportunity => text.cyan().bold().to_string(),
    }
}

fn write_invalidation_map(
    out: &mut dyn Write,
    map: &InvalidationMap,
    paths: &ShownPaths,
) -> io::Result<()> {
    let place = |l: &Location| {
        format!(
            "{}:{}",
            escape_controls(&paths.from_cwd(&l.path)),
            l.span.line
        )
    };
    if map.models.is_empty() {
        writeln!(
            out,
            "{}",
            "Invalidation map: no model data is cached.".bold()
        )?;
        return writeln!(out);
    }
    writeln!(out, "{}", "Invalidation map:".bold())?;
    for entry in &map.models {
        let defined = match &entry.location {
            Some(location) => place(location),
            None => "outside the analysed tree".to_string(),
        };
        writeln!(
            out,
            "  {} ({defined})",
            escape_controls(&entry.model).bold()
        )?;
        for cached in &entry.cached_in {
            // No timeout written and no lifetime known: a wrapper's own default, or a
            // setting from the environment.
            let unwritten = if cached.stale_for.is_none() {
                "unknown"
            } else {
                "default"
            };
            let timeout = cached.timeout.as_deref().unwrap_or(unwritten);
            let through = cached
                .through
                .as_ref()
                .map(|t| format!(", by {}", escape_controls(&t.helper)))
                .unwrap_or_default();
            writeln!(
                out,
                "    cached in       {} ({}, timeout {timeout}{through})",
                escape_controls(
                    &cached
                        .template
                        .as_ref()
                        .map_or("an unreadable key".to_string(), ToString::to_string)
                ),
                place(&cached.location)
            )?;
        }
        for invalidation in &entry.invalidated_by {
            writeln!(
                out,
                "    invalidated by  {} {} ({})",
                invalidation.kind.describe(),
                escape_controls(&invalidation.handler),
                place(&invalidation.location)
            )?;
        }
        if entry.invalidated_by.is_empty() && !entry.cached_in.is_empty() {
            writeln!(out, "    invalidated by  {}", "nothing".red())?;
        }
        for bypass in &entry.bypassed_by {
            let handled = if bypass.handled {
                " (cache cleared after it)"
            } else {
                ""
            };
            writeln!(
                out,
                "    bypassed by     {} ({}){handled}",
                escape_controls(&bypass.call),
                place(&bypass.location)
            )?;
        }
    }
    writeln!(out)
}

/// The prefix before the caret (tabs kept so it lines up) and the caret's width, in
/// terminal columns of the line as printed (escaped controls, double-width characters).
fn underline(source_line: &str, d: &Diagnostic) -> (String, usize) {
    let chars: Vec<char> = source_line.chars().collect();
    let start = (d.span.column - 1).min(chars.len());
    let end = if d.span.end_line == d.span.line {
        (d.span.end_column - 1).min(chars.len())
    } else {
        chars.len()
    };
    let mut indent = String::new();
    for &c in &chars[..start] {
        if c == '\t' {
            indent.push('\t');
        } else {
            indent.extend(std::iter::repeat_n(' ', display_width(c)));
        }
    }
    let width = chars[start..end]
        .iter()
        .map(|&c| display_width(c))
        .sum::<usize>();
    (indent, width.max(1))
}

fn display_width(c: char) -> usize {
    if c.is_control() {
        c.escape_default().count()
    } else {
        UnicodeWidthChar::width(c).unwrap_or(0)
    }
}

/// Control characters in file names or messages must not reach the terminal as is.
fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn escape_controls_keep_tabs(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_tabs: bool) -> Cow<'_, str> {
    let needs_escape = |c: char| c.is_control() && !(keep_tabs && c == '\t');
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if needs_escape(c) {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `3 problems (CA101: 2, CA102: 1)`.
fn tally(diagnostics: &[Diagnostic], singular: &str, plural: &str) -> String {
    let counts: Vec<String> = counts_by_code(diagnostics)
        .into_iter()
        .map(|(code, count)| format!("{code}: {count}"))
        .collect();
    let noun = if diagnostics.len() == 1 {
        singular
    } else {
        plural
    };
    format!("{} {noun} ({})", diagnostics.len(), counts.join(", "))
}

/// `1 file`, `2 files`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
