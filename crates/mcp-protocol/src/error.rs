//! The crate's Rust errors (the wire errors are [`RpcError`](crate::RpcError) values).

use std::fmt;

/// What can go wrong building or serving a server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server definition is invalid.
    #[error("invalid server definition: {}", problems.join("; "))]
    InvalidDefinition {
        /// Every problem found.
        problems: Vec<String>,
    },
    /// The operating system had no randomness for the key that signs `requestState` (see
    /// [`ServerBuilder::request_state_key`](crate::ServerBuilder::request_state_key)).
    #[error("no randomness available for the request-state key")]
    NoRandomness,
    /// Reading or writing the transport failed.
    #[error("transport I/O failed")]
    Io {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A tool's failure. It becomes a result with `isError: true` and this message, so the model
/// can read it and try again differently; it is not a protocol error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// A failure with this explanation for the model.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// A failure from any error, with its causes joined by `: `.
    #[must_use]
    pub fn from_error(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self { message }
    }

    /// The explanation.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<std::io::Error> for ToolError {
    fn from(error: std::io::Error) -> Self {
        Self::from_error(&error)
    }
}

impl From<serde_json::Error> for ToolError {
    fn from(error: serde_json::Error) -> Self {
        Self::from_error(&error)
    }
}

impl From<crate::RpcError> for ToolError {
    fn from(error: crate::RpcError) -> Self {
        Self::new(error.message)
    }
}
