//! `GET /activity?limit=N`: the last N events of the audit log (oldest first), read from the
//! end of the file (and of the newest rotated one if needed), plus a cheap server summary
//! (uptime, sessions, jobs, running commands, version) that does not probe the model servers.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    path::{Path, PathBuf},
};

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use mcp_lm_core::ServiceError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, api_error::ApiError};

/// Events returned without `limit`.
const DEFAULT_LIMIT: usize = 100;
/// The most events one call returns.
const MAX_LIMIT: usize = 1000;
/// Bytes read backwards per step.
const BLOCK: u64 = 64 * 1024;
/// The most bytes read from one file, whatever the line lengths.
const MAX_READ: u64 = 16 * 1024 * 1024;

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
    let events = match path.clone() {
        Some(path) => tokio::task::spawn_blocking(move || last_events(&path, limit))
            .await
            .map_err(|e| ServiceError::new(500, "internal", e.to_string()))?
            .map_err(|e| {
                ServiceError::new(
                    500,
                    "audit_unreadable",
                    format!("cannot read the audit log: {e}"),
                )
            })?,
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

/// The last `limit` events of the log at `path`, oldest first, continuing into `path.1` (the
/// newest rotated file) when the current one holds fewer. Lines that are not JSON are skipped.
fn last_events(path: &Path, limit: usize) -> io::Result<Vec<Value>> {
    let mut lines = last_lines(path, limit)?;
    if lines.len() < limit {
        let rotated = PathBuf::from(format!("{}.1", path.display()));
        let mut older = last_lines(&rotated, limit - lines.len())?;
        older.append(&mut lines);
        lines = older;
    }
    Ok(lines
        .iter()
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .filter(Value::is_object)
        .collect())
}

/// The last `limit` complete lines of a file (a missing file has none), reading blocks
/// backwards from the end; a line still being written (no newline yet) is left out.
fn last_lines(path: &Path, limit: usize) -> io::Result<Vec<Vec<u8>>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let end = file.metadata()?.len();
    let floor = end.saturating_sub(MAX_READ);
    let mut start = end;
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut newlines = 0;
    // One newline more than `limit` means the first of the wanted lines is complete.
    while start > floor && newlines <= limit {
        let from = start.saturating_sub(BLOCK).max(floor);
        let mut block = vec![0; usize::try_from(start - from).unwrap_or(0)];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        newlines += block.iter().filter(|b| **b == b'\n').count();
        blocks.push(block);
        start = from;
    }
    let bytes: Vec<u8> = blocks.into_iter().rev().flatten().collect();
    let mut pieces: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    pieces.pop(); // after the last newline: empty, or a line not finished yet
    if start > 0 && !pieces.is_empty() {
        pieces.remove(0); // began before what was read
    }
    let skip = pieces.len().saturating_sub(limit);
    Ok(pieces
        .into_iter()
        .skip(skip)
        .filter(|line| !line.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

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
        assert_eq!(numbers(&last_events(&path, 3).unwrap()), [4997, 4998, 4999]);
        let many = last_events(&path, 1000).unwrap();
        assert_eq!(many.len(), 1000);
        assert_eq!(many[0]["i"], 4000);
        assert_eq!(last_events(&path, 0).unwrap().len(), 0);
        assert_eq!(last_events(&path, 6000).unwrap().len(), 5000);
    }

    #[test]
    fn continues_into_the_rotated_file_and_skips_junk() {
        let path = temp_file("rot.jsonl", "{\"i\":3}\n{\"i\":4}\n");
        temp_file("rot.jsonl.1", "{\"i\":1}\nnot json\n{\"i\":2}\n");
        assert_eq!(numbers(&last_events(&path, 10).unwrap()), [1, 2, 3, 4]);
        assert_eq!(numbers(&last_events(&path, 2).unwrap()), [3, 4]);
        assert!(
            last_events(Path::new("/nonexistent/audit.jsonl"), 5)
                .unwrap()
                .is_empty()
        );
    }
}
