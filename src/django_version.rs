//! The Django version the analysed project targets, read from its requirement files.
//!
//! Some cache behaviour depends on the Django release (a 2026 security release changed
//! what the cache middleware does by itself), so rules need to know which release the
//! project may run. Every file here is read as text: nothing in the project is imported
//! or run, and a file that cannot be read or parsed is skipped.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// A Django release number. Ordering is by release, so the lowest version a project
/// allows can be compared with the first releases that changed a behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DjangoVersion {
    /// The `5` of 5.2.15.
    pub major: u16,
    /// The `2` of 5.2.15: with `major`, the release series.
    pub minor: u16,
    /// The `15` of 5.2.15: security fixes land in patch releases.
    pub patch: u16,
}

impl DjangoVersion {
    /// A `const` constructor, so versions can live in tables.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Reads a version as written in requirements and lock files: "5.2", "5.2.15" and "6"
    /// (missing parts are 0). A pre-release, post-release, dev or local suffix ("6.1a1",
    /// "6.1rc2", "6.1.dev0", "5.2.post1", "5.2+local") is dropped, since the rules only
    /// care about the release series and patch. Anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let mut rest = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let mut parts = [0u16; 3];
        for (index, part) in parts.iter_mut().enumerate() {
            if index > 0 {
                match rest.strip_prefix('.') {
                    Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
                    _ => break,
                }
            }
            let digits = leading_digits(rest);
            if digits == 0 {
                return None;
            }
            *part = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
        }
        is_version_suffix(rest).then_some(Self::new(parts[0], parts[1], parts[2]))
    }

    /// The next patch release: the lowest release that `>V` allows.
    const fn next_patch(self) -> Self {
        Self::new(self.major, self.minor, self.patch.saturating_add(1))
    }

    /// Whether this release has `behaviour`, according to the module's one table of
    /// version-dependent cache behaviour.
    pub fn has(self, behaviour: CacheBehaviour) -> bool {
        BEHAVIOUR_TABLE
            .iter()
            .find(|entry| entry.behaviour == behaviour)
            .is_some_and(|entry| entry.is_in(self))
    }
}

impl fmt::Display for DjangoVersion {
    /// Always three parts, so a report never leaves the patch level in doubt.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The length in bytes of the ASCII digits at the start of `text`.
fn leading_digits(text: &str) -> usize {
    text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len()
}

/// PEP 440 suffix words, longest spelling first so that "alpha" is not read as "a".
const SUFFIX_WORDS: &[&str] = &[
    "alpha", "beta", "preview", "pre", "rc", "a", "b", "c", "dev", "post", "rev", "r",
];

/// Whether `rest`, what follows a version's first three numbers, is something PEP 440
/// allows there: more release numbers, pre/post/dev parts, or a `+local` label.
fn is_version_suffix(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(after) = rest.strip_prefix('.') {
        let digits = leading_digits(after);
        if digits == 0 {
            break;
        }
        rest = &after[digits..];
    }
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(local) = rest.strip_prefix('+') {
            return !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        }
        let unseparated = rest.strip_prefix(['.', '-', '_']).unwrap_or(rest);
        let Some(after_word) = SUFFIX_WORDS
            .iter()
            .find_map(|word| unseparated.strip_prefix(word))
        else {
            return false;
        };
        let after_separator = after_word
            .strip_prefix(['.', '-', '_'])
            .unwrap_or(after_word);
        let digits = leading_digits(after_separator);
        rest = if digits > 0 {
            &after_separator[digits..]
        } else {
            after_word
        };
    }
}

/// For clap's `value_parser` on a Django version option: the version, or a one-line
/// message saying what was expected.
pub fn parse_version_option(text: &str) -> Result<DjangoVersion, String> {
    DjangoVersion::parse(text)
        .ok_or_else(|| format!("expected a Django version such as 5.2 or 6.0.6, got {text:?}"))
}

/// The newest final Django release known to this build. It is assumed when nothing says
/// otherwise, because a project without a pin installs the newest release.
pub const NEWEST_DJANGO: DjangoVersion = DjangoVersion::new(6, 1, 3);

/// A Django cache behaviour that depends on the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheBehaviour {
    /// The cache varies on `Authorization` by itself (2026 security release).
    VariesOnAuthorization,
    /// The cache refuses to store `no-cache` / `no-store` responses (same release).
    RefusesNoCacheResponses,
}

/// Where a behaviour first appeared, for messages: "5.2.15 / 6.0.6".
pub fn introduced_in(behaviour: CacheBehaviour) -> &'static str {
    BEHAVIOUR_TABLE
        .iter()
        .find(|entry| entry.behaviour == behaviour)
        .map_or("", |entry| entry.introduced_in)
}

/// One row of [`BEHAVIOUR_TABLE`].
struct BehaviourEntry {
    behaviour: CacheBehaviour,
    /// The first release with the behaviour in each series that has it, oldest series
    /// first. The last entry's series and every later one have it from their start.
    first_releases: &'static [DjangoVersion],
    /// `first_releases` as shown to users: the series that got it in a patch release.
    introduced_in: &'static str,
}

impl BehaviourEntry {
    fn is_in(&self, version: DjangoVersion) -> bool {
        let same_series = self
            .first_releases
            .iter()
            .find(|first| (first.major, first.minor) == (version.major, version.minor));
        match same_series {
            Some(first) => version.patch >= first.patch,
            None => self
                .first_releases
                .last()
                .is_some_and(|newest| version >= *newest),
        }
    }
}

/// The 2026 security release: 5.2.15 and 6.0.6; 6.1 had it from the start. The 4.2, 5.0
/// and 5.1 series never got it.
const SECURITY_RELEASE_2026: &[DjangoVersion] = &[
    DjangoVersion::new(5, 2, 15),
    DjangoVersion::new(6, 0, 6),
    DjangoVersion::new(6, 1, 0),
];

