//! `logs_read`: the audit log (commands, queries, sessions, jobs, file writes) with filters and
//! cursor paging, so that an assistant can see what was run (see [`crate::logs`]).

use mcp_protocol::{RequestContext, ServerBuilder, Tool};
use serde_json::{Value, json};

use crate::catalog_support::{annotations, bind, output_schema};
use crate::logs::{LogFilter, MAX_LOG_LIMIT, read_logs};
use crate::service_error::parse_args;
use crate::{ServiceError, Services};

/// Adds `logs_read` to `builder`.
pub(crate) fn register(builder: ServerBuilder, services: &Services) -> ServerBuilder {
    let mut hints = annotations("Read the audit log", true, false, false);
    hints.idempotent_hint = Some(true);
    builder.tool(
        Tool::new(
            "logs_read",
            "Read the server's audit log (what was run: commands, LLM queries, sessions, jobs, \
             file writes with hashes), newest page first, oldest first within it. Filter by \
             kind (comma-separated), since (RFC 3339 time or prefix) and text; pass next_cursor \
             as cursor for older events.",
        )
        .title("Read the audit log")
        .input_schema(json!({
            "type": "object",
            "properties": {
                "kind": {"type": "string", "description": "Event kinds, comma-separated: command, query, session, job, file, auth…"},
                "since": {"type": "string", "description": "Only events at or after this time (RFC 3339 UTC, or a prefix such as 2026-01-31)"},
                "text": {"type": "string", "description": "Only events containing this text (case-insensitive)"},
                "limit": {"type": "integer", "minimum": 0, "maximum": MAX_LOG_LIMIT, "description": "Most events (default 100)"},
                "cursor": {"type": "string", "description": "next_cursor of the previous page"}
            },
            "additionalProperties": false
        }))
        .output_schema(output_schema(json!({
            "audit_enabled": {"type": "boolean"},
            "events": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer"},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor to read older events; null when there are none"}
        })))
        .annotations(hints),
        bind(services, read),
    )
}

async fn read(services: Services, args: Value, _cx: RequestContext) -> Result<Value, ServiceError> {
    let filter: LogFilter = parse_args(args)?;
    let audit = services.audit.clone();
    let keep = services.config.log.keep;
    tokio::task::spawn_blocking(move || {
        audit.flush();
        read_logs(audit.path(), keep, &filter)
    })
    .await
    .map_err(|e| ServiceError::new(500, "internal_error", e.to_string()))?
}
