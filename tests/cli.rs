//! The commands as a user runs them: exit codes, filters, output formats, reports, and
//! input that must not stop the run.

mod common;

use std::fs;
use std::io::Read;
use std::process::Stdio;

use common::{
    analyze_json, binary, finding, findings, fixture, markers, project, run, run_in,
    unexpected_stderr,
};

/// CA102: the key is written with a timeout on the next line, so the write without one
/// gives it another lifetime.
const ONE_FINDING: &str =
    "from django.core.cache import cache\n\ncache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n";
const CLEAN: &str = "from django.core.cache import cache\n\ncache.set(\"k\", 1, 60)\n";

fn text(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn exit_codes_follow_ruff() {
    let clean = project(&[("a.py", CLEAN)]);
    let dirty = project(&[("a.py", ONE_FINDING)]);
    let clean_path = clean.path().to_str().unwrap();
    let dirty_path = dirty.path().to_str().unwrap();
    assert_eq!(run(&["analyze", clean_path]).status.code(), Some(0));
    assert_eq!(run(&["analyze", dirty_path]).status.code(), Some(1));
    assert_eq!(
        run(&["analyze", dirty_path, "--exit-zero"]).status.code(),
        Some(0)
    );
    assert_eq!(run(&["analyze", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(run(&["analyze", "/no/such/path"]).status.code(), Some(2));
    assert_eq!(
        run(&["analyze", dirty_path, "--select", "XY1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["analyze", dirty_path, "--select", "CA999"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn text_output_is_ruff_like() {
    let dir = project(&[("app/a.py", ONE_FINDING)]);
    let output = run_in(dir.path(), &["analyze", "."]);
    let out = text(&output);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("app/a.py:3:1: CA102 warning: `cache.set()` has no timeout"),
        "{first}"
    );
    // The line, underlined, with two lines of context on either side, as Ruff shows it.
    assert!(
        out.contains(
            "  |\n1 | from django.core.cache import cache\n2 |\n3 | cache.set(\"k\", 1)\n  | ^^^^^^^^^^^^^^^^^ CA102\n4 | cache.set(\"k\", 2, 60)\n  |\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("Found 1 problem (CA102: 1).\n"), "{out}");
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );

    let verbose = text(&run(&[
        "analyze",
        dir.path().to_str().unwrap(),
        "--verbose",
    ]));
    assert!(
        verbose.contains("= help: Pass an explicit timeout"),
        "{verbose}"
    );
    assert!(
        verbose.contains("Analyzed 1 file and 0 templates in "),
        "{verbose}"
    );
    assert!(
        verbose.contains("Django 6.1.3: newest release (no Django requirement found).\n"),
        "{verbose}"
    );
    // The message stays short; the fallback the settings decide is in the detail.
    let why = "  = why: without a timeout, it falls back to the `TIMEOUT` of cache `default` (300 seconds unless `CACHES` sets it)\n";
    assert!(verbose.contains(why), "{verbose}");
    assert!(!out.contains("= why:"), "{out}");

    let details = text(&run(&[
        "analyze",
        dir.path().to_str().unwrap(),
        "--show-details",
    ]));
    assert!(details.contains(why), "{details}");
    assert!(details.contains("= help: Pass an explicit timeout"));
    assert!(!details.contains("Analyzed 1 file"), "{details}");

    let clean = project(&[("a.py", CLEAN)]);
    assert_eq!(
        text(&run(&["analyze", clean.path().to_str().unwrap()])),
        "All checks passed!\n"
    );
}

#[test]
fn forced_colour_is_honoured_and_no_color_wins() {
    let dir = project(&[("a.py", ONE_FINDING)]);
    let path = dir.path().to_str().unwrap();
    let coloured = binary()
        .args(["analyze", path])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(text(&coloured).contains('\x1b'));
    let plain = binary()
        .args(["analyze", path])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&plain).contains('\x1b'));
}

#[test]
fn json_is_identical_across_runs_and_sorted() {
    let root = fixture("demo");
    let first = run(&["analyze", root.to_str().unwrap(), "--format", "json"]).stdout;
    let second = run(&["analyze", root.to_str().unwrap(), "--format", "json"]).stdout;
    assert_eq!(first, second);
    let (report, _) = analyze_json(&root, &[]);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "cache-analyzer");
    let keys: Vec<(String, u64, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let first = &report["diagnostics"][0];
    for field in [
        "code",
        "name",
        "severity",
        "message",
        "help",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
    ] {
        assert!(!first[field].is_null(), "diagnostic field {field}");
    }
}

#[test]
fn select_and_ignore_take_codes_and_prefixes() {
    let root = fixture("demo");
    let all = markers(&root);
    let only = |code: &str| {
        all.iter()
            .filter(|f| f.0 == code)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };

    let (report, _) = analyze_json(&root, &["--select", "CA101"]);
    assert_eq!(findings(&report), only("CA101"));

    let (report, _) = analyze_json(
        &root,
        &[
            "--select",
            "ca10",
            "--ignore",
            "CA101,CA102,CA103,CA104,CA105",
        ],
    );
    let mut expected = only("CA106");
    expected.extend(only("CA107"));
    assert_eq!(findings(&report), expected);
}

#[test]
fn app_filter_reports_only_that_app_but_indexes_everything() {
    let root = fixture("demo");
    let (report, _) = analyze_json(&root, &["--app", "blog"]);
    let expected: std::collections::BTreeSet<_> = markers(&root)
        .into_iter()
        .filter(|f| f.1.starts_with("blog/"))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(findings(&report), expected);

    let output = run(&["analyze", root.to_str().unwrap(), "--app", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown app `nope`"), "{stderr}");
    assert!(
        stderr.contains("blog") && stderr.contains("shop"),
        "{stderr}"
    );
}

#[test]
fn check_invalidation_runs_only_invalidation_rules() {
    let root = fixture("demo");
    let output = run(&[
        "check-invalidation",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected: std::collections::BTreeSet<_> = markers(&root)
        .into_iter()
        .filter(|f| f.0.starts_with("CA3"))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(findings(&report), expected);

    let clean = fixture("lookalikes");
    let output = run(&["check-invalidation", clean.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn report_writes_json_to_a_file() {
    let root = fixture("demo");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("report.json");
    let output = run(&[
        "report",
        root.to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("Wrote 34 findings to {}\n", file.display())
    );
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(findings(&written), markers(&root));
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        1,
        "no temporary file is left"
    );

    let text_file = out.path().join("report.txt");
    run(&[
        "report",
        root.to_str().unwrap(),
        "--output",
        text_file.to_str().unwrap(),
    ]);
    let written = fs::read_to_string(&text_file).unwrap();
    assert!(written.contains("blog/services.py:27:44: CA101"));
    assert!(!written.contains('\x1b'));
}

#[test]
fn report_into_a_missing_directory_fails_cleanly() {
    let root = fixture("demo");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("missing").join("report.json");
    let output = run(&[
        "report",
        root.to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!file.exists());
    let refused = run(&["report", root.to_str().unwrap(), "--output", "views.py"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn closed_stdout_ends_quietly() {
    let root = fixture("demo");
    let mut child = binary()
        .args(["analyze", root.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.code().is_some(), "no signal");
    assert!(unexpected_stderr(&stderr).is_empty(), "{stderr}");
}

#[test]
fn unreadable_and_non_utf8_files_become_ca000() {
    let dir = project(&[("app/good.py", ONE_FINDING)]);
    fs::write(dir.path().join("app/latin1.py"), b"# caf\xe9\nx = 1\n").unwrap();
    std::os::unix::fs::symlink("loop.py", dir.path().join("app/loop.py")).unwrap();
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [
            finding("CA000", "app/latin1.py", 1),
            finding("CA102", "app/good.py", 3)
        ]
        .into()
    );
    let ca000 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA000")
        .unwrap();
    let message = ca000["message"].as_str().unwrap();
    assert!(
        message.contains("not valid UTF-8 (byte 0xe9 at line 1, column 6)"),
        "{message}"
    );
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["summary"]["files_analyzed"], 1);
}

#[test]
fn skipped_directories_are_not_analyzed() {
    let dir = project(&[
        ("app/a.py", ONE_FINDING),
        ("node_modules/x.py", ONE_FINDING),
        (".venv/pyvenv.cfg", "home = /usr\n"),
        (".venv/lib/y.py", ONE_FINDING),
        ("env2/pyvenv.cfg", "home = /usr\n"),
        ("env2/z.py", ONE_FINDING),
        ("build/b.py", ONE_FINDING),
        ("app/__pycache__/c.py", ONE_FINDING),
    ]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report), [finding("CA102", "app/a.py", 3)].into());
}

#[test]
fn paths_are_normalised_and_lossy_names_kept_apart() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project(&[("a/mod.py", ONE_FINDING), ("b/x.py", ONE_FINDING)]);
    let first = dir
        .path()
        .join("b")
        .join(std::ffi::OsStr::from_bytes(b"bad\xff.py"));
    let second = dir
        .path()
        .join("b")
        .join(std::ffi::OsStr::from_bytes(b"bad\xfe.py"));
    fs::write(first, ONE_FINDING).unwrap();
    fs::write(second, ONE_FINDING).unwrap();
    let output = binary()
        .current_dir(dir.path().join("a"))
        .args(["analyze", "mod.py", "../b/", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a/mod.py", "b/bad\u{fffd}.py", "b/x.py"]);
    assert_eq!(
        report["summary"]["files_analyzed"], 4,
        "both lossy names are analysed"
    );
}

#[test]
fn caret_lines_up_after_wide_and_control_characters() {
    let source = "from django.core.cache import cache\n\n\u{c}cache.set(\"\u{4e2d}\u{6587}\", 1)\ncache.set(\"\u{4e2d}\u{6587}\", 2, 60)\n";
    let dir = project(&[("a.py", source)]);
    let out = text(&run(&["analyze", dir.path().to_str().unwrap()]));
    let lines: Vec<&str> = out.lines().collect();
    let code_line = lines.iter().position(|l| l.starts_with("3 |")).unwrap();
    assert!(
        lines[code_line].starts_with("3 | \\u{c}cache.set("),
        "{out}"
    );
    let carets = format!("  | {}{} CA102", " ".repeat(5), "^".repeat(20));
    assert_eq!(lines[code_line + 1], carets, "{out}");
}

#[test]
fn named_files_are_judged_with_their_whole_project() {
    let root = fixture("demo");
    let views = root.join("blog/views.py");
    let signals = root.join("blog/signals.py");
    let (report, _) = analyze_json(&views, &[]);
    let expected: std::collections::BTreeSet<_> = markers(&root)
        .into_iter()
        .filter(|(_, path, _)| path == "blog/views.py")
        .collect();
    assert!(!expected.is_empty());
    // Paths stay relative to the project (the directory holding `manage.py`).
    assert_eq!(findings(&report), expected);
    let mut args = vec![
        "analyze",
        views.to_str().unwrap(),
        signals.to_str().unwrap(),
    ];
    args.extend(["--format", "json"]);
    let output = run(&args);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: std::collections::BTreeSet<String> =
        findings(&report).into_iter().map(|f| f.1).collect();
    assert_eq!(
        paths,
        ["blog/signals.py".to_string(), "blog/views.py".to_string()].into()
    );
}

/// A run that checks nothing never passes silently: no Python files, a file the analysis
/// does not read, a selector no rule has, or a selection leaving `check-invalidation`
/// nothing to run.
#[test]
fn runs_that_check_nothing_say_so() {
    let empty = project(&[]);
    let output = run(&["analyze", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stdout.is_empty(),
        "no \"All checks passed!\" for nothing"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "warning: no Python files found under the given path(s)\n"
    );

    let readme = project(&[("README.md", "# A project\n")]);
    let output = run(&["analyze", readme.path().join("README.md").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("README.md`: neither a Python file nor a template under `templates/`")
            && stderr.contains("error: no PATH given is a directory, a Python file or a template"),
        "{stderr}"
    );
    // Among files the analysis reads (as pre-commit passes them), it is skipped.
    let mixed = project(&[("README.md", "# A project\n"), ("app.py", CLEAN)]);
    let output = run(&[
        "analyze",
        mixed.path().join("README.md").to_str().unwrap(),
        mixed.path().join("app.py").to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let demo = fixture("demo");
    let demo = demo.to_str().unwrap();
    let output = run(&["analyze", demo, "--select", "CA9"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "cache-analyzer: error: unknown rule prefix `CA9` (no rule has it); the closest are CA601, CA503, CA502; run `cache-analyzer rule --all` to list the rules\n"
    );
    let output = run(&["analyze", demo, "--ignore", "CA108"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(
        "unknown rule code `CA108` (no rule has it); the closest are CA107, CA106, CA105"
    ));

    let output = run(&["check-invalidation", demo, "--select", "CA1"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "cache-analyzer: error: the selection leaves no CA3 rule for `check-invalidation`, which runs only the invalidation rules (CA3xx)\n"
    );
    let output = run(&["analyze", demo, "--select", "CA1", "--ignore", "CA1"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Python files without Django: the run says once that there was little to check.
#[test]
fn a_tree_without_django_is_named_once() {
    let plain = project(&[("a.py", "x = 1\n"), ("b.py", "import json\n")]);
    let output = run(&["analyze", plain.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "All checks passed!\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("warning: no Django code found").count(),
        1,
        "{stderr}"
    );

    let django = project(&[
        ("a.py", "from django.core.cache import cache\n"),
        ("requirements.txt", "Django==5.2\n"),
    ]);
    let output = run(&["analyze", django.path().to_str().unwrap()]);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Without a requirement, the Django version the rules assume is said once.
    fs::remove_file(django.path().join("requirements.txt")).unwrap();
    let output = run(&["analyze", django.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("warning: assuming Django ")
            && stderr.ends_with(" (no Django requirement found; pass --django-version)\n")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
}

/// `report` as a file-writing `analyze`: `--output -` is standard output, `--exit-zero`
/// is taken, the file gets the umask's permissions, and errors name the target.
#[cfg(unix)]
#[test]
fn report_writes_as_files_are_written() {
    use std::os::unix::fs::PermissionsExt;

    let root = fixture("demo");
    let root = root.to_str().unwrap();
    let output = run(&["report", root, "--output", "-", "--exit-zero"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 34);

    let out = tempfile::tempdir().unwrap();
    for (umask, mode) in [("022", 0o644), ("077", 0o600)] {
        let file = out.path().join(format!("report-{umask}.json"));
        // Without a cache: this command does not go through `binary()`, which keeps the
        // fact cache out of the fixtures.
        let command =
            format!("umask {umask} && exec \"$0\" report \"$1\" --no-cache --output \"$2\"",);
        let status = std::process::Command::new("sh")
            .args(["-c", &command, env!("CARGO_BIN_EXE_cache-analyzer"), root])
            .arg(&file)
            .output()
            .unwrap()
            .status;
        assert_eq!(status.code(), Some(1));
        let permissions = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(permissions, mode, "umask {umask}");
    }

    let missing = out.path().join("missing/report.json");
    let output = run(&["report", root, "--output", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot write `{}`", missing.display()))
            && !stderr.contains(".report.json."),
        "{stderr}"
    );
}