/// Which releases have each version-dependent cache behaviour: the one place these facts
/// are kept.
const BEHAVIOUR_TABLE: &[BehaviourEntry] = &[
    BehaviourEntry {
        behaviour: CacheBehaviour::VariesOnAuthorization,
        first_releases: SECURITY_RELEASE_2026,
        introduced_in: "5.2.15 / 6.0.6",
    },
    BehaviourEntry {
        behaviour: CacheBehaviour::RefusesNoCacheResponses,
        first_releases: SECURITY_RELEASE_2026,
        introduced_in: "5.2.15 / 6.0.6",
    },
];

/// Where the target version came from, so reports can say why they assumed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// Given on the command line, which overrides any requirement file.
    CommandLine,
    /// `path`: the file, relative to the analysed root when inside it (with `/`), else as
    /// found; `requirement`: the requirement text as written, e.g. `Django>=4.2,<6`.
    File { path: String, requirement: String },
    /// No requirement file constrains Django, so [`NEWEST_DJANGO`] is assumed.
    AssumedNewest,
}

/// The Django release the rules assume, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetVersion {
    /// The release the rules check against (from a file: the lowest one it allows).
    pub version: DjangoVersion,
    /// Why this release, for reports.
    pub source: VersionSource,
}

impl TargetVersion {
    /// Short text for reports: "command line", "pyproject.toml (Django>=4.2,<6)",
    /// "newest release (no Django requirement found)".
    pub fn source_label(&self) -> String {
        match &self.source {
            VersionSource::CommandLine => "command line".to_string(),
            VersionSource::File { path, requirement } => format!("{path} ({requirement})"),
            VersionSource::AssumedNewest => {
                "newest release (no Django requirement found)".to_string()
            }
        }
    }
}

/// Searches `root` (a directory; if it is a file, its parent) and then its ancestors for
/// a requirement on Django, up to and including the repository root (a directory holding
/// `.git`) or the filesystem root. In each directory the files are checked in this
/// order and the first constrained requirement wins: `pyproject.toml`, `setup.cfg`,
/// `setup.py`, `requirements.txt` then other `requirements*.txt`, `requirements/*.txt`,
/// `Pipfile`, `poetry.lock`, `uv.lock`, `pdm.lock`, `Pipfile.lock`. The version is the
/// lowest the requirement allows, since the project may run it. Without any:
/// [`NEWEST_DJANGO`].
pub fn detect(root: &Path) -> TargetVersion {
    let start = if root.is_file() {
        match root.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    } else {
        root
    };
    let start = fs::canonicalize(start)
        .or_else(|_| std::path::absolute(start))
        .unwrap_or_else(|_| start.to_path_buf());
    for dir in start.ancestors() {
        if let Some((path, found)) = detect_in_dir(dir) {
            return TargetVersion {
                version: found.version,
                source: VersionSource::File {
                    path: display_path(&start, &path),
                    requirement: found.requirement,
                },
            };
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    TargetVersion {
        version: NEWEST_DJANGO,
        source: VersionSource::AssumedNewest,
    }
}

/// A Django requirement found in one file.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    /// As written, for reports.
    requirement: String,
    /// The lowest release the requirement allows.
    version: DjangoVersion,
}

/// Reads one kind of requirement file's text.
type Reader = fn(&str) -> Option<Found>;

/// The files of one directory, in the order they are checked.
fn detect_in_dir(dir: &Path) -> Option<(PathBuf, Found)> {
    let check = |path: PathBuf, read: Reader| {
        let text = read_text(&path)?;
        read(&text).map(|found| (path, found))
    };
    let named =
        |names: &[&str], read: Reader| names.iter().find_map(|name| check(dir.join(name), read));
    named(&["pyproject.toml"], from_pyproject)
        .or_else(|| named(&["setup.cfg"], from_setup_cfg))
        .or_else(|| named(&["setup.py"], from_setup_py))
        .or_else(|| {
            text_files(dir, |name| name.starts_with("requirements"))
                .into_iter()
                .find_map(|path| check(path, from_requirements_txt))
        })
        .or_else(|| {
            text_files(&dir.join("requirements"), |_| true)
                .into_iter()
                .find_map(|path| check(path, from_requirements_txt))
        })
        .or_else(|| named(&["Pipfile"], from_pipfile))
        .or_else(|| named(&["poetry.lock", "uv.lock", "pdm.lock"], from_toml_lock))
        .or_else(|| named(&["Pipfile.lock"], from_pipfile_lock))
}

/// The `.txt` files in `dir` whose names pass `keep`: `requirements.txt` first, as the
/// main list, then the rest by name. Empty when `dir` cannot be listed.
fn text_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".txt") && keep(name))
        .collect();
    names.sort_by_key(|name| (name != "requirements.txt", name.clone()));
    names
        .into_iter()
        .map(|name| dir.join(name))
        .filter(|path| path.is_file())
        .collect()
}

