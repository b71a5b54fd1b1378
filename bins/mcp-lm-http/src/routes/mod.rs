//! The REST routes (original contract plus additions).

mod activity;
mod lm;
mod openapi;
mod sessions;
mod status;
mod terminal;
mod terminal_stream;
mod ui;

use axum::{
    Router,
    http::Uri,
    routing::{get, post},
};

use mcp_lm_core::ServiceError;
pub(crate) use terminal_stream::stream as terminal_stream;
pub(crate) use ui::ui;

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
        .route("/activity", get(activity::activity))
}

/// Unknown routes: a JSON 404 naming the route.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ServiceError::new(404, "not_found", format!("no route {}", uri.path()))
        .hint("routes: GET /status, POST /lm/query, GET /lm/models, POST /terminal/cmd, WS /terminal/stream, GET|DELETE /terminal/sessions[/{id}], POST /auth/ticket, GET /activity, /mcp, GET /openapi.json, GET /health, GET / (web UI)")
        .into()
}
