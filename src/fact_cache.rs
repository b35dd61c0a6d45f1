//! The per-file fact cache, as Ruff keeps its own: `.cache-analyzer_cache/` beside the
//! project's configuration (or at the analysed root), one file per project and settings
//! under a directory named for the tool's version. Each entry holds one Python file's
//! facts, keyed by a hash of its contents and the answers about the rest of the project
//! its extraction depended on. Only per-file facts are cached: the project index and the
//! rules run afresh on every run, so no cross-file result is ever stale.
//!
//! The cache only ever saves work. A missing, truncated or foreign file reads as empty and
//! is rewritten; one that cannot be created or written leaves the run uncached, with a
//! note for `--verbose`. Writes go to a temporary file of a unique name renamed into place,
//! so concurrent runs each leave a whole file behind, and a checksum of the contents tells
//! a torn or corrupted file from a whole one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use crate::facts::span::Span;
use crate::facts::{HelperCall, ProjectAnswers, ProjectPackages};
use crate::source::FileOutcome;

/// The default directory, at the project root.
pub const DEFAULT_DIR: &str = ".cache-analyzer_cache";
/// Changes whenever the entries' layout changes: older files are then foreign.
const FORMAT: u32 = 2;
const MAGIC: &[u8; 8] = b"CAFACTS\0";
/// How long after a file's last change its stamp is not yet trusted (Git's "racy" files):
/// a file changed in the same tick of the file system's clock as it was read, and again
/// before the run ended, keeps its stamp while its contents differ. Timestamps as coarse
/// as 2 seconds (FAT, some network file systems) and a little clock skew are covered.
const RACY_WINDOW_NANOS: i128 = 2_000_000_000;
/// A cache file of another root or other settings not written for this long is removed
/// when the version directory's cache is next saved; a temporary file left by a run that
/// died, after a day.
const STALE_CACHE: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const STALE_TEMPORARY: Duration = Duration::from_secs(24 * 60 * 60);

/// Where the cache lives, once resolved from `--no-cache`, `--cache-dir` (or
/// `CACHE_ANALYZER_CACHE_DIR`) and the configuration's `cache-dir`.
pub enum CacheChoice {
    Disabled,
    Dir(PathBuf),
}

impl CacheChoice {
    /// The command line (or environment) first, then the configuration, then
    /// `.cache-analyzer_cache` in `project_dir`; a relative directory is relative to the
    /// current directory on the command line, to the configuration's directory in it.
    pub fn resolve(
        no_cache: bool,
        given: Option<&Path>,
        configured: Option<&Path>,
        project_dir: &Path,
    ) -> CacheChoice {
        if no_cache {
            return CacheChoice::Disabled;
        }
        CacheChoice::Dir(match (given, configured) {
            (Some(dir), _) => std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
            (None, Some(dir)) => project_dir.join(dir),
            (None, None) => project_dir.join(DEFAULT_DIR),
        })
    }
}

/// A file's key in the cache: its path from the analysed root as the operating system
/// names it (its bytes, on Unix), so that two names alike once made UTF-8 (`bad\xfe.py`
/// and `bad\xff.py` both read `bad\u{fffd}.py`) keep their own entries.
pub fn path_key(root: &Path, path: &Path) -> Vec<u8> {
    os_bytes(path.strip_prefix(root).unwrap_or(path).as_os_str()).to_vec()
}

#[cfg(unix)]
fn os_bytes(name: &std::ffi::OsStr) -> &[u8] {
    std::os::unix::ffi::OsStrExt::as_bytes(name)
}

/// Elsewhere the standard library's own encoding, the same for the same name.
#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr) -> &[u8] {
    name.as_encoded_bytes()
}

/// A hash of a file's bytes.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxh3_128(bytes)
}

