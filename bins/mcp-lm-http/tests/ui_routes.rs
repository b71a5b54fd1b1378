//! Black-box tests of the web UI's server side against the real binary: the public page and its
//! files with their security headers, and the authenticated `GET /activity` (the audit log's
//! tail). The page itself is tested in a browser by `tests/ui/run.sh`.

mod support;

use std::time::{Duration, Instant};

use fixtures::unused_local_url;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use support::{Server, TOKEN};

async fn json_body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

#[tokio::test]
async fn the_page_is_public_and_served_with_strict_headers() {
    let server = Server::start(&unused_local_url(), &[]);
    let client = Server::client();
    let page = client.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    let get = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("content-type"), "text/html; charset=utf-8");
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert_eq!(get("x-frame-options"), "DENY");
    assert_eq!(get("x-content-type-options"), "nosniff");
    assert_eq!(get("referrer-policy"), "no-referrer");
    assert_eq!(get("cache-control"), "no-cache");
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>mcp-lm-terminal</title>"));
    assert!(html.contains(r#"<script defer src="/ui/app.js"></script>"#));
    assert!(!html.contains(TOKEN));

    for (path, content_type) in [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/vendor/xterm.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/xterm.css", "text/css; charset=utf-8"),
        ("/ui/vendor/addon-fit.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/xterm.LICENSE", "text/plain; charset=utf-8"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let response = client
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers().contains_key("content-security-policy"));
        // Revalidation: the same ETag gets a 304 without a body.
        let etag = response.headers()[header::ETAG].clone();
        let again = client
            .get(format!("{}{path}", server.url))
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let license = client
        .get(format!("{}/ui/vendor/xterm.LICENSE", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(license.contains("The xterm.js authors"));
}

#[tokio::test]
async fn unknown_ui_files_are_json_404s_and_nothing_leaks_from_the_disk() {
    let server = Server::start(&unused_local_url(), &[]);
    let client = Server::client();
    for path in [
        "/ui/nope.js",
        "/ui/../Cargo.toml",
        "/ui/%2e%2e/Cargo.toml",
        "/ui/vendor/xterm.js.map",
        "/ui/",
        "/index.html",
    ] {
        let (status, body) = json_body(
            client
                .get(format!("{}{path}", server.url))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn activity_needs_the_token() {
    let server = Server::start(&unused_local_url(), &[]);
    let client = Server::client();
    let anonymous = client
        .get(format!("{}/activity", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = client
        .get(format!("{}/activity", server.url))
        .bearer_auth("w".repeat(40))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn activity_returns_the_tail_of_the_audit_log() {
    let server = Server::start(&unused_local_url(), &[]);
    for i in 0..3 {
        let (status, _) = json_body(
            server
                .authed(Method::POST, "/terminal/cmd")
                .json(&json!({"cmd": format!("echo activity-{i}")}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // The audit log is written by a background thread: wait for the last command.
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (status, body) = json_body(
            server
                .authed(Method::GET, "/activity")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let found = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["cmd"] == "echo activity-2");
        if found {
            break body;
        }
        assert!(Instant::now() < deadline, "no command in {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(body["success"], true);
    assert_eq!(body["audit_enabled"], true);
    let events = body["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "server", "oldest first: the start");
    let commands: Vec<&Value> = events.iter().filter(|e| e["kind"] == "command").collect();
    assert_eq!(commands.len(), 3);
    assert_eq!(commands[2]["cmd"], "echo activity-2");
    assert_eq!(commands[2]["exit_code"], 0);
    assert!(commands[2]["duration_ms"].is_u64());
    let summary = &body["summary"];
    assert_eq!(summary["sessions"], 0);
    assert_eq!(summary["jobs"], 0);
    assert!(summary["uptime_s"].is_u64());
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));

    let (_, two) = json_body(
        server
            .authed(Method::GET, "/activity?limit=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let two = two["events"].as_array().unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[1]["cmd"], "echo activity-2");
    assert_eq!(two[0]["cmd"], "echo activity-1");

    let (status, capped) = json_body(
        server
            .authed(Method::GET, "/activity?limit=999999")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(capped["events"].as_array().unwrap().len(), events.len());

    for bad in [
        "/activity?limit=abc",
        "/activity?limit=-1",
        "/activity?limit=1&limit=2",
    ] {
        let (status, error) =
            json_body(server.authed(Method::GET, bad).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error["success"], false, "{bad}");
    }
}

#[tokio::test]
async fn activity_is_empty_when_the_audit_log_is_disabled() {
    let server = Server::start(&unused_local_url(), &[("MCP_LM_LOG_AUDIT_PATH", "")]);
    let (status, body) = json_body(
        server
            .authed(Method::GET, "/activity")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["audit_enabled"], false);
    assert_eq!(body["events"], json!([]));
    assert_eq!(body["summary"]["sessions"], 0);
}

#[tokio::test]
async fn openapi_lists_the_ui_and_activity_routes() {
    let server = Server::start(&unused_local_url(), &[]);
    let (status, document) = json_body(
        server
            .authed(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let paths = &document["paths"];
    assert_eq!(
        paths["/activity"]["get"]["operationId"], "getActivity",
        "{paths}"
    );
    assert_eq!(paths["/"]["get"]["security"], json!([]));
    assert_eq!(paths["/ui/{asset}"]["get"]["security"], json!([]));
}
