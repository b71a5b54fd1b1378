//! The WebSocket terminal against the PTY it wraps, in one run.
//!
//! ```text
//! cargo bench -p mcp-lm-http --bench terminal [-- --megabytes 100 --runs 7 --keys 2000]
//! ```
//!
//! - Throughput: `/bin/sh` runs `head -c N /dev/zero | tr '\000' '\161'` (N bytes of `q`)
//!   (1) in a `pty_exec::Session` of this process, counting the bytes its subscriber gets
//!   (the raw PTY read rate), and (2) in a session of the real server, sent as a command line
//!   over `WS /terminal/stream`, counting the `q`s in the frames the client receives.
//!   Alternating runs; MB/s from sending the command to the last byte; the ratio of the
//!   medians. Output the server had to drop for a slow socket (`lagged`) is reported.
//!   Target: ≥ 90 % of the raw rate, ≥ 70 % in any case.
//! - Keystroke round trip: one key (`a`, then DEL to erase it) sent as
//!   `{"type":"input","data":…}`, until its echo comes back in `output` frames; beside it the
//!   same through a `pty_exec::Session` directly. Target: ≤ 0.1 ms p50 through the WebSocket.

mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pty_exec::{PtyConfig, Session, SessionEvent, Subscription};
use serde_json::{Value, json};
use support::{InProcess, Server, TOKEN, arg, micros, percentile, verdict};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest},
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(60);
const SHELL: &str = "/bin/sh";
const DEL: &str = "\u{7f}";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bytes = arg("--megabytes", 100) * 1_000_000;
    let runs = arg("--runs", 7).max(1);
    let keys = arg("--keys", 2000).max(2);
    println!(
        "mcp-lm-http WebSocket terminal vs the raw PTY (real binary on 127.0.0.1, {SHELL}, same run; load average before: {})",
        support::load_average()
    );
    // The terminal routes do not call LM Studio.
    let server = Server::start(&fixtures::unused_local_url());
    throughput(&server, bytes, runs).await;
    keystrokes(&server, keys).await;
}

fn command(bytes: usize) -> String {
    // No `q` in the command line itself, so its echo is not counted.
    format!("head -c {bytes} /dev/zero | tr '\\000' '\\161'; exit")
}

fn count_q(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'q').count()
}

fn raw_session() -> Session {
    Session::spawn(PtyConfig::default().program(SHELL).size(120, 32)).expect("spawn a PTY")
}

async fn next_event(output: &mut Subscription) -> SessionEvent {
    tokio::time::timeout(WAIT, output.recv())
        .await
        .expect("PTY output within 60 s")
        .expect("subscription open")
}

/// Waits for the shell's first output (its prompt).
async fn raw_prompt(output: &mut Subscription) {
    loop {
        if let SessionEvent::Output(_) = next_event(output).await {
            return;
        }
    }
}

async fn connect(base: &str) -> (Socket, String) {
    let mut request = format!(
        "{}/terminal/stream?cols=120&rows=32",
        base.replacen("http://", "ws://", 1)
    )
    .into_client_request()
    .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (mut socket, _) = connect_async_with_config(request, None, true)
        .await
        .expect("WebSocket connect");
    let hello = next_json(&mut socket).await;
    assert_eq!(hello["type"], "session", "{hello}");
    let id = hello["id"].as_str().expect("session id").to_owned();
    // The prompt.
    loop {
        if next_json(&mut socket).await["type"] == "output" {
            break;
        }
    }
    (socket, id)
}

