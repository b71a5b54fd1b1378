//! The real `mcp-lm-stdio` binary as an MCP host drives it, in one run.
//!
//! ```text
//! cargo bench -p mcp-lm-stdio --bench stdio [-- --starts 30 --calls 2000 --runs 500]
//! ```
//!
//! - Start-up: from `spawn` to the `initialize` response on stdout (`--starts` fresh
//!   processes). Target ≤ 20 ms.
//! - Memory: the server's resident set (`VmRSS`) once initialised and idle, and again after
//!   every call below. Target ≤ 10 MB idle, ≤ 15 MB after 200 calls.
//! - `tools/call` round trip of a trivial tool (`terminal_session_list`), beside `ping` (the
//!   transport alone), `--calls` times each, one request in flight. Target ≤ 100 µs p50.
//! - `terminal_run` of `echo hi` end to end (`--runs` times), alternating with the same
//!   command spawned bare from this process (`/bin/sh -c 'echo hi'` through
//!   `std::process::Command::output`), so that the ratio is of one run. Target ≤ 1 ms p50,
//!   ≤ 2 ms p99.
//!
//! The server runs with an empty environment but `PATH` and `HOME`, the audit log on (as a
//! default installation has it) and `/bin/sh` as the shell; LM Studio is not called.

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::{Value, json};

fn main() {
    let starts = arg("--starts", 30).max(1);
    let calls = arg("--calls", 2000).max(200);
    let runs = arg("--runs", 500).max(10);
    println!(
        "mcp-lm-stdio over its stdin/stdout (real binary, same run; load average before: {})",
        load_average()
    );

    let mut startup = Vec::with_capacity(starts);
    for _ in 0..starts {
        let began = Instant::now();
        let mut host = Host::start();
        host.initialize();
        startup.push(began.elapsed());
    }
    startup.sort_unstable();
    let p50 = percentile(&startup, 0.5);
    println!(
        "start-up to the initialize answer ({starts} starts): p50 {:.1} ms, min {:.1} ms  [target ≤ 20 ms: {}]",
        millis(p50),
        millis(startup[0]),
        verdict(p50 <= Duration::from_millis(20))
    );

    let mut host = Host::start();
    host.initialize();
    std::thread::sleep(Duration::from_millis(300));
    let idle = host.rss_kib();
    println!(
        "resident set idle: {:.1} MB  [target ≤ 10 MB: {}]",
        mb(idle),
        verdict(idle <= 10 * 1000 * 1000 / 1024)
    );

    let ping = host.time_calls(calls, || json!({"method": "ping"}));
    let trivial = host.time_calls(calls, || {
        json!({"method": "tools/call", "params": {"name": "terminal_session_list", "arguments": {}}})
    });
    report("ping round trip (the transport alone)", &ping, None);
    report(
        "tools/call terminal_session_list round trip",
        &trivial,
        Some((Duration::from_micros(100), None)),
    );
    let after_calls = host.rss_kib();
    println!(
        "resident set after {} calls: {:.1} MB  [target ≤ 15 MB after 200: {}]",
        2 * calls,
        mb(after_calls),
        verdict(after_calls <= 15 * 1000 * 1000 / 1024)
    );

    let (mut served, mut bare) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let began = Instant::now();
        let answer = host.call(json!({
            "method": "tools/call",
            "params": {"name": "terminal_run", "arguments": {"cmd": "echo hi"}}
        }));
        served.push(began.elapsed());
        assert_eq!(
            answer["result"]["structuredContent"]["stdout"], "hi\n",
            "{answer}"
        );
        let began = Instant::now();
        let output = Command::new("/bin/sh")
            .args(["-c", "echo hi"])
            .stdin(Stdio::null())
            .output()
            .expect("spawn /bin/sh");
        bare.push(began.elapsed());
        assert_eq!(output.stdout, b"hi\n");
    }
    served.sort_unstable();
    bare.sort_unstable();
    report(
        "terminal_run `echo hi` end to end",
        &served,
        Some((Duration::from_millis(1), Some(Duration::from_millis(2)))),
    );
    report("bare spawn of /bin/sh -c 'echo hi'", &bare, None);
    println!(
        "terminal_run vs bare spawn (p50): {:.2}×; added {:.0} µs",
        ratio(percentile(&served, 0.5), percentile(&bare, 0.5)),
        micros(percentile(&served, 0.5)) - micros(percentile(&bare, 0.5))
    );
    let after_runs = host.rss_kib();
    println!(
        "resident set after {runs} terminal_run calls: {:.1} MB",
        mb(after_runs)
    );
}

