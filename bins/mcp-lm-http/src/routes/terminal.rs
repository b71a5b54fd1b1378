//! `POST /terminal/cmd`: JSON, or server-sent events with `"stream": true`.
//!
//! Streamed, the output comes as `output` events as it is read, one per piece:
//! `{"stream": "stdout"|"stderr", "text": …}`, plus `"base64"` with the exact bytes whenever
//! the text is not them (invalid UTF-8, or a character split between two pieces: its bytes
//! are in the pieces' `base64`, the whole character in the later `text`). A `done` event ends
//! the stream with the same JSON as without streaming (the whole, capped output included).
//! Closing the connection kills the command's process group (noticed within about two seconds:
//! a keep-alive comment is sent every second while the command is quiet).

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    body::Body,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use base64::Engine;
use mcp_lm_core::{RunningCommand, ServiceError, TerminalCmd};
use serde_json::{Value, json};

use crate::{
    AppState,
    api_error::{ApiError, json_body},
    caller::Caller,
};

pub(crate) async fn cmd(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let mut body = json_body(body, services.config.server.max_body_bytes).await?;
    // `stream` is the REST API's own field: the request itself is the `terminal_run` tool's.
    let stream = match body
        .as_object_mut()
        .and_then(|object| object.remove("stream"))
    {
        None | Some(Value::Bool(false) | Value::Null) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => {
            return Err(ServiceError::bad_request("stream must be true or false").into());
        }
    };
    let request = TerminalCmd::from_json(body)?;
    if !stream {
        // Dropping this future (client gone, shutdown) kills the command's process group.
        let result = services
            .terminal_run(&request, &caller.name, caller.remote.as_deref(), None)
            .await?;
        return Ok(Json(result).into_response());
    }
    let running = services
        .terminal_spawn(&request, &caller.name, caller.remote.as_deref())
        .await?;
    let events = futures_util::stream::unfold(Some(running), next_event);
    // A comment every second while the command is quiet: writing is how the server learns
    // that the client went away (and then kills the command) within about two seconds.
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(1)))
        .into_response();
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}

/// The next event of a streamed command: its output, then `done` (or `error`), then the end.
async fn next_event(
    state: Option<RunningCommand>,
) -> Option<(Result<Event, Infallible>, Option<RunningCommand>)> {
    let mut running = state?;
    if let Some(chunk) = running.next_chunk().await {
        let stream = match chunk.stream {
            pty_exec::OutputStream::Stderr => "stderr",
            _ => "stdout",
        };
        let mut data = json!({"stream": stream, "text": chunk.text});
        if chunk.text.as_bytes() != chunk.data.as_ref() {
            data["base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&chunk.data));
        }
        return Some((Ok(event("output", &data)), Some(running)));
    }
    let last = match running.finish().await {
        Ok(result) => event("done", &json!(result)),
        Err(error) => event("error", &json!(error)),
    };
    Some((Ok(last), None))
}

fn event(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}
