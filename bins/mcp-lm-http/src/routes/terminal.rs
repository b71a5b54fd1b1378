//! `POST /terminal/cmd`.

use axum::{Json, body::Body, extract::State};
use mcp_lm_core::{CmdResult, TerminalCmd};

use crate::{
    AppState,
    api_error::{ApiError, json_body},
    caller::Caller,
};

pub(crate) async fn cmd(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<CmdResult>, ApiError> {
    let services = &state.services;
    let request =
        TerminalCmd::from_json(json_body(body, services.config.server.max_body_bytes).await?)?;
    // Dropping this future (client gone, shutdown) kills the command's process group.
    let result = services
        .terminal_run(&request, &caller.name, caller.remote.as_deref(), None)
        .await?;
    Ok(Json(result))
}
