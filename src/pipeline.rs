//! The pipeline, top to bottom: resolve what to analyse and with which settings, discover
//! files, parse them in parallel and extract facts (reading again the few files that call
//! the project's cache helpers, once those are known), merge the facts into the project
//! index, run the rules, filter and sort, and set aside what the baseline holds.

use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::attach_fixes;
use crate::baseline::BaselineUse;
use crate::diagnostic::Diagnostic;
use crate::discover::{discover, Discovery, SourcePath};
use crate::django_version::TargetVersion;
use crate::edit::{EditedFiles, FixMode};
use crate::fact_cache::{
    content_hash, path_key, CacheChoice, Entry as CacheEntry, FactCache, Stamp,
};
use crate::facts::span::Span;
use crate::facts::{last_name, ProjectPackages};
use crate::index::{FileEntry, ProjectIndex};
use crate::invalidation::InvalidationMap;
use crate::options::{Options, Settings, Target};
use crate::rules::{Rule, RuleContext, Unknowns, Violation, FILE_NOT_ANALYZED, RULES};
use crate::selection::Selection;
use crate::shown_paths::ShownPaths;
use crate::source::{analyze_bytes, read_file, FileOutcome, FileTimings};
use crate::suppression;
use crate::templates::TemplateIndex;
use crate::test_code::is_test_path;
use crate::view_caching::ViewMap;

/// Worker stack size: dropping or walking very deep syntax trees recurses, and rayon's
/// default 2 MiB stacks abort on inputs real projects contain.
const WORKER_STACK_BYTES: usize = 256 * 1024 * 1024;

pub struct Analysis {
    /// The directory findings' paths are relative to.
    pub root: PathBuf,
    /// How reports name the findings' files (from the current directory, from the
    /// repository).
    pub shown_paths: ShownPaths,
    /// The configuration's `fail-on`, for when the command line gives none.
    pub fail_on: Option<String>,
    /// Findings a `# noqa` comment on their line silences.
    pub suppressed: Vec<Diagnostic>,
    pub files_analyzed: usize,
    /// Some analysed file imports Django.
    pub django_found: bool,
    pub templates_analyzed: usize,
    /// The Django version the rules assumed, and where it came from.
    pub django: TargetVersion,
    pub diagnostics: Vec<Diagnostic>,
    /// The rules that ran, `CA000` first unless ignored: what SARIF lists as the tool's rules.
    pub rules: Vec<&'static Rule>,
    pub invalidation: InvalidationMap,
    /// Candidates left unreported because a deciding fact could not be proved.
    pub unknown: Unknowns,
    pub elapsed: Duration,
    pub timings: Timings,
    /// What the fact cache did.
    pub cache: CacheUse,
    /// Which fixes are offered and applied: the command line's choice, else the
    /// configuration's `unsafe-fixes`.
    pub fix_mode: FixMode,
    /// What the baseline hid, when there is one.
    pub baseline: Option<BaselineUse>,
    /// What a baseline's paths are relative to: the directory of the configuration file
    /// found, else the analysed root.
    pub project_root: PathBuf,
}

/// The fact cache's part in the run, for `--verbose`.
#[derive(Default)]
pub struct CacheUse {
    /// The cache file, when caching is on.
    pub file: Option<PathBuf>,
    /// Files whose facts came from the cache, and files extracted afresh.
    pub reused: usize,
    pub extracted: usize,
    /// Why the cache was off, damaged or not written.
    pub notes: Vec<String>,
}

/// Where the time went: wall time of the sequential phases, and CPU time summed over the
/// worker threads for the per-file phases.
#[derive(Default)]
pub struct Timings {
    pub discover: Duration,
    pub read: Duration,
    pub parse: Duration,
    pub facts: Duration,
    /// Wall time of the parallel read, parse and facts phase.
    pub per_file_wall: Duration,
    /// Wall time of reading and tokenizing the templates.
    pub templates: Duration,
    pub index: Duration,
    pub rules: Duration,
    /// Wall time of reading and writing the fact cache file.
    pub cache: Duration,
}

impl Analysis {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.code == FILE_NOT_ANALYZED.code)
            .count()
    }
}

/// Threads for work on files, with stacks deep enough for the syntax trees real projects
/// hold.
pub fn worker_pool() -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_BYTES)
        .build()
        .context("cannot start worker threads")
}

