//! `GET /activity?limit=N`: the last N events of the audit log (oldest first), read from the
//! end of the file (and of the newest rotated one if needed), plus a cheap server summary
//! (uptime, sessions, jobs, running commands, version) that does not probe the model servers.

use std::path::Path;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use mcp_lm_core::{LogFilter, ServiceError, read_logs};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, api_error::ApiError};

/// Events returned without `limit`.
const DEFAULT_LIMIT: usize = 100;
/// The most events one call returns.
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize)]
pub(crate) struct ActivityQuery {
    limit: Option<String>,
}

pub(crate) async fn activity(
    State(state): State<AppState>,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ServiceError::bad_request(e.body_text()))?;
    let limit = match query.limit.as_deref() {
        None | Some("") => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| {
                ServiceError::bad_request(format!(
                    "limit must be a whole number from 0 to {MAX_LIMIT}, not {text:?}"
                ))
            })?
            .min(MAX_LIMIT),
    };
    let services = &state.services;
    let path = services.audit.path().map(Path::to_path_buf);
    let keep = services.config.log.keep;
    let events = match path.clone() {
        Some(path) => tokio::task::spawn_blocking(move || last_events(&path, keep, limit))
            .await
            .map_err(|e| ServiceError::new(500, "internal", e.to_string()))??,
        None => Vec::new(),
    };
    Ok(Json(json!({
        "success": true,
        "audit_enabled": path.is_some(),
        "events": events,
        "summary": {
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_s": services.started.elapsed().as_secs(),
            "sessions": services.sessions.len(),
            "jobs": services.sessions.list_jobs().len(),
            "running": services.runner.running(),
        },
    })))
}

/// The last `limit` events of the log at `path` and its `keep` rotated files, oldest first
/// (read from the end of the files by [`read_logs`], the reader behind `/logs` too).
fn last_events(path: &Path, keep: usize, limit: usize) -> Result<Vec<Value>, ServiceError> {
    let filter = LogFilter {
        limit: Some(limit),
        ..LogFilter::default()
    };
    let page = read_logs(Some(path), keep, &filter)?;
    Ok(page["events"].as_array().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::{io::Write, path::PathBuf};

    use super::*;

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcp-lm-activity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    fn numbers(events: &[Value]) -> Vec<u64> {
        events.iter().map(|e| e["i"].as_u64().unwrap()).collect()
    }

    #[test]
    fn reads_the_tail_across_blocks_and_skips_an_unfinished_line() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("{{\"i\":{i},\"pad\":\"{}\"}}\n", "x".repeat(50)));
        }
        text.push_str("{\"i\":5000,\"unfinish");
        let path = temp_file("big.jsonl", &text);
        assert_eq!(
            numbers(&last_events(&path, 1, 3).unwrap()),
            [4997, 4998, 4999]
        );
        let many = last_events(&path, 1, 1000).unwrap();
        assert_eq!(many.len(), 1000);
        assert_eq!(many[0]["i"], 4000);
        assert_eq!(last_events(&path, 1, 0).unwrap().len(), 0);
        let small = temp_file("small.jsonl", "{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n");
        assert_eq!(last_events(&small, 1, 10).unwrap().len(), 3);
    }

    #[test]
    fn continues_into_the_rotated_file_and_skips_junk() {
        let path = temp_file("rot.jsonl", "{\"i\":3}\n{\"i\":4}\n");
        temp_file("rot.jsonl.1", "{\"i\":1}\nnot json\n{\"i\":2}\n");
        assert_eq!(numbers(&last_events(&path, 1, 10).unwrap()), [1, 2, 3, 4]);
        assert_eq!(numbers(&last_events(&path, 1, 2).unwrap()), [3, 4]);
        assert!(
            last_events(Path::new("/nonexistent/audit.jsonl"), 1, 5)
                .unwrap()
                .is_empty()
        );
    }
}
