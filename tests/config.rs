//! Configuration (`[tool.cache-analyzer]`, `cache-analyzer.toml`, `--config`) and `# noqa`.
//! The `configured` fixture sets every key; each test below shows a key changing the
//! findings, or a bad value failing with the file, line and key named.

mod common;

use common::{analyze_json, finding, findings, fixture, markers, project, run};

#[test]
fn configured_project_findings_match_markers() {
    let root = fixture("configured");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(findings(&report), markers(&root));
    // `fail-on = "error"`, and there are errors.
    assert_eq!(status, 1);
    // `django-version` beats the `Django>=5.2` requirement.
    assert_eq!(report["summary"]["django_version"], "4.2.0");
    assert_eq!(
        report["summary"]["django_version_source"],
        "pyproject.toml (django-version = \"4.2.0\")"
    );
    // `# noqa: CA102`, a bare `# noqa` (two findings on its line), not `# noqa: E501`.
    assert_eq!(report["summary"]["suppressed"], 3);
}

/// CA102 on line 5 (`a` is written with a timeout elsewhere) and CA106 on line 6.
const SETS: &str = "from django.core.cache import cache\n\n\ndef warm():\n    cache.set(\"a\", 1)\n    cache.set(\"b\", 1, 0)\n    cache.set(\"a\", 2, 60)\n";

fn codes_with(config: &str, extra: &[&str]) -> (Vec<String>, i32) {
    let dir = project(&[("pyproject.toml", config), ("app/jobs.py", SETS)]);
    let (report, status) = analyze_json(dir.path(), extra);
    let codes = findings(&report)
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    (codes, status)
}

#[test]
fn each_key_changes_the_findings() {
    let none = "[project]\nname = \"x\"\n";
    assert_eq!(codes_with(none, &[]).0, ["CA102", "CA106"]);
    let select = "[tool.cache-analyzer]\nselect = [\"CA106\"]\n";
    assert_eq!(codes_with(select, &[]).0, ["CA106"]);
    // The command line's `--select` replaces the file's.
    assert_eq!(codes_with(select, &["--select", "CA102"]).0, ["CA102"]);
    let extend = "[tool.cache-analyzer]\nselect = [\"CA106\"]\nextend-select = [\"CA102\"]\n";
    assert_eq!(codes_with(extend, &[]).0, ["CA102", "CA106"]);
    let ignore = "[tool.cache-analyzer]\nignore = [\"CA1\"]\n";
    assert_eq!(codes_with(ignore, &[]).0, Vec::<String>::new());
    let exclude = "[tool.cache-analyzer]\nexclude = [\"app\"]\n";
    assert_eq!(codes_with(exclude, &[]).0, Vec::<String>::new());
    let extend_exclude = "[tool.cache-analyzer]\nextend-exclude = [\"*.py\"]\n";
    assert_eq!(codes_with(extend_exclude, &[]).0, Vec::<String>::new());
    let per_file = "[tool.cache-analyzer.per-file-ignores]\n\"app/*.py\" = [\"CA106\"]\n";
    assert_eq!(codes_with(per_file, &[]).0, ["CA102"]);
    let other_files = "[tool.cache-analyzer.per-file-ignores]\n\"tests/*.py\" = [\"CA106\"]\n";
    assert_eq!(codes_with(other_files, &[]).0, ["CA102", "CA106"]);
    let fail_on = "[tool.cache-analyzer]\nfail-on = \"error\"\n";
    assert_eq!(
        codes_with(fail_on, &[]).1,
        0,
        "only warnings, and fail-on is error"
    );
    assert_eq!(codes_with(fail_on, &["--fail-on", "warning"]).1, 1);
}

#[test]
fn exclude_replaces_the_default_skipped_directories() {
    let files = [
        ("build/gen.py", SETS),
        (
            "pyproject.toml",
            "[tool.cache-analyzer]\nexclude = [\"vendor\"]\n",
        ),
    ];
    let dir = project(&files);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report).len(),
        2,
        "`build` is analysed once `exclude` is set"
    );
}

