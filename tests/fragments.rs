//! Template fragment caching rules (CA401–CA403) on the `fragments` fixture project:
//! positives and their fixed twins, nested fragments, fragments in blocks of extending
//! templates, comments, a malformed template and templates in Jinja2 or with unknown tags.

mod common;

use common::{analyze_json, finding, findings, fixture, markers, project, run};

#[test]
fn fragment_findings_match_markers() {
    let root = fixture("fragments");
    let (report, status) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert!(expected.contains(&finding("CA000", "blog/templates/blog/broken.html", 5)));
    assert_eq!(expected.len(), 17, "the fixture marks its findings");
    // `frontend/pages` is a `TEMPLATES` `DIRS` entry; `static/` is not a template directory.
    assert!(expected.contains(&finding("CA403", "frontend/pages/signup.html", 3)));
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["templates_analyzed"], 16);
    assert_eq!(report["summary"]["errors"], 1);
}

#[test]
fn messages_say_what_is_wrong_and_what_to_write() {
    let (report, _) = analyze_json(&fixture("fragments"), &[]);
    let field = |code: &str, path: &str, line: u64, field: &str| -> String {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code && d["path"] == path && d["line"] == line)
            .map(|d| d[field].as_str().unwrap_or_default().to_string())
            .unwrap()
    };
    let message = |code: &str, path: &str, line: u64| field(code, path, line, "message");
    assert_eq!(
        message("CA401", "blog/templates/blog/sidebar.html", 2),
        "`{% cache 500 sidebar %}` uses `request.user.username` (line 3) but does not vary on the user; write `{% cache 500 sidebar request.user.pk %}`"
    );
    assert_eq!(
        message("CA402", "blog/templates/blog/post_list.html", 10),
        "`{% cache 300 byline %}` in a loop uses `author.name` (line 11) but does not vary on `post`; write e.g. `{% cache 300 byline post.pk %}`"
    );
    assert_eq!(
        field("CA402", "blog/templates/blog/post_list.html", 10, "detail"),
        "the fragment sits inside `{% for post in posts %}` (line 2) and uses `author.name` (line 11, bound from `post`), so every iteration shows the fragment cached for the first one"
    );
    assert!(message("CA403", "blog/templates/blog/nested.html", 12)
        .starts_with("`{% csrf_token %}` is inside the cached fragment `{% cache 3600 profile_page request.user.pk %}` (line 9)"));
    assert_eq!(
        message("CA000", "blog/templates/blog/broken.html", 5),
        "template is malformed, so its `{% cache %}` blocks were not analysed: `{% endcache %}` on line 5 closes `{% cache %}` (line 2) while `{% if %}` from line 3 is still open"
    );
    assert_eq!(
        message("CA303", "blog/cache_keys.py", 15),
        "`cache.delete()` clears `teaser`, the name of the `{% cache %}` fragment at blog/templates/blog/post_list.html:3, not its key; clear `make_template_fragment_key(\"teaser\", vary_on)`"
    );
    assert!(message("CA303", "blog/cache_keys.py", 10).contains(
        "the closest written key is `template.cache.teaser.{}` (blog/templates/blog/post_list.html:3)"
    ));
}

#[test]
fn text_report_draws_the_caret_under_the_tag() {
    let root = fixture("fragments");
    let output = run(&["analyze", root.to_str().unwrap(), "--select", "CA403"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(
            "blog/templates/blog/newsletter.html:4:5: CA403 error: `{% csrf_token %}` is inside"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "4 |     {% csrf_token %}{# expect: [CA403] #}\n  |     ^^^^^^^^^^^^^^^^ CA403"
        ),
        "{text}"
    );
}

#[test]
fn app_filter_applies_to_templates() {
    let fragment = "{% load cache %}\n{% cache 60 box %}{{ user }}{% endcache %}\n";
    let dir = project(&[
        ("shop/apps.py", ""),
        ("shop/templates/shop/box.html", fragment),
        ("blog/apps.py", ""),
        ("blog/templates/blog/box.html", fragment),
        ("templates/box.html", fragment),
    ]);
    let (report, _) = analyze_json(dir.path(), &["--app", "shop"]);
    assert_eq!(
        findings(&report),
        [finding("CA401", "shop/templates/shop/box.html", 2)].into()
    );
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report).len(), 3);
}

#[test]
fn odd_templates_never_crash() {
    let deep_if = "{% if a %}".repeat(50_000);
    let deep_cache = "{% cache 1 x user %}".repeat(20_000) + &"{% endcache %}".repeat(20_000);
    let dir = project(&[
        (
            "templates/a.html",
            "{% cache %}{% endcache %}{% endcache %}",
        ),
        ("templates/b.html", "{% cache 1 %}\n{% cache 1 x"),
        (
            "templates/c.html",
            "{% for in %}{% cache 1 x , %}{{ }}{% endcache %}",
        ),
        (
            "templates/d.html",
            "\u{FEFF}é{% cache 1 ü %}{% empty %}{% endfor %}",
        ),
        ("templates/e.html", &deep_if),
        ("templates/f.html", &deep_cache),
        (
            "templates/g.html",
            "{% with %}{% cache 1 x using= %}{% endcache %}{% endwith %}",
        ),
    ]);
    let (report, _) = analyze_json(dir.path(), &["--select", "CA000,CA4"]);
    let found = findings(&report);
    let ca000: Vec<&str> = found
        .iter()
        .filter(|(code, _, _)| code == "CA000")
        .map(|(_, path, _)| path.as_str())
        .collect();
    assert_eq!(
        ca000,
        [
            "templates/a.html",
            "templates/b.html",
            "templates/c.html",
            "templates/d.html"
        ]
    );
    assert_eq!(report["summary"]["templates_analyzed"], 7);
}
