//! `GET /openapi.json`: OpenAPI 3.1 (or 3.0 with `?format=3.0`, as ChatGPT Actions wants),
//! with the request schemas taken from the same definitions the server validates against.

use axum::{
    Json,
    extract::Query,
    http::{HeaderMap, header},
};
use mcp_lm_core::{LmQuery, TerminalCmd};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub(crate) struct Format {
    format: Option<String>,
}

pub(crate) async fn openapi(headers: HeaderMap, Query(format): Query<Format>) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let document = document(&format!("http://{host}"));
    Json(if format.format.as_deref() == Some("3.0") {
        to_openapi_30(document)
    } else {
        document
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok_json(schema: &str, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn auth_errors() -> Value {
    json!({
        "401": error_response("Missing or malformed bearer token"),
        "403": error_response("Wrong token")
    })
}

fn with(base: Value, extra: Value) -> Value {
    let mut base = base;
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

/// `GET /activity`.
fn activity_path() -> Value {
    json!({"get": {
        "operationId": "getActivity", "summary": "The last events of the audit log (oldest first; empty when the log is disabled) and a server summary",
        "parameters": [{"name": "limit", "in": "query", "required": false, "description": "How many events (default 100, at most 1000)", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}}],
        "responses": with(json!({"200": {"description": "Events", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "success": {"type": "boolean"}, "audit_enabled": {"type": "boolean"},
            "events": {"type": "array", "items": {"type": "object", "properties": {"time": {"type": "string"}, "kind": {"type": "string"}}}},
            "summary": {"type": "object", "properties": {"version": {"type": "string"}, "uptime_s": {"type": "integer"}, "sessions": {"type": "integer"}, "jobs": {"type": "integer"}, "running": {"type": "integer"}}}}}}}},
            "400": error_response("Invalid limit")}), auth_errors())
    }})
}

