//! Serving one modern request: the methods 2026-07-28 removed, `server/discover`, the
//! handlers (with `input_required` for the three methods that may ask the client for
//! input), and the decoration of the result.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Listen, ModernScope, RequestMeta, result::modern_error};
use crate::{
    RequestId, RpcError,
    input_required::{InputExchange, Suspended, run_suspendable},
    jsonrpc,
    session::{Session, Sink},
};

/// Legacy methods that 2026-07-28 removed (answered `-32601`, on HTTP with 404).
const REMOVED: [&str; 5] = [
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

/// The method that opens a change-notification stream.
pub(crate) const LISTEN: &str = "subscriptions/listen";

/// The methods that may answer `input_required`.
fn asks_for_input(method: &str) -> bool {
    matches!(method, "tools/call" | "prompts/get" | "resources/read")
}

impl Session {
    /// A modern request on a connection that tracks in-flight requests (stdio): `_meta` and
    /// version checked, then run so that `notifications/cancelled` reaches it.
    pub(crate) async fn modern_request(
        self: &Arc<Self>,
        id: RequestId,
        method: String,
        params: Value,
        sink: &Sink,
    ) -> Option<String> {
        let meta = match RequestMeta::parse(&params).and_then(|meta| {
            meta.check_version()?;
            Ok(meta)
        }) {
            Ok(meta) => meta,
            Err(error) => return Some(jsonrpc::error_response(Some(&id), &error)),
        };
        if method == LISTEN {
            return self
                .run_tracked(&id, |_| self.listen(&id, &params, sink))
                .await;
        }
        self.run_tracked(&id, |cancel| {
            self.modern_call(&id, &method, params, meta, sink, cancel)
        })
        .await
    }

    /// `subscriptions/listen` on stdio: the acknowledgement and the notifications go out
    /// with the other messages; the request stays in flight until the client cancels it
    /// (no answer) or the server stops (a closing answer).
    async fn listen(&self, id: &RequestId, params: &Value, sink: &Sink) -> Result<Value, RpcError> {
        let (mut listen, ack) = Listen::open(&self.server, id, params)?;
        sink.send(ack);
        loop {
            tokio::select! {
                line = listen.next_line() => match line {
                    Some(line) => sink.send(line),
                    None => break,
                },
                () = self.listens_closed.cancelled() => break,
            }
        }
        let result = json!({ "_meta": { "io.modelcontextprotocol/subscriptionId": id } });
        Ok(self.server.decorate(LISTEN, result))
    }

    /// The outcome of a modern request whose `_meta` was read and whose version is
    /// supported: a decorated result, or an error in 2026-07-28 terms.
    pub(crate) async fn modern_call(
        self: &Arc<Self>,
        id: &RequestId,
        method: &str,
        params: Value,
        meta: RequestMeta,
        sink: &Sink,
        cancel: CancellationToken,
    ) -> Result<Value, RpcError> {
        let outcome = if method == "server/discover" {
            self.server.discover()
        } else if method == LISTEN {
            // Served by the transports (it is a stream, not one answer).
            Err(RpcError::internal(
                "subscriptions/listen is served by the transport",
            ))
        } else if REMOVED.contains(&method) || method.starts_with("notifications/") {
            Err(RpcError::method_not_found(method))
        } else if asks_for_input(method) {
            self.call_with_input(id, method, params, meta, sink, cancel)
                .await
        } else {
            let scope = Arc::new(ModernScope {
                meta,
                exchange: None,
            });
            let cx = self.context(id, &params, sink, cancel).with_modern(scope);
            self.route(method, params, cx).await
        };
        outcome
            .map(|result| self.server.decorate(method, result))
            .map_err(modern_error)
    }

    /// `tools/call`, `prompts/get` or `resources/read`, which may end with `input_required`.
    async fn call_with_input(
        self: &Arc<Self>,
        id: &RequestId,
        method: &str,
        params: Value,
        meta: RequestMeta,
        sink: &Sink,
        cancel: CancellationToken,
    ) -> Result<Value, RpcError> {
        let target_key = if method == "resources/read" {
            "uri"
        } else {
            "name"
        };
        let target = params
            .get(target_key)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let inner = &self.server.inner;
        let exchange = InputExchange::new(
            &inner.state_key,
            inner.state_max_age,
            method,
            target,
            &params,
            meta.capabilities.clone(),
        )?;
        let scope = Arc::new(ModernScope {
            meta,
            exchange: Some(exchange),
        });
        let cx = self
            .context(id, &params, sink, cancel)
            .with_modern(Arc::clone(&scope));
        let Some(exchange) = &scope.exchange else {
            return self.route(method, params, cx).await;
        };
        match run_suspendable(exchange, self.route(method, params, cx)).await {
            Suspended::Finished(outcome) => outcome,
            Suspended::NeedsInput(result) => Ok(result),
            Suspended::Failed(error) => Err(error),
        }
    }
}
