//! The stateless 2026-07-28 era next to the legacy one: era detection, `server/discover`,
//! the modern error codes and HTTP statuses, header checks, `input_required` round trips,
//! per-request logging, on both transports.

mod support;

use std::{sync::atomic::Ordering, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use futures_util::StreamExt;
use mcp_protocol::{CacheHint, CacheScope, Change, Server, StreamableHttp};
use serde_json::{Value, json};
use support::{Peer, SLOW_TOOL_DROPPED, modern, modern_builder, modern_meta, with_meta};
use tower::ServiceExt;

fn server() -> Server {
    modern_builder()
        .list_changed(true)
        .read_cache_hint(CacheHint::new(Duration::from_secs(60), CacheScope::Private))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

fn app() -> Router {
    StreamableHttp::new(server()).router("/mcp")
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `data:` payloads of an SSE body.
    fn events(&self) -> Vec<Value> {
        self.body
            .split("\n\n")
            .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|data| serde_json::from_str(data).unwrap())
            .collect()
    }
}

async fn call(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// A modern POST with the headers a conforming client sends (`Mcp-Name` from the body).
fn modern_post(body: &Value) -> axum::http::request::Builder {
    let method = body["method"].as_str().unwrap_or_default();
    let mut request = Request::post("/mcp")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    let name = match method {
        "tools/call" | "prompts/get" => body["params"]["name"].as_str(),
        "resources/read" => body["params"]["uri"].as_str(),
        _ => None,
    };
    if let Some(name) = name {
        request = request.header("mcp-name", name);
    }
    request
}

async fn send(app: &Router, body: Value) -> Reply {
    call(
        app,
        modern_post(&body)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[allow(clippy::needless_pass_by_value)] // reads better at the call sites
fn request(id: Value, method: &str, params: Value) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":method,"params":params})
}

#[tokio::test]
async fn discover_describes_the_server_without_a_session() {
    let app = app();
    let reply = send(
        &app,
        request(json!("d"), "server/discover", modern(json!({}))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!reply.headers.contains_key("mcp-session-id"));
    let result = &reply.json()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert!(result["capabilities"]["tools"].is_object());
    assert_eq!(
        result["capabilities"]["resources"],
        json!({"subscribe": true, "listChanged": true}),
        "served through subscriptions/listen"
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"],
        json!({"name":"test-server","version":"1.2.3"})
    );
    assert_eq!(
        (result["ttlMs"].clone(), result["cacheScope"].clone()),
        (json!(300_000), json!("public"))
    );
}

#[tokio::test]
async fn results_carry_result_type_server_info_and_cache_hints() {
    let app = app();
    let list = send(&app, request(json!(1), "tools/list", modern(json!({})))).await;
    let list = &list.json()["result"];
    assert_eq!(list["resultType"], "complete");
    assert_eq!(list["cacheScope"], "public");
    assert!(list["tools"].as_array().unwrap().len() > 5);
    let read = send(
        &app,
        request(
            json!(2),
            "resources/read",
            modern(json!({"uri":"test://a"})),
        ),
    )
    .await;
    let read = &read.json()["result"];
    assert_eq!(
        (read["ttlMs"].clone(), read["cacheScope"].clone()),
        (json!(60_000), json!("private")),
        "the builder's read hint"
    );
    assert_eq!(read["contents"][0]["text"], "A");
    let called = send(
        &app,
        request(
            json!(3),
            "tools/call",
            modern(json!({"name":"echo","arguments":{"text":"hi"}})),
        ),
    )
    .await;
    let called = &called.json()["result"];
    assert_eq!(called["resultType"], "complete");
    assert!(
        called.get("ttlMs").is_none(),
        "tool results are not cacheable"
    );
    assert_eq!(called["content"][0]["text"], "hi");
}

#[tokio::test]
async fn incomplete_meta_is_invalid_params_with_400_and_the_id() {
    let app = app();
    let capabilities = json!({"io.modelcontextprotocol/clientCapabilities": {}});
    let version = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"});
    for (id, params) in [
        (101, json!({})),
        (102, json!({"_meta": capabilities})),
        (104, json!({"_meta": version})),
    ] {
        let reply = send(&app, request(json!(id), "server/discover", params)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.json()["error"]["code"], -32602);
        assert_eq!(reply.json()["id"], id);
    }
    // clientInfo is optional.
    let reply = send(
        &app,
        request(
            json!(105),
            "server/discover",
            with_meta(
                json!({}),
                json!({
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {}
                }),
            ),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn header_mismatch_comes_before_the_version_check() {
    let app = app();
    let old = with_meta(json!({}), {
        let mut meta = modern_meta(json!({}));
        meta["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
        meta
    });
    let body = request(json!(301), "server/discover", old);
    // Header and body agree on an unknown version: -32022.
    let mut request = modern_post(&body)
        .body(Body::from(body.to_string()))
        .unwrap();
    request
        .headers_mut()
        .insert("mcp-protocol-version", "v999.0.0".parse().unwrap());
    let unsupported = call(&app, request).await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    let error = &unsupported.json()["error"];
    assert_eq!(error["code"], -32022, "{error}");
    assert_eq!(
        error["data"],
        json!({"supported":["2026-07-28"],"requested":"v999.0.0"})
    );
    assert_eq!(unsupported.json()["id"], 301);
    // Header 2026-07-28, body v999: the header does not match the body.
    let mismatch = send(&app, body).await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert_eq!(mismatch.json()["error"]["code"], -32020);
}

#[tokio::test]
async fn method_and_name_headers_must_match_the_body() {
    let app = app();
    let body = request(
        json!(7),
        "tools/call",
        modern(json!({"name":"echo","arguments":{"text":"x"}})),
    );
    let cases: [(&str, Option<&str>); 4] = [
        ("mcp-method", Some("tools/list")),
        ("mcp-method", None),
        ("mcp-name", Some("other")),
        ("mcp-name", None),
    ];
    for (name, value) in cases {
        let mut request = modern_post(&body)
            .body(Body::from(body.to_string()))
            .unwrap();
        match value {
            Some(value) => request.headers_mut().insert(name, value.parse().unwrap()),
            None => request.headers_mut().remove(name),
        };
        let reply = call(&app, request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}={value:?}");
        assert_eq!(reply.json()["error"]["code"], -32020, "{}", reply.body);
        assert_eq!(reply.json()["id"], 7);
    }
    // A Base64-encoded name is decoded before comparing; whitespace around it is ignored.
    let mut request = modern_post(&body)
        .body(Body::from(body.to_string()))
        .unwrap();
    request
        .headers_mut()
        .insert("mcp-name", " =?base64?ZWNobw==?= ".parse().unwrap());
    assert_eq!(call(&app, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn removed_and_unknown_methods_are_404_method_not_found() {
    let app = app();
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "unknown/method",
    ] {
        let reply = send(&app, request(json!(500), method, modern(json!({})))).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method}: {}",
            reply.body
        );
        assert_eq!(reply.json()["error"]["code"], -32601, "{method}");
        assert_eq!(reply.json()["id"], 500);
    }
}

#[tokio::test]
async fn get_and_delete_without_a_legacy_session_are_405() {
    let app = app();
    for request in [Request::get("/mcp"), Request::delete("/mcp")] {
        let reply = call(
            &app,
            request
                .header(header::HOST, "localhost")
                .header(header::ACCEPT, "text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.headers[header::ALLOW], "POST");
    }
    let unknown = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .header("mcp-session-id", "no-such-session");
    assert_eq!(
        call(&app, unknown.body(Body::empty()).unwrap())
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a session id keeps the legacy rules"
    );
}

#[tokio::test]
async fn input_required_round_trips_over_http() {
    let app = app();
    let params = json!({"name":"ask_name","arguments":{}});
    let first = send(
        &app,
        request(json!(1), "tools/call", modern(params.clone())),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let result = &first.json()["result"];
    assert_eq!(result["resultType"], "input_required");
    assert_eq!(
        result["inputRequests"]["name"]["method"],
        "elicitation/create"
    );
    let state = result["requestState"].as_str().unwrap().to_owned();

    let mut retry = params.clone();
    retry["inputResponses"] = json!({"name": {"action":"accept","content":{"name":"Ada"}}});
    retry["requestState"] = json!(state);
    let done = send(&app, request(json!(2), "tools/call", modern(retry.clone()))).await;
    assert_eq!(done.json()["result"]["content"][0]["text"], "Hello, Ada!");
    assert_eq!(done.json()["result"]["resultType"], "complete");

    retry["requestState"] = json!(format!("{state}-TAMPERED"));
    let tampered = send(&app, request(json!(3), "tools/call", modern(retry))).await;
    assert_eq!(tampered.status, StatusCode::BAD_REQUEST);
    assert_eq!(tampered.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn a_missing_client_capability_is_32021_with_400() {
    let app = app();
    let params = with_meta(
        json!({"name":"ask_name","arguments":{}}),
        modern_meta(json!({"sampling": {}})),
    );
    let reply = send(&app, request(json!(401), "tools/call", params)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let error = &reply.json()["error"];
    assert_eq!(error["code"], -32021);
    assert_eq!(
        error["data"]["requiredCapabilities"],
        json!({"elicitation": {}})
    );
}

#[tokio::test]
async fn logs_follow_the_request_log_level() {
    let app = app();
    let quiet = send(
        &app,
        request(json!(1), "tools/call", modern(json!({"name":"logs"}))),
    )
    .await;
    assert_eq!(quiet.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        quiet.json()["result"]["content"][0]["text"],
        "Modern 2026-07-28"
    );

    let mut params = modern(json!({"name":"logs"}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("warning");
    let loud = send(&app, request(json!(2), "tools/call", params)).await;
    assert_eq!(loud.headers[header::CONTENT_TYPE], "text/event-stream");
    assert!(
        !loud.body.contains("id: "),
        "modern streams have no event ids"
    );
    let events = loud.events();
    assert_eq!(events.len(), 2, "{}", loud.body);
    assert_eq!(events[0]["params"]["data"], "error line");
    assert_eq!(events[1]["id"], 2);
}

#[tokio::test]
async fn resource_not_found_moved_to_invalid_params() {
    let app = app();
    let reply = send(
        &app,
        request(
            json!(9),
            "resources/read",
            modern(json!({"uri":"test://nope"})),
        ),
    )
    .await;
    let error = &reply.json()["error"];
    assert_eq!(error["code"], -32602);
    assert_eq!(error["data"]["uri"], "test://nope");
}

#[tokio::test]
async fn both_eras_share_one_endpoint() {
    let app = app();
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}});
    let legacy = call(
        &app,
        Request::post("/mcp")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(init.to_string()))
            .unwrap(),
    )
    .await;
    let session = legacy.headers["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // A modern request naming the session is still modern: the id is ignored, not echoed.
    let body = request(json!(1), "tools/call", modern(json!({"name":"logs"})));
    let reply = call(
        &app,
        modern_post(&body)
            .header("mcp-session-id", &session)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert!(!reply.headers.contains_key("mcp-session-id"));
    assert_eq!(
        reply.json()["result"]["content"][0]["text"],
        "Modern 2026-07-28"
    );
    // The legacy session still answers in legacy terms.
    let ping = json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"logs"}});
    let reply = call(
        &app,
        Request::post("/mcp")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .header("mcp-session-id", &session)
            .body(Body::from(ping.to_string()))
            .unwrap(),
    )
    .await;
    let result = &reply
        .events()
        .last()
        .cloned()
        .unwrap_or_else(|| reply.json())["result"];
    assert_eq!(result["content"][0]["text"], "Legacy 2025-11-25");
    assert!(
        result.get("resultType").is_none(),
        "legacy results are unchanged"
    );
}

#[tokio::test]
async fn closing_the_response_cancels_a_modern_request() {
    let app = app();
    let body = request(json!(1), "tools/call", modern(json!({"name":"slow"})));
    let request = modern_post(&body)
        .body(Body::from(body.to_string()))
        .unwrap();
    let pending = app.clone().oneshot(request);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), pending)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(SLOW_TOOL_DROPPED.load(Ordering::SeqCst));
}

/// The next SSE `data:` payload of a streaming body (5 s at most).
async fn next_event(body: &mut axum::body::BodyDataStream, buffer: &mut String) -> Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("no event within 5 s")
            .expect("stream ended")
            .unwrap();
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn listen_streams_what_was_asked_for_tagged_with_the_subscription() {
    let server = server();
    let app = StreamableHttp::new(server.clone()).router("/mcp");
    let params = modern(json!({"notifications": {
        "toolsListChanged": true, "resourceSubscriptions": ["test://a"]}}));
    let body = request(json!("sub-1"), "subscriptions/listen", params);
    let response = app
        .clone()
        .oneshot(
            modern_post(&body)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut stream = response.into_body().into_data_stream();
    let mut buffer = String::new();
    let ack = next_event(&mut stream, &mut buffer).await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "sub-1"
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true, "resourceSubscriptions": ["test://a"]})
    );
    server.notify(Change::PromptsListChanged); // not asked for
    server.notify(Change::resource_updated("test://other")); // not subscribed
    server.notify(Change::resource_updated("test://a"));
    server.notify(Change::ToolsListChanged);
    let update = next_event(&mut stream, &mut buffer).await;
    assert_eq!(update["method"], "notifications/resources/updated");
    assert_eq!(update["params"]["uri"], "test://a");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "sub-1"
    );
    let tools = next_event(&mut stream, &mut buffer).await;
    assert_eq!(tools["method"], "notifications/tools/list_changed");

    let bad = request(json!(2), "subscriptions/listen", modern(json!({})));
    let reply = send(&app, bad).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn legacy_http_sessions_get_changes_on_their_get_stream() {
    let server = server();
    let app = StreamableHttp::new(server.clone()).router("/mcp");
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}});
    let legacy = call(
        &app,
        Request::post("/mcp")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(init.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(
        legacy.json()["result"]["capabilities"]["tools"],
        json!({"listChanged": true})
    );
    let session = legacy.headers["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let response = app
        .clone()
        .oneshot(
            Request::get("/mcp")
                .header(header::HOST, "localhost")
                .header(header::ACCEPT, "text/event-stream")
                .header("mcp-session-id", &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let mut stream = response.into_body().into_data_stream();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.notify(Change::resource_updated("test://a")); // not subscribed: not sent
    server.notify(Change::ToolsListChanged);
    let mut buffer = String::new();
    let event = next_event(&mut stream, &mut buffer).await;
    assert_eq!(
        event,
        json!({"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{}})
    );
}

// ---------------------------------------------------------------------------------------
// stdio
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn stdio_listen_and_legacy_resource_updates_share_the_pipe() {
    let server = server();
    let mut peer = Peer::start(server.clone());
    peer.send(request(
        json!(1),
        "subscriptions/listen",
        modern(json!({"notifications": {"promptsListChanged": true}})),
    ))
    .await;
    let ack = peer.recv().await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"promptsListChanged": true})
    );
    // A legacy session on the same pipe, subscribed to one resource.
    peer.initialize("2025-11-25").await;
    peer.request(json!(2), "resources/subscribe", json!({"uri": "test://a"}))
        .await;
    server.notify(Change::resource_updated("test://a"));
    let update = peer.recv().await;
    assert_eq!(update["method"], "notifications/resources/updated");
    assert!(update["params"].get("_meta").is_none(), "legacy: untagged");
    server.notify(Change::PromptsListChanged);
    let (first, second) = (peer.recv().await, peer.recv().await);
    let tagged = [&first, &second]
        .iter()
        .filter(|m| m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 1)
        .count();
    assert_eq!(tagged, 1, "{first} {second}");
    // Cancelling the listen ends it without an answer.
    peer.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.notify(Change::PromptsListChanged);
    let legacy_only = peer.recv().await;
    assert!(legacy_only["params"].get("_meta").is_none());
    assert!(peer.silent(Duration::from_millis(200)).await);
    peer.close().await.unwrap();
}

#[tokio::test]
async fn stdio_serves_modern_requests_without_initialize() {
    let mut peer = Peer::start(server());
    let discover = peer
        .request(json!(1), "server/discover", modern(json!({})))
        .await;
    assert_eq!(
        discover["result"]["supportedVersions"],
        json!(["2026-07-28"])
    );
    let called = peer
        .request(json!(2), "tools/call", modern(json!({"name":"logs"})))
        .await;
    assert_eq!(called["result"]["content"][0]["text"], "Modern 2026-07-28");
    // The same pipe without initialize refuses legacy requests...
    let legacy = peer.request(json!(3), "tools/list", json!({})).await;
    assert_eq!(legacy["error"]["code"], -32600);
    // ...and serves them after it, next to modern ones.
    peer.initialize("2025-06-18").await;
    let mut legacy = peer
        .request(json!(4), "tools/call", json!({"name":"logs"}))
        .await;
    assert_eq!(
        legacy["params"]["data"], "error line",
        "legacy default level: info"
    );
    while legacy.get("id").is_none() {
        legacy = peer.recv().await;
    }
    assert_eq!(legacy["result"]["content"][0]["text"], "Legacy 2025-06-18");
    let modern_again = peer
        .request(json!(5), "tools/call", modern(json!({"name":"logs"})))
        .await;
    assert_eq!(
        modern_again["result"]["content"][0]["text"],
        "Modern 2026-07-28"
    );
    peer.close().await.unwrap();
}

#[tokio::test]
async fn stdio_modern_errors() {
    let mut peer = Peer::start(server());
    let missing = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}});
    let answer = peer.request(json!("m"), "tools/list", missing).await;
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32602), json!("m"))
    );
    let mut old = modern(json!({}));
    old["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("1999-01-01");
    let answer = peer.request(json!(2), "tools/list", old).await;
    assert_eq!(answer["error"]["code"], -32022);
    assert_eq!(answer["error"]["data"]["requested"], "1999-01-01");
    let answer = peer.request(json!(3), "ping", modern(json!({}))).await;
    assert_eq!(answer["error"]["code"], -32601);
    let answer = peer
        .request(
            json!(4),
            "resources/read",
            modern(json!({"uri":"test://none"})),
        )
        .await;
    assert_eq!(answer["error"]["code"], -32602);
}

#[tokio::test]
async fn stdio_input_required_over_two_rounds() {
    let mut peer = Peer::start(server());
    let params = json!({"name":"two_rounds","arguments":{}});
    let first = peer
        .request(json!(1), "tools/call", modern(params.clone()))
        .await;
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    assert_eq!(
        result["inputRequests"]["elicitation-1"]["method"],
        "elicitation/create"
    );

    let mut retry = params.clone();
    retry["inputResponses"] = json!({"elicitation-1": {"action":"accept","content":{}}});
    retry["requestState"] = result["requestState"].clone();
    let second = peer.request(json!(2), "tools/call", modern(retry)).await;
    let result = &second["result"];
    assert_eq!(
        result["inputRequests"]["sampling-1"]["method"],
        "sampling/createMessage"
    );

    let mut last = params;
    last["inputResponses"] = json!({"sampling-1": {"role":"assistant","content":{"type":"text","text":"hi"},"model":"m"}});
    last["requestState"] = result["requestState"].clone();
    let done = peer.request(json!(3), "tools/call", modern(last)).await;
    assert_eq!(
        done["result"]["content"][0]["text"], "accept hi true",
        "{done}"
    );
}

#[tokio::test]
async fn stdio_cancellation_and_log_levels_apply_to_modern_requests() {
    SLOW_TOOL_DROPPED.store(false, Ordering::SeqCst);
    let mut peer = Peer::start(server());
    peer.send(request(
        json!("slow"),
        "tools/call",
        modern(json!({"name":"slow"})),
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    peer.send(
        json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow"}}),
    )
    .await;
    assert!(
        peer.silent(Duration::from_millis(300)).await,
        "no answer once cancelled"
    );
    assert!(SLOW_TOOL_DROPPED.load(Ordering::SeqCst));

    let mut params = modern(json!({"name":"logs"}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    peer.send(request(json!(1), "tools/call", params)).await;
    let (debug, error, answer) = (peer.recv().await, peer.recv().await, peer.recv().await);
    assert_eq!(debug["params"]["level"], "debug");
    assert_eq!(error["params"]["level"], "error");
    assert_eq!(answer["id"], 1);
}
