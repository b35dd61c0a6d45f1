//! `analyze --add-noqa`: a directive for every reported finding, on the line suppression
//! reads it from, merged into what is there, written back byte for byte otherwise.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use common::{
    analyze_json, copy_tree, finding, findings, fixture, markers, project, run_in,
    unexpected_stderr,
};

/// Runs the binary in `dir` and returns standard output, the unexpected lines of standard
/// error, and the exit code.
fn run(dir: &Path, args: &[&str]) -> (String, Vec<String>, i32) {
    let output: Output = run_in(dir, args);
    let stderr = String::from_utf8(output.stderr).unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        unexpected_stderr(&stderr)
            .into_iter()
            .map(str::to_string)
            .collect(),
        output.status.code().unwrap(),
    )
}

fn add_noqa(dir: &Path, extra: &[&str]) -> (String, Vec<String>, i32) {
    let mut args = vec!["analyze", ".", "--add-noqa"];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            files.insert(relative, fs::read(&path).unwrap());
        }
    }
    files
}

fn read(dir: &Path, path: &str) -> String {
    fs::read_to_string(dir.join(path)).unwrap()
}

#[test]
fn the_demo_gets_a_directive_on_every_marked_line_and_then_passes() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), dir.path());
    let before = tree(dir.path());
    let (expected_findings, status) = {
        let (report, status) = analyze_json(dir.path(), &[]);
        (findings(&report), status)
    };
    assert_eq!(status, 1);
    assert_eq!(expected_findings, markers(dir.path()));

    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 32 noqa directives to 7 files.\n".into(), vec![], 0)
    );
    // Each marked line, `# expect: [CA107, CA303]`, now ends with `  # noqa: CA107, CA303`;
    // every other byte is as it was.
    for (path, original) in &before {
        let original = String::from_utf8(original.clone()).unwrap();
        let expected: String = original
            .split_inclusive('\n')
            .map(|line| {
                let Some((_, rest)) = line.split_once("# expect: [") else {
                    return line.to_string();
                };
                let mut codes: Vec<&str> = rest.split(']').next().unwrap().split(", ").collect();
                codes.sort();
                let body = line.strip_suffix('\n').unwrap_or(line);
                let end = if line.ends_with('\n') { "\n" } else { "" };
                format!("{body}  # noqa: {}{end}", codes.join(", "))
            })
            .collect();
        assert_eq!(read(dir.path(), path), expected, "{path}");
    }

    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report), Default::default());
    assert_eq!(report["summary"]["suppressed"], 34);
    assert_eq!(status, 0);

    let annotated = tree(dir.path());
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 0 noqa directives to 0 files.\n".into(), vec![], 0)
    );
    assert_eq!(tree(dir.path()), annotated);
}

#[test]
fn check_invalidation_adds_its_own_codes_and_analyze_appends_the_others() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), dir.path());
    assert_eq!(
        run(dir.path(), &["check-invalidation", ".", "--add-noqa"]),
        ("Added 6 noqa directives to 4 files.\n".into(), vec![], 0)
    );
    let signals = "blog/signals.py";
    let line = |dir: &Path| read(dir, signals).lines().nth(11).unwrap().to_string();
    assert!(line(dir.path()).ends_with("# expect: [CA107, CA303]  # noqa: CA303"));
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 28 noqa directives to 5 files.\n".into(), vec![], 0)
    );
    // The codes already there keep their order; the new one follows.
    assert!(line(dir.path()).ends_with("# expect: [CA107, CA303]  # noqa: CA303, CA107"));
}

const MERGES: &str = "from django.core.cache import cache\n\
\n\
cache.get(\"a b\")  # noqa: E501\n\
cache.get(\"c d\")  # type: ignore\n\
cache.get(\"e f\"); cache.set(\"g h\", 1, 0)\n\
cache.get(\"i j\")  # noqa\n\
cache.get(\"k l\")  # noqa: CA107\n";

const MERGED: &str = "from django.core.cache import cache\n\
\n\
cache.get(\"a b\")  # noqa: E501, CA107\n\
cache.get(\"c d\")  # type: ignore  # noqa: CA107\n\
cache.get(\"e f\"); cache.set(\"g h\", 1, 0)  # noqa: CA106, CA107\n\
cache.get(\"i j\")  # noqa\n\
cache.get(\"k l\")  # noqa: CA107\n";

#[test]
fn directives_merge_with_those_there_and_keep_other_comments() {
    let dir = project(&[("manage.py", ""), ("app/keys.py", MERGES)]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [
            finding("CA106", "app/keys.py", 5),
            finding("CA107", "app/keys.py", 3),
            finding("CA107", "app/keys.py", 4),
            finding("CA107", "app/keys.py", 5),
        ]
        .into()
    );
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 3 noqa directives to 1 file.\n".into(), vec![], 0)
    );
    assert_eq!(read(dir.path(), "app/keys.py"), MERGED);
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!((findings(&report), status), (Default::default(), 0));
}

#[test]
fn crlf_line_endings_are_kept() {
    let crlf = |text: &str| text.replace('\n', "\r\n");
    let dir = project(&[("manage.py", ""), ("app/keys.py", &crlf(MERGES))]);
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 3 noqa directives to 1 file.\n".into(), vec![], 0)
    );
    assert_eq!(read(dir.path(), "app/keys.py"), crlf(MERGED));
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!((findings(&report), status), (Default::default(), 0));
}

