//! The fact cache: a warm run reports exactly what a cold one does, each file's entry is
//! invalidated by its own changes (and by the project changes its facts asked about), and a
//! damaged, unwritable or shared cache never changes a result.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::{binary, finding, findings, fixture, Finding};

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".cache-analyzer_cache" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of a fixture project, free to edit.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// The binary, keeping its fact cache where the project or the arguments say.
fn uncontrolled_binary() -> std::process::Command {
    let mut command = binary();
    command.env_remove("CACHE_ANALYZER_CACHE_DIR");
    command
}

/// `COMMAND PATH --output-format json --verbose` with these extra arguments, from PATH.
fn run(command: &str, path: &Path, extra: &[&str]) -> Output {
    uncontrolled_binary()
        .args([command, ".", "--output-format", "json", "--verbose"])
        .args(extra)
        .current_dir(path)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// `(reused, extracted)` from the `--verbose` line on standard error.
fn cache_counts(output: &Output) -> (usize, usize) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("fact cache `"))
        .unwrap_or_else(|| panic!("no fact cache line in:\n{stderr}"));
    let numbers: Vec<usize> = line
        .rsplit(": ")
        .next()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// The findings of a JSON report.
fn reported(output: &Output) -> BTreeSet<Finding> {
    findings(&serde_json::from_slice(&output.stdout).expect("a JSON report"))
}

/// Waits until every file written so far is older than the window in which the cache
/// does not trust a file's stamp (its modification or change time within 2 seconds of a
/// run's start): the next run records the stamps, and trusts them on the run after.
fn settle() {
    std::thread::sleep(Duration::from_millis(2200));
}

/// Replaces `from` by `to`, of the same length, in `path`, and sets its modification time
/// back to what it was: only the contents (and the change time) tell the edit apart.
fn edit_keeping_length_and_mtime(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let before = fs::read_to_string(path).unwrap();
    assert!(before.contains(from), "{from:?} not in {}", path.display());
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    fs::write(path, before.replacen(from, to, 1)).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let metadata = fs::metadata(path).unwrap();
    assert_eq!(metadata.len(), before.len() as u64);
    assert_eq!(metadata.modified().unwrap(), modified);
}

/// In `invalidation`, `catalog/services.py:11` caches a product for ten minutes; this
/// edit, of the same length, makes it expire at once (CA106).
const TEN_MINUTES: &str = "product, 60 * 10)";
const AT_ONCE: &str = "product, 0)      ";

fn notes(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("note: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn warm_runs_report_what_cold_runs_do_on_every_fixture() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut projects: Vec<PathBuf> = fs::read_dir(&fixtures)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    projects.sort();
    assert!(projects.len() > 10);
    for path in projects {
        let cache = tempfile::tempdir().unwrap();
        let cache_dir = cache.path().to_str().unwrap();
        for command in ["analyze", "check-invalidation"] {
            let uncached = run(command, &path, &["--no-cache"]);
            let cold = run(command, &path, &["--cache-dir", cache_dir]);
            let warm = run(command, &path, &["--cache-dir", cache_dir]);
            let name = path.file_name().unwrap().to_string_lossy();
            assert_eq!(stdout(&cold), stdout(&uncached), "{command} {name}: cold");
            assert_eq!(stdout(&warm), stdout(&uncached), "{command} {name}: warm");
            assert_eq!(warm.status.code(), uncached.status.code(), "{name}");
            let (_, extracted) = cache_counts(&warm);
            assert_eq!(
                extracted, 0,
                "{command} {name}: a warm run extracts nothing"
            );
        }
    }
}

#[test]
fn a_changed_file_invalidates_exactly_its_entry() {
    let dir = project("invalidation");
    let root = dir.path();
    let cold = run("analyze", root, &[]);
    let (reused, files) = cache_counts(&cold);
    assert_eq!((reused, files), (0, 13));
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));

    // Editing one file re-extracts it alone, and what it now says is reported.
    let services = root.join("catalog/services.py");
    let edited = fs::read_to_string(&services).unwrap() + "\n\ndef latest():\n    from django.core.cache import cache\n    return cache.get(\"latest\")\n";
    fs::write(&services, edited).unwrap();
    let after_edit = run("analyze", root, &[]);
    assert_eq!(cache_counts(&after_edit), (12, 1));
    assert_eq!(
        stdout(&after_edit),
        stdout(&run("analyze", root, &["--no-cache"]))
    );

    // A new file is extracted, and the others are reused.
    fs::write(root.join("catalog/notes.py"), "NOTE = 'kept'\n").unwrap();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 1));

    // A deleted file's entry is dropped: the next runs reuse every file left.
    fs::remove_file(root.join("catalog/notes.py")).unwrap();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));
    let warm = run("analyze", root, &[]);
    assert_eq!(cache_counts(&warm), (13, 0));
    assert_eq!(
        stdout(&warm),
        stdout(&run("analyze", root, &["--no-cache"]))
    );
}

