//! The baseline, as a team adopting the analyzer on a legacy project uses it: record what
//! is found today (`--write-baseline`), then fail only on what is new (`--baseline`, or
//! `baseline` in the configuration), through edits above the findings, reformatting and
//! moved files. Each test copies a fixture project into a temporary directory, edits it
//! there, and runs the real binary on it.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

use common::{
    analyze_as, analyze_json, copy_tree, finding, findings, fixture, markers, run_in, Finding,
};

/// A copy of a fixture project to edit.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// The `# expect:` markers of the project, but those a baseline file (whose `source`
/// fields quote the marked lines) holds.
fn expected(root: &Path) -> BTreeSet<Finding> {
    markers(root)
        .into_iter()
        .filter(|(_, path, _)| !path.ends_with(".json"))
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `analyze . --write-baseline FILE` (and `extra`) from `dir`; it must pass and say so.
fn write_baseline(dir: &Path, file: &str, count: usize, extra: &[&str]) {
    let mut args = vec!["analyze", ".", "--write-baseline", file];
    args.extend_from_slice(extra);
    let output = run_in(dir, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("Wrote a baseline of {count} findings to {file}\n")
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The (code, path, line) of each entry of a baseline file.
fn entries(baseline: &Value) -> Vec<Finding> {
    baseline["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

/// Every file under `root` with one of the extensions, relative paths.
fn files_with(root: &Path, extensions: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                let relative = path.strip_prefix(root).unwrap();
                found.push(relative.to_str().unwrap().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// Rewrites a file line by line: `edit` returns the lines to put in place of each one.
fn edit_lines(path: &Path, edit: impl Fn(usize, &str) -> Vec<String>) {
    let text = fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        for new in edit(index + 1, line) {
            out.push_str(&new);
            out.push('\n');
        }
    }
    fs::write(path, out).unwrap();
}

#[test]
fn a_baseline_written_then_read_reports_nothing() {
    let dir = copy_of("demo");
    let root = dir.path();
    let marked = expected(root);
    assert_eq!(marked.len(), 34);
    write_baseline(root, "baseline.json", 34, &[]);

    let baseline = read_json(&root.join("baseline.json"));
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["tool"], "cache-analyzer");
    let recorded = entries(&baseline);
    assert_eq!(recorded.iter().cloned().collect::<BTreeSet<_>>(), marked);
    // Sorted by path, then code, then line.
    let mut sorted = recorded.clone();
    sorted.sort_by(|a, b| (&a.1, &a.0, a.2).cmp(&(&b.1, &b.0, b.2)));
    assert_eq!(recorded, sorted);
    // Each entry holds its finding's line, trimmed, and its message; the fingerprint is
    // the one SARIF reports as `primaryLocationLineHash`.
    for entry in baseline["findings"].as_array().unwrap() {
        let path = root.join(entry["path"].as_str().unwrap());
        let line = entry["line"].as_u64().unwrap() as usize;
        let text = fs::read_to_string(path).unwrap();
        assert_eq!(entry["source"], text.lines().nth(line - 1).unwrap().trim());
        assert!(!entry["message"].as_str().unwrap().is_empty());
    }
    let (sarif, _) = analyze_as(root, "sarif", &[]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let hashes: BTreeSet<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let hash = &r["partialFingerprints"]["primaryLocationLineHash"];
            (r["ruleId"].to_string(), hash.to_string())
        })
        .collect();
    let fingerprints: BTreeSet<(String, String)> = baseline["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].to_string(), e["fingerprint"].to_string()))
        .collect();
    assert_eq!(fingerprints, hashes);

    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 34, "stale": 0})
    );
    let (text, status) = analyze_as(root, "full", &["--baseline", "baseline.json"]);
    assert_eq!(
        text,
        "All checks passed!\n34 findings matched the baseline `baseline.json` and are not shown.\n"
    );
    assert_eq!(status, 0);
    // Without a baseline, the JSON summary has no `baseline`.
    let (report, status) = analyze_json(root, &[]);
    assert!(report["summary"].get("baseline").is_none());
    assert_eq!(findings(&report), marked);
    assert_eq!(status, 1);
}

#[test]
fn lines_inserted_above_every_finding_and_reformatting_keep_the_match() {
    for fixture_name in ["demo", "fragments"] {
        let dir = copy_of(fixture_name);
        let root = dir.path();
        let count = expected(root).len();
        write_baseline(root, "baseline.json", count, &[]);

        for file in files_with(root, &["py"]) {
            // A header at the top, a blank line above each finding, and every line
            // indented with two spaces a level instead of four.
            edit_lines(&root.join(&file), |number, line| {
                let mut lines = Vec::new();
                if number == 1 {
                    lines.extend(["# Reviewed in 2024.".to_string(), String::new()]);
                }
                if line.contains("# expect: [") {
                    lines.push(String::new());
                }
                let indent = line.len() - line.trim_start_matches(' ').len();
                lines.push(format!("{}{}", " ".repeat(indent / 2), line.trim_start()));
                lines
            });
        }
        for file in files_with(root, &["html", "txt"]) {
            edit_lines(&root.join(&file), |number, line| {
                let mut lines = Vec::new();
                if number == 1 {
                    lines.push("{# Reviewed in 2024. #}".to_string());
                }
                if line.contains("{# expect: [") {
                    lines.push(String::new());
                }
                lines.push(line.to_string());
                lines
            });
        }
        let moved = expected(root);
        assert_eq!(moved.len(), count);
        assert_ne!(
            moved,
            expected(&fixture(fixture_name)),
            "every finding moved"
        );
        let (report, _) = analyze_json(root, &[]);
        assert_eq!(findings(&report), moved, "the edits change no finding");

        let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
        assert_eq!(findings(&report), BTreeSet::new(), "{fixture_name}");
        assert_eq!(status, 0);
        assert_eq!(
            report["summary"]["baseline"],
            json!({"file": "baseline.json", "matched": count, "stale": 0})
        );
    }
}

#[test]
fn a_file_moved_with_its_content_still_matches() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    // blog/services.py (seven findings) into another directory, under the same name.
    fs::create_dir_all(root.join("core")).unwrap();
    fs::rename(root.join("blog/services.py"), root.join("core/services.py")).unwrap();
    let moved = expected(root);
    assert_eq!(
        moved.iter().filter(|f| f.1 == "core/services.py").count(),
        7
    );
    let (report, _) = analyze_json(root, &[]);
    assert_eq!(findings(&report), moved);

    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 34, "stale": 0})
    );

    // Renamed as well, it is another file: its findings are new, their entries stale.
    fs::rename(root.join("core/services.py"), root.join("core/queries.py")).unwrap();
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    let renamed: BTreeSet<Finding> = expected(root)
        .into_iter()
        .filter(|f| f.1 == "core/queries.py")
        .collect();
    assert_eq!(renamed.len(), 7);
    assert_eq!(findings(&report), renamed);
    assert_eq!(status, 1);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 27, "stale": 7})
    );
}

