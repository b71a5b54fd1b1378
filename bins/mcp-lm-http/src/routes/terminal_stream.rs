//! `WS /terminal/stream`: an interactive terminal over a WebSocket. Text frames carry JSON
//! (`input`, `resize`, `signal`); a text frame that is not JSON is a command line (the
//! original server's behaviour); binary frames are raw input. The session outlives the socket:
//! `?session=<id>` reattaches and first replays the scrollback.

use std::str::FromStr;

use axum::{
    extract::{
        Query, State,
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, header::SEC_WEBSOCKET_PROTOCOL},
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt};
use mcp_lm_core::ServiceError;
use pty_exec::{Session, SessionEvent, Signal};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, api_error::ApiError};

/// The subprotocol a client may offer besides `bearer.<token>`, so the token is not echoed.
const PROTOCOL: &str = "mcp-lm";

#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    /// Reattach to this session (id or name).
    session: Option<String>,
    /// Name for a new session.
    name: Option<String>,
    cols: Option<u16>,
    rows: Option<u16>,
}

pub(crate) async fn stream(
    State(state): State<AppState>,
    caller: crate::caller::Caller,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let session = match &query.session {
        Some(id) => services.sessions.get(id).map_err(ServiceError::from)?,
        None => {
            let config = services.pty_config(query.cols.unwrap_or(120), query.rows.unwrap_or(32));
            let session = match &query.name {
                Some(name) => services.sessions.create_named(name, config),
                None => services.sessions.create(config),
            }
            .map_err(ServiceError::from)?;
            services.audit.record(
                "session",
                json!({"caller": caller.name, "remote": caller.remote, "event": "open", "id": session.id().to_string(), "pid": session.pid()}),
            );
            session
        }
    };
    // Answer with a subprotocol the client offered: ours if offered, else its `bearer.` one.
    let offered: Vec<String> = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
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
    Ok(upgrade
        .on_upgrade(move |socket| serve(socket, session))
        .into_response())
}

fn frame(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

async fn serve(socket: WebSocket, session: Session) {
    let (mut outgoing, mut incoming) = socket.split();
    let (snapshot, mut events) = session.attach();
    // Output bytes this client has been sent, counted like the snapshot's `total_bytes`.
    let mut position = snapshot.total_bytes;
    let (cols, rows) = session.size();
    let hello = json!({
        "type": "session", "id": session.id().to_string(), "name": session.name(),
        "shell": session.program().display().to_string(), "cols": cols, "rows": rows, "pid": session.pid()
    });
    if outgoing.send(frame(&hello)).await.is_err() {
        return;
    }
    if !snapshot.text.is_empty()
        && outgoing
            .send(frame(&json!({"type": "output", "data": snapshot.text})))
            .await
            .is_err()
    {
        return;
    }
    if let Some(exit) = snapshot.exit {
        let _ = outgoing
            .send(frame(
                &json!({"type": "exit", "code": exit.code, "signal": exit.signal}),
            ))
            .await;
        let _ = outgoing.close().await;
        return;
    }
    loop {
        tokio::select! {
            event = events.recv() => {
                let message = match event {
                    Some(SessionEvent::Output(chunk)) => {
                        position += chunk.bytes().len() as u64;
                        json!({"type": "output", "data": chunk.text()})
                    }
                    Some(SessionEvent::Lagged { .. }) => {
                        // Resynchronise from the scrollback: a fresh subscription starts where
                        // a fresh snapshot ends, and the snapshot's tail holds what this client
                        // has not seen (unless even the scrollback no longer has all of it).
                        let (snapshot, fresh) = session.attach();
                        events = fresh;
                        let missing = snapshot.total_bytes.saturating_sub(position);
                        let kept = usize::try_from(missing).unwrap_or(usize::MAX).min(snapshot.bytes.len());
                        let replay = String::from_utf8_lossy(&snapshot.bytes[snapshot.bytes.len() - kept..]).into_owned();
                        position = snapshot.total_bytes;
                        let notice = json!({"type": "lagged", "missed_bytes": missing - kept as u64, "resynced_bytes": kept});
                        if outgoing.send(frame(&notice)).await.is_err() {
                            return;
                        }
                        json!({"type": "output", "data": replay})
                    }
                    Some(SessionEvent::Exited(exit)) => {
                        let _ = outgoing.send(frame(&json!({"type": "exit", "code": exit.code, "signal": exit.signal}))).await;
                        let _ = outgoing.close().await;
                        return;
                    }
                    Some(_) => continue,
                    None => return,
                };
                if outgoing.send(frame(&message)).await.is_err() {
                    return; // the client is gone; the session lives on
                }
            }
            message = incoming.next() => {
                let reply = match message {
                    Some(Ok(Message::Text(text))) => handle_text(&session, text.as_str()).await,
                    Some(Ok(Message::Binary(bytes))) => session.write(bytes).await.err().map(|e| e.to_string()),
                    Some(Ok(_)) => None,
                    Some(Err(_)) | None => return, // disconnected; the session lives on
                };
                if let Some(error) = reply
                    && outgoing.send(frame(&json!({"type": "error", "message": error}))).await.is_err() {
                        return;
                    }
            }
        }
    }
}

/// Applies one text frame; returns an error message for the client, if any.
async fn handle_text(session: &Session, text: &str) -> Option<String> {
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
        // Not a JSON object: a command line, as the original server took it.
        return session
            .write(format!("{text}\n").into_bytes())
            .await
            .err()
            .map(|e| e.to_string());
    };
    let field = |name: &str| message.get(name);
    let outcome = match field("type").and_then(Value::as_str) {
        Some("input") => match field("data").and_then(Value::as_str) {
            Some(data) => session.write(data.to_owned().into_bytes()).await,
            None => return Some("input needs a string data field".into()),
        },
        Some("resize") => {
            let size = |name: &str| {
                field(name)
                    .and_then(Value::as_u64)
                    .and_then(|v| u16::try_from(v).ok())
            };
            match (size("cols"), size("rows")) {
                (Some(cols), Some(rows)) => session.resize(cols, rows),
                _ => return Some("resize needs cols and rows between 1 and 65535".into()),
            }
        }
        Some("signal") => match field("name").and_then(Value::as_str).map(Signal::from_str) {
            Some(Ok(signal)) => session.signal(signal),
            Some(Err(error)) => Err(error),
            None => return Some("signal needs a name (INT, TERM, KILL, HUP, QUIT)".into()),
        },
        other => {
            return Some(format!(
                "unknown message type {other:?}; expected input, resize or signal"
            ));
        }
    };
    outcome.err().map(|e| e.to_string())
}
