//! Hostile input, generated at test time: each run must end within a bounded time with
//! exit status 0, 1 or 2 (never a signal or a panic), report every other file's
//! findings, and show the odd file as a `CA000` with a clear message, or skip it when
//! it is not a regular file.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{binary, finding, findings, unexpected_stderr, Finding};

/// CA102 on line 3: the key is written with a timeout on the next line.
const ONE_FINDING: &str =
    "from django.core.cache import cache\n\ncache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n";

/// Generous for a debug build on a busy machine, but bounded: a hang fails the test.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Waits for `child` at most [`TIMEOUT`], killing it after; its stdout and stderr (those
/// still piped) are read meanwhile so a full pipe cannot block it.
fn wait_bounded(mut child: Child) -> Output {
    let read_all = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).unwrap();
            }
            bytes
        })
    };
    let out = read_all(child.stdout.take().map(|p| Box::new(p) as _));
    let err = read_all(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("no exit within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "exit status {:?} (a signal or a panic); stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn run_bounded(args: &[&str], env: &[(&str, &str)], directory: &Path) -> Output {
    let child = binary()
        .args(args)
        .current_dir(directory)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(child)
}

/// `analyze --format json` within the time bound; the report and the exit status.
fn analyze_bounded(root: &Path, env: &[(&str, &str)]) -> (Value, i32) {
    let output = run_bounded(
        &["analyze", root.to_str().unwrap(), "--format", "json"],
        env,
        root,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(unexpected_stderr(&stderr).is_empty(), "{stderr}");
    let report = serde_json::from_slice(&output.stdout).expect("valid JSON report");
    (report, output.status.code().unwrap())
}

fn write(root: &Path, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// The message of the `CA000` on `path`.
fn not_analyzed_message(report: &Value, path: &str) -> String {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA000" && d["path"] == path)
        .unwrap_or_else(|| panic!("no CA000 on {path}: {report:#}"))["message"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn deep_nesting_is_analysed_on_worker_threads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let header = "from django.core.cache import cache\nfrom .models import Post\n";
    let depth = 20_000;
    write(
        root,
        "blog/models.py",
        "from django.db import models\n\nclass Post(models.Model):\n    pass\n",
    );
    write(
        root,
        "blog/parens.py",
        format!(
            "{header}cache.set('k', {}1{}, 60)\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
    );
    write(
        root,
        "blog/brackets.py",
        format!(
            "{header}cache.set('k', {}1{}, 60)\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    write(
        root,
        "blog/calls.py",
        format!(
            "{header}cache.set('k', {}1{}, 60)\n",
            "f(".repeat(depth),
            ")".repeat(depth)
        ),
    );
    let terms = vec!["x"; 100_000].join(" + ");
    write(
        root,
        "blog/sum.py",
        format!("{header}cache.set('k', {terms}, 60)\n"),
    );
    let mut ifs = header.to_string();
    for level in 0..1_000 {
        ifs.push_str(&format!("{}if x:\n", " ".repeat(level)));
    }
    ifs.push_str(&format!("{}cache.set('k', 1)\n", " ".repeat(1_000)));
    write(root, "blog/ifs.py", ifs);
    let chain = ".filter(a=1)".repeat(200);
    write(
        root,
        "blog/chain.py",
        format!("{header}cache.set('k', Post.objects{chain}, 60)\n"),
    );
    write(root, "blog/good.py", ONE_FINDING);
    // Several files at once, so that several worker threads walk deep trees together.
    for threads in ["1", "4"] {
        let (report, status) = analyze_bounded(root, &[("RAYON_NUM_THREADS", threads)]);
        assert_eq!(status, 1);
        assert_eq!(report["summary"]["errors"], 0, "{report:#}");
        assert_eq!(report["summary"]["files_analyzed"], 8);
        let found = findings(&report);
        for expected in [
            finding("CA102", "blog/ifs.py", 1_003),
            finding("CA101", "blog/chain.py", 3),
            finding("CA102", "blog/good.py", 3),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:?}");
        }
    }
}

#[test]
fn a_fifty_megabyte_module_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("CONSTANT = \"{}\"  # {}\n", "a".repeat(90), "b".repeat(100));
    let lines = 50 * 1024 * 1024 / line.len() + 1;
    let mut module = String::with_capacity(50 * 1024 * 1024 + 1024);
    module.push_str("from django.core.cache import cache\n");
    for _ in 0..lines {
        module.push_str(&line);
    }
    module.push_str("cache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n");
    assert!(module.len() >= 50 * 1024 * 1024);
    write(dir.path(), "big.py", module);
    write(dir.path(), "good.py", ONE_FINDING);
    let (report, status) = analyze_bounded(dir.path(), &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [
            finding("CA102", "big.py", lines + 2),
            finding("CA102", "good.py", 3)
        ]
        .into()
    );
}

#[test]
fn odd_encodings_and_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "empty.py", "");
    write(root, "comments.py", "# only\n# comments\n");
    write(root, "bom.py", format!("\u{feff}{ONE_FINDING}"));
    write(root, "crlf.py", ONE_FINDING.replace('\n', "\r\n"));
    write(root, "cr.py", ONE_FINDING.replace('\n', "\r"));
    // One function indented with a tab, the next with spaces: Python accepts it.
    write(
        root,
        "tabs.py",
        "from django.core.cache import cache\n\ndef a():\n\tcache.set('a', 1)\n\ndef b():\n    cache.set('b', 1)\n\ncache.set('a', 2, 60)\ncache.set('b', 2, 60)\n",
    );
    // Within one block, Python rejects the mix.
    write(
        root,
        "mixed.py",
        "def a():\n\tif x:\n\t        pass\n        pass\n",
    );
    write(
        root,
        "nul.py",
        "from django.core.cache import cache\n\ncache.set(\"k\0\", 1)\n",
    );
    write(
        root,
        "templates/latin1.html",
        b"{% load cache %}\n{% cache 500 side %}caf\xe9 {{ user.name }}{% endcache %}\n",
    );
    let (report, status) = analyze_bounded(root, &[]);
    assert_eq!(status, 1);
    let expected: std::collections::BTreeSet<Finding> = [
        finding("CA102", "bom.py", 3),
        finding("CA102", "crlf.py", 3),
        finding("CA102", "cr.py", 3),
        finding("CA102", "tabs.py", 4),
        finding("CA102", "tabs.py", 7),
        finding("CA000", "mixed.py", 4),
        finding("CA000", "nul.py", 3),
        finding("CA401", "templates/latin1.html", 2),
    ]
    .into();
    assert_eq!(findings(&report), expected);
    assert_eq!(report["summary"]["files_analyzed"], 6);
    let bom = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "bom.py")
        .unwrap();
    assert_eq!(bom["column"], 1, "the BOM takes no column");
    assert!(not_analyzed_message(&report, "mixed.py").contains("indentation"));
    assert_eq!(
        not_analyzed_message(&report, "nul.py"),
        "file contains a NUL byte (line 3, column 13); Python refuses source code with null bytes"
    );
}

#[test]
fn broken_sources_and_templates_are_ca000() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "py2.py", "print \"hello\"\n");
    write(root, "truncated.py", "x = 1\ny = \"\"\"unterminated\n");
    write(
        root,
        "templates/unclosed.html",
        "{% load cache %}\n{% cache 500 side %}\n{{ user }}\n",
    );
    write(
        root,
        "templates/orphan.html",
        "{% load cache %}\n{{ user }}\n{% endcache %}\n",
    );
    write(root, "good.py", ONE_FINDING);
    let (report, status) = analyze_bounded(root, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [
            finding("CA000", "py2.py", 1),
            finding("CA000", "truncated.py", 2),
            finding("CA000", "templates/unclosed.html", 2),
            finding("CA000", "templates/orphan.html", 3),
            finding("CA102", "good.py", 3),
        ]
        .into()
    );
    assert_eq!(report["summary"]["errors"], 4);
    assert!(not_analyzed_message(&report, "py2.py").starts_with("syntax error: "));
    assert_eq!(
        not_analyzed_message(&report, "truncated.py"),
        "syntax error: missing closing quote in string literal"
    );
    assert!(not_analyzed_message(&report, "templates/unclosed.html")
        .ends_with("`{% cache %}` on line 2 is never closed: `{% endcache %}` is missing"));
    assert!(not_analyzed_message(&report, "templates/orphan.html")
        .ends_with("`{% endcache %}` on line 3 closes nothing: no `{% cache %}` is open"));
}

