//! Fingerprints the code that could decide what a file's facts are, so that a build whose
//! facts could differ never reads another build's fact cache, even at the same version
//! number. Extraction reaches beyond `src/facts/` (`source.rs`, `test_code.rs`,
//! `discover.rs`, ...), and following those uses by hand is how a module gets missed: the
//! fingerprint covers every Rust file under `src/`, and `Cargo.lock` for the parser's
//! version. A change elsewhere in `src/` only costs one cold run.

use std::fs;
use std::path::Path;

fn main() {
    // A directory makes Cargo rerun this script when any file under it changes, is added
    // or is removed.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut inputs = vec!["Cargo.lock".to_string()];
    collect_rust_files(Path::new("src"), &mut inputs);
    inputs.sort();
    let mut all = Vec::new();
    for input in &inputs {
        all.extend(input.as_bytes());
        let contents = fs::read(input);
        // A source tree without its lock file still builds, with its own fingerprint.
        if input != "Cargo.lock" {
            if let Err(err) = &contents {
                panic!("cannot read {input}: {err}");
            }
        }
        all.extend(contents.unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=CACHE_ANALYZER_FACTS_FINGERPRINT={:016x}",
        xxhash_rust::xxh3::xxh3_64(&all)
    );
}

/// The `.rs` files under `dir`, as `/`-separated paths from the package root (the same on
/// every platform).
fn collect_rust_files(dir: &Path, into: &mut Vec<String>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
            .path();
        if path.is_dir() {
            collect_rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let parts: Vec<String> = path
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            into.push(parts.join("/"));
        }
    }
}
