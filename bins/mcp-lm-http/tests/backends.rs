//! Issue 10: several model servers behind one REST and MCP contract. `/lm/query`, `/lm/models`,
//! `/status` and the `lm_query` / `lm_models` tools, end to end on the real binary, against the
//! emulated LM Studio, Ollama and a generic OpenAI-compatible server (llama.cpp, vLLM).

mod support;

use std::{
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use fixtures::{LmStudioMock, OllamaMock, unused_local_url};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Server, TOKEN, sse_events};

struct Servers {
    lmstudio: LmStudioMock,
    ollama: OllamaMock,
    generic: LmStudioMock,
}

async fn servers() -> Servers {
    Servers {
        lmstudio: LmStudioMock::start().await,
        ollama: OllamaMock::start().await,
        generic: LmStudioMock::builder().openai_only().start().await,
    }
}

/// The binary with LM Studio, `ollama` and `llamacpp` (OpenAI-compatible), all from
/// environment variables; `extra` adds more.
fn start(servers: &Servers, extra: &[(&str, &str)]) -> Server {
    let generic = format!("{}/v1", servers.generic.url());
    let ollama = servers.ollama.url();
    let mut env = vec![
        ("MCP_LM_BACKENDS_OLLAMA_HOST", ollama.as_str()),
        ("MCP_LM_BACKENDS_LLAMACPP_KIND", "openai"),
        ("MCP_LM_BACKENDS_LLAMACPP_HOST", generic.as_str()),
    ];
    env.extend_from_slice(extra);
    Server::start(&servers.lmstudio.url(), &env)
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

async fn query(server: &Server, body: Value) -> (StatusCode, Value) {
    json_of(
        server
            .authed(Method::POST, "/lm/query")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.retain(|k| !matches!(k.as_str(), "model_info" | "runtime" | "reasoning"));
    keys.sort();
    keys
}

#[tokio::test]
async fn lm_query_answers_in_one_shape_from_every_backend() {
    let servers = servers().await;
    let server = start(&servers, &[]);

    let (status, lmstudio) = query(&server, json!({"prompt": "hi", "max_tokens": 20})).await;
    assert_eq!(status, StatusCode::OK, "{lmstudio}");
    assert_eq!(lmstudio["backend"], "lmstudio");
    assert_eq!(lmstudio["api_version"], "v0");

    let (status, ollama) = query(
        &server,
        json!({"prompt": "hi", "max_tokens": 20, "backend": "ollama"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ollama}");
    assert_eq!(ollama["success"], true);
    assert_eq!(ollama["content"], "97 is prime.");
    assert_eq!(ollama["backend"], "ollama");
    assert_eq!(ollama["api_version"], "ollama");
    assert_eq!(ollama["model"], "llama3.2:latest");
    assert_eq!(ollama["finish_reason"], "stop");
    assert_eq!(
        ollama["usage"],
        json!({"prompt_tokens": 26, "completion_tokens": 6, "total_tokens": 32})
    );
    assert_eq!(ollama["stats"]["source"], "server");
    assert_eq!(ollama["stats"]["tokens_per_second"], 50.0);
    assert_eq!(ollama["stats"]["generation_time"], 0.12);
    assert_eq!(
        ollama["model_info"],
        json!({"arch": "llama", "quant": "Q4_K_M", "format": "gguf", "context_length": 4096})
    );
    assert_eq!(ollama["runtime"]["name"], "ollama");
    assert_eq!(ollama["runtime"]["version"], "0.12.6");

    let (status, generic) = query(&server, json!({"prompt": "hi", "backend": "llamacpp"})).await;
    assert_eq!(status, StatusCode::OK, "{generic}");
    assert_eq!(generic["backend"], "llamacpp");
    assert_eq!(generic["api_version"], "v1");
    assert_eq!(generic["model"], "qwen2.5-7b-instruct");
    assert_eq!(generic["stats"]["source"], "measured");

    assert_eq!(sorted_keys(&lmstudio), sorted_keys(&ollama));
    assert_eq!(sorted_keys(&lmstudio), sorted_keys(&generic));
    // Every query is audited with the backend that answered it (written by a background
    // thread: wait for it).
    let deadline = Instant::now() + Duration::from_secs(10);
    let backends = loop {
        let backends: Vec<String> = server
            .audit_lines()
            .iter()
            .filter(|l| l["kind"] == "query")
            .map(|l| l["backend"].as_str().unwrap().to_owned())
            .collect();
        if backends.len() >= 3 || Instant::now() > deadline {
            break backends;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(backends, ["lmstudio", "ollama", "llamacpp"]);
}

/// The `delta` texts and the `done` event of an SSE answer.
async fn streamed(server: &Server, body: Value) -> (String, Value) {
    let response = server
        .authed(Method::POST, "/lm/query")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (mut content, mut done) = (String::new(), Value::Null);
    for event in sse_events(response).await {
        match event.name.as_str() {
            "delta" => content.push_str(event.data["content"].as_str().unwrap_or_default()),
            "done" => done = event.data,
            other => panic!("unexpected event {other}: {}", event.data),
        }
    }
    (content, done)
}

#[tokio::test]
async fn streams_work_with_every_backend() {
    let servers = servers().await;
    let server = start(&servers, &[]);
    let full = "97 is a prime number: its only divisors are 1 and itself.";
    for (backend, source) in [
        ("lmstudio", "measured"),
        ("ollama", "server"),
        ("llamacpp", "measured"),
    ] {
        let (content, done) = streamed(
            &server,
            json!({"prompt": "hi", "stream": true, "backend": backend}),
        )
        .await;
        assert_eq!(content, full, "{backend}");
        assert_eq!(done["type"], "done", "{backend}: {done}");
        assert_eq!(done["backend"], backend);
        assert_eq!(done["stats"]["source"], source, "{backend}: {done}");
        assert_eq!(done["finish_reason"], "stop");
    }
    let (_, done) = streamed(
        &server,
        json!({"prompt": "hi", "stream": true, "backend": "ollama"}),
    )
    .await;
    assert_eq!(done["usage"]["completion_tokens"], 14);
    assert_eq!(done["model_info"]["arch"], "llama");
    assert!(done["stats"]["measured_time_to_first_token"].is_f64());
}

#[tokio::test]
async fn a_config_file_sets_the_default_backend_and_status_reports_each() {
    let servers = servers().await;
    let dir = std::env::temp_dir().join(format!("mcp-lm-backends-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&json!({
            "lmstudio": {"host": servers.lmstudio.url(), "model": "default", "api_version": "v0"},
            "backends": {
                "ollama": {"kind": "ollama", "host": servers.ollama.url(), "model": "qwen2.5:7b"},
                "llamacpp": {"kind": "openai", "host": servers.generic.url()}
            },
            "default_backend": "ollama"
        }))
        .unwrap(),
    )
    .unwrap();
    let config_path = config.to_string_lossy().into_owned();
    let server = Server::start(
        &servers.lmstudio.url(),
        &[("MCP_LM_CONFIG", config_path.as_str())],
    );

    let (status, answer) = query(&server, json!({"prompt": "hi"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["backend"], "ollama");
    assert_eq!(
        answer["model"], "qwen2.5:7b",
        "the backend's configured model"
    );
    assert_eq!(answer["model_info"]["context_length"], 32768);

    let (status, report) =
        json_of(server.authed(Method::GET, "/status").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let lm = &report["lm_studio"];
    assert_eq!(
        (&lm["backend"], &lm["kind"], &lm["host"], &lm["model"]),
        (
            &json!("ollama"),
            &json!("ollama"),
            &json!(servers.ollama.url()),
            &json!("qwen2.5:7b")
        )
    );
    assert_eq!(lm["connected"], true);
    assert_eq!(lm["available"], true);
    assert_eq!(lm["api_version"], "ollama");
    assert_eq!(report["models"].as_array().unwrap().len(), 3);
    let backends: Vec<(String, bool, bool)> = report["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["default"].as_bool().unwrap(),
                b["connected"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        backends,
        [
            ("lmstudio".to_owned(), false, true),
            ("llamacpp".to_owned(), false, true),
            ("ollama".to_owned(), true, true)
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn lm_models_lists_each_backend() {
    let servers = servers().await;
    let server = start(&servers, &[]);
    let (status, all) = json_of(
        server
            .authed(Method::GET, "/lm/models")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["success"], true);
    assert_eq!(all["models"].as_array().unwrap().len(), 4, "LM Studio's");
    let backends = all["backends"].as_array().unwrap();
    assert_eq!(backends.len(), 3);
    assert_eq!(backends[2]["name"], "ollama");
    assert_eq!(backends[2]["kind"], "ollama");
    assert_eq!(backends[2]["models"][0]["id"], "llama3.2:latest");
    assert_eq!(backends[2]["models"][0]["state"], "loaded");
    assert_eq!(backends[2]["models"][0]["quantization"], "Q4_K_M");

    let (status, one) = json_of(
        server
            .authed(Method::GET, "/lm/models?backend=ollama")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["models"].as_array().unwrap().len(), 3);
    assert_eq!(one["backends"].as_array().unwrap().len(), 1);

    let (status, error) = json_of(
        server
            .authed(Method::GET, "/lm/models?backend=nope")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "unknown_backend");
}

#[tokio::test]
async fn backend_errors_are_json_with_hints_naming_the_backend() {
    let servers = servers().await;
    let dead = unused_local_url();
    let server = start(
        &servers,
        &[
            ("MCP_LM_BACKENDS_DOWN_KIND", "ollama"),
            ("MCP_LM_BACKENDS_DOWN_HOST", dead.as_str()),
            ("MCP_LM_BACKENDS_DOWN_MODEL", "llama3.2"),
        ],
    );
    let cases = [
        (
            json!({"prompt": "hi", "backend": "nope"}),
            StatusCode::BAD_REQUEST,
            "unknown_backend",
            "down, llamacpp, ollama",
        ),
        (
            json!({"prompt": "hi", "backend": "ollama", "api_version": "native"}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "",
        ),
        (
            json!({"prompt": "hi", "backend": 7}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "",
        ),
        (
            json!({"prompt": "hi", "backend": "ollama", "model": "foo"}),
            StatusCode::NOT_FOUND,
            "model_not_found",
            "ollama pull",
        ),
        (
            json!({"prompt": "hi", "backend": "llamacpp", "model": "foo"}),
            StatusCode::NOT_FOUND,
            "model_not_found",
            "backend=llamacpp",
        ),
        (
            json!({"prompt": "hi", "backend": "down"}),
            StatusCode::SERVICE_UNAVAILABLE,
            "lm_unreachable",
            "backends.down.host",
        ),
        (
            json!({"prompt": "hi", "backend": "down", "stream": true}),
            StatusCode::SERVICE_UNAVAILABLE,
            "lm_unreachable",
            "ollama serve",
        ),
    ];
    for (body, status, code, hint) in cases {
        let (got, error) = query(&server, body.clone()).await;
        assert_eq!(got, status, "{body}: {error}");
        assert_eq!(error["success"], false);
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
        let given = error["error"]["hint"].as_str().unwrap_or_default();
        assert!(given.contains(hint), "{body}: {error}");
    }
    // The server is still up, and the other backends still answer.
    let (status, _) = query(&server, json!({"prompt": "hi", "backend": "ollama"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn an_invalid_backend_configuration_stops_the_start_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("mcp-lm-bad-backend-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-lm-http"))
        .args(["--port", "0", "--log-level", "warn"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("MCP_LM_API_TOKEN", TOKEN)
        .env("MCP_LM_LOG_AUDIT_PATH", "")
        .env("MCP_LM_BACKENDS_VLLM_KIND", "openai")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "mcp-lm-http kept running");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("backends.vllm.host") && stderr.contains("required for kind openai"),
        "{stderr}"
    );
}

/// One MCP `tools/call` over `/mcp` in a fresh session.
async fn call_tool(server: &Server, name: &str, arguments: Value) -> Value {
    let post = |session: Option<String>, message: Value| {
        let mut request = Server::client()
            .post(format!("{}/mcp", server.url))
            .bearer_auth(TOKEN)
            .header("accept", "application/json, text/event-stream")
            .json(&message);
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request.send()
    };
    let init = post(
        None,
        json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"0"}}}),
    )
    .await
    .unwrap();
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let answer: Value = post(
        Some(session),
        json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name": name, "arguments": arguments}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    answer["result"].clone()
}

#[tokio::test]
async fn the_lm_query_and_lm_models_tools_reach_every_backend() {
    let servers = servers().await;
    let server = start(&servers, &[]);
    for (backend, api_version, source) in [
        ("lmstudio", "v0", "server"),
        ("ollama", "ollama", "server"),
        ("llamacpp", "v1", "measured"),
    ] {
        let result = call_tool(
            &server,
            "lm_query",
            json!({"prompt": "hi", "backend": backend}),
        )
        .await;
        assert_eq!(result["isError"], false, "{backend}: {result}");
        let answer = &result["structuredContent"];
        assert_eq!(answer["content"], "97 is prime.", "{backend}");
        assert_eq!(answer["backend"], backend);
        assert_eq!(answer["api_version"], api_version);
        assert_eq!(answer["stats"]["source"], source, "{backend}");
    }
    let result = call_tool(
        &server,
        "lm_query",
        json!({"prompt": "hi", "backend": "nope"}),
    )
    .await;
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["structuredContent"]["error"]["code"],
        "unknown_backend"
    );

    let result = call_tool(&server, "lm_models", json!({"backend": "ollama"})).await;
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(
        result["structuredContent"]["models"][0]["id"],
        "llama3.2:latest"
    );
    let result = call_tool(&server, "lm_models", json!({})).await;
    assert_eq!(
        result["structuredContent"]["backends"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let result = call_tool(&server, "lm_models", json!({"backend": "nope"})).await;
    assert_eq!(result["isError"], true);
    let result = call_tool(&server, "server_status", json!({})).await;
    assert_eq!(
        result["structuredContent"]["backends"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
