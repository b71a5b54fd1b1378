//! Black-box tests of the `/fs` routes against the real binary: read, write with the expected
//! hash, edit, list, stat, search, mkdir, move, delete, the policy errors, auth and OpenAPI.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fixtures::LmStudioMock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Server;

async fn body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

fn temp_root(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "mcp-lm-http-files-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::canonicalize(dir).unwrap()
}

async fn call(
    server: &Server,
    method: Method,
    path: &str,
    json: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server.authed(method, path);
    if let Some(json) = json {
        request = request.json(&json);
    }
    body(request.send().await.unwrap()).await
}

#[tokio::test]
async fn files_are_read_written_edited_listed_searched_and_deleted() {
    let lm = LmStudioMock::start().await;
    let root = temp_root("crud");
    std::fs::write(root.join("hello.txt"), "hello\nworld\n").unwrap();
    let server = Server::start(&lm.url(), &[("MCP_LM_FILES_ROOTS", root.to_str().unwrap())]);

    let (status, read) = call(&server, Method::GET, "/fs/hello.txt", None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["content"], "hello\nworld\n");
    assert_eq!(read["encoding"], "utf-8");
    let hash = read["sha256"].as_str().unwrap().to_owned();
    let (_, line) = call(&server, Method::GET, "/fs/hello.txt?offset=1&limit=1", None).await;
    assert_eq!(line["content"], "world\n");
    let (_, capped) = call(
        &server,
        Method::GET,
        "/fs/hello.txt?unit=bytes&max_bytes=3",
        None,
    )
    .await;
    assert_eq!(capped["content"], "hel");
    assert_eq!(capped["notice"], "truncated, 9 bytes more");

    let (status, written) = call(
        &server,
        Method::PUT,
        "/fs/sub/dir/new.txt",
        Some(json!({"content": "fresh\n", "create_dirs": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(written["created"], true);
    assert_eq!(
        std::fs::read_to_string(root.join("sub/dir/new.txt")).unwrap(),
        "fresh\n"
    );
    let (status, clash) = call(
        &server,
        Method::PUT,
        "/fs/hello.txt",
        Some(json!({"content": "x", "expected_sha256": "0".repeat(64)})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{clash}");
    assert_eq!(clash["error"]["code"], "hash_mismatch");
    let (status, _) = call(
        &server,
        Method::PUT,
        "/fs/hello.txt",
        Some(json!({"content": "hello\nthere\n", "expected_sha256": hash})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, edited) = call(
        &server,
        Method::PATCH,
        "/fs/hello.txt",
        Some(json!({"old_string": "there", "new_string": "everyone"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert!(
        edited["diff"]
            .as_str()
            .unwrap()
            .contains("-there\n+everyone\n")
    );
    let (status, ambiguous) = call(
        &server,
        Method::PATCH,
        "/fs/hello.txt",
        Some(json!({"old_string": "e", "new_string": "E"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(ambiguous["error"]["code"], "edit_ambiguous");

    let (status, list) = call(&server, Method::GET, "/fs?list=.&depth=3", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello.txt", "sub", "sub/dir", "sub/dir/new.txt"]);
    let (_, stat) = call(&server, Method::GET, "/fs?stat=sub/dir/new.txt", None).await;
    assert_eq!(stat["size"], 6);
    assert_eq!(stat["type"], "file");

    let (status, found) = call(
        &server,
        Method::POST,
        "/fs/search",
        Some(json!({"pattern": "every", "context": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["count"], 1);
    assert_eq!(found["matches"][0]["path"], "hello.txt");
    assert_eq!(found["matches"][0]["line"], 2);
    assert_eq!(found["matches"][0]["before"], json!(["hello"]));

    let (status, _) = call(
        &server,
        Method::POST,
        "/fs/mkdir",
        Some(json!({"path": "made"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &server,
        Method::POST,
        "/fs/move",
        Some(json!({"from": "hello.txt", "to": "made/hello.txt"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(root.join("made/hello.txt").is_file());
    let (status, dir) = call(&server, Method::DELETE, "/fs/made", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(dir["error"]["code"], "is_directory");
    let (status, _) = call(&server, Method::DELETE, "/fs/made?recursive=true", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!root.join("made").exists());

    // Writes are audited with hashes, under the token's caller name.
    let deadline = Instant::now() + Duration::from_secs(5);
    let writes = loop {
        let writes: Vec<Value> = server
            .audit_lines()
            .into_iter()
            .filter(|l| l["kind"] == "file" && l["op"] == "write")
            .collect();
        if writes.len() >= 2 || Instant::now() > deadline {
            break writes;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(writes[1]["sha256_before"], hash.as_str());
    assert!(writes[1]["sha256_after"].is_string());
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn the_policy_is_enforced_over_rest() {
    let lm = LmStudioMock::start().await;
    let root = temp_root("policy");
    std::fs::write(root.join("key.pem"), "secret").unwrap();
    std::fs::write(root.join("ok.txt"), "ok").unwrap();
    std::os::unix::fs::symlink("/etc", root.join("etc")).unwrap();
    let server = Server::start(
        &lm.url(),
        &[
            ("MCP_LM_FILES_ROOTS", root.to_str().unwrap()),
            ("MCP_LM_FILES_READ_ONLY", "true"),
        ],
    );
    for (path, status, code) in [
        ("/fs/key.pem", StatusCode::FORBIDDEN, "path_denied"),
        (
            "/fs/etc/passwd",
            StatusCode::FORBIDDEN,
            "path_outside_roots",
        ),
        (
            "/fs/..%2F..%2Fetc%2Fpasswd",
            StatusCode::FORBIDDEN,
            "path_outside_roots",
        ),
        ("/fs/missing.txt", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (got, answer) = call(&server, Method::GET, path, None).await;
        assert_eq!(got, status, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{path}");
    }
    let (status, answer) = call(
        &server,
        Method::PUT,
        "/fs/ok.txt",
        Some(json!({"content": "changed"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], "read_only");
    assert_eq!(std::fs::read_to_string(root.join("ok.txt")).unwrap(), "ok");
    let (status, answer) = call(&server, Method::DELETE, "/fs/ok.txt", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], "read_only");
    let (status, answer) = call(&server, Method::GET, "/fs?list=.&depth=nope", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "invalid_request");

    // Same auth as every REST route.
    let anonymous = Server::client()
        .get(format!("{}/fs/ok.txt", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = Server::client()
        .get(format!("{}/fs/ok.txt", server.url))
        .bearer_auth("z".repeat(40))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    // In the OpenAPI document.
    let (_, document) = call(&server, Method::GET, "/openapi.json", None).await;
    let paths = document["paths"].as_object().unwrap();
    for route in [
        "/fs",
        "/fs/{path}",
        "/fs/search",
        "/fs/mkdir",
        "/fs/move",
        "/logs",
        "/logs/stream",
        "/lm/stream",
    ] {
        assert!(paths.contains_key(route), "{route} missing");
    }
    for method in ["get", "put", "patch", "delete"] {
        assert!(
            paths["/fs/{path}"][method]["operationId"].is_string(),
            "{method}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
