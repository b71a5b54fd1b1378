//! `GET /terminal/sessions`, `GET|DELETE /terminal/sessions/{id}`, `POST /auth/ticket`.

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, State},
};
use mcp_auth::Authenticated;
use mcp_lm_core::ServiceError;
use serde_json::{Value, json};

use crate::{AppState, api_error::ApiError};

/// How long a WebSocket ticket stays valid.
const TICKET_TTL: Duration = Duration::from_secs(30);

pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"success": true, "sessions": state.services.sessions.list()}))
}

pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let session = state
        .services
        .sessions
        .get(&id)
        .map_err(ServiceError::from)?;
    Ok(Json(json!({"success": true, "session": session.info()})))
}

pub(crate) async fn close(
    State(state): State<AppState>,
    caller: crate::caller::Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let exit = state
        .services
        .sessions
        .close(&id)
        .await
        .map_err(ServiceError::from)?;
    state.services.audit.record(
        "session",
        json!({"caller": caller.name, "remote": caller.remote, "event": "close", "id": id}),
    );
    Ok(Json(json!({"success": true, "id": id, "exit": exit})))
}

/// A short-lived single-use ticket for browsers, which cannot set headers on a WebSocket:
/// open `/terminal/stream?ticket=…` with it.
pub(crate) async fn ticket(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let ticket = state
        .tickets
        .issue(caller, TICKET_TTL)
        .map_err(|e| ServiceError::new(503, "ticket_unavailable", e.to_string()))?;
    Ok(Json(
        json!({"success": true, "ticket": ticket.expose_secret(), "expires_in": TICKET_TTL.as_secs()}),
    ))
}