#[cfg(unix)]
#[test]
fn non_regular_files_and_symlinks_are_skipped() {
    use std::os::unix::fs::symlink;
    use std::os::unix::net::UnixListener;

    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.py", ONE_FINDING);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.py", ONE_FINDING);
    write(root, "views.py/inner.py", ONE_FINDING);
    // Opening a FIFO for reading blocks until a writer comes: it must never be opened.
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(root.join("fifo.py"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    let _socket = UnixListener::bind(root.join("socket.py")).unwrap();
    symlink(outside.path().join("secret.py"), root.join("outside.py")).unwrap();
    symlink(outside.path(), root.join("outside_dir")).unwrap();
    symlink("self.py", root.join("self.py")).unwrap();
    symlink(".", root.join("loop")).unwrap();
    // A file deleted after a symlink to it was made: never opened, so never an error.
    symlink("deleted.py", root.join("dangling.py")).unwrap();
    let (report, status) = analyze_bounded(root, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [
            finding("CA102", "good.py", 3),
            finding("CA102", "views.py/inner.py", 3)
        ]
        .into()
    );
    assert_eq!(report["summary"]["files_analyzed"], 2);
}

/// A path longer than `PATH_MAX` cannot be opened, even by root: discovery lists the
/// file from its directory, then reading it fails. A file deleted between discovery and
/// reading takes the same path (`ENOENT` instead of `ENAMETOOLONG`); a real deletion
/// race cannot be staged deterministically from outside the process.
#[cfg(target_os = "linux")]
#[test]
fn files_that_cannot_be_opened_are_ca000() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.py", ONE_FINDING);
    let component = "d".repeat(240);
    let levels = (3_940 - root.as_os_str().len()) / (component.len() + 1);
    let file = "f".repeat(245);
    // Built with relative steps: no single path handed to the kernel is too long.
    let script = format!(
        "cd \"$1\" && for i in $(seq {levels}); do mkdir {component} && cd {component} || exit 1; done \
         && mkdir templates && cd templates && printf '%s' \"$2\" > {file}.py && printf '%s' \"$2\" > {file}.html"
    );
    let status = std::process::Command::new("sh")
        .args(["-c", &script, "sh", root.to_str().unwrap(), ONE_FINDING])
        .status()
        .unwrap();
    assert!(status.success());
    let prefix = format!("{component}/").repeat(levels) + "templates/";
    let (report, status) = analyze_bounded(root, &[]);
    assert_eq!(status, 1);
    let long_py = format!("{prefix}{file}.py");
    let long_html = format!("{prefix}{file}.html");
    assert_eq!(
        findings(&report),
        [
            finding("CA000", &long_py, 1),
            finding("CA000", &long_html, 1),
            finding("CA102", "good.py", 3)
        ]
        .into()
    );
    for path in [long_py, long_html] {
        assert_eq!(
            not_analyzed_message(&report, &path),
            "cannot read file: File name too long (os error 36)"
        );
    }
}

