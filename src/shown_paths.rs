//! How reports name a finding's file. Findings keep paths relative to the analysed root
//! (what fingerprints, baselines and the JSON report hold, the same wherever the command
//! runs); people get them relative to the current directory, as Ruff prints them, so that
//! they click and paste; code-scanning formats get them relative to the repository.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::discover::relative;

#[derive(Clone, Debug, Default)]
pub struct ShownPaths {
    /// The analysed root, absolute.
    root: PathBuf,
    /// The directory the command ran in, when it could be read.
    cwd: Option<PathBuf>,
    /// The nearest directory at or above the root holding `.git`.
    repository: Option<PathBuf>,
}

impl ShownPaths {
    pub fn new(root: &Path, cwd: Option<PathBuf>) -> Self {
        let repository = root
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf);
        ShownPaths {
            root: root.to_path_buf(),
            cwd,
            repository,
        }
    }

    /// A root-relative path as people read it: relative to the current directory when
    /// the file lies under it, or when the command runs inside the analysed root (then
    /// with `..`, as `../shop/views.py` from `blog/`); absolute otherwise, as Ruff prints
    /// files outside the current directory.
    pub fn from_cwd<'p>(&self, path: &'p str) -> Cow<'p, str> {
        let Some(cwd) = &self.cwd else {
            return Cow::Borrowed(path);
        };
        if cwd == &self.root {
            return Cow::Borrowed(path);
        }
        let file = self.root.join(path);
        if let Ok(below) = file.strip_prefix(cwd) {
            return Cow::Owned(slashed(below));
        }
        match pathdiff::diff_paths(&file, cwd) {
            Some(shown) if cwd.starts_with(&self.root) => Cow::Owned(slashed(&shown)),
            _ => Cow::Owned(slashed(&file)),
        }
    }

    /// A root-relative path relative to the repository holding the root, which code
    /// scanning (SARIF, GitLab) resolves against its checkout; the root-relative path when
    /// no repository is found.
    pub fn from_repository<'p>(&self, path: &'p str) -> Cow<'p, str> {
        match &self.repository {
            Some(repository) if repository != &self.root => {
                Cow::Owned(relative(repository, &self.root.join(path)))
            }
            _ => Cow::Borrowed(path),
        }
    }
}

/// A path with `/` separators on every platform; non-UTF-8 bytes become U+FFFD.
fn slashed(path: &Path) -> String {
    let mut text = String::new();
    for component in path.components() {
        if !text.is_empty() && !text.ends_with('/') {
            text.push('/');
        }
        text.push_str(&component.as_os_str().to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(root: &str, cwd: &str) -> ShownPaths {
        ShownPaths {
            root: PathBuf::from(root),
            cwd: Some(PathBuf::from(cwd)),
            repository: Some(PathBuf::from("/repo")),
        }
    }

    #[test]
    fn paths_read_from_where_the_command_ran() {
        let paths = shown("/repo/mysite", "/repo");
        assert_eq!(paths.from_cwd("blog/views.py"), "mysite/blog/views.py");
        let paths = shown("/repo/mysite", "/repo/mysite/blog");
        assert_eq!(paths.from_cwd("blog/views.py"), "views.py");
        assert_eq!(paths.from_cwd("shop/views.py"), "../shop/views.py");
        let paths = shown("/repo/mysite", "/repo/mysite");
        assert_eq!(paths.from_cwd("blog/views.py"), "blog/views.py");
        let paths = shown("/repo/mysite", "/repo/other");
        assert_eq!(
            paths.from_cwd("blog/views.py"),
            "/repo/mysite/blog/views.py"
        );
    }

    #[test]
    fn code_scanning_paths_read_from_the_repository() {
        let paths = shown("/repo/mysite", "/elsewhere");
        assert_eq!(
            paths.from_repository("blog/views.py"),
            "mysite/blog/views.py"
        );
        let paths = shown("/repo", "/elsewhere");
        assert_eq!(paths.from_repository("blog/views.py"), "blog/views.py");
    }
}
