//! Opportunities (CA501–CA503) and CA601 on the `opportunities` fixture, their own
//! heading and counts, and exit statuses under `--fail-on`.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{analyze_json, copy_tree, findings, fixture, markers, project, run};

#[test]
fn opportunity_findings_match_markers() {
    let root = fixture("opportunities");
    let (report, _) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert_eq!(expected.len(), 17, "the fixture marks its findings");
    assert_eq!(findings(&report), expected);
    assert_eq!(report["summary"]["by_severity"]["opportunity"], 15);
    // The cached per-category counts expire after 10 minutes: statistics, no CA301.
    assert_eq!(report["summary"]["by_severity"]["error"], 0);
    assert_eq!(report["summary"]["by_severity"]["warning"], 2);
    // A generator expression cannot await: the advice moves the call before it.
    let in_generator = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA601" && d["line"] == 318)
        .expect("CA601 in the generator expression");
    assert_eq!(
        in_generator["message"],
        "`cache.get()` blocks the event loop inside `async def stock_total` while it waits for the cache; a generator expression cannot await, so make one `await cache.aget_many(...)` call before it"
    );
    assert!(in_generator["fix"].is_null());
}

/// Each site-wide setting that makes every page per-user or cached already silences
/// CA502 for the same catalogue view; the context processor's shared count is still worth
/// caching unless the whole site is cached.
#[test]
fn site_wide_settings_decide_for_every_view() {
    for name in [
        "login_required",
        "gating_middleware",
        "tenant_middleware",
        "processor_helper",
        "cached",
    ] {
        let root = fixture("site_wide").join(name);
        let (report, _) = analyze_json(&root, &[]);
        assert_eq!(findings(&report), markers(&root), "{name}");
        let unknown = &report["summary"]["unknown"]["CA502"];
        assert_eq!(
            unknown.as_object().map(|o| o.len()),
            Some(1),
            "{name}: {unknown}"
        );
    }
}

#[test]
fn verbose_says_why_an_opportunity_was_chosen() {
    let root = fixture("opportunities");
    let output = run(&[
        "analyze",
        root.to_str().unwrap(),
        "--select",
        "CA502",
        "--verbose",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("Opportunities:\n"), "{text}");
    assert!(
        text.contains(
            "= why: routed at catalog/urls.py:6; every layer, base class, middleware and template around it was read: it answers only GET, reads nothing per visitor, changes no state, caches nothing, and queries `Product.objects.all()` (catalog/views.py:21); a cached page saves every request its queries and its rendering"
        ),
        "{text}"
    );
    assert!(
        text.contains("Found 5 opportunities (CA502: 5).\n"),
        "{text}"
    );
    // Each silent look-alike of the fixture, counted by the reason it was left out.
    assert!(
        text.contains("CA502: 35 candidates left unreported, not proved: 6 a decorator, base class or template is not read; 3 a layer caches, sets caching headers, checks auth or allows other methods; 1 the page carries a CSRF token; 2 the page depends on the query string; 1 the response is a redirect or a file; 3 the view answers more than GET; 4 the view caches or sets caching headers already; 1 the view reads a request attribute set per request; 13 the view reads per-user state; 1 the view's GET path changes state.\n"),
        "{text}"
    );
}

/// The unsafe-advice invariant: following CA502's advice never makes a view that a CA2xx
/// rule flags. Every CA502 finding in the fixtures is cached as advised (`cache_page` on
/// the function, or on the class's `dispatch`) in a copy of its project, and the copy is
/// analysed again: CA502 no longer reports the view, and no CA2xx rule reports it.
#[test]
fn caching_a_view_as_advised_raises_no_view_rule() {
    let mut checked = 0;
    for root in fixture_projects() {
        let (report, _) = analyze_json(&root, &["--select", "CA502"]);
        for (_, path, line) in findings(&report)
            .into_iter()
            .filter(|(code, _, _)| code == "CA502")
        {
            let copy = tempfile::tempdir().unwrap();
            copy_tree(&root, copy.path());
            let file = copy.path().join(&path);
            let source = fs::read_to_string(&file).unwrap();
            fs::write(&file, cached_as_advised(&source, line)).unwrap();
            // Two import lines and the decorator move the view down by three.
            let moved = line + 3;
            let (after, _) = analyze_json(copy.path(), &["--select", "CA2,CA502"]);
            let at_view: Vec<_> = findings(&after)
                .into_iter()
                .filter(|(code, p, l)| code != "CA000" && *p == path && *l == moved)
                .collect();
            assert!(
                at_view.is_empty(),
                "{} {path}:{line} once cached: {at_view:?}",
                root.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "the fixtures hold CA502 findings to check ({checked})"
    );
}

/// Every fixture project: the directories under `fixtures/`, and the projects grouped in
/// `fixtures/site_wide/`.
fn fixture_projects() -> Vec<PathBuf> {
    let mut projects = Vec::new();
    for entry in fs::read_dir(fixture("")).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("site_wide") {
            projects.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_dir() {
            projects.push(path);
        }
    }
    projects.sort();
    projects
}

/// The source with `cache_page` added to the view defined on `line`, as CA502 advises.
fn cached_as_advised(source: &str, line: usize) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    let definition = lines[line - 1].clone();
    let indent: String = definition
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let decorator = if definition.trim_start().starts_with("class ") {
        "@method_decorator(cache_page(60 * 15), name=\"dispatch\")"
    } else {
        "@cache_page(60 * 15)"
    };
    lines.insert(line - 1, format!("{indent}{decorator}"));
    lines.insert(
        0,
        "from django.views.decorators.cache import cache_page".to_string(),
    );
    lines.insert(
        0,
        "from django.utils.decorators import method_decorator".to_string(),
    );
    lines.join("\n") + "\n"
}

/// Terminal reports list the 20 most valuable opportunities and say how to see the
/// rest; `--show-opportunities`, `--select CA5` and the JSON report give all of them.
#[test]
fn terminal_reports_list_the_most_valuable_opportunities_first() {
    let mut source = String::from("from django.core.cache import cache\n");
    for n in 0..24 {
        source.push_str(&format!(
            "\n\ndef warm_{n}(items):\n    for item in items:\n        cache.set(f\"item:{n}:{{item.pk}}\", item, 60)\n"
        ));
    }
    // Two calls in one loop: worth twice as much, so listed first.
    source.push_str("\n\ndef warm_pair(items):\n    for item in items:\n        cache.set(f\"a:{item.pk}\", item, 60)\n        cache.set(f\"b:{item.pk}\", item, 60)\n");
    let dir = project(&[("app.py", &source)]);
    let path = dir.path().to_str().unwrap();
    let concise = |extra: &[&str]| {
        let mut args = vec!["analyze", path, "--output-format", "concise"];
        args.extend_from_slice(extra);
        String::from_utf8(run(&args).stdout).unwrap()
    };
    let listed = |text: &str| text.lines().filter(|l| l.contains(": CA503 ")).count();
    let default = concise(&[]);
    assert_eq!(listed(&default), 20, "{default}");
    assert!(
        default
            .lines()
            .next()
            .unwrap()
            .contains("2 `cache.set()` calls run once per item"),
        "{default}"
    );
    assert!(default.contains("... and 5 more opportunities, less valuable: `--show-opportunities all` (or a count) lists them"), "{default}");
    assert!(
        default.ends_with("No problems found.\nFound 25 opportunities (CA503: 25).\nNo fixes available (24 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"),
        "{default}"
    );
    assert_eq!(listed(&concise(&["--show-opportunities", "3"])), 3);
    assert_eq!(listed(&concise(&["--show-opportunities", "all"])), 25);
    let selected = concise(&["--select", "CA5"]);
    assert_eq!(listed(&selected), 25);
    assert!(!selected.contains("more opportunities"));
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report).len(), 25);
    let bad = run(&["analyze", path, "--show-opportunities", "many"]);
    assert_eq!(bad.status.code(), Some(2));
}