#[test]
fn adding_a_package_a_file_imports_extracts_that_file_again() {
    let dir = project("invalidation");
    let root = dir.path();
    fs::write(
        root.join("catalog/later.py"),
        "from warehouse.stock import refresh\n\n\ndef update():\n    refresh()\n",
    )
    .unwrap();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (0, 14));
    // `warehouse` was not the project's when `later.py` was read; now it is, so what
    // `refresh()` may do has changed for that file, and only for it.
    fs::create_dir(root.join("warehouse")).unwrap();
    fs::write(root.join("warehouse/__init__.py"), "").unwrap();
    fs::write(
        root.join("warehouse/stock.py"),
        "def refresh():\n    return None\n",
    )
    .unwrap();
    let after = run("analyze", root, &[]);
    assert_eq!(cache_counts(&after), (13, 3));
    assert_eq!(
        stdout(&after),
        stdout(&run("analyze", root, &["--no-cache"]))
    );
}

/// The cache file of a project whose cache is in `cache_dir` (the one file under the
/// version directory that is not one of its markers).
fn cache_file(cache_dir: &Path) -> PathBuf {
    let version_dir = cache_dir.join(env!("CARGO_PKG_VERSION"));
    let files: Vec<PathBuf> = fs::read_dir(version_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name != "CACHEDIR.TAG" && name != ".gitignore"
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn a_damaged_cache_is_ignored_and_rewritten() {
    let dir = project("invalidation");
    let root = dir.path();
    let expected = stdout(&run("analyze", root, &["--no-cache"]));
    run("analyze", root, &[]);
    let cache_dir = root.join(".cache-analyzer_cache");
    assert!(cache_dir.join("CACHEDIR.TAG").is_file());
    assert_eq!(
        fs::read_to_string(cache_dir.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    let file = cache_file(&cache_dir);

    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = run("analyze", root, &[]);
    assert_eq!(stdout(&truncated), expected);
    assert_eq!(cache_counts(&truncated), (0, 13));
    assert!(
        notes(&truncated)[0].contains("damaged"),
        "{:?}",
        notes(&truncated)
    );
    let rewritten = run("analyze", root, &[]);
    assert_eq!(cache_counts(&rewritten), (13, 0));
    assert_eq!(stdout(&rewritten), expected);

    fs::write(&file, b"not a cache at all").unwrap();
    let foreign = run("analyze", root, &[]);
    assert_eq!(stdout(&foreign), expected);
    assert_eq!(cache_counts(&foreign), (0, 13));
}

#[test]
fn a_cache_dir_that_cannot_be_written_only_disables_the_cache() {
    let dir = project("invalidation");
    let root = dir.path();
    let expected = run("analyze", root, &["--no-cache"]);
    // A directory under a regular file can never be created, even by root.
    fs::write(root.join("not-a-dir"), "").unwrap();
    for _ in 0..2 {
        let output = run("analyze", root, &["--cache-dir", "not-a-dir/cache"]);
        assert_eq!(stdout(&output), stdout(&expected));
        assert_eq!(output.status.code(), expected.status.code());
        let notes = notes(&output);
        assert!(
            notes.len() == 1 && notes[0].contains("the fact cache `"),
            "{notes:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_cache_dir_gives_the_same_results() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("invalidation");
    let root = dir.path();
    let expected = stdout(&run("analyze", root, &["--no-cache"]));
    run("analyze", root, &[]);
    let cache_dir = root.join(".cache-analyzer_cache");
    let version_dir = cache_file(&cache_dir).parent().unwrap().to_path_buf();
    fs::set_permissions(&version_dir, fs::Permissions::from_mode(0o555)).unwrap();
    let services = root.join("catalog/services.py");
    fs::write(&services, fs::read_to_string(&services).unwrap() + "\n").unwrap();
    let output = run("analyze", root, &[]);
    fs::set_permissions(&version_dir, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(stdout(&output), expected);
    assert_eq!(cache_counts(&output), (12, 1));
}

#[test]
fn two_concurrent_runs_on_one_cache_both_succeed() {
    let dir = project("invalidation");
    let root = dir.path();
    let expected = run("analyze", root, &["--no-cache"]);
    for _ in 0..3 {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                uncontrolled_binary()
                    .args(["analyze", ".", "--output-format", "json"])
                    .current_dir(root)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in runs {
            let output = child.wait_with_output().unwrap();
            assert_eq!(output.status.code(), expected.status.code());
            assert_eq!(stdout(&output), stdout(&expected));
        }
    }
    let warm = run("analyze", root, &[]);
    assert_eq!(cache_counts(&warm), (13, 0));
    assert_eq!(stdout(&warm), stdout(&expected));
}

#[test]
fn the_cache_dir_comes_from_the_flag_the_environment_or_the_configuration() {
    let dir = project("invalidation");
    let root = dir.path();
    let default_dir = root.join(".cache-analyzer_cache");

    // `binary()` sets the environment variable; without it the default is used.
    let output = uncontrolled_binary()
        .args(["analyze", ".", "--output-format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.code().is_some());
    assert!(default_dir.join("CACHEDIR.TAG").is_file());
    fs::remove_dir_all(&default_dir).unwrap();

    let from_env = root.join("env-cache");
    binary()
        .env("CACHE_ANALYZER_CACHE_DIR", &from_env)
        .args(["analyze", ".", "--output-format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(from_env.join("CACHEDIR.TAG").is_file());

    fs::write(
        root.join("pyproject.toml"),
        "[tool.cache-analyzer]\ncache-dir = \"build/facts\"\n",
    )
    .unwrap();
    uncontrolled_binary()
        .args(["analyze", ".", "--output-format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(root.join("build/facts/CACHEDIR.TAG").is_file());
    // The flag wins over the configuration.
    binary()
        .args(["analyze", ".", "--cache-dir", "flag-cache"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(root.join("flag-cache/CACHEDIR.TAG").is_file());
    assert!(!default_dir.exists());

    let off = run("analyze", root, &["--no-cache"]);
    assert!(String::from_utf8_lossy(&off.stderr).contains("fact cache: off"));
}

/// The build script's fingerprint (which names the binary's cache files, and is given to
/// this test too) is the hash of every Rust file under `src/` and `Cargo.lock`: extraction
/// reads modules outside `src/facts/` (`test_code.rs`'s `is_test_path`, for one), and a
/// change to any of them must never reuse another build's facts.
#[test]
fn the_facts_fingerprint_covers_every_source_file_and_the_lock_file() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = vec!["Cargo.lock".to_string()];
    let mut stack = vec![manifest.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(manifest).unwrap();
                let parts: Vec<_> = relative
                    .components()
                    .map(|c| c.as_os_str().to_str().unwrap())
                    .collect();
                inputs.push(parts.join("/"));
            }
        }
    }
    assert!(inputs.contains(&"src/test_code.rs".to_string()));
    inputs.sort();
    let mut all = Vec::new();
    for input in &inputs {
        all.extend(input.as_bytes());
        all.extend(fs::read(manifest.join(input)).unwrap());
    }
    assert_eq!(
        env!("CACHE_ANALYZER_FACTS_FINGERPRINT"),
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&all))
    );
}

#[cfg(unix)]
#[test]
fn a_file_whose_mode_changed_is_read_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("invalidation");
    let root = dir.path();
    let services = root.join("catalog/services.py");
    fs::set_permissions(&services, fs::Permissions::from_mode(0o644)).unwrap();
    settle();
    let cold = run("analyze", root, &[]);
    assert_eq!(cache_counts(&cold), (0, 13));
    let before = reported(&cold);
    assert!(!before.contains(&finding("CA106", "catalog/services.py", 11)));
    // Recorded on the run before, the stamps are now trusted.
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));

    // A new mode (and a same-length edit keeping the modification time, which only a
    // read can see) makes the file's stamp differ: it is read and extracted again.
    edit_keeping_length_and_mtime(&services, TEN_MINUTES, AT_ONCE);
    fs::set_permissions(&services, fs::Permissions::from_mode(0o600)).unwrap();
    let after = run("analyze", root, &[]);
    assert_eq!(cache_counts(&after), (12, 1));
    let mut expected = before.clone();
    expected.insert(finding("CA106", "catalog/services.py", 11));
    assert_eq!(reported(&after), expected);
    assert_eq!(
        stdout(&after),
        stdout(&run("analyze", root, &["--no-cache"]))
    );

    // A file that cannot be read is reported as such, never served from the cache, on
    // this run or the next. (Root reads a file of mode 000 all the same, so this part
    // only runs for other users.)
    settle();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));
    fs::set_permissions(&services, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&services).is_err() {
        for _ in 0..2 {
            let unreadable = run("analyze", root, &[]);
            assert_eq!(cache_counts(&unreadable), (12, 1));
            let found = reported(&unreadable);
            assert!(
                found.contains(&finding("CA000", "catalog/services.py", 1)),
                "{found:?}"
            );
            assert!(stdout(&unreadable).contains("cannot read file"));
        }
    }
    fs::set_permissions(&services, fs::Permissions::from_mode(0o644)).unwrap();
    let readable = run("analyze", root, &[]);
    assert_eq!(reported(&readable), expected);
}

#[test]
fn an_edit_keeping_the_length_and_modification_time_is_seen() {
    let dir = project("invalidation");
    let root = dir.path();
    let services = root.join("catalog/services.py");
    let cold = run("analyze", root, &[]);
    assert_eq!(cache_counts(&cold), (0, 13));
    assert!(!reported(&cold).contains(&finding("CA106", "catalog/services.py", 11)));
    // At once, as an editor saving during a run would: the modification time and length
    // are those recorded, to the nanosecond. The file was changed within 2 seconds of the
    // run that read it, so that run did not record its stamp (and its change time, on
    // Unix, is a new one too).
    edit_keeping_length_and_mtime(&services, TEN_MINUTES, AT_ONCE);
    let after = run("analyze", root, &[]);
    assert_eq!(cache_counts(&after), (12, 1));
    assert!(reported(&after).contains(&finding("CA106", "catalog/services.py", 11)));
    assert_eq!(
        stdout(&after),
        stdout(&run("analyze", root, &["--no-cache"]))
    );
}

/// The cache file's identity: a new one whenever a run writes the cache again.
#[cfg(unix)]
fn identity(file: &Path) -> (u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let metadata = fs::metadata(file).unwrap();
    (metadata.ino(), metadata.modified().unwrap())
}

/// A run rewrites the cache when a file had to be read to see it unchanged (its stamp was
/// not recorded, or differs): the files of a project just written are read again on every
/// run until they are 2 seconds older than a run, which then records their stamps.
#[cfg(unix)]
#[test]
fn stamps_are_recorded_only_for_files_older_than_the_run() {
    let dir = project("invalidation");
    let root = dir.path();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (0, 13));
    let file = cache_file(&root.join(".cache-analyzer_cache"));
    let cold = identity(&file);
    // Too recent to trust: each file is read again, found unchanged, and still not
    // stamped.
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));
    let checked = identity(&file);
    assert_ne!(checked, cold);
    settle();
    // Now settled: read once more, and stamped.
    assert_eq!(cache_counts(&run("analyze", root, &[])), (13, 0));
    let stamped = identity(&file);
    assert_ne!(stamped, checked);
    // Trusted: nothing is read, and nothing written.
    let warm = run("analyze", root, &[]);
    assert_eq!(cache_counts(&warm), (13, 0));
    assert_eq!(identity(&file), stamped);
    assert_eq!(
        stdout(&warm),
        stdout(&run("analyze", root, &["--no-cache"]))
    );
}

/// `--cache-dir .` (or a directory above the project) once wrote a `.gitignore` of `*`
/// into the project, and every later run found no file at all.
#[test]
fn a_cache_dir_holding_the_project_marks_neither_it_nor_its_files() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("project");
    copy_tree(&fixture("invalidation"), &root);
    let expected = run("analyze", &root, &["--no-cache"]);
    assert_eq!(reported(&expected).len(), 6);
    let parent_dir = parent.path().to_str().unwrap();
    for cache_dir in [".", parent_dir] {
        for _ in 0..2 {
            let output = run("analyze", &root, &["--cache-dir", cache_dir]);
            assert_eq!(
                stdout(&output),
                stdout(&expected),
                "--cache-dir {cache_dir}"
            );
        }
        for dir in [root.as_path(), parent.path()] {
            assert!(!dir.join(".gitignore").exists(), "{}", dir.display());
            assert!(!dir.join("CACHEDIR.TAG").exists(), "{}", dir.display());
        }
        // Every file is still found, with or without the cache.
        let uncached = run("analyze", &root, &["--no-cache"]);
        assert_eq!(
            stdout(&uncached),
            stdout(&expected),
            "--cache-dir {cache_dir}"
        );
        let report: serde_json::Value = serde_json::from_slice(&uncached.stdout).unwrap();
        assert_eq!(report["summary"]["files_analyzed"], 13);
    }
    // The entries themselves are still marked, in the directory the tool keeps them in.
    for cache_dir in [root.as_path(), parent.path()] {
        let version_dir = cache_dir.join(env!("CARGO_PKG_VERSION"));
        assert!(version_dir.join("CACHEDIR.TAG").is_file());
        assert!(version_dir.join(".gitignore").is_file());
    }
}

#[cfg(unix)]
#[test]
fn files_whose_names_read_alike_keep_their_own_entries() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = project("invalidation");
    let root = dir.path();
    // Both are `catalog/bad\u{fffd}.py` once made UTF-8; the first caches for no time at
    // all (CA106), the second does not.
    let catalog = root.join("catalog");
    fs::write(
        catalog.join(OsStr::from_bytes(b"bad\xfe.py")),
        "from django.core.cache import cache\n\ncache.set(\"a\", 1, 0)\n",
    )
    .unwrap();
    fs::write(
        catalog.join(OsStr::from_bytes(b"bad\xff.py")),
        "from django.core.cache import cache\n\nVALUE = 1\n",
    )
    .unwrap();
    let expected = run("analyze", root, &["--no-cache"]);
    assert!(reported(&expected).contains(&finding("CA106", "catalog/bad\u{fffd}.py", 3)));
    // Old enough for the stamps to be recorded, and trusted on the runs after.
    settle();
    assert_eq!(cache_counts(&run("analyze", root, &[])), (0, 15));
    for _ in 0..2 {
        let warm = run("analyze", root, &[]);
        assert_eq!(cache_counts(&warm), (15, 0));
        assert_eq!(stdout(&warm), stdout(&expected));
    }
}