#[test]
fn a_finding_line_respaced_still_matches_and_one_rewritten_is_new() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    let tasks = root.join("shop/tasks.py");
    // A formatter's spacing on the finding's own line, and a line added above it.
    edit_lines(&tasks, |number, line| match number {
        1 => vec![String::new(), line.to_string()],
        49 => vec![line.replace(", ", ",").replace("  #", " #")],
        _ => vec![line.to_string()],
    });
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 34, "stale": 0})
    );
    // Another key on that line: the finding is new, its entry stale.
    edit_lines(&tasks, |number, line| match number {
        50 => vec![line.replace("last-sync", "synced-at")],
        _ => vec![line.to_string()],
    });
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(
        findings(&report),
        [finding("CA106", "shop/tasks.py", 50)]
            .into_iter()
            .collect()
    );
    assert_eq!(status, 1);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 33, "stale": 1})
    );
}

#[test]
fn a_new_finding_is_reported_alone_and_fails_the_run() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    let tasks = root.join("shop/tasks.py");
    // Line 49 holds a baselined CA106; the same line again below it is a new finding:
    // each entry matches one finding only.
    edit_lines(&tasks, |number, line| {
        if number == 49 {
            assert!(line.contains("# expect: [CA106]"));
            vec![line.to_string(), line.to_string()]
        } else {
            vec![line.to_string()]
        }
    });
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(
        findings(&report),
        [finding("CA106", "shop/tasks.py", 50)]
            .into_iter()
            .collect()
    );
    assert_eq!(status, 1);

    // And a new function with a timeout of 0 at the end of the file.
    let mut text = fs::read_to_string(&tasks).unwrap();
    text.push_str("\n\ndef forget():\n    cache.set(\"shop:forget\", 1, 0)\n");
    fs::write(&tasks, text).unwrap();
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(
        findings(&report),
        [
            finding("CA106", "shop/tasks.py", 50),
            finding("CA106", "shop/tasks.py", 69),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(status, 1);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 34, "stale": 0})
    );
    let (text, status) = analyze_as(
        root,
        "concise",
        &["--baseline", "baseline.json", "--exit-zero"],
    );
    assert_eq!(status, 0, "--exit-zero still applies");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("shop/tasks.py:50:73: CA106 warning: "));
    assert!(lines[1].starts_with("shop/tasks.py:69:33: CA106 warning: "));
    assert_eq!(lines[2], "Found 2 problems (CA106: 2).");
    assert_eq!(
        lines[3],
        "34 findings matched the baseline `baseline.json` and are not shown."
    );
}