pub fn run(options: &Options) -> Result<Analysis> {
    let started = Instant::now();
    let target = Target::resolve(&options.paths)?;
    let mut settings = Settings::load(options, &target)?;
    let mut discovery = discover(&target.root, &target.paths, &mut settings.exclusions);
    let app_dirs = resolve_apps(&options.apps, &discovery)?;
    let mut timings = Timings {
        discover: started.elapsed(),
        ..Timings::default()
    };
    let packages = project_packages(&discovery, &settings.cache_objects);
    let pool = worker_pool()?;
    let extracted = extract_facts(
        &pool,
        &target.root,
        &discovery,
        &packages,
        &settings.cache,
        &options.edited,
        &mut timings,
    )?;
    let templates = read_templates(&mut discovery, &extracted.entries, &mut timings);
    let not_analyzed = file_errors(&discovery.errors, extracted.not_analyzed, &templates);
    let mut project = index_project(extracted.entries, &templates, &mut timings);
    let checked = check(&project, &templates, &settings, &mut timings);
    let in_scope = |path: &str| within_apps(path, &app_dirs) && target.reports_on(path);
    let findings = filter_findings(
        &pool,
        &target.root,
        &options.edited,
        not_analyzed
            .into_iter()
            .chain(checked.diagnostics)
            .collect(),
        &project.index,
        &settings,
        in_scope,
    );
    let (mut reported, baseline) = match &settings.baseline {
        Some(baseline) => {
            let reportable = |code: &str, path: &str| {
                let selected = if code == FILE_NOT_ANALYZED.code {
                    settings.selection.includes_file_errors(code)
                } else {
                    settings.selection.includes(code)
                };
                selected && in_scope(path)
            };
            let (kept, used) = baseline.apply(findings.reported, &target.root, reportable);
            (kept, Some(used))
        }
        None => (findings.reported, None),
    };
    project.invalidation.retain(in_scope);
    // Only the findings reported get fixes: those the baseline holds are left alone.
    attach_fixes::attach(&target.root, &options.edited, &mut reported);
    Ok(Analysis {
        shown_paths: ShownPaths::new(&target.root, std::env::current_dir().ok()),
        root: target.root,
        fail_on: settings.fail_on,
        suppressed: findings.suppressed,
        files_analyzed: project.index.files.len(),
        django_found: project
            .index
            .files
            .iter()
            .any(|file| file.facts.imports_django),
        templates_analyzed: templates.len(),
        django: settings.django,
        diagnostics: reported,
        rules: listed_rules(&options.selection, checked.rules),
        invalidation: project.invalidation,
        unknown: checked.unknown,
        elapsed: started.elapsed(),
        timings,
        cache: extracted.cache,
        fix_mode: settings.fix_mode,
        baseline,
        project_root: settings.project_root,
    })
}

/// The project's packages, which tell its own imports from others, and the objects the
/// configuration says behave like a cache.
fn project_packages(discovery: &Discovery, cache_objects: &[String]) -> ProjectPackages {
    ProjectPackages::from_relative_paths(discovery.files.iter().map(|f| f.relative.as_str()))
        .with_cache_objects(cache_objects.to_vec())
}

/// Reads the templates found, with those in the directories the `TEMPLATES` settings name:
/// only the files' facts tell where those are.
fn read_templates(
    discovery: &mut Discovery,
    entries: &[FileEntry],
    timings: &mut Timings,
) -> TemplateIndex {
    let template_dirs: Vec<String> = entries
        .iter()
        .flat_map(|entry| {
            entry
                .facts
                .template_dirs
                .iter()
                .filter_map(|dir| dir.resolve(&entry.path))
        })
        .collect();
    discovery.add_template_dirs(&template_dirs);
    let reading_templates = Instant::now();
    let templates = TemplateIndex::build(&discovery.templates);
    timings.templates = reading_templates.elapsed();
    templates
}

/// `CA000` for every file not analysed: paths that could not be listed, files that could
/// not be read or parsed (`unparsed`), templates unreadable or malformed.
fn file_errors(
    unlisted: &[(String, String)],
    unparsed: Vec<Diagnostic>,
    templates: &TemplateIndex,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (path, reason) in unlisted {
        diagnostics.push(not_analyzed_diagnostic(
            path.clone(),
            format!("cannot read: {reason}"),
            Span::file_start(),
        ));
    }
    diagnostics.extend(unparsed);
    for (path, reason) in &templates.unreadable {
        diagnostics.push(not_analyzed_diagnostic(
            path.clone(),
            reason.clone(),
            Span::file_start(),
        ));
    }
    for (path, facts) in templates.iter() {
        if let Some(malformed) = &facts.malformed {
            diagnostics.push(not_analyzed_diagnostic(
                path.to_string(),
                format!(
                    "template is malformed, so its `{{% cache %}}` blocks were not analysed: {}",
                    malformed.message
                ),
                malformed.span.clone(),
            ));
        }
    }
    diagnostics
}