/// What a file's metadata says of it: as Ruff and Git do, a file whose stamp is the one
/// recorded is taken as unchanged without being read. Beside the modification time and
/// length, the stamp holds the permission bits and, on Unix, the change time, inode and
/// device: a `chmod` (which may make the file unreadable), a file replaced by another or
/// its modification time set back all make the file read again.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    modified_nanos: u128,
    len: u64,
    /// The permission bits (`st_mode`) on Unix; elsewhere whether the file is read-only.
    mode: u32,
    /// The inode's change time (`st_ctime`), in nanoseconds; 0 where there is none.
    changed_nanos: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let metadata = fs::metadata(path).ok()?;
        let modified = metadata.modified().ok()?;
        let modified_nanos = modified.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        #[cfg(unix)]
        let (mode, changed_nanos, inode, device) = {
            use std::os::unix::fs::MetadataExt;
            (
                metadata.mode(),
                i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec()),
                metadata.ino(),
                metadata.dev(),
            )
        };
        #[cfg(not(unix))]
        let (mode, changed_nanos, inode, device) =
            (u32::from(metadata.permissions().readonly()), 0, 0, 0);
        Some(Stamp {
            modified_nanos,
            len: metadata.len(),
            mode,
            changed_nanos,
            inode,
            device,
        })
    }

    /// Whether the file was last modified or changed well before `started_nanos` (the
    /// start of the run that read it, since the Unix epoch): only then can no later write
    /// leave the same stamp. A file changed in the window (or in the future, by a clock
    /// ahead of this one) is not stamped, so the next run compares its contents.
    fn is_settled(&self, started_nanos: i128) -> bool {
        let modified = i128::try_from(self.modified_nanos).unwrap_or(i128::MAX);
        let latest = modified.max(self.changed_nanos);
        latest.saturating_add(RACY_WINDOW_NANOS) < started_nanos
    }
}

/// One file's cached extraction.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    stamp: Option<Stamp>,
    content: u128,
    first: Pass<Found>,
    /// The second pass, for files calling the project's helpers: those calls, with their
    /// arguments, and the unread calls (encoded).
    helper_pass: Option<Pass<Vec<u8>>>,
}

#[derive(Serialize, Deserialize)]
struct Pass<T> {
    answers: ProjectAnswers,
    found: T,
}

#[derive(Serialize, Deserialize)]
enum Found {
    /// The facts, encoded on their own so that entries decode in parallel and unchanged
    /// ones are written back as they were read.
    Facts(Vec<u8>),
    NotAnalyzed {
        reason: String,
        span: Span,
    },
}

impl Entry {
    /// The entry for a file just extracted. `None` when its facts cannot be encoded
    /// (they are then simply not cached).
    pub fn new(
        stamp: Option<Stamp>,
        content: u128,
        outcome: &FileOutcome,
        answers: ProjectAnswers,
    ) -> Option<Entry> {
        let found = match outcome {
            FileOutcome::Analyzed(facts) => {
                Found::Facts(postcard::to_allocvec(facts.as_ref()).ok()?)
            }
            FileOutcome::NotAnalyzed { reason, span } => Found::NotAnalyzed {
                reason: reason.clone(),
                span: span.clone(),
            },
        };
        Some(Entry {
            stamp,
            content,
            first: Pass { answers, found },
            helper_pass: None,
        })
    }

    /// Whether the file's stamp is the one recorded: its contents need not be read.
    pub fn is_stamped(&self, stamp: Option<Stamp>) -> bool {
        stamp.is_some() && self.stamp == stamp
    }

    /// Records the file's new stamp, once its contents are known to be the same.
    pub fn restamp(&mut self, stamp: Option<Stamp>) {
        self.stamp = stamp;
    }

    pub fn has_content(&self, content: u128) -> bool {
        self.content == content
    }

    /// The cached outcome, if the project still answers as it did.
    pub fn first_pass(&self, packages: &ProjectPackages) -> Option<FileOutcome> {
        if !self.first.answers.hold_for(packages) {
            return None;
        }
        match &self.first.found {
            Found::Facts(bytes) => postcard::from_bytes(bytes)
                .ok()
                .map(|facts| FileOutcome::Analyzed(Box::new(facts))),
            Found::NotAnalyzed { reason, span } => Some(FileOutcome::NotAnalyzed {
                reason: reason.clone(),
                span: span.clone(),
            }),
        }
    }

    /// The second pass's helper calls and unread calls, if found while the project
    /// answered as it does now.
    pub fn helper_pass(
        &self,
        packages: &ProjectPackages,
    ) -> Option<(Vec<HelperCall>, Vec<String>)> {
        let pass = self.helper_pass.as_ref()?;
        if !pass.answers.hold_for(packages) {
            return None;
        }
        postcard::from_bytes(&pass.found).ok()
    }

    pub fn set_helper_pass(
        &mut self,
        helper_calls: &[HelperCall],
        unseen_calls: &[String],
        answers: ProjectAnswers,
    ) {
        self.helper_pass = postcard::to_allocvec(&(helper_calls, unseen_calls))
            .ok()
            .map(|found| Pass { answers, found });
    }
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    version: String,
    settings: u64,
    /// Keyed by [`path_key`].
    entries: Vec<(Vec<u8>, Entry)>,
}