#[test]
fn fixed_findings_leave_stale_entries_counted() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    // The CA106 of shop/tasks.py:49 is fixed by removing its line.
    edit_lines(&root.join("shop/tasks.py"), |number, line| {
        if number == 49 {
            Vec::new()
        } else {
            vec![line.to_string()]
        }
    });
    let (report, status) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 33, "stale": 1})
    );
    let stale = "33 findings matched the baseline `baseline.json` and are not shown; 1 baseline entry no longer matches: run with `--write-baseline baseline.json` to drop it.\n";
    let (text, _) = analyze_as(root, "full", &["--baseline", "baseline.json"]);
    assert_eq!(text, format!("All checks passed!\n{stale}"));
    let (text, _) = analyze_as(root, "concise", &["--baseline", "baseline.json"]);
    assert_eq!(text, format!("All checks passed!\n{stale}"));

    // Only entries the run could have matched are stale: not those of rules it does not
    // run, of other apps, or of files it was not given.
    for (extra, matched, stale) in [
        (&["--select", "CA1"][..], 26, 1),
        (&["--select", "CA3"][..], 6, 0),
        (&["--app", "blog"][..], 17, 0),
    ] {
        let mut args = vec!["--baseline", "baseline.json"];
        args.extend_from_slice(extra);
        let (report, _) = analyze_json(root, &args);
        assert_eq!(findings(&report), BTreeSet::new());
        assert_eq!(
            report["summary"]["baseline"],
            json!({"file": "baseline.json", "matched": matched, "stale": stale}),
            "{extra:?}"
        );
    }
    let named = run_in(
        root,
        &[
            "analyze",
            "blog/models.py",
            "--baseline",
            "baseline.json",
            "--output-format",
            "json",
        ],
    );
    let report: Value = serde_json::from_slice(&named.stdout).unwrap();
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 2, "stale": 0})
    );

    // Written again, the baseline drops the entry.
    write_baseline(root, "baseline.json", 33, &[]);
    let (report, _) = analyze_json(root, &["--baseline", "baseline.json"]);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 33, "stale": 0})
    );
}

