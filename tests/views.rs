//! View caching rules (CA201–CA205) on the `views` fixture project, and the Django version
//! that decides CA204 and CA205, read from each kind of requirement file.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{analyze_json, copy_tree, finding, findings, fixture, markers, Finding};

fn severity_at(report: &serde_json::Value, path: &str, line: u64) -> String {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == path && d["line"] == line)
        .map(|d| d["severity"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

fn message_of(report: &serde_json::Value, code: &str, path: &str, line: u64) -> String {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code && d["path"] == path && d["line"] == line)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn view_findings_match_markers() {
    let root = fixture("views");
    let (report, status) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert!(expected.len() >= 25, "the fixture marks its findings");
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["django_version"], "5.2.14");
    assert_eq!(
        report["summary"]["django_version_source"],
        "requirements.txt (Django==5.2.14)"
    );
    assert_eq!(report["summary"]["templates_analyzed"], 12);
    // An auth check inside the cache is an error unless entries vary per visitor.
    assert_eq!(severity_at(&report, "shop/views.py", 63), "error");
    assert_eq!(severity_at(&report, "shop/views.py", 76), "warning");
    // A `csrf_exempt` view is asked for the decorator that keeps it exempt.
    assert_eq!(
        message_of(&report, "CA203", "shop/csrf.py", 42),
        "`partner_form` renders `{% csrf_token %}` (shop/templates/shop/account_base.html:3), but no `requires_csrf_token` runs inside `cache_page(60)`; add `@requires_csrf_token` below it"
    );
    // A DRF view is `csrf_exempt` through its `as_view()`.
    assert!(message_of(&report, "CA203", "shop/api.py", 143)
        .contains("but no `requires_csrf_token` runs inside `cache_page(60)`"));
    // A mixin's cache judged on the view that mixes it in, the fix placed in the mixin.
    let account: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == "shop/mixins.py")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        account,
        [
            "`AccountPage` reads `user` (shop/templates/shop/account_base.html:2), but `cache_page(600)` does not vary on the session cookie; apply `vary_on_cookie` inside it, where `CacheMixin` (shop/mixins.py:8) applies it",
            "`AccountPage` renders `{% csrf_token %}` (shop/templates/shop/account_base.html:3), but no `csrf_protect` runs inside `cache_page(600)`; apply `csrf_protect` inside it, where `CacheMixin` (shop/mixins.py:8) applies it",
            "`ProfilePage` reads `user` (shop/templates/shop/account_base.html:2), but `cache_page(300)` does not vary on the session cookie; apply `vary_on_cookie` inside it, where `CachedDispatchMixin.dispatch` (shop/mixins.py:27) applies it",
            "`ProfilePage` renders `{% csrf_token %}` (shop/templates/shop/account_base.html:3), but no `csrf_protect` runs inside `cache_page(300)`; apply `csrf_protect` inside it, where `CachedDispatchMixin.dispatch` (shop/mixins.py:27) applies it",
            // Cached twice: the CSRF cookie must be set inside the mixin's cache.
            "`TwiceCachedProfilePage` renders `{% csrf_token %}` (shop/templates/shop/account_base.html:3), but no `csrf_protect` runs inside `cache_page(300)`; apply `csrf_protect` inside it, where `CachedDispatchMixin.dispatch` (shop/mixins.py:27) applies it",
        ]
    );
}

#[test]
fn messages_say_what_is_wrong_and_what_to_write() {
    let (report, _) = analyze_json(&fixture("views"), &[]);
    let field = |path: &str, line: u64, field: &str| -> String {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path && d["line"] == line)
            .map(|d| d[field].as_str().unwrap().to_string())
            .unwrap()
    };
    let message = |path: &str, line: u64| field(path, line, "message");
    let detail = |path: &str, line: u64| field(path, line, "detail");
    assert_eq!(
        message("shop/views.py", 14),
        "`greeting` reads `request.user` (line 15), but `cache_page(60 * 15)` does not vary on the session cookie; add `@vary_on_cookie` below it"
    );
    assert_eq!(
        detail("shop/views.py", 14),
        "the first visitor's page is stored and served to everyone until it expires"
    );
    assert!(message("shop/views.py", 26).ends_with(
        "but `vary_on_cookie` sits outside `cache_page(60 * 15)`, where it has no effect; move it inside the cache"
    ));
    assert!(message("shop/views.py", 37)
        .contains("reads `request.session` in `cart_summary` (shop/helpers.py:2)"));
    assert!(message("shop/views.py", 47)
        .contains("reads `user.get_short_name` (shop/templates/shop/base.html:2)"));
    assert!(message("shop/urls.py", 9)
        .ends_with("wrap it as `cache_page(60)(vary_on_cookie(...))` in the URLconf"));
    assert!(detail("shop/urls.py", 9)
        .starts_with("the URLconf caches it as `cache_page(60)(views.dashboard)`; "));
    assert!(detail("shop/api.py", 16).contains("Django 5.2.14 (requirements.txt (Django==5.2.14)) does not vary the cache on `Authorization`"));
}