#[test]
fn gitignored_files_are_skipped_unless_configured_otherwise() {
    let files = [("generated/gen.py", SETS), (".gitignore", "generated/\n")];
    let dir = project(&files);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert!(findings(&report).is_empty());
    let files = [
        ("generated/gen.py", SETS),
        (".gitignore", "generated/\n"),
        (
            "pyproject.toml",
            "[tool.cache-analyzer]\nrespect-gitignore = false\n",
        ),
    ];
    let dir = project(&files);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(findings(&report).len(), 2);
}

#[test]
fn cache_objects_are_analysed_like_django_caches() {
    let wrapper = "from django.core.cache.backends.base import DEFAULT_TIMEOUT\n\n\nclass Wrapper:\n    def set(self, key, value, timeout=DEFAULT_TIMEOUT):\n        pass\n\n\nredis_cache = Wrapper()\n";
    let user =
        "from app.wrapper import redis_cache\n\n\ndef warm():\n    redis_cache.set(\"a\", 1)\n    redis_cache.set(\"a\", 2, 60)\n";
    let without = project(&[("app/wrapper.py", wrapper), ("app/jobs.py", user)]);
    assert!(findings(&analyze_json(without.path(), &[]).0).is_empty());
    let with = project(&[
        ("app/wrapper.py", wrapper),
        ("app/jobs.py", user),
        (
            "pyproject.toml",
            "[tool.cache-analyzer]\ncache-objects = [\"app.wrapper.redis_cache\"]\n",
        ),
    ]);
    assert_eq!(
        findings(&analyze_json(with.path(), &[]).0),
        [finding("CA102", "app/jobs.py", 5)].into_iter().collect()
    );
}

#[test]
fn dedicated_files_and_config_flag() {
    let dir = project(&[
        ("app/jobs.py", SETS),
        (
            "pyproject.toml",
            "[tool.cache-analyzer]\nignore = [\"CA102\"]\n",
        ),
        ("cache-analyzer.toml", "ignore = [\"CA106\"]\n"),
        ("strict.toml", "select = [\"CA1\"]\n"),
    ]);
    // `cache-analyzer.toml` comes before `pyproject.toml` in the same directory.
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report)
            .into_iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        ["CA102"]
    );
    let strict = dir.path().join("strict.toml");
    let (report, _) = analyze_json(dir.path(), &["--config", strict.to_str().unwrap()]);
    assert_eq!(findings(&report).len(), 2);
}

