//! Round-trip costs of `mcp-protocol`, printed as figures and ratios measured in one run.
//!
//! ```text
//! cargo bench -p mcp-protocol --all-features --bench roundtrip [-- --calls 5000]
//! ```
//!
//! 1. stdio: `tools/call` of a trivial tool through a real child process (this binary
//!    re-executed as the server) over its stdin/stdout pipes. Target: ≤ 100 µs p50.
//! 2. HTTP: the same call as a JSON round trip through `StreamableHttp` in a legacy session, as
//!    a stateless 2026-07-28 request (`_meta` and `Mcp-*` headers, no session), and through a
//!    bare axum handler that parses the same body and answers a fixed JSON, on one loopback
//!    server, interleaved. Targets: legacy ≤ 1.3× bare; stateless vs legacy reported as a ratio.
//! 3. Memory per idle HTTP session: RSS growth over 2000 `initialize`d sessions.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use axum::{Json, Router, routing::post};
use mcp_protocol::{CallToolResult, Server, StreamableHttp, Tool};
use serde_json::{Value, json};

fn server() -> Server {
    Server::builder("bench", "0")
        .tool(Tool::new("noop", "Does nothing"), |_, _| async {
            Ok(CallToolResult::text("ok"))
        })
        .build()
        .expect("server")
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    if std::env::var_os("MCP_BENCH_CHILD").is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime
            .block_on(mcp_protocol::serve_stdio(server()))
            .expect("serve");
        return;
    }
    let calls = arg("--calls", 5000);
    println!("mcp-protocol round trips ({calls} calls each)");
    stdio(calls);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(http(calls));
    runtime.block_on(session_memory(2000));
}

fn stdio(calls: usize) {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env("MCP_BENCH_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let mut roundtrip = |message: &str| {
        stdin.write_all(message.as_bytes()).expect("write");
        stdin.flush().expect("flush");
        line.clear();
        stdout.read_line(&mut line).expect("read");
        assert!(line.contains("\"result\""), "{line}");
    };
    let started = Instant::now();
    roundtrip(
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"0\"}}}\n",
    );
    let startup = started.elapsed();
    let call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"noop\",\"arguments\":{}}}\n";
    for _ in 0..500 {
        roundtrip(call);
    }
    let mut times: Vec<Duration> = (0..calls)
        .map(|_| {
            let started = Instant::now();
            roundtrip(call);
            started.elapsed()
        })
        .collect();
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    drop(stdin);
    let _ = child.wait();
    println!(
        "stdio tools/call (child process, pipes): p50 {:.1} µs, p99 {:.1} µs (target p50 <= 100 µs); spawn + initialize {:.1} ms",
        micros(p50),
        micros(p99),
        startup.as_secs_f64() * 1e3
    );
}

async fn http(calls: usize) {
    let bare = Router::new().route(
        "/bare",
        post(|Json(body): Json<Value>| async move {
            Json(json!({"jsonrpc":"2.0","id":body["id"],"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}))
        }),
    );
    let app = StreamableHttp::new(server()).router("/mcp").merge(bare);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("client");
    let init = client
        .post(format!("http://{addr}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}"#)
        .send()
        .await
        .expect("initialize");
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .expect("session")
        .to_owned();
    let legacy_body =
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"noop","arguments":{}}}"#;
    let modern_body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"noop","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0"}}}}"#;
    let one = |kind: Kind| {
        let client = client.clone();
        let session = session.clone();
        async move {
            let started = Instant::now();
            let path = if kind == Kind::Bare { "/bare" } else { "/mcp" };
            let mut request = client
                .post(format!("http://{addr}{path}"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream");
            request = match kind {
                Kind::Modern => request
                    .header("mcp-protocol-version", "2026-07-28")
                    .header("mcp-method", "tools/call")
                    .header("mcp-name", "noop")
                    .body(modern_body),
                Kind::Legacy | Kind::Bare => request
                    .header("mcp-session-id", session)
                    .header("mcp-protocol-version", "2025-11-25")
                    .body(legacy_body),
            };
            let response = request.send().await.expect("send");
            let text = response.text().await.expect("body");
            assert!(text.contains("\"ok\""), "{text}");
            started.elapsed()
        }
    };
    let kinds = [Kind::Legacy, Kind::Modern, Kind::Bare];
    for _ in 0..500 {
        for kind in kinds {
            one(kind).await;
        }
    }
    let mut times: [Vec<Duration>; 3] = std::array::from_fn(|_| Vec::with_capacity(calls));
    for i in 0..calls {
        // Rotate the order so no kind always runs first (warm caches, Nagle, scheduling).
        for k in 0..3 {
            let index = (i + k) % 3;
            times[index].push(one(kinds[index]).await);
        }
    }
    let [legacy, modern, bare] = &mut times;
    let (l50, m50, b50) = (
        percentile(legacy, 0.5),
        percentile(modern, 0.5),
        percentile(bare, 0.5),
    );
    let (l99, m99, b99) = (
        percentile(legacy, 0.99),
        percentile(modern, 0.99),
        percentile(bare, 0.99),
    );
    println!(
        "HTTP JSON tools/call: legacy session p50 {:.1} µs p99 {:.1} µs | bare axum p50 {:.1} µs p99 {:.1} µs | ratio p50 {:.2}x (target <= 1.3x)",
        micros(l50),
        micros(l99),
        micros(b50),
        micros(b99),
        l50.as_secs_f64() / b50.as_secs_f64()
    );
    println!(
        "HTTP JSON tools/call: stateless 2026-07-28 p50 {:.1} µs p99 {:.1} µs | legacy session p50 {:.1} µs | stateless/legacy p50 {:.2}x",
        micros(m50),
        micros(m99),
        micros(l50),
        m50.as_secs_f64() / l50.as_secs_f64()
    );
}

/// Which HTTP round trip is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Legacy,
    Modern,
    Bare,
}

async fn session_memory(sessions: usize) {
    use tower::ServiceExt;
    let app = StreamableHttp::new(server())
        .config(mcp_protocol::HttpConfig::default().max_sessions(sessions + 100))
        .router("/mcp");
    let initialize = || {
        axum::http::Request::post("/mcp")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}"#))
            .expect("request")
    };
    // Warm the allocator and the router first.
    for _ in 0..50 {
        let _ = app.clone().oneshot(initialize()).await;
    }
    let before = rss_kib();
    for _ in 0..sessions {
        let response = app.clone().oneshot(initialize()).await.expect("initialize");
        assert!(response.headers().contains_key("mcp-session-id"));
    }
    let after = rss_kib();
    #[allow(clippy::cast_precision_loss)]
    let per_session = (after.saturating_sub(before) * 1024) as f64 / sessions as f64;
    println!(
        "memory per idle HTTP session: {per_session:.0} bytes ({sessions} sessions, RSS +{} KiB)",
        after.saturating_sub(before)
    );
}
