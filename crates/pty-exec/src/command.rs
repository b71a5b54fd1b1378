//! One command to run: the command line and its per-run options.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::Shell;

/// A command line to run with [`Runner::run`](crate::Runner::run) or
/// [`Runner::spawn`](crate::Runner::spawn), with options that override the runner's
/// [`Policy`](crate::Policy) for this run.
///
/// `Debug` shows the names of [`env`](Self::env) variables and the length of the input,
/// never their contents.
///
/// ```
/// use std::time::Duration;
/// use pty_exec::Command;
///
/// let command = Command::new("grep -c needle")
///     .stdin("hay\nneedle\n")
///     .env("LC_ALL", "C")
///     .timeout(Duration::from_secs(5))
///     .max_output_bytes(64 * 1024);
/// assert_eq!(command.command_line(), "grep -c needle");
/// ```
#[derive(Clone)]
#[must_use]
pub struct Command {
    pub(crate) cmd: String,
    pub(crate) shell: Option<Shell>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) stdin: Option<Bytes>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) no_timeout: bool,
    pub(crate) max_output_bytes: Option<usize>,
    pub(crate) cancel: Option<CancellationToken>,
}

impl Command {
    /// A command line, run through the shell (`/bin/sh -c` unless configured otherwise).
    pub fn new(cmd: impl Into<String>) -> Self {
        Self {
            cmd: cmd.into(),
            shell: None,
            cwd: None,
            env: Vec::new(),
            stdin: None,
            timeout: None,
            no_timeout: false,
            max_output_bytes: None,
            cancel: None,
        }
    }

    /// Runs through `shell` instead of the policy's shell.
    pub fn shell(mut self, shell: Shell) -> Self {
        self.shell = Some(shell);
        self
    }

    /// Working directory; a relative path is resolved against the policy's directory.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets an environment variable for this run (on top of the policy's scrubbed
    /// environment).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Bytes written to the command's standard input, which is then closed. Without it,
    /// standard input is `/dev/null`.
    pub fn stdin(mut self, input: impl Into<Bytes>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Kills the command (its whole process group) after `timeout`, overriding the policy's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self.no_timeout = false;
        self
    }

    /// Runs without a time limit, whatever the policy's default. Prefer a long timeout.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self.no_timeout = true;
        self
    }

    /// Stores at most this many bytes of each of stdout and stderr (the rest is read and
    /// discarded), overriding the policy's cap.
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = Some(bytes);
        self
    }

    /// Kills the command (gracefully, like a timeout) when `token` is cancelled. Cancelling
    /// before the command starts makes it fail with
    /// [`Error::Cancelled`](crate::Error::Cancelled) if it is still queued.
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// The command line.
    #[must_use]
    pub fn command_line(&self) -> &str {
        &self.cmd
    }

    /// The working directory asked for, if any.
    #[must_use]
    pub fn working_dir(&self) -> Option<&Path> {
        self.cwd.as_deref()
    }

    /// The time limit asked for, if any (`None` also when the policy's applies).
    #[must_use]
    pub fn time_limit(&self) -> Option<Duration> {
        self.timeout
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("cmd", &self.cmd)
            .field("shell", &self.shell)
            .field("cwd", &self.cwd)
            .field(
                "env",
                &self.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("stdin_len", &self.stdin.as_ref().map(Bytes::len))
            .field("timeout", &self.timeout)
            .field("no_timeout", &self.no_timeout)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_env_values_and_input() {
        let command = Command::new("env")
            .env("API_TOKEN", "hunter2")
            .stdin("password123");
        let debug = format!("{command:?}");
        assert!(debug.contains("API_TOKEN"));
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("password123"));
    }

    #[test]
    fn timeout_and_no_timeout_override_each_other() {
        let command = Command::new("x")
            .no_timeout()
            .timeout(Duration::from_secs(1));
        assert_eq!(command.time_limit(), Some(Duration::from_secs(1)));
        assert!(!command.no_timeout);
        let command = command.no_timeout();
        assert_eq!(command.time_limit(), None);
        assert!(command.no_timeout);
    }
}
