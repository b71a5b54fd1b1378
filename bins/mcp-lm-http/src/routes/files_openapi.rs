//! The OpenAPI entries of the file routes (see [`super::files`]), the log routes (see
//! [`super::logs`]) and `WS /lm/stream` (see [`super::lm_stream`]).

use serde_json::{Value, json};

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn responses(description: &str) -> Value {
    json!({
        "200": {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FileResult"}}}},
        "400": error("Invalid arguments"),
        "401": error("Missing or malformed bearer token"),
        "403": error("Wrong token, or the path is outside the roots (path_outside_roots), denied (path_denied) or the server is read-only (read_only)"),
        "404": error("No such file (not_found)"),
        "409": error("hash_mismatch, exists, edit_no_match or edit_ambiguous"),
        "413": error("Larger than files.max_file_bytes (too_large)")
    })
}

fn query(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": kind}})
}

#[allow(clippy::needless_pass_by_value)] // built inline by every caller
fn body(properties: Value, required: &[&str]) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {
        "type": "object", "properties": properties, "required": required}}}})
}

/// Adds the `/fs` paths and the `FileResult` schema to `document`.
pub(crate) fn add(document: &mut Value) {
    let path_param = json!({"name": "path", "in": "path", "required": true,
        "description": "Path relative to the first allowed root (files.roots)", "schema": {"type": "string"}});
    let paths = json!({
        "/fs": {"get": {
            "operationId": "fsQuery",
            "summary": "List a directory (?list=DIR, default the first root), describe a path (?stat=PATH) or read a file (?read=PATH); the fs_list / fs_stat / fs_read tools",
            "parameters": [
                query("list", "string", "Directory to list"),
                query("stat", "string", "Path to describe (exists, type, size, mtime, sha256)"),
                query("read", "string", "File to read (as GET /fs/{path})"),
                query("depth", "integer", "Levels listed (default 1)"),
                query("glob", "string", "Only relative paths matching, e.g. **/*.rs"),
                query("hidden", "boolean", "Include dot files"),
                query("gitignore", "boolean", "Skip what .gitignore excludes"),
                query("max_entries", "integer", "Most entries (default 1000)")
            ],
            "responses": responses("Listing, description or content")
        }},
        "/fs/{path}": {
            "parameters": [path_param],
            "get": {
                "operationId": "fsRead",
                "summary": "Read a file: a range of lines (default) or bytes, text or base64 with a MIME type, capped with \"truncated, N bytes more\" (fs_read)",
                "parameters": [
                    query("offset", "integer", "First line (0-based) or byte"),
                    query("limit", "integer", "Most lines or bytes"),
                    {"name": "unit", "in": "query", "required": false, "schema": {"type": "string", "enum": ["lines", "bytes"]}},
                    query("max_bytes", "integer", "Most bytes returned (default 262144)")
                ],
                "responses": responses("Content")
            },
            "put": {
                "operationId": "fsWrite",
                "summary": "Write a file atomically (temp file + rename); expected_sha256 refuses the write if the file changed (fs_write)",
                "requestBody": body(json!({
                    "content": {"type": "string"},
                    "encoding": {"type": "string", "enum": ["utf-8", "base64"]},
                    "mode": {"type": "string", "enum": ["overwrite", "create", "append"]},
                    "expected_sha256": {"type": "string", "description": "sha256 the file must have now; \"absent\": must not exist"},
                    "create_dirs": {"type": "boolean"}
                }), &["content"]),
                "responses": responses("Written: size and sha256 before and after")
            },
            "patch": {
                "operationId": "fsEdit",
                "summary": "Replace an exact string (occurring exactly expected_occurrences times, default 1); returns a unified diff (fs_edit)",
                "requestBody": body(json!({
                    "old_string": {"type": "string"}, "new_string": {"type": "string"},
                    "expected_occurrences": {"type": "integer"}, "replace_all": {"type": "boolean"},
                    "expected_sha256": {"type": "string"}
                }), &["old_string", "new_string"]),
                "responses": responses("Edited: diff and sha256")
            },
            "delete": {
                "operationId": "fsDelete",
                "summary": "Delete a file (a directory only with ?recursive=true), never a root (fs_delete)",
                "parameters": [query("recursive", "boolean", "Delete a directory and its contents")],
                "responses": responses("Deleted")
            }
        },
        "/fs/search": {"post": {
            "operationId": "fsSearch",
            "summary": "Search a tree for a regex or literal, gitignore-aware, with line numbers and context, capped (fs_search)",
            "requestBody": body(json!({
                "pattern": {"type": "string"}, "path": {"type": "string"}, "literal": {"type": "boolean"},
                "case_insensitive": {"type": "boolean"}, "glob": {"type": "string"}, "hidden": {"type": "boolean"},
                "gitignore": {"type": "boolean"}, "context": {"type": "integer"}, "max_results": {"type": "integer"}
            }), &["pattern"]),
            "responses": responses("Matches")
        }},
        "/fs/mkdir": {"post": {
            "operationId": "fsMkdir", "summary": "Create a directory (fs_mkdir)",
            "requestBody": body(json!({"path": {"type": "string"}, "parents": {"type": "boolean"}}), &["path"]),
            "responses": responses("Created (or already there)")
        }},
        "/logs": {"get": {
            "operationId": "getLogs",
            "summary": "The audit log, newest page first (oldest first within it), with filters and cursor paging (the logs_read tool)",
            "parameters": [
                query("kind", "string", "Event kinds, comma-separated (command, query, session, job, file, auth…)"),
                query("since", "string", "Only events at or after this time (RFC 3339 UTC, or a prefix)"),
                query("text", "string", "Only events containing this text (case-insensitive)"),
                query("limit", "integer", "Most events (default 100, at most 1000)"),
                query("cursor", "string", "next_cursor of the previous page")
            ],
            "responses": {
                "200": {"description": "Events", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "success": {"type": "boolean"}, "audit_enabled": {"type": "boolean"}, "count": {"type": "integer"},
                    "events": {"type": "array", "items": {"type": "object"}}, "next_cursor": {"type": "string"}}}}}},
                "400": error("Bad filter or cursor"),
                "401": error("Missing or malformed bearer token"),
                "403": error("Wrong token")
            }
        }},
        "/lm/stream": {"get": {
            "operationId": "lmStream",
            "summary": "LLM answers over a WebSocket (upgrade): send {\"type\":\"query\",\"id\"?,…fields of POST /lm/query}; receive delta frames, then done (the /lm/query body with stats) or error; {\"type\":\"cancel\"} stops the generation upstream. One query at a time per connection. Also accepts a ticket or the subprotocol bearer.<token>",
            "responses": {
                "101": {"description": "Switching protocols"},
                "401": error("Missing or malformed bearer token"),
                "403": error("Wrong token")
            }
        }},
        "/logs/stream": {"get": {
            "operationId": "streamLogs",
            "summary": "Server-Sent Events: the last `limit` events (default 0), then every new one (event: log), filtered by kind and text",
            "parameters": [
                query("kind", "string", "Event kinds, comma-separated"),
                query("text", "string", "Only events containing this text"),
                query("limit", "integer", "Events of the backlog sent first (default 0)")
            ],
            "responses": {
                "200": {"description": "SSE stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                "401": error("Missing or malformed bearer token"),
                "403": error("Wrong token"),
                "404": error("The audit log is disabled (audit_disabled)")
            }
        }},
        "/fs/move": {"post": {
            "operationId": "fsMove", "summary": "Move or rename inside the roots (fs_move)",
            "requestBody": body(json!({"from": {"type": "string"}, "to": {"type": "string"}, "overwrite": {"type": "boolean"}}), &["from", "to"]),
            "responses": responses("Moved")
        }}
    });
    if let (Some(all), Value::Object(paths)) = (document["paths"].as_object_mut(), paths) {
        all.extend(paths);
    }
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        schemas.insert(
            "FileResult".into(),
            json!({"type": "object", "required": ["success"], "description": "The result of the fs_* tool (see the MCP tool's output schema)",
                   "properties": {"success": {"type": "boolean"}, "path": {"type": "string"}}, "additionalProperties": true}),
        );
    }
}
