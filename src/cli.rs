//! Command-line interface: the commands, their flags, and how each maps to the pipeline
//! and a report.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::add_noqa::AddNoqaArgs;
use crate::apply_fixes::{self, AppliedFix};
use crate::baseline::{self, BaselineChoice};
use crate::diagnostic::Severity;
use crate::django_version::{self, DjangoVersion};
use crate::exit_code;
use crate::options::Options;
use crate::pipeline::{self, Analysis};
use crate::report::{
    write_concise, write_full, write_github, write_gitlab, write_json, write_json_lines,
    write_junit, write_sarif, FullOptions,
};
use crate::rules::{self, RULES};
use crate::selection::Selection;

#[derive(Parser)]
#[command(
    name = "cache-analyzer",
    version,
    about = "Finds caching bugs in Django projects by reading their source."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find caching problems in a Django project and print them.
    Analyze(AnalyzeArgs),
    /// Run the invalidation rules (CA3xx) only: the CI gate for stale caches.
    CheckInvalidation(CheckArgs),
    /// Write the full report to a file.
    Report(ReportArgs),
    /// Explain a rule, or list them all.
    Rule(RuleArgs),
}

#[derive(Args)]
struct ScopeArgs {
    /// Files or directories to analyse [default: .]
    paths: Vec<PathBuf>,
    /// Report only findings inside this app: its label or dotted module path (repeatable).
    /// The whole tree is still indexed.
    #[arg(long = "app", value_name = "APP")]
    apps: Vec<String>,
    /// Report only these codes or prefixes, comma separated (e.g. `CA1,CA302`).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Vec<String>,
    /// Do not report these codes or prefixes, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<String>,
    /// The Django version the project runs, e.g. 5.2 or 6.0.6 [default: the lowest version
    /// its requirements allow, else the newest release]
    #[arg(long, value_name = "VERSION", value_parser = django_version::parse_version_option)]
    django_version: Option<DjangoVersion>,
    /// The least severe finding that makes the exit status 1: `error`, `warning` (errors
    /// and warnings fail) or `opportunity` (every finding fails) [default: the
    /// configuration's `fail-on`, else warning]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Read settings from this file instead of the nearest `pyproject.toml`
    /// (`[tool.cache-analyzer]`), `cache-analyzer.toml` or `.cache-analyzer.toml`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Neither read nor write the fact cache.
    #[arg(long)]
    no_cache: bool,
    /// Keep the fact cache in this directory [default: the configuration's `cache-dir`,
    /// else `.cache-analyzer_cache` beside the configuration or at the analysed root]
    #[arg(long, value_name = "DIR", env = "CACHE_ANALYZER_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Report only the findings this baseline file does not hold [default: the
    /// configuration's `baseline`]
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Report every finding, ignoring the configuration's `baseline`.
    #[arg(long, conflicts_with = "baseline")]
    no_baseline: bool,
    /// Record the findings of this run in FILE, as the baseline later runs hide, instead of
    /// reporting them (any configured baseline is ignored), and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Opportunity,
}

impl FailOn {
    /// The command line's level, else the configuration's, else `warning`.
    fn resolve(given: Option<FailOn>, analysis: &Analysis) -> FailOn {
        given.unwrap_or(match analysis.fail_on.as_deref() {
            Some("error") => FailOn::Error,
            Some("opportunity") => FailOn::Opportunity,
            _ => FailOn::Warning,
        })
    }

    fn threshold(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Opportunity => Severity::Opportunity,
        }
    }
}

