//! The REST routes (original contract plus additions).

mod lm;
mod openapi;
mod sessions;
mod status;
mod terminal;
mod terminal_stream;

use axum::{
    Router,
    http::Uri,
    routing::{get, post},
};

use mcp_lm_core::ServiceError;
pub(crate) use terminal_stream::stream as terminal_stream;

use crate::{AppState, api_error::ApiError};

/// Every authenticated REST route.
pub(crate) fn rest() -> Router<AppState> {
    Router::new()
        .route("/status", get(status::status))
        .route("/lm/query", post(lm::query))
        .route("/lm/models", get(lm::models))
        .route("/terminal/cmd", post(terminal::cmd))
        .route("/openapi.json", get(openapi::openapi))
        .route("/terminal/sessions", get(sessions::list))
        .route(
            "/terminal/sessions/{id}",
            get(sessions::get_one).delete(sessions::close),
        )
        .route("/auth/ticket", post(sessions::ticket))
}

/// Unknown routes: a JSON 404 naming the route.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ServiceError::new(404, "not_found", format!("no route {}", uri.path()))
        .hint("routes: GET /status, POST /lm/query, GET /lm/models, POST /terminal/cmd, WS /terminal/stream, GET|DELETE /terminal/sessions[/{id}], POST /auth/ticket, /mcp, GET /openapi.json, GET /health")
        .into()
}
