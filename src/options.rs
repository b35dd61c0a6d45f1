//! What a run is asked to do: the options as given, resolved into what to analyse (the
//! [`Target`]) and the settings that follow from its root (the [`Settings`]: the
//! configuration found there, overridden by the command line).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::baseline::{Baseline, BaselineChoice};
use crate::config::{Config, DEFAULT_MAX_STALENESS};
use crate::discover::{common_root, is_analysable_file, relative, Exclusions, PerFileIgnores};
use crate::django_version::{self, DjangoVersion, TargetVersion, VersionSource};
use crate::edit::{EditedFiles, FixMode};
use crate::fact_cache::CacheChoice;
use crate::lexical_path::{self, normalize};
use crate::selection::Selection;

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub apps: Vec<String>,
    pub selection: Selection,
    /// `--django-version`: overrides the configuration and the project's requirements.
    pub django_version: Option<DjangoVersion>,
    /// `--config`: the configuration file, instead of the nearest one.
    pub config: Option<PathBuf>,
    /// `--no-cache`: neither read nor write the fact cache.
    pub no_cache: bool,
    /// `--cache-dir` (or `CACHE_ANALYZER_CACHE_DIR`).
    pub cache_dir: Option<PathBuf>,
    /// Files as fixes have edited them so far, read instead of the files on disk (the
    /// fact cache is then read but not written).
    pub edited: EditedFiles,
    /// `--baseline FILE`, the configuration's, or none (`--write-baseline`).
    pub baseline: BaselineChoice,
    /// `--unsafe-fixes` (`Some(true)`) or `--no-unsafe-fixes`: overrides the configuration.
    pub unsafe_fixes: Option<bool>,
}

/// What to analyse and what to report on.
pub struct Target {
    /// The directory findings' paths are relative to.
    pub root: PathBuf,
    /// The paths to walk.
    pub paths: Vec<PathBuf>,
    /// The files findings are reported for, relative to the root; empty for all.
    reported_files: Vec<String>,
}

impl Target {
    /// Files named on the command line (as pre-commit and editors pass them) are judged
    /// with their whole project indexed: project-wide rules need its models, receivers,
    /// URLconfs and templates.
    pub fn resolve(paths: &[PathBuf]) -> Result<Target> {
        let given = absolute_paths(paths)?;
        let named_files: Vec<PathBuf> = given.iter().filter(|p| p.is_file()).cloned().collect();
        let (root, paths) = match project_of(&given, &named_files) {
            Some(project) => (project.clone(), vec![project]),
            None => (common_root(&given), given.clone()),
        };
        // Only files given: report on them alone. With directories among the PATHs, every
        // file found is reported, as before.
        let reported_files = if named_files.len() == given.len() {
            named_files
                .iter()
                .map(|file| relative(&root, file))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Target {
            root,
            paths,
            reported_files,
        })
    }

    /// Whether findings in the file at `path` (relative to the root) are reported.
    pub fn reports_on(&self, path: &str) -> bool {
        self.reported_files.is_empty() || self.reported_files.iter().any(|file| file == path)
    }
}

fn absolute_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let mut kept = Vec::new();
    for path in paths {
        if !path.exists() && path.symlink_metadata().is_err() {
            bail!("path `{}` does not exist", path.display());
        }
        // A file named on the command line is read only if it is one the analysis reads;
        // among others (as pre-commit passes them) it is skipped, and alone it is an error:
        // `analyze README.md` would otherwise pass having checked nothing.
        if path.is_file() && !is_analysable_file(path) {
            eprintln!(
                "warning: skipping `{}`: neither a Python file nor a template under `templates/`",
                path.display()
            );
            continue;
        }
        let absolute = std::path::absolute(path)
            .map(|absolute| normalize(&absolute))
            .with_context(|| format!("cannot resolve path `{}`", path.display()))?;
        kept.push(absolute);
    }
    if kept.is_empty() {
        bail!("no PATH given is a directory, a Python file or a template under `templates/`");
    }
    Ok(kept)
}