#[derive(Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long = "output-format", visible_alias = "format", value_enum, default_value_t = Format::Full)]
    format: Format,
    /// Add each finding's detail and its rule's help, and the number of files analysed
    /// and the time taken.
    #[arg(long, short)]
    verbose: bool,
    /// Add each finding's detail (the evidence behind it and why it matters) and its
    /// rule's help, as `--verbose` does, without the run's counts.
    #[arg(long)]
    show_details: bool,
    /// Exit with 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// Print the time each phase took to standard error.
    #[arg(long)]
    timings: bool,
    /// Print the number of findings per code instead of the findings.
    #[arg(long)]
    statistics: bool,
    /// Also count the findings `# noqa` comments silenced.
    #[arg(long)]
    show_suppressed: bool,
    /// When to colour `full` and `concise`: `auto` on a terminal (not under `NO_COLOR`;
    /// always under `FORCE_COLOR`), `always` or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// How many opportunities `full` and `concise` list, most valuable first: a number,
    /// or `all` [default: 20, or all when only opportunity rules are selected]
    #[arg(long, value_name = "N|all", value_parser = parse_opportunity_limit)]
    show_opportunities: Option<OpportunityLimit>,
}

/// `--color`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Sets the colour choice for standard output: `FORCE_COLOR` (set, not empty, not
    /// `0`) turns `auto` into `always`, as in other command-line tools.
    fn apply(self) {
        let forced = std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty() && v != "0");
        let choice = match self {
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
            ColorWhen::Auto if forced => anstream::ColorChoice::Always,
            ColorWhen::Auto => anstream::ColorChoice::Auto,
        };
        choice.write_global();
    }
}

/// `--show-opportunities`: all of them, or at most this many.
#[derive(Clone, Copy, Debug)]
enum OpportunityLimit {
    All,
    AtMost(usize),
}

fn parse_opportunity_limit(value: &str) -> Result<OpportunityLimit, String> {
    if value.eq_ignore_ascii_case("all") {
        return Ok(OpportunityLimit::All);
    }
    value
        .parse()
        .map(OpportunityLimit::AtMost)
        .map_err(|_| format!("expected a number or `all`, not `{value}`"))
}

/// The opportunities a terminal report lists unless told otherwise: an opportunity list
/// is read only while it is short.
const DEFAULT_OPPORTUNITIES: usize = 20;

impl OutputArgs {
    /// The most opportunities to list; `None` for all of them, which is also what a run
    /// of opportunity rules alone (`--select CA5`) asks for.
    fn opportunity_limit(&self, analysis: &Analysis) -> Option<usize> {
        match self.show_opportunities {
            Some(OpportunityLimit::All) => None,
            Some(OpportunityLimit::AtMost(count)) => Some(count),
            None => {
                let only_opportunities = analysis
                    .rules
                    .iter()
                    .filter(|rule| rule.code != crate::rules::FILE_NOT_ANALYZED.code)
                    .all(|rule| rule.severity == Severity::Opportunity);
                (!only_opportunities).then_some(DEFAULT_OPPORTUNITIES)
            }
        }
    }
}

#[derive(Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    fix: FixArgs,
    #[command(flatten)]
    noqa: AddNoqaArgs,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    fix: FixArgs,
    #[command(flatten)]
    noqa: AddNoqaArgs,
}

/// Fixes, as Ruff's flags name them.
#[derive(Args)]
struct FixArgs {
    /// Apply the safe fixes (those that keep the code's behaviour), then report the
    /// findings left.
    #[arg(long, conflicts_with = "write_baseline")]
    fix: bool,
    /// Also offer the unsafe fixes (they change behaviour, for the better: review them),
    /// and apply them with `--fix` or show them with `--diff` [default: the
    /// configuration's `unsafe-fixes`, else off]
    #[arg(long, overrides_with = "no_unsafe_fixes")]
    unsafe_fixes: bool,
    /// Offer only the safe fixes, whatever the configuration says.
    #[arg(long, overrides_with = "unsafe_fixes")]
    no_unsafe_fixes: bool,
    /// Print the fixes as a unified diff (for `patch -p1`) instead of applying them;
    /// exit 1 when there is one.
    #[arg(long, conflicts_with = "write_baseline")]
    diff: bool,
    /// After `--fix`, list the findings fixed.
    #[arg(long)]
    show_fixes: bool,
}

