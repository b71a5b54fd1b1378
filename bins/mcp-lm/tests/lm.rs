//! `status`, `models` and `query` against the LM Studio emulator: directly, and through a
//! started `mcp-lm serve`.

mod support;

use fixtures::{Failure, LmStudioMock, OllamaMock};
use support::{Home, Server, TOKEN, run_async};

fn direct(home: &Home, lm: &LmStudioMock, args: &[&str]) -> std::process::Command {
    let mut command = home.cmd(args);
    command.env("MCP_LM_LMSTUDIO_HOST", lm.url());
    command
}

fn remote(home: &Home, server: &Server, args: &[&str]) -> std::process::Command {
    let token_file = home.token_file(TOKEN);
    let mut command = home.cmd(args);
    command.args([
        "--server",
        &server.url,
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn status_directly_and_through_the_server() {
    let lm = LmStudioMock::start().await;
    let home = Home::new();
    let ran = run_async(direct(&home, &lm, &["status"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("connected to"), "{ran:?}");
    assert!(ran.stdout.contains("a model is loaded"), "{ran:?}");
    assert!(ran.stdout.contains("qwen2.5-7b-instruct"), "{ran:?}");
    assert!(
        !ran.stdout.contains("\x1b["),
        "no colours without a terminal"
    );

    let ran = run_async(direct(&home, &lm, &["status", "--json"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let report = ran.json();
    assert_eq!(report["status"], "online");
    assert_eq!(report["lm_studio"]["connected"], true);
    assert_eq!(report["terminal"]["timeout"], "20s");

    let server = Server::start(&lm.url());
    let ran = run_async(remote(&home, &server, &["status"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("connected to"), "{ran:?}");
    assert!(
        ran.stdout.contains(&server.url),
        "names the server: {ran:?}"
    );

    let ran = run_async(remote(&home, &server, &["status", "--json"])).await;
    let report = ran.json();
    assert_eq!(report["lm_studio"]["host"], lm.url());
    assert!(report["uptime_s"].is_u64(), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_when_lm_studio_is_down_exits_1_with_a_hint() {
    let home = Home::new();
    let mut command = home.cmd(&["status"]);
    command.env("MCP_LM_LMSTUDIO_HOST", fixtures::unused_local_url());
    let ran = run_async(command).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("not reachable"), "{ran:?}");
    assert!(ran.stderr.contains("hint:"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn models_directly_and_through_the_server() {
    let lm = LmStudioMock::start().await;
    let home = Home::new();
    let ran = run_async(direct(&home, &lm, &["models"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let mut lines = ran.stdout.lines();
    let header = lines.next().unwrap();
    for column in ["ID", "STATE", "ARCH", "QUANT", "CONTEXT"] {
        assert!(header.contains(column), "{header}");
    }
    let row = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("qwen2.5-7b-instruct"))
        .unwrap_or_else(|| panic!("{ran:?}"));
    assert!(row.contains("loaded") && row.contains("Q4_K_M"), "{row}");

    let direct_json = run_async(direct(&home, &lm, &["models", "--json"]))
        .await
        .json();
    assert_eq!(direct_json["success"], true);
    let server = Server::start(&lm.url());
    let remote_json = run_async(remote(&home, &server, &["models", "--json"]))
        .await
        .json();
    assert_eq!(direct_json, remote_json, "same JSON both ways");

    let ran = run_async(remote(&home, &server, &["models"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("qwen2.5-7b-instruct"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_by_name_directly_and_through_the_server() {
    let lm = LmStudioMock::start().await;
    let ollama = OllamaMock::start().await;
    let ollama_url = ollama.url();
    let env = [
        ("MCP_LM_BACKENDS_LOCAL_KIND", "ollama"),
        ("MCP_LM_BACKENDS_LOCAL_HOST", ollama_url.as_str()),
    ];
    let home = Home::new();
    let with_backends = |args: &[&str]| {
        let mut command = direct(&home, &lm, args);
        command.envs(env);
        command
    };

    let query = ["query", "--backend", "local", "--no-stream", "--json", "hi"];
    let ran = run_async(with_backends(&query)).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let answer = ran.json();
    assert_eq!(answer["backend"], "local", "{answer}");
    assert_eq!(answer["api_version"], "ollama", "{answer}");
    assert_eq!(answer["content"], "97 is prime.", "{answer}");
    // Without --backend: LM Studio, the default.
    let ran = run_async(with_backends(&["query", "--no-stream", "--json", "hi"])).await;
    assert_eq!(ran.json()["backend"], "lmstudio");

    let ran = run_async(with_backends(&["models", "--backend", "local"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("llama3.2"), "{ran:?}");
    let direct_json = run_async(with_backends(&["models", "-b", "local", "--json"]))
        .await
        .json();

    let server = Server::start_with(&lm.url(), &env);
    let remote_json = run_async(remote(&home, &server, &["models", "-b", "local", "--json"]))
        .await
        .json();
    assert_eq!(direct_json, remote_json, "same JSON both ways");
    let ran = run_async(remote(&home, &server, &query)).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.json()["backend"], "local");

    // A backend that is not configured, and a name no config can have.
    let ran = run_async(with_backends(&["query", "--backend", "nope", "hi"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("nope"), "{ran:?}");
    let ran = run_async(with_backends(&["models", "--backend", "Bad!"])).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("lowercase"), "{ran:?}");
}

fn assert_stats_line(stderr: &str) {
    let line = stderr
        .lines()
        .find(|l| l.contains("tok/s"))
        .unwrap_or_else(|| panic!("no stats line in {stderr:?}"));
    for part in ["TTFT", "generation", "stop: ", "source: "] {
        assert!(line.contains(part), "{part} missing from {line:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn query_streams_the_answer_then_the_stats_line() {
    let lm = LmStudioMock::start().await;
    let home = Home::new();
    let ran = run_async(direct(
        &home,
        &lm,
        &[
            "query",
            "Is 97 prime?",
            "--temperature",
            "0.2",
            "--max-tokens",
            "50",
            "--top-p",
            "0.9",
            "--top-k",
            "40",
            "--stop",
            "###",
        ],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout, "97 is a prime number: its only divisors are 1 and itself.\n",
        "{ran:?}"
    );
    assert_stats_line(&ran.stderr);
    assert!(ran.stderr.contains("qwen2.5-7b-instruct"), "{ran:?}");

    // What LM Studio was sent.
    let requests = lm.received_requests().await;
    let chat = requests
        .iter()
        .find(|r| r.url.path().ends_with("/chat/completions"))
        .expect("a chat request");
    let body: serde_json::Value = serde_json::from_slice(&chat.body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["stop"], serde_json::json!(["###"]));

    // An audit line, like the servers write.
    let audit = std::fs::read_to_string(home.audit_path()).unwrap();
    assert!(audit.contains(r#""kind":"query""#), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn query_without_streaming_and_from_stdin() {
    let lm = LmStudioMock::start().await;
    let home = Home::new();
    let ran = run_async(direct(
        &home,
        &lm,
        &["query", "--no-stream", "Is 97 prime?"],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, "97 is prime.\n");
    assert!(
        ran.stderr.contains("51.4 tok/s"),
        "server-reported stats: {ran:?}"
    );
    assert!(ran.stderr.contains("TTFT 0.11 s"), "{ran:?}");
    assert!(ran.stderr.contains("stop: eosFound"), "{ran:?}");
    assert!(ran.stderr.contains("source: server"), "{ran:?}");

    let prompt_file = home.dir.join("prompt.txt");
    std::fs::write(&prompt_file, "Is 97 prime?\n").unwrap();
    let mut command = direct(&home, &lm, &["query", "-"]);
    command.stdin(std::fs::File::open(&prompt_file).unwrap());
    let ran = run_async(command).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("prime"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn query_json_has_the_lm_query_shape() {
    let lm = LmStudioMock::start().await;
    let home = Home::new();
    let answer = run_async(direct(&home, &lm, &["query", "--json", "Is 97 prime?"]))
        .await
        .json();
    assert_eq!(answer["success"], true);
    assert_eq!(answer["content"], "97 is prime.");
    for field in [
        "usage",
        "stats",
        "model_info",
        "runtime",
        "finish_reason",
        "model",
    ] {
        assert!(!answer[field].is_null(), "{field} missing: {answer}");
    }
    assert_eq!(answer["usage"]["total_tokens"], 30);
    assert_eq!(answer["stats"]["tokens_per_second"], 51.4);

    let server = Server::start(&lm.url());
    let through = run_async(remote(&home, &server, &["query", "--json", "Is 97 prime?"]))
        .await
        .json();
    assert_eq!(through["content"], answer["content"]);
    assert_eq!(through["usage"], answer["usage"]);
    assert_eq!(through["model_info"], answer["model_info"]);

    // --json --stream: one JSON object per line, ending with the statistics.
    let ran = run_async(direct(
        &home,
        &lm,
        &["query", "--json", "--stream", "Is 97 prime?"],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let events: Vec<serde_json::Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.len() > 2, "{ran:?}");
    assert_eq!(events[0]["type"], "delta");
    assert_eq!(events.last().unwrap()["type"], "done");
    assert!(events.last().unwrap()["stats"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn query_through_the_server_streams_too() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();
    let ran = run_async(remote(&home, &server, &["query", "Is 97 prime?"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "97 is a prime number: its only divisors are 1 and itself.\n"
    );
    assert_stats_line(&ran.stderr);

    let ran = run_async(remote(
        &home,
        &server,
        &["query", "--api", "v1", "--no-stream", "Is 97 prime?"],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains("source: measured"),
        "v1 has no server stats: {ran:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn query_errors_carry_the_code_and_a_hint() {
    let lm = LmStudioMock::builder()
        .failure(Failure::ModelNotFound)
        .start()
        .await;
    let home = Home::new();
    let ran = run_async(direct(&home, &lm, &["query", "-m", "nope", "hello"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("error:") && ran.stderr.contains("model_not_found"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("hint:"), "{ran:?}");
    assert!(ran.stdout.is_empty(), "{ran:?}");

    let server = Server::start(&lm.url());
    let ran = run_async(remote(&home, &server, &["query", "-m", "nope", "hello"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("model_not_found") && ran.stderr.contains("hint:"),
        "{ran:?}"
    );

    let mut command = home.cmd(&["query", "hello"]);
    command.env("MCP_LM_LMSTUDIO_HOST", fixtures::unused_local_url());
    let ran = run_async(command).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("lm_unreachable") && ran.stderr.contains("hint:"),
        "{ran:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_authentication_errors_are_clear() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();

    // No token anywhere.
    let ran = run_async(home.cmd(&["status", "--server", &server.url])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("error: no API token for the server"),
        "{ran:?}"
    );
    assert!(
        ran.stderr.contains("--token-file") && ran.stderr.contains("MCP_LM_API_TOKEN"),
        "{ran:?}"
    );

    // A wrong one.
    let ran = run_async(home.cmd(&[
        "status",
        "--server",
        &server.url,
        "--token",
        "wrong-token-0123456789abcdefghijklmnop",
    ]))
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("refused the token"), "{ran:?}");

    // The right one from the environment.
    let mut command = home.cmd(&["status", "--server", &server.url]);
    command.env("MCP_LM_API_TOKEN", TOKEN);
    let ran = run_async(command).await;
    assert_eq!(ran.code, 0, "{ran:?}");

    // Nobody listening.
    let ran = run_async(home.cmd(&[
        "models",
        "--server",
        &fixtures::unused_local_url(),
        "--token",
        TOKEN,
    ]))
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("cannot reach the mcp-lm server"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("mcp-lm serve"), "{ran:?}");

    // https is refused up front.
    let ran = run_async(home.cmd(&[
        "status",
        "--server",
        "https://127.0.0.1:1",
        "--token",
        TOKEN,
    ]))
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("https"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_waiting_exits_130() {
    let lm = LmStudioMock::builder()
        .latency(std::time::Duration::from_secs(20))
        .start()
        .await;
    let home = Home::new();
    let child = direct(&home, &lm, &["query", "hello"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once LM Studio has the request, mcp-lm is waiting (its Ctrl-C handler is in place).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while lm.received_requests().await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no request reached LM Studio"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
