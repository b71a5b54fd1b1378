//! `POST /lm/query` (JSON, or SSE with `"stream": true`) and `GET /lm/models[?backend=…]`.

use std::convert::Infallible;

use axum::{
    Json,
    body::Body,
    extract::{Query, State},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::StreamExt;
use mcp_lm_core::{LmQuery, LmStreamEvent};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    api_error::{ApiError, json_body},
    caller::Caller,
};

pub(crate) async fn query(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let query = LmQuery::from_json(json_body(body, services.config.server.max_body_bytes).await?)?;
    let backend = query
        .backend
        .clone()
        .unwrap_or_else(|| services.backends.default_backend().name.clone());
    let audit = |outcome: &str, model: &str| {
        services.audit.record(
            "query",
            json!({"caller": caller.name, "remote": caller.remote, "backend": backend, "model": model, "stream": query.stream, "outcome": outcome}),
        );
    };
    if !query.stream {
        return match services.lm_query(&query).await {
            Ok(answer) => {
                audit("ok", &answer.model);
                Ok(Json(answer).into_response())
            }
            Err(error) => {
                audit(error.code, query.model.as_deref().unwrap_or("default"));
                Err(error.into())
            }
        };
    }
    let events = match services.lm_query_stream(&query).await {
        Ok(events) => events,
        Err(error) => {
            audit(error.code, query.model.as_deref().unwrap_or("default"));
            return Err(error.into());
        }
    };
    audit("stream", query.model.as_deref().unwrap_or("default"));
    let events = events.map(|event| {
        let name = match &event {
            LmStreamEvent::Delta { .. } => "delta",
            LmStreamEvent::Progress { .. } => "progress",
            LmStreamEvent::Done(_) => "done",
            LmStreamEvent::Error { .. } => "error",
        };
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".to_owned());
        Ok::<_, Infallible>(Event::default().event(name).data(data))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}

/// `?backend=` of `GET /lm/models`.
#[derive(Debug, Deserialize)]
pub(crate) struct ModelsParams {
    backend: Option<String>,
}

pub(crate) async fn models(
    State(state): State<AppState>,
    Query(params): Query<ModelsParams>,
) -> Result<Response, ApiError> {
    let report = state.services.lm_models(params.backend.as_deref()).await?;
    Ok(Json(report).into_response())
}
