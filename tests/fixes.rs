//! Fixes, run on the fixture projects under `fixtures/fixes/<CODE>/`: `before/` fixed with
//! `--fix --unsafe-fixes` becomes `after/` byte for byte, `--fix` alone gives `after-safe/`
//! (or leaves `before/` unchanged when there is none), a second run changes nothing, and
//! `--diff` applied with `patch -p1` gives the same files.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{copy_tree, run_in};

/// Every file under `root`, by relative path, with its bytes; the fact cache is not
/// part of the project.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if relative.starts_with(".cache-analyzer_cache") || relative.ends_with(".orig") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn assert_same_tree(actual: &Path, expected: &Path, what: &str) {
    let (actual, expected) = (tree(actual), tree(expected));
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: files"
    );
    for (path, bytes) in &expected {
        assert_eq!(
            String::from_utf8_lossy(&actual[path]),
            String::from_utf8_lossy(bytes),
            "{what}: {path}"
        );
    }
}

fn fixture_cases() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes");
    let mut cases: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                path,
            )
        })
        .collect();
    cases.sort();
    cases
}

fn copy_of(case: &Path, which: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case.join(which), dir.path());
    dir
}

#[test]
fn fixes_turn_before_into_after() {
    let cases = fixture_cases();
    assert!(!cases.is_empty());
    for (code, case) in cases {
        let project = copy_of(&case, "before");
        let fixed = run_in(
            project.path(),
            &[
                "analyze",
                "--fix",
                "--unsafe-fixes",
                "--select",
                &code,
                "--exit-zero",
            ],
        );
        assert_eq!(fixed.status.code(), Some(0), "{code}: {fixed:?}");
        assert_same_tree(
            project.path(),
            &case.join("after"),
            &format!("{code} --fix --unsafe-fixes"),
        );

        let again = run_in(
            project.path(),
            &["analyze", "--fix", "--unsafe-fixes", "--exit-zero"],
        );
        assert_eq!(again.status.code(), Some(0), "{code}: {again:?}");
        assert_same_tree(
            project.path(),
            &case.join("after"),
            &format!("{code}: a second --fix"),
        );
        let parsed = run_in(project.path(), &["analyze", "--select", "CA000"]);
        assert_eq!(
            parsed.status.code(),
            Some(0),
            "{code}: the fixed files parse: {parsed:?}"
        );

        let safe = copy_of(&case, "before");
        run_in(
            safe.path(),
            &["analyze", "--fix", "--select", &code, "--exit-zero"],
        );
        let expected_safe = if case.join("after-safe").is_dir() {
            "after-safe"
        } else {
            "before"
        };
        assert_same_tree(
            safe.path(),
            &case.join(expected_safe),
            &format!("{code} --fix"),
        );
    }
}

#[test]
fn diffs_apply_with_patch_and_give_the_fixed_files() {
    for (code, case) in fixture_cases() {
        let project = copy_of(&case, "before");
        let diff = run_in(
            project.path(),
            &["analyze", "--diff", "--unsafe-fixes", "--select", &code],
        );
        assert_same_tree(
            project.path(),
            &case.join("before"),
            &format!("{code}: --diff writes nothing"),
        );
        let changes = tree(&case.join("before")) != tree(&case.join("after"));
        assert_eq!(
            diff.status.code(),
            Some(if changes { 1 } else { 0 }),
            "{code}: {diff:?}"
        );
        let mut patch = Command::new("patch")
            .args(["-p1", "--quiet"])
            .current_dir(project.path())
            .stdin(Stdio::piped())
            .spawn()
            .expect("patch runs");
        patch.stdin.take().unwrap().write_all(&diff.stdout).unwrap();
        assert!(
            patch.wait().unwrap().success(),
            "{code}: patch -p1 applies the diff"
        );
        assert_same_tree(
            project.path(),
            &case.join("after"),
            &format!("{code}: --diff | patch -p1"),
        );
    }
}

