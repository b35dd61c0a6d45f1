//! Paths worked out as text, reading nothing on disk (the current directory aside): what
//! report and baseline paths are made of.

use std::path::{Component, Path, PathBuf};

/// `a/b/../c` is `a/c`: report paths are relative to a root without `..` in it.
pub fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

/// `path` from the current directory, normalised (`""` is the current directory).
pub fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}
