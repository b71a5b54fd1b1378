//! The shell that one-shot commands run through.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A program plus the arguments that make it run one command line: `/bin/sh -c` by default
/// (`cmd.exe /C` on Windows). The command line is appended as the last argument.
///
/// ```
/// use pty_exec::Shell;
///
/// let bash = Shell::new("/bin/bash").arg("-o").arg("pipefail").arg("-c");
/// assert_eq!(bash.program(), std::path::Path::new("/bin/bash"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Shell {
    program: PathBuf,
    args: Vec<OsString>,
}

impl Default for Shell {
    fn default() -> Self {
        Self::system()
    }
}

impl Shell {
    /// `program` with no arguments yet; add the flag that takes a command, e.g. `-c`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// Appends an argument placed before the command line.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The platform's standard shell: `/bin/sh -c` on Unix, `cmd.exe /C` on Windows.
    pub fn system() -> Self {
        if cfg!(windows) {
            Self::new("cmd.exe").arg("/C")
        } else {
            Self::new("/bin/sh").arg("-c")
        }
    }

    /// The user's shell from `$SHELL` with `-c`, or [`Shell::system`] when `$SHELL` is unset
    /// or empty (or on Windows).
    pub fn from_env() -> Self {
        match std::env::var_os("SHELL") {
            Some(shell) if !shell.is_empty() && !cfg!(windows) => Self::new(shell).arg("-c"),
            _ => Self::system(),
        }
    }

    /// The program.
    #[must_use]
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The arguments placed before the command line.
    #[must_use]
    pub fn args(&self) -> &[OsString] {
        &self.args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_shell() {
        let shell = Shell::default();
        if cfg!(unix) {
            assert_eq!(shell.program(), Path::new("/bin/sh"));
            assert_eq!(shell.args(), [OsString::from("-c")]);
        }
    }
}
