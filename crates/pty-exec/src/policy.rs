//! What a [`Runner`](crate::Runner) allows and its defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::pattern::command_matches;
use crate::{EnvPolicy, Error, Result, Shell};

/// What to do when [`Policy::max_concurrent`] commands are already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenBusy {
    /// Wait for a slot (cancellable by dropping the future or with the command's token).
    #[default]
    Queue,
    /// Fail at once with [`Error::Busy`].
    Fail,
}

/// Defaults and limits of a [`Runner`](crate::Runner): shell, environment, deny patterns,
/// working-directory root, concurrency, timeout, output cap and kill grace.
///
/// Deny patterns are a guard rail against accidents, **not a sandbox**: a pattern matches
/// when it occurs anywhere in the command line (runs of whitespace count as one space, `*`
/// and `?` are wildcards, case matters), and a determined caller can always spell a command
/// differently.
///
/// ```
/// use std::time::Duration;
/// use pty_exec::{Policy, WhenBusy};
///
/// let policy = Policy::default()
///     .deny("rm -rf /")
///     .deny("mkfs*")
///     .max_concurrent(4)
///     .when_busy(WhenBusy::Fail)
///     .timeout(Duration::from_secs(20))
///     .max_output_bytes(1 << 20);
/// assert_eq!(policy.deny_patterns().len(), 2);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Policy {
    pub(crate) shell: Shell,
    pub(crate) env: EnvPolicy,
    pub(crate) deny: Vec<String>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) cwd_root: Option<PathBuf>,
    pub(crate) max_concurrent: Option<usize>,
    pub(crate) when_busy: WhenBusy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_output_bytes: usize,
    pub(crate) kill_grace: Duration,
    pub(crate) leftover_grace: Duration,
}

impl Default for Policy {
    /// `/bin/sh -c`, the default [`EnvPolicy`], no deny pattern, our working directory, no
    /// concurrency limit, a 20 s timeout, 1 MiB per stream, 2 s between `SIGTERM` and
    /// `SIGKILL`, 250 ms for background leftovers.
    fn default() -> Self {
        Self {
            shell: Shell::default(),
            env: EnvPolicy::default(),
            deny: Vec::new(),
            cwd: None,
            cwd_root: None,
            max_concurrent: None,
            when_busy: WhenBusy::Queue,
            timeout: Some(Self::DEFAULT_TIMEOUT),
            max_output_bytes: Self::DEFAULT_MAX_OUTPUT_BYTES,
            kill_grace: Duration::from_secs(2),
            leftover_grace: Duration::from_millis(250),
        }
    }
}

impl Policy {
    /// The default time limit of a command: 20 s, like the original server's
    /// `terminal.timeout`.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    /// The default cap per output stream: 1 MiB.
    pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1 << 20;

    /// The shell commands run through (default [`Shell::system`]).
    pub fn shell(mut self, shell: Shell) -> Self {
        self.shell = shell;
        self
    }

    /// The environment policy (default [`EnvPolicy::default`]).
    pub fn env(mut self, env: EnvPolicy) -> Self {
        self.env = env;
        self
    }

    /// Refuses commands containing `pattern` (see the type's documentation).
    pub fn deny(mut self, pattern: impl Into<String>) -> Self {
        let pattern = pattern.into();
        if !pattern.trim().is_empty() {
            self.deny.push(pattern);
        }
        self
    }

