//! Every `--output-format`, parsed as its consumer parses it: JSON and JSON lines with
//! serde, SARIF against the official SARIF 2.1.0 schema (`tests/schemas/`), JUnit as XML,
//! GitHub workflow commands and GitLab Code Quality checked field by field.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;

use common::{analyze_as, analyze_json, fixture, project, run};

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().unwrap()
}

fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(sarif: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
}

/// Two findings of one rule on identical lines of one file.
const CACHED_TWICE: &str = "from django.core.cache import cache\n\n\ndef a():\n    cache.set(\"k\", 1)\n\n\ndef b():\n    cache.set(\"k\", 1)\n\n\ndef c():\n    cache.set(\"k\", 1, 60)\n";

#[test]
fn full_is_the_default_and_text_an_alias() {
    let root = fixture("demo");
    let (default, status) = analyze_as(&root, "full", &[]);
    assert_eq!(status, 1);
    let plain = common::run_in(&root, &["analyze", root.to_str().unwrap()]);
    assert_eq!(String::from_utf8(plain.stdout).unwrap(), default);
    assert_eq!(analyze_as(&root, "text", &[]).0, default);
    assert!(default.contains("  |\n"), "source lines shown: {default}");
}

#[test]
fn concise_prints_one_line_a_finding_then_the_summary() {
    let root = fixture("demo");
    let (report, _) = analyze_json(&root, &[]);
    let (concise, status) = analyze_as(&root, "concise", &[]);
    assert_eq!(status, 1);
    let (full, _) = analyze_as(&root, "full", &[]);

    // Problems first, then opportunities, as `full` lists them.
    // Errors, then warnings, each in the JSON report's file order; then opportunities.
    let mut expected: Vec<&Value> = diagnostics(&report)
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    expected.extend(
        diagnostics(&report)
            .iter()
            .filter(|d| d["severity"] == "warning"),
    );
    expected.extend(
        diagnostics(&report)
            .iter()
            .filter(|d| d["severity"] == "opportunity"),
    );
    let lines: Vec<&str> = concise.lines().collect();
    for (line, d) in lines.iter().zip(&expected) {
        assert_eq!(
            *line,
            format!(
                "{}:{}:{}: {} {}: {}",
                d["path"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["code"].as_str().unwrap(),
                d["severity"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        );
    }
    let summary = &lines[expected.len()..];
    assert_eq!(summary.len(), 3, "{concise}");
    assert!(summary[0].starts_with("Found 33 problems (CA101: 11,"));
    assert!(summary[1].starts_with("Found 1 opportunity"));
    // The demo's fixes are all unsafe: none is marked `[*]`, all are counted as hidden.
    let fixes = expected.iter().filter(|d| !d["fix"].is_null()).count();
    assert!(fixes > 0);
    assert!(expected
        .iter()
        .all(|d| d["fix"].is_null() || d["fix"]["applicability"] == "unsafe"));
    assert_eq!(
        summary[2],
        format!("No fixes available ({fixes} hidden fixes can be enabled with the `--unsafe-fixes` option).")
    );
    assert!(full.ends_with(&format!("{}\n", summary.join("\n"))));
    assert!(!concise.contains('\x1b'), "no colour on a pipe");

    let clean = project(&[("a.py", "x = 1\n")]);
    assert_eq!(
        analyze_as(clean.path(), "concise", &[]),
        ("All checks passed!\n".to_string(), 0)
    );
}

#[test]
fn json_lines_holds_the_json_reports_diagnostics_one_a_line() {
    let root = fixture("demo");
    let (report, _) = analyze_json(&root, &[]);
    let (lines, status) = analyze_as(&root, "json-lines", &[]);
    assert_eq!(status, 1);
    let parsed: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    assert_eq!(&parsed, diagnostics(&report));

    let clean = project(&[("a.py", "x = 1\n")]);
    assert_eq!(
        analyze_as(clean.path(), "json-lines", &[]),
        (String::new(), 0)
    );
}

#[test]
fn sarif_is_valid_and_lists_the_rules_that_ran() {
    let root = fixture("demo");
    let prefix = common::repository_prefix(&root);
    let (report, _) = analyze_json(&root, &[]);
    let (sarif, status) = analyze_as(&root, "sarif", &[]);
    assert_eq!(status, 1);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    let mut invalid = sarif.clone();
    invalid["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !sarif_validator().is_valid(&invalid),
        "the schema is really applied"
    );

    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "cache-analyzer");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 23, "CA000 and every rule: {ids:?}");
    assert_eq!(ids[0], "CA000");
    let ca101 = &rules[1];
    assert_eq!(ca101["id"], "CA101");
    assert_eq!(ca101["name"], "queryset-cached-unevaluated");
    assert_eq!(ca101["defaultConfiguration"]["level"], "error");
    assert!(ca101["shortDescription"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Checks for a Django `QuerySet` written to the cache"));
    assert!(ca101["fullDescription"]["text"].as_str().unwrap().len() > 200);
    assert!(!ca101["help"]["text"].as_str().unwrap().is_empty());
    assert!(ca101["help"]["markdown"]
        .as_str()
        .unwrap()
        .starts_with("# CA101: queryset-cached-unevaluated\n"));
    let level_of = |code: &str| {
        rules.iter().find(|r| r["id"] == code).unwrap()["defaultConfiguration"]["level"].clone()
    };
    assert_eq!(level_of("CA102"), "warning");
    assert_eq!(level_of("CA503"), "note");

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diagnostics(&report).len());
    for (result, d) in results.iter().zip(diagnostics(&report)) {
        assert_eq!(result["ruleId"], d["code"]);
        assert_eq!(
            rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            d["code"]
        );
        let level = match d["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], level);
        assert_eq!(result["message"]["text"], d["message"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            format!("{prefix}{}", d["path"].as_str().unwrap())
        );
        let region = &location["region"];
        assert_eq!(region["startLine"], d["line"]);
        assert_eq!(region["startColumn"], d["column"]);
        assert_eq!(region["endLine"], d["end_line"]);
        assert_eq!(region["endColumn"], d["end_column"]);
        let hash = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        let (hex, occurrence) = hash.split_once(':').unwrap();
        assert!(hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(occurrence.parse::<usize>().unwrap() >= 1);
    }

    let (selected, _) = analyze_as(&root, "sarif", &["--select", "CA1", "--ignore", "CA000"]);
    let selected: Value = serde_json::from_str(&selected).unwrap();
    let ids: Vec<&str> = selected["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["CA101", "CA102", "CA103", "CA104", "CA105", "CA106", "CA107"]
    );
}

#[test]
fn sarif_reports_unanalysed_files_as_errors() {
    let (sarif, status) = analyze_as(&fixture("broken"), "sarif", &[]);
    assert_eq!(status, 1);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let broken = results.iter().find(|r| r["ruleId"] == "CA000").unwrap();
    assert_eq!(broken["level"], "error");
    assert_eq!(
        broken["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!(
            "{}app/syntax_error.py",
            common::repository_prefix(&fixture("broken"))
        )
    );
}

#[test]
fn sarif_line_hashes_survive_unrelated_edits_and_tell_twins_apart() {
    let hashes = |prefix: &str| {
        let dir = project(&[("app/a.py", &format!("{prefix}{CACHED_TWICE}"))]);
        let (sarif, _) = analyze_as(dir.path(), "sarif", &[]);
        let sarif: Value = serde_json::from_str(&sarif).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                    r["partialFingerprints"]["primaryLocationLineHash"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = hashes("");
    let after = hashes("import os\n\nTIMEOUT = 60\n");
    assert_eq!(before.len(), 2);
    assert_ne!(before[0].0, after[0].0, "the findings moved down");
    let before: Vec<&String> = before.iter().map(|(_, hash)| hash).collect();
    let after: Vec<&String> = after.iter().map(|(_, hash)| hash).collect();
    assert_eq!(before, after);
    let (hex, occurrence) = before[0].split_once(':').unwrap();
    assert_eq!(occurrence, "1");
    assert_eq!(
        *before[1],
        format!("{hex}:2"),
        "same line text, next occurrence"
    );
}

#[test]
fn sarif_uris_are_relative_and_percent_encoded() {
    let dir = project(&[(
        "my app/100% sure:yes.py",
        "from django.core.cache import cache\ncache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n",
    )]);
    let (sarif, _) = analyze_as(dir.path(), "sarif", &[]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "my%20app/100%25%20sure%3Ayes.py"
    );
}

#[test]
fn github_writes_escaped_workflow_commands() {
    let dir = project(&[
        (
            "app/a.py",
            "from django.core.cache import cache\n\ncache.set(\"100% off\", 1, 60)\n",
        ),
        // `,`, `:` and `%` in a file name, and a newline.
        (
            "odd, 50%:\nname.py",
            "from django.core.cache import cache\ncache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n",
        ),
    ]);
    let (github, status) = analyze_as(dir.path(), "github", &[]);
    assert_eq!(status, 1);
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(
        lines,
        [
            "::warning file=app/a.py,line=3,col=11,endLine=3,endColumn=21,\
             title=CA107 cache-key-invalid::cache key `\"100%25 off\"` contains a space; \
             use `:` or `_` as separators",
            "::warning file=odd%2C 50%25%3A%0Aname.py,line=2,col=1,endLine=2,endColumn=18,\
             title=CA102 cache-timeout-missing::`cache.set()` has no timeout, while `k` is \
             written with a timeout of 1 minute on line 3; pass an explicit timeout",
        ]
    );

    // A message naming a file whose name holds `%`, CR and LF; `:` and `,` stay as they
    // are in a message.
    let dir = project(&[
        ("blog/__init__.py", ""),
        (
            "blog/models.py",
            "from django.db import models\n\n\nclass Post(models.Model):\n    pass\n",
        ),
        (
            "blog/a%b\r\nc.py",
            "from django.core.cache import cache\n\nfrom blog.models import Post\n\n\n\
             def posts():\n    cache.set(\"posts\", list(Post.objects.all()), 3600)\n\n\n\
             def cached_posts():\n    return cache.get(\"posts\")\n",
        ),
    ]);
    let (github, _) = analyze_as(dir.path(), "github", &[]);
    assert_eq!(
        github,
        "::error file=blog/models.py,line=4,col=7,endLine=4,endColumn=11,\
         title=CA301 model-cached-without-invalidation::`blog.Post` is cached under \
         `posts` (blog/a%25b%0D%0Ac.py:7), but nothing clears it when its rows change; \
         delete it in a post_save/post_delete receiver\n"
    );

    let (github, _) = analyze_as(&fixture("broken"), "github", &[]);
    assert_eq!(
        github.lines().collect::<Vec<_>>(),
        [
            "::warning file=app/good.py,line=7,col=5,endLine=7,endColumn=22,\
             title=CA102 cache-timeout-missing::`cache.set()` has no timeout, while `k` is \
             written with a timeout of 1 day (`60 * 60 * 24`) on line 12; pass an explicit \
             timeout",
            "::error file=app/syntax_error.py,line=3,col=19,endLine=3,endColumn=20,\
             title=CA000 file-not-analyzed::syntax error: Expected an expression",
        ]
    );

    let (github, _) = analyze_as(&fixture("opportunities"), "github", &[]);
    assert!(
        github.lines().any(|l| l.starts_with("::notice file=")),
        "{github}"
    );
}

#[test]
fn gitlab_is_code_quality_json_with_unique_fingerprints() {
    let root = fixture("demo");
    let prefix = common::repository_prefix(&root);
    let (report, _) = analyze_json(&root, &[]);
    let (gitlab, status) = analyze_as(&root, "gitlab", &[]);
    assert_eq!(status, 1);
    let issues: Vec<Value> = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(issues.len(), diagnostics(&report).len());
    for (issue, d) in issues.iter().zip(diagnostics(&report)) {
        assert_eq!(issue["description"], d["message"]);
        assert_eq!(issue["check_name"], d["code"]);
        assert_eq!(
            issue["location"]["path"],
            format!("{prefix}{}", d["path"].as_str().unwrap())
        );
        assert_eq!(issue["location"]["lines"]["begin"], d["line"]);
        let severity = match d["severity"].as_str().unwrap() {
            "error" => "major",
            "warning" => "minor",
            _ => "info",
        };
        assert_eq!(issue["severity"], severity);
    }
    let fingerprints: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len());

    let twins = project(&[("a.py", CACHED_TWICE)]);
    let issues: Vec<Value> =
        serde_json::from_str(&analyze_as(twins.path(), "gitlab", &[]).0).unwrap();
    assert_eq!(issues.len(), 2);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);

    let issues: Vec<Value> =
        serde_json::from_str(&analyze_as(&fixture("broken"), "gitlab", &[]).0).unwrap();
    let broken = issues.iter().find(|i| i["check_name"] == "CA000").unwrap();
    assert_eq!(broken["severity"], "major");
}

#[test]
fn junit_is_xml_with_a_test_case_per_finding_grouped_by_file() {
    let root = fixture("demo");
    let (report, _) = analyze_json(&root, &[]);
    let (junit, status) = analyze_as(&root, "junit", &[]);
    assert_eq!(status, 1);
    let document = roxmltree::Document::parse(&junit).expect("well-formed XML");
    let suites = document.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let all = diagnostics(&report);
    let problems = all
        .iter()
        .filter(|d| d["severity"] != "opportunity")
        .count();
    assert_eq!(
        suites.attribute("tests"),
        Some(all.len().to_string().as_str())
    );
    assert_eq!(
        suites.attribute("failures"),
        Some(problems.to_string().as_str())
    );

    let paths: BTreeSet<&str> = all.iter().map(|d| d["path"].as_str().unwrap()).collect();
    let suite_names: Vec<&str> = suites
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(suite_names, paths.iter().copied().collect::<Vec<_>>());

    let cases: Vec<roxmltree::Node> = suites
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), all.len());
    for (case, d) in cases.iter().zip(all) {
        let path = d["path"].as_str().unwrap();
        assert_eq!(
            case.attribute("name").unwrap(),
            format!(
                "{} {path}:{}:{}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["column"]
            )
        );
        assert_eq!(case.attribute("classname"), Some(path));
        assert_eq!(case.parent().unwrap().attribute("name"), Some(path));
        let failure = case.children().find(|n| n.has_tag_name("failure"));
        if d["severity"] == "opportunity" {
            assert!(failure.is_none());
        } else {
            let failure = failure.unwrap();
            assert_eq!(failure.attribute("message"), d["message"].as_str());
            assert_eq!(failure.attribute("type"), d["code"].as_str());
        }
    }

    let clean = project(&[("a.py", "x = 1\n")]);
    let (junit, status) = analyze_as(clean.path(), "junit", &[]);
    assert_eq!(status, 0);
    let document = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(document.root_element().attribute("failures"), Some("0"));
}

#[test]
fn junit_escapes_markup_and_replaces_controls_xml_forbids() {
    let dir = project(&[(
        "a<&>\"'\u{1}\tb.py",
        "from django.core.cache import cache\ncache.set(\"<a & \u{1b}b>\", 1, 60)\n",
    )]);
    let (junit, _) = analyze_as(dir.path(), "junit", &[]);
    let document = roxmltree::Document::parse(&junit).expect("well-formed XML");
    let case = document
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("classname"), Some("a<&>\"'\\u{1}\tb.py"));
    let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(message.contains("<a & \\u{1b}b>"), "{message}");

    let (junit, _) = analyze_as(&fixture("broken"), "junit", &[]);
    let document = roxmltree::Document::parse(&junit).unwrap();
    let broken = document
        .descendants()
        .find(|n| n.attribute("type") == Some("CA000"))
        .expect("CA000 is a failure");
    assert!(broken.has_tag_name("failure"));
}

#[test]
fn report_picks_the_format_from_the_extension() {
    let root = fixture("demo");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let mut args = vec![
            "report",
            root.to_str().unwrap(),
            "--output",
            path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let output = common::run_in(&root, &args);
        assert_eq!(output.status.code(), Some(1));
        fs::read_to_string(path).unwrap()
    };
    let sarif: Value = serde_json::from_str(&write("out.sarif", &[])).unwrap();
    assert_valid_sarif(&sarif);
    roxmltree::Document::parse(&write("out.xml", &[])).expect("JUnit");
    let json: Value = serde_json::from_str(&write("out.json", &[])).unwrap();
    assert_eq!(json["schema_version"], 1);
    let text = write("out.txt", &[]);
    assert!(text.contains("Invalidation map:") && !text.contains('\x1b'));
    // Read away from the code, a text report carries every finding's detail.
    assert!(text.contains("\n  = why: cached under `blog:categories` (blog/services.py:44), "));
    let other: Value = serde_json::from_str(&write("out.report", &[])).unwrap();
    assert_eq!(other["schema_version"], 1);

    let concise = write("out.sarif", &["--output-format", "concise"]);
    assert!(concise
        .lines()
        .next()
        .unwrap()
        .starts_with("blog/models.py:5:7: CA301 "));
    let lines = write("out.xml", &["--format", "json-lines"]);
    assert!(lines
        .lines()
        .all(|l| serde_json::from_str::<Value>(l).is_ok()));
}

#[test]
fn only_full_prints_the_invalidation_map() {
    let root = fixture("invalidation");
    let check = |format: &str| {
        let output = run(&[
            "check-invalidation",
            root.to_str().unwrap(),
            "--output-format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(check("full").contains("Invalidation map:"));
    for format in [
        "concise",
        "github",
        "json-lines",
        "junit",
        "gitlab",
        "sarif",
    ] {
        assert!(!check(format).contains("Invalidation map"), "{format}");
    }
}

#[test]
fn exit_codes_do_not_depend_on_the_format() {
    let root = fixture("demo");
    for format in [
        "full",
        "concise",
        "json",
        "json-lines",
        "sarif",
        "github",
        "gitlab",
        "junit",
    ] {
        assert_eq!(analyze_as(&root, format, &[]).1, 1, "{format}");
        assert_eq!(analyze_as(&root, format, &["--exit-zero"]).1, 0, "{format}");
    }
}

/// The severity is a word in every text finding, so it survives `NO_COLOR` and pipes;
/// `--color` and `FORCE_COLOR` decide the colour.
#[test]
fn severity_is_a_word_and_colour_is_chosen() {
    let root = fixture("demo");
    let concise = |extra: &[&str], env: &[(&str, &str)]| {
        let mut command = common::binary();
        command.args([
            "analyze",
            root.to_str().unwrap(),
            "--output-format",
            "concise",
        ]);
        command.args(extra).current_dir(&root);
        for (key, value) in env {
            command.env(key, value);
        }
        String::from_utf8(command.output().unwrap().stdout).unwrap()
    };
    let plain = concise(&[], &[("NO_COLOR", "1")]);
    let first = plain.lines().next().unwrap();
    assert!(
        first.starts_with("blog/models.py:5:7: CA301 error: `blog.Category`"),
        "{first}"
    );
    assert!(plain.contains(": CA106 warning: "), "{plain}");
    assert!(plain.contains(": CA503 opportunity: "), "{plain}");
    assert!(!plain.contains('\x1b'));
    assert!(concise(&["--color", "always"], &[]).contains("\x1b["));
    assert!(concise(&[], &[("FORCE_COLOR", "1")]).contains("\x1b["));
    assert!(!concise(&["--color", "never"], &[("FORCE_COLOR", "1")]).contains('\x1b'));
}

/// People's formats name files from where the command ran; SARIF and GitLab from the
/// repository; the JSON report from the analysed root, wherever it runs.
#[test]
fn paths_read_from_where_the_command_ran() {
    let set =
        "from django.core.cache import cache\n\ncache.set(\"k\", 1)\ncache.set(\"k\", 2, 60)\n";
    let dir = common::project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("mysite/manage.py", ""),
        ("mysite/blog/views.py", set),
        ("mysite/shop/views.py", set),
    ]);
    let top = dir.path();
    let site = top.join("mysite");
    let concise = |from: &Path, path: &str| {
        let output = common::run_in(from, &["analyze", path, "--output-format", "concise"]);
        let text = String::from_utf8(output.stdout).unwrap();
        let places: Vec<String> = text
            .lines()
            .filter_map(|line| {
                line.split_once(": CA102 ")
                    .map(|(place, _)| place.to_string())
            })
            .collect();
        places
    };
    assert_eq!(
        concise(top, "mysite"),
        ["mysite/blog/views.py:3:1", "mysite/shop/views.py:3:1"]
    );
    assert_eq!(
        concise(&site.join("blog"), ".."),
        ["views.py:3:1", "../shop/views.py:3:1"]
    );
    assert_eq!(
        concise(&site, "."),
        ["blog/views.py:3:1", "shop/views.py:3:1"]
    );
    let outside = tempfile::tempdir().unwrap();
    let absolute = site.join("blog/views.py");
    assert_eq!(
        concise(outside.path(), site.to_str().unwrap())[0],
        format!("{}:3:1", absolute.to_str().unwrap())
    );

    let github = common::run_in(
        &site.join("blog"),
        &["analyze", "..", "--output-format", "github"],
    );
    assert!(String::from_utf8(github.stdout)
        .unwrap()
        .contains("file=../shop/views.py,line=3"));
    for (format, pointer) in [
        (
            "sarif",
            "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri",
        ),
        ("gitlab", "/0/location/path"),
        ("json", "/diagnostics/0/path"),
    ] {
        let output = common::run_in(
            &site.join("shop"),
            &["analyze", "..", "--output-format", format],
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let expected = if format == "json" {
            "blog/views.py"
        } else {
            "mysite/blog/views.py"
        };
        assert_eq!(report.pointer(pointer).unwrap(), expected, "{format}");
    }
}
