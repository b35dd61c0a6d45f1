//! The fixture projects: each expected finding is marked by hand on its line with
//! `# expect: [CODE]`; every other line must stay silent.

mod common;

use common::{analyze_json, finding, findings, fixture, markers};

#[test]
fn demo_project_findings_match_markers() {
    let root = fixture("demo");
    let (report, status) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert!(expected.len() >= 30, "the demo marks its findings");
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["findings"], expected.len());
}

#[test]
fn lookalikes_raise_nothing() {
    let root = fixture("lookalikes");
    let (report, status) = analyze_json(&root, &[]);
    assert!(markers(&root).is_empty());
    assert_eq!(findings(&report), Default::default());
    assert_eq!(status, 0);
    assert!(report["summary"]["files_analyzed"].as_u64().unwrap() >= 5);
}

#[test]
fn broken_file_becomes_ca000_and_the_rest_is_still_analyzed() {
    let root = fixture("broken");
    let (report, status) = analyze_json(&root, &[]);
    let mut expected = markers(&root);
    expected.insert(finding("CA000", "app/syntax_error.py", 3));
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["errors"], 1);
    let ca000 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA000")
        .unwrap();
    assert_eq!(ca000["name"], "file-not-analyzed");
    assert!(ca000["message"]
        .as_str()
        .unwrap()
        .starts_with("syntax error: "));
}