/// Root reads any file, so this runs only for other users.
#[cfg(unix)]
#[test]
fn files_without_read_permission_are_ca000() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.py", ONE_FINDING);
    write(root, "secret.py", ONE_FINDING);
    write(root, "templates/secret.html", "{{ user }}");
    for path in ["secret.py", "templates/secret.html"] {
        fs::set_permissions(root.join(path), fs::Permissions::from_mode(0o000)).unwrap();
    }
    if fs::read(root.join("secret.py")).is_ok() {
        eprintln!("skipped: running as root");
        return;
    }
    let (report, status) = analyze_bounded(root, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [
            finding("CA000", "secret.py", 1),
            finding("CA000", "templates/secret.html", 1),
            finding("CA102", "good.py", 3)
        ]
        .into()
    );
    assert!(not_analyzed_message(&report, "secret.py").contains("Permission denied"));
}

#[cfg(unix)]
#[test]
fn hostile_file_names_are_escaped_in_text_and_lossy_in_json() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let names: [&[u8]; 4] = [
        b"with space.py",
        b"new\nline.py",
        b"bad\xff.py",
        b"\x1b[31mred.py",
    ];
    for name in names {
        write(root, OsStr::from_bytes(name), ONE_FINDING);
    }
    // An app whose directory name holds an escape sequence: the invalidation map names it.
    let app = "\x1b[2Japp";
    write(
        root,
        format!("{app}/models.py"),
        "from django.db import models\n\nclass Post(models.Model):\n    pass\n",
    );
    write(
        root,
        format!("{app}/services.py"),
        "from django.core.cache import cache\nfrom .models import Post\n\ncache.set('posts', list(Post.objects.all()), 60)\n",
    );
    write(
        root,
        format!("{app}/signals.py"),
        "from django.core.cache import cache\nfrom django.db.models.signals import post_save\nfrom django.dispatch import receiver\nfrom .models import Post\n\n@receiver(post_save, sender=Post)\ndef clear(**kwargs):\n    cache.delete('posts')\n",
    );

    for command in ["analyze", "check-invalidation"] {
        let output = run_bounded(&[command, "."], &[], root);
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(!text.contains('\x1b'), "{text}");
        if command == "analyze" {
            for line in [
                "with space.py:3:1: CA102 ",
                "new\\nline.py:3:1: CA102 ",
                "bad\u{fffd}.py:3:1: CA102 ",
                "\\u{1b}[31mred.py:3:1: CA102 ",
            ] {
                assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
            }
        } else {
            assert!(
                text.contains("invalidated by  post_save receiver \\u{1b}[2Japp.signals.clear"),
                "{text}"
            );
        }
    }

    let output = run_bounded(
        &["analyze", root.to_str().unwrap(), "--format", "json"],
        &[],
        root,
    );
    let json = String::from_utf8(output.stdout).expect("JSON is UTF-8");
    let report: Value = serde_json::from_str(&json).unwrap();
    let paths: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "\u{1b}[31mred.py",
            "bad\u{fffd}.py",
            "new\nline.py",
            "with space.py"
        ],
        "one object per finding"
    );
    assert_eq!(report["summary"]["findings"], 4);
    assert_eq!(
        report["invalidation"]["models"][0]["model"],
        "\u{1b}[2Japp.Post"
    );
}

