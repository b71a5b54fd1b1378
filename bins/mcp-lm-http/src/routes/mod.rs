//! The REST routes (original contract plus additions).

mod lm;
mod openapi;
mod status;
mod terminal;

use axum::{
    Router,
    http::Uri,
    routing::{get, post},
};
use mcp_lm_core::ServiceError;

use crate::{AppState, api_error::ApiError};

/// Every authenticated REST route.
pub(crate) fn rest() -> Router<AppState> {
    Router::new()
        .route("/status", get(status::status))
        .route("/lm/query", post(lm::query))
        .route("/lm/models", get(lm::models))
        .route("/terminal/cmd", post(terminal::cmd))
        .route("/openapi.json", get(openapi::openapi))
}

/// Unknown routes: a JSON 404 naming the route.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ServiceError::new(404, "not_found", format!("no route {}", uri.path()))
        .hint("routes: GET /status, POST /lm/query, GET /lm/models, POST /terminal/cmd, /mcp, GET /openapi.json, GET /health")
        .into()
}