/// The cache of one analysed root, as read at the start of the run.
pub struct FactCache {
    /// The cache file; `None` when caching is off.
    file: Option<PathBuf>,
    /// The analysed root, which no cache directory marker may hide.
    root: PathBuf,
    settings: u64,
    /// When the run started, in nanoseconds since the Unix epoch: stamps of files changed
    /// since shortly before are not saved (see [`Stamp::is_settled`]).
    started_nanos: i128,
    entries: FxHashMap<Vec<u8>, Entry>,
    /// Something the run should say under `--verbose`: why the cache is off or was not
    /// read.
    pub note: Option<String>,
}

impl FactCache {
    /// Opens the cache for the project at `root`; every problem only disables it or empties
    /// it.
    pub fn open(choice: &CacheChoice, root: &Path, packages: &ProjectPackages) -> FactCache {
        // Before any file is looked at: a file changed after this is never stamped.
        let started_nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i128::try_from(since.as_nanos()).unwrap_or(i128::MAX)
            });
        let (src_layout, cache_objects) = packages.extraction_settings();
        let mut settings = format!(
            "{}\0{}\0",
            env!("CARGO_PKG_VERSION"),
            env!("CACHE_ANALYZER_FACTS_FINGERPRINT"),
        )
        .into_bytes();
        // The root as the operating system names it: roots alike once made UTF-8 keep
        // their own files.
        settings.extend(os_bytes(root.as_os_str()));
        settings.extend(format!("\0{src_layout}\0{}", cache_objects.join("\0")).as_bytes());
        let settings = xxh3_64(&settings);
        let mut cache = FactCache {
            file: None,
            root: root.to_path_buf(),
            settings,
            started_nanos,
            entries: FxHashMap::default(),
            note: None,
        };
        let CacheChoice::Dir(dir) = choice else {
            return cache;
        };
        let file = dir
            .join(env!("CARGO_PKG_VERSION"))
            .join(format!("{settings:016x}"));
        match fs::read(&file) {
            Ok(bytes) => match decode(&bytes, settings) {
                Some(entries) => cache.entries = entries.into_iter().collect(),
                None => {
                    cache.note = Some(format!(
                    "the fact cache `{}` is damaged or from another build; it will be rewritten",
                    file.display()
                ))
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                cache.note = Some(format!(
                    "cannot read the fact cache `{}`: {err}; running without it",
                    file.display()
                ));
                return cache;
            }
        }
        cache.file = Some(file);
        cache
    }

    pub fn is_enabled(&self) -> bool {
        self.file.is_some()
    }

    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Takes out the entry read for the file of this [`path_key`], if any.
    pub fn take(&mut self, key: &[u8]) -> Option<Entry> {
        self.entries.remove(key)
    }

    /// How many entries were read and not taken: files gone since the last run.
    pub fn leftover(&self) -> usize {
        self.entries.len()
    }

    /// Writes `entries` as the whole cache, atomically, and removes stale cache files beside
    /// it; a failure is returned as the note to show. The stamps of files changed too
    /// recently to trust are left out.
    pub fn save(&self, mut entries: Vec<(Vec<u8>, Entry)>) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        for (_, entry) in &mut entries {
            entry.stamp = entry
                .stamp
                .filter(|stamp| stamp.is_settled(self.started_nanos));
        }
        let contents = CacheFile {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            settings: self.settings,
            entries,
        };
        write_atomically(file, &contents, &self.root)
            .map_err(|err| format!("cannot write the fact cache `{}`: {err}", file.display()))
    }
}

/// The entries of a cache file: [`MAGIC`], the xxh3 checksum of the body (8 bytes, little
/// endian), then the body; `None` for a file torn, damaged or written by another build.
fn decode(bytes: &[u8], settings: u64) -> Option<Vec<(Vec<u8>, Entry)>> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (checksum, body) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*checksum) != xxh3_64(body) {
        return None;
    }
    let file: CacheFile = postcard::from_bytes(body).ok()?;
    (file.format == FORMAT
        && file.version == env!("CARGO_PKG_VERSION")
        && file.settings == settings)
        .then_some(file.entries)
}

/// Writes the cache file whole or not at all: into a new temporary file of a unique name
/// beside it (never truncating another run's), then renamed over it.
fn write_atomically(file: &Path, contents: &CacheFile, root: &Path) -> std::io::Result<()> {
    let version_dir = file.parent().unwrap_or(Path::new("."));
    make_cache_dirs(version_dir, root)?;
    let body = postcard::to_allocvec(contents).map_err(std::io::Error::other)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".facts-").suffix(".tmp");
    // As `File::create` makes files: readable by whoever the umask lets read them, so
    // that a cache shared between users stays readable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    // Removed when dropped, unless persisted.
    let mut temporary = builder.tempfile_in(version_dir)?;
    temporary.write_all(MAGIC)?;
    temporary.write_all(&xxh3_64(&body).to_le_bytes())?;
    temporary.write_all(&body)?;
    temporary.persist(file).map_err(|err| err.error)?;
    prune(version_dir, file);
    Ok(())
}

