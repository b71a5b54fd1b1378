//! Black-box tests of the REST contract against the real binary and the LM Studio fixtures.

mod support;

use std::time::{Duration, Instant};

use fixtures::{LmStudioMock, unused_local_url};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Server, TOKEN, sse_events};

async fn body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

#[tokio::test]
async fn health_is_public_and_everything_else_needs_the_token() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let client = Server::client();
    let health = client
        .get(format!("{}/health", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let anonymous = client
        .get(format!("{}/status", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=\"mcp-lm\"")
    );
    let (_, error) = body(anonymous).await;
    assert_eq!(error["success"], false);

    let wrong = client
        .get(format!("{}/status", server.url))
        .bearer_auth("x".repeat(40))
        .send()
        .await
        .unwrap();
    let (status, error) = body(wrong).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the original contract answers 403 to a wrong token"
    );
    assert_eq!(error["success"], false);
    assert!(error["error"]["code"].is_string());

    for (method, path) in [
        (Method::POST, "/lm/query"),
        (Method::POST, "/terminal/cmd"),
        (Method::GET, "/lm/models"),
    ] {
        let response = client
            .request(method, format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn status_reports_lm_studio_and_terminal() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let (status, report) = body(server.authed(Method::GET, "/status").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["status"], "online");
    assert_eq!(report["lm_studio"]["connected"], true);
    assert_eq!(report["lm_studio"]["available"], true);
    assert_eq!(report["lm_studio"]["host"], lm.url());
    assert_eq!(report["lm_studio"]["model"], "default");
    assert_eq!(report["terminal"]["status"], "available");
    assert_eq!(report["terminal"]["timeout"], "20s");
    assert!(report["version"].is_string() && report["uptime_s"].is_u64());
    assert_eq!(report["models"].as_array().unwrap().len(), 4);

    let dead = Server::start(&unused_local_url(), &[]);
    let started = Instant::now();
    let (_, report) = body(dead.authed(Method::GET, "/status").send().await.unwrap()).await;
    assert_eq!(report["lm_studio"]["connected"], false);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn lm_query_with_the_original_body_returns_every_field() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    // The original README's body.
    let request = json!({"prompt": "Explique la récursivité en une phrase.", "temperature": 0.7, "max_tokens": 200});
    let (status, answer) = body(
        server
            .authed(Method::POST, "/lm/query")
            .json(&request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["content"], "97 is prime.");
    assert_eq!(
        answer["usage"],
        json!({"prompt_tokens": 24, "completion_tokens": 6, "total_tokens": 30})
    );
    assert_eq!(answer["stats"]["tokens_per_second"], 51.4);
    assert_eq!(answer["stats"]["time_to_first_token"], 0.111);
    assert_eq!(answer["stats"]["generation_time"], 0.954);
    assert_eq!(answer["stats"]["stop_reason"], "eosFound");
    assert_eq!(answer["stats"]["source"], "server");
    assert_eq!(
        answer["model_info"],
        json!({"arch": "qwen2", "quant": "Q4_K_M", "format": "gguf", "context_length": 8192})
    );
    assert_eq!(
        answer["runtime"]["name"],
        "llama.cpp-mac-arm64-apple-metal-advsimd"
    );
    assert_eq!(answer["finish_reason"], "stop");
    assert_eq!(answer["model"], "qwen2.5-7b-instruct");

    let sent: Value = lm
        .received_requests()
        .await
        .last()
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(sent["temperature"], 0.7);
    assert_eq!(sent["max_tokens"], 200);

    // The OpenAI-compatible API: measured stats, marked as such.
    let request = json!({"prompt": "hi", "api_version": "v1"});
    let (_, answer) = body(
        server
            .authed(Method::POST, "/lm/query")
            .json(&request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer["stats"]["source"], "measured");
    assert!(answer.get("model_info").is_none());
}

#[tokio::test]
async fn lm_query_streams_deltas_then_stats() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let response = server
        .authed(Method::POST, "/lm/query")
        .json(&json!({"prompt": "hi", "stream": true}))
        .send()
        .await
        .unwrap();
    let events: Vec<Value> = sse_events(response)
        .await
        .into_iter()
        .map(|event| event.data)
        .collect();
    let content: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        content,
        "97 is a prime number: its only divisors are 1 and itself."
    );
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["stats"]["source"], "measured");
    assert_eq!(done["usage"]["completion_tokens"], 14);
}

#[tokio::test]
async fn lm_errors_are_json_with_hints() {
    let server = Server::start(&unused_local_url(), &[]);
    let (status, error) = body(
        server
            .authed(Method::POST, "/lm/query")
            .json(&json!({"prompt": "hi"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error["error"]["code"], "lm_unreachable");
    assert!(
        error["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("lms server start")
    );

    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let (status, error) = body(
        server
            .authed(Method::POST, "/lm/query")
            .json(&json!({"prompt": "hi", "model": "nope"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "model_not_found");
    assert!(
        error["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("qwen2.5-7b-instruct")
    );

    // LM Studio's 200-with-error for an unknown route (here: a base URL with a wrong path).
    let wrong = Server::start(&format!("{}/wrong", lm.url()), &[]);
    let (status, error) = body(
        wrong
            .authed(Method::POST, "/lm/query")
            .json(&json!({"prompt": "hi", "model": "m"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error["error"]["code"], "lm_unknown_endpoint");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_server_stays_up() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let cases: Vec<(&str, reqwest::Body, StatusCode, &str)> = vec![
        (
            "/lm/query",
            "{oops".into(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "/lm/query",
            "".into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/lm/query",
            r#"{"temperature": 1}"#.into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/lm/query",
            r#"{"prompt": 42}"#.into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/lm/query",
            r#"{"prompt": "x", "bogus": 1}"#.into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/terminal/cmd",
            r#"{"timeout": 5}"#.into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/terminal/cmd",
            r#"{"cmd": "true", "timeout": -1}"#.into(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "/terminal/cmd",
            vec![b'x'; 10 * 1024 * 1024].into(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        ("/nowhere", "{}".into(), StatusCode::NOT_FOUND, "not_found"),
    ];
    for (path, request_body, expected, code) in cases {
        let response = server
            .authed(Method::POST, path)
            .header("content-type", "application/json")
            .body(request_body)
            .send()
            .await
            .unwrap();
        let (status, error) = body(response).await;
        assert_eq!(status, expected, "{path}: {error}");
        assert_eq!(error["error"]["code"], code, "{path}: {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    let (_, error) = body(
        server
            .authed(Method::POST, "/lm/query")
            .body(r#"{"prompt": 42}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("prompt"),
        "the message names the field: {error}"
    );
    assert_eq!(
        server
            .authed(Method::GET, "/status")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn terminal_cmd_runs_commands_with_the_original_fields() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let (status, result) = body(
        server
            .authed(Method::POST, "/terminal/cmd")
            .json(&json!({"cmd": "echo hello; echo oops >&2; exit 3", "timeout": 5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["success"], false);
    assert_eq!(result["command"], "echo hello; echo oops >&2; exit 3");
    assert_eq!(result["stdout"], "hello\n");
    assert_eq!(result["stderr"], "oops\n");
    assert_eq!(result["exit_code"], 3);
    assert!(result["execution_time"].as_f64().unwrap() < 5.0);
    assert_eq!(result["timed_out"], false);

    // Non-UTF-8 output: text is lossy, the bytes are kept in base64.
    let (_, result) = body(
        server
            .authed(Method::POST, "/terminal/cmd")
            .json(&json!({"cmd": "printf 'a\\377b'"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(result["stdout"], "a\u{fffd}b");
    assert_eq!(result["stdout_base64"], "Yf9i");

    // The token never reaches the command's environment.
    let (_, result) = body(
        server
            .authed(Method::POST, "/terminal/cmd")
            .json(&json!({"cmd": "env"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!result["stdout"].as_str().unwrap().contains(TOKEN));
    assert!(!result["stdout"].as_str().unwrap().contains("MCP_LM_"));

    let audit = server.audit_lines();
    assert!(
        audit.iter().any(|l| l["kind"] == "command"
            && l["cmd"] == "env"
            && l["caller"] == "config"
            && l["remote"]
                .as_str()
                .is_some_and(|r| r.starts_with("127.0.0.1:"))),
        "{audit:?}"
    );
    assert!(
        !std::fs::read_to_string(server.dir.join("audit.jsonl"))
            .unwrap()
            .contains(TOKEN)
    );
}

#[tokio::test]
async fn terminal_cmd_streams_output_as_it_comes_then_the_result() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let response = server
        .authed(Method::POST, "/terminal/cmd")
        .json(&json!({
            "cmd": "printf first; sleep 0.5; printf second; printf oops >&2; printf 'a\\377b'; exit 3",
            "stream": true
        }))
        .send()
        .await
        .unwrap();
    let events = sse_events(response).await;
    let done = events.last().unwrap();
    assert_eq!(done.name, "done", "{events:?}");
    let outputs: Vec<&Value> = events
        .iter()
        .filter(|event| event.name == "output")
        .map(|event| &event.data)
        .collect();
    // The first piece came before the command's sleep was over: streamed, not buffered.
    let first = events.iter().find(|event| event.name == "output").unwrap();
    assert_eq!(first.data["stream"], "stdout");
    assert_eq!(first.data["text"], "first");
    assert!(
        done.at - first.at >= Duration::from_millis(400),
        "{events:?}"
    );
    // The exact bytes of each stream, from `base64` where present, else `text`.
    let bytes = |stream: &str| -> Vec<u8> {
        outputs
            .iter()
            .filter(|data| data["stream"] == stream)
            .flat_map(|data| match data["base64"].as_str() {
                Some(encoded) => {
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded)
                        .unwrap()
                }
                None => data["text"].as_str().unwrap().as_bytes().to_vec(),
            })
            .collect()
    };
    assert_eq!(bytes("stdout"), b"firstseconda\xffb");
    assert_eq!(bytes("stderr"), b"oops");
    // `done` is the non-streamed answer.
    let done = &done.data;
    assert_eq!(done["exit_code"], 3, "{done}");
    assert_eq!(done["success"], false);
    assert_eq!(done["stdout"], "firstseconda\u{fffd}b");
    assert_eq!(done["stdout_base64"], "Zmlyc3RzZWNvbmRh/2I=");
    assert_eq!(done["stderr"], "oops");

    // Errors before the start are plain JSON errors; `stream` must be a boolean.
    for (request, code) in [
        (json!({"cmd": "", "stream": true}), "invalid_request"),
        (json!({"cmd": "true", "stream": "yes"}), "invalid_request"),
    ] {
        let (status, error) = body(
            server
                .authed(Method::POST, "/terminal/cmd")
                .json(&request)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["code"], code, "{error}");
    }
    let audit = server.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l["kind"] == "command" && l["exit_code"] == 3 && l["caller"] == "config"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn closing_a_streamed_command_kills_its_process_group() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    // A raw connection, so that closing it is explicit (an HTTP client library may keep it
    // open after its response is dropped). Unusual durations identify this test's processes.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({"cmd": "echo started; sleep 3127 & sleep 3128", "stream": true}).to_string();
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /terminal/cmd HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("started") {
        let mut buffer = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buffer))
            .await
            .expect("no output within 10 s")
            .unwrap();
        assert!(read > 0, "closed early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..read]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("event: output"));
    drop(socket);
    // The server notices at its next write (a keep-alive comment every second).
    let mut survivors = String::new();
    for _ in 0..200 {
        let found = std::process::Command::new("pgrep")
            .args(["-f", "sleep 312[78]"])
            .output()
            .unwrap();
        survivors = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        if survivors.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(survivors.is_empty(), "processes left behind: {survivors}");
    let cancelled = (0..100).any(|_| {
        let found = server
            .audit_lines()
            .iter()
            .any(|l| l["kind"] == "command" && l["cancelled"] == true);
        if !found {
            std::thread::sleep(Duration::from_millis(20));
        }
        found
    });
    assert!(cancelled, "{:?}", server.audit_lines());
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    // Unusual durations identify this test's processes.
    let cmd = "sleep 3117 & (sleep 3118 &) ; sleep 3119";
    let started = Instant::now();
    let (_, result) = body(
        server
            .authed(Method::POST, "/terminal/cmd")
            .json(&json!({"cmd": cmd, "timeout": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(result["timed_out"], true, "{result}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut survivors = String::new();
    for _ in 0..40 {
        let found = std::process::Command::new("pgrep")
            .args(["-f", "sleep 311[789]"])
            .output()
            .unwrap();
        survivors = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        if survivors.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("processes left behind: {survivors}");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let lm = LmStudioMock::start().await;
    let mut server = Server::start(&lm.url(), &[]);
    assert_eq!(
        server
            .authed(Method::GET, "/status")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let audit = server.audit_lines();
    assert_eq!(audit.last().unwrap()["event"], "stop");
}

#[tokio::test]
async fn openapi_lists_every_route_with_bearer_security() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[]);
    let (status, document) = body(
        server
            .authed(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(document["security"], json!([{"bearer": []}]));
    let paths = document["paths"].as_object().unwrap();
    for route in [
        "/health",
        "/status",
        "/lm/query",
        "/lm/models",
        "/terminal/cmd",
        "/mcp",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(route), "{route} missing");
    }
    assert_eq!(paths["/health"]["get"]["security"], json!([]));
    assert_eq!(document["servers"][0]["url"], server.url);
    let (_, old) = body(
        server
            .authed(Method::GET, "/openapi.json?format=3.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(old["openapi"], "3.0.3");
    assert_eq!(
        old["components"]["schemas"]["TerminalCmd"]["properties"]["timeout"]["exclusiveMinimum"],
        true
    );
    let wrong = Server::client()
        .get(format!("{}/openapi.json", server.url))
        .bearer_auth("z".repeat(40));
    assert_eq!(wrong.send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