const OPPORTUNITY_ONLY: &str = "from django.core.cache import cache\n\n\ndef warm(items):\n    for item in items:\n        cache.set(f\"item:{item.pk}\", item, 60)\n";
const WARNING: &str =
    "from django.core.cache import cache\n\n\ndef warm(item):\n    cache.set(\"item\", item, 0)\n";
const ERROR: &str = "from django.core.cache import cache\n\n\ndef warm(item):\n    cache.set(\"item\", lambda: item, 60)\n";

fn status(source: &str, extra: &[&str]) -> i32 {
    let dir = project(&[("app.py", source)]);
    let mut args = vec!["analyze", dir.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args).status.code().unwrap()
}

#[test]
fn fail_on_decides_the_exit_status() {
    // Default: errors and warnings fail, opportunities do not.
    assert_eq!(status(OPPORTUNITY_ONLY, &[]), 0);
    assert_eq!(status(WARNING, &[]), 1);
    assert_eq!(status(ERROR, &[]), 1);
    assert_eq!(status(OPPORTUNITY_ONLY, &["--fail-on", "opportunity"]), 1);
    assert_eq!(status(WARNING, &["--fail-on", "opportunity"]), 1);
    assert_eq!(status(OPPORTUNITY_ONLY, &["--fail-on", "warning"]), 0);
    assert_eq!(status(WARNING, &["--fail-on", "error"]), 0);
    assert_eq!(status(ERROR, &["--fail-on", "error"]), 1);
    assert_eq!(
        status(ERROR, &["--fail-on", "opportunity", "--exit-zero"]),
        0
    );
    assert_eq!(status(ERROR, &["--fail-on", "everything"]), 2);
}

#[test]
fn sync_cache_calls_in_async_code_need_django_4() {
    let source = "from django.core.cache import cache\n\n\nasync def price(pk):\n    return cache.get(f\"price:{pk}\")\n";
    let dir = project(&[("app.py", source)]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report).len(), 1);
    let (old, status) = analyze_json(dir.path(), &["--django-version", "3.2"]);
    assert!(findings(&old).is_empty());
    assert_eq!(status, 0);
}
