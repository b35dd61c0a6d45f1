//! Every rule's documentation is executable: its "Example" must raise exactly one finding,
//! of that rule's code, and its "Use instead" must raise none. A ```python block is
//! analysed as `example.py`, an ```html block as the template `templates/example.html`.
//! `cache-analyzer rule` prints the same text.

mod common;

use std::fs;
use std::path::Path;

use common::{analyze_json, project, run};

struct RuleDoc {
    code: String,
    name: String,
    severity: String,
    /// `none`, `safe` or `unsafe`, from its `Fix:` line.
    fix: String,
    example: CodeBlock,
    use_instead: CodeBlock,
}

struct CodeBlock {
    /// Where the temporary project holds it.
    path: &'static str,
    source: String,
}

fn rule_docs() -> Vec<RuleDoc> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut docs: Vec<RuleDoc> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| parse(&fs::read_to_string(entry.unwrap().path()).unwrap()))
        .collect();
    docs.sort_by(|a, b| a.code.cmp(&b.code));
    docs
}

fn parse(text: &str) -> RuleDoc {
    let title = text.lines().next().unwrap().strip_prefix("# ").unwrap();
    let (code, name) = title.split_once(": ").unwrap();
    let severity = text
        .lines()
        .find_map(|l| l.strip_prefix("Severity: "))
        .unwrap();
    let fix = text
        .lines()
        .find_map(|l| l.strip_prefix("Fix: "))
        .unwrap_or_else(|| panic!("{code}'s doc has no `Fix:` line"));
    RuleDoc {
        code: code.to_string(),
        name: name.to_string(),
        severity: severity.to_string(),
        fix: fix.split_whitespace().next().unwrap().to_string(),
        example: code_block_after(text, "## Example"),
        use_instead: code_block_after(text, "## Use instead"),
    }
}

fn code_block_after(text: &str, heading: &str) -> CodeBlock {
    let section = text.split_once(&format!("\n{heading}\n")).unwrap().1;
    let (language, block) = section
        .split_once("```")
        .unwrap()
        .1
        .split_once('\n')
        .unwrap();
    let path = match language {
        "python" => "example.py",
        "html" => "templates/example.html",
        other => panic!("{heading} has a ```{other} block"),
    };
    CodeBlock {
        path,
        source: block.split_once("\n```").unwrap().0.to_string() + "\n",
    }
}

fn codes_raised(block: &CodeBlock) -> Vec<String> {
    let dir = project(&[(block.path, block.source.as_str())]);
    let (report, _) = analyze_json(dir.path(), &[]);
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_rule_has_a_document() {
    let documented: Vec<String> = rule_docs().into_iter().map(|d| d.code).collect();
    let listed = String::from_utf8(run(&["rule", "--all"]).stdout).unwrap();
    let listed: Vec<String> = listed
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(documented, listed);
    assert!(listed.len() >= 8);
}

#[test]
fn headers_match_the_rule_table() {
    let listed = String::from_utf8(run(&["rule", "--all"]).stdout).unwrap();
    let docs = rule_docs();
    let width = docs.iter().map(|doc| doc.name.len()).max().unwrap();
    for doc in docs {
        let line = format!("{}  {:<width$}  {}", doc.code, doc.name, doc.severity);
        assert!(listed.contains(&line), "`rule --all` lacks `{line}`");
    }
}

#[test]
fn examples_raise_exactly_their_code() {
    for doc in rule_docs() {
        assert_eq!(
            codes_raised(&doc.example),
            vec![doc.code.clone()],
            "{}'s Example must raise exactly one {}",
            doc.code,
            doc.code
        );
    }
}

#[test]
fn use_instead_examples_raise_nothing() {
    for doc in rule_docs() {
        assert_eq!(
            codes_raised(&doc.use_instead),
            Vec::<String>::new(),
            "{}'s 'Use instead' must raise nothing",
            doc.code
        );
    }
}

/// Each doc's `Fix:` line says what the rule's finding on its Example offers: no fix, or
/// one of that applicability. With the fix applied the Example no longer raises its code,
/// still parses, and a second `--fix` changes nothing.
#[test]
fn fix_lines_say_what_the_examples_fixes_do() {
    for doc in rule_docs() {
        assert!(
            ["none", "safe", "unsafe"].contains(&doc.fix.as_str()),
            "{}'s `Fix:` line must start with none, safe or unsafe",
            doc.code
        );
        let dir = project(&[(doc.example.path, doc.example.source.as_str())]);
        let (report, _) = analyze_json(dir.path(), &[]);
        let fix = &report["diagnostics"][0]["fix"];
        if doc.fix == "none" {
            assert!(
                fix.is_null(),
                "{} says `Fix: none` but fixes: {fix}",
                doc.code
            );
            continue;
        }
        assert_eq!(
            fix["applicability"], doc.fix,
            "{}'s Example fix is not {}",
            doc.code, doc.fix
        );
        let path = dir.path().join(doc.example.path);
        let fixed = run(&[
            "analyze",
            dir.path().to_str().unwrap(),
            "--fix",
            "--unsafe-fixes",
            "--select",
            &doc.code,
        ]);
        assert_eq!(fixed.status.code(), Some(0), "{}: {fixed:?}", doc.code);
        let once = fs::read_to_string(&path).unwrap();
        assert_ne!(
            once, doc.example.source,
            "{}'s fix changed nothing",
            doc.code
        );
        assert_eq!(
            codes_raised(&CodeBlock {
                path: doc.example.path,
                source: once.clone()
            }),
            Vec::<String>::new(),
            "{} after its fix",
            doc.code
        );
        run(&[
            "analyze",
            dir.path().to_str().unwrap(),
            "--fix",
            "--unsafe-fixes",
        ]);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            once,
            "{}'s fix is not idempotent",
            doc.code
        );
    }
}

#[test]
fn rule_command_prints_the_document() {
    for doc in rule_docs() {
        let output = run(&["rule", &doc.code.to_lowercase()]);
        assert_eq!(output.status.code(), Some(0));
        let printed = String::from_utf8(output.stdout).unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules")
            .join(format!("{}.md", doc.code));
        assert_eq!(printed, fs::read_to_string(path).unwrap());
    }
    let unknown = run(&["rule", "CA999"]);
    assert_eq!(unknown.status.code(), Some(2));
}