impl FixArgs {
    /// The command line's choice about unsafe fixes, if it makes one.
    fn unsafe_fixes(&self) -> Option<bool> {
        match (self.unsafe_fixes, self.no_unsafe_fixes) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Args)]
struct ReportArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// File to write (`-` for standard output); it is replaced atomically, never left
    /// half-written, and created with the permissions the umask allows.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Exit with 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// Report format [default: from the file's extension: `.sarif` sarif, `.xml` junit,
    /// `.txt` full, else json]
    #[arg(long = "output-format", visible_alias = "format", value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
struct RuleArgs {
    /// The rule's code, e.g. CA101.
    #[arg(required_unless_present = "all")]
    code: Option<String>,
    /// List every rule's code, name and severity.
    #[arg(long, conflicts_with = "code")]
    all: bool,
}

/// The output formats, named as Ruff names its own.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Findings with their source lines and a summary (also `text`).
    #[value(alias = "text")]
    Full,
    /// One `path:line:col: CODE message` line a finding, and the summary.
    Concise,
    /// The full report: findings, summary and invalidation map (schema version 1).
    Json,
    /// One JSON object a finding, one a line.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands, which annotate pull requests.
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// JUnit XML: a test case per finding, a test suite per file.
    Junit,
}

impl Format {
    /// For people, so coloured on a terminal; the others are parsed and stay byte-exact.
    fn is_for_people(self) -> bool {
        matches!(self, Format::Full | Format::Concise)
    }

    /// `report --output FILE` without a format: the one its extension names.
    fn from_extension(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("sarif") => Format::Sarif,
            Some("xml") => Format::Junit,
            Some("txt") => Format::Full,
            _ => Format::Json,
        }
    }

    fn write(
        self,
        out: &mut dyn Write,
        analysis: &Analysis,
        options: &FullOptions,
    ) -> io::Result<()> {
        match self {
            Format::Full => write_full(out, analysis, options),
            Format::Concise => write_concise(out, analysis, options),
            Format::Json => write_json(out, analysis),
            Format::JsonLines => write_json_lines(out, analysis),
            Format::Sarif => write_sarif(out, analysis),
            Format::Github => write_github(out, analysis),
            Format::Gitlab => write_gitlab(out, analysis),
            Format::Junit => write_junit(out, analysis),
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => check(&args.scope, &args.output, &args.fix, &args.noqa, None),
        Command::CheckInvalidation(args) => check(
            &args.scope,
            &args.output,
            &args.fix,
            &args.noqa,
            Some("CA3"),
        ),
        Command::Report(args) => write_report_file(&args),
        Command::Rule(args) => print_rule(&args),
    }
}

/// `analyze` and `check-invalidation` (`family` `CA3`): report the findings, after fixing
/// them or instead of showing the fixes as a diff when asked.
fn check(
    scope: &ScopeArgs,
    output: &OutputArgs,
    fix: &FixArgs,
    noqa: &AddNoqaArgs,
    family: Option<&str>,
) -> Result<ExitCode> {
    let invalidation_map = family.is_some();
    let options = options(scope, family, fix.unsafe_fixes())?;
    if let Some(file) = &scope.write_baseline {
        return record_baseline(&pipeline::run(&options)?, file);
    }
    if noqa.add_noqa {
        return add_noqa(&pipeline::run(&options)?, noqa);
    }
    if !fix.fix && !fix.diff {
        let analysis = pipeline::run(&options)?;
        let fixes = FixReport {
            applied: &[],
            listed: false,
        };
        return print_report(&analysis, output, scope.fail_on, invalidation_map, &fixes);
    }
    let fixed = apply_fixes::fix_in_memory(options)?;
    if fix.diff {
        let diff = apply_fixes::unified_diff(&fixed);
        match io::stdout().lock().write_all(diff.as_bytes()) {
            Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
                return Err(err).context("cannot write the diff");
            }
            _ => {}
        }
        eprintln!("Would fix {}.", counted(fixed.applied.len(), "finding"));
        let status = if fixed.files.is_empty() {
            exit_code::CLEAN
        } else {
            exit_code::FINDINGS
        };
        return Ok(ExitCode::from(status));
    }
    let failures = apply_fixes::write(&fixed);
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    let fixes = FixReport {
        applied: &fixed.applied,
        listed: fix.show_fixes,
    };
    let status = print_report(
        &fixed.analysis,
        output,
        scope.fail_on,
        invalidation_map,
        &fixes,
    )?;
    Ok(if failures.is_empty() {
        status
    } else {
        ExitCode::from(exit_code::ERROR)
    })
}

