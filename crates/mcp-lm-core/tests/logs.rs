//! Reading the audit log back (`read_logs`, the `logs_read` tool): filters, cursor paging
//! across rotated files, a disabled log.

use std::path::PathBuf;

use mcp_lm_core::{LogFilter, read_logs};
use serde_json::{Value, json};

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("mcp-lm-logs-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn line(i: usize, kind: &str, time: &str) -> String {
    format!(
        "{}\n",
        json!({"time": time, "kind": kind, "i": i, "cmd": format!("echo {i}")})
    )
}

fn numbers(page: &Value) -> Vec<u64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["i"].as_u64().unwrap())
        .collect()
}

/// 0..=9 in `audit.jsonl.1` (rotated), 10..=19 in `audit.jsonl`, plus an unfinished line;
/// events 4..=7 share one timestamp (paging must not lose or repeat them).
fn sample() -> (PathBuf, PathBuf) {
    let dir = temp_dir("sample");
    let path = dir.join("audit.jsonl");
    let time = |i: usize| {
        if (4..=7).contains(&i) {
            "2026-01-01T00:00:04.000Z".to_owned()
        } else {
            format!("2026-01-01T00:00:{i:02}.000Z")
        }
    };
    let kind = |i: usize| {
        if i.is_multiple_of(2) {
            "command"
        } else {
            "file"
        }
    };
    let older: String = (0..10).map(|i| line(i, kind(i), &time(i))).collect();
    let mut newer: String = (10..20).map(|i| line(i, kind(i), &time(i))).collect();
    newer.push_str("{\"time\":\"2026-01-01T00:00:59.000Z\",\"unfinis");
    std::fs::write(format!("{}.1", path.display()), format!("junk\n{older}")).unwrap();
    std::fs::write(&path, newer).unwrap();
    (dir, path)
}

#[test]
fn pages_back_with_a_cursor_across_rotated_files() {
    let (dir, path) = sample();
    let mut filter = LogFilter {
        limit: Some(3),
        ..LogFilter::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = read_logs(Some(&path), 5, &filter).unwrap();
        assert_eq!(page["audit_enabled"], true);
        let mut numbers = numbers(&page);
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        numbers.reverse();
        seen.extend(numbers);
        match page["next_cursor"].as_str() {
            Some(cursor) => filter.cursor = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, (0..20).rev().collect::<Vec<u64>>());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn filters_by_kind_since_and_text() {
    let (dir, path) = sample();
    let page = |filter: LogFilter| numbers(&read_logs(Some(&path), 5, &filter).unwrap());
    assert_eq!(
        page(LogFilter {
            kind: Some("file".into()),
            limit: Some(4),
            ..LogFilter::default()
        }),
        [13, 15, 17, 19]
    );
    assert_eq!(
        page(LogFilter {
            since: Some("2026-01-01T00:00:17".into()),
            ..LogFilter::default()
        }),
        [17, 18, 19]
    );
    assert_eq!(
        page(LogFilter {
            text: Some("ECHO 1".into()),
            ..LogFilter::default()
        }),
        [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    );
    assert_eq!(
        page(LogFilter {
            kind: Some("command, file".into()),
            limit: Some(0),
            ..LogFilter::default()
        }),
        Vec::<u64>::new()
    );
    let bad = read_logs(
        Some(&path),
        5,
        &LogFilter {
            cursor: Some("nonsense".into()),
            ..LogFilter::default()
        },
    )
    .unwrap_err();
    assert_eq!(bad.code, "invalid_request");
    let disabled = read_logs(None, 5, &LogFilter::default()).unwrap();
    assert_eq!(disabled["audit_enabled"], false);
    assert_eq!(disabled["events"], json!([]));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_logs_read_tool_shows_file_writes() {
    let dir = temp_dir("tool");
    let audit_path = dir.join("audit.jsonl");
    let audit = mcp_lm_core::AuditLog::open(&audit_path, 1 << 20, 2).unwrap();
    let mut config = mcp_lm_core::Config::default();
    config.files.roots = vec![dir.join("root")];
    std::fs::create_dir_all(dir.join("root")).unwrap();
    let services = mcp_lm_core::Services::new(config, audit).unwrap();
    mcp_lm_core::file_tool(
        &services,
        "fs_write",
        json!({"path": "a.txt", "content": "x"}),
        "mcp",
    )
    .await
    .unwrap();
    let server = mcp_lm_core::mcp_server(&services).unwrap();
    let (client, server_side) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(server_side);
    tokio::spawn(mcp_protocol_serve(server, read, write));
    let (read, mut write) = tokio::io::split(client);
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut lines = tokio::io::BufReader::new(read).lines();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "logs_read", "arguments": {"kind": "file"}}}),
    ] {
        write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
    }
    let answer = loop {
        let line = lines.next_line().await.unwrap().unwrap();
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 2 {
            break message;
        }
    };
    let result = &answer["result"]["structuredContent"];
    assert_eq!(result["success"], true, "{answer}");
    assert_eq!(result["count"], 1, "{answer}");
    assert_eq!(result["events"][0]["op"], "write");
    assert_eq!(
        result["events"][0]["path"],
        dir.join("root/a.txt")
            .canonicalize()
            .unwrap()
            .to_str()
            .unwrap()
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn mcp_protocol_serve(
    server: mcp_protocol::Server,
    read: tokio::io::ReadHalf<tokio::io::DuplexStream>,
    write: tokio::io::WriteHalf<tokio::io::DuplexStream>,
) {
    let _ = mcp_protocol::serve_io(server, read, write).await;
}