    /// Default working directory, and the base of relative ones (default: ours, or the root).
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Refuses working directories outside `root` (after resolving symbolic links).
    pub fn cwd_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.cwd_root = Some(root.into());
        self
    }

    /// At most `limit` commands at a time (at least 1); see [`WhenBusy`].
    pub fn max_concurrent(mut self, limit: usize) -> Self {
        self.max_concurrent = Some(limit.max(1));
        self
    }

    /// What to do when the concurrency limit is reached (default [`WhenBusy::Queue`]).
    pub fn when_busy(mut self, when_busy: WhenBusy) -> Self {
        self.when_busy = when_busy;
        self
    }

    /// Default time limit of a command.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No default time limit (a [`Command::timeout`](crate::Command::timeout) still applies).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Default cap of each output stream, in bytes.
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = bytes;
        self
    }

    /// Time between `SIGTERM` and `SIGKILL` when a command is killed (default 2 s).
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    /// How long to keep reading after the shell exits while background processes it started
    /// still hold its output open (default 250 ms); then they are killed like on a timeout.
    pub fn leftover_grace(mut self, grace: Duration) -> Self {
        self.leftover_grace = grace;
        self
    }

    /// The deny patterns.
    #[must_use]
    pub fn deny_patterns(&self) -> &[String] {
        &self.deny
    }

    /// The environment policy.
    pub fn env_policy(&self) -> &EnvPolicy {
        &self.env
    }

    /// The concurrency limit, if any.
    #[must_use]
    pub fn concurrency_limit(&self) -> Option<usize> {
        self.max_concurrent
    }

    /// Checks `command` against the deny patterns.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] naming the first pattern that matches.
    pub fn check_command(&self, command: &str) -> Result<()> {
        match self.deny.iter().find(|p| command_matches(p, command)) {
            Some(pattern) => Err(Error::Denied {
                command: command.to_owned(),
                pattern: pattern.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Resolves the working directory of a run: `asked` (relative to the policy's directory
    /// or root), else the policy's directory, else the root, else `None` (ours).
    ///
    /// # Errors
    ///
    /// [`Error::CwdNotFound`] if it is not an existing directory, [`Error::CwdOutsideRoot`]
    /// if a root is set and the directory is outside it.
    pub fn resolve_cwd(&self, asked: Option<&Path>) -> Result<Option<PathBuf>> {
        let base = self.cwd.as_ref().or(self.cwd_root.as_ref());
        let path = match (asked, base) {
            (Some(asked), Some(base)) => Some(base.join(asked)),
            (Some(asked), None) => Some(asked.to_path_buf()),
            (None, base) => base.cloned(),
        };
        let Some(path) = path else {
            return Ok(None);
        };
        if !path.is_dir() {
            return Err(Error::CwdNotFound { cwd: path });
        }
        let Some(root) = &self.cwd_root else {
            return Ok(Some(path));
        };
        let root = root
            .canonicalize()
            .map_err(|_| Error::CwdNotFound { cwd: root.clone() })?;
        let canonical = path
            .canonicalize()
            .map_err(|_| Error::CwdNotFound { cwd: path.clone() })?;
        if canonical.starts_with(&root) {
            Ok(Some(canonical))
        } else {
            Err(Error::CwdOutsideRoot {
                cwd: canonical,
                root,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_patterns() {
        let policy = Policy::default().deny("rm -rf /").deny("   ");
        assert_eq!(policy.deny_patterns(), ["rm -rf /"]);
        assert!(policy.check_command("ls").is_ok());
        let error = policy.check_command("sudo rm  -rf /").unwrap_err();
        assert!(matches!(error, Error::Denied { ref pattern, .. } if pattern == "rm -rf /"));
    }

    #[test]
    fn cwd_resolution() {
        let tmp = std::env::temp_dir();
        let policy = Policy::default();
        assert_eq!(policy.resolve_cwd(None).unwrap(), None);
        assert_eq!(policy.resolve_cwd(Some(&tmp)).unwrap(), Some(tmp.clone()));
        let missing = tmp.join("pty-exec-no-such-dir");
        assert!(matches!(
            policy.resolve_cwd(Some(&missing)),
            Err(Error::CwdNotFound { .. })
        ));

        let rooted = Policy::default().cwd_root(&tmp);
        let root = tmp.canonicalize().unwrap();
        assert_eq!(rooted.resolve_cwd(None).unwrap(), Some(root.clone()));
        assert_eq!(
            rooted.resolve_cwd(Some(Path::new("."))).unwrap(),
            Some(root)
        );
        let error = rooted.resolve_cwd(Some(Path::new(".."))).unwrap_err();
        assert!(matches!(error, Error::CwdOutsideRoot { .. }), "{error}");
        assert!(error.is_denied());
    }
}