/// A cache file that still decodes once damaged (a byte flipped inside a file's facts, a
/// string or a hash) is told from a whole one by its checksum.
#[test]
fn a_cache_file_with_a_flipped_byte_is_ignored() {
    let dir = project("invalidation");
    let root = dir.path();
    let expected = stdout(&run("analyze", root, &["--no-cache"]));
    run("analyze", root, &[]);
    let file = cache_file(&root.join(".cache-analyzer_cache"));
    let mut bytes = fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    fs::write(&file, &bytes).unwrap();
    let damaged = run("analyze", root, &[]);
    assert_eq!(cache_counts(&damaged), (0, 13));
    assert!(
        notes(&damaged).iter().any(|note| note.contains("damaged")),
        "{:?}",
        notes(&damaged)
    );
    assert_eq!(stdout(&damaged), expected);
    let rewritten = run("analyze", root, &[]);
    assert_eq!(cache_counts(&rewritten), (13, 0));
    assert_eq!(stdout(&rewritten), expected);
}

/// Saving a cache removes the cache files of other roots or settings no run has written
/// for 30 days, and temporary files a day old; nothing else in the directory.
#[test]
fn stale_cache_files_beside_the_saved_one_are_removed() {
    let dir = project("invalidation");
    let root = dir.path();
    run("analyze", root, &[]);
    let cache_dir = root.join(".cache-analyzer_cache");
    let file = cache_file(&cache_dir);
    let version_dir = file.parent().unwrap();
    let whole = fs::read(&file).unwrap();
    let day = Duration::from_secs(24 * 60 * 60);
    let now = std::time::SystemTime::now();
    let make = |name: &str, contents: &[u8], age: Duration| {
        let path = version_dir.join(name);
        fs::write(&path, contents).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(now - age)
            .unwrap();
        path
    };
    let stale = make("00000000000000aa", &whole, 31 * day);
    let recent = make("00000000000000bb", &whole, 29 * day);
    let foreign = make("00000000000000cc", b"not a cache file", 31 * day);
    let other = make("notes.txt", b"kept", 365 * day);
    let dead_run = make(".facts-dead.tmp", &whole[..10], 2 * day);
    let live_run = make(".facts-live.tmp", &whole[..10], Duration::ZERO);
    // Only a run that writes the cache prunes: change a file.
    let services = root.join("catalog/services.py");
    fs::write(&services, fs::read_to_string(&services).unwrap() + "\n").unwrap();
    let output = run("analyze", root, &[]);
    assert_eq!(cache_counts(&output), (12, 1));
    assert!(file.is_file());
    for removed in [&stale, &dead_run] {
        assert!(!removed.exists(), "{}", removed.display());
    }
    for kept in [&recent, &foreign, &other, &live_run] {
        assert!(kept.exists(), "{}", kept.display());
    }
}