/// `GET /`: the web UI's page (public).
fn web_ui_path() -> Value {
    json!({"get": {
        "operationId": "webUi", "summary": "The web monitoring UI (a public static page; its calls need the token)", "security": [],
        "responses": {"200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}}}
    }})
}

/// `GET /ui/{asset}`: the web UI's files (public).
fn web_ui_asset_path() -> Value {
    json!({"get": {
        "operationId": "webUiAsset", "summary": "A static file of the web UI (public)", "security": [],
        "parameters": [{"name": "asset", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The file"}, "304": {"description": "Not modified"}, "404": error_response("No such file")}
    }})
}

/// The OpenAPI 3.1 document.
pub(crate) fn document(server_url: &str) -> Value {
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mcp-lm-terminal",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A local LLM served by LM Studio (or Ollama, or any OpenAI-compatible server, as configured backends), and a terminal, for AI assistants. Every route but /health needs `Authorization: Bearer <token>`."
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {
                "operationId": "health", "summary": "Liveness probe (public)", "security": [],
                "responses": {"200": {"description": "The server is up", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}}}
            }},
            "/status": {"get": {
                "operationId": "getStatus", "summary": "Model server reachability (the default backend, and each backend), loaded model, terminal settings",
                "responses": with(json!({"200": ok_json("Status", "Status report")}), auth_errors())
            }},
            "/lm/query": {"post": {
                "operationId": "queryLlm", "summary": "Ask the local LLM; returns the answer with usage and statistics",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LmQuery"}}}},
                "responses": with(json!({
                    "200": {"description": "The answer (or, with stream: true, text/event-stream of delta events then a done event)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LmAnswer"}},
                                        "text/event-stream": {"schema": {"type": "string"}}}},
                    "400": error_response("Invalid request, or an unknown backend"),
                    "404": error_response("Unknown model"),
                    "413": error_response("Body too large, or the prompt does not fit the model's context"),
                    "502": error_response("The model server answered with an error"),
                    "503": error_response("The model server is unreachable or has no model loaded"),
                    "504": error_response("The model server is too slow")
                }), auth_errors())
            }},
            "/lm/models": {"get": {
                "operationId": "listModels", "summary": "Models of the model servers, with state, type, quantization, context length: `models` for the default (or named) backend, `backends` for each",
                "parameters": [{"name": "backend", "in": "query", "required": false, "description": "Only this configured backend", "schema": {"type": "string"}}],
                "responses": with(json!({"200": {"description": "Models", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "success": {"type": "boolean"},
                    "models": {"type": "array", "items": {"type": "object"}},
                    "backends": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["lmstudio", "ollama", "openai"]}, "host": {"type": "string"},
                        "default": {"type": "boolean"}, "models": {"type": "array", "items": {"type": "object"}}, "error": {"type": "object"}}}}}}}}},
                    "400": error_response("Unknown backend"),
                    "503": error_response("The model server is unreachable")}), auth_errors())
            }},
            "/terminal/cmd": {"post": {
                "operationId": "runCommand", "summary": "Run a shell command with a timeout that kills its whole process group",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TerminalCmdRequest"}}}},
                "responses": with(json!({
                    "200": cmd_ok(),
                    "400": error_response("Invalid request"),
                    "413": error_response("Body too large"),
                    "429": error_response("Too many commands running")
                }), auth_errors())
            }},
            "/terminal/stream": {"get": {
                "operationId": "terminalStream", "summary": "Interactive terminal over a WebSocket (upgrade). Query: session (reattach), name, cols, rows, ticket. Also accepts the subprotocol bearer.<token>",
                "responses": with(json!({"101": {"description": "Switching protocols"}, "404": error_response("Unknown session")}), auth_errors())
            }},
            "/terminal/sessions": {"get": {
                "operationId": "listSessions", "summary": "Open terminal sessions",
                "responses": with(json!({"200": {"description": "Sessions", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "sessions": {"type": "array", "items": {"type": "object"}}}}}}}}), auth_errors())
            }},
            "/terminal/sessions/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"operationId": "getSession", "summary": "One terminal session", "responses": with(json!({"200": {"description": "The session"}, "404": error_response("Unknown session")}), auth_errors())},
                "delete": {"operationId": "closeSession", "summary": "Close a terminal session (kills its processes)", "responses": with(json!({"200": {"description": "Closed"}, "404": error_response("Unknown session")}), auth_errors())}
            },
            "/activity": activity_path(),
            "/": web_ui_path(),
            "/ui/{asset}": web_ui_asset_path(),
            "/auth/ticket": {"post": {
                "operationId": "issueTicket", "summary": "A 30-second single-use ticket for opening /terminal/stream?ticket=… from a browser",
                "responses": with(json!({"200": {"description": "Ticket", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "ticket": {"type": "string"}, "expires_in": {"type": "integer"}}}}}}}), auth_errors())
            }},
            "/mcp": {
                "post": {"operationId": "mcpMessage", "summary": "Model Context Protocol, Streamable HTTP (JSON-RPC)",
                         "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                         "responses": {"200": {"description": "JSON-RPC answer (JSON or SSE)"}, "202": {"description": "Notification accepted"}, "401": {"description": "Missing or wrong token"}}},
                "get": {"operationId": "mcpStream", "summary": "MCP server-to-client stream or resumption", "responses": {"200": {"description": "SSE stream"}}},
                "delete": {"operationId": "mcpEndSession", "summary": "End an MCP session", "responses": {"204": {"description": "Ended"}}}
            },
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document (?format=3.0 for OpenAPI 3.0)",
                "parameters": [{"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["3.0", "3.1"]}}],
                "responses": with(json!({"200": {"description": "OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}), auth_errors())
            }}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "LmQuery": LmQuery::schema(),
                "TerminalCmd": TerminalCmd::schema(),
                "TerminalCmdRequest": terminal_cmd_request(),
                "Error": {"type": "object", "required": ["success", "error"], "properties": {
                    "success": {"type": "boolean"},
                    "error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"}, "hint": {"type": "string"}}}}},
                "Usage": {"type": "object", "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}},
                "Stats": {"type": "object", "properties": {
                    "tokens_per_second": {"type": "number"}, "time_to_first_token": {"type": "number"},
                    "generation_time": {"type": "number"}, "stop_reason": {"type": "string"},
                    "model_load_time": {"type": "number"}, "prompt_tokens_per_second": {"type": "number"},
                    "total_time": {"type": "number"}, "measured_time_to_first_token": {"type": "number"},
                    "tokens_estimated": {"type": "boolean"},
                    "source": {"type": "string", "enum": ["server", "measured"]}}},
                "LmAnswer": {"type": "object", "required": ["success", "content", "usage", "stats", "model"], "properties": {
                    "success": {"type": "boolean"}, "content": {"type": "string"}, "reasoning": {"type": "string"},
                    "usage": {"$ref": "#/components/schemas/Usage"}, "stats": {"$ref": "#/components/schemas/Stats"},
                    "model_info": {"type": "object", "properties": {"arch": {"type": "string"}, "quant": {"type": "string"}, "format": {"type": "string"}, "context_length": {"type": "integer"}}},
                    "runtime": {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "supported_formats": {"type": "array", "items": {"type": "string"}}}},
                    "finish_reason": {"type": "string"}, "model": {"type": "string"}, "requested_model": {"type": "string"},
                    "api_version": {"type": "string", "enum": ["v0", "v1", "native", "ollama"]},
                    "backend": {"type": "string"}}},
                "CmdResult": {"type": "object", "required": ["success", "command", "stdout", "stderr", "execution_time"], "properties": {
                    "success": {"type": "boolean"}, "command": {"type": "string"}, "stdout": {"type": "string"}, "stderr": {"type": "string"},
                    "stdout_base64": {"type": "string"}, "stderr_base64": {"type": "string"},
                    "exit_code": {"type": "integer"}, "signal": {"type": "string"}, "timed_out": {"type": "boolean"}, "cancelled": {"type": "boolean"},
                    "truncated": {"type": "object", "properties": {"stdout": {"type": "boolean"}, "stderr": {"type": "boolean"}}},
                    "total_bytes": {"type": "object", "properties": {"stdout": {"type": "integer"}, "stderr": {"type": "integer"}}},
                    "execution_time": {"type": "number", "description": "Seconds"}, "timeout": {"type": "number"}, "pid": {"type": "integer"}}},
                "Status": {"type": "object", "required": ["status", "lm_studio", "terminal", "version"], "properties": {
                    "status": {"type": "string"},
                    "lm_studio": {"type": "object", "description": "The default backend", "properties": {"connected": {"type": "boolean"}, "host": {"type": "string"}, "model": {"type": "string"}, "available": {"type": "boolean"}, "api_version": {"type": "string"}, "error": {"type": "string"}, "backend": {"type": "string"}, "kind": {"type": "string"}}},
                    "backends": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["lmstudio", "ollama", "openai"]}, "host": {"type": "string"}, "model": {"type": "string"},
                        "default": {"type": "boolean"}, "connected": {"type": "boolean"}, "available": {"type": "boolean"}, "api_version": {"type": "string"},
                        "models": {"type": "array", "items": {"type": "string"}}, "latency_ms": {"type": "number"}, "error": {"type": "string"}}}},
                    "terminal": {"type": "object", "properties": {"status": {"type": "string"}, "timeout": {"type": "string"}, "running": {"type": "integer"}}},
                    "version": {"type": "string"}, "uptime_s": {"type": "integer"}, "sessions": {"type": "integer"},
                    "models": {"type": "array", "items": {"type": "string"}}}}
            }
        }
    });
    super::files_openapi::add(&mut document);
    document
}