/// A file's text, with invalid UTF-8 replaced and a byte-order mark dropped; `None` when
/// it cannot be read.
fn read_text(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// `path` relative to `root` with `/` separators when inside it, else as found.
fn display_path(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(relative) => relative
            .components()
            .map(|component| component.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// Whether a distribution name is Django. PEP 503 normalisation lowercases the name and
/// turns runs of `-`, `_` and `.` into `-`; "django" has none, so a name normalises to it
/// exactly when it is "django" in any case (`django-debug-toolbar` never does).
fn is_django(name: &str) -> bool {
    name.eq_ignore_ascii_case("django")
}

/// Characters of the operators that start a version specifier clause.
const OPERATOR_CHARS: &[char] = &['<', '>', '=', '!', '~', '^'];

/// A PEP 508 requirement (`Django[argon2] (>=4.2,<5) ; python_version >= "3.10"`) as
/// (name, version specifier, text without markers). `None` when it is not one.
fn parse_requirement(requirement: &str) -> Option<(&str, &str, &str)> {
    let text = requirement
        .split_once(';')
        .map_or(requirement, |(head, _)| head)
        .trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(name_end);
    if name.is_empty() {
        return None;
    }
    let mut rest = rest.trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras.split_once(']')?.1.trim_start();
    }
    if rest.starts_with('@') {
        // A direct reference (`django @ https://...`) names no version.
        return Some((name, "", text));
    }
    let specifier = rest
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
        .unwrap_or(rest)
        .trim();
    if !specifier.is_empty() && !specifier.starts_with(OPERATOR_CHARS) {
        return None;
    }
    Some((name, specifier, text))
}

/// The Django requirement in a PEP 508 string, if it is one with a version constraint.
fn found_in_requirement(requirement: &str) -> Option<Found> {
    let (name, specifier, text) = parse_requirement(requirement)?;
    if !is_django(name) {
        return None;
    }
    Some(Found {
        requirement: text.to_string(),
        version: lowest_allowed(specifier)?,
    })
}

/// The first constrained Django requirement among PEP 508 strings.
fn first_requirement<'a>(requirements: impl IntoIterator<Item = &'a str>) -> Option<Found> {
    requirements.into_iter().find_map(found_in_requirement)
}

/// The lowest release a version specifier allows, since the project may run it: PEP 440
/// (`>=4.2,<5`, `==5.2.*`, `~=5.2`, `>5.2.14`) or Poetry (`^5.2`, `~5.2.3`, `5.2.14`,
/// `>=4.2 <5`, `^4.2 || ^5.2`). Only upper bounds give 1.0.0, older than any fix; no
/// constraint at all (`""`, `*`) or an unreadable one gives `None`.
fn lowest_allowed(specifier: &str) -> Option<DjangoVersion> {
    let specifier = specifier.trim();
    let specifier = specifier
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
        .unwrap_or(specifier);
    specifier
        .split("||")
        .map(lowest_of_all)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .flatten()
        .min()
}

/// What one specifier clause says about the lowest allowed release.
enum Bound {
    /// The clause allows nothing older than this.
    Lower(DjangoVersion),
    /// The clause constrains the version without a lower bound (`<5`).
    NoLower,
    /// The clause does not constrain the lowest release (`*`, `!=5.0`).
    Any,
}

/// The release older than any that has a fix: the answer for `<5` alone.
const OLDEST: DjangoVersion = DjangoVersion::new(1, 0, 0);

/// The lowest release allowed by clauses that must all hold (`>=4.2,<5`, `>=4.2 <5`):
/// `Some(None)` when they do not constrain it, `None` when one cannot be read.
fn lowest_of_all(specifier: &str) -> Option<Option<DjangoVersion>> {
    let mut lower = None;
    let mut constrained = false;
    for clause in clauses(specifier) {
        match clause_bound(&clause)? {
            Bound::Lower(version) => lower = lower.max(Some(version)),
            Bound::NoLower => constrained = true,
            Bound::Any => {}
        }
    }
    Some(lower.or(constrained.then_some(OLDEST)))
}

/// The clauses of a specifier, split on commas and (Poetry) spaces, with an operator
/// written apart from its version (`>= 4.2`) joined back to it.
fn clauses(specifier: &str) -> Vec<String> {
    let mut clauses = Vec::new();
    for part in specifier.split(',') {
        let mut pending = String::new();
        for token in part.split_whitespace() {
            pending.push_str(token);
            if !token.trim_start_matches(OPERATOR_CHARS).is_empty() {
                clauses.push(std::mem::take(&mut pending));
            }
        }
        if !pending.is_empty() {
            clauses.push(pending);
        }
    }
    clauses
}

/// What one clause (`>=4.2`, `==5.2.*`, `^5.2`, `*`) says; `None` when it is not a
/// clause.
fn clause_bound(clause: &str) -> Option<Bound> {
    let operator_end = clause
        .find(|c: char| !OPERATOR_CHARS.contains(&c))
        .unwrap_or(clause.len());
    let (operator, version) = clause.split_at(operator_end);
    if operator.is_empty() && version == "*" {
        return Some(Bound::Any);
    }
    let version = DjangoVersion::parse(version.strip_suffix(".*").unwrap_or(version))?;
    match operator {
        "" | "=" | "==" | "===" | "~=" | ">=" | "^" | "~" => Some(Bound::Lower(version)),
        ">" => Some(Bound::Lower(version.next_patch())),
        "<" | "<=" => Some(Bound::NoLower),
        "!=" => Some(Bound::Any),
        _ => None,
    }
}

/// `pyproject.toml`: PEP 621 `[project] dependencies`, then
/// `[project.optional-dependencies]`, PEP 735 `[dependency-groups]`, uv's
/// `dev-dependencies` and Hatch environments' `dependencies`, then Poetry's
/// `[tool.poetry.dependencies]` and its groups'.
fn from_pyproject(text: &str) -> Option<Found> {
    let table: Table = text.parse().ok()?;
    let at = |path: &[&str]| value_at(&table, path);
    let hatch = at(&["tool", "hatch", "envs"])
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|envs| envs.values())
        .flat_map(|env| {
            ["dependencies", "extra-dependencies"]
                .into_iter()
                .filter_map(move |key| env.get(key)?.as_array())
                .flatten()
        });
    let requirements = list(at(&["project", "dependencies"]))
        .chain(lists_of(at(&["project", "optional-dependencies"])))
        .chain(lists_of(table.get("dependency-groups")))
        .chain(list(at(&["tool", "uv", "dev-dependencies"])))
        .chain(hatch)
        .filter_map(Value::as_str);
    first_requirement(requirements).or_else(|| {
        let poetry = table.get("tool")?.get("poetry")?;
        let groups = poetry
            .get("group")
            .and_then(Value::as_table)
            .into_iter()
            .flat_map(|groups| groups.values())
            .filter_map(|group| group.get("dependencies")?.as_table());
        poetry
            .get("dependencies")
            .and_then(Value::as_table)
            .into_iter()
            .chain(groups)
            .find_map(from_toml_dependencies)
    })
}

