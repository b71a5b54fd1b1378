//! The layer and extractor in an axum app, driven in-process with `oneshot`.
#![cfg(feature = "axum")]

mod support;

use axum::body::{Body, to_bytes};
use http::header::{AUTHORIZATION, HOST, ORIGIN, SEC_WEBSOCKET_PROTOCOL, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use serde_json::Value;
use support::{OLD_TOKEN, TOKEN, app};
use tower::ServiceExt;

const BOUND: &str = "127.0.0.1:8080";

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

async fn send(method: &str, uri: &str, headers: &[(http::HeaderName, &str)]) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = app(BOUND.parse().unwrap())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        challenge,
        body,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn health_is_public_and_unknown_paths_are_404() {
    assert_eq!(send("GET", "/health", &[]).await.status, StatusCode::OK);
    assert_eq!(
        send("GET", "/nope", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn missing_token_is_401_with_challenge_and_json_body() {
    let answer = send("GET", "/status", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer realm="mcp-lm""#)
    );
    assert_eq!(answer.body["success"], false);
    assert_eq!(answer.body["error"]["code"], "missing_token");
}

#[tokio::test]
async fn malformed_headers_are_401_invalid_request() {
    let two = [(AUTHORIZATION, "Bearer a"), (AUTHORIZATION, "Bearer b")];
    let answer = send("GET", "/status", &two).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let expected = r#"Bearer realm="mcp-lm", error="invalid_request""#;
    assert_eq!(answer.challenge.as_deref(), Some(expected));
    assert_eq!(answer.body["error"]["code"], "malformed_token");
    let spaces = format!("Bearer  {TOKEN}");
    for value in ["Bearer", "Bearer ", spaces.as_str(), "Bearer a b"] {
        let answer = send("GET", "/status", &[(AUTHORIZATION, value)]).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value:?}");
        assert_eq!(answer.challenge.as_deref(), Some(expected), "{value:?}");
    }
}

#[tokio::test]
async fn wrong_token_is_403_on_rest_routes() {
    let answer = send("GET", "/status", &[(AUTHORIZATION, "Bearer wrong")]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.challenge, None);
    assert_eq!(answer.body["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn rotation_accepts_both_tokens_and_reports_which() {
    for (token, name) in [(TOKEN, "current"), (OLD_TOKEN, "previous")] {
        let lower_case = format!("bearer {token}");
        let answer = send("GET", "/status", &[(AUTHORIZATION, &lower_case)]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["caller"], name);
    }
}

#[tokio::test]
async fn mcp_answers_401_invalid_token_with_the_callers_body() {
    let host = (HOST, "localhost:8080");
    let answer = send(
        "POST",
        "/mcp",
        &[host.clone(), (AUTHORIZATION, "Bearer wrong")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let expected = r#"Bearer realm="mcp-lm", error="invalid_token""#;
    assert_eq!(answer.challenge.as_deref(), Some(expected));
    assert_eq!(answer.body["jsonrpc"], "2.0");
    assert_eq!(answer.body["error"]["code"], -32001);
    let good = bearer(TOKEN);
    let answer = send("POST", "/mcp", &[host, (AUTHORIZATION, &good)]).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn mcp_refuses_rebound_hosts_and_foreign_origins() {
    let good = bearer(TOKEN);
    let auth = (AUTHORIZATION, good.as_str());
    let rebound = send("POST", "/mcp", &[(HOST, "evil.example:8080"), auth.clone()]).await;
    assert_eq!(rebound.status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(rebound.body["error"]["code"], -32001);
    let no_host = send("POST", "/mcp", std::slice::from_ref(&auth)).await;
    assert_eq!(no_host.status, StatusCode::BAD_REQUEST);
    let host = (HOST, "127.0.0.1:8080");
    let foreign = [host.clone(), (ORIGIN, "http://evil.example"), auth.clone()];
    assert_eq!(
        send("POST", "/mcp", &foreign).await.status,
        StatusCode::FORBIDDEN
    );
    for origin in ["http://127.0.0.1:8080", "http://localhost:5173"] {
        let answer = send(
            "POST",
            "/mcp",
            &[host.clone(), (ORIGIN, origin), auth.clone()],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{origin}");
    }
}

#[tokio::test]
async fn websocket_tickets_work_once() {
    // One app instance, so that the ticket issued is the one redeemed.
    let app = app(BOUND.parse().unwrap());
    let issue = Request::post("/auth/ticket")
        .header(AUTHORIZATION, bearer(OLD_TOKEN))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(issue).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&to_bytes(response.into_body(), 1024).await.unwrap()).unwrap();
    let uri = format!(
        "/terminal/stream?ticket={}",
        body["ticket"].as_str().unwrap()
    );
    let open = || {
        Request::get(&uri)
            .header(HOST, "localhost:8080")
            .header(ORIGIN, "http://localhost:8080")
            .body(Body::empty())
            .unwrap()
    };
    let first = app.clone().oneshot(open()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&to_bytes(first.into_body(), 1024).await.unwrap()).unwrap();
    assert_eq!(body["caller"], "previous");
    let second = app.oneshot(open()).await.unwrap();
    assert_eq!(second.status(), StatusCode::UNAUTHORIZED);
    let challenge = second.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn websocket_subprotocol_carries_the_token() {
    let offered = format!("mcp-lm, bearer.{TOKEN}");
    let host = (HOST, "[::1]:8080");
    let answer = send(
        "GET",
        "/terminal/stream",
        &[host.clone(), (SEC_WEBSOCKET_PROTOCOL, &offered)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["caller"], "current");
    let wrong = send(
        "GET",
        "/terminal/stream",
        &[host, (SEC_WEBSOCKET_PROTOCOL, "bearer.x")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // Not accepted on REST routes.
    let rest = send("GET", "/status", &[(SEC_WEBSOCKET_PROTOCOL, &offered)]).await;
    assert_eq!(rest.status, StatusCode::UNAUTHORIZED);
    assert_eq!(rest.body["error"]["code"], "missing_token");
}

#[tokio::test]
async fn extractor_without_layer_fails_closed() {
    let good = bearer(TOKEN);
    let answer = send("GET", "/unprotected", &[(AUTHORIZATION, &good)]).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}
