//! What the HTTP server adds on top of calling the LM Studio emulator directly, in one run,
//! and how many `/status` requests per second it serves.
//!
//! ```text
//! cargo bench -p mcp-lm-http --bench http [-- --requests 2000 --streams 20 --chunks 2000
//!     --latency-streams 10 --latency-chunks 200 --paced-streams 4 --paced-chunks 50
//!     --chunk-gap-us 20000 --seconds 5 --connections 64]
//! ```
//!
//! The real binary (bench profile) runs on a free loopback port with its audit log on; the
//! clients are keep-alive `reqwest` clients with `TCP_NODELAY`.
//!
//! - `/lm/query` (JSON) vs posting the equivalent body straight to the wiremock LM Studio
//!   (`/api/v0/chat/completions`), alternating. p50/p99 of both and the difference.
//!   Target: ≤ 0.5 ms added at p50, ≤ 2 ms at p99.
//! - Streaming, two ways. Target: ≤ 1 ms added per chunk.
//!   1. Throughput: a 2000-chunk answer from the paced SSE server with no delays, read
//!      straight vs through `/lm/query` (`"stream": true`) to the last delta; the difference
//!      of the medians divided by the chunks.
//!   2. Latency: an upstream stand-in in this process sends the chunks one at a time, each
//!      when the previous one reached the client, and times each from its send to its arrival
//!      at the client: straight, through the binary, and through the same router served in
//!      this process with and without `TCP_NODELAY` (the binary does not set it). Back to
//!      back, then 20 ms apart (a 50 tokens/s model).
//! - `/status` (the LM probe is cached) driven by `wrk` (2 threads, 64 connections, bearer
//!   header, `--seconds`). Target: ≥ 20 000 requests/s on 2 cores.

mod support;

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    response::Response,
    routing::post,
    serve::ListenerExt,
};
use fixtures::{LmStudioMock, StreamServer};
use futures_util::StreamExt;
use serde_json::json;
use support::{InProcess, Server, TOKEN, arg, micros, percentile, verdict};
use tokio::sync::mpsc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!(
        "mcp-lm-http benchmarks (real binary on 127.0.0.1, same run for each ratio; load average before: {})",
        support::load_average()
    );
    query(arg("--requests", 2000)).await;
    stream_unpaced(arg("--streams", 20), arg("--chunks", 2000)).await;
    // Back to back (a fast model), then at 50 tokens/s (a typical local model).
    stream_latency(
        arg("--latency-streams", 10),
        arg("--latency-chunks", 200),
        Duration::ZERO,
    )
    .await;
    stream_latency(
        arg("--paced-streams", 4),
        arg("--paced-chunks", 50),
        Duration::from_micros(arg("--chunk-gap-us", 20_000) as u64),
    )
    .await;
    status(arg("--seconds", 5), arg("--connections", 64)).await;
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest")
}

async fn query(requests: usize) {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let http = client();
    let direct_url = format!("{}/api/v0/chat/completions", lm.url());
    // What the server sends upstream for the query below.
    let direct_body = serde_json::to_vec(&json!({
        "model": "qwen2.5-7b-instruct",
        "messages": [{"role": "user", "content": "Name a prime above 90."}],
        "max_tokens": 32
    }))
    .expect("json");
    let query_url = format!("{}/lm/query", server.url);
    let query_body = serde_json::to_vec(&json!({
        "prompt": "Name a prime above 90.", "model": "qwen2.5-7b-instruct", "max_tokens": 32
    }))
    .expect("json");

    let direct = || async {
        let started = Instant::now();
        let response = http
            .post(&direct_url)
            .header("content-type", "application/json")
            .body(direct_body.clone())
            .send()
            .await
            .expect("direct send");
        assert!(response.status().is_success());
        let bytes = response.bytes().await.expect("direct body");
        assert!(!bytes.is_empty());
        started.elapsed()
    };
    let proxied = || async {
        let started = Instant::now();
        let response = http
            .post(&query_url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(query_body.clone())
            .send()
            .await
            .expect("/lm/query send");
        assert!(response.status().is_success(), "{}", response.status());
        let bytes = response.bytes().await.expect("/lm/query body");
        assert!(
            bytes.windows(12).any(|w| w == b"97 is prime."),
            "unexpected answer"
        );
        started.elapsed()
    };
    for _ in 0..200 {
        direct().await;
        proxied().await;
    }
    let (mut direct_times, mut proxied_times) =
        (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for i in 0..requests {
        // Alternate the order so neither side always runs second.
        if i % 2 == 0 {
            direct_times.push(direct().await);
            proxied_times.push(proxied().await);
        } else {
            proxied_times.push(proxied().await);
            direct_times.push(direct().await);
        }
    }
    direct_times.sort();
    proxied_times.sort();
    let (d50, d99) = (
        percentile(&direct_times, 0.5),
        percentile(&direct_times, 0.99),
    );
    let (p50, p99) = (
        percentile(&proxied_times, 0.5),
        percentile(&proxied_times, 0.99),
    );
    let (added50, added99) = (micros(p50) - micros(d50), micros(p99) - micros(d99));
    println!(
        "\n/lm/query (JSON), {requests} requests: direct to the mock p50 {:.1} µs p99 {:.1} µs | through /lm/query p50 {:.1} µs p99 {:.1} µs",
        micros(d50),
        micros(d99),
        micros(p50),
        micros(p99)
    );
    println!(
        "  added: p50 {added50:+.1} µs (target <= 500 µs: {}), p99 {added99:+.1} µs (target <= 2000 µs: {}); ratio p50 {:.2}x",
        verdict(added50 <= 500.0),
        verdict(added99 <= 2000.0),
        p50.as_secs_f64() / d50.as_secs_f64()
    );
}

/// The body of a stream request straight to LM Studio, as the server's client sends it.
fn direct_stream_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "model": "qwen2.5-7b-instruct",
        "messages": [{"role": "user", "content": "Count to a thousand."}],
        "stream": true,
        "stream_options": {"include_usage": true}
    }))
    .expect("json")
}

