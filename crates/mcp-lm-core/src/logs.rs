//! Reading the audit log back: filters (kind, since, text), newest pages first with a cursor
//! to page further back, across the rotated files. Used by the `logs_read` tool and by
//! `GET /logs` / `GET /logs/stream` of `mcp-lm-http`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ServiceError;

/// Events returned without `limit`.
pub const DEFAULT_LOG_LIMIT: usize = 100;
/// The most events one call returns.
pub const MAX_LOG_LIMIT: usize = 1000;

/// Which events to return.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFilter {
    /// Only events of these kinds (`command`, `query`, `session`, `job`, `file`, `auth`…),
    /// comma-separated.
    #[serde(default)]
    pub kind: Option<String>,
    /// Only events at or after this time (RFC 3339, UTC, e.g. `2026-01-31T12:00:00Z`; a
    /// prefix such as `2026-01-31` works).
    #[serde(default)]
    pub since: Option<String>,
    /// Only events whose JSON contains this text (case-insensitive).
    #[serde(default)]
    pub text: Option<String>,
    /// Most events (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page, to read older events.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl LogFilter {
    /// Whether `event` passes the kind, since and text filters.
    #[must_use]
    pub fn matches(&self, event: &Value) -> bool {
        if let Some(kinds) = self.kind.as_deref().filter(|k| !k.trim().is_empty()) {
            let kind = event["kind"].as_str().unwrap_or("");
            if !kinds.split(',').map(str::trim).any(|k| k == kind) {
                return false;
            }
        }
        if let Some(since) = self.since.as_deref().filter(|s| !s.is_empty())
            && event["time"].as_str().unwrap_or("") < since
        {
            return false;
        }
        if let Some(text) = self.text.as_deref().filter(|t| !t.is_empty()) {
            let haystack = event.to_string().to_lowercase();
            if !haystack.contains(&text.to_lowercase()) {
                return false;
            }
        }
        true
    }
}

/// Parses `"<time>|<n>"`.
fn parse_cursor(cursor: &str) -> Result<(String, usize), ServiceError> {
    cursor
        .rsplit_once('|')
        .and_then(|(time, n)| Some((time.to_owned(), n.parse().ok()?)))
        .ok_or_else(|| {
            ServiceError::bad_request(format!("bad cursor {cursor:?}"))
                .hint("pass next_cursor from the previous page as is")
        })
}

/// A page of the audit log at `path` (and its `keep` rotated files): the newest events that
/// pass `filter` (older than `filter.cursor`), oldest first, with `next_cursor` when older
/// ones remain. `path` `None`: the log is disabled (no events).
///
/// # Errors
/// `400 invalid_request` for a bad cursor, `500 audit_unreadable` when a file cannot be read.
pub fn read_logs(
    path: Option<&Path>,
    keep: usize,
    filter: &LogFilter,
) -> Result<Value, ServiceError> {
    let limit = filter.limit.unwrap_or(DEFAULT_LOG_LIMIT).min(MAX_LOG_LIMIT);
    let Some(path) = path else {
        return Ok(
            json!({"success": true, "audit_enabled": false, "events": [],
                         "count": 0, "next_cursor": null}),
        );
    };
    let cursor = filter.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut files = vec![path.to_path_buf()];
    files.extend((1..=keep.max(1)).map(|i| PathBuf::from(format!("{}.{i}", path.display()))));
    let mut events: Vec<Value> = Vec::new();
    let mut more = false;
    // Events at the cursor's time seen so far (newest first).
    let mut at_cursor = 0usize;
    for file in files {
        // Enough events, or older than `since`: older files need not be read.
        let mut done = false;
        let outcome = crate::reverse_lines::lines_backwards(&file, |line| {
            let Ok(event) = serde_json::from_slice::<Value>(line) else {
                return true;
            };
            if !event.is_object() {
                return true;
            }
            let time = event["time"].as_str().unwrap_or("");
            if let Some(since) = filter.since.as_deref().filter(|s| !s.is_empty())
                && time < since
            {
                done = true;
                return false;
            }
            if !filter.matches(&event) {
                return true;
            }
            if let Some((cursor_time, seen)) = &cursor {
                if time > cursor_time.as_str() {
                    return true;
                }
                if time == cursor_time.as_str() {
                    at_cursor += 1;
                    if at_cursor <= *seen {
                        return true;
                    }
                }
            }
            if events.len() == limit {
                more = true;
                done = true;
                return false;
            }
            events.push(event);
            true
        });
        if let Err(e) = outcome {
            return Err(ServiceError::new(
                500,
                "audit_unreadable",
                format!("cannot read the audit log {}: {e}", file.display()),
            ));
        }
        if done {
            break;
        }
    }
    let next_cursor = if more {
        events.last().map(|oldest| {
            let time = oldest["time"].as_str().unwrap_or("").to_owned();
            let same = events
                .iter()
                .filter(|e| e["time"].as_str() == Some(&time))
                .count();
            let before = match &cursor {
                Some((cursor_time, seen)) if *cursor_time == time => *seen,
                _ => 0,
            };
            format!("{time}|{}", same + before)
        })
    } else {
        None
    };
    events.reverse();
    Ok(json!({
        "success": true,
        "audit_enabled": true,
        "count": events.len(),
        "events": events,
        "next_cursor": next_cursor,
    }))
}