/// What the pipeline is asked: the scope, within a rule family, and the command line's
/// choice about unsafe fixes.
fn options(scope: &ScopeArgs, family: Option<&str>, unsafe_fixes: Option<bool>) -> Result<Options> {
    let mut selection = Selection::new(&scope.select, &scope.ignore)?;
    if let Some(family) = family {
        selection = selection.within(family);
    }
    Ok(Options {
        paths: scope.paths.clone(),
        apps: scope.apps.clone(),
        selection,
        django_version: scope.django_version,
        config: scope.config.clone(),
        no_cache: scope.no_cache,
        cache_dir: scope.cache_dir.clone(),
        edited: Default::default(),
        baseline: BaselineChoice::new(
            scope.baseline.as_deref(),
            scope.write_baseline.is_some() || scope.no_baseline,
        ),
        unsafe_fixes,
    })
}

/// `analyze` and `check-invalidation` with `--write-baseline FILE`: the findings are
/// recorded instead of reported.
fn record_baseline(analysis: &Analysis, file: &Path) -> Result<ExitCode> {
    warn_if_nothing_checked(analysis);
    write_baseline(analysis, file, false)
}

/// Writes the baseline and says so; the run passes. The note goes to standard error when a
/// report is on standard output.
fn write_baseline(analysis: &Analysis, file: &Path, report_on_stdout: bool) -> Result<ExitCode> {
    let count = baseline::write(
        file,
        &analysis.root,
        &analysis.project_root,
        &analysis.diagnostics,
    )?;
    let note = baseline::written_message(count, file);
    if report_on_stdout {
        eprintln!("{note}");
    } else {
        println!("{note}");
    }
    Ok(ExitCode::from(exit_code::CLEAN))
}

/// What `--fix` did, for the report.
struct FixReport<'a> {
    applied: &'a [AppliedFix],
    /// `--show-fixes`: list them.
    listed: bool,
}

/// `--add-noqa`: directives for the findings instead of a report of them.
fn add_noqa(analysis: &Analysis, args: &AddNoqaArgs) -> Result<ExitCode> {
    warn_if_nothing_checked(analysis);
    crate::add_noqa::run(analysis, args.reason.as_deref())
}

fn print_report(
    analysis: &Analysis,
    output: &OutputArgs,
    fail_on: Option<FailOn>,
    invalidation_map: bool,
    fixes: &FixReport,
) -> Result<ExitCode> {
    let reporting = Instant::now();
    output.color.apply();
    // anstream drops colour for NO_COLOR or a pipe; machine formats bypass it so that
    // nothing in them (an escape character in a message) is ever stripped.
    let mut stdout: Box<dyn Write> = if output.format.is_for_people() {
        Box::new(anstream::stdout().lock())
    } else {
        Box::new(io::stdout().lock())
    };
    let options = FullOptions {
        verbose: output.verbose,
        details: output.verbose || output.show_details,
        invalidation_map,
        statistics: output.statistics,
        show_suppressed: output.show_suppressed,
        opportunity_limit: output.opportunity_limit(analysis),
        fix_mode: analysis.fix_mode,
        fixed: fixes.applied.len(),
    };
    // A terminal report of nothing would say "All checks passed!": the warning says
    // instead that nothing was checked.
    let checked_nothing = warn_if_nothing_checked(analysis);
    let written = if checked_nothing && output.format.is_for_people() {
        Ok(())
    } else {
        output
            .format
            .write(&mut stdout, analysis, &options)
            .and_then(|()| {
                if fixes.listed && output.format.is_for_people() {
                    write_fixes(&mut stdout, fixes.applied, &analysis.shown_paths)?;
                }
                stdout.flush()
            })
    };
    if !fixes.applied.is_empty() && !output.format.is_for_people() {
        eprintln!("Fixed {}.", counted(fixes.applied.len(), "finding"));
    }
    match written {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report")?,
    }
    if output.verbose {
        print_cache_use(&analysis.cache);
    }
    if output.timings {
        print_timings(analysis, reporting.elapsed());
    }
    let fail_on = (!output.exit_zero).then(|| FailOn::resolve(fail_on, analysis));
    Ok(exit_status(analysis, fail_on))
}

