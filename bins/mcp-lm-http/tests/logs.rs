//! Black-box tests of `GET /logs` (filters, cursor paging) and `GET /logs/stream` (SSE tail).

mod support;

use std::time::Duration;

use fixtures::LmStudioMock;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Server;

async fn get(server: &Server, path: &str) -> (StatusCode, Value) {
    let response = server.authed(Method::GET, path).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn write(server: &Server, name: &str) {
    let response = server
        .authed(Method::PUT, &format!("/fs/{name}"))
        .json(&json!({"content": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn logs_are_filtered_paged_and_streamed() {
    let lm = LmStudioMock::start().await;
    let root = std::env::temp_dir().join(format!("mcp-lm-http-logs-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let server = Server::start(&lm.url(), &[("MCP_LM_FILES_ROOTS", root.to_str().unwrap())]);
    for name in ["a.txt", "b.txt", "c.txt"] {
        write(&server, name).await;
    }
    let (status, page) = get(&server, "/logs?kind=file&limit=2").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 2);
    assert!(
        page["events"][1]["path"]
            .as_str()
            .unwrap()
            .ends_with("c.txt")
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, older) = get(
        &server,
        &format!("/logs?kind=file&limit=2&cursor={}", urlencode(&cursor)),
    )
    .await;
    assert_eq!(older["count"], 1, "{older}");
    assert!(
        older["events"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("a.txt")
    );
    assert!(older["next_cursor"].is_null());
    let (_, found) = get(&server, "/logs?text=B.TXT").await;
    assert_eq!(found["count"], 1, "{found}");
    let (status, bad) = get(&server, "/logs?limit=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // The stream sends the backlog, then new events as they are written.
    let response = server
        .authed(Method::GET, "/logs/stream?kind=file&limit=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut chunks = response.bytes_stream();
    let mut text = String::new();
    let mut wrote = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains("d.txt") {
        if text.contains("c.txt") && !wrote {
            wrote = true;
            write(&server, "d.txt").await;
        }
        let chunk = tokio::time::timeout_at(deadline, chunks.next())
            .await
            .expect("no log event within 10 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: log"), "{text}");
    assert!(!text.contains("b.txt"), "backlog is 1 event: {text}");
    let _ = std::fs::remove_dir_all(&root);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