/// A finding whose line lies in a triple-quoted string (lines 5 to 7), one on a line
/// continued with a backslash (8 to 9), and one in a string continued inside itself.
const MULTI_LINE: &str = "from django.core.cache import cache\n\
\n\
\n\
def load(rows):\n\
\x20   cache.set(\"blog posts\", \"\"\"first\n\
\x20   second\n\
\x20   \"\"\", 60)\n\
\x20   value = cache.get(\"blog posts\") or \\\n\
\x20       rows\n\
\x20   cache.get(\"tag \\\n\
cloud\")\n\
\x20   return value\n";

#[test]
fn directives_go_where_the_string_or_the_logical_line_ends_and_are_read_there() {
    let dir = project(&[("manage.py", ""), ("app/services.py", MULTI_LINE)]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [
            finding("CA107", "app/services.py", 5),
            finding("CA107", "app/services.py", 8),
            finding("CA107", "app/services.py", 10),
        ]
        .into()
    );
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 3 noqa directives to 1 file.\n".into(), vec![], 0)
    );
    let expected = MULTI_LINE
        .replace("\"\"\", 60)\n", "\"\"\", 60)  # noqa: CA107\n")
        .replace("        rows\n", "        rows  # noqa: CA107\n")
        .replace("cloud\")\n", "cloud\")  # noqa: CA107\n");
    assert_eq!(read(dir.path(), "app/services.py"), expected);
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!((findings(&report), status), (Default::default(), 0));
    assert_eq!(report["summary"]["suppressed"], 3);
}

const TEMPLATE: &str = "{% load cache %}\n\
{% cache 500 sidebar %}\n\
\x20 Hello {{ request.user.username }}\n\
{% endcache %}\n";

#[test]
fn template_findings_get_a_comment_tag() {
    let dir = project(&[("manage.py", ""), ("app/templates/app/side.html", TEMPLATE)]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [finding("CA401", "app/templates/app/side.html", 2)].into()
    );
    assert_eq!(
        add_noqa(dir.path(), &[]),
        ("Added 1 noqa directive to 1 file.\n".into(), vec![], 0)
    );
    assert_eq!(
        read(dir.path(), "app/templates/app/side.html"),
        TEMPLATE.replace("sidebar %}\n", "sidebar %}{# noqa: CA401 #}\n")
    );
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!((findings(&report), status), (Default::default(), 0));
}

#[test]
fn a_reason_follows_the_codes_of_new_directives() {
    let dir = project(&[
        ("manage.py", ""),
        ("app/keys.py", MERGES),
        ("app/templates/app/side.html", TEMPLATE),
    ]);
    assert_eq!(
        add_noqa(dir.path(), &["--reason", "legacy, see the cache audit"]),
        ("Added 4 noqa directives to 2 files.\n".into(), vec![], 0)
    );
    let reasoned = MERGED
        .replace(
            "# type: ignore  # noqa: CA107\n",
            "# type: ignore  # noqa: CA107 legacy, see the cache audit\n",
        )
        .replace(
            "# noqa: CA106, CA107\n",
            "# noqa: CA106, CA107 legacy, see the cache audit\n",
        );
    assert_eq!(read(dir.path(), "app/keys.py"), reasoned);
    assert_eq!(
        read(dir.path(), "app/templates/app/side.html"),
        TEMPLATE.replace(
            "sidebar %}\n",
            "sidebar %}{# noqa: CA401 legacy, see the cache audit #}\n"
        )
    );
    let (report, status) = analyze_json(dir.path(), &[]);
    assert_eq!((findings(&report), status), (Default::default(), 0));
}

#[test]
fn a_reason_needs_add_noqa_and_must_stay_in_its_comment() {
    let dir = project(&[("manage.py", ""), ("app/keys.py", MERGES)]);
    for args in [
        &["analyze", ".", "--reason", "legacy"][..],
        &["analyze", ".", "--add-noqa", "--reason", "see #12"],
        &["analyze", ".", "--add-noqa", "--reason", "two\nlines"],
        &["analyze", ".", "--add-noqa", "--reason", "E501 too"],
        &["report", ".", "--output", "r.json", "--add-noqa"],
    ] {
        let (stdout, _, status) = run(dir.path(), args);
        assert_eq!((stdout.as_str(), status), ("", 2), "{args:?}");
    }
    let output = run_in(
        dir.path(),
        &["analyze", ".", "--add-noqa", "--reason", "see #12"],
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "invalid value 'see #12' for '--reason <TEXT>': the reason must not contain `#`, which would end the directive"
        ),
        "{stderr}"
    );
    assert_eq!(read(dir.path(), "app/keys.py"), MERGES);
}

#[test]
fn a_file_reached_through_a_symlink_is_not_written_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let keys = "from django.core.cache import cache\n\ncache.get(\"a b\")\n";
    for path in ["outside/vendored/app/keys.py", "proj/blog/keys.py"] {
        fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        fs::write(dir.path().join(path), keys).unwrap();
    }
    fs::write(dir.path().join("proj/manage.py"), "").unwrap();
    std::os::unix::fs::symlink("../outside/vendored", dir.path().join("proj/vendored")).unwrap();
    // The walk never follows the symlink; a directory named below it is read.
    let (stdout, stderr, status) = run(
        dir.path(),
        &["analyze", "proj", "proj/vendored/app", "--add-noqa"],
    );
    assert_eq!(
        (stdout.as_str(), stderr, status),
        (
            "Added 1 noqa directive to 1 file.\n",
            vec![
                "cache-analyzer: error: refusing to write `proj/vendored/app/keys.py`: it is reached through a symlink".to_string()
            ],
            2
        )
    );
    assert_eq!(read(dir.path(), "outside/vendored/app/keys.py"), keys);
    assert_eq!(
        read(dir.path(), "proj/blog/keys.py"),
        keys.replace("b\")\n", "b\")  # noqa: CA107\n")
    );
}
