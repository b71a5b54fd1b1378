//! Shared by the benchmarks: starting the real `mcp-lm-http` binary on a free loopback port,
//! command-line options, percentiles.
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

pub const TOKEN: &str = "bench-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// The real binary (built with the bench profile by `cargo bench`), killed when dropped.
pub struct Server {
    pub url: String,
    child: Child,
    dir: PathBuf,
}

impl Server {
    /// Starts the server with LM Studio at `lm_url`, the audit log on (in a temporary
    /// directory, as a default installation has it) and `/bin/sh` as the terminal shell.
    pub fn start(lm_url: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("mcp-lm-http-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-lm-http"))
            .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "warn"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("MCP_LM_API_TOKEN", TOKEN)
            .env("MCP_LM_LMSTUDIO_HOST", lm_url)
            .env("MCP_LM_LOG_AUDIT_PATH", dir.join("audit.jsonl"))
            .env("MCP_LM_TERMINAL_SHELL", "/bin/sh")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mcp-lm-http");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = receiver
                .recv_timeout(left)
                .expect("mcp-lm-http did not say where it listens");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().expect("address").to_owned();
            }
        };
        Self { url, child, dir }
    }

    /// `ws://…` for `path`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http://", "ws://", 1))
    }

    /// The server's process id (for `ps`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `--name VALUE` from the command line (cargo bench adds `--bench`, which is ignored).
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `p` (0 to 1) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `/proc/loadavg`'s 1, 5 and 15 minute figures (other work on the machine skews the results).
pub fn load_average() -> String {
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

/// The resident set of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`; 0 elsewhere).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Verdict text for a figure against its target.
pub fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The same router served in this process (on its own 2-thread runtime, as the binary has),
/// with or without `TCP_NODELAY` on accepted connections: to tell the server's own cost from
/// the socket options the binary uses.
pub struct InProcess {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcess {
    pub fn start(lm_url: &str, nodelay: bool) -> Self {
        use axum::serve::ListenerExt;
        let mut config = mcp_lm_core::Config::default();
        config.lmstudio.host = lm_url.to_owned();
        config.api_token = Some(TOKEN.to_owned());
        config.terminal.shell = Some("/bin/sh".to_owned());
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                let services =
                    mcp_lm_core::Services::new(config, mcp_lm_core::AuditLog::disabled())
                        .expect("services");
                let token = mcp_auth::Token::new(TOKEN).expect("token");
                let auth = mcp_auth::BearerAuth::new(mcp_auth::TokenSet::named("config", token))
                    .host_policy(mcp_auth::HostPolicy::for_bound(addr));
                let router = mcp_lm_http::app(
                    mcp_lm_http::AppState {
                        services,
                        tickets: mcp_auth::TicketIssuer::new(),
                    },
                    &auth,
                    mcp_protocol::HttpConfig::default(),
                )
                .expect("router")
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
                url_tx.send(format!("http://{addr}")).expect("url");
                let listener = listener.tap_io(move |tcp| {
                    if nodelay {
                        let _ = tcp.set_nodelay(true);
                    }
                });
                tokio::select! {
                    _ = axum::serve(listener, router) => {}
                    _ = stopped => {}
                }
            });
        });
        let url = url_rx.recv().expect("in-process server started");
        Self {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