/// The value at a path of keys (`["tool", "uv", "dev-dependencies"]`).
fn value_at<'t>(table: &'t Table, path: &[&str]) -> Option<&'t Value> {
    let (last, parents) = path.split_last()?;
    parents
        .iter()
        .try_fold(table, |inner: &Table, key| inner.get(*key)?.as_table())?
        .get(*last)
}

/// The items of an array value.
fn list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// The items of each array in a table of arrays (`[dependency-groups]`).
fn lists_of(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|groups| groups.values())
        .filter_map(Value::as_array)
        .flatten()
}

/// A Poetry or Pipfile dependency table: `django = "^5.2"`, `django = { version = "..." }`.
fn from_toml_dependencies(dependencies: &Table) -> Option<Found> {
    dependencies.iter().find_map(|(name, value)| {
        if !is_django(name) {
            return None;
        }
        let specifier = match value {
            Value::String(specifier) => specifier.as_str(),
            Value::Table(table) => table.get("version")?.as_str()?,
            _ => return None,
        };
        Some(Found {
            requirement: format!("{name} = {specifier:?}"),
            version: lowest_allowed(specifier)?,
        })
    })
}

/// `setup.cfg`: the `install_requires` option of `[options]`, one requirement a line
/// (or, on a single line, separated by `;` as setuptools reads it).
fn from_setup_cfg(text: &str) -> Option<Found> {
    let mut in_options = false;
    let mut collecting = false;
    let mut values = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with(['#', ';']) {
            // configparser skips comment lines wherever they are, even inside a value.
            continue;
        }
        let continuation = line.starts_with([' ', '\t']) || trimmed.is_empty();
        if collecting {
            if !continuation {
                break;
            }
            if !trimmed.is_empty() {
                values.push(trimmed);
            }
            continue;
        }
        if trimmed.starts_with('[') {
            in_options = trimmed == "[options]";
        } else if in_options && !continuation {
            if let Some((key, value)) = trimmed.split_once(['=', ':']) {
                let key = key.trim().replace('-', "_");
                if key.eq_ignore_ascii_case("install_requires") {
                    collecting = true;
                    let value = value.trim();
                    if !value.is_empty() {
                        values.push(value);
                    }
                }
            }
        }
    }
    match values.as_slice() {
        [single] => first_requirement(single.split(';')),
        _ => first_requirement(values),
    }
}

/// `setup.py`: its string literals (outside comments) that are Django requirements. The
/// file is scanned, never run.
fn from_setup_py(text: &str) -> Option<Found> {
    first_requirement(string_literals(text))
}

/// The contents of a Python file's quoted strings, outside comments; escapes are kept
/// as written.
fn string_literals(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .map_or(bytes.len(), |offset| i + offset);
            }
            quote @ (b'"' | b'\'') => {
                let delimiter: &[u8] = if bytes[i..].starts_with(&[quote; 3]) {
                    &bytes[i..i + 3]
                } else {
                    &bytes[i..i + 1]
                };
                let triple = delimiter.len() == 3;
                let start = i + delimiter.len();
                let mut j = start;
                let mut end = None;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => j += 2,
                        b'\n' if !triple => break,
                        _ if bytes[j..].starts_with(delimiter) => {
                            end = Some(j);
                            break;
                        }
                        _ => j += 1,
                    }
                }
                match end {
                    Some(end) => {
                        // Both ends are at ASCII quotes, so on character boundaries.
                        literals.push(&text[start..end]);
                        i = end + delimiter.len();
                    }
                    None => i = j,
                }
            }
            _ => i += 1,
        }
    }
    literals
}

/// `requirements*.txt`: one requirement a line, with `\` continuations; comments, pip
/// options (`-r`, `-e`, `--hash=...`) and environment markers are ignored.
fn from_requirements_txt(text: &str) -> Option<Found> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    lines.push(current);
    lines
        .iter()
        .filter_map(|line| requirement_of_line(line))
        .find_map(found_in_requirement)
}

/// The requirement on one logical line of a requirements file, without comment or
/// options; `None` for a line that is only an option or a comment.
fn requirement_of_line(line: &str) -> Option<&str> {
    let comment = line
        .char_indices()
        .find(|&(index, c)| {
            c == '#' && (index == 0 || line[..index].ends_with(char::is_whitespace))
        })
        .map_or(line.len(), |(index, _)| index);
    let line = line[..comment].trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let options = line
        .match_indices("--")
        .find(|&(index, _)| line[..index].ends_with(char::is_whitespace))
        .map_or(line.len(), |(index, _)| index);
    Some(line[..options].trim())
}

/// `Pipfile`: the `[packages]` table (`django = "==5.2"`, `{ version = "..." }`).
fn from_pipfile(text: &str) -> Option<Found> {
    let table: Table = text.parse().ok()?;
    from_toml_dependencies(table.get("packages")?.as_table()?)
}

/// `poetry.lock`, `uv.lock`, `pdm.lock`: the `[[package]]` named Django. A lock that
/// resolves Django more than once (per Python version) gives the oldest.
fn from_toml_lock(text: &str) -> Option<Found> {
    let table: Table = text.parse().ok()?;
    table
        .get("package")?
        .as_array()?
        .iter()
        .filter_map(|package| {
            let name = package.get("name")?.as_str()?;
            if !is_django(name) {
                return None;
            }
            let version = package.get("version")?.as_str()?;
            Some(Found {
                requirement: format!("{name} {version}"),
                version: DjangoVersion::parse(version)?,
            })
        })
        .min_by_key(|found| found.version)
}

