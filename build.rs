//! Fingerprints the code that decides what a file's facts are (the fact types, their
//! extraction, the parser's version in `Cargo.lock`), so that a build whose facts could
//! differ never reads another build's fact cache, even at the same version number.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let mut inputs = vec![
        PathBuf::from("src/source.rs"),
        PathBuf::from("src/fact_cache.rs"),
        PathBuf::from("Cargo.lock"),
    ];
    collect_rust_files(Path::new("src/facts"), &mut inputs);
    inputs.sort();
    let mut all = Vec::new();
    for input in &inputs {
        println!("cargo:rerun-if-changed={}", input.display());
        all.extend(input.to_string_lossy().as_bytes());
        all.extend(fs::read(input).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=CACHE_ANALYZER_FACTS_FINGERPRINT={:016x}",
        xxhash_rust::xxh3::xxh3_64(&all)
    );
}

fn collect_rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}