/// Removes, beside `kept`, the cache files of other roots or settings that no run has
/// written for [`STALE_CACHE`] (a project gone, or analysed with other settings), and
/// temporary files older than [`STALE_TEMPORARY`]. Only files named as this module names
/// them are touched, and a cache file only if it starts with [`MAGIC`]; failures are
/// ignored.
fn prune(version_dir: &Path, kept: &Path) {
    let Ok(entries) = fs::read_dir(version_dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let path = entry.path();
        if path == kept {
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let is_cache = name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit());
        let is_temporary = name.starts_with(".facts-") && name.ends_with(".tmp");
        let max_age = match (is_cache, is_temporary) {
            (true, _) => STALE_CACHE,
            (_, true) => STALE_TEMPORARY,
            _ => continue,
        };
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let is_stale = metadata.is_file()
            && metadata
                .modified()
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > max_age);
        if is_stale && (is_temporary || starts_with_magic(&path)) {
            let _ = fs::remove_file(&path);
        }
    }
}

fn starts_with_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0; MAGIC.len()];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == *MAGIC)
}

/// Makes the cache directory and its version directory, with the markers of a cache
/// directory in the directories that are the tool's own: the version directory always
/// (its name and contents are the tool's), the cache directory only when this run
/// creates it. A directory that was there before, such as the project itself under
/// `--cache-dir .`, is never marked: its `.gitignore` of `*` would hide every file from
/// Git and from discovery, which honours it. Neither is one holding the analysed root.
fn make_cache_dirs(version_dir: &Path, root: &Path) -> std::io::Result<()> {
    if let Some(cache_dir) = version_dir.parent() {
        if create_new_dir(cache_dir)? {
            mark_cache_dir(cache_dir, root)?;
        }
    }
    create_new_dir(version_dir)?;
    mark_cache_dir(version_dir, root)
}

/// Creates `dir` (and its missing parents); whether this call created `dir` itself
/// rather than finding it there.
fn create_new_dir(dir: &Path) -> std::io::Result<bool> {
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(err) => Err(err),
    }
}

/// `CACHEDIR.TAG` (so backup tools skip it) and a `.gitignore` of `*` (so Git does), as
/// Ruff writes them, unless `dir` is or holds the analysed root (or that cannot be told).
fn mark_cache_dir(dir: &Path, root: &Path) -> std::io::Result<()> {
    let holds_root = match (fs::canonicalize(dir), fs::canonicalize(root)) {
        (Ok(dir), Ok(root)) => root.starts_with(dir),
        _ => true,
    };
    if holds_root {
        return Ok(());
    }
    let tag = dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        fs::write(
            &tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n\
             # This file is a cache directory tag created by cache-analyzer.\n",
        )?;
    }
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        fs::write(
            &gitignore,
            "# Automatically created by cache-analyzer.\n*\n",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    fn stamp(modified_nanos: u128, changed_nanos: i128) -> Stamp {
        Stamp {
            modified_nanos,
            len: 10,
            mode: 0o100644,
            changed_nanos,
            inode: 1,
            device: 1,
        }
    }

    #[test]
    fn a_stamp_is_trusted_only_once_the_file_is_older_than_the_racy_window() {
        let started = 1_000 * SECOND;
        let at = |seconds_before: i128| (started - seconds_before * SECOND) as u128;
        assert!(stamp(at(3), 3 * SECOND).is_settled(started));
        assert!(stamp(at(3), started - 3 * SECOND).is_settled(started));
        // Modified or changed (a chmod, a modification time set back) within 2 seconds of
        // the run's start, at its start, after it, or far in the future.
        assert!(!stamp(at(2), 0).is_settled(started));
        assert!(!stamp(at(1), 0).is_settled(started));
        assert!(!stamp(at(0), 0).is_settled(started));
        assert!(!stamp(at(-5), 0).is_settled(started));
        assert!(!stamp(u128::MAX, 0).is_settled(started));
        assert!(!stamp(at(10), started - SECOND).is_settled(started));
        assert!(!stamp(at(10), i128::MAX).is_settled(started));
    }
}
