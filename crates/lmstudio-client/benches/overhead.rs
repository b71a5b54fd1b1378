//! What the client adds on top of a bare `reqwest` call to the same server, in the same run.
//!
//! ```text
//! cargo bench -p lmstudio-client --bench overhead [-- --requests 2000 --streams 30 --chunks 2000]
//! ```
//!
//! - Non-stream: `v0().chat()` (request building, serialization, the 200-with-error check,
//!   typed decoding, stats) vs `reqwest` posting the same pre-serialized body and reading the
//!   bytes, alternating, against the fixtures' wiremock LM Studio on loopback. Prints p50/p99
//!   of both and the difference. Target: ≤ 0.2 ms added at p50.
//! - Stream: `v0().chat_stream()` decoding a long answer into deltas and measuring stats vs
//!   `reqwest` reading the same SSE bytes, against the paced SSE server with no delays.
//!   Prints the added time per chunk. Target: ≤ 0.1 ms per chunk.
//! - NDJSON stream: the same for Ollama, `ollama().chat_stream()` (line splitting, decoding
//!   every object, the server's stats from the last one) vs `reqwest` reading the same NDJSON
//!   bytes. Target: ≤ 0.1 ms per chunk.

use std::time::{Duration, Instant};

use fixtures::{LmStudioMock, StreamServer};
use futures_util::StreamExt;
use lmstudio_client::{ChatEvent, ChatRequest, ChatStream, Client, OllamaChatRequest};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let requests = arg("--requests", 2000);
    let streams = arg("--streams", 30);
    let chunks = arg("--chunks", 2000);
    println!("lmstudio-client overhead vs bare reqwest, same server, same run");
    non_stream(requests).await;
    stream(streams, chunks, Wire::Sse).await;
    stream(streams, chunks, Wire::Ndjson).await;
}

/// Which stream format a run measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// LM Studio v0 SSE (`data: {chunk}`).
    Sse,
    /// Ollama NDJSON (one object per line).
    Ndjson,
}