#[test]
fn a_broken_baseline_is_an_error_never_an_empty_one() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    let whole = fs::read_to_string(root.join("baseline.json")).unwrap();
    let half = (0..=whole.len() / 2)
        .rev()
        .find(|&cut| whole.is_char_boundary(cut))
        .unwrap();
    fs::write(root.join("truncated.json"), &whole[..half]).unwrap();
    fs::write(
        root.join("ruff.json"),
        whole.replace("\"tool\": \"cache-analyzer\"", "\"tool\": \"ruff\""),
    )
    .unwrap();
    fs::write(
        root.join("future.json"),
        whole.replace("\"version\": 1,", "\"version\": 99,"),
    )
    .unwrap();
    fs::write(
        root.join("no-fingerprint.json"),
        "{\"version\": 1, \"tool\": \"cache-analyzer\", \"findings\": [{\"code\": \"CA101\", \"path\": \"a.py\", \"line\": 1, \"source\": \"x\"}]}\n",
    )
    .unwrap();
    let (report, _) = analyze_as(root, "json", &[]);
    fs::write(root.join("report.json"), report).unwrap();

    let version = env!("CARGO_PKG_VERSION");
    let cases = [
        ("truncated.json", "baseline `truncated.json` is not valid JSON: EOF while parsing".to_string()),
        ("ruff.json", "baseline `ruff.json` was written by `ruff`, not by cache-analyzer\n".to_string()),
        ("future.json", format!("baseline `future.json` has version 99, but this cache-analyzer ({version}) reads version 1 only: upgrade cache-analyzer, or write the baseline again with `--write-baseline future.json`\n")),
        ("no-fingerprint.json", "baseline `no-fingerprint.json` is malformed: missing field `fingerprint` at line 1 column ".to_string()),
        ("report.json", "baseline `report.json` is a JSON report, not a baseline; write one with `--write-baseline FILE`\n".to_string()),
        ("missing.json", "baseline `missing.json` does not exist; write it with `--write-baseline missing.json`\n".to_string()),
    ];
    for (file, message) in cases {
        let output = run_in(root, &["analyze", ".", "--baseline", file]);
        assert_eq!(output.status.code(), Some(2), "{file}");
        assert_eq!(stdout(&output), "", "{file}");
        let expected = format!("cache-analyzer: error: {message}");
        assert!(
            stderr(&output).starts_with(&expected),
            "{file}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn the_configuration_names_the_baseline() {
    let dir = copy_of("demo");
    let root = dir.path();
    fs::write(
        root.join("pyproject.toml"),
        "[tool.cache-analyzer]\nbaseline = \"ci/baseline.json\"\n",
    )
    .unwrap();
    // Named in the configuration but not written yet: an error, which names the key.
    let output = run_in(root, &["analyze", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "cache-analyzer: error: baseline `ci/baseline.json` (`baseline` in pyproject.toml) does not exist; write it with `--write-baseline ci/baseline.json`\n"
    );
    // Writing ignores the configured baseline.
    fs::create_dir(root.join("ci")).unwrap();
    write_baseline(root, "ci/baseline.json", 34, &[]);
    write_baseline(root, "ci/baseline.json", 34, &[]);
    // Paths in it are relative to the configuration's directory, not the baseline's.
    let baseline = read_json(&root.join("ci/baseline.json"));
    assert_eq!(
        entries(&baseline).into_iter().collect::<BTreeSet<_>>(),
        expected(root)
    );

    let (report, status) = analyze_json(root, &[]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "ci/baseline.json", "matched": 34, "stale": 0})
    );
    fs::write(
        root.join("blog/empty.json"),
        "{\"version\": 1, \"tool\": \"cache-analyzer\", \"findings\": []}\n",
    )
    .unwrap();
    fs::copy(root.join("blog/empty.json"), root.join("empty.json")).unwrap();
    // Run from a subdirectory, the file is named from there in text.
    let output = run_in(
        &root.join("blog"),
        &["analyze", "..", "--output-format", "concise"],
    );
    assert_eq!(
        stdout(&output),
        "All checks passed!\n34 findings matched the baseline `../ci/baseline.json` and are not shown.\n"
    );
    assert_eq!(output.status.code(), Some(0));
    // Analysing a subdirectory alone (which finds what it can without the rest of the
    // project), findings there are matched by their paths from the configuration's
    // directory, and only the entries inside it can be stale.
    let recorded = entries(&baseline);
    let (alone, _) = analyze_json(&root.join("blog"), &["--baseline", "empty.json"]);
    let new: BTreeSet<Finding> = findings(&alone)
        .into_iter()
        .filter(|(code, path, line)| {
            !recorded.contains(&(code.clone(), format!("blog/{path}"), *line))
        })
        .collect();
    let matched = findings(&alone).len() - new.len();
    assert!(matched > 10);
    let inside = recorded.iter().filter(|e| e.1.starts_with("blog/")).count();
    let (report, _) = analyze_json(&root.join("blog"), &[]);
    assert_eq!(findings(&report), new);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "../ci/baseline.json", "matched": matched, "stale": inside - matched})
    );

    // `--baseline` wins over the configuration's.
    let (report, status) = analyze_json(root, &["--baseline", "empty.json"]);
    assert_eq!(findings(&report), expected(root));
    assert_eq!(status, 1);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "empty.json", "matched": 0, "stale": 0})
    );
    let (text, _) = analyze_as(root, "concise", &["--baseline", "empty.json"]);
    assert!(text.ends_with("\nNo finding matched the baseline `empty.json`.\n"));
    // `--no-baseline` reports everything, and says nothing of a baseline.
    let (report, status) = analyze_json(root, &["--no-baseline"]);
    assert_eq!(findings(&report), expected(root));
    assert_eq!(status, 1);
    assert!(
        report["summary"]["baseline"].is_null(),
        "{}",
        report["summary"]
    );
    let both = run_in(
        root,
        &["analyze", ".", "--no-baseline", "--baseline", "empty.json"],
    );
    assert_eq!(both.status.code(), Some(2));

    fs::write(
        root.join("pyproject.toml"),
        "[tool.cache-analyzer]\nbaseline = 3\n",
    )
    .unwrap();
    let output = run_in(root, &["analyze", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).ends_with("pyproject.toml:2: `baseline` must be a file path\n"));
}