/// What the rules read besides the templates: the project index, and the invalidation and
/// view caching maps computed once over it.
struct Project {
    index: ProjectIndex,
    invalidation: InvalidationMap,
    views: ViewMap,
}

fn index_project(
    entries: Vec<FileEntry>,
    templates: &TemplateIndex,
    timings: &mut Timings,
) -> Project {
    let indexing = Instant::now();
    let index = ProjectIndex::build(entries);
    // The two maps read the index and the templates only: built side by side.
    let (invalidation, views) = rayon::join(
        || InvalidationMap::build(&index, templates),
        || ViewMap::build(&index, templates),
    );
    timings.index = indexing.elapsed();
    Project {
        index,
        invalidation,
        views,
    }
}

/// The selected rules and what they found, before filtering.
struct Checked {
    rules: Vec<&'static Rule>,
    diagnostics: Vec<Diagnostic>,
    /// Candidates left unreported because a deciding fact could not be proved.
    unknown: Unknowns,
}

/// Runs the selected rules over the project, in parallel.
fn check(
    project: &Project,
    templates: &TemplateIndex,
    settings: &Settings,
    timings: &mut Timings,
) -> Checked {
    let checking = Instant::now();
    let context = RuleContext {
        index: &project.index,
        templates,
        invalidation: &project.invalidation,
        views: &project.views,
        django: &settings.django,
        max_staleness: settings.max_staleness,
        unknown: Default::default(),
    };
    let rules: Vec<&'static Rule> = RULES
        .iter()
        .filter(|rule| settings.selection.includes(rule.code))
        .collect();
    let found: Vec<Vec<Diagnostic>> = rules
        .par_iter()
        .map(|rule| {
            (rule.check)(&context)
                .into_iter()
                .map(|violation| rule.diagnostic(violation))
                .collect()
        })
        .collect();
    let mut unknown = context
        .unknown
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    unknown.retain(|code, _| settings.selection.includes(code));
    timings.rules = checking.elapsed();
    Checked {
        rules,
        diagnostics: found.into_iter().flatten().collect(),
        unknown,
    }
}

/// The findings to report, and those a `# noqa` comment silences.
struct Findings {
    reported: Vec<Diagnostic>,
    suppressed: Vec<Diagnostic>,
}

/// Keeps the findings outside tests (`CA000` anywhere), selected, in scope and not ignored
/// for their file; sorts them, one per rule and place, however many ways lead to it; and
/// sets apart those a `# noqa` silences.
fn filter_findings(
    pool: &rayon::ThreadPool,
    root: &Path,
    edited: &EditedFiles,
    mut diagnostics: Vec<Diagnostic>,
    index: &ProjectIndex,
    settings: &Settings,
    in_scope: impl Fn(&str) -> bool,
) -> Findings {
    let test_files: HashSet<&str> = index
        .files
        .iter()
        .filter(|file| file.is_test)
        .map(|file| file.path.as_str())
        .collect();
    let is_test = |path: &str| test_files.contains(path) || is_test_path(path);
    diagnostics.retain(|d| {
        (d.code == FILE_NOT_ANALYZED.code || !is_test(&d.path))
            && settings.selection.includes_file_errors(d.code)
            && in_scope(&d.path)
            && !settings.per_file_ignores.ignores(&d.path, d.code)
    });
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.message.cmp(&b.message))
    });
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let (suppressed, reported) = suppression::partition(root, edited, pool, diagnostics);
    Findings {
        reported,
        suppressed,
    }
}

