//! Errors as the REST API answers them: `{"success":false,"error":{"code","message","hint"}}`
//! with the right status, never HTML or a bare string.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mcp_lm_core::ServiceError;

/// A [`ServiceError`] as an axum response.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) ServiceError);

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.body())).into_response()
    }
}

/// Bodies past the limit are still read (and dropped) up to this size, so the client, which is
/// usually still sending, receives the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Reads a JSON body within the configured size limit.
pub(crate) async fn json_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<serde_json::Value, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        total += chunk.len();
        if total <= limit {
            bytes.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > limit {
        return Err(ServiceError::new(
            413,
            "body_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
        .hint("raise server.max_body_bytes if this is intended")
        .into());
    }
    if bytes.is_empty() {
        return Err(
            ServiceError::bad_request("the request body is empty; send a JSON object").into(),
        );
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ServiceError::new(
            400,
            "invalid_json",
            format!("the request body is not valid JSON: {e}"),
        )
        .hint("send Content-Type: application/json with a JSON object")
        .into()
    })
}
