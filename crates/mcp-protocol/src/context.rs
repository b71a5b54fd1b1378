//! [`RequestContext`]: what a handler can do besides returning its result: report progress,
//! log to the client, notice cancellation, and ask the client (sampling, elicitation, roots).

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{
    ClientCapabilities, Implementation, LoggingLevel, RequestId, RpcError, jsonrpc,
    session::{Session, Sink},
};

/// Handed to every handler call. Cheap to clone.
#[derive(Clone)]
pub struct RequestContext {
    pub(crate) session: Arc<Session>,
    pub(crate) request_id: RequestId,
    pub(crate) progress_token: Option<Value>,
    pub(crate) sink: Sink,
    pub(crate) cancel: CancellationToken,
    last_progress: Arc<Mutex<Option<f64>>>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.request_id)
            .field("progress_token", &self.progress_token)
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    pub(crate) fn new(
        session: Arc<Session>,
        request_id: RequestId,
        progress_token: Option<Value>,
        sink: Sink,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            session,
            request_id,
            progress_token,
            sink,
            cancel,
            last_progress: Arc::default(),
        }
    }

    /// The id of the request being handled.
    #[must_use]
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The protocol version negotiated with this client.
    #[must_use]
    pub fn protocol_version(&self) -> String {
        self.session.protocol_version()
    }

    /// What the client declared it can do.
    #[must_use]
    pub fn client_capabilities(&self) -> ClientCapabilities {
        self.session.client_capabilities()
    }

    /// Who the client is.
    #[must_use]
    pub fn client_info(&self) -> Implementation {
        self.session.client_info()
    }

    /// The progress token the client sent, if any.
    #[must_use]
    pub fn progress_token(&self) -> Option<&Value> {
        self.progress_token.as_ref()
    }

    /// Reports progress (`notifications/progress`). Does nothing when the client sent no
    /// progress token, and drops values that do not increase (the spec requires increasing).
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else {
            return;
        };
        {
            let mut last = self
                .last_progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|previous| progress <= previous) {
                tracing::debug!(progress, "progress not increasing: not sent");
                return;
            }
            *last = Some(progress);
        }
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let Some(message) = message {
            params["message"] = json!(message);
        }
        self.sink
            .send(jsonrpc::notification("notifications/progress", &params));
    }

    /// Sends a log message (`notifications/message`) if `level` is at or above the level the
    /// client set with `logging/setLevel` (`info` until it sets one).
    pub fn log(&self, level: LoggingLevel, data: Value) {
        self.log_as(level, None, data);
    }

    /// [`log`](Self::log) naming the logger.
    pub fn log_as(&self, level: LoggingLevel, logger: Option<&str>, data: Value) {
        if level < self.session.log_level() {
            return;
        }
        let mut params = json!({ "level": level });
        params["data"] = data;
        if let Some(logger) = logger {
            params["logger"] = json!(logger);
        }
        self.sink
            .send(jsonrpc::notification("notifications/message", &params));
    }

    /// True once the client cancelled the request (`notifications/cancelled`).
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when the client cancels the request.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// Sends a request to the client and waits for its answer. The request travels with this
    /// request's messages (on HTTP: its SSE stream).
    ///
    /// # Errors
    /// The client's error; `-32603` when the request is cancelled or times out.
    ///
    /// # Cancel safety
    /// Dropping the future forgets the pending request; a late answer is ignored.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        self.session
            .request_client(&self.sink, &self.cancel, method, params)
            .await
    }

    /// `sampling/createMessage`: asks the client's model.
    ///
    /// # Errors
    /// `-32601` when the client did not declare the `sampling` capability; otherwise as
    /// [`request`](Self::request).
    ///
    /// # Cancel safety
    /// As [`request`](Self::request).
    pub async fn create_message(&self, params: Value) -> Result<Value, RpcError> {
        self.require(self.client_capabilities().sampling.is_some(), "sampling")?;
        self.request("sampling/createMessage", params).await
    }

    /// `elicitation/create`: asks the user for input.
    ///
    /// # Errors
    /// `-32601` when the client did not declare the `elicitation` capability; otherwise as
    /// [`request`](Self::request).
    ///
    /// # Cancel safety
    /// As [`request`](Self::request).
    pub async fn elicit(&self, params: Value) -> Result<Value, RpcError> {
        self.require(
            self.client_capabilities().elicitation.is_some(),
            "elicitation",
        )?;
        self.request("elicitation/create", params).await
    }

    /// `roots/list`: the client's roots.
    ///
    /// # Errors
    /// `-32601` when the client did not declare the `roots` capability; otherwise as
    /// [`request`](Self::request).
    ///
    /// # Cancel safety
    /// As [`request`](Self::request).
    pub async fn list_roots(&self) -> Result<Value, RpcError> {
        self.require(self.client_capabilities().roots.is_some(), "roots")?;
        self.request("roots/list", json!({})).await
    }

    fn require(&self, declared: bool, capability: &str) -> Result<(), RpcError> {
        if declared {
            Ok(())
        } else {
            Err(RpcError::new(
                RpcError::METHOD_NOT_FOUND,
                format!("the client did not declare the {capability} capability"),
            ))
        }
    }
}