fn config_error(config: &str) -> (i32, String) {
    let dir = project(&[("pyproject.toml", config), ("app/jobs.py", SETS)]);
    let output = run(&["analyze", dir.path().to_str().unwrap()]);
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn bad_values_name_the_file_line_and_key() {
    let cases = [
        (
            "[tool.cache-analyzer]\nselct = [\"CA1\"]\n",
            "pyproject.toml:2: `selct` is not a known key",
        ),
        (
            "[tool.cache-analyzer]\n\nselect = \"CA1\"\n",
            "pyproject.toml:3: `select` must be a list of rule codes",
        ),
        (
            "[tool.cache-analyzer]\nignore = [\"CA999\"]\n",
            "pyproject.toml:2: `ignore` has unknown rule code `CA999`",
        ),
        (
            "[tool.cache-analyzer]\nfail-on = \"never\"\n",
            "pyproject.toml:2: `fail-on` must be \"error\", \"warning\" or \"opportunity\"",
        ),
        (
            "[tool.cache-analyzer]\nrespect-gitignore = \"yes\"\n",
            "pyproject.toml:2: `respect-gitignore` must be true or false",
        ),
        (
            "[tool.cache-analyzer]\ndjango-version = \"five\"\n",
            "pyproject.toml:2: `django-version` expected a Django version",
        ),
        (
            "[tool.cache-analyzer]\nper-file-ignores = [\"x\"]\n",
            "pyproject.toml:2: `per-file-ignores` must be a table",
        ),
        ("[tool.cache-analyzer\n", "invalid TOML"),
    ];
    for (config, expected) in cases {
        let (status, stderr) = config_error(config);
        assert_eq!(status, 2, "{config}");
        assert!(stderr.contains(expected), "{config}: {stderr}");
    }
}

#[test]
fn noqa_on_python_and_template_lines() {
    let template = "{% load cache %}\n{% cache 60 a %}{{ user.name }}{% endcache %}{# noqa: CA401 #}\n{% cache 60 b %}{{ user.name }}{% endcache %}{# noqa: CA402 #}\n{% cache 60 c %}{{ user.name }}{% endcache %}{# noqa #}\n";
    let python = "from django.core.cache import cache\n\ncache.set(\"a\", 1)  #NOQA:ca102\ncache.set(\"b\", 1)  # noqa: CA101\ncache.set(\"c\", 1)  # noqa:CA101,CA102\ncache.set(\"a\", 2, 60)\ncache.set(\"b\", 2, 60)\ncache.set(\"c\", 2, 60)\n";
    let dir = project(&[
        ("app/templates/app/x.html", template),
        ("app/jobs.py", python),
    ]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [
            finding("CA102", "app/jobs.py", 4),
            finding("CA401", "app/templates/app/x.html", 3),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(report["summary"]["suppressed"], 4);
}

#[test]
fn patterns_are_relative_to_the_configuration_file() {
    let config = "[tool.cache-analyzer]\nextend-exclude = [\"app/legacy/\"]\n\n[tool.cache-analyzer.per-file-ignores]\n\"app/jobs.py\" = [\"CA106\"]\n";
    let dir = project(&[
        ("pyproject.toml", config),
        ("app/jobs.py", SETS),
        ("app/legacy/old.py", SETS),
    ]);
    // Analysing the `app` directory still finds `pyproject.toml` above it, and its
    // patterns still name `app/...`.
    let (report, _) = analyze_json(&dir.path().join("app"), &[]);
    assert_eq!(
        findings(&report),
        [finding("CA102", "jobs.py", 5)].into_iter().collect()
    );
}

/// A `cache-objects` wrapper's arguments are read by its own signature: the third
/// argument of `set(self, key, value, user)` is no timeout, that of `set(self, key,
/// value, timeout=None)` is; left out, it is that wrapper's own default, not the cache's
/// `TIMEOUT` (no CA102).
#[test]
fn wrapper_arguments_are_timeouts_only_where_its_signature_says() {
    let wrapper = "class UserCache:\n    def set(self, key, value, user):\n        pass\n\n\nclass TimedCache:\n    def set(self, key, value, timeout=None):\n        pass\n\n\nuser_cache = UserCache()\ntimed_cache = TimedCache()\n";
    let models = "from django.db import models\n\nfrom app.wrapper import user_cache\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=200)\n\n    def save(self, *args, **kwargs):\n        super().save(*args, **kwargs)\n        user_cache.delete(\"posts\", self)\n";
    let services = "from app.models import Post\nfrom app.wrapper import timed_cache, user_cache\n\n\ndef warm(user):\n    user_cache.set(\"posts\", list(Post.objects.all()), 0)\n    timed_cache.set(\"count\", 1, 0)\n    timed_cache.set(\"count\", 1, timeout=0)\n    timed_cache.set(\"total\", 1)\n    timed_cache.set(\"total\", 2, 60)\n";
    let dir = project(&[
        (
            "pyproject.toml",
            "[tool.cache-analyzer]\ncache-objects = [\"app.wrapper.user_cache\", \"app.wrapper.timed_cache\"]\n",
        ),
        ("app/__init__.py", ""),
        ("app/wrapper.py", wrapper),
        ("app/models.py", models),
        ("app/services.py", services),
    ]);
    let (report, _) = analyze_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [
            finding("CA106", "app/services.py", 7),
            finding("CA106", "app/services.py", 8),
        ]
        .into_iter()
        .collect()
    );
    let models = report["invalidation"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{models:#?}");
    assert_eq!(models[0]["model"], "app.Post");
    assert_eq!(
        models[0]["cached_in"][0]["timeout"],
        serde_json::Value::Null
    );
    assert_eq!(models[0]["invalidated_by"][0]["line"], 9);
}