/// `--show-fixes`: per file, how many findings of each rule were fixed, as Ruff lists them.
fn write_fixes(
    out: &mut dyn Write,
    applied: &[AppliedFix],
    paths: &crate::shown_paths::ShownPaths,
) -> io::Result<()> {
    if applied.is_empty() {
        return Ok(());
    }
    let mut by_file: BTreeMap<&str, BTreeMap<(&str, &str), usize>> = BTreeMap::new();
    for fix in applied {
        *by_file
            .entry(&fix.path)
            .or_default()
            .entry((fix.code, fix.name))
            .or_insert(0) += 1;
    }
    writeln!(out)?;
    writeln!(out, "Fixed {}:", counted(applied.len(), "finding"))?;
    for (path, codes) in by_file {
        writeln!(out, "- {}:", paths.from_cwd(path))?;
        for ((code, name), count) in codes {
            writeln!(out, "    {count} × {code} ({name})")?;
        }
    }
    Ok(())
}

/// `1 finding`, `2 findings`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The rules whose findings depend on the Django version.
const VERSIONED_RULES: &[&str] = &["CA204", "CA205", "CA601"];

/// Warns on standard error, as Ruff does, when no Python file was analysed, or none of
/// them imports Django; `true` when nothing at all was checked (no file, no template).
fn warn_if_nothing_checked(analysis: &Analysis) -> bool {
    // Files that did not parse are reported (CA000), not "not found".
    if analysis.files_analyzed == 0 && analysis.errors() == 0 {
        eprintln!("warning: no Python files found under the given path(s)");
        return analysis.templates_analyzed == 0 && analysis.diagnostics.is_empty();
    }
    if !analysis.django_found {
        eprintln!(
            "warning: no Django code found under the given path(s): no file imports `django`, so the rules, which look for Django's caching APIs, had little to check"
        );
    } else if analysis.django.source == django_version::VersionSource::AssumedNewest
        && analysis
            .rules
            .iter()
            .any(|rule| VERSIONED_RULES.contains(&rule.code))
    {
        // The version decides CA204 and CA205: a guess is said where it is seen.
        eprintln!(
            "warning: assuming Django {} (no Django requirement found; pass --django-version)",
            analysis.django.version
        );
    }
    false
}

/// What the fact cache did, on standard error as Ruff's `--verbose` logs its cache.
fn print_cache_use(cache: &pipeline::CacheUse) {
    for note in &cache.notes {
        eprintln!("note: {note}");
    }
    match &cache.file {
        Some(file) => eprintln!(
            "fact cache `{}`: facts of {} files reused, {} extracted",
            file.display(),
            cache.reused,
            cache.extracted
        ),
        None => eprintln!("fact cache: off"),
    }
}