#[test]
fn a_reader_that_stops_after_one_line_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let calls = "cache.set(\"k\", 1)\n".repeat(5_000);
    write(
        dir.path(),
        "many.py",
        format!("from django.core.cache import cache\n{calls}cache.set(\"k\", 2, 60)\n"),
    );
    for format in ["text", "json"] {
        let mut child = binary()
            .args(["analyze", dir.path().to_str().unwrap(), "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: one line read, then the pipe closed while the report is written.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let output = wait_bounded(child);
        assert_eq!(output.status.code(), Some(1), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(unexpected_stderr(&stderr).is_empty(), "{format}: {stderr}");
    }
}

#[test]
fn failed_report_writes_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    write(&root, "app/views.py", ONE_FINDING);
    let project = root.to_str().unwrap();
    let report_to = |output: &Path| {
        run_bounded(
            &["report", project, "--output", output.to_str().unwrap()],
            &[],
            &root,
        )
    };

    // Under a regular file: no directory can be created there, even by root.
    write(dir.path(), "plain", "");
    let output = report_to(&dir.path().join("plain/report.json"));
    assert_eq!(output.status.code(), Some(2));
    let target = dir.path().join("plain/report.json");
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains(&format!("cannot write `{}`", target.display())));

    // A read-only directory: `/proc` refuses new files even to root.
    #[cfg(target_os = "linux")]
    {
        let output = report_to(Path::new("/proc/report.json"));
        assert_eq!(output.status.code(), Some(2));
        assert!(!Path::new("/proc/report.json").exists());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let read_only = dir.path().join("read-only");
        fs::create_dir(&read_only).unwrap();
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
        let output = report_to(&read_only.join("report.json"));
        // Root may write there anyway; anyone else is refused, leaving nothing behind.
        if output.status.code() == Some(2) {
            assert_eq!(fs::read_dir(&read_only).unwrap().count(), 0);
        }
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o755)).unwrap();
    }

    // A source file of the analysed tree is never overwritten.
    let views = root.join("app/views.py");
    let output = report_to(&views);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to write the report"));
    assert_eq!(fs::read_to_string(&views).unwrap(), ONE_FINDING);

    let entries: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 3, "no partial file: {entries:?}");
}

#[test]
fn json_is_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for app in 0..20 {
        write(
            root,
            format!("app{app}/models.py"),
            format!("from django.db import models\n\nclass M{app}(models.Model):\n    pass\n"),
        );
    }
    for i in 0..2_000 {
        let app = i % 20;
        let source = match i % 4 {
            0 => format!(
                "from django.core.cache import cache\n\ncache.set(\"k{i}\", 1)\ncache.set(\"k{i}\", 2, 60)\n"
            ),
            1 => format!(
                "from django.core.cache import cache\nfrom .models import M{app}\n\ncache.set(\"m:{i}\", M{app}.objects.filter(a=1), 60)\n"
            ),
            2 if i % 200 == 2 => {
                format!("from django.core.cache import cache\n\ncache.delete(\"gone:{i}\")\n")
            }
            _ => format!("def f{i}(x):\n    return x\n"),
        };
        write(root, format!("app{app}/m{i}.py"), source);
    }
    let args = ["analyze", root.to_str().unwrap(), "--format", "json"];
    let first = run_bounded(&args, &[("RAYON_NUM_THREADS", "1")], root).stdout;
    let report: Value = serde_json::from_slice(&first).unwrap();
    assert!(report["summary"]["findings"].as_u64().unwrap() >= 1_000);
    for threads in ["1", "2", "8"] {
        for _ in 0..10 {
            let output = run_bounded(&args, &[("RAYON_NUM_THREADS", threads)], root);
            assert!(output.stdout == first, "{threads} threads");
        }
    }
}
