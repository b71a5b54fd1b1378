//! `WS /terminal/stream`: an interactive terminal over a WebSocket. Text frames carry JSON
//! (`input`, `resize`, `signal`); a text frame that is not JSON is a command line (the
//! original server's behaviour); binary frames are raw input. The session outlives the socket:
//! `?session=<id>` reattaches and first replays the scrollback.
//!
//! The audit log gets a line when a session is opened, attached to and detached from (with
//! the bytes of input the connection sent), and one per command line sent as a plain text
//! frame. Keystrokes sent as `input` are counted, not recorded: they may be a password typed
//! at a prompt that does not echo.

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
use mcp_lm_core::{AuditLog, ServiceError};
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
            match &query.name {
                Some(name) => services.sessions.create_named(name, config),
                None => services.sessions.create(config),
            }
            .map_err(ServiceError::from)?
        }
    };
    let audit = SessionAudit {
        log: services.audit.clone(),
        caller,
        id: session.id().to_string(),
        name: session.name().map(str::to_owned),
    };
    if query.session.is_some() {
        audit.record("attach", json!({}));
    } else {
        audit.record("open", json!({"pid": session.pid()}));
    }
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
        .on_upgrade(move |socket| serve(socket, session, audit))
        .into_response())
}

/// Audit lines about one connection to one session.
struct SessionAudit {
    log: AuditLog,
    caller: crate::caller::Caller,
    id: String,
    name: Option<String>,
}

impl SessionAudit {
    /// Records `event` with the caller, the session and `extra`'s fields.
    fn record(&self, event: &str, extra: Value) {
        let mut line = json!({
            "caller": self.caller.name, "remote": self.caller.remote, "event": event,
            "id": self.id, "name": self.name,
        });
        if let (Value::Object(line), Value::Object(extra)) = (&mut line, extra) {
            line.extend(extra);
        }
        self.log.record("session", line);
    }
}

/// What one connection sent, for its `detach` line.
#[derive(Default)]
struct Sent {
    input_bytes: u64,
    commands: u64,
}

fn frame(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

async fn serve(socket: WebSocket, session: Session, audit: SessionAudit) {
    let mut sent = Sent::default();
    serve_frames(socket, &session, &audit, &mut sent).await;
    audit.record(
        "detach",
        json!({"input_bytes": sent.input_bytes, "commands": sent.commands}),
    );
}

async fn serve_frames(socket: WebSocket, session: &Session, audit: &SessionAudit, sent: &mut Sent) {
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
                    Some(Ok(Message::Text(text))) => handle_text(session, text.as_str(), audit, sent).await,
                    Some(Ok(Message::Binary(bytes))) => {
                        sent.input_bytes += bytes.len() as u64;
                        session.write(bytes).await.err().map(|e| e.to_string())
                    }
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
async fn handle_text(
    session: &Session,
    text: &str,
    audit: &SessionAudit,
    sent: &mut Sent,
) -> Option<String> {
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
        // Not a JSON object: a command line, as the original server took it.
        sent.commands += 1;
        sent.input_bytes += text.len() as u64 + 1;
        audit.record("command", json!({"cmd": text}));
        return session
            .write(format!("{text}\n").into_bytes())
            .await
            .err()
            .map(|e| e.to_string());
    };
    let field = |name: &str| message.get(name);
    let outcome = match field("type").and_then(Value::as_str) {
        Some("input") => match field("data").and_then(Value::as_str) {
            Some(data) => {
                sent.input_bytes += data.len() as u64;
                session.write(data.to_owned().into_bytes()).await
            }
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
