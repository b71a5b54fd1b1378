//! Starts the real `mcp-lm-http` binary on a free loopback port against the LM Studio fixtures.
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const TOKEN: &str = "test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// A running server; killed (SIGKILL) when dropped if still running.
pub struct Server {
    pub url: String,
    pub child: Child,
    pub dir: PathBuf,
}

impl Server {
    /// Starts the server with LM Studio at `lm_url`; `extra_env` adds or overrides variables.
    pub fn start(lm_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mcp-lm-http-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-lm-http"));
        command
            .args(["--port", "0", "--log-level", "warn"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("MCP_LM_API_TOKEN", TOKEN)
            .env("MCP_LM_LMSTUDIO_HOST", lm_url)
            .env("MCP_LM_LOG_AUDIT_PATH", dir.join("audit.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start mcp-lm-http");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = receiver
                .recv_timeout(left)
                .expect("mcp-lm-http did not say where it listens");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Self { url, child, dir }
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        Self::client()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
    }

    pub fn audit_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "mcp-lm-http did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// One server-sent event: its name, its data as JSON, and when it arrived (since the
/// response headers).
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub name: String,
    pub data: serde_json::Value,
    pub at: Duration,
}

/// The events of a `200 text/event-stream` response, read as they arrive (asserts both).
/// Lines are split on bytes, so a character split between two network reads stays whole.
pub async fn sse_events(response: reqwest::Response) -> Vec<SseEvent> {
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let started = Instant::now();
    let mut events = Vec::new();
    let (mut buffer, mut name) = (Vec::<u8>::new(), String::new());
    let mut body = response.bytes_stream();
    while let Some(piece) = futures_util::StreamExt::next(&mut body).await {
        buffer.extend_from_slice(&piece.unwrap());
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = std::str::from_utf8(&line).unwrap().trim_end();
            if let Some(event) = line.strip_prefix("event: ") {
                name = event.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                events.push(SseEvent {
                    name: std::mem::take(&mut name),
                    data: serde_json::from_str(data).unwrap(),
                    at: started.elapsed(),
                });
            }
        }
    }
    events
}
