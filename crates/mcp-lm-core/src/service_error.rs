//! [`ServiceError`]: a failure as both surfaces show it — an HTTP status and the REST error body
//! `{"success":false,"error":{"code","message","hint"}}`, or an MCP `isError` result text.

use serde::Serialize;
use serde_json::{Value, json};

/// A failure a user can act on: a stable code, a message and, where it helps, a hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceError {
    /// HTTP status for the REST API.
    #[serde(skip)]
    pub status: u16,
    /// Stable machine-readable code, e.g. `lm_unreachable`.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ServiceError {
    /// A failure with a status, code and message.
    #[must_use]
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `400 invalid_request`.
    #[must_use]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }

    /// The REST error body.
    #[must_use]
    pub fn body(&self) -> Value {
        json!({ "success": false, "error": self })
    }

    /// The text an MCP tool result shows the model.
    #[must_use]
    pub fn tool_text(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{} ({})\nHint: {hint}", self.message, self.code),
            None => format!("{} ({})", self.message, self.code),
        }
    }
}

/// Deserializes request arguments; errors name the field (`400 invalid_request`).
pub(crate) fn parse_args<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ServiceError> {
    serde_path_to_error::deserialize(value).map_err(|e| ServiceError::bad_request(e.to_string()))
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<lmstudio_client::Error> for ServiceError {
    fn from(error: lmstudio_client::Error) -> Self {
        use lmstudio_client::Error as E;
        let message = error.to_string();
        match &error {
            E::Unreachable { .. } => Self::new(503, "lm_unreachable", message)
                .hint("start LM Studio's server (Developer tab, or `lms server start`) or check lmstudio.host"),
            E::Timeout { .. } => Self::new(504, "lm_timeout", message)
                .hint("the model may be loading or the answer is long; raise lmstudio.request_timeout or max_tokens"),
            E::ModelNotFound { available, .. } => {
                let hint = if available.is_empty() {
                    "use GET /lm/models to see the models LM Studio has".to_owned()
                } else {
                    format!("available models: {}", available.join(", "))
                };
                Self::new(404, "model_not_found", message).hint(hint)
            }
            E::NoModelLoaded { .. } => Self::new(503, "no_model_loaded", message)
                .hint("load a model in LM Studio, or with `lms load <model>`, or name a downloaded model"),
            E::ContextOverflow { message: detail, .. } => Self::new(413, "context_overflow", format!("{message}: {detail}"))
                .hint("shorten the prompt or load the model with a larger context length"),
            E::Unauthorized { .. } => Self::new(502, "lm_unauthorized", message)
                .hint("LM Studio requires an API token: set lmstudio.api_token (or MCP_LM_LMSTUDIO_API_TOKEN)"),
            E::UnknownEndpoint { .. } => Self::new(502, "lm_unknown_endpoint", message)
                .hint("check lmstudio.host and lmstudio.api_version (native needs LM Studio 0.4+)"),
            E::InvalidRequest { .. } => Self::new(400, "lm_invalid_request", message),
            E::Decode { .. } => Self::new(502, "lm_bad_response", chain(&error)),
            E::StreamInterrupted { .. } | E::StreamError { .. } => Self::new(502, "lm_stream_failed", chain(&error)),
            _ => Self::new(502, "lm_error", chain(&error)),
        }
    }
}

impl From<pty_exec::Error> for ServiceError {
    fn from(error: pty_exec::Error) -> Self {
        use pty_exec::Error as E;
        let message = error.to_string();
        match &error {
            E::Denied { .. } => Self::new(403, "command_denied", message)
                .hint("the server's terminal.deny list refuses it"),
            E::Busy { .. } => {
                Self::new(429, "busy", message).hint("wait for running commands to finish")
            }
            E::CwdNotFound { .. } | E::CwdOutsideRoot { .. } => {
                Self::new(400, "invalid_cwd", message)
            }
            E::SessionNotFound { .. } => Self::new(404, "session_not_found", message),
            E::NameTaken { .. } => Self::new(409, "name_taken", message),
            E::SessionExited { .. } => Self::new(409, "session_exited", message),
            E::JobNotFound { .. } => Self::new(404, "job_not_found", message),
            E::JobLimit { .. } => {
                Self::new(429, "job_limit", message).hint("wait for a job to finish or kill one")
            }
            E::SessionLimit { .. } => {
                Self::new(429, "session_limit", message).hint("close a session first")
            }
            E::InvalidName { .. } | E::InvalidSize { .. } | E::UnknownSignal { .. } => {
                Self::bad_request(message)
            }
            _ => Self::new(500, "terminal_error", chain(&error)),
        }
    }
}
