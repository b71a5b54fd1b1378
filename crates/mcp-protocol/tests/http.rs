//! The Streamable HTTP transport, driven in-process: sessions, status codes, SSE, resumption,
//! Host/Origin checks.

mod support;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use mcp_protocol::{HttpConfig, StreamableHttp};
use serde_json::{Value, json};
use tower::ServiceExt;

fn app() -> Router {
    StreamableHttp::new(support::builder().build().unwrap()).router("/mcp")
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

    /// The `data:` payloads of an SSE body, with their event ids.
    fn events(&self) -> Vec<(String, Value)> {
        self.body
            .split("\n\n")
            .filter_map(|event| {
                let id = event
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))?
                    .to_owned();
                let data = event.lines().find_map(|l| l.strip_prefix("data: "))?;
                Some((id, serde_json::from_str(data).unwrap()))
            })
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

fn post(body: &Value, session: Option<&str>) -> axum::http::request::Builder {
    let mut request = Request::post("/mcp")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let _ = body;
    request
}

async fn send(app: &Router, body: Value, session: Option<&str>) -> Reply {
    call(
        app,
        post(&body, session)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn initialize(app: &Router) -> String {
    let reply = send(
        app,
        json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"sampling":{}},"clientInfo":{"name":"t","version":"0"}}}),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["result"]["protocolVersion"], "2025-11-25");
    let id = reply.headers["mcp-session-id"].to_str().unwrap().to_owned();
    assert!(
        id.len() >= 32 && id.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "{id}"
    );
    let note = send(
        app,
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        Some(&id),
    )
    .await;
    assert_eq!(note.status, StatusCode::ACCEPTED);
    assert!(note.body.is_empty());
    id
}

#[tokio::test]
async fn a_plain_request_gets_a_json_answer() {
    let app = app();
    let session = initialize(&app).await;
    let reply = send(&app, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}), Some(&session)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(reply.json()["result"]["content"][0]["text"], "hi");
}

#[tokio::test]
async fn sessions_are_required_checked_and_ended() {
    let app = app();
    let ping = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
    assert_eq!(
        send(&app, ping.clone(), None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&app, ping.clone(), Some("no-such-session"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let session = initialize(&app).await;
    assert_eq!(
        send(&app, ping.clone(), Some(&session)).await.status,
        StatusCode::OK
    );
    let delete = Request::delete("/mcp")
        .header(header::HOST, "localhost")
        .header("mcp-session-id", &session);
    assert_eq!(
        call(&app, delete.body(Body::empty()).unwrap()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&app, ping, Some(&session)).await.status,
        StatusCode::NOT_FOUND
    );
    // Without a session id there is nothing to end (and 2026-07-28 has no DELETE).
    let delete = Request::delete("/mcp").header(header::HOST, "localhost");
    assert_eq!(
        call(&app, delete.body(Body::empty()).unwrap()).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn protocol_version_header_must_match() {
    let app = app();
    let session = initialize(&app).await;
    let body = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
    for (version, status) in [
        ("2025-11-25", StatusCode::OK),
        ("2025-06-18", StatusCode::BAD_REQUEST),
        ("banana", StatusCode::BAD_REQUEST),
    ] {
        let request = post(&body, Some(&session)).header("mcp-protocol-version", version);
        let reply = call(&app, request.body(Body::from(body.to_string())).unwrap()).await;
        assert_eq!(reply.status, status, "{version}: {}", reply.body);
    }
}

#[tokio::test]
async fn hostile_host_and_origin_are_refused() {
    let app = app();
    let body = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}});
    let evil_host = post(&body, None).header(header::HOST, "evil.example.com");
    let mut request = evil_host.body(Body::from(body.to_string())).unwrap();
    request
        .headers_mut()
        .insert(header::HOST, "evil.example.com".parse().unwrap());
    assert_eq!(call(&app, request).await.status, StatusCode::FORBIDDEN);
    let evil_origin = post(&body, None).header(header::ORIGIN, "http://evil.example.com");
    assert_eq!(
        call(
            &app,
            evil_origin.body(Body::from(body.to_string())).unwrap()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let local_origin = post(&body, None).header(header::ORIGIN, "http://localhost:5173");
    assert_eq!(
        call(
            &app,
            local_origin.body(Body::from(body.to_string())).unwrap()
        )
        .await
        .status,
        StatusCode::OK
    );

    let open = StreamableHttp::new(support::builder().build().unwrap())
        .config(HttpConfig::default().allow_host("mybox.lan"))
        .router("/mcp");
    let mut request = post(&body, None)
        .body(Body::from(body.to_string()))
        .unwrap();
    request
        .headers_mut()
        .insert(header::HOST, "mybox.lan:8080".parse().unwrap());
    assert_eq!(call(&open, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_bodies_and_headers_get_clear_status_codes() {
    let app = app();
    let session = initialize(&app).await;
    let garbage = post(&json!(null), Some(&session))
        .body(Body::from("{oops"))
        .unwrap();
    let reply = call(&app, garbage).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], -32700);

    let text = Request::post("/mcp")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "text/plain")
        .header("mcp-session-id", &session);
    assert_eq!(
        call(&app, text.body(Body::from("{}")).unwrap())
            .await
            .status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let html = Request::post("/mcp")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "text/html")
        .header("mcp-session-id", &session);
    assert_eq!(
        call(&app, html.body(Body::from("{}")).unwrap())
            .await
            .status,
        StatusCode::NOT_ACCEPTABLE
    );

    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(5 * 1024 * 1024)
    );
    let reply = call(
        &app,
        post(&json!(null), Some(&session))
            .body(Body::from(huge))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"]["code"], -32600);

    let batch = json!([{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}]);
    assert_eq!(
        send(&app, batch, Some(&session)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn notifications_stream_as_sse_with_resumable_ids() {
    let app = app();
    let session = initialize(&app).await;
    let reply = send(&app, json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":1}}}), Some(&session)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = reply.events();
    assert_eq!(events.len(), 4, "{}", reply.body); // progress, log, progress, answer
    assert_eq!(events[0].1["method"], "notifications/progress");
    assert_eq!(events[3].1["id"], 7);

    // Resume after the first event: the rest is replayed.
    let resume = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .header("mcp-session-id", &session)
        .header("last-event-id", &events[0].0);
    let replay = call(&app, resume.body(Body::empty()).unwrap()).await;
    assert_eq!(replay.status, StatusCode::OK);
    let replayed: Vec<Value> = replay.events().into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        replayed,
        events[1..]
            .iter()
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    );

    let unknown = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .header("mcp-session-id", &session)
        .header("last-event-id", "999-0");
    assert_eq!(
        call(&app, unknown.body(Body::empty()).unwrap())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let no_sse = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "application/json")
        .header("mcp-session-id", &session);
    assert_eq!(
        call(&app, no_sse.body(Body::empty()).unwrap()).await.status,
        StatusCode::NOT_ACCEPTABLE
    );
}

#[tokio::test]
async fn json_only_clients_get_json_even_with_notifications() {
    let app = app();
    let session = initialize(&app).await;
    let body = json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":1}}});
    let request = Request::post("/mcp")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header("mcp-session-id", &session);
    let reply = call(&app, request.body(Body::from(body.to_string())).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"]["content"][0]["text"], "done");
}

#[tokio::test]
async fn too_many_sessions_is_503() {
    let app = StreamableHttp::new(support::builder().build().unwrap())
        .config(HttpConfig::default().max_sessions(1))
        .router("/mcp");
    initialize(&app).await;
    let reply = send(
        &app,
        json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}
