//! `GET /logs` (the audit log with filters: kind, since, text, limit; cursor paging, as the
//! `logs_read` tool) and `GET /logs/stream` (SSE: the events appended from now on, after the
//! last `tail` ones, with the same kind / text filters).

use std::{
    convert::Infallible,
    io::{Read, Seek, SeekFrom},
    path::PathBuf,
    time::Duration,
};

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::StreamExt;
use mcp_lm_core::{LogFilter, MAX_LOG_LIMIT, ServiceError, read_logs};
use serde_json::Value;

use crate::{AppState, api_error::ApiError};

/// How often the stream looks at the file.
const POLL: Duration = Duration::from_millis(200);

fn filter(query: Result<Query<LogFilter>, QueryRejection>) -> Result<LogFilter, ServiceError> {
    query
        .map(|Query(filter)| filter)
        .map_err(|e| ServiceError::bad_request(e.body_text()))
}

pub(crate) async fn logs(
    State(state): State<AppState>,
    query: Result<Query<LogFilter>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let filter = filter(query)?;
    let audit = state.services.audit.clone();
    let keep = state.services.config.log.keep;
    let page = tokio::task::spawn_blocking(move || {
        audit.flush();
        read_logs(audit.path(), keep, &filter)
    })
    .await
    .map_err(|e| ServiceError::new(500, "internal", e.to_string()))??;
    Ok(Json(page))
}

/// Where the stream is in the file.
struct Tail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    filter: LogFilter,
    first: bool,
}

/// The complete new lines of the file that pass the filter (a shrunk file was rotated: read
/// it from the start).
fn poll(tail: &mut Tail) -> Vec<Value> {
    let Ok(mut file) = std::fs::File::open(&tail.path) else {
        return Vec::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    if len < tail.offset {
        tail.offset = 0;
        tail.partial.clear();
    }
    if len == tail.offset || file.seek(SeekFrom::Start(tail.offset)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if (&mut file)
        .take(len - tail.offset)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return Vec::new();
    }
    tail.offset += bytes.len() as u64;
    tail.partial.extend_from_slice(&bytes);
    let Some(end) = tail.partial.iter().rposition(|b| *b == b'\n') else {
        return Vec::new();
    };
    let complete: Vec<u8> = tail.partial.drain(..=end).collect();
    complete
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .filter(|event| event.is_object() && tail.filter.matches(event))
        .collect()
}

pub(crate) async fn stream(
    State(state): State<AppState>,
    query: Result<Query<LogFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    let mut filter = filter(query)?;
    let services = &state.services;
    let Some(path) = services.audit.path().map(ToOwned::to_owned) else {
        return Err(ServiceError::new(
            404,
            "audit_disabled",
            "the audit log is disabled, there is nothing to stream",
        )
        .hint("set log.audit_path in the config (it is off when empty)")
        .into());
    };
    // The backlog: the last `limit` events (default 0).
    let backlog_limit = filter.limit.unwrap_or(0).min(MAX_LOG_LIMIT);
    filter.cursor = None;
    let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
    let backlog = if backlog_limit > 0 {
        let mut backlog_filter = filter.clone();
        backlog_filter.limit = Some(backlog_limit);
        read_logs(Some(&path), 0, &backlog_filter)?["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    filter.since = None;
    let tail = Tail {
        path,
        offset,
        partial: Vec::new(),
        filter,
        first: true,
    };
    let events = futures_util::stream::unfold((tail, backlog), |(mut tail, backlog)| async move {
        if tail.first {
            tail.first = false;
            return Some((backlog, (tail, Vec::new())));
        }
        loop {
            tokio::time::sleep(POLL).await;
            let (events, back) = tokio::task::spawn_blocking(move || {
                let events = poll(&mut tail);
                (events, tail)
            })
            .await
            .ok()?;
            tail = back;
            if !events.is_empty() {
                return Some((events, (tail, Vec::new())));
            }
        }
    })
    .flat_map(futures_util::stream::iter)
    .map(|event| Ok::<_, Infallible>(Event::default().event("log").data(event.to_string())));
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}
