//! [`RequestContext`]: what a handler can do besides returning its result: report progress,
//! log to the client, notice cancellation, and ask the client (sampling, elicitation, roots).
//!
//! The same context serves both protocol eras: in the legacy era the client's version,
//! capabilities and log level come from the session's `initialize`/`logging/setLevel`, and
//! input is asked for with server-to-client requests; in the modern era they come from the
//! request's `_meta`, and input is asked for with `input_required` round trips (see
//! [`RequestContext::input`]).

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{
    Change, ClientCapabilities, Era, Implementation, InputRequest, LoggingLevel, RequestId,
    RpcError, jsonrpc,
    modern::ModernScope,
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
    /// The modern request's `_meta` and input exchange; `None` in the legacy era.
    pub(crate) modern: Option<Arc<ModernScope>>,
    last_progress: Arc<Mutex<Option<f64>>>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.request_id)
            .field("progress_token", &self.progress_token)
            .field("era", &self.era())
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
            modern: None,
            last_progress: Arc::default(),
        }
    }

    /// The same context for a modern (stateless) request.
    pub(crate) fn with_modern(mut self, scope: Arc<ModernScope>) -> Self {
        self.modern = Some(scope);
        self
    }

    /// The era of the request: [`Era::Legacy`] (a session opened by `initialize`) or
    /// [`Era::Modern`] (2026-07-28, stateless).
    #[must_use]
    pub fn era(&self) -> Era {
        if self.modern.is_some() {
            Era::Modern
        } else {
            Era::Legacy
        }
    }

    /// The id of the request being handled.
    #[must_use]
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The protocol version: negotiated by `initialize` (legacy) or declared by the request
    /// (modern).
    #[must_use]
    pub fn protocol_version(&self) -> String {
        match &self.modern {
            Some(scope) => scope.meta.version.clone(),
            None => self.session.protocol_version(),
        }
    }

    /// What the client declared it can do (at `initialize`, or in this request's `_meta`).
    #[must_use]
    pub fn client_capabilities(&self) -> ClientCapabilities {
        match &self.modern {
            Some(scope) => scope.meta.capabilities.clone(),
            None => self.session.client_capabilities(),
        }
    }

    /// Who the client is (empty when a modern request did not say).
    #[must_use]
    pub fn client_info(&self) -> Implementation {
        match &self.modern {
            Some(scope) => scope.meta.client_info.clone().unwrap_or_default(),
            None => self.session.client_info(),
        }
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

    /// Sends a log message (`notifications/message`) if `level` is at or above the client's
    /// level: legacy, the one set with `logging/setLevel` (`info` until it sets one); modern,
    /// the request's `_meta` `logLevel` (no messages at all when the request has none).
    pub fn log(&self, level: LoggingLevel, data: Value) {
        self.log_as(level, None, data);
    }

    /// [`log`](Self::log) naming the logger.
    pub fn log_as(&self, level: LoggingLevel, logger: Option<&str>, data: Value) {
        let threshold = match &self.modern {
            Some(scope) => scope.meta.log_level,
            None => Some(self.session.log_level()),
        };
        if threshold.is_none_or(|threshold| level < threshold) {
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

    /// Tells listening clients that something changed ([`Server::notify`](crate::Server::notify)).
    pub fn notify(&self, change: Change) {
        self.session.server.notify(change);
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
    /// In the modern era there are no server-to-client requests: `sampling/createMessage`,
    /// `elicitation/create` and `roots/list` become [`input`](Self::input) calls with an
    /// automatic key, anything else is refused.
    ///
    /// # Errors
    /// The client's error; `-32603` when the request is cancelled or times out, or (modern)
    /// for a method that has no `input_required` form.
    ///
    /// # Cancel safety
    /// Dropping the future forgets the pending request; a late answer is ignored.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        if self.modern.is_some() {
            let request = match method {
                "sampling/createMessage" => InputRequest::CreateMessage(params),
                "elicitation/create" => InputRequest::Elicit(params),
                "roots/list" => InputRequest::ListRoots,
                other => {
                    return Err(RpcError::internal(format!(
                        "{other}: the 2026-07-28 revision has no server-to-client requests"
                    )));
                }
            };
            return self.input_auto(request).await;
        }
        self.session
            .request_client(&self.sink, &self.cancel, method, params)
            .await
    }

    /// Asks the client for input (sampling, elicitation, roots) under `key`, a name of the
    /// handler's choosing, unique within the request.
    ///
    /// - **Legacy era**: sends the request to the client and waits for the answer.
    /// - **Modern era** (`tools/call`, `prompts/get`, `resources/read`): returns the answer the
    ///   client sent under `key` in this retry's `inputResponses` (or in an earlier round,
    ///   carried in the signed `requestState`). Without one the call never returns: the
    ///   handler is dropped at its next suspension point and the request answers
    ///   `resultType: "input_required"` with every input asked for by then (ask for several
    ///   at once with `join!`). The client retries and the handler runs again from the start,
    ///   so work before the call is repeated: keep it idempotent, or keep what must survive
    ///   in [`set_request_state`](Self::set_request_state). An answer of the wrong shape fails
    ///   the request with `-32602`.
    ///
    /// # Errors
    /// Legacy: `-32601` when the client did not declare the capability the request needs,
    /// otherwise as [`request`](Self::request). Modern: an undeclared capability fails the
    /// whole request with `-32021` (`MissingRequiredClientCapability`, HTTP 400) instead of
    /// returning, so check [`client_capabilities`](Self::client_capabilities) first when you
    /// can do without; other methods (e.g. completion) get `-32603` (they cannot ask).
    ///
    /// # Cancel safety
    /// Dropping the future forgets the request; a late answer is ignored.
    pub async fn input(&self, key: &str, request: InputRequest) -> Result<Value, RpcError> {
        match &self.modern {
            Some(scope) => match &scope.exchange {
                Some(exchange) => exchange.ask(key, request).await,
                None => Err(RpcError::internal(
                    "only tools/call, prompts/get and resources/read can ask the client for input",
                )),
            },
            None => {
                let capability = request.capability();
                self.require(self.client_capabilities().declares(capability), capability)?;
                self.session
                    .request_client(&self.sink, &self.cancel, request.method(), request.params())
                    .await
            }
        }
    }

    /// [`input`](Self::input) with an automatic key (`elicitation-1`, `sampling-1`, …,
    /// counted per kind in call order).
    async fn input_auto(&self, request: InputRequest) -> Result<Value, RpcError> {
        let key = match self.modern.as_ref().and_then(|s| s.exchange.as_ref()) {
            Some(exchange) => exchange.next_key(&request),
            None => String::new(),
        };
        self.input(&key, request).await
    }

    /// The state this handler kept for the previous round of a modern `input_required`
    /// exchange (see [`set_request_state`](Self::set_request_state)); verified, so it is
    /// what the server wrote. `None` on the first round and in the legacy era.
    #[must_use]
    pub fn request_state(&self) -> Option<Value> {
        self.modern
            .as_ref()
            .and_then(|scope| scope.exchange.as_ref())
            .and_then(|exchange| exchange.prior_state().cloned())
    }

    /// Keeps `state` for the next round if this request ends with `input_required`: it goes
    /// to the client HMAC-signed inside `requestState` and comes back through
    /// [`request_state`](Self::request_state). Does nothing in the legacy era (the handler
    /// simply keeps running there).
    pub fn set_request_state(&self, state: Value) {
        if let Some(exchange) = self.modern.as_ref().and_then(|s| s.exchange.as_ref()) {
            exchange.set_state(state);
        }
    }

    /// `sampling/createMessage`: asks the client's model (automatic key `sampling-N` in the
    /// modern era).
    ///
    /// # Errors
    /// As [`input`](Self::input).
    ///
    /// # Cancel safety
    /// As [`input`](Self::input).
    pub async fn create_message(&self, params: Value) -> Result<Value, RpcError> {
        self.input_auto(InputRequest::CreateMessage(params)).await
    }

    /// `elicitation/create`: asks the user for input (automatic key `elicitation-N` in the
    /// modern era).
    ///
    /// # Errors
    /// As [`input`](Self::input).
    ///
    /// # Cancel safety
    /// As [`input`](Self::input).
    pub async fn elicit(&self, params: Value) -> Result<Value, RpcError> {
        self.input_auto(InputRequest::Elicit(params)).await
    }

    /// `roots/list`: the client's roots (automatic key `roots-N` in the modern era).
    ///
    /// # Errors
    /// As [`input`](Self::input).
    ///
    /// # Cancel safety
    /// As [`input`](Self::input).
    pub async fn list_roots(&self) -> Result<Value, RpcError> {
        self.input_auto(InputRequest::ListRoots).await
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
