//! `/mcp` on the real binary: authentication (401 as MCP wants) and the tool catalog.

mod support;

use fixtures::LmStudioMock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, TOKEN};

async fn post(
    server: &Server,
    token: Option<&str>,
    session: Option<&str>,
    message: &Value,
) -> reqwest::Response {
    let mut request = Server::client()
        .post(format!("{}/mcp", server.url))
        .header("accept", "application/json, text/event-stream")
        .json(message);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    request.send().await.unwrap()
}

fn initialize() -> Value {
    json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"0"}}})
}

#[tokio::test]
async fn mcp_needs_the_token_and_answers_401_invalid_token() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let missing = post(&server, None, None, &initialize()).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let wrong = post(&server, Some(&"y".repeat(40)), None, &initialize()).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let evil = Server::client()
        .post(format!("{}/mcp", server.url))
        .bearer_auth(TOKEN)
        .header("origin", "http://evil.example.com")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_catalog_is_listed_and_terminal_run_and_lm_query_work() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let init = post(&server, Some(TOKEN), None, &initialize()).await;
    assert_eq!(init.status(), StatusCode::OK);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let result: Value = init.json().await.unwrap();
    assert_eq!(result["result"]["serverInfo"]["name"], "mcp-lm-terminal");

    let list: Value = post(
        &server,
        Some(TOKEN),
        Some(&session),
        &json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, mcp_lm_core::TOOL_NAMES);
    for tool in list["result"]["tools"].as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert!(tool["inputSchema"].get("$schema").is_none());
        assert!(!tool["description"].as_str().unwrap().is_empty());
    }

    let call = json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"terminal_run","arguments":{"cmd":"echo from-mcp"}}});
    let answer: Value = post(&server, Some(TOKEN), Some(&session), &call)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(
        answer["result"]["structuredContent"]["stdout"],
        "from-mcp\n"
    );

    let failing = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"terminal_run","arguments":{"cmd":"exit 4"}}});
    let answer: Value = post(&server, Some(TOKEN), Some(&session), &failing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["isError"], true);
    assert_eq!(answer["result"]["structuredContent"]["exit_code"], 4);

    let query = json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"lm_query","arguments":{"prompt":"hi"}}});
    let answer: Value = post(&server, Some(TOKEN), Some(&session), &query)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["result"]["structuredContent"]["content"], "97 is prime.",
        "{answer}"
    );
    assert_eq!(
        answer["result"]["structuredContent"]["stats"]["tokens_per_second"],
        51.4
    );

    let bad = json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"lm_query","arguments":{"temperature":"hot"}}});
    let answer: Value = post(&server, Some(TOKEN), Some(&session), &bad)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["result"]["isError"], true,
        "schema validation reports bad arguments to the model: {answer}"
    );
}