async fn next_text(socket: &mut Socket) -> Option<String> {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame within 60 s")?
            .expect("WebSocket error");
        match message {
            Message::Text(text) => return Some(text.as_str().to_owned()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

async fn next_json(socket: &mut Socket) -> Value {
    let text = next_text(socket).await.expect("socket open");
    serde_json::from_str(&text).expect("JSON frame")
}

async fn close_session(base: &str, id: &str) {
    let _ = reqwest::Client::new()
        .delete(format!("{base}/terminal/sessions/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await;
}

/// Bytes delivered, output dropped for lagging, time to the last byte.
struct Transfer {
    delivered: usize,
    /// Output events (raw) or frames (WebSocket).
    pieces: usize,
    lagged: u64,
    elapsed: Duration,
}

impl Transfer {
    fn mb_per_s(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let delivered = self.delivered as f64;
        delivered / self.elapsed.as_secs_f64() / 1e6
    }
}

async fn raw_transfer(bytes: usize) -> Transfer {
    let session = raw_session();
    let mut output = session.subscribe();
    raw_prompt(&mut output).await;
    let started = Instant::now();
    session.write(command(bytes)).await.expect("write");
    session.write("\n").await.expect("write");
    let (mut delivered, mut pieces, mut lagged, mut done) = (0, 0, 0, None);
    loop {
        match next_event(&mut output).await {
            SessionEvent::Output(chunk) => {
                pieces += 1;
                delivered += count_q(chunk.bytes());
                if delivered >= bytes && done.is_none() {
                    done = Some(started.elapsed());
                }
            }
            SessionEvent::Lagged { missed_bytes } => lagged += missed_bytes,
            SessionEvent::Exited(_) => break,
            _ => {}
        }
    }
    let elapsed = done.unwrap_or_else(|| started.elapsed());
    session.close().await;
    Transfer {
        delivered,
        pieces,
        lagged,
        elapsed,
    }
}

async fn ws_transfer(base: &str, bytes: usize) -> Transfer {
    let (mut socket, id) = connect(base).await;
    let started = Instant::now();
    socket
        .send(Message::Text(command(bytes).into()))
        .await
        .expect("send");
    let (mut delivered, mut pieces, mut lagged, mut done) = (0, 0, 0, None);
    while let Some(text) = next_text(&mut socket).await {
        pieces += 1;
        delivered += count_q(text.as_bytes());
        if delivered >= bytes && done.is_none() {
            done = Some(started.elapsed());
        }
        // Output frames are counted without parsing; the small ones may be anything.
        if text.len() < 256 {
            let frame: Value = serde_json::from_str(&text).expect("JSON frame");
            match frame["type"].as_str() {
                Some("lagged") => lagged += frame["missed_bytes"].as_u64().unwrap_or(0),
                Some("exit") => break,
                _ => {}
            }
        }
    }
    let elapsed = done.unwrap_or_else(|| started.elapsed());
    drop(socket);
    close_session(base, &id).await;
    Transfer {
        delivered,
        pieces,
        lagged,
        elapsed,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn throughput(server: &Server, bytes: usize, runs: usize) {
    // Warm-up: page cache, the binaries, the server's first session.
    raw_transfer(bytes / 10).await;
    ws_transfer(&server.url, bytes / 10).await;
    let (mut raw_rates, mut ws_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut raw_lagged, mut ws_lagged) = (0, 0);
    println!(
        "\nPTY -> WebSocket throughput, {runs} runs of {} MB each way:",
        bytes / 1_000_000
    );
    for run in 0..runs {
        let (raw, ws) = if run % 2 == 0 {
            let raw = raw_transfer(bytes).await;
            (raw, ws_transfer(&server.url, bytes).await)
        } else {
            let ws = ws_transfer(&server.url, bytes).await;
            (raw_transfer(bytes).await, ws)
        };
        println!(
            "  run {}: raw PTY {:.1} MB/s ({} bytes in {:.3} s, {} reads) | WebSocket {:.1} MB/s ({} bytes in {:.3} s, {} frames, {} dropped as lagged) | {:.1} %",
            run + 1,
            raw.mb_per_s(),
            raw.delivered,
            raw.elapsed.as_secs_f64(),
            raw.pieces,
            ws.mb_per_s(),
            ws.delivered,
            ws.elapsed.as_secs_f64(),
            ws.pieces,
            ws.lagged,
            100.0 * ws.mb_per_s() / raw.mb_per_s()
        );
        ratios.push(100.0 * ws.mb_per_s() / raw.mb_per_s());
        raw_rates.push(raw.mb_per_s());
        ws_rates.push(ws.mb_per_s());
        raw_lagged += raw.lagged;
        ws_lagged += ws.lagged;
    }
    let (raw, ws) = (median(&mut raw_rates), median(&mut ws_rates));
    let ratio = 100.0 * ws / raw;
    let (lowest, per_run) = (
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        median(&mut ratios),
    );
    println!(
        "  median: raw PTY {raw:.1} MB/s | WebSocket {ws:.1} MB/s = {ratio:.1} % of raw (median of the runs' ratios {per_run:.1} %, lowest {lowest:.1} %)"
    );
    println!(
        "  target >= 90 %: {}; floor 70 %: {}; lagged bytes raw {raw_lagged}, WebSocket {ws_lagged}",
        verdict(ratio >= 90.0),
        verdict(ratio >= 70.0)
    );
}

/// Something to type into: a `pty_exec::Session` of this process or a WebSocket.
enum Typist {
    Raw {
        session: Session,
        output: Subscription,
    },
    Ws {
        socket: Box<Socket>,
        base: String,
        id: String,
    },
}

impl Typist {
    async fn raw() -> Self {
        let session = raw_session();
        let mut output = session.subscribe();
        raw_prompt(&mut output).await;
        Self::Raw { session, output }
    }

    async fn ws(base: &str) -> Self {
        let (socket, id) = connect(base).await;
        Self::Ws {
            socket: Box::new(socket),
            base: base.to_owned(),
            id,
        }
    }

    /// Sends one key and waits until `echo_len` bytes of echo came back.
    async fn key(&mut self, key: &str, echo_len: usize) -> Duration {
        let started = Instant::now();
        let mut got = 0;
        match self {
            Self::Raw { session, output } => {
                session.write(key.to_owned()).await.expect("write");
                while got < echo_len {
                    if let SessionEvent::Output(chunk) = next_event(output).await {
                        got += chunk.bytes().len();
                    }
                }
            }
            Self::Ws { socket, .. } => {
                let frame = json!({"type": "input", "data": key}).to_string();
                socket
                    .send(Message::Text(frame.into()))
                    .await
                    .expect("send");
                while got < echo_len {
                    let frame = next_json(socket).await;
                    if frame["type"] == "output" {
                        got += frame["data"].as_str().map_or(0, str::len);
                    }
                }
            }
        }
        let elapsed = started.elapsed();
        assert_eq!(got, echo_len, "the echo of one key ran into another's");
        elapsed
    }

    async fn close(self) {
        match self {
            Self::Raw { session, .. } => {
                session.close().await;
            }
            Self::Ws { socket, base, id } => {
                drop(socket);
                close_session(&base, &id).await;
            }
        }
    }
}

/// Keys `a` and DEL (erasing it) alternately, to the raw PTY, the server's WebSocket and the
/// same router in this process with `TCP_NODELAY`, interleaved key by key; each timed until
/// its whole echo came back. 200 warm-up keys each.
async fn keystrokes(server: &Server, keys: usize) {
    let nodelay = InProcess::start(&fixtures::unused_local_url(), true);
    let mut typists = vec![
        Typist::raw().await,
        Typist::ws(&server.url).await,
        Typist::ws(&nodelay.url).await,
    ];
    let del_echo = match &mut typists[0] {
        Typist::Raw { session, output } => learn_del_echo(session, output).await,
        Typist::Ws { .. } => unreachable!(),
    };
    let mut times = vec![Vec::with_capacity(keys); typists.len()];
    for i in 0..keys + 200 {
        let (key, echo_len) = if i % 2 == 0 {
            ("a", 1)
        } else {
            (DEL, del_echo)
        };
        for k in 0..typists.len() {
            // Rotate who goes first.
            let t = (i / 2 + k) % typists.len();
            let elapsed = typists[t].key(key, echo_len).await;
            if i >= 200 {
                times[t].push(elapsed);
            }
        }
    }
    for typist in typists {
        typist.close().await;
    }
    drop(nodelay);
    for t in &mut times {
        t.sort();
    }
    let [raw, ws, ws_nodelay] = &times[..] else {
        unreachable!()
    };
    let (r50, r99) = (percentile(raw, 0.5), percentile(raw, 0.99));
    let (w50, w99) = (percentile(ws, 0.5), percentile(ws, 0.99));
    println!("\nKeystroke round trip (key in, echo out), {keys} keys each, interleaved:");
    println!(
        "  raw PTY (pty_exec::Session) p50 {:.1} µs p99 {:.1} µs | WebSocket p50 {:.1} µs p99 {:.1} µs",
        micros(r50),
        micros(r99),
        micros(w50),
        micros(w99)
    );
    println!(
        "  WebSocket p50 {:.1} µs (target <= 100 µs: {}); added by the server and the socket: p50 {:+.1} µs, p99 {:+.1} µs; ratio p50 {:.2}x",
        micros(w50),
        verdict(micros(w50) <= 100.0),
        micros(w50) - micros(r50),
        micros(w99) - micros(r99),
        w50.as_secs_f64() / r50.as_secs_f64()
    );
    println!(
        "  (the same router in this process with TCP_NODELAY: p50 {:.1} µs p99 {:.1} µs)",
        micros(percentile(ws_nodelay, 0.5)),
        micros(percentile(ws_nodelay, 0.99))
    );
}

/// The terminal echoes `a` as one byte and DEL (erase) as `\b \b` or `^?`: learn which.
async fn learn_del_echo(session: &Session, output: &mut Subscription) -> usize {
    session.write("a").await.expect("write");
    let mut got = 0;
    while got < 1 {
        if let SessionEvent::Output(chunk) = next_event(output).await {
            got += chunk.bytes().len();
        }
    }
    session.write(DEL).await.expect("write");
    let mut echo = 0;
    let deadline = Instant::now() + Duration::from_millis(300);
    while let Ok(event) = tokio::time::timeout(
        deadline.saturating_duration_since(Instant::now()),
        output.recv(),
    )
    .await
    {
        match event {
            Some(SessionEvent::Output(chunk)) => echo += chunk.bytes().len(),
            Some(_) => {}
            None => break,
        }
    }
    assert!(echo > 0, "DEL was not echoed");
    echo
}
