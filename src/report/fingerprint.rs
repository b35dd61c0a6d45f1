//! Fingerprints that follow a finding across unrelated edits: a hash of the rule, the file
//! and the trimmed text of the finding's line, never its line number, so adding lines
//! above a finding keeps its fingerprint; a counter tells apart findings of one rule on
//! identical lines of one file.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;

pub struct Fingerprint {
    line_hash: u64,
    /// 1 for the first finding of its rule on such a line in its file, 2 for the next...
    occurrence: usize,
}

impl Fingerprint {
    /// The form of GitHub's `primaryLocationLineHash`: `<hex>:<occurrence>`.
    pub fn line_hash(&self) -> String {
        format!("{:016x}:{}", self.line_hash, self.occurrence)
    }

    /// One hex string per finding: GitLab shows only one of the findings sharing one.
    pub fn unique(&self) -> String {
        let occurrence = self.occurrence.to_string();
        let hash = fnv1a(&[&self.line_hash.to_le_bytes(), occurrence.as_bytes()]);
        format!("{hash:016x}")
    }
}

/// The fingerprint of each diagnostic, in order. The counter follows report order (path,
/// line, column, code), so it too survives edits elsewhere in the file.
pub fn fingerprints(diagnostics: &[Diagnostic]) -> Vec<Fingerprint> {
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let line = d.span.source_line.trim();
            let occurrence = seen.entry((d.code, &d.path, line)).or_insert(0);
            *occurrence += 1;
            Fingerprint {
                line_hash: fnv1a(&[d.code.as_bytes(), d.path.as_bytes(), line.as_bytes()]),
                occurrence: *occurrence,
            }
        })
        .collect()
}

/// 64-bit FNV-1a over the fields, a NUL byte between them so that no two different field
/// lists hash the same bytes.
fn fnv1a(fields: &[&[u8]]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for (index, field) in fields.iter().enumerate() {
        let separator: &[u8] = if index == 0 { &[] } else { &[0] };
        for &byte in separator.iter().chain(field.iter()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}
