//! `WS /lm/stream`: LLM answers in real time. The client sends
//! `{"type":"query", "id"?: …, …the fields of POST /lm/query}`; the server answers with
//! `{"type":"delta","id","content"[,"reasoning"]}` frames as the model generates (and
//! `progress` frames on the native API), then `{"type":"done","id", …the /lm/query body with
//! stats}` or `{"type":"error","id","error":{code,message,hint}}`. `{"type":"cancel"}` stops the
//! generation upstream (`{"type":"cancelled","id"}`). Several queries per connection, one at a
//! time: a query sent while one runs is refused with `busy`.

use std::pin::Pin;

use axum::{
    extract::{
        State,
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    response::Response,
};
use futures_util::{SinkExt, Stream, StreamExt};
use mcp_lm_core::{LmQuery, LmStreamEvent, ServiceError, Services};
use serde_json::{Value, json};

use crate::{AppState, caller::Caller};

/// The subprotocol a client may offer besides `bearer.<token>`.
const PROTOCOL: &str = "mcp-lm";

pub(crate) async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let offered: Vec<String> = headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_owned()))
        .collect();
    let chosen = offered
        .iter()
        .find(|p| *p == PROTOCOL)
        .or_else(|| offered.iter().find(|p| p.starts_with("bearer.")))
        .cloned();
    let upgrade = match chosen {
        Some(protocol) => upgrade.protocols([protocol]),
        None => upgrade,
    };
    let services = state.services.clone();
    upgrade.on_upgrade(move |socket| serve(socket, services, caller.name))
}

fn frame(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

fn error_frame(id: &Value, error: &ServiceError) -> Value {
    json!({"type": "error", "id": id, "error": error})
}

type Events = Pin<Box<dyn Stream<Item = LmStreamEvent> + Send>>;

/// The query being answered.
struct Running {
    id: Value,
    events: Events,
    content: String,
    reasoning: String,
}

async fn next_event(running: &mut Option<Running>) -> Option<LmStreamEvent> {
    match running {
        Some(running) => running.events.next().await,
        None => std::future::pending().await,
    }
}

async fn serve(socket: WebSocket, services: Services, caller: String) {
    let (mut outgoing, mut incoming) = socket.split();
    let mut running: Option<Running> = None;
    loop {
        tokio::select! {
            event = next_event(&mut running) => {
                let Some(current) = running.as_mut() else { continue };
                let id = current.id.clone();
                let (message, finished) = match event {
                    Some(LmStreamEvent::Delta { content, reasoning }) => {
                        current.content.push_str(&content);
                        current.reasoning.push_str(&reasoning);
                        let mut message = json!({"type": "delta", "id": id, "content": content});
                        if !reasoning.is_empty() {
                            message["reasoning"] = json!(reasoning);
                        }
                        (message, false)
                    }
                    Some(LmStreamEvent::Progress { stage, progress }) => {
                        (json!({"type": "progress", "id": id, "stage": stage, "progress": progress}), false)
                    }
                    Some(LmStreamEvent::Done(mut answer)) => {
                        answer.content = std::mem::take(&mut current.content);
                        let reasoning = std::mem::take(&mut current.reasoning);
                        answer.reasoning = (!reasoning.is_empty()).then_some(reasoning);
                        let mut message = serde_json::to_value(&answer).unwrap_or_else(|_| json!({}));
                        message["type"] = json!("done");
                        message["id"] = id;
                        (message, true)
                    }
                    Some(LmStreamEvent::Error { error }) => (error_frame(&id, &error), true),
                    None => (
                        error_frame(&id, &ServiceError::new(502, "lm_stream_failed", "the stream ended without a result")),
                        true,
                    ),
                };
                if finished {
                    running = None;
                }
                if outgoing.send(frame(&message)).await.is_err() {
                    return; // dropping `running` stops the upstream request
                }
            }
            message = incoming.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let reply = handle(&services, &caller, text.as_str(), &mut running).await;
                if let Some(reply) = reply
                    && outgoing.send(frame(&reply)).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Handles one client frame; returns the frame to answer with, if any.
async fn handle(
    services: &Services,
    caller: &str,
    text: &str,
    running: &mut Option<Running>,
) -> Option<Value> {
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(text) else {
        return Some(error_frame(
            &Value::Null,
            &ServiceError::bad_request("frames must be JSON objects with a type")
                .hint(r#"send {"type":"query","prompt":"…"} or {"type":"cancel"}"#),
        ));
    };
    let kind = fields.remove("type");
    let id = fields.remove("id").unwrap_or(Value::Null);
    match kind.as_ref().and_then(Value::as_str) {
        Some("cancel") => {
            let cancelled = running.take()?;
            // Dropping the stream drops the upstream request.
            drop(cancelled.events);
            services.audit.record(
                "query",
                json!({"caller": caller, "stream": "websocket", "outcome": "cancelled"}),
            );
            Some(json!({"type": "cancelled", "id": cancelled.id}))
        }
        Some("query") => {
            if let Some(current) = running {
                return Some(error_frame(
                    &id,
                    &ServiceError::new(
                        429,
                        "busy",
                        "a query is already running on this connection",
                    )
                    .hint(format!(
                        "wait for its done frame, or send {{\"type\":\"cancel\"}} (running: {})",
                        current.id
                    )),
                ));
            }
            fields.remove("stream");
            let query = match LmQuery::from_json(Value::Object(fields)) {
                Ok(query) => query,
                Err(error) => return Some(error_frame(&id, &error)),
            };
            let model = query.model.clone().unwrap_or_else(|| "default".into());
            let backend = query
                .backend
                .clone()
                .unwrap_or_else(|| services.backends.default_backend().name.clone());
            match services.lm_query_stream(&query).await {
                Ok(events) => {
                    services.audit.record(
                        "query",
                        json!({"caller": caller, "backend": backend, "model": model, "stream": "websocket", "outcome": "stream"}),
                    );
                    *running = Some(Running {
                        id,
                        events: Box::pin(events),
                        content: String::new(),
                        reasoning: String::new(),
                    });
                    None
                }
                Err(error) => {
                    services.audit.record(
                        "query",
                        json!({"caller": caller, "backend": backend, "model": model, "stream": "websocket", "outcome": error.code}),
                    );
                    Some(error_frame(&id, &error))
                }
            }
        }
        other => Some(error_frame(
            &id,
            &ServiceError::bad_request(format!(
                "unknown frame type {}",
                other.map_or_else(|| "(none)".to_owned(), |t| format!("{t:?}"))
            ))
            .hint(r#"send {"type":"query",…} or {"type":"cancel"}"#),
        )),
    }
}
