//! `GET /status`.

use axum::{Json, extract::State};
use mcp_lm_core::StatusReport;

use crate::AppState;

pub(crate) async fn status(State(state): State<AppState>) -> Json<StatusReport> {
    Json(state.services.status(0).await)
}
