//! One client connection's state (stdio process or HTTP session), independent of transport:
//! negotiated version, capabilities, log level, in-flight requests and pending requests to
//! the client.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicI64, Ordering},
    },
};

use futures_util::future::join_all;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{
    Change, ClientCapabilities, Era, Implementation, LoggingLevel, RequestId, RpcError, Server,
    era,
    jsonrpc::{self, Incoming},
    version::BATCH_VERSION,
};

/// Where messages related to a request (notifications, requests to the client) go: stdout
/// for stdio, the request's SSE stream for HTTP.
#[derive(Clone)]
pub(crate) struct Sink(Arc<dyn Fn(String) + Send + Sync>);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl Sink {
    /// A sink feeding a channel (a closed receiver drops the message: the transport is gone).
    pub(crate) fn channel(sender: mpsc::UnboundedSender<String>) -> Self {
        Self(Arc::new(move |line| {
            let _ = sender.send(line);
        }))
    }

    /// A sink calling `deliver` for each message.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn new(deliver: impl Fn(String) + Send + Sync + 'static) -> Self {
        Self(Arc::new(deliver))
    }

    pub(crate) fn send(&self, line: String) {
        (self.0)(line);
    }
}

#[derive(Debug)]
struct State {
    initialized: bool,
    protocol_version: String,
    client_capabilities: ClientCapabilities,
    client_info: Implementation,
    log_level: LoggingLevel,
}

/// A connection's state.
pub(crate) struct Session {
    pub(crate) server: Server,
    state: Mutex<State>,
    in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, RpcError>>>>,
    pub(crate) subscriptions: Mutex<HashSet<String>>,
    next_request_id: AtomicI64,
    /// Cancelled when the connection ends: open `subscriptions/listen` requests then answer.
    pub(crate) listens_closed: CancellationToken,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    pub(crate) fn new(server: Server) -> Arc<Self> {
        Arc::new(Self {
            server,
            state: Mutex::new(State {
                initialized: false,
                protocol_version: String::new(),
                client_capabilities: ClientCapabilities::default(),
                client_info: Implementation::default(),
                log_level: LoggingLevel::Info,
            }),
            in_flight: Mutex::default(),
            pending: Mutex::default(),
            subscriptions: Mutex::default(),
            next_request_id: AtomicI64::new(1),
            listens_closed: CancellationToken::new(),
        })
    }

    pub(crate) fn is_initialized(&self) -> bool {
        lock(&self.state).initialized
    }

    pub(crate) fn protocol_version(&self) -> String {
        lock(&self.state).protocol_version.clone()
    }

    pub(crate) fn client_capabilities(&self) -> ClientCapabilities {
        lock(&self.state).client_capabilities.clone()
    }

    pub(crate) fn client_info(&self) -> Implementation {
        lock(&self.state).client_info.clone()
    }

    pub(crate) fn log_level(&self) -> LoggingLevel {
        lock(&self.state).log_level
    }

    pub(crate) fn set_log_level(&self, level: LoggingLevel) {
        lock(&self.state).log_level = level;
    }

    /// Records the outcome of `initialize`; false if the session was initialized already.
    pub(crate) fn initialize(
        &self,
        version: String,
        capabilities: ClientCapabilities,
        info: Implementation,
    ) -> bool {
        let mut state = lock(&self.state);
        if state.initialized {
            return false;
        }
        state.initialized = true;
        state.protocol_version = version;
        state.client_capabilities = capabilities;
        state.client_info = info;
        true
    }

    /// The legacy notification of a change for this session, if it gets one: list changes
    /// when the server declares them, updates of resources it subscribed to; nothing before
    /// `initialize`.
    pub(crate) fn legacy_notification(&self, change: &Change) -> Option<String> {
        if !self.is_initialized() {
            return None;
        }
        let wanted = match change {
            Change::ResourceUpdated { uri } => lock(&self.subscriptions).contains(uri),
            _ => self.server.inner.list_changed,
        };
        wanted.then(|| jsonrpc::notification(change.method(), &change.params()))
    }

    /// Ends open `subscriptions/listen` requests (they answer with their closing result).
    #[cfg_attr(not(feature = "stdio"), allow(dead_code))]
    pub(crate) fn close_listens(&self) {
        self.listens_closed.cancel();
    }

    /// Cancels every in-flight request (the connection is going away).
    pub(crate) fn cancel_all(&self) {
        for token in lock(&self.in_flight).values() {
            token.cancel();
        }
    }

    /// How many requests are being handled.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Handles one parsed body: an object, or (for protocol version 2025-03-26) an array.
    /// Returns the line to send back, if any.
    pub(crate) async fn handle_value(
        self: &Arc<Self>,
        value: Value,
        sink: &Sink,
    ) -> Option<String> {
        match value {
            Value::Array(batch) => self.handle_batch(batch, sink).await,
            single => self.handle_one(single, sink).await,
        }
    }

