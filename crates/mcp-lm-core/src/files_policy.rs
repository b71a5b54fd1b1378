//! The file tools' policy, from the `files` config section only (a caller cannot change it):
//! the allowed roots, read-only mode, deny globs and the size limit. Paths are canonicalised
//! (symlinks resolved) and must stay inside a root: `..`, absolute paths elsewhere and
//! symlinks pointing out are refused with `path_outside_roots`.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::{ConfigError, ServiceError};

/// `files` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesConfig {
    /// Directories the file tools may touch; empty: the working directory at start.
    pub roots: Vec<PathBuf>,
    /// Refuse every write (write, edit, mkdir, move, delete).
    pub read_only: bool,
    /// Glob patterns of paths never read nor written (the config file and the audit log are
    /// always denied too).
    pub deny: Vec<String>,
    /// Largest file written, edited or hashed, in bytes.
    pub max_file_bytes: u64,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            read_only: false,
            deny: ["**/.ssh/**", "**/*.pem", "**/*.key", "**/.env"]
                .map(String::from)
                .to_vec(),
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Checks the `files` section (globs compile, size limit above 0).
pub(crate) fn validate(files: &FilesConfig) -> Result<(), ConfigError> {
    for pattern in &files.deny {
        Glob::new(pattern).map_err(|e| ConfigError::Invalid {
            field: "files.deny".into(),
            message: format!("bad glob {pattern:?}: {e}"),
        })?;
    }
    if files.max_file_bytes == 0 {
        return Err(ConfigError::Invalid {
            field: "files.max_file_bytes".into(),
            message: "expected a number greater than 0".into(),
        });
    }
    Ok(())
}

/// The policy in force for one call.
#[derive(Debug, Clone)]
pub(crate) struct FilesPolicy {
    /// Canonical roots.
    pub(crate) roots: Vec<PathBuf>,
    pub(crate) read_only: bool,
    pub(crate) max_file_bytes: u64,
    deny: GlobSet,
    deny_exact: Vec<PathBuf>,
}

impl FilesPolicy {
    /// The policy of `config` (roots canonicalised; missing roots are skipped).
    pub(crate) fn new(config: &crate::Config) -> Result<Self, ServiceError> {
        let files = &config.files;
        let configured = if files.roots.is_empty() {
            vec![std::env::current_dir().map_err(|e| io_error(&e, Path::new(".")))?]
        } else {
            files.roots.clone()
        };
        let roots: Vec<PathBuf> = configured
            .iter()
            .filter_map(|root| std::fs::canonicalize(root).ok())
            .collect();
        if roots.is_empty() {
            return Err(ServiceError::new(
                503,
                "no_roots",
                "none of the configured files.roots exists",
            )
            .hint("set files.roots in the config to existing directories"));
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in &files.deny {
            if let Ok(glob) = Glob::new(pattern) {
                builder.add(glob);
            }
        }
        let deny = builder
            .build()
            .map_err(|e| ServiceError::new(500, "internal_error", e.to_string()))?;
        let mut deny_exact = Vec::new();
        let config_files = std::env::var_os("MCP_LM_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .into_iter()
            .chain(config.loaded_from.clone())
            .chain(crate::default_path())
            .chain(config.audit_path());
        for path in config_files {
            deny_exact.push(std::fs::canonicalize(&path).unwrap_or(path));
        }
        Ok(Self {
            roots,
            read_only: files.read_only,
            max_file_bytes: files.max_file_bytes,
            deny,
            deny_exact,
        })
    }

    /// The first root (relative paths are resolved against it).
    pub(crate) fn base(&self) -> &Path {
        &self.roots[0]
    }

    /// `Err(read_only)` in read-only mode.
    pub(crate) fn check_writable(&self) -> Result<(), ServiceError> {
        if self.read_only {
            return Err(ServiceError::new(
                403,
                "read_only",
                "the file tools are in read-only mode",
            )
            .hint("files.read_only is set in the server's config"));
        }
        Ok(())
    }

    /// Whether a canonical path is denied by the globs or is one of our own files.
    pub(crate) fn is_denied(&self, path: &Path) -> bool {
        if self.deny_exact.iter().any(|p| p == path) || self.deny.is_match(path) {
            return true;
        }
        self.roots.iter().any(|root| {
            path.strip_prefix(root)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && self.deny.is_match(rel))
        })
    }

    /// Whether a directory entry is denied: the path itself, or (for a directory) what it holds.
    pub(crate) fn is_denied_entry(&self, path: &Path, is_dir: bool) -> bool {
        self.is_denied(path) || (is_dir && self.is_denied(&path.join("_")))
    }

    /// Whether a canonical path lies inside a root.
    pub(crate) fn inside(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| path.starts_with(root))
    }