/// The binary (built with the bench profile by `cargo bench`), killed when dropped.
struct Host {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    line: String,
    dir: PathBuf,
}

impl Host {
    fn start() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("mcp-lm-stdio-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-lm-stdio"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("MCP_LM_LMSTUDIO_HOST", "http://127.0.0.1:9")
            .env("MCP_LM_LOG_AUDIT_PATH", dir.join("audit.jsonl"))
            .env("MCP_LM_TERMINAL_SHELL", "/bin/sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcp-lm-stdio");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stdout,
            next_id: 0,
            line: String::new(),
            dir,
        }
    }

    fn initialize(&mut self) {
        let answer = self.call(json!({
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"}
            }
        }));
        assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
        self.write(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    fn write(&mut self, message: &Value) {
        let mut text = message.to_string();
        text.push('\n');
        self.stdin
            .write_all(text.as_bytes())
            .and_then(|()| self.stdin.flush())
            .expect("write to the server");
    }

    /// Sends `request` (an id and `jsonrpc` are added) and returns its response, skipping
    /// notifications.
    fn call(&mut self, mut request: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        request["jsonrpc"] = json!("2.0");
        request["id"] = json!(id);
        self.write(&request);
        loop {
            self.line.clear();
            let read = self.stdout.read_line(&mut self.line).expect("read stdout");
            assert!(read > 0, "the server closed its stdout");
            let message: Value = serde_json::from_str(&self.line).expect("a JSON line");
            if message["id"] == id && message.get("method").is_none() {
                assert!(message.get("error").is_none(), "{message}");
                return message;
            }
        }
    }

    /// `count` sequential calls of `request()`, sorted durations.
    fn time_calls(&mut self, count: usize, request: impl Fn() -> Value) -> Vec<Duration> {
        for _ in 0..count / 10 {
            self.call(request());
        }
        let mut samples = Vec::with_capacity(count);
        for _ in 0..count {
            let began = Instant::now();
            self.call(request());
            samples.push(began.elapsed());
        }
        samples.sort_unstable();
        samples
    }

    /// The server's resident set in KiB, from `/proc/<pid>/status`.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status (Linux)");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn report(what: &str, sorted: &[Duration], target: Option<(Duration, Option<Duration>)>) {
    let (p50, p99) = (percentile(sorted, 0.5), percentile(sorted, 0.99));
    let verdict_text = match target {
        None => String::new(),
        Some((p50_target, None)) => format!(
            "  [target ≤ {:.0} µs p50: {}]",
            micros(p50_target),
            verdict(p50 <= p50_target)
        ),
        Some((p50_target, Some(p99_target))) => format!(
            "  [target ≤ {:.1} ms p50, ≤ {:.1} ms p99: {}]",
            millis(p50_target),
            millis(p99_target),
            verdict(p50 <= p50_target && p99 <= p99_target)
        ),
    };
    println!(
        "{what} ({} samples): p50 {:.1} µs, p99 {:.1} µs{verdict_text}",
        sorted.len(),
        micros(p50),
        micros(p99)
    );
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `p` (0 to 1) of sorted samples.
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

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

#[allow(clippy::cast_precision_loss)]
fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