async fn non_stream(requests: usize) {
    let lm = LmStudioMock::start().await;
    let client = Client::builder()
        .base_url(lm.url())
        .build()
        .expect("client");
    let bare = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("reqwest");
    let req = ChatRequest::prompt("Name a prime above 90.")
        .model("qwen2.5-7b-instruct")
        .max_tokens(32);
    let url = format!("{}/api/v0/chat/completions", lm.url());
    let body = serde_json::to_vec(&serde_json::json!({
        "model": "qwen2.5-7b-instruct",
        "messages": [{"role": "user", "content": "Name a prime above 90."}],
        "max_tokens": 32
    }))
    .expect("json");

    let bare_call = || async {
        let started = Instant::now();
        let response = bare
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("bare send");
        let bytes = response.bytes().await.expect("bare body");
        assert!(!bytes.is_empty());
        started.elapsed()
    };
    let client_call = || async {
        let started = Instant::now();
        let answer = client.v0().chat(&req).await.expect("client chat");
        assert_eq!(answer.content(), "97 is prime.");
        started.elapsed()
    };
    for _ in 0..200 {
        bare_call().await;
        client_call().await;
    }
    let (mut bare_times, mut client_times) =
        (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for i in 0..requests {
        // Alternate the order so neither side always runs on a warmer connection.
        if i % 2 == 0 {
            bare_times.push(bare_call().await);
            client_times.push(client_call().await);
        } else {
            client_times.push(client_call().await);
            bare_times.push(bare_call().await);
        }
    }
    bare_times.sort();
    client_times.sort();
    let (b50, b99) = (percentile(&bare_times, 0.5), percentile(&bare_times, 0.99));
    let (c50, c99) = (
        percentile(&client_times, 0.5),
        percentile(&client_times, 0.99),
    );
    println!(
        "non-stream v0 chat, {requests} requests: bare reqwest p50 {:.1} µs p99 {:.1} µs | client p50 {:.1} µs p99 {:.1} µs",
        micros(b50),
        micros(b99),
        micros(c50),
        micros(c99)
    );
    println!(
        "  added: p50 {:+.1} µs, p99 {:+.1} µs; ratio p50 {:.3}x (target: added p50 <= 200 µs)",
        micros(c50) - micros(b50),
        micros(c99) - micros(b99),
        c50.as_secs_f64() / b50.as_secs_f64()
    );
}

async fn stream(streams: usize, chunks: usize, wire: Wire) {
    let server = StreamServer::builder().content_chunks(chunks).start().await;
    let client = Client::builder()
        .base_url(server.url())
        .build()
        .expect("client");
    let bare = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("reqwest");
    let req = ChatRequest::prompt("Count to a thousand.").model("qwen2.5-7b-instruct");
    let ollama_req: OllamaChatRequest = ChatRequest::prompt("Count to a thousand.")
        .model("llama3.2")
        .into();
    let (url, body, label) = match wire {
        Wire::Sse => (
            format!("{}/api/v0/chat/completions", server.url()),
            serde_json::json!({
                "model": "qwen2.5-7b-instruct",
                "messages": [{"role": "user", "content": "Count to a thousand."}],
                "stream": true,
                "stream_options": {"include_usage": true}
            }),
            "stream v0 chat (SSE)",
        ),
        Wire::Ndjson => (
            format!("{}/api/chat", server.url()),
            serde_json::json!({
                "model": "llama3.2",
                "messages": [{"role": "user", "content": "Count to a thousand."}],
                "stream": true
            }),
            "stream Ollama chat (NDJSON)",
        ),
    };
    let body = serde_json::to_vec(&body).expect("json");
    let open = || async {
        let opened: ChatStream = match wire {
            Wire::Sse => client.v0().chat_stream(&req).await,
            Wire::Ndjson => client.ollama().chat_stream(&ollama_req).await,
        }
        .expect("client stream");
        opened
    };

    let bare_call = || async {
        let started = Instant::now();
        let response = bare
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("bare send");
        let mut bytes = response.bytes_stream();
        let mut total = 0;
        while let Some(chunk) = bytes.next().await {
            total += chunk.expect("bare chunk").len();
        }
        assert!(total > chunks * 90);
        started.elapsed()
    };
    let client_call = || async {
        let started = Instant::now();
        let mut stream = open().await;
        let mut deltas = 0;
        while let Some(event) = stream.next().await {
            match event.expect("client event") {
                ChatEvent::Delta(_) => deltas += 1,
                ChatEvent::Done(summary) => assert_eq!(
                    summary.usage.map(|u| u.completion_tokens),
                    Some(chunks as u64)
                ),
                _ => {}
            }
        }
        assert_eq!(deltas, chunks);
        started.elapsed()
    };
    for _ in 0..3 {
        bare_call().await;
        client_call().await;
    }
    let (mut bare_times, mut client_times) = (Vec::new(), Vec::new());
    for i in 0..streams {
        if i % 2 == 0 {
            bare_times.push(bare_call().await);
            client_times.push(client_call().await);
        } else {
            client_times.push(client_call().await);
            bare_times.push(bare_call().await);
        }
    }
    bare_times.sort();
    client_times.sort();
    let (b, c) = (percentile(&bare_times, 0.5), percentile(&client_times, 0.5));
    #[allow(clippy::cast_precision_loss)]
    let per_chunk = (micros(c) - micros(b)) / chunks as f64;
    println!(
        "{label}, {streams} streams of {chunks} chunks: bare reqwest median {:.2} ms | client median {:.2} ms",
        micros(b) / 1000.0,
        micros(c) / 1000.0
    );
    println!(
        "  added per chunk: {per_chunk:+.2} µs; ratio {:.3}x (target: <= 100 µs per chunk)",
        c.as_secs_f64() / b.as_secs_f64()
    );
}