fn query_stream_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "prompt": "Count to a thousand.", "model": "qwen2.5-7b-instruct", "stream": true
    }))
    .expect("json")
}

/// Reads an SSE response; returns the arrival time (since `started`) of every event for
/// which `is_chunk` holds.
async fn chunk_arrivals(
    response: reqwest::Response,
    started: Instant,
    is_chunk: fn(&str) -> bool,
) -> Vec<Duration> {
    assert!(response.status().is_success(), "{}", response.status());
    let mut body = response.bytes_stream();
    let mut pending = String::new();
    let mut arrivals = Vec::new();
    while let Some(bytes) = body.next().await {
        let bytes = bytes.expect("stream chunk");
        let now = started.elapsed();
        pending.push_str(std::str::from_utf8(&bytes).expect("UTF-8 (events split on ASCII)"));
        while let Some(end) = pending.find("\n\n") {
            if is_chunk(&pending[..end]) {
                arrivals.push(now);
            }
            pending.drain(..end + 2);
        }
    }
    arrivals
}

fn is_upstream_content(event: &str) -> bool {
    event.contains(r#""content":""#) && !event.contains(r#""content":"""#)
}

fn is_delta(event: &str) -> bool {
    event.starts_with("event: delta")
}

struct StreamSetup {
    http: reqwest::Client,
    direct_url: String,
    direct_body: Vec<u8>,
    query_url: String,
    query_body: Vec<u8>,
}

impl StreamSetup {
    fn new(upstream: &StreamServer, server: &Server) -> Self {
        Self {
            http: client(),
            direct_url: format!("{}/api/v0/chat/completions", upstream.url()),
            direct_body: direct_stream_body(),
            query_url: format!("{}/lm/query", server.url),
            query_body: query_stream_body(),
        }
    }

    /// Arrival times of the content chunks, straight from the upstream.
    async fn direct(&self) -> Vec<Duration> {
        let started = Instant::now();
        let response = self
            .http
            .post(&self.direct_url)
            .header("content-type", "application/json")
            .body(self.direct_body.clone())
            .send()
            .await
            .expect("direct stream");
        chunk_arrivals(response, started, is_upstream_content).await
    }

    /// Arrival times of the `delta` events through `/lm/query`.
    async fn proxied(&self) -> Vec<Duration> {
        let started = Instant::now();
        let response = self
            .http
            .post(&self.query_url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(self.query_body.clone())
            .send()
            .await
            .expect("/lm/query stream");
        chunk_arrivals(response, started, is_delta).await
    }
}

async fn stream_unpaced(streams: usize, chunks: usize) {
    let upstream = StreamServer::builder().content_chunks(chunks).start().await;
    let server = Server::start(&upstream.url());
    let setup = StreamSetup::new(&upstream, &server);
    let timed = |arrivals: Vec<Duration>| {
        assert_eq!(arrivals.len(), chunks, "content chunks");
        *arrivals.last().expect("chunks")
    };
    for _ in 0..3 {
        timed(setup.direct().await);
        timed(setup.proxied().await);
    }
    let (mut direct_times, mut proxied_times) = (Vec::new(), Vec::new());
    for i in 0..streams {
        if i % 2 == 0 {
            direct_times.push(timed(setup.direct().await));
            proxied_times.push(timed(setup.proxied().await));
        } else {
            proxied_times.push(timed(setup.proxied().await));
            direct_times.push(timed(setup.direct().await));
        }
    }
    direct_times.sort();
    proxied_times.sort();
    let (d, p) = (
        percentile(&direct_times, 0.5),
        percentile(&proxied_times, 0.5),
    );
    #[allow(clippy::cast_precision_loss)]
    let per_chunk = (micros(p) - micros(d)) / chunks as f64;
    println!(
        "\n/lm/query stream, unpaced: {streams} streams of {chunks} chunks: direct median {:.2} ms | through /lm/query median {:.2} ms (to the last delta)",
        micros(d) / 1000.0,
        micros(p) / 1000.0
    );
    println!(
        "  added per chunk: {per_chunk:+.2} µs (target <= 1000 µs: {}); ratio {:.2}x",
        verdict(per_chunk <= 1000.0),
        p.as_secs_f64() / d.as_secs_f64()
    );
}

/// An LM Studio stand-in whose chunks the benchmark sends one by one, so that each chunk's
/// latency (sent by the upstream → received by the client) can be measured.
struct ManualUpstream {
    url: String,
    next: Arc<Mutex<Option<mpsc::Receiver<Bytes>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ManualUpstream {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let next: Arc<Mutex<Option<mpsc::Receiver<Bytes>>>> = Arc::default();
        let slot = Arc::clone(&next);
        let app = Router::new().route(
            "/api/v0/chat/completions",
            post(move || {
                let receiver = slot
                    .lock()
                    .expect("slot")
                    .take()
                    .expect("a prepared stream");
                let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
                    let chunk = receiver.recv().await?;
                    Some((Ok::<_, Infallible>(chunk), receiver))
                });
                async move {
                    Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(Body::from_stream(body))
                        .expect("response")
                }
            }),
        );
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, next, task }
    }

    /// The next request gets the chunks sent on the returned channel.
    fn prepare(&self) -> mpsc::Sender<Bytes> {
        let (sender, receiver) = mpsc::channel(1);
        *self.next.lock().expect("slot") = Some(receiver);
        sender
    }
}

