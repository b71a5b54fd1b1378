//! How to start a terminal session.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::EnvPolicy;

/// The program, directory, environment, size and buffers of a terminal [`Session`].
///
/// The program defaults to `$SHELL`, or when unset the user's login shell, or `/bin/sh`
/// (`%COMSPEC%` or `cmd.exe` on Windows), started without arguments, so as an interactive but not a login shell. The
/// environment follows an [`EnvPolicy`] like one-shot commands, plus `TERM` (default
/// `xterm-256color`). `Debug` shows variable names only.
///
/// ```
/// use pty_exec::PtyConfig;
///
/// let config = PtyConfig::default()
///     .program("/bin/bash")
///     .arg("--norc")
///     .cwd("/tmp")
///     .env("PS1", "$ ")
///     .size(120, 40)
///     .scrollback_bytes(512 * 1024);
/// assert_eq!(config.cols(), 120);
/// ```
///
/// [`Session`]: crate::Session
#[derive(Clone)]
#[must_use]
pub struct PtyConfig {
    pub(crate) program: Option<PathBuf>,
    pub(crate) args: Vec<OsString>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) env_policy: EnvPolicy,
    pub(crate) term: String,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    pub(crate) scrollback_bytes: usize,
    pub(crate) subscriber_buffer_bytes: usize,
    pub(crate) output_wait: Duration,
    pub(crate) close_grace: Duration,
}

impl Default for PtyConfig {
    /// The user's shell, 80×24, 256 KiB of scrollback, 1 MiB per subscriber, output waiting
    /// up to 2 s for a full subscriber, 500 ms between `SIGHUP` and `SIGKILL` on close.
    fn default() -> Self {
        Self {
            program: None,
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            env_policy: EnvPolicy::default(),
            term: "xterm-256color".to_owned(),
            cols: 80,
            rows: 24,
            scrollback_bytes: 256 * 1024,
            subscriber_buffer_bytes: 1 << 20,
            output_wait: Duration::from_secs(2),
            close_grace: Duration::from_millis(500),
        }
    }
}

impl PtyConfig {
    /// Runs `program` instead of the user's shell.
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// Appends an argument to the program.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Working directory (default: ours).
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets an environment variable (on top of the policy's scrubbed environment).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The environment policy (default [`EnvPolicy::default`]).
    pub fn env_policy(mut self, policy: EnvPolicy) -> Self {
        self.env_policy = policy;
        self
    }

    /// The `TERM` variable (default `xterm-256color`).
    pub fn term(mut self, term: impl Into<String>) -> Self {
        self.term = term.into();
        self
    }

    /// Initial size in columns and rows (default 80×24).
    pub fn size(mut self, cols: u16, rows: u16) -> Self {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// Bytes of output kept for [`Session::snapshot`](crate::Session::snapshot)
    /// (default 256 KiB).
    pub fn scrollback_bytes(mut self, bytes: usize) -> Self {
        self.scrollback_bytes = bytes;
        self
    }

    /// Bytes of output queued per subscriber before it is considered lagging (default 1 MiB,
    /// at least 1).
    pub fn subscriber_buffer_bytes(mut self, bytes: usize) -> Self {
        self.subscriber_buffer_bytes = bytes.max(1);
        self
    }

    /// Flow control: how long the terminal's output may wait for a subscriber whose buffer
    /// is full (default 2 s). Meanwhile the session stops reading the terminal, so the program
    /// blocks on its writes as with a slow real terminal, and nothing is lost. A subscriber
    /// that does not make room in time is skipped from then on (it gets
    /// [`SessionEvent::Lagged`](crate::SessionEvent::Lagged) for what it misses) until it has
    /// caught up with its queue. `Duration::ZERO` never waits: a full subscriber lags at once.
    pub fn output_wait(mut self, wait: Duration) -> Self {
        self.output_wait = wait;
        self
    }

    /// Time between `SIGHUP` and `SIGKILL` when the session is closed (default 500 ms).
    pub fn close_grace(mut self, grace: Duration) -> Self {
        self.close_grace = grace;
        self
    }

    /// The program that will run: the configured one, else `$SHELL`, else the user's login
    /// shell from the password database (so that a server started without `$SHELL`, as by a
    /// service manager, still opens the user's own shell), else `/bin/sh` (`%COMSPEC%`, else
    /// `cmd.exe`, on Windows). The same order as tmux.
    #[must_use]
    pub fn resolved_program(&self) -> PathBuf {
        if let Some(program) = &self.program {
            return program.clone();
        }
        let (variable, fallback) = if cfg!(windows) {
            ("COMSPEC", "cmd.exe")
        } else {
            ("SHELL", "/bin/sh")
        };
        match std::env::var_os(variable) {
            Some(shell) if !shell.is_empty() => PathBuf::from(shell),
            _ => login_shell().unwrap_or_else(|| PathBuf::from(fallback)),
        }
    }

    /// Columns.
    #[must_use]
    pub fn cols(&self) -> u16 {
        self.cols
    }

    /// Rows.
    #[must_use]
    pub fn rows(&self) -> u16 {
        self.rows
    }

    /// The working directory asked for, if any.
    #[must_use]
    pub fn working_dir(&self) -> Option<&Path> {
        self.cwd.as_deref()
    }
}

impl fmt::Debug for PtyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PtyConfig")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("cwd", &self.cwd)
            .field(
                "env",
                &self.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("env_policy", &self.env_policy)
            .field("term", &self.term)
            .field("cols", &self.cols)
            .field("rows", &self.rows)
            .field("scrollback_bytes", &self.scrollback_bytes)
            .field("subscriber_buffer_bytes", &self.subscriber_buffer_bytes)
            .field("output_wait", &self.output_wait)
            .field("close_grace", &self.close_grace)
            .finish()
    }
}

/// The current user's login shell from the password database, if it names an existing file.
#[cfg(unix)]
fn login_shell() -> Option<PathBuf> {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
    (!user.shell.as_os_str().is_empty() && user.shell.is_file()).then_some(user.shell)
}

#[cfg(not(unix))]
fn login_shell() -> Option<PathBuf> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_env_values() {
        let config = PtyConfig::default().env("GITHUB_TOKEN", "ghp_secret");
        let debug = format!("{config:?}");
        assert!(debug.contains("GITHUB_TOKEN"));
        assert!(!debug.contains("ghp_secret"));
    }

    #[test]
    fn explicit_program_wins() {
        let config = PtyConfig::default().program("/bin/dash");
        assert_eq!(config.resolved_program(), PathBuf::from("/bin/dash"));
        assert!(
            !PtyConfig::default()
                .resolved_program()
                .as_os_str()
                .is_empty()
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_login_shell_is_the_one_in_etc_passwd() {
        let uid = nix::unistd::getuid().to_string();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let listed = passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.len() == 7 && fields[2] == uid)
            .map(|fields| PathBuf::from(fields[6]))
            .filter(|shell| shell.is_file());
        // Users from elsewhere (LDAP, NSS modules) are not in the file: then only check that
        // whatever is found exists.
        match listed {
            Some(shell) => assert_eq!(login_shell(), Some(shell)),
            None => assert!(login_shell().is_none_or(|shell| shell.is_file())),
        }
    }
}
