//! The file routes, each one of the `fs_*` tools of `mcp-lm-core` (same policy, same errors):
//! `GET /fs/{path}` reads, `PUT /fs/{path}` writes, `PATCH /fs/{path}` edits,
//! `DELETE /fs/{path}` deletes, `GET /fs?list=…` lists, `GET /fs?stat=…` describes,
//! `GET /fs?read=…` reads, `POST /fs/search` searches, `POST /fs/mkdir` and `POST /fs/move`.

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use mcp_lm_core::{ServiceError, file_tool};
use serde_json::{Map, Value};

use crate::{
    AppState,
    api_error::{ApiError, json_body},
    caller::Caller,
};

type Params = Result<Query<BTreeMap<String, String>>, QueryRejection>;

/// Query parameters as tool arguments: numbers and booleans converted for the known fields.
fn arguments(params: Params, skip: &[&str]) -> Result<Map<String, Value>, ServiceError> {
    let Query(params) = params.map_err(|e| ServiceError::bad_request(e.body_text()))?;
    let mut args = Map::new();
    for (name, text) in params {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let value = match name.as_str() {
            "offset" | "limit" | "max_bytes" | "depth" | "max_entries" | "context"
            | "max_results" => Value::from(text.parse::<u64>().map_err(|_| {
                ServiceError::bad_request(format!("{name} must be a whole number, not {text:?}"))
            })?),
            "hidden" | "gitignore" | "recursive" | "literal" | "case_insensitive" => {
                match text.as_str() {
                    "" | "true" | "1" => Value::Bool(true),
                    "false" | "0" => Value::Bool(false),
                    _ => {
                        return Err(ServiceError::bad_request(format!(
                            "{name} must be true or false, not {text:?}"
                        )));
                    }
                }
            }
            _ => Value::String(text),
        };
        args.insert(name, value);
    }
    Ok(args)
}

async fn run(
    state: &AppState,
    tool: &str,
    args: Map<String, Value>,
    caller: &Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        file_tool(&state.services, tool, Value::Object(args), &caller.name).await?,
    ))
}

async fn body_object(state: &AppState, body: Body) -> Result<Map<String, Value>, ApiError> {
    match json_body(body, state.services.config.server.max_body_bytes).await? {
        Value::Object(map) => Ok(map),
        _ => Err(ServiceError::bad_request("the body must be a JSON object").into()),
    }
}

/// `GET /fs?list=DIR` (or `?stat=PATH`, `?read=PATH`).
pub(crate) async fn query(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let mut args = arguments(params, &[])?;
    let (tool, key) = if args.contains_key("stat") {
        ("fs_stat", "stat")
    } else if args.contains_key("read") {
        ("fs_read", "read")
    } else {
        ("fs_list", "list")
    };
    match args.remove(key) {
        Some(Value::String(path)) if !path.is_empty() => {
            args.insert("path".into(), Value::String(path));
        }
        _ if tool == "fs_list" => {}
        _ => {
            return Err(ServiceError::bad_request(format!("{key} needs a path")).into());
        }
    }
    run(&state, tool, args, &caller).await
}

/// `GET /fs/{path}`: `fs_read` (offset, limit, unit, max_bytes as query parameters).
pub(crate) async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let mut args = arguments(params, &["path"])?;
    args.insert("path".into(), Value::String(path));
    run(&state, "fs_read", args, &caller).await
}

/// `PUT /fs/{path}`: `fs_write` with `{content, encoding, mode, expected_sha256, create_dirs}`.
pub(crate) async fn write(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let mut args = body_object(&state, body).await?;
    args.insert("path".into(), Value::String(path));
    run(&state, "fs_write", args, &caller).await
}

/// `PATCH /fs/{path}`: `fs_edit` with `{old_string, new_string, …}`.
pub(crate) async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let mut args = body_object(&state, body).await?;
    args.insert("path".into(), Value::String(path));
    run(&state, "fs_edit", args, &caller).await
}

/// `DELETE /fs/{path}?recursive=true`: `fs_delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let mut args = arguments(params, &["path"])?;
    args.insert("path".into(), Value::String(path));
    run(&state, "fs_delete", args, &caller).await
}

/// `POST /fs/search`: `fs_search` with its arguments as the body.
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let args = body_object(&state, body).await?;
    run(&state, "fs_search", args, &caller).await
}

/// `POST /fs/mkdir`: `fs_mkdir` with `{path, parents}`.
pub(crate) async fn mkdir(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let args = body_object(&state, body).await?;
    run(&state, "fs_mkdir", args, &caller).await
}

/// `POST /fs/move`: `fs_move` with `{from, to, overwrite}`.
pub(crate) async fn move_path(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let args = body_object(&state, body).await?;
    run(&state, "fs_move", args, &caller).await
}