impl Drop for ManualUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads SSE events one at a time.
struct SseReader {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Bytes>> + Send>>,
    pending: String,
}

impl SseReader {
    fn new(response: reqwest::Response) -> Self {
        assert!(response.status().is_success(), "{}", response.status());
        Self {
            body: Box::pin(response.bytes_stream()),
            pending: String::new(),
        }
    }

    /// Waits for the next event for which `is_chunk` holds; `false` at the end of the body.
    async fn next_chunk(&mut self, is_chunk: fn(&str) -> bool) -> bool {
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let matched = is_chunk(&self.pending[..end]);
                self.pending.drain(..end + 2);
                if matched {
                    return true;
                }
            }
            match self.body.next().await {
                Some(bytes) => self
                    .pending
                    .push_str(std::str::from_utf8(&bytes.expect("stream chunk")).expect("UTF-8")),
                None => return false,
            }
        }
    }
}

/// The recorded v0 stream: its first content event, one to repeat, and the rest.
fn recorded_events() -> (Bytes, Bytes, Vec<Bytes>) {
    let events =
        fixtures::data::sse_events(&fixtures::data::load("api-v0/chat_completions.usage.sse"));
    let (content, tail): (Vec<_>, Vec<_>) = events
        .into_iter()
        .partition(|e| is_upstream_content(&String::from_utf8_lossy(e)));
    (
        Bytes::from(content[0].clone()),
        Bytes::from(content[1].clone()),
        tail.into_iter().map(Bytes::from).collect(),
    )
}

/// One stream: sends `chunks` content events one at a time (after `gap`), each when the
/// previous one reached the client; returns each one's latency.
async fn one_stream(
    upstream: &ManualUpstream,
    request: reqwest::RequestBuilder,
    is_chunk: fn(&str) -> bool,
    chunks: usize,
    gap: Duration,
) -> Vec<Duration> {
    let (head, filler, tail) = recorded_events();
    let sender = upstream.prepare();
    sender.send(head).await.expect("upstream");
    let mut reader = SseReader::new(request.send().await.expect("stream request"));
    assert!(reader.next_chunk(is_chunk).await, "first chunk");
    let mut latencies = Vec::with_capacity(chunks);
    for _ in 0..chunks {
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
        let sent = Instant::now();
        sender.send(filler.clone()).await.expect("upstream");
        assert!(reader.next_chunk(is_chunk).await, "chunk");
        latencies.push(sent.elapsed());
    }
    for event in tail {
        sender.send(event).await.expect("upstream");
    }
    drop(sender);
    while reader.next_chunk(|_| true).await {}
    latencies
}

