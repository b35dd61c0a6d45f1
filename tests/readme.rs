//! The README's samples of the demo project's output are the analyzer's output: each
//! sample's lines appear, in order, in what the command prints (`...` stands for lines
//! left out, and a line ending in `(...)` for the rest of that line).

mod common;

use std::fs;

use common::{fixture, run};

/// The first fenced block that opens after `marker` (which may sit in a block of its own,
/// the command, or in the prose before the sample).
fn sample_after(readme: &str, marker: &str) -> Vec<String> {
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README has `{marker}`"));
    let mut offset = 0;
    let mut open: Option<usize> = None;
    let mut block = Vec::new();
    for line in readme.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let line = line.trim_end_matches('\n');
        match open {
            None if line.starts_with("```") => open = Some(start),
            Some(opened) if line.starts_with("```") => {
                if opened > at {
                    return block;
                }
                open = None;
                block.clear();
            }
            Some(_) => block.push(line.to_string()),
            None => {}
        }
    }
    panic!("no sample after `{marker}`");
}

/// Whether every line of the sample appears in the output, in order.
fn assert_sample_matches(sample: &[String], output: &str) {
    let mut lines = output.lines();
    for wanted in sample.iter().filter(|line| line.as_str() != "...") {
        let found = match wanted.strip_suffix("(...)") {
            Some(prefix) => lines.any(|line| line.starts_with(prefix)),
            None => lines.any(|line| line == wanted),
        };
        assert!(
            found,
            "README sample line not in the output, in order:\n{wanted}\n\noutput:\n{output}"
        );
    }
}

fn readme() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn demo_samples_are_what_the_analyzer_prints() {
    let readme = readme();
    let demo = fixture("demo");
    let demo = demo.to_str().unwrap();
    let full = String::from_utf8(run(&["analyze", demo]).stdout).unwrap();
    assert_sample_matches(
        &sample_after(&readme, "cache-analyzer analyze fixtures/demo\n"),
        &full,
    );
    let concise =
        String::from_utf8(run(&["analyze", demo, "--output-format", "concise"]).stdout).unwrap();
    assert_sample_matches(
        &sample_after(
            &readme,
            "`cache-analyzer analyze fixtures/demo --output-format\nconcise`",
        ),
        &concise,
    );
}

#[test]
fn invalidation_map_sample_is_what_check_invalidation_prints() {
    let project = fixture("invalidation");
    let map =
        String::from_utf8(run(&["check-invalidation", project.to_str().unwrap()]).stdout).unwrap();
    assert_sample_matches(
        &sample_after(
            &readme(),
            "`cache-analyzer check-invalidation fixtures/invalidation`",
        ),
        &map,
    );
}
