//! Configuration: `[tool.cache-analyzer]` in the nearest `pyproject.toml` above the
//! analysed root, or a `cache-analyzer.toml` / `.cache-analyzer.toml` holding the same keys
//! at its top level, or the file `--config` names. Keys are kebab-case, as in Ruff.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use toml::{Table, Value};

use crate::django_version::{parse_version_option, DjangoVersion};

/// Keys, in the order the README documents them.
const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "respect-gitignore",
    "per-file-ignores",
    "fail-on",
    "cache-objects",
    "django-version",
    "max-staleness",
    "cache-dir",
    "baseline",
    "unsafe-fixes",
];
const TOOL_TABLE: &str = "cache-analyzer";
/// Per directory, most specific first, as Ruff looks for `.ruff.toml`, `ruff.toml`,
/// `pyproject.toml`.
const CONFIG_FILES: &[&str] = &[
    ".cache-analyzer.toml",
    "cache-analyzer.toml",
    "pyproject.toml",
];

#[derive(Debug, Default)]
pub struct Config {
    /// The file the settings came from.
    pub source: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// Gitignore-style patterns replacing the default skipped directories.
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    pub respect_gitignore: bool,
    /// Gitignore-style pattern, and the codes ignored in the files it matches.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub fail_on: Option<String>,
    /// Dotted names of project objects that behave like a Django cache.
    pub cache_objects: Vec<String>,
    pub django_version: Option<DjangoVersion>,
    /// Seconds of staleness accepted as a deliberate window (CA301): the seed guide's
    /// advice for data that changes often is a short timeout.
    pub max_staleness: Option<f64>,
    /// Where the fact cache lives, relative to the configuration file.
    pub cache_dir: Option<PathBuf>,
    /// The baseline file, relative to the configuration file.
    pub baseline: Option<PathBuf>,
    /// Offer and apply the unsafe fixes too, as `--unsafe-fixes` does.
    pub unsafe_fixes: Option<bool>,
}

/// `max-staleness` when the configuration does not set it: five minutes.
pub const DEFAULT_MAX_STALENESS: f64 = 300.0;

impl Config {
    /// The configuration for `root`: `explicit` when given, else the nearest file above
    /// it (the root included), else the defaults.
    pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Config> {
        if let Some(path) = explicit {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration `{}`", path.display()))?;
            let table = table_of(path, &text)?.with_context(|| {
                format!("`{}` has no [tool.{TOOL_TABLE}] table", path.display())
            })?;
            return Config::from_table(path, &text, &table);
        }
        for dir in root.ancestors() {
            for name in CONFIG_FILES {
                let path = dir.join(name);
                let Ok(text) = fs::read_to_string(&path) else {
                    continue;
                };
                if let Some(table) = table_of(&path, &text)? {
                    return Config::from_table(&path, &text, &table);
                }
            }
        }
        Ok(Config {
            respect_gitignore: true,
            ..Config::default()
        })
    }

