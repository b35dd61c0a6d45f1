//! What rules build their fixes with: a finding's file read again ([`FixContext`]), adding
//! imports, and putting decorators inside a view's `cache_page`. Fixes are made after the
//! rules, from the reported findings and the syntax of their files (see
//! [`crate::attach_fixes`]): facts stay small, and only the few files with fixable
//! findings are parsed twice.

mod context;
pub mod imports;
pub mod view_decorators;

pub use context::FixContext;

use crate::diagnostic::Diagnostic;
use crate::edit::Fix;

/// A rule's fix: built from its finding and the syntax of the finding's file; `None` when
/// this finding has no fix the rule can prove right.
pub type FixBuilder = fn(&FixContext, &Diagnostic) -> Option<Fix>;
