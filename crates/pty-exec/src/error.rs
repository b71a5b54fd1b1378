//! The crate's error type.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::Signal;

/// Everything that can go wrong while starting or driving a command or a terminal session.
///
/// A command that runs and fails (non-zero exit, killed by a signal, timed out) is **not** an
/// error: it is an [`Output`](crate::Output) with `exit_code`, `signal` and `timed_out` set.
/// Errors are for what prevents running at all, or for misuse of a session or job.
///
/// `Display` prints only this level; the cause, when there is one, is in
/// [`source()`](std::error::Error::source). The wording of messages is not part of the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The shell (or the program of a PTY session) could not be started.
    #[error("could not start `{command}`")]
    SpawnFailed {
        /// The command line that was to be run.
        command: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The working directory does not exist or is not a directory.
    #[error("working directory {cwd:?} does not exist or is not a directory")]
    CwdNotFound {
        /// The directory as resolved (relative paths joined to the policy's directory).
        cwd: PathBuf,
    },
    /// The working directory is outside the policy's root.
    #[error("working directory {cwd:?} is outside the allowed root {root:?}")]
    CwdOutsideRoot {
        /// The directory asked for, canonicalized.
        cwd: PathBuf,
        /// The configured root, canonicalized.
        root: PathBuf,
    },
    /// The command matched one of the policy's deny patterns and was not run.
    #[error("command refused by deny pattern {pattern:?}")]
    Denied {
        /// The refused command line.
        command: String,
        /// The pattern it matched.
        pattern: String,
    },
    /// The policy's limit of concurrent commands is reached and the policy says to refuse
    /// rather than queue.
    #[error("too many commands running (limit {limit})")]
    Busy {
        /// The configured limit.
        limit: usize,
    },
    /// The command was cancelled while it waited for a free slot, before it started.
    #[error("`{command}` was cancelled before it started (waited {waited:?})")]
    Cancelled {
        /// The command line.
        command: String,
        /// How long it waited in the queue.
        waited: Duration,
    },
    /// Reading the output of a running command or waiting for it failed.
    #[error("i/o error while running `{command}` after {elapsed:?}")]
    Io {
        /// The command line.
        command: String,
        /// Time since the command started.
        elapsed: Duration,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// No tokio runtime is running on this thread.
    #[error("pty-exec needs a tokio runtime (call it from within one)")]
    NoRuntime,
    /// A pseudo-terminal could not be allocated.
    #[error("could not open a pseudo-terminal")]
    PtyOpen {
        /// The cause, as reported by the PTY layer.
        #[source]
        source: io::Error,
    },
    /// The program of a PTY session could not be started.
    #[error("could not start {program:?} in a pseudo-terminal")]
    PtySpawn {
        /// The program.
        program: PathBuf,
        /// The cause, as reported by the PTY layer.
        #[source]
        source: io::Error,
    },
    /// A terminal size with zero columns or rows.
    #[error("invalid terminal size {cols}x{rows} (both must be at least 1)")]
    InvalidSize {
        /// Requested columns.
        cols: u16,
        /// Requested rows.
        rows: u16,
    },
    /// Resizing the terminal failed.
    #[error("could not resize the terminal of session {id}")]
    Resize {
        /// The session.
        id: String,
        /// The cause, as reported by the PTY layer.
        #[source]
        source: io::Error,
    },
    /// A signal could not be delivered.
    #[error("could not send {signal} to process group {pgid}")]
    SignalFailed {
        /// The signal.
        signal: Signal,
        /// The process group it was sent to.
        pgid: u32,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The signal cannot be sent on this platform.
    #[error("{signal} is not supported on this platform")]
    SignalUnsupported {
        /// The signal.
        signal: Signal,
    },
    /// A signal name that is not one of `INT`, `TERM`, `KILL`, `HUP`, `QUIT`.
    #[error("unknown signal {name:?} (expected INT, TERM, KILL, HUP or QUIT)")]
    UnknownSignal {
        /// The name given.
        name: String,
    },
    /// Input was sent to a session whose program has exited or that was closed.
    #[error("session {id} has exited")]
    SessionExited {
        /// The session.
        id: String,
    },
    /// No session with this id or name.
    #[error("no session with id or name {id:?}")]
    SessionNotFound {
        /// The id or name looked up.
        id: String,
    },
    /// The session manager's limit is reached.
    #[error("session limit reached ({limit} sessions)")]
    SessionLimit {
        /// The configured limit.
        limit: usize,
    },
    /// Another live session already has this name.
    #[error("session name {name:?} is already taken")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// A session name or an id that is empty, too long or has characters outside
    /// `A-Z a-z 0-9 - _ .`.
    #[error("invalid name or id {value:?}: use 1 to 64 characters from A-Z a-z 0-9 - _ .")]
    InvalidName {
        /// The refused value.
        value: String,
    },
    /// No background job with this id.
    #[error("no job with id {id:?}")]
    JobNotFound {
        /// The id looked up.
        id: String,
    },
    /// The session manager's limit of running background jobs is reached.
    #[error("job limit reached ({limit} jobs running)")]
    JobLimit {
        /// The configured limit.
        limit: usize,
    },
}

impl Error {
    /// `true` for [`Error::Busy`] and the session and job limits: retrying later may succeed.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Busy { .. } | Self::SessionLimit { .. } | Self::JobLimit { .. }
        )
    }

    /// `true` when a session or job id is unknown.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::SessionNotFound { .. } | Self::JobNotFound { .. }
        )
    }

    /// `true` when the policy refused the command (deny pattern or working directory).
    #[must_use]
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::Denied { .. } | Self::CwdOutsideRoot { .. })
    }

    /// `true` when the caller's input was at fault (bad directory, bad size, bad name,
    /// unknown signal, refused command, exited session) rather than the system.
    #[must_use]
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::CwdNotFound { .. }
                | Self::CwdOutsideRoot { .. }
                | Self::Denied { .. }
                | Self::InvalidSize { .. }
                | Self::UnknownSignal { .. }
                | Self::InvalidName { .. }
                | Self::NameTaken { .. }
                | Self::SessionExited { .. }
                | Self::SessionNotFound { .. }
                | Self::JobNotFound { .. }
        )
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let errors = [
            Error::Busy { limit: 4 },
            Error::CwdNotFound {
                cwd: PathBuf::from("/nope"),
            },
            Error::SpawnFailed {
                command: "x".into(),
                source: io::Error::other("boom"),
            },
            Error::UnknownSignal { name: "FOO".into() },
        ];
        for error in errors {
            let message = error.to_string();
            assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
            assert!(!message.ends_with('.'), "{message}");
            assert!(!message.contains("boom"), "cause repeated: {message}");
        }
    }

    #[test]
    fn predicates() {
        assert!(Error::Busy { limit: 1 }.is_busy());
        assert!(Error::JobNotFound { id: "j".into() }.is_not_found());
        assert!(
            Error::Denied {
                command: "rm".into(),
                pattern: "rm".into()
            }
            .is_denied()
        );
        assert!(!Error::NoRuntime.is_user_error());
    }
}