    fn from_table(path: &Path, text: &str, table: &Table) -> Result<Config> {
        let mut config = Config {
            source: Some(path.to_path_buf()),
            respect_gitignore: true,
            ..Config::default()
        };
        let error = |key: &str, problem: &str| -> anyhow::Error {
            anyhow::anyhow!(
                "{}:{}: `{key}` {problem}",
                path.display(),
                line_of(text, key)
            )
        };
        for (key, value) in table {
            match key.as_str() {
                "select" => {
                    config.select = Some(
                        strings(value).ok_or_else(|| error(key, "must be a list of rule codes"))?,
                    )
                }
                "extend-select" => {
                    config.extend_select =
                        strings(value).ok_or_else(|| error(key, "must be a list of rule codes"))?
                }
                "ignore" => {
                    config.ignore =
                        strings(value).ok_or_else(|| error(key, "must be a list of rule codes"))?
                }
                "exclude" => {
                    config.exclude = Some(
                        strings(value)
                            .ok_or_else(|| error(key, "must be a list of glob patterns"))?,
                    )
                }
                "extend-exclude" => {
                    config.extend_exclude = strings(value)
                        .ok_or_else(|| error(key, "must be a list of glob patterns"))?
                }
                "respect-gitignore" => {
                    config.respect_gitignore = value
                        .as_bool()
                        .ok_or_else(|| error(key, "must be true or false"))?
                }
                "unsafe-fixes" => {
                    config.unsafe_fixes = Some(
                        value
                            .as_bool()
                            .ok_or_else(|| error(key, "must be true or false"))?,
                    )
                }
                "per-file-ignores" => {
                    let table = value
                        .as_table()
                        .ok_or_else(|| error(key, "must be a table of glob = [codes]"))?;
                    for (glob, codes) in table {
                        let codes = strings(codes).ok_or_else(|| {
                            error(key, &format!("entry `{glob}` must be a list of rule codes"))
                        })?;
                        config.per_file_ignores.push((glob.clone(), codes));
                    }
                }
                "fail-on" => {
                    let level = value
                        .as_str()
                        .filter(|v| matches!(*v, "error" | "warning" | "opportunity"))
                        .ok_or_else(|| {
                            error(key, "must be \"error\", \"warning\" or \"opportunity\"")
                        })?;
                    config.fail_on = Some(level.to_string());
                }
                "cache-objects" => {
                    config.cache_objects = strings(value)
                        .ok_or_else(|| error(key, "must be a list of dotted names"))?
                }
                "max-staleness" => {
                    let seconds = value
                        .as_integer()
                        .filter(|s| *s >= 0)
                        .ok_or_else(|| error(key, "must be a number of seconds (0 or more)"))?;
                    config.max_staleness = Some(seconds as f64);
                }
                "cache-dir" => {
                    let dir = value
                        .as_str()
                        .filter(|dir| !dir.is_empty())
                        .ok_or_else(|| error(key, "must be a directory path"))?;
                    config.cache_dir = Some(PathBuf::from(dir));
                }
                "baseline" => {
                    let file = value
                        .as_str()
                        .filter(|file| !file.is_empty())
                        .ok_or_else(|| error(key, "must be a file path"))?;
                    config.baseline = Some(PathBuf::from(file));
                }
                "django-version" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| error(key, "must be a version string such as \"5.2\""))?;
                    config.django_version =
                        Some(parse_version_option(text).map_err(|e| error(key, &e))?);
                }
                unknown => {
                    return Err(error(
                        unknown,
                        &format!("is not a known key; expected one of {}", KEYS.join(", ")),
                    ))
                }
            }
        }
        let codes = config
            .select
            .iter()
            .flatten()
            .map(|code| ("select", code))
            .chain(
                config
                    .extend_select
                    .iter()
                    .map(|code| ("extend-select", code)),
            )
            .chain(config.ignore.iter().map(|code| ("ignore", code)))
            .chain(
                config
                    .per_file_ignores
                    .iter()
                    .flat_map(|(_, codes)| codes.iter().map(|code| ("per-file-ignores", code))),
            );
        for (key, code) in codes {
            if let Err(problem) = crate::selection::validate(code) {
                return Err(error(key, &format!("has {problem}")));
            }
        }
        Ok(config)
    }
}

/// The settings table of a configuration file: `[tool.cache-analyzer]` in a
/// `pyproject.toml` (`None` when it has none), the whole file otherwise.
fn table_of(path: &Path, text: &str) -> Result<Option<Table>> {
    let table: Table = match text.parse() {
        Ok(table) => table,
        Err(err) => bail!("{}: invalid TOML: {err}", path.display()),
    };
    let is_pyproject = path
        .file_name()
        .is_some_and(|name| name == "pyproject.toml");
    if !is_pyproject {
        return Ok(Some(table));
    }
    Ok(table
        .get("tool")
        .and_then(Value::as_table)
        .and_then(|tool| tool.get(TOOL_TABLE))
        .and_then(Value::as_table)
        .cloned())
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// The 1-based line where `key` is set, for messages; 1 when it cannot be found.
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches('"');
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', '"']))
        })
        .map_or(1, |index| index + 1)
}