    async fn handle_batch(self: &Arc<Self>, batch: Vec<Value>, sink: &Sink) -> Option<String> {
        let version = self.protocol_version();
        if version != BATCH_VERSION {
            let message = if version.is_empty() {
                "batches are not accepted before initialization".to_owned()
            } else {
                format!("batches are not part of protocol version {version}")
            };
            return Some(jsonrpc::error_response(
                None,
                &RpcError::invalid_request(message),
            ));
        }
        if batch.is_empty() {
            return Some(jsonrpc::error_response(
                None,
                &RpcError::invalid_request("empty batch"),
            ));
        }
        let answers = join_all(batch.into_iter().map(|item| self.handle_one(item, sink))).await;
        let answers: Vec<String> = answers.into_iter().flatten().collect();
        (!answers.is_empty()).then(|| format!("[{}]", answers.join(",")))
    }

    async fn handle_one(self: &Arc<Self>, value: Value, sink: &Sink) -> Option<String> {
        match Incoming::classify(value) {
            Err(invalid) => Some(jsonrpc::error_response(invalid.id.as_ref(), &invalid.error)),
            Ok(Incoming::Notification { method, params }) => {
                self.notification(&method, &params);
                None
            }
            Ok(Incoming::Response { id, outcome }) => {
                match lock(&self.pending).remove(&id) {
                    Some(waiter) => {
                        let _ = waiter.send(outcome);
                    }
                    None => tracing::debug!(%id, "response to an unknown request ignored"),
                }
                None
            }
            Ok(Incoming::Request { id, method, params }) => {
                match era::of_request(&method, &params) {
                    Era::Legacy => self.request(id, method, params, sink).await,
                    Era::Modern => self.modern_request(id, method, params, sink).await,
                }
            }
        }
    }

    fn notification(&self, method: &str, params: &Value) {
        match method {
            "notifications/initialized" => {}
            "notifications/cancelled" => {
                let id = params
                    .get("requestId")
                    .cloned()
                    .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
                match id.and_then(|id| lock(&self.in_flight).get(&id).cloned()) {
                    Some(token) => token.cancel(),
                    None => {
                        tracing::debug!("cancellation of an unknown or finished request ignored");
                    }
                }
            }
            other => tracing::debug!(rpc_method = other, "notification ignored"),
        }
    }

    async fn request(
        self: &Arc<Self>,
        id: RequestId,
        method: String,
        params: Value,
        sink: &Sink,
    ) -> Option<String> {
        // `initialize` is never cancellable and is answered before anything else.
        if method == "initialize" {
            return Some(match self.initialize_request(&params) {
                Ok(result) => jsonrpc::response(&id, &result),
                Err(error) => jsonrpc::error_response(Some(&id), &error),
            });
        }
        if !self.is_initialized() && method != "ping" {
            let error = RpcError::invalid_request(format!(
                "{method} before initialize: send initialize first"
            ));
            return Some(jsonrpc::error_response(Some(&id), &error));
        }
        self.run_tracked(&id, |cancel| {
            self.dispatch(&id, &method, params, sink, cancel)
        })
        .await
    }

    /// Runs a request registered as in flight (so `notifications/cancelled` reaches it) and
    /// serializes its answer; a cancelled request gets none.
    pub(crate) async fn run_tracked<F, Fut>(&self, id: &RequestId, run: F) -> Option<String>
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = Result<Value, RpcError>>,
    {
        let token = CancellationToken::new();
        if lock(&self.in_flight)
            .insert(id.clone(), token.clone())
            .is_some()
        {
            tracing::warn!(%id, "request id reused while the first request is in flight");
        }
        let outcome = tokio::select! {
            outcome = run(token.clone()) => Some(outcome),
            () = token.cancelled() => None,
        };
        lock(&self.in_flight).remove(id);
        // A cancelled request is not answered (the client has forgotten it).
        let outcome = outcome.filter(|_| !token.is_cancelled())?;
        Some(match outcome {
            Ok(result) => jsonrpc::response(id, &result),
            Err(error) => jsonrpc::error_response(Some(id), &error),
        })
    }

    /// Sends a request to the client through `sink` and waits for the answer.
    pub(crate) async fn request_client(
        &self,
        sink: &Sink,
        cancel: &CancellationToken,
        method: &str,
        params: Value,
    ) -> Result<Value, RpcError> {
        let id = RequestId::Number(self.next_request_id.fetch_add(1, Ordering::Relaxed));
        let (sender, receiver) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), sender);
        sink.send(jsonrpc::request(&id, method, &params));
        let limit = self.server.inner.client_request_timeout;
        let outcome = tokio::select! {
            answer = tokio::time::timeout(limit, receiver) => match answer {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => Err(RpcError::internal("the connection closed before the client answered")),
                Err(_) => Err(RpcError::internal(format!("the client did not answer {method} within {limit:?}"))),
            },
            () = cancel.cancelled() => Err(RpcError::internal("the request was cancelled")),
        };
        lock(&self.pending).remove(&id);
        outcome
    }
}
