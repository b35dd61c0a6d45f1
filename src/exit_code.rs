//! The exit codes, as Ruff's: what CI reads of a run.

/// Nothing found (or nothing left, after fixes).
pub const CLEAN: u8 = 0;
/// Findings reported, or a diff to apply.
pub const FINDINGS: u8 = 1;
/// A usage error, an unreadable configuration or baseline, or an internal error.
pub const ERROR: u8 = 2;
