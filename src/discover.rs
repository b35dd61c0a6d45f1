//! File discovery: the Python files and Django templates under the analysed paths, in a
//! stable order.

use std::fs;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Directories never analysed: VCS data, dependencies, build output, caches.
const SKIPPED_DIRECTORIES: &[&str] = &[
    ".git",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    "site-packages",
    ".tox",
    ".nox",
];

/// Files that mark a Django app directory, for `--app`.
const APP_MARKERS: &[&str] = &["apps.py", "models.py", "views.py"];

/// Extensions Django projects give templates; other files under `templates/` (images,
/// scripts, stylesheets) are not templates.
const TEMPLATE_EXTENSIONS: &[&str] =
    &["html", "htm", "txt", "xml", "djhtml", "dtl", "svg", "email"];

/// The directory name Django's app and project template loaders look in.
const TEMPLATES_DIRECTORY: &str = "templates";

pub struct SourcePath {
    pub absolute: PathBuf,
    /// Relative to the root, with `/` separators.
    pub relative: String,
}

pub struct TemplateFile {
    pub absolute: PathBuf,
    /// Relative to the root, with `/` separators.
    pub relative: String,
    /// The name Django loads it by: the path after the last `templates` directory, e.g.
    /// `blog/post_detail.html`.
    pub name: String,
}

#[derive(Default)]
pub struct Discovery {
    pub files: Vec<SourcePath>,
    /// Paths that could not be listed, with the reason.
    pub errors: Vec<(String, String)>,
    /// Relative directories holding `apps.py`, `models.py` or `views.py`.
    pub app_dirs: Vec<String>,
    /// Template files: those under a `templates` directory with a template extension.
    pub templates: Vec<TemplateFile>,
    /// Files with a template extension outside `templates` directories: templates only
    /// if a `TEMPLATES` setting names a directory holding them.
    pub other_templates: Vec<SourcePath>,
}

/// Walks `paths` (files or directories) without following symlinks; only regular `.py`
/// files and templates are kept. Directory entries' types come from the listing itself, so the walk
/// makes one system call per directory rather than one per file.
pub fn discover(root: &Path, paths: &[PathBuf], exclusions: &mut Exclusions) -> Discovery {
    let mut discovery = Discovery::default();
    let mut directories: Vec<PathBuf> = Vec::new();
    for path in paths {
        match fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_dir() => directories.push(path.clone()),
            Ok(metadata) => discovery.add_file(root, path.clone(), metadata.file_type()),
            Err(err) => discovery
                .errors
                .push((relative(root, path), err.to_string())),
        }
    }
    let is_given = |dir: &PathBuf| paths.contains(dir);
    while let Some(dir) = directories.pop() {
        if !is_given(&dir) && exclusions.excludes(&dir, true) {
            continue;
        }
        exclusions.enter(&dir);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                discovery
                    .errors
                    .push((relative(root, &dir), err.to_string()));
                continue;
            }
        };
        let mut children = Vec::new();
        let mut is_virtualenv = false;
        let mut has_app_marker = false;
        for entry in entries.flatten() {
            let name = entry.file_name();
            is_virtualenv |= name == "pyvenv.cfg";
            has_app_marker |= APP_MARKERS.iter().any(|m| name == *m);
            if let Ok(file_type) = entry.file_type() {
                children.push((entry.path(), file_type));
            }
        }
        if is_virtualenv && !is_given(&dir) {
            continue;
        }
        if has_app_marker {
            discovery.app_dirs.push(relative(root, &dir));
        }
        for (path, file_type) in children {
            if file_type.is_dir() {
                directories.push(path);
            } else if !exclusions.excludes(&path, false) {
                discovery.add_file(root, path, file_type);
            }
        }
    }
    // Overlapping PATHs find a file twice; distinct files may share a lossy name.
    discovery
        .files
        .sort_by(|a, b| (&a.relative, &a.absolute).cmp(&(&b.relative, &b.absolute)));
    discovery.files.dedup_by(|a, b| a.absolute == b.absolute);
    discovery
        .templates
        .sort_by(|a, b| (&a.relative, &a.absolute).cmp(&(&b.relative, &b.absolute)));
    discovery
        .templates
        .dedup_by(|a, b| a.absolute == b.absolute);
    discovery.app_dirs.sort();
    discovery
}