#[test]
fn fixed_django_versions_vary_on_authorization_and_refuse_no_cache() {
    let root = fixture("views");
    let (report, _) = analyze_json(&root, &["--django-version", "5.2.15"]);
    let mut expected: BTreeSet<Finding> = markers(&root)
        .into_iter()
        .filter(|(code, _, _)| code != "CA204")
        .collect();
    // `cache_control(no_cache=True)` inside the cache: refused from 5.2.15 on.
    expected.insert(finding("CA205", "shop/views.py", 125));
    assert_eq!(findings(&report), expected);
    assert_eq!(report["summary"]["django_version"], "5.2.15");
    assert_eq!(report["summary"]["django_version_source"], "command line");
}

#[test]
fn lookalike_cache_page_is_not_django() {
    let root = fixture("views");
    let (report, _) = analyze_json(&root, &[]);
    assert!(findings(&report)
        .iter()
        .all(|(_, path, _)| path != "shop/lookalike.py"));
}

/// A header-authenticated DRF view that caches a per-user GET, with the requirement
/// files of `fixtures/django_versions/<name>` beside it.
fn token_view_project(versions: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("django_versions").join(versions), dir.path());
    fs::write(
        dir.path().join("views.py"),
        fs::read_to_string(fixture("views").join("shop/api.py")).unwrap(),
    )
    .unwrap();
    dir
}

#[test]
fn ca204_follows_the_django_version_from_each_requirement_file() {
    let cases = [
        ("pyproject_42", "4.2.0", "pyproject.toml", true),
        ("poetry_5214", "5.2.14", "pyproject.toml", true),
        ("setup_cfg_605", "6.0.5", "setup.cfg", true),
        ("setup_py_5215", "5.2.15", "setup.py", false),
        ("requirements_606", "6.0.6", "requirements.txt", false),
        (
            "requirements_dir_61",
            "6.1.0",
            "requirements/base.txt",
            false,
        ),
        ("pipfile_42", "4.2.0", "Pipfile", true),
        ("poetry_lock_5215", "5.2.15", "poetry.lock", false),
        ("uv_lock_5214", "5.2.14", "uv.lock", true),
        ("pipfile_lock_61", "6.1.0", "Pipfile.lock", false),
    ];
    for (name, version, source, fires) in cases {
        let dir = token_view_project(name);
        let (report, _) = analyze_json(dir.path(), &[]);
        assert_eq!(report["summary"]["django_version"], version, "{name}");
        let label = report["summary"]["django_version_source"].as_str().unwrap();
        assert!(label.starts_with(source), "{name}: {label}");
        let ca204: Vec<usize> = findings(&report)
            .into_iter()
            .filter(|(code, _, _)| code == "CA204")
            .map(|(_, _, line)| line)
            .collect();
        let expected = if fires { vec![16] } else { Vec::new() };
        assert_eq!(ca204, expected, "{name} ({version})");
    }
}

#[test]
fn without_a_requirement_the_newest_release_is_assumed_and_said() {
    let (report, _) = analyze_json(&fixture("django_versions").join("none"), &[]);
    assert_eq!(
        report["summary"]["django_version_source"],
        "newest release (no Django requirement found)"
    );
    let output = common::run(&[
        "analyze",
        fixture("django_versions").join("none").to_str().unwrap(),
        "--verbose",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(": newest release (no Django requirement found)."),
        "{text}"
    );
}
