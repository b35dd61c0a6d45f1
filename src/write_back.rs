//! Writing edited source back to the analysed project, which only fixes and `--add-noqa`
//! do: never outside the analysed root or through a symlink, never over a file changed
//! since it was read, and never a Python file that no longer parses.

use std::fs;
use std::path::{Component, Path};

use anyhow::{bail, Result};
use ruff_python_parser::parse_module;

/// Why an edited text may not replace its file, if it may not: Python that no longer
/// parses. (Templates are only ever given comments.)
pub fn refusal(relative: &str, edited: &str) -> Option<String> {
    if !(relative.ends_with(".py") || relative.ends_with(".pyi")) {
        return None;
    }
    parse_module(edited).err().map(|err| {
        let offset = usize::from(err.location.start()).min(edited.len());
        let line = edited.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!(
            "the edited file would not parse: {} (line {line})",
            err.error
        )
    })
}

/// Replaces the file at `relative` under `root`, which held `original` when it was read,
/// with `edited`, atomically and keeping its permissions.
pub fn write(root: &Path, relative: &str, original: &str, edited: &str) -> Result<()> {
    let shown = relative;
    let path = Path::new(relative);
    if !path
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
    {
        bail!("refusing to write `{shown}`: it is not a path inside the analysed root");
    }
    let target = root.join(path);
    let metadata = fs::symlink_metadata(&target)
        .map_err(|err| anyhow::anyhow!("cannot write `{shown}`: {err}"))?;
    if !metadata.file_type().is_file() {
        bail!("refusing to write `{shown}`: it is a symlink or not a regular file");
    }
    // A directory on the way that is a symlink leads elsewhere: the real path must be the
    // root's real path joined with the relative one.
    let (Ok(real_root), Ok(real_target)) = (fs::canonicalize(root), fs::canonicalize(&target))
    else {
        bail!("cannot write `{shown}`: its real path cannot be resolved");
    };
    if real_target != real_root.join(path) {
        bail!("refusing to write `{shown}`: it is reached through a symlink");
    }
    if fs::read(&target).ok().as_deref() != Some(original.as_bytes()) {
        bail!("not writing `{shown}`: it changed since it was analysed");
    }
    if let Some(refusal) = refusal(relative, edited) {
        bail!("not writing `{shown}`: {refusal}");
    }
    crate::atomic_file::replace(&target, edited.as_bytes(), Some(metadata.permissions()))
}