#[test]
fn check_invalidation_and_report_honour_the_baseline() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "baseline.json", 34, &[]);
    let invalidation: BTreeSet<Finding> = expected(root)
        .into_iter()
        .filter(|f| f.0.starts_with("CA3"))
        .collect();
    assert_eq!(invalidation.len(), 6);

    let check = |args: &[&str]| {
        let mut all = vec!["check-invalidation", ".", "--output-format", "json"];
        all.extend_from_slice(args);
        let output = run_in(root, &all);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        (report, output.status.code().unwrap())
    };
    let (report, status) = check(&[]);
    assert_eq!(findings(&report), invalidation);
    assert_eq!(status, 1);
    // The other rules' entries are not stale: check-invalidation does not run them.
    let (report, status) = check(&["--baseline", "baseline.json"]);
    assert_eq!(findings(&report), BTreeSet::new());
    assert_eq!(status, 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 6, "stale": 0})
    );
    fs::write(
        root.join("cache-analyzer.toml"),
        "baseline = \"baseline.json\"\n",
    )
    .unwrap();
    let full = run_in(root, &["check-invalidation", "."]);
    assert_eq!(full.status.code(), Some(0));
    assert!(stdout(&full).contains("Invalidation map:\n"));
    assert!(stdout(&full).ends_with(
        "All checks passed!\n6 findings matched the baseline `baseline.json` and are not shown.\n"
    ));

    // A baseline written by check-invalidation holds its findings only.
    let output = run_in(
        root,
        &["check-invalidation", ".", "--write-baseline", "ca3.json"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "Wrote a baseline of 6 findings to ca3.json\n"
    );
    let baseline = read_json(&root.join("ca3.json"));
    assert_eq!(
        entries(&baseline).into_iter().collect::<BTreeSet<_>>(),
        invalidation
    );

    // `report` takes the same flags.
    let output = run_in(root, &["report", ".", "--output", "report.json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "Wrote 0 findings to report.json\n");
    let report = read_json(&root.join("report.json"));
    assert_eq!(
        report["summary"]["baseline"],
        json!({"file": "baseline.json", "matched": 34, "stale": 0})
    );
    let output = run_in(
        root,
        &[
            "report",
            ".",
            "--output",
            "all.json",
            "--write-baseline",
            "again.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "Wrote 34 findings to all.json\nWrote a baseline of 34 findings to again.json\n"
    );
    assert_eq!(
        fs::read(root.join("again.json")).unwrap(),
        fs::read(root.join("baseline.json")).unwrap()
    );
}

#[test]
fn writing_twice_gives_byte_identical_files() {
    let dir = copy_of("demo");
    let root = dir.path();
    write_baseline(root, "first.json", 34, &[]);
    write_baseline(root, "second.json", 34, &["--no-cache"]);
    let first = fs::read(root.join("first.json")).unwrap();
    assert_eq!(first, fs::read(root.join("second.json")).unwrap());
    // From another directory, and over a baseline already there.
    let output = run_in(
        &root.join("shop"),
        &["analyze", "..", "--write-baseline", "../first.json"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(first, fs::read(root.join("first.json")).unwrap());
    // Pretty-printed, the format's fields first, ending with a newline.
    let text = String::from_utf8(first).unwrap();
    assert!(text.starts_with(
        "{\n  \"version\": 1,\n  \"tool\": \"cache-analyzer\",\n  \"findings\": [\n    {\n      \"code\": \""
    ));
    assert!(text.ends_with("\n  ]\n}\n"));
    let no_temporary_files: Vec<String> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(no_temporary_files.is_empty());
}