/// `unsafe-fixes = true` in the configuration offers the unsafe fixes as the flag does,
/// and `--no-unsafe-fixes` takes them back.
#[test]
fn the_configuration_can_offer_unsafe_fixes() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes/CA104");
    let project = copy_of(&case, "before");
    let analyze = |extra: &[&str]| {
        let mut args = vec!["analyze", "--select", "CA104", "--output-format", "concise"];
        args.extend_from_slice(extra);
        String::from_utf8(run_in(project.path(), &args).stdout).unwrap()
    };
    let hidden =
        "No fixes available (3 hidden fixes can be enabled with the `--unsafe-fixes` option).";
    assert!(analyze(&[]).contains(hidden));
    fs::write(
        project.path().join("pyproject.toml"),
        "[tool.cache-analyzer]\nunsafe-fixes = true\n",
    )
    .unwrap();
    let offered = analyze(&[]);
    assert!(
        offered.contains("[*] 3 fixable with the `--fix` option."),
        "{offered}"
    );
    assert!(
        offered
            .contains("shop/services.py:12:49: CA104 [*] error: default `compute_bestsellers()`"),
        "{offered}"
    );
    assert!(analyze(&["--no-unsafe-fixes"]).contains(hidden));
    run_in(
        project.path(),
        &["analyze", "--fix", "--select", "CA104", "--exit-zero"],
    );
    let fixed = fs::read_to_string(project.path().join("shop/services.py")).unwrap();
    let expected = fs::read_to_string(case.join("after/shop/services.py")).unwrap();
    assert_eq!(fixed, expected);
}

/// A cached view that reads the user and renders a CSRF token gets both decorators inside
/// its `cache_page`, each import in sorted place: the second fix waits for a second pass,
/// which sees the first one's import.
#[test]
fn vary_on_cookie_and_csrf_protect_on_one_view_take_two_passes() {
    let project = common::project(&[
        (
            "accounts/templates/accounts/settings.html",
            "<form method=\"post\">{% csrf_token %}{{ user.email }}</form>\n",
        ),
        ("accounts/__init__.py", ""),
        (
            "accounts/views.py",
            "from django.shortcuts import render\n\
             from django.views.decorators.cache import cache_page\n\
             \n\
             \n\
             @cache_page(60)\n\
             def settings(request):\n    \
                 return render(request, \"accounts/settings.html\", {\"name\": request.user.first_name})\n",
        ),
    ]);
    let fixed = run_in(
        project.path(),
        &["analyze", "--fix", "--unsafe-fixes", "--exit-zero"],
    );
    assert_eq!(fixed.status.code(), Some(0), "{fixed:?}");
    assert_eq!(
        fs::read_to_string(project.path().join("accounts/views.py")).unwrap(),
        "from django.shortcuts import render\n\
         from django.views.decorators.cache import cache_page\n\
         from django.views.decorators.csrf import csrf_protect\n\
         from django.views.decorators.vary import vary_on_cookie\n\
         \n\
         \n\
         @cache_page(60)\n\
         @csrf_protect\n\
         @vary_on_cookie\n\
         def settings(request):\n    \
             return render(request, \"accounts/settings.html\", {\"name\": request.user.first_name})\n"
    );
    let stdout = String::from_utf8_lossy(&fixed.stdout);
    assert!(stdout.contains("Fixed 2 findings."), "{stdout}");
}

/// Lines a fix inserts (a decorator, an import) end as the file's lines do.
#[test]
fn inserted_lines_keep_the_files_line_endings() {
    let source = "from django.http import JsonResponse\r\n\
                  from django.views.decorators.cache import cache_page\r\n\
                  \r\n\
                  \r\n\
                  @cache_page(60)\r\n\
                  def dashboard(request):\r\n    \
                      return JsonResponse({\"name\": request.user.first_name})\r\n";
    let project = common::project(&[("accounts/__init__.py", ""), ("accounts/views.py", source)]);
    let fixed = run_in(
        project.path(),
        &["analyze", "--fix", "--unsafe-fixes", "--exit-zero"],
    );
    assert_eq!(fixed.status.code(), Some(0), "{fixed:?}");
    assert_eq!(
        fs::read_to_string(project.path().join("accounts/views.py")).unwrap(),
        "from django.http import JsonResponse\r\n\
         from django.views.decorators.cache import cache_page\r\n\
         from django.views.decorators.vary import vary_on_cookie\r\n\
         \r\n\
         \r\n\
         @cache_page(60)\r\n\
         @vary_on_cookie\r\n\
         def dashboard(request):\r\n    \
             return JsonResponse({\"name\": request.user.first_name})\r\n"
    );
}
