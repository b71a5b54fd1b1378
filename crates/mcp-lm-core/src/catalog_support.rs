//! Helpers shared by the modules of the tool catalog: results, annotations, output schemas,
//! handler binding and the mapping of terminal errors to [`ServiceError`]s.

use std::future::Future;

use mcp_protocol::{CallToolResult, RequestContext, ToolAnnotations, ToolError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{ServiceError, Services};

/// A structured result: `structuredContent` plus the same JSON as text.
pub(crate) fn structured(value: &impl Serialize) -> Result<CallToolResult, ToolError> {
    serde_json::to_value(value)
        .map(CallToolResult::structured)
        .map_err(ToolError::from)
}

/// A failed result (`isError`) with the message and hint as text and the REST error body
/// (`{"success": false, "error": {code, message, hint}}`) as structured content.
pub(crate) fn failed(error: &ServiceError) -> CallToolResult {
    let mut result = CallToolResult::error(error.tool_text());
    result.structured_content = Some(error.body());
    result
}

/// The annotations of a tool.
pub(crate) fn annotations(
    title: &str,
    read_only: bool,
    destructive: bool,
    open_world: bool,
) -> ToolAnnotations {
    let mut annotations = ToolAnnotations::default();
    annotations.title = Some(title.to_owned());
    annotations.read_only_hint = Some(read_only);
    annotations.destructive_hint = Some(destructive);
    annotations.open_world_hint = Some(open_world);
    annotations
}

/// A tool handler bound to a clone of `services`: `handler` answers a JSON object (shown as a
/// structured result) or a [`ServiceError`] (shown as an `isError` result).
pub(crate) fn bind<F, Fut>(
    services: &Services,
    handler: F,
) -> impl Fn(Value, RequestContext) -> BoxedCall + Send + Sync + 'static
where
    F: Fn(Services, Value, RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, ServiceError>> + Send + 'static,
{
    let services = services.clone();
    move |args, cx| {
        let call = handler(services.clone(), args, cx);
        Box::pin(async move {
            match call.await {
                Ok(value) => Ok(CallToolResult::structured(value)),
                Err(error) => Ok(failed(&error)),
            }
        })
    }
}

/// The future of a bound handler.
pub(crate) type BoxedCall = mcp_protocol::BoxFuture<Result<CallToolResult, ToolError>>;

/// The output schema of a tool whose successful results have `properties` (and
/// `"success": true`); failed results are `{"success": false, "error": {code, message, hint}}`,
/// so only `success` is required.
pub(crate) fn output_schema(properties: Value) -> Value {
    let mut all = json!({
        "success": {"type": "boolean", "description": "false when the call failed (then see error)"},
        "error": {
            "type": "object",
            "description": "Present when success is false",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "hint": {"type": "string"}
            }
        }
    });
    if let (Some(all), Value::Object(properties)) = (all.as_object_mut(), properties) {
        all.extend(properties);
    }
    json!({"type": "object", "properties": all, "required": ["success"]})
}

/// The JSON schema of an exit status (`{"code": 0, "signal": null}`).
pub(crate) fn exit_schema() -> Value {
    json!({
        "type": ["object", "null"],
        "description": "How the program ended (null while it runs)",
        "properties": {
            "code": {"type": ["integer", "null"], "description": "Exit code"},
            "signal": {"type": ["string", "integer", "null"], "description": "Signal that killed it, e.g. SIGKILL"}
        }
    })
}

/// A terminal error as the tools show it: the shared mapping plus hints naming the tools.
pub(crate) fn terminal_failure(error: pty_exec::Error) -> ServiceError {
    use pty_exec::Error as E;
    let hint = match &error {
        E::NameTaken { .. } => {
            Some("use that session (terminal_session_read / _send), close it, or pick another name")
        }
        E::SessionExited { .. } => Some("close it with terminal_session_close and start a new one"),
        E::JobNotFound { .. } => {
            Some("job ids look like j-3f9a0c1d2e4b5a69; finished jobs are forgotten after a while")
        }
        E::JobLimit { .. } => Some("wait for a job to finish or kill one with terminal_job_kill"),
        E::SessionNotFound { .. } => Some("terminal_session_list shows the sessions"),
        _ => None,
    };
    let failure = ServiceError::from(error);
    match hint {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
}

/// `Duration` of a `wait_ms` argument, at most [`MAX_WAIT_MS`].
pub(crate) fn wait_duration(wait_ms: Option<u64>) -> std::time::Duration {
    std::time::Duration::from_millis(wait_ms.unwrap_or(0).min(MAX_WAIT_MS))
}

/// Longest `wait_ms` accepted by the read tools.
pub(crate) const MAX_WAIT_MS: u64 = 10_000;

/// Default `max_bytes` of the read tools.
pub(crate) const DEFAULT_READ_BYTES: usize = 32 * 1024;

/// Smallest `max_bytes` accepted by the read tools (room for a few whole characters).
pub(crate) const MIN_READ_BYTES: usize = 64;

/// Largest `max_bytes` accepted by the read tools.
pub(crate) const MAX_READ_BYTES: usize = 1024 * 1024;

/// `max_bytes` clamped to the accepted range.
pub(crate) fn read_limit(max_bytes: Option<usize>) -> usize {
    max_bytes
        .unwrap_or(DEFAULT_READ_BYTES)
        .clamp(MIN_READ_BYTES, MAX_READ_BYTES)
}

/// `value` (a JSON object) with `"success": true` added first.
pub(crate) fn success(value: &impl Serialize) -> Result<Value, ServiceError> {
    let value = serde_json::to_value(value)
        .map_err(|e| ServiceError::new(500, "internal_error", e.to_string()))?;
    let mut object = serde_json::Map::new();
    object.insert("success".into(), Value::Bool(true));
    if let Value::Object(fields) = value {
        object.extend(fields);
    }
    Ok(Value::Object(object))
}

/// The session an `id` / `name` pair of arguments designates (the id wins when both are given).
pub(crate) fn session_key<'a>(
    id: Option<&'a str>,
    name: Option<&'a str>,
) -> Result<&'a str, ServiceError> {
    id.or(name).ok_or_else(|| {
        ServiceError::bad_request("give the session's id (or its name)").hint(
            "terminal_session_start returns the id; terminal_session_list shows every session",
        )
    })
}