async fn stream_latency(streams: usize, chunks: usize, gap: Duration) {
    let upstream = ManualUpstream::start().await;
    let server = Server::start(&upstream.url);
    let nodelay = InProcess::start(&upstream.url, true);
    let plain = InProcess::start(&upstream.url, false);
    let http = client();
    let direct = || {
        let request = http
            .post(format!("{}/api/v0/chat/completions", upstream.url))
            .header("content-type", "application/json")
            .body(direct_stream_body());
        one_stream(&upstream, request, is_upstream_content, chunks, gap)
    };
    let proxied = |base: &str| {
        let request = http
            .post(format!("{base}/lm/query"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(query_stream_body());
        one_stream(&upstream, request, is_delta, chunks, gap)
    };
    let bases = [
        server.url.as_str(),
        nodelay.url.as_str(),
        plain.url.as_str(),
    ];
    direct().await;
    for base in bases {
        proxied(base).await;
    }
    let mut direct_times = Vec::new();
    let mut proxied_times = vec![Vec::new(); bases.len()];
    for i in 0..streams {
        // Rotate the order so no side always runs first.
        for k in 0..=bases.len() {
            match (i + k) % (bases.len() + 1) {
                0 => direct_times.extend(direct().await),
                n => proxied_times[n - 1].extend(proxied(bases[n - 1]).await),
            }
        }
    }
    direct_times.sort();
    for times in &mut proxied_times {
        times.sort();
    }
    let (d50, d99) = (
        percentile(&direct_times, 0.5),
        percentile(&direct_times, 0.99),
    );
    println!(
        "\n/lm/query stream, latency of each chunk (upstream send -> client receive), {streams} streams of {chunks} chunks, {} µs between chunks:",
        gap.as_micros()
    );
    let over = |times: &[Duration]| {
        times
            .iter()
            .filter(|t| **t > Duration::from_millis(10))
            .count()
    };
    println!(
        "  direct to the upstream: p50 {:.1} µs p99 {:.1} µs max {:.1} µs",
        micros(d50),
        micros(d99),
        micros(*direct_times.last().expect("samples")),
    );
    let names = [
        "real binary",
        "in-process, TCP_NODELAY",
        "in-process, Nagle on",
    ];
    for (name, times) in names.iter().zip(&proxied_times) {
        let (p50, p99) = (percentile(times, 0.5), percentile(times, 0.99));
        let added50 = micros(p50) - micros(d50);
        println!(
            "  through /lm/query ({name}): p50 {:.1} µs p90 {:.1} p95 {:.1} p99 {:.1} µs max {:.1} µs; {} of {} chunks > 10 ms",
            micros(p50),
            micros(percentile(times, 0.9)),
            micros(percentile(times, 0.95)),
            micros(p99),
            micros(*times.last().expect("samples")),
            over(times),
            times.len()
        );
        println!(
            "    added per chunk: p50 {added50:+.1} µs (target <= 1000 µs: {}), p99 {:+.1} µs",
            verdict(added50 <= 1000.0),
            micros(p99) - micros(d99)
        );
    }
}

async fn status(seconds: usize, connections: usize) {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let url = format!("{}/status", server.url);
    let response = client()
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("/status");
    assert!(response.status().is_success());
    let report: serde_json::Value = response.json().await.expect("status JSON");
    assert_eq!(report["lm_studio"]["connected"], true, "{report}");
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let idle_kib = support::rss_kib(server.pid());
    let header = format!("Authorization: Bearer {TOKEN}");
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args([
                "-t2",
                &format!("-c{connections}"),
                &format!("-d{seconds}s"),
                "--latency",
                "-H",
                &header,
                &url,
            ])
            .output()
    })
    .await
    .expect("join");
    let output = match run {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            println!(
                "\n/status: wrk failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return;
        }
        Err(error) => {
            println!(
                "\n/status: wrk not found ({error}); install it (apt-get install wrk) for this figure"
            );
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::trim))
            .unwrap_or("?")
            .to_owned()
    };
    let rate: f64 = field("Requests/sec:").parse().unwrap_or(0.0);
    let non_2xx = field("Non-2xx or 3xx responses:");
    println!(
        "\n/status with wrk, 2 threads, {connections} connections, {seconds} s, {cores} cores (wrk and the server share them):"
    );
    println!(
        "  {rate:.0} requests/s (target >= 20000: {}); latency p50 {} p99 {}; non-2xx: {}",
        verdict(rate >= 20_000.0),
        field("50%"),
        field("99%"),
        if non_2xx == "?" { "0" } else { &non_2xx }
    );
    #[allow(clippy::cast_precision_loss)]
    let mb = |kib: u64| kib as f64 * 1024.0 / 1e6;
    println!(
        "  server resident set: {:.1} MB idle (after one request), {:.1} MB after the wrk run",
        mb(idle_kib),
        mb(support::rss_kib(server.pid()))
    );
}