/// The rules that ran, `CA000` first unless the command line ignores it: what SARIF lists
/// as the tool's rules.
fn listed_rules(selection: &Selection, ran: Vec<&'static Rule>) -> Vec<&'static Rule> {
    let file_errors = selection
        .includes_file_errors(FILE_NOT_ANALYZED.code)
        .then_some(&FILE_NOT_ANALYZED);
    file_errors.into_iter().chain(ran).collect()
}

/// The per-file phase's result.
struct Extracted {
    entries: Vec<FileEntry>,
    /// `CA000` for the files that could not be read or parsed.
    not_analyzed: Vec<Diagnostic>,
    cache: CacheUse,
}

/// Reads every file and extracts its facts, or loads them from the fact cache when the file
/// and the answers they depend on are unchanged; then reads the files calling the project's
/// helpers again for those calls (see [`helper_pass`]), and saves the cache.
fn extract_facts(
    pool: &rayon::ThreadPool,
    root: &Path,
    discovery: &Discovery,
    packages: &ProjectPackages,
    cache_choice: &CacheChoice,
    edited: &EditedFiles,
    timings: &mut Timings,
) -> Result<Extracted> {
    let loading = Instant::now();
    let mut cache = FactCache::open(cache_choice, root, packages);
    let mut notes: Vec<String> = cache.note.take().into_iter().collect();
    // Each file's key in the cache is its own path, not its (lossy) relative name.
    let keys: Vec<Vec<u8>> = discovery
        .files
        .iter()
        .map(|file| path_key(root, &file.absolute))
        .collect();
    let cached: Vec<Option<CacheEntry>> = keys.iter().map(|key| cache.take(key)).collect();
    // Entries of files gone since the last run are dropped by writing the cache again.
    let mut changed = cache.leftover() > 0;
    timings.cache = loading.elapsed();

    let extracting = Instant::now();
    let caching = cache.is_enabled();
    let first: Vec<FirstPass> = pool.install(|| {
        discovery
            .files
            .par_iter()
            .zip(cached)
            .map(|(file, cached)| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    first_pass(file, packages, cached, caching, edited)
                }))
                .unwrap_or_else(|_| FirstPass::internal_error())
            })
            .collect()
    });
    timings.per_file_wall = extracting.elapsed();

    let mut entries = Vec::new();
    let mut not_analyzed = Vec::new();
    // The cache entries of the analysed files and their keys, in the order of `entries`,
    // and those of the files that could not be parsed.
    let mut analysed_cache: Vec<Option<CacheEntry>> = Vec::new();
    let mut analysed_keys: Vec<Vec<u8>> = Vec::new();
    let mut unparsed_cache: Vec<(Vec<u8>, CacheEntry)> = Vec::new();
    let mut reused = 0;
    for ((file, pass), key) in discovery.files.iter().zip(first).zip(keys) {
        timings.read += pass.timings.read;
        timings.parse += pass.timings.parse;
        timings.facts += pass.timings.facts;
        if pass.reused {
            reused += 1;
        }
        changed |= !pass.reused || pass.restamped;
        match pass.outcome {
            FileOutcome::Analyzed(facts) => {
                entries.push(FileEntry::new(file.relative.clone(), *facts));
                analysed_cache.push(pass.entry);
                analysed_keys.push(key);
            }
            FileOutcome::NotAnalyzed { reason, span } => {
                not_analyzed.push(not_analyzed_diagnostic(file.relative.clone(), reason, span));
                unparsed_cache.extend(pass.entry.map(|entry| (key, entry)));
            }
        }
    }
    changed |= helper_pass(
        pool,
        discovery,
        packages,
        edited,
        &mut entries,
        &mut analysed_cache,
    );

    let saving = Instant::now();
    // Text edited in memory is not what the files hold: the cache describes the files.
    if caching && changed && edited.is_empty() {
        let saved = analysed_keys
            .into_iter()
            .zip(analysed_cache)
            .filter_map(|(key, cached)| cached.map(|cached| (key, cached)))
            .chain(unparsed_cache)
            .collect();
        if let Err(note) = cache.save(saved) {
            notes.push(note);
        }
    }
    timings.cache += saving.elapsed();
    let cache = CacheUse {
        file: cache.file().map(Path::to_path_buf),
        reused,
        extracted: discovery.files.len() - reused,
        notes,
    };
    Ok(Extracted {
        entries,
        not_analyzed,
        cache,
    })
}

/// One file's first pass.
struct FirstPass {
    outcome: FileOutcome,
    /// The file's cache entry: the one read, when `reused`, else a new one (when caching).
    entry: Option<CacheEntry>,
    reused: bool,
    /// Reused, but its stamp had changed (a checkout rewrote it unchanged): the cache is
    /// written again with the new stamp.
    restamped: bool,
    timings: FileTimings,
}

