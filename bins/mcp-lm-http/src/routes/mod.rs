//! The REST routes (original contract plus additions).

mod activity;
mod files;
mod files_openapi;
mod lm;
mod lm_stream;
mod logs;
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

pub(crate) use lm_stream::stream as lm_stream;
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
        .route("/logs", get(logs::logs))
        .route("/logs/stream", get(logs::stream))
        .route("/fs", get(files::query))
        .route("/fs/search", post(files::search))
        .route("/fs/mkdir", post(files::mkdir))
        .route("/fs/move", post(files::move_path))
        .route(
            "/fs/{*path}",
            get(files::read)
                .put(files::write)
                .patch(files::edit)
                .delete(files::delete),
        )
}

/// Unknown routes: a JSON 404 naming the route.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ServiceError::new(404, "not_found", format!("no route {}", uri.path()))
        .hint("routes: GET /status, POST /lm/query, GET /lm/models, POST /terminal/cmd, WS /terminal/stream, WS /lm/stream, GET|DELETE /terminal/sessions[/{id}], POST /auth/ticket, GET /activity, GET /logs[/stream], GET /fs?list=|stat=|read=, GET|PUT|PATCH|DELETE /fs/{path}, POST /fs/search|mkdir|move, /mcp, GET /openapi.json, GET /health, GET / (web UI)")
        .into()
}