/// The phase timings, with the share of CPU time spent outside the parser.
fn print_timings(analysis: &Analysis, report: Duration) {
    let t = &analysis.timings;
    let seconds = |d: Duration| d.as_secs_f64();
    let cpu = t.discover
        + t.cache
        + t.read
        + t.parse
        + t.facts
        + t.templates
        + t.index
        + t.rules
        + report;
    let outside = cpu.saturating_sub(t.parse);
    eprintln!(
        "timings: discover {:.3}s, cache {:.3}s, read {:.3}s cpu, parse {:.3}s cpu, facts {:.3}s cpu \
         (per-file phase {:.3}s wall), templates {:.3}s, index {:.3}s, rules {:.3}s, report {:.3}s; \
         total {:.3}s wall; outside parsing {:.1}% of {:.3}s cpu",
        seconds(t.discover),
        seconds(t.cache),
        seconds(t.read),
        seconds(t.parse),
        seconds(t.facts),
        seconds(t.per_file_wall),
        seconds(t.templates),
        seconds(t.index),
        seconds(t.rules),
        seconds(report),
        seconds(analysis.elapsed + report),
        100.0 * seconds(outside) / seconds(cpu).max(f64::EPSILON),
        seconds(cpu),
    );
}

/// 1 when a finding is at least as severe as `fail_on` (`None`: `--exit-zero`).
fn exit_status(analysis: &Analysis, fail_on: Option<FailOn>) -> ExitCode {
    let fails = fail_on.is_some_and(|fail_on| {
        analysis
            .diagnostics
            .iter()
            .any(|d| d.severity <= fail_on.threshold())
    });
    ExitCode::from(if fails {
        exit_code::FINDINGS
    } else {
        exit_code::CLEAN
    })
}

fn write_report_file(args: &ReportArgs) -> Result<ExitCode> {
    let format = args
        .format
        .unwrap_or_else(|| Format::from_extension(&args.output));
    if args.output.extension().is_some_and(|e| e == "py") {
        bail!(
            "refusing to write the report to `{}`: it is a Python file",
            args.output.display()
        );
    }
    let analysis = pipeline::run(&options(&args.scope, None, None)?)?;
    warn_if_nothing_checked(&analysis);
    let mut buffer = Vec::new();
    let options = FullOptions {
        verbose: false,
        // A report file is read later, away from the code: it carries every detail.
        details: true,
        invalidation_map: true,
        statistics: false,
        show_suppressed: false,
        opportunity_limit: None,
        fix_mode: analysis.fix_mode,
        fixed: 0,
    };
    if format.is_for_people() {
        format.write(
            &mut anstream::StripStream::new(&mut buffer),
            &analysis,
            &options,
        )?;
    } else {
        format.write(&mut buffer, &analysis, &options)?;
    }
    if args.output.as_os_str() == "-" {
        match io::stdout().lock().write_all(&buffer) {
            Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
                return Err(err).context("cannot write the report");
            }
            _ => {}
        }
    } else {
        crate::atomic_file::replace(&args.output, &buffer, None)?;
        let findings = analysis.diagnostics.len();
        let noun = if findings == 1 { "finding" } else { "findings" };
        println!("Wrote {findings} {noun} to {}", args.output.display());
    }
    if let Some(file) = &args.scope.write_baseline {
        return write_baseline(&analysis, file, args.output.as_os_str() == "-");
    }
    let fail_on = (!args.exit_zero).then(|| FailOn::resolve(args.scope.fail_on, &analysis));
    Ok(exit_status(&analysis, fail_on))
}

fn print_rule(args: &RuleArgs) -> Result<ExitCode> {
    let mut out = String::new();
    if args.all {
        let all = || std::iter::once(&rules::FILE_NOT_ANALYZED).chain(RULES);
        let width = all().map(|rule| rule.name.len()).max().unwrap_or_default();
        for rule in all() {
            out.push_str(&format!(
                "{}  {:<width$}  {}\n",
                rule.code,
                rule.name,
                rule.severity.as_str()
            ));
        }
    } else {
        let code = args.code.as_deref().unwrap_or_default();
        let Some(rule) = rules::by_code(code) else {
            bail!("unknown rule code `{code}`; run `cache-analyzer rule --all` to list the rules");
        };
        out.push_str(rule.doc);
    }
    match io::stdout().lock().write_all(out.as_bytes()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitCode::from(exit_code::CLEAN)),
    }
}
