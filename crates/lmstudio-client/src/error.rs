//! The crate's one error type.

use std::time::Duration;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to LM Studio, Ollama or another OpenAI-compatible
/// server.
///
/// Variants that come from an HTTP answer keep the raw `body` (at most 64 KiB of it), so a
/// caller can always show what the server really said. Messages never contain the API token.
/// Match on the variants, or use the predicates ([`is_timeout`](Error::is_timeout),
/// [`is_connect`](Error::is_connect), [`status`](Error::status)…) that stay stable if variants
/// are reorganised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The builder was given a value it cannot use.
    #[error("invalid client configuration: {reason}")]
    Config {
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// Nothing answered at the base URL (connection refused, DNS failure, reset before a reply).
    #[error("the server at {url} is unreachable")]
    Unreachable {
        /// The URL that was tried.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// No answer (or, while streaming, no next chunk) within the configured time.
    #[error("request to {url} timed out after {after:?}")]
    Timeout {
        /// The URL that was tried.
        url: String,
        /// The limit that was reached.
        after: Duration,
    },
    /// The requested model does not exist on the server (HTTP 404: LM Studio's
    /// `model_not_found`, Ollama's `model '…' not found`).
    #[error("model {model:?} not found")]
    ModelNotFound {
        /// The model id that was asked for.
        model: String,
        /// The model ids the server listed in its answer, if any.
        available: Vec<String>,
        /// Raw response body.
        body: String,
    },
    /// No model is loaded and none could be loaded just in time.
    #[error(
        "no model is loaded (load one in LM Studio or with `lms load <model>`; for Ollama, `ollama pull <model>`)"
    )]
    NoModelLoaded {
        /// Raw response body (empty when the client found out from the model list).
        body: String,
    },
    /// The prompt does not fit in the loaded context length.
    #[error("the prompt does not fit in the model's context")]
    ContextOverflow {
        /// The server's explanation.
        message: String,
        /// Raw response body.
        body: String,
    },
    /// The server's own API token (LM Studio's, or a proxy's in front of another server) is
    /// missing or was refused (HTTP 401 or `invalid_api_key`).
    #[error("the server refused the request's API token")]
    Unauthorized {
        /// HTTP status of the answer.
        status: u16,
        /// The server's explanation.
        message: String,
        /// Raw response body.
        body: String,
    },
    /// LM Studio does not serve this route: it answers **200** with
    /// `{"error":"Unexpected endpoint or method. (METHOD /path)"}` (often a wrong base URL or a
    /// server too old for the API family).
    #[error("the server does not know {method} {path}")]
    UnknownEndpoint {
        /// The method the server echoed.
        method: String,
        /// The path the server echoed.
        path: String,
        /// Raw response body.
        body: String,
    },
    /// The server rejected the request's parameters (HTTP 400 or 422).
    #[error("the server rejected the request (HTTP {status}): {message}")]
    InvalidRequest {
        /// HTTP status of the answer.
        status: u16,
        /// The server's explanation.
        message: String,
        /// Raw response body.
        body: String,
    },
    /// Any other failed answer.
    #[error("the server answered HTTP {status}")]
    Api {
        /// HTTP status of the answer.
        status: u16,
        /// Raw response body.
        body: String,
    },
    /// The answer was not the JSON this client expected.
    #[error("could not decode the answer from {url}")]
    Decode {
        /// The URL that answered.
        url: String,
        /// The start of the body that failed to decode (at most 64 KiB).
        body: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stream ended (connection closed or broken) before its final event.
    #[error("the stream was interrupted after {events} events")]
    StreamInterrupted {
        /// How many events (SSE events or NDJSON lines) had arrived.
        events: u64,
        /// The transport error, if the connection broke rather than ended.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The server sent an error event in the middle of a stream.
    #[error("the server reported an error mid-stream: {message}")]
    StreamError {
        /// The error's type or code, when the server gave one.
        kind: Option<String>,
        /// The server's explanation.
        message: String,
    },
    /// Another transport failure (TLS, protocol error, body read failure).
    #[error("the HTTP request to {url} failed")]
    Http {
        /// The URL that was tried.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
}

impl Error {
    /// True when a time limit was reached (also when a transport error in the source chain is
    /// a timeout).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            Self::Http { source, .. } | Self::Unreachable { source, .. } => source.is_timeout(),
            Self::StreamInterrupted {
                source: Some(source),
                ..
            } => source.is_timeout(),
            _ => false,
        }
    }

    /// True when the server could not be reached at all.
    #[must_use]
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// True for errors that a retry with a different model or prompt could fix, rather than a
    /// transport or server problem.
    #[must_use]
    pub fn is_request_problem(&self) -> bool {
        matches!(
            self,
            Self::ModelNotFound { .. }
                | Self::NoModelLoaded { .. }
                | Self::ContextOverflow { .. }
                | Self::InvalidRequest { .. }
        )
    }

    /// The HTTP status of the answer that caused the error, when there was one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::ModelNotFound { .. } | Self::NoModelLoaded { .. } => Some(404),
            Self::Unauthorized { status, .. }
            | Self::InvalidRequest { status, .. }
            | Self::Api { status, .. } => Some(*status),
            Self::UnknownEndpoint { .. } => Some(200),
            _ => None,
        }
    }

    /// The raw body of the answer that caused the error, when there was one.
    #[must_use]
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::ModelNotFound { body, .. }
            | Self::NoModelLoaded { body }
            | Self::ContextOverflow { body, .. }
            | Self::Unauthorized { body, .. }
            | Self::UnknownEndpoint { body, .. }
            | Self::InvalidRequest { body, .. }
            | Self::Api { body, .. }
            | Self::Decode { body, .. } => Some(body),
            _ => None,
        }
    }
}
