//! Replacing a file atomically: the new contents go to a temporary file beside it, which is
//! then renamed over it, so a reader sees the old file or the new one, never half of one.

use std::fs::Permissions;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Result};

/// Writes `contents` to `path` atomically. The file gets `permissions` when given (an edited
/// source file keeps its own), else those of any new file (0666 less the umask). Errors
/// name `path`, not the temporary file.
pub fn replace(path: &Path, contents: &[u8], permissions: Option<Permissions>) -> Result<()> {
    let failed = |err: std::io::Error| anyhow!("cannot write `{}`: {err}", path.display());
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cache-analyzer-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode a file is created with is less the umask, as for any new file.
        builder.permissions(Permissions::from_mode(0o666));
    }
    // A unique name, opened exclusively: two writers sharing a directory never take each
    // other's file, and it is removed if anything below fails.
    let mut temporary = builder.tempfile_in(dir).map_err(failed)?;
    if let Some(permissions) = permissions {
        temporary
            .as_file()
            .set_permissions(permissions)
            .map_err(failed)?;
    }
    temporary.write_all(contents).map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    temporary.persist(path).map_err(|err| failed(err.error))?;
    Ok(())
}