impl FirstPass {
    /// A panic while analysing a file becomes that file's `CA000`.
    fn internal_error() -> FirstPass {
        FirstPass {
            outcome: FileOutcome::NotAnalyzed {
                reason: "internal error while analysing this file (please report it)".to_string(),
                span: Span::file_start(),
            },
            entry: None,
            reused: false,
            restamped: false,
            timings: FileTimings::default(),
        }
    }

    fn reused(
        outcome: FileOutcome,
        entry: CacheEntry,
        restamped: bool,
        timings: FileTimings,
    ) -> FirstPass {
        FirstPass {
            outcome,
            entry: Some(entry),
            reused: true,
            restamped,
            timings,
        }
    }
}

fn first_pass(
    file: &SourcePath,
    packages: &ProjectPackages,
    cached: Option<CacheEntry>,
    caching: bool,
    edited: &EditedFiles,
) -> FirstPass {
    let mut timings = FileTimings::default();
    let edited = edited.get(&file.relative);
    let stamp = if caching && edited.is_none() {
        Stamp::of(&file.absolute)
    } else {
        None
    };
    let mut cached = cached;
    if let Some(entry) = cached.take() {
        if entry.is_stamped(stamp) {
            if let Some(outcome) = entry.first_pass(packages) {
                return FirstPass::reused(outcome, entry, false, timings);
            }
        } else {
            cached = Some(entry);
        }
    }
    let bytes = match read_source(file, edited, &mut timings) {
        Ok(bytes) => bytes,
        Err(outcome) => {
            return FirstPass {
                outcome,
                entry: None,
                reused: false,
                restamped: false,
                timings,
            }
        }
    };
    let content = content_hash(&bytes);
    if let Some(mut entry) = cached.filter(|entry| entry.has_content(content)) {
        if let Some(outcome) = entry.first_pass(packages) {
            entry.restamp(stamp);
            return FirstPass::reused(outcome, entry, true, timings);
        }
    }
    let (outcome, answers) = analyze_bytes(bytes, &file.relative, packages, &mut timings);
    let entry = if caching {
        CacheEntry::new(stamp, content, &outcome, answers)
    } else {
        None
    };
    FirstPass {
        outcome,
        entry,
        reused: false,
        restamped: false,
        timings,
    }
}

/// The file's bytes: its edited text when fixes have changed it in memory.
fn read_source(
    file: &SourcePath,
    edited: Option<&String>,
    timings: &mut FileTimings,
) -> Result<Vec<u8>, FileOutcome> {
    match edited {
        Some(text) => Ok(text.clone().into_bytes()),
        None => read_file(file, timings),
    }
}

/// The first pass keeps only the calls that pass a parameter on; once the project's
/// helpers are known (functions whose cache call takes a parameter, those making
/// memoising decorators, and those passing their parameters on to one), the files
/// calling them are read again for their calls to them, with the arguments (or those
/// calls come from the cache, when they were found with the same helpers). Which calls
/// went unread is kept for helpers only. Whether any file was read again.
fn helper_pass(
    pool: &rayon::ThreadPool,
    discovery: &Discovery,
    packages: &ProjectPackages,
    edited: &EditedFiles,
    entries: &mut [FileEntry],
    cached: &mut [Option<CacheEntry>],
) -> bool {
    let helpers = helper_names(entries);
    let is_helper = |name: &String| helpers.contains(last_name(name));
    let is_caller = |entry: &FileEntry| {
        !entry.is_test
            && (entry
                .facts
                .unseen_calls
                .iter()
                .any(|name| name.split('.').any(|part| helpers.contains(part)))
                || entry
                    .facts
                    .helper_calls
                    .iter()
                    .any(|call| is_helper(&call.function)))
    };
    let by_path: HashMap<&str, &SourcePath> = discovery
        .files
        .iter()
        .map(|file| (file.relative.as_str(), file))
        .collect();
    let packages = packages.with_helpers(helpers.clone());
    let callers: Vec<(&mut FileEntry, &mut Option<CacheEntry>, &SourcePath)> = entries
        .iter_mut()
        .zip(cached.iter_mut())
        .filter(|(entry, _)| is_caller(entry))
        .filter_map(|(entry, cached)| {
            let file = by_path.get(entry.path.as_str()).copied()?;
            Some((entry, cached, file))
        })
        .collect();
    let read_again = pool.install(|| {
        callers
            .into_par_iter()
            .map(|(entry, cached, file)| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    helper_calls_of(entry, cached, file, &packages, edited)
                }))
                .unwrap_or(false)
            })
            .filter(|read| *read)
            .count()
    });
    // `remember.delay(...)`, `caching.remember`: any part may name a helper.
    for entry in entries.iter_mut() {
        entry
            .facts
            .unseen_calls
            .retain(|name| name.split('.').any(|part| helpers.contains(part)));
    }
    read_again > 0
}