/// `per-file-ignores`: codes ignored in the files a gitignore-style pattern matches.
pub struct PerFileIgnores {
    root: PathBuf,
    entries: Vec<(Gitignore, Vec<String>)>,
}

impl PerFileIgnores {
    /// `entries`' patterns are relative to `pattern_base`; findings' paths to `root`.
    pub fn new(
        root: &Path,
        pattern_base: &Path,
        entries: &[(String, Vec<String>)],
    ) -> Result<PerFileIgnores, String> {
        let mut compiled = Vec::new();
        for (pattern, codes) in entries {
            let mut builder = GitignoreBuilder::new(pattern_base);
            builder
                .add_line(None, pattern)
                .map_err(|err| format!("invalid per-file-ignores pattern `{pattern}`: {err}"))?;
            let matcher = builder.build().map_err(|err| err.to_string())?;
            let codes = codes
                .iter()
                .map(|code| code.trim().to_ascii_uppercase())
                .collect();
            compiled.push((matcher, codes));
        }
        Ok(PerFileIgnores {
            root: root.to_path_buf(),
            entries: compiled,
        })
    }

    /// Whether `code` is ignored in the file at `relative` (a path from the root).
    pub fn ignores(&self, relative: &str, code: &str) -> bool {
        let path = self.root.join(relative);
        self.entries.iter().any(|(matcher, codes)| {
            codes.iter().any(|prefix| code.starts_with(prefix.as_str()))
                && path.starts_with(matcher.path())
                && matcher
                    .matched_path_or_any_parents(&path, false)
                    .is_ignore()
        })
    }
}

/// What discovery leaves out: the default directories (or the configuration's `exclude`
/// patterns instead), `extend-exclude` patterns, and, unless `respect-gitignore` is off,
/// what `.gitignore` and `.ignore` files in the tree (and `.git/info/exclude`) ignore.
pub struct Exclusions {
    /// `exclude` (when set) and `extend-exclude`, gitignore-style, from the root.
    patterns: Gitignore,
    default_directories: bool,
    respect_gitignore: bool,
    /// Ignore files found so far; each applies below its own directory.
    ignore_files: Vec<Gitignore>,
}

impl Exclusions {
    /// `exclude` and `extend-exclude` patterns are relative to `pattern_base`.
    pub fn new(
        root: &Path,
        pattern_base: &Path,
        exclude: Option<&[String]>,
        extend_exclude: &[String],
        respect_gitignore: bool,
    ) -> Result<Exclusions, String> {
        let mut builder = GitignoreBuilder::new(pattern_base);
        for pattern in exclude.into_iter().flatten().chain(extend_exclude) {
            builder
                .add_line(None, pattern)
                .map_err(|err| format!("invalid exclude pattern `{pattern}`: {err}"))?;
        }
        let patterns = builder.build().map_err(|err| err.to_string())?;
        let mut exclusions = Exclusions {
            patterns,
            default_directories: exclude.is_none(),
            respect_gitignore,
            ignore_files: Vec::new(),
        };
        if respect_gitignore {
            exclusions.add_ignore_file(root, &root.join(".git").join("info").join("exclude"));
        }
        Ok(exclusions)
    }

    /// Reads the ignore files of a directory the walk enters.
    fn enter(&mut self, dir: &Path) {
        if self.respect_gitignore {
            for name in [".gitignore", ".ignore"] {
                self.add_ignore_file(dir, &dir.join(name));
            }
        }
    }

    fn add_ignore_file(&mut self, dir: &Path, file: &Path) {
        if !file.is_file() {
            return;
        }
        let mut builder = GitignoreBuilder::new(dir);
        // A malformed line is skipped, as git skips it.
        let _ = builder.add(file);
        if let Ok(matcher) = builder.build() {
            self.ignore_files.push(matcher);
        }
    }

    fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        let default_skip = self.default_directories
            && is_dir
            && path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| SKIPPED_DIRECTORIES.contains(&name));
        default_skip
            || (path.starts_with(self.patterns.path())
                && self.patterns.matched(path, is_dir).is_ignore())
            || self
                .ignore_files
                .iter()
                .filter(|matcher| path.starts_with(matcher.path()))
                .any(|matcher| matcher.matched(path, is_dir).is_ignore())
    }
}

impl Discovery {
    /// Adds the files under `TEMPLATES[...]["DIRS"]` directories (relative to the root)
    /// that are not under a `templates` directory already, named relative to their
    /// directory.
    pub fn add_template_dirs(&mut self, dirs: &[String]) {
        for file in std::mem::take(&mut self.other_templates) {
            let name = dirs.iter().find_map(|dir| {
                file.relative
                    .strip_prefix(dir.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
            });
            match name {
                Some(name) => self.templates.push(TemplateFile {
                    name: name.to_string(),
                    relative: file.relative.clone(),
                    absolute: file.absolute.clone(),
                }),
                None => self.other_templates.push(file),
            }
        }
        self.templates
            .sort_by(|a, b| (&a.relative, &a.absolute).cmp(&(&b.relative, &b.absolute)));
    }

    /// Keeps regular `.py` files and templates: symlinks, FIFOs, sockets and devices are
    /// never opened.
    fn add_file(&mut self, root: &Path, path: PathBuf, file_type: fs::FileType) {
        if !file_type.is_file() {
            return;
        }
        let Some(extension) = path.extension() else {
            return;
        };
        if extension == "py" {
            self.files.push(SourcePath {
                relative: relative(root, &path),
                absolute: path,
            });
        } else if TEMPLATE_EXTENSIONS.iter().any(|t| extension == *t) {
            let relative = relative(root, &path);
            match template_name(&relative) {
                Some(name) => self.templates.push(TemplateFile {
                    name: name.to_string(),
                    relative,
                    absolute: path,
                }),
                None => self.other_templates.push(SourcePath {
                    relative,
                    absolute: path,
                }),
            }
        }
    }
}

/// The part of `relative` after its last `templates` directory, or `None` outside one.
fn template_name(relative: &str) -> Option<&str> {
    let directories = relative.rsplit_once('/')?.0;
    let mut name = None;
    let mut offset = 0;
    for part in directories.split('/') {
        offset += part.len() + 1;
        if part == TEMPLATES_DIRECTORY {
            name = Some(&relative[offset..]);
        }
    }
    name
}

/// Whether a file is one the analysis reads: Python source, or a file with a template
/// extension inside a `templates` directory.
pub fn is_analysable_file(path: &Path) -> bool {
    let in_templates = path
        .components()
        .any(|part| part.as_os_str() == TEMPLATES_DIRECTORY);
    path.extension().is_some_and(|extension| {
        extension == "py" || (in_templates && TEMPLATE_EXTENSIONS.iter().any(|t| extension == *t))
    })
}

/// `path` relative to `root` with `/` separators; non-UTF-8 bytes become U+FFFD.
pub fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The directory findings are reported relative to: the deepest directory holding every
/// path (a file's own directory when it is the only path).
pub fn common_root(paths: &[PathBuf]) -> PathBuf {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().map(Path::to_path_buf).unwrap_or_default()
            }
        })
        .collect();
    let Some(first) = dirs.first() else {
        return PathBuf::from(".");
    };
    let mut root = first.clone();
    for dir in &dirs[1..] {
        while !dir.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_follow_the_last_templates_directory() {
        assert_eq!(
            template_name("blog/templates/blog/post.html"),
            Some("blog/post.html")
        );
        assert_eq!(
            template_name("templates/a/templates/b.html"),
            Some("b.html")
        );
        assert_eq!(template_name("templates/base.html"), Some("base.html"));
        assert_eq!(template_name("static/templates.html"), None);
        assert_eq!(template_name("my_templates/base.html"), None);
    }
}
