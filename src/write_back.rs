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

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("app")).unwrap();
        fs::write(dir.path().join("app/views.py"), "x = 1\n").unwrap();
        dir
    }

    #[test]
    fn writes_an_unchanged_file_keeping_its_permissions() {
        let dir = project();
        let path = dir.path().join("app/views.py");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write(dir.path(), "app/views.py", "x = 1\n", "x = 2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "x = 2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("app")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left");
    }

    #[test]
    fn refuses_what_it_must_not_write() {
        let dir = project();
        let refused = |relative: &str, original: &str, edited: &str| {
            write(dir.path(), relative, original, edited)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("app/views.py", "x = 0\n", "x = 2\n"),
            "not writing `app/views.py`: it changed since it was analysed"
        );
        let broken = refused("app/views.py", "x = 1\n", "x = 1\ny = )\n");
        assert!(
            broken.starts_with("not writing `app/views.py`: the edited file would not parse: ")
                && broken.ends_with("(line 2)"),
            "{broken}"
        );
        assert_eq!(
            refused("../outside.py", "", "x = 2\n"),
            "refusing to write `../outside.py`: it is not a path inside the analysed root"
        );
        #[cfg(unix)]
        {
            let elsewhere = tempfile::tempdir().unwrap();
            fs::write(elsewhere.path().join("real.py"), "x = 1\n").unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("linked")).unwrap();
            std::os::unix::fs::symlink(
                elsewhere.path().join("real.py"),
                dir.path().join("app/link.py"),
            )
            .unwrap();
            assert_eq!(
                refused("linked/real.py", "x = 1\n", "x = 2\n"),
                "refusing to write `linked/real.py`: it is reached through a symlink"
            );
            assert_eq!(
                refused("app/link.py", "x = 1\n", "x = 2\n"),
                "refusing to write `app/link.py`: it is a symlink or not a regular file"
            );
            assert_eq!(
                fs::read_to_string(elsewhere.path().join("real.py")).unwrap(),
                "x = 1\n"
            );
        }
    }

    #[test]
    fn only_python_must_parse() {
        assert!(refusal("app/views.py", "def f(:\n").is_some());
        assert!(refusal("templates/page.html", "{% cache %}def f(:\n").is_none());
        assert!(refusal("app/views.py", "def f():\n    pass\n").is_none());
    }
}