/// Replaces the first pass's helper calls of one caller with the second pass's; whether
/// the file was read again (not found in the cache).
fn helper_calls_of(
    entry: &mut FileEntry,
    cached: &mut Option<CacheEntry>,
    file: &SourcePath,
    packages: &ProjectPackages,
    edited: &EditedFiles,
) -> bool {
    if let Some((helper_calls, unseen_calls)) =
        cached.as_ref().and_then(|c| c.helper_pass(packages))
    {
        entry.facts.helper_calls = helper_calls;
        entry.facts.unseen_calls = unseen_calls;
        return false;
    }
    let mut timings = FileTimings::default();
    let Ok(bytes) = read_source(file, edited.get(&file.relative), &mut timings) else {
        // A file that cannot be read again keeps what the first pass found.
        return true;
    };
    let (outcome, answers) = analyze_bytes(bytes, &file.relative, packages, &mut timings);
    if let FileOutcome::Analyzed(facts) = outcome {
        let facts = *facts;
        if let Some(cached) = cached {
            cached.set_helper_pass(&facts.helper_calls, &facts.unseen_calls, answers);
        }
        entry.facts.helper_calls = facts.helper_calls;
        entry.facts.unseen_calls = facts.unseen_calls;
    }
    true
}

/// The last names of the project's helpers, found from the first pass's facts.
fn helper_names(entries: &[FileEntry]) -> FxHashSet<String> {
    let mut helpers: FxHashSet<String> = entries
        .iter()
        .filter(|entry| !entry.is_test)
        .flat_map(|entry| &entry.facts.function_facts)
        .filter(|fact| !fact.parameter_cache_calls.is_empty() || fact.memoises.is_some())
        .map(|fact| last_name(&fact.qualified_name).to_string())
        .collect();
    loop {
        let forwarders: Vec<String> = entries
            .iter()
            .filter(|entry| !entry.is_test)
            .flat_map(|entry| &entry.facts.helper_calls)
            .filter(|call| helpers.contains(last_name(&call.function)))
            .filter_map(|call| call.caller.as_deref().map(last_name))
            .filter(|caller| !helpers.contains(*caller))
            .map(str::to_string)
            .collect();
        if forwarders.is_empty() {
            return helpers;
        }
        helpers.extend(forwarders);
    }
}

fn not_analyzed_diagnostic(path: String, reason: String, span: Span) -> Diagnostic {
    FILE_NOT_ANALYZED.diagnostic(Violation {
        benefit: 0,
        severity: None,
        detail: None,
        path,
        span,
        message: reason,
        fix_anchor: None,
    })
}

/// The directories of the requested apps. An app is named by its label (a directory
/// holding `apps.py`, `models.py` or `views.py`) or by its dotted module path.
fn resolve_apps(apps: &[String], discovery: &Discovery) -> Result<Vec<String>> {
    let mut dirs = Vec::new();
    for app in apps {
        let as_path = app.replace('.', "/");
        let matches: Vec<&String> = discovery
            .app_dirs
            .iter()
            .filter(|dir| {
                dir.as_str() == as_path
                    || dir.ends_with(&format!("/{as_path}"))
                    || dir.rsplit('/').next() == Some(app.as_str())
            })
            .collect();
        if matches.is_empty() {
            let known: Vec<&str> = discovery
                .app_dirs
                .iter()
                .map(|d| d.rsplit('/').next().unwrap_or(d))
                .collect();
            bail!(
                "unknown app `{app}`; apps found: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
        dirs.extend(matches.into_iter().cloned());
    }
    Ok(dirs)
}

/// Whether the file at `path` lies in one of the apps `--app` names (all when none).
fn within_apps(path: &str, app_dirs: &[String]) -> bool {
    app_dirs.is_empty() || app_dirs.iter().any(|dir| is_within(path, dir))
}

fn is_within(path: &str, dir: &str) -> bool {
    dir == "."
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}
