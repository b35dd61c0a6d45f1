//! Helpers shared by the integration tests: run the real binary, read its JSON report,
//! and read the `# expect: [CODE, ...]` markers (`{# expect: [CODE] #}` in templates)
//! written by hand in fixture files.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// (code, path, line)
pub type Finding = (String, String, usize);

/// What the analyzer warns on standard error when it found no Python file, no Django, or
/// no Django requirement.
pub const NOTHING_CHECKED_WARNINGS: &[&str] = &[
    "warning: no Python files found under the given path(s)",
    "warning: no Django code found under the given path(s)",
    "warning: assuming Django ",
];

/// The lines of standard error other than the warnings about what was not found.
pub fn unexpected_stderr(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| !NOTHING_CHECKED_WARNINGS.iter().any(|w| line.starts_with(w)))
        .collect()
}

/// The binary, with its fact cache kept under the build's temporary directory rather than
/// beside the fixtures: every fixture run after the first reads its facts from there.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cache-analyzer"));
    command
        .env(
            "CACHE_ANALYZER_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fact-cache"),
        )
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR");
    command
}

pub fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("the binary runs")
}

/// Runs the binary from `directory`, which decides how text reports name files.
pub fn run_in(directory: &Path, args: &[&str]) -> Output {
    binary()
        .args(args)
        .current_dir(directory)
        .output()
        .expect("the binary runs")
}

/// The path of `directory` from the repository holding it (`""` at its top, `""` when
/// there is none), which SARIF and GitLab reports start their paths with.
pub fn repository_prefix(directory: &Path) -> String {
    directory
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .and_then(|repository| directory.strip_prefix(repository).ok())
        .filter(|below| !below.as_os_str().is_empty())
        .map(|below| format!("{}/", below.to_str().unwrap()))
        .unwrap_or_default()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Runs `analyze PATH --output-format FORMAT` from PATH's directory (so that paths read
/// as from the project root) and returns standard output and the exit code; anything on
/// standard error fails the test.
pub fn analyze_as(path: &Path, format: &str, extra: &[&str]) -> (String, i32) {
    let mut args = vec!["analyze", path.to_str().unwrap(), "--output-format", format];
    args.extend_from_slice(extra);
    let directory = if path.is_dir() {
        path
    } else {
        path.parent().expect("a file has a directory")
    };
    let output = binary()
        .args(&args)
        .current_dir(directory)
        .output()
        .expect("the binary runs");
    // Small projects made for a test often import no Django, or hold only templates:
    // the warnings saying so are tested on their own (tests/cli.rs).
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        unexpected_stderr(&stderr).is_empty(),
        "unexpected stderr: {stderr}"
    );
    (
        String::from_utf8(output.stdout).expect("UTF-8 output"),
        output.status.code().expect("exited normally"),
    )
}

/// Runs `analyze --output-format json` on `path` and returns the parsed report.
pub fn analyze_json(path: &Path, extra: &[&str]) -> (Value, i32) {
    let (stdout, status) = analyze_as(path, "json", extra);
    let report: Value = serde_json::from_str(&stdout).expect("valid JSON report");
    (report, status)
}

pub fn findings(report: &Value) -> BTreeSet<Finding> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

/// Every `# expect: [CA101, CA102]` marker under `root`, as findings. Templates mark
/// theirs in a comment, `{# expect: [CA401] #}`, which the same search finds.
pub fn markers(root: &Path) -> BTreeSet<Finding> {
    let mut expected = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (index, line) in text.lines().enumerate() {
            let Some((_, rest)) = line.split_once("# expect: [") else {
                continue;
            };
            let codes = rest.split(']').next().unwrap();
            for code in codes.split(',') {
                expected.insert((code.trim().to_string(), relative.clone(), index + 1));
            }
        }
    }
    expected
}

/// A temporary project made of `(relative path, contents)` pairs.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, contents).unwrap();
    }
    dir
}

/// Copies a directory tree, e.g. a fixture project into a temporary one to edit.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn finding(code: &str, path: &str, line: usize) -> Finding {
    (code.to_string(), path.to_string(), line)
}