/// The same document as OpenAPI 3.0.3: numeric `exclusiveMinimum` becomes the 3.0 boolean form.
fn to_openapi_30(mut document: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(object) => {
                if let Some(bound) = object.get("exclusiveMinimum").and_then(Value::as_f64) {
                    object.insert("minimum".into(), json!(bound));
                    object.insert("exclusiveMinimum".into(), json!(true));
                }
                object.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut document);
    document["openapi"] = json!("3.0.3");
    document
}

/// `POST /terminal/cmd`'s body: the `terminal_run` tool's arguments plus `stream`.
fn terminal_cmd_request() -> Value {
    let mut schema = TerminalCmd::schema();
    schema["properties"]["stream"] = json!({
        "type": "boolean",
        "default": false,
        "description": "Stream the output as server-sent events, then the result"
    });
    schema
}

/// `POST /terminal/cmd`'s answer, JSON or streamed.
fn cmd_ok() -> Value {
    json!({
        "description": "The command ran (see success and exit_code); with stream: true, \
            text/event-stream of output events ({stream, text, base64 when text is not the \
            exact bytes}) as the output is read, then a done event with this same result. \
            Closing the stream kills the command",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CmdResult"}},
            "text/event-stream": {"schema": {"type": "string"}}
        }
    })
}