/// Files to judge that all belong to one project: the nearest directory above them holding
/// `manage.py` or `pyproject.toml`. `None` when directories are given too, or when no such
/// directory holds every file.
fn project_of(given: &[PathBuf], files: &[PathBuf]) -> Option<PathBuf> {
    if files.is_empty() || files.len() != given.len() {
        return None;
    }
    let first = files.first()?.parent()?;
    let project = first
        .ancestors()
        .find(|dir| dir.join("manage.py").is_file() || dir.join("pyproject.toml").is_file())?;
    files
        .iter()
        .all(|file| file.starts_with(project))
        .then(|| project.to_path_buf())
}

/// The run's settings: the configuration file's, with the command line's taking precedence.
pub struct Settings {
    pub selection: Selection,
    pub exclusions: Exclusions,
    pub per_file_ignores: PerFileIgnores,
    /// The Django version the rules assume, and where it came from.
    pub django: TargetVersion,
    pub cache: CacheChoice,
    /// Which fixes are offered and applied.
    pub fix_mode: FixMode,
    /// Dotted names of project objects that behave like a Django cache.
    pub cache_objects: Vec<String>,
    /// Staleness accepted as deliberate, in seconds.
    pub max_staleness: f64,
    /// The configuration's `fail-on`, for when the command line gives none.
    pub fail_on: Option<String>,
    /// The findings to hide, read (and checked) before the analysis starts.
    pub baseline: Option<Baseline>,
    /// What a baseline's paths are relative to, absolute: the directory of the
    /// configuration file found (as its patterns are), else the analysed root.
    pub project_root: PathBuf,
}

impl Settings {
    /// Loads the configuration for the target's root (or the one `--config` names).
    pub fn load(options: &Options, target: &Target) -> Result<Settings> {
        let root = &target.root;
        let config = Config::load(options.config.as_deref(), root)?;
        let selection = options.selection.clone().with_config(
            config.select.as_deref(),
            &config.extend_select,
            &config.ignore,
        )?;
        selection.check_leaves_a_rule()?;
        // Patterns are relative to the file that sets them, as in Ruff; `--config` names a
        // file for the analysed tree, wherever it is kept.
        let pattern_base = match (&options.config, &config.source) {
            (None, Some(source)) => source.parent().unwrap_or(root).to_path_buf(),
            _ => root.clone(),
        };
        let in_config =
            |problem: String| anyhow::anyhow!("{}: {problem}", config_name(&config, root));
        let exclusions = Exclusions::new(
            root,
            &pattern_base,
            config.exclude.as_deref(),
            &config.extend_exclude,
            config.respect_gitignore,
        )
        .map_err(in_config)?;
        let per_file_ignores = PerFileIgnores::new(root, &pattern_base, &config.per_file_ignores)
            .map_err(in_config)?;
        let project_dir = config
            .source
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(root);
        let cache = CacheChoice::resolve(
            options.no_cache,
            options.cache_dir.as_deref(),
            config.cache_dir.as_deref(),
            project_dir,
        );
        let project_root = lexical_path::absolute(&pattern_base);
        let baseline = Baseline::resolve(
            &options.baseline,
            config.baseline.as_deref(),
            project_dir,
            &project_root,
            &config_name(&config, root),
            root,
        )?;
        Ok(Settings {
            selection,
            exclusions,
            per_file_ignores,
            django: django_version(options, &config, root),
            cache,
            fix_mode: FixMode {
                unsafe_fixes: options
                    .unsafe_fixes
                    .or(config.unsafe_fixes)
                    .unwrap_or(false),
            },
            max_staleness: config.max_staleness.unwrap_or(DEFAULT_MAX_STALENESS),
            cache_objects: config.cache_objects,
            fail_on: config.fail_on,
            baseline,
            project_root,
        })
    }
}

/// `--django-version`, else the configuration's, else the one the project requires.
fn django_version(options: &Options, config: &Config, root: &Path) -> TargetVersion {
    match (options.django_version, config.django_version) {
        (Some(version), _) => TargetVersion {
            version,
            source: VersionSource::CommandLine,
        },
        (None, Some(version)) => TargetVersion {
            version,
            source: VersionSource::File {
                path: config_name(config, root),
                requirement: format!("django-version = \"{version}\""),
            },
        },
        (None, None) => django_version::detect(root),
    }
}

/// The configuration file as messages name it: relative to the root when inside it.
fn config_name(config: &Config, root: &Path) -> String {
    match &config.source {
        Some(path) if path.starts_with(root) => relative(root, path),
        Some(path) => path.display().to_string(),
        None => "configuration".to_string(),
    }
}
