//! Opportunities (CA501–CA503) and CA601 on the `opportunities` fixture, their own
//! heading and counts, and exit statuses under `--fail-on`.

mod common;

use common::{analyze_json, findings, fixture, markers, project, run};

#[test]
fn opportunity_findings_match_markers() {
    let root = fixture("opportunities");
    let (report, _) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert_eq!(expected.len(), 10, "the fixture marks its findings");
    assert_eq!(findings(&report), expected);
    assert_eq!(report["summary"]["by_severity"]["opportunity"], 9);
    // The cached per-category counts expire after 10 minutes: statistics, no CA301.
    assert_eq!(report["summary"]["by_severity"]["error"], 0);
    assert_eq!(report["summary"]["by_severity"]["warning"], 1);
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
            "= why: routed at catalog/urls.py:6; it answers only GET, reads no per-user state (in its code or templates), and queries `Product.objects.all()` (catalog/views.py:14)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Found 2 opportunities (CA502: 2).\n"),
        "{text}"
    );
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