/// `Pipfile.lock` (JSON): `default.django.version`, such as `"==5.2.14"`.
fn from_pipfile_lock(text: &str) -> Option<Found> {
    let lock: serde_json::Value = serde_json::from_str(text).ok()?;
    lock.get("default")?
        .as_object()?
        .iter()
        .find_map(|(name, package)| {
            if !is_django(name) {
                return None;
            }
            let specifier = package.get("version")?.as_str()?;
            Some(Found {
                requirement: format!("{name}{specifier}"),
                version: lowest_allowed(specifier)?,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn v(major: u16, minor: u16, patch: u16) -> DjangoVersion {
        DjangoVersion::new(major, minor, patch)
    }

    /// A temporary repository (it holds `.git`, so the search stops there) with `files`.
    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir(dir.path().join(".git")).expect("create .git");
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("create parent");
            }
            fs::write(path, text).expect("write file");
        }
        dir
    }

    /// The version and source `detect` gives for a project made of `files`.
    fn detect_files(files: &[(&str, &str)]) -> TargetVersion {
        let dir = project(files);
        detect(dir.path())
    }

    fn from_file(path: &str, requirement: &str, version: DjangoVersion) -> TargetVersion {
        TargetVersion {
            version,
            source: VersionSource::File {
                path: path.to_string(),
                requirement: requirement.to_string(),
            },
        }
    }

    #[test]
    fn parses_versions() {
        let cases = [
            ("5.2", Some(v(5, 2, 0))),
            ("5.2.15", Some(v(5, 2, 15))),
            ("6", Some(v(6, 0, 0))),
            (" 4.2.30 ", Some(v(4, 2, 30))),
            ("v5.2.1", Some(v(5, 2, 1))),
            ("6.1a1", Some(v(6, 1, 0))),
            ("6.1rc2", Some(v(6, 1, 0))),
            ("6.1.dev0", Some(v(6, 1, 0))),
            ("6.1b1.dev0", Some(v(6, 1, 0))),
            ("6.0.6rc1", Some(v(6, 0, 6))),
            ("5.2.post1", Some(v(5, 2, 0))),
            ("5.2.14+ubuntu1", Some(v(5, 2, 14))),
            ("5.2.14.1", Some(v(5, 2, 14))),
            ("", None),
            ("x", None),
            ("django", None),
            ("5.x", None),
            ("5.2.", None),
            ("5..2", None),
            ("-5.2", None),
            ("1!5.2", None),
            ("5.2 6", None),
            ("70000.1", None),
            ("5.2+", None),
            ("5.2.*", None),
        ];
        for (text, expected) in cases {
            assert_eq!(DjangoVersion::parse(text), expected, "{text:?}");
        }
    }

    #[test]
    fn displays_three_parts() {
        assert_eq!(v(5, 2, 14).to_string(), "5.2.14");
        assert_eq!(v(6, 0, 0).to_string(), "6.0.0");
    }

    #[test]
    fn orders_by_release() {
        assert!(v(5, 2, 15) > v(5, 2, 14));
        assert!(v(6, 0, 0) > v(5, 2, 99));
        assert!(v(5, 10, 0) > v(5, 2, 0));
    }

    #[test]
    fn version_option_explains_bad_values() {
        assert_eq!(parse_version_option("6.0.6"), Ok(v(6, 0, 6)));
        assert_eq!(
            parse_version_option("x"),
            Err(r#"expected a Django version such as 5.2 or 6.0.6, got "x""#.to_string())
        );
    }

    #[test]
    fn lowest_allowed_version_of_each_specifier_form() {
        let cases = [
            (">=4.2,<5", Some(v(4, 2, 0))),
            (">= 4.2, < 5", Some(v(4, 2, 0))),
            ("==5.2.14", Some(v(5, 2, 14))),
            ("===5.2.14", Some(v(5, 2, 14))),
            ("==5.2.*", Some(v(5, 2, 0))),
            ("~=5.2.14", Some(v(5, 2, 14))),
            ("~=5.2", Some(v(5, 2, 0))),
            (">5.2.14", Some(v(5, 2, 15))),
            (">5.2", Some(v(5, 2, 1))),
            ("^5.2", Some(v(5, 2, 0))),
            ("~5.2.3", Some(v(5, 2, 3))),
            ("5.2.14", Some(v(5, 2, 14))),
            ("5.2.*", Some(v(5, 2, 0))),
            (">=4.2 <5", Some(v(4, 2, 0))),
            ("^4.2 || ^5.2", Some(v(4, 2, 0))),
            ("(>=4.2,<5)", Some(v(4, 2, 0))),
            ("<5", Some(v(1, 0, 0))),
            ("<=5.2.14", Some(v(1, 0, 0))),
            (">=4.2,!=5.0.*,<6", Some(v(4, 2, 0))),
            (">=4.2,>=5.1,<6", Some(v(5, 1, 0))),
            (">=5.1,>=4.2", Some(v(5, 1, 0))),
            ("!=5.0", None),
            ("*", None),
            ("", None),
            (">=four", None),
            (">=4.2 is required", None),
            ("=>4.2", None),
        ];
        for (specifier, expected) in cases {
            assert_eq!(lowest_allowed(specifier), expected, "{specifier:?}");
        }
    }

    #[test]
    fn only_django_itself_is_django() {
        assert!(is_django("Django"));
        assert!(is_django("DJANGO"));
        assert!(!is_django("django-debug-toolbar"));
        assert!(!is_django("django_debug_toolbar"));
        assert!(!is_django("django.contrib"));
        assert!(!is_django("djangorestframework"));
    }

    #[test]
    fn reads_pep_508_requirements() {
        let found = |text: &str| found_in_requirement(text).map(|found| found.version);
        assert_eq!(found("Django>=4.2,<6"), Some(v(4, 2, 0)));
        assert_eq!(found("django[argon2,bcrypt]==5.2.14"), Some(v(5, 2, 14)));
        assert_eq!(found("Django (>=4.2, <5)"), Some(v(4, 2, 0)));
        assert_eq!(
            found(r#"django>=5.2; python_version >= "3.10""#),
            Some(v(5, 2, 0))
        );
        assert_eq!(found("django-debug-toolbar>=4.2"), None);
        assert_eq!(found("Django"), None);
        assert_eq!(found("django @ https://example.com/django.tar.gz"), None);
        assert_eq!(found("django[argon2"), None);
        assert_eq!(found("Framework :: Django :: 4.2"), None);
        assert_eq!(
            found_in_requirement("django[argon2]==5.2 ; python_version > '3'")
                .map(|found| found.requirement),
            Some("django[argon2]==5.2".to_string())
        );
    }

    #[test]
    fn pyproject_project_dependencies() {
        let target = detect_files(&[(
            "pyproject.toml",
            "[project]\nname = \"shop\"\ndependencies = [\"requests>=2\", \"Django>=4.2,<6\"]\n",
        )]);
        assert_eq!(
            target,
            from_file("pyproject.toml", "Django>=4.2,<6", v(4, 2, 0))
        );
        assert_eq!(target.source_label(), "pyproject.toml (Django>=4.2,<6)");
    }

    #[test]
    fn pyproject_optional_dependencies() {
        let target = detect_files(&[(
            "pyproject.toml",
            "[project]\nname = \"shop\"\ndependencies = [\"requests\"]\n\n\
             [project.optional-dependencies]\nweb = [\"django~=5.2\"]\n",
        )]);
        assert_eq!(
            target,
            from_file("pyproject.toml", "django~=5.2", v(5, 2, 0))
        );
    }

    #[test]
    fn pyproject_dependency_groups_uv_and_hatch() {
        let found = |text: &str| detect_files(&[("pyproject.toml", text)]);
        assert_eq!(
            found("[project]\nname = \"shop\"\n\n[dependency-groups]\ndev = [{include-group = \"web\"}]\nweb = [\"Django==5.1.4\"]\n"),
            from_file("pyproject.toml", "Django==5.1.4", v(5, 1, 4))
        );
        assert_eq!(
            found("[tool.uv]\ndev-dependencies = [\"django>=4.2\"]\n"),
            from_file("pyproject.toml", "django>=4.2", v(4, 2, 0))
        );
        assert_eq!(
            found("[tool.hatch.envs.default]\ndependencies = [\"django~=5.2\"]\n"),
            from_file("pyproject.toml", "django~=5.2", v(5, 2, 0))
        );
        assert_eq!(
            found("[tool.poetry.group.web.dependencies]\ndjango = \"^5.0\"\n").version,
            v(5, 0, 0)
        );
    }

    #[test]
    fn pyproject_poetry_dependencies() {
        let poetry = |value: &str| {
            detect_files(&[(
                "pyproject.toml",
                &format!("[tool.poetry.dependencies]\npython = \"^3.12\"\nDjango = {value}\n"),
            )])
        };
        assert_eq!(
            poetry("\"^5.2\""),
            from_file("pyproject.toml", "Django = \"^5.2\"", v(5, 2, 0))
        );
        assert_eq!(poetry("\"~5.2.3\"").version, v(5, 2, 3));
        assert_eq!(poetry("\">=4.2\"").version, v(4, 2, 0));
        assert_eq!(
            poetry("{ version = \"^4.2\", extras = [\"argon2\"] }"),
            from_file("pyproject.toml", "Django = \"^4.2\"", v(4, 2, 0))
        );
        assert_eq!(poetry("\"*\"").source, VersionSource::AssumedNewest);
    }

    #[test]
    fn setup_cfg_install_requires() {
        let target = detect_files(&[(
            "setup.cfg",
            "[metadata]\nname = shop\n\n[options]\npackages = find:\ninstall_requires =\n    \
             requests>=2\n# a comment\n    Django>=5.2.15,<6  \n\n    sqlparse\n\
             [options.extras_require]\nold = Django==4.2\n",
        )]);
        assert_eq!(
            target,
            from_file("setup.cfg", "Django>=5.2.15,<6", v(5, 2, 15))
        );
        let single_line = detect_files(&[(
            "setup.cfg",
            "[options]\ninstall_requires = requests; Django==6.0.5\n",
        )]);
        assert_eq!(single_line.version, v(6, 0, 5));
        let elsewhere = detect_files(&[("setup.cfg", "[other]\ninstall_requires = Django==4.2\n")]);
        assert_eq!(elsewhere.source, VersionSource::AssumedNewest);
    }

    #[test]
    fn setup_py_string_literals() {
        let target = detect_files(&[(
            "setup.py",
            "from setuptools import setup\n# install_requires=['Django==3.2']\n\
             setup(\n    name=\"django-shop\",\n    description=\"It's \\\"fine\\\"\",\n    \
             keywords='django',\n    install_requires=['requests', 'django~=5.2'],\n)\n",
        )]);
        assert_eq!(target, from_file("setup.py", "django~=5.2", v(5, 2, 0)));
        assert_eq!(
            string_literals("x = '''a\n'b'''  # 'c'\ny = \"d\\\"e\" 'unterminated\nz = ''"),
            ["a\n'b", "d\\\"e", ""]
        );
    }

    #[test]
    fn requirements_txt_lines() {
        let target = detect_files(&[(
            "requirements.txt",
            "# Django==3.2\n-r base.txt\n-e git+https://example.com/django.git#egg=django\n\
             --index-url https://example.com/simple\nDjango\n\
             django-debug-toolbar==4.4\ndjango[argon2]==5.2.14 ; python_version >= '3.10' \\\n    \
             --hash=sha256:abc  # pinned\n",
        )]);
        assert_eq!(
            target,
            from_file("requirements.txt", "django[argon2]==5.2.14", v(5, 2, 14))
        );
    }

    #[test]
    fn requirements_txt_before_other_requirements_files() {
        let target = detect_files(&[
            ("requirements-dev.txt", "Django>=4.2\n"),
            ("requirements.txt", "Django>=5.2\n"),
        ]);
        assert_eq!(target.version, v(5, 2, 0));
        let others = detect_files(&[
            ("requirements_prod.txt", "Django>=5.1\n"),
            ("requirements-dev.txt", "Django>=4.2\n"),
        ]);
        assert_eq!(
            others,
            from_file("requirements-dev.txt", "Django>=4.2", v(4, 2, 0))
        );
    }

    #[test]
    fn requirements_directory() {
        let target = detect_files(&[
            ("requirements/dev.txt", "-r base.txt\nDjango>=4.2\n"),
            ("requirements/base.txt", "Django==5.2.15\n"),
            ("requirements/notes.md", "Django==3.2\n"),
        ]);
        assert_eq!(
            target,
            from_file("requirements/base.txt", "Django==5.2.15", v(5, 2, 15))
        );
    }

    #[test]
    fn pipfile_packages() {
        let target = detect_files(&[(
            "Pipfile",
            "[packages]\nrequests = \"*\"\ndjango = \"==5.2\"\n\n[dev-packages]\n",
        )]);
        assert_eq!(
            target,
            from_file("Pipfile", "django = \"==5.2\"", v(5, 2, 0))
        );
        let table = detect_files(&[("Pipfile", "[packages]\nDjango = {version = \">=4.2\"}\n")]);
        assert_eq!(table.version, v(4, 2, 0));
        let any = detect_files(&[("Pipfile", "[packages]\ndjango = \"*\"\n")]);
        assert_eq!(any.source, VersionSource::AssumedNewest);
    }

    #[test]
    fn poetry_and_pdm_locks() {
        let lock = "[[package]]\nname = \"django-debug-toolbar\"\nversion = \"6.0.0\"\n\n\
                    [[package]]\nname = \"Django\"\nversion = \"5.2.15\"\n";
        for name in ["poetry.lock", "pdm.lock"] {
            assert_eq!(
                detect_files(&[(name, lock)]),
                from_file(name, "Django 5.2.15", v(5, 2, 15))
            );
        }
    }

    #[test]
    fn uv_lock_oldest_resolution() {
        let target = detect_files(&[(
            "uv.lock",
            "version = 1\n\n[[package]]\nname = \"django\"\nversion = \"5.2.14\"\n\
             resolution-markers = [\"python_full_version >= '3.12'\"]\n\n\
             [[package]]\nname = \"django\"\nversion = \"4.2.30\"\n",
        )]);
        assert_eq!(target, from_file("uv.lock", "django 4.2.30", v(4, 2, 30)));
    }

    #[test]
    fn pipfile_lock_default_packages() {
        let target = detect_files(&[(
            "Pipfile.lock",
            r#"{"default": {"django": {"version": "==5.2.14"}}, "develop": {"django": {"version": "==4.2"}}}"#,
        )]);
        assert_eq!(
            target,
            from_file("Pipfile.lock", "django==5.2.14", v(5, 2, 14))
        );
    }

    #[test]
    fn pyproject_beats_requirements_in_the_same_directory() {
        let target = detect_files(&[
            ("requirements.txt", "Django==5.2.14\n"),
            (
                "pyproject.toml",
                "[project]\ndependencies = [\"Django>=4.2\"]\n",
            ),
            (
                "poetry.lock",
                "[[package]]\nname = \"django\"\nversion = \"6.0.6\"\n",
            ),
        ]);
        assert_eq!(target.version, v(4, 2, 0));
    }

    #[test]
    fn unconstrained_and_unreadable_requirements_are_skipped() {
        let target = detect_files(&[
            ("pyproject.toml", "[project]\ndependencies = [\"Django\"]\n"),
            ("setup.cfg", "[options\ninstall_requires = Django==1.11\n"),
            ("Pipfile", "[packages\ndjango = \"==3.2\"\n"),
            ("requirements.txt", "Django==5.2.14\n"),
        ]);
        assert_eq!(target.version, v(5, 2, 14));
        let malformed = detect_files(&[
            (
                "pyproject.toml",
                "[project\ndependencies = [\"Django>=3.2\"]\n",
            ),
            ("Pipfile.lock", "{\"default\": "),
            (
                "uv.lock",
                "[[package]]\nname = \"django\"\nversion = \"6.0.6\"\n",
            ),
        ]);
        assert_eq!(malformed.version, v(6, 0, 6));
        let with_bom = detect_files(&[("requirements.txt", "\u{feff}Django==6.0.5\n")]);
        assert_eq!(with_bom.version, v(6, 0, 5));
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        let dir = project(&[]);
        fs::write(
            dir.path().join("setup.py"),
            b"# caf\xe9\nrequires = ['Django>=4.2']\n",
        )
        .expect("write");
        assert_eq!(detect(dir.path()).version, v(4, 2, 0));
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "",
            "'",
            "\"",
            "\"\"\"",
            "'''",
            "\\",
            "'\\",
            "\"\\\"",
            "#",
            "[",
            "]",
            "=",
            "\\\n",
            "[options]\ninstall_requires",
            "[options]\ninstall_requires =",
            "é'ü'ñ\"",
            "django[",
            "django>=",
            "django>=5.2,||",
            "django^",
            "django||",
            "django ==",
            "django (",
            "django ( >=4.2",
            "django;",
            "--hash",
            "django --",
            "v",
            "5.",
            ".5",
            "+",
            "5+",
            "65535.65535.65535",
            ">65535.65535.65535",
            "{",
            "{\"default\": []}",
            "{\"default\": {\"django\": 5}}",
            "[[package]]\nname = 5",
            "package = 1",
            "[packages]\ndjango = [1]",
            "[project]\ndependencies = 5",
            "[project.optional-dependencies]\nx = 5",
            "[tool]\npoetry = 1",
        ];
        let readers: [Reader; 7] = [
            from_pyproject,
            from_setup_cfg,
            from_setup_py,
            from_requirements_txt,
            from_pipfile,
            from_toml_lock,
            from_pipfile_lock,
        ];
        for input in inputs {
            for read in readers {
                let _ = read(input);
            }
            let _ = DjangoVersion::parse(input);
            let _ = lowest_allowed(input);
        }
        assert_eq!(
            lowest_allowed(">65535.65535.65535"),
            Some(v(65535, 65535, 65535))
        );
    }

    #[test]
    fn searches_ancestors_up_to_the_repository_root() {
        let dir = project(&[
            ("requirements.txt", "Django==5.2.14\n"),
            ("shop/views.py", "def index(request):\n    return None\n"),
        ]);
        let target = detect(&dir.path().join("shop"));
        assert_eq!(target.version, v(5, 2, 14));
        let VersionSource::File { path, .. } = &target.source else {
            panic!("expected a file source, got {target:?}");
        };
        let expected = fs::canonicalize(dir.path())
            .expect("canonical")
            .join("requirements.txt");
        assert_eq!(Path::new(path), expected);
        // A file as the root means its directory.
        assert_eq!(detect(&dir.path().join("shop/views.py")), target);
    }

    #[test]
    fn search_stops_at_the_repository_root() {
        let outer = tempfile::tempdir().expect("temp dir");
        fs::create_dir(outer.path().join(".git")).expect("create .git");
        fs::write(outer.path().join("requirements.txt"), "Django==4.2\n").expect("write");
        let repository = outer.path().join("repository");
        fs::create_dir_all(repository.join(".git")).expect("create .git");
        fs::create_dir_all(repository.join("app")).expect("create app");
        let target = detect(&repository.join("app"));
        assert_eq!(target.version, NEWEST_DJANGO);
        assert_eq!(target.source, VersionSource::AssumedNewest);
        assert_eq!(
            target.source_label(),
            "newest release (no Django requirement found)"
        );
        // A requirement in the repository root itself still counts.
        fs::write(repository.join("requirements.txt"), "Django==5.2.15\n").expect("write");
        assert_eq!(detect(&repository.join("app")).version, v(5, 2, 15));
    }

    #[test]
    fn missing_root_assumes_the_newest_release() {
        let dir = project(&[]);
        let target = detect(&dir.path().join("missing"));
        assert_eq!(target.source, VersionSource::AssumedNewest);
    }

    #[test]
    fn command_line_label() {
        let target = TargetVersion {
            version: v(6, 0, 6),
            source: VersionSource::CommandLine,
        };
        assert_eq!(target.source_label(), "command line");
    }

    #[test]
    fn behaviour_table() {
        let cases = [
            (v(4, 2, 30), false),
            (v(5, 0, 14), false),
            (v(5, 1, 9), false),
            (v(5, 2, 14), false),
            (v(5, 2, 15), true),
            (v(5, 2, 19), true),
            (v(6, 0, 5), false),
            (v(6, 0, 6), true),
            (v(6, 1, 0), true),
            (v(6, 2, 0), true),
            (v(7, 0, 0), true),
            (v(1, 0, 0), false),
        ];
        for behaviour in [
            CacheBehaviour::VariesOnAuthorization,
            CacheBehaviour::RefusesNoCacheResponses,
        ] {
            for (version, expected) in cases {
                assert_eq!(version.has(behaviour), expected, "{version} {behaviour:?}");
            }
            assert_eq!(introduced_in(behaviour), "5.2.15 / 6.0.6");
        }
    }

    #[test]
    fn behaviour_table_rows_agree_with_their_labels() {
        for entry in BEHAVIOUR_TABLE {
            assert!(entry.first_releases.is_sorted(), "{:?}", entry.behaviour);
            let patched: Vec<String> = entry
                .first_releases
                .iter()
                .filter(|first| first.patch > 0)
                .map(ToString::to_string)
                .collect();
            assert_eq!(entry.introduced_in, patched.join(" / "));
            let rows = BEHAVIOUR_TABLE
                .iter()
                .filter(|other| other.behaviour == entry.behaviour)
                .count();
            assert_eq!(rows, 1, "{:?}", entry.behaviour);
        }
        assert_eq!(BEHAVIOUR_TABLE.len(), 2, "one row per CacheBehaviour");
    }

    #[test]
    fn fixture_projects() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django_versions");
        let cases = [
            (
                "pyproject_42",
                "pyproject.toml",
                "Django>=4.2,<5.0",
                v(4, 2, 0),
            ),
            (
                "poetry_5214",
                "pyproject.toml",
                "django = \"5.2.14\"",
                v(5, 2, 14),
            ),
            ("setup_cfg_605", "setup.cfg", "Django==6.0.5", v(6, 0, 5)),
            ("setup_py_5215", "setup.py", "Django>=5.2.15", v(5, 2, 15)),
            (
                "requirements_606",
                "requirements.txt",
                "django==6.0.6",
                v(6, 0, 6),
            ),
            (
                "requirements_dir_61",
                "requirements/base.txt",
                "Django~=6.1",
                v(6, 1, 0),
            ),
            ("pipfile_42", "Pipfile", "django = \"~=4.2\"", v(4, 2, 0)),
            (
                "poetry_lock_5215",
                "poetry.lock",
                "django 5.2.15",
                v(5, 2, 15),
            ),
            ("uv_lock_5214", "uv.lock", "django 5.2.14", v(5, 2, 14)),
            (
                "pipfile_lock_61",
                "Pipfile.lock",
                "django==6.1.0",
                v(6, 1, 0),
            ),
        ];
        for (name, path, requirement, version) in cases {
            assert_eq!(
                detect(&fixtures.join(name)),
                from_file(path, requirement, version),
                "{name}"
            );
        }
        let none = detect(&fixtures.join("none"));
        assert_eq!(none.source, VersionSource::AssumedNewest, "none");
        assert_eq!(none.version, NEWEST_DJANGO);
    }
}