    /// Whether `path` is one of the roots.
    pub(crate) fn is_root(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| root == path)
    }

    /// The canonical path of `raw` (relative to the first root), which may not exist yet: its
    /// existing ancestor is canonicalised and the rest appended. Refuses paths outside the
    /// roots, denied paths and dangling symlinks.
    pub(crate) fn resolve(&self, raw: &str) -> Result<PathBuf, ServiceError> {
        if raw.is_empty() {
            return Err(ServiceError::bad_request("path is empty")
                .hint("give a path relative to the root, or an absolute one inside it"));
        }
        if raw.contains('\0') {
            return Err(ServiceError::bad_request("path contains a NUL byte"));
        }
        let joined = self.base().join(raw);
        let resolved = canonical_or_parent(&joined).map_err(|e| io_error(&e, &joined))?;
        let Some(resolved) = resolved else {
            return Err(outside(raw, self));
        };
        if !self.inside(&resolved) {
            return Err(outside(raw, self));
        }
        if self.is_denied_entry(&resolved, resolved.is_dir()) {
            return Err(ServiceError::new(
                403,
                "path_denied",
                format!("{raw} is denied by the server's policy"),
            )
            .hint("files.deny (and the server's own config and audit log) cannot be accessed"));
        }
        Ok(resolved)
    }

    /// `path` relative to the root holding it (for display), or `path` itself.
    pub(crate) fn display(&self, path: &Path) -> String {
        for root in &self.roots {
            if let Ok(rel) = path.strip_prefix(root) {
                if rel.as_os_str().is_empty() {
                    return ".".into();
                }
                return rel.to_string_lossy().into_owned();
            }
        }
        path.to_string_lossy().into_owned()
    }
}

fn outside(raw: &str, policy: &FilesPolicy) -> ServiceError {
    let roots: Vec<String> = policy
        .roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    ServiceError::new(
        403,
        "path_outside_roots",
        format!("{raw} is outside the allowed roots (after resolving .. and symlinks)"),
    )
    .hint(format!("allowed roots: {}", roots.join(", ")))
}

/// Canonical form of `path`; for a path that does not exist, its deepest existing ancestor
/// canonicalised with the missing components appended (`None` when those contain `..` or the
/// path is a dangling symlink).
fn canonical_or_parent(path: &Path) -> std::io::Result<Option<PathBuf>> {
    match std::fs::canonicalize(path) {
        Ok(path) => return Ok(Some(path)),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if std::fs::symlink_metadata(path).is_ok() {
        // A dangling symlink: writing through it would create its target anywhere.
        return Ok(None);
    }
    let mut missing = Vec::new();
    let mut current = path.to_path_buf();
    loop {
        let Some(name) = current.file_name().map(ToOwned::to_owned) else {
            return Ok(None);
        };
        missing.push(name);
        if !current.pop() {
            return Ok(None);
        }
        if std::fs::symlink_metadata(&current).is_ok() {
            break;
        }
    }
    let mut resolved = std::fs::canonicalize(&current)?;
    for name in missing.iter().rev() {
        if name == ".." || name == "." {
            return Ok(None);
        }
        resolved.push(name);
    }
    Ok(Some(resolved))
}

/// An I/O error as a [`ServiceError`] (`not_found`, `permission_denied` or `io_error`).
pub(crate) fn io_error(error: &std::io::Error, path: &Path) -> ServiceError {
    use std::io::ErrorKind as K;
    let shown = path.display();
    match error.kind() {
        K::NotFound => ServiceError::new(404, "not_found", format!("{shown} does not exist")),
        K::PermissionDenied => ServiceError::new(
            403,
            "permission_denied",
            format!("{shown}: permission denied"),
        ),
        K::AlreadyExists => ServiceError::new(409, "exists", format!("{shown} already exists")),
        _ => ServiceError::new(500, "io_error", format!("{shown}: {error}")),
    }
}
