//! [`Failure`]: an error a user can act on (message, hint, exit code), and [`report`], which
//! prints any error as `error: …` plus `hint: …` on stderr and picks the exit code.

use std::{fmt, io::Write, process::ExitCode};

use mcp_lm_core::ServiceError;

use crate::style::Paint;

/// A failure with a hint and an exit code (1 unless said otherwise).
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The process exit code.
    pub code: u8,
}

impl Failure {
    /// A failure with exit code 1.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the exit code.
    #[must_use]
    pub fn code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Self {
        Self {
            message: format!("{} ({})", error.message, error.code),
            hint: error.hint,
            code: 1,
        }
    }
}

/// `true` when the error comes from writing to a closed pipe (`mcp-lm … | head`).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints the error on stderr (`error: …`, `hint: …`) and returns the exit code: the
/// [`Failure`]'s, 0 for a broken pipe on stdout (the reader has all it wanted), else 1.
#[must_use]
pub fn report(error: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(error) {
        return ExitCode::SUCCESS;
    }
    let paint = Paint::stderr();
    let mut stderr = std::io::stderr().lock();
    let label = paint.red_bold("error:");
    match error.downcast_ref::<Failure>() {
        Some(failure) => {
            let _ = writeln!(stderr, "{label} {}", failure.message);
            if let Some(hint) = &failure.hint {
                let _ = writeln!(stderr, "{} {hint}", paint.yellow("hint:"));
            }
            ExitCode::from(failure.code)
        }
        None => {
            let _ = writeln!(stderr, "{label} {error:#}");
            ExitCode::FAILURE
        }
    }
}
