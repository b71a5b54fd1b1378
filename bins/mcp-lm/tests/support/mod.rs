//! Runs the real `mcp-lm` binary in a throw-away home directory, and starts `mcp-lm serve` on
//! a free loopback port (killed when dropped).
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-lm");
pub const TOKEN: &str = "test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// A temporary HOME (with XDG dirs inside), removed when dropped.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mcp-lm-cli-test-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config").join("mcp-lm").join("config.json")
    }

    pub fn audit_path(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    /// `mcp-lm ARGS` with a clean environment pointing into this home.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("MCP_LM_LOG_AUDIT_PATH", self.audit_path())
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        command
    }

    /// Writes a token file and returns its path.
    pub fn token_file(&self, token: &str) -> PathBuf {
        let path = self.dir.join("token");
        std::fs::write(&path, format!("{token}\n")).unwrap();
        path
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a finished `mcp-lm` printed.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<Output> for Ran {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs to completion (bounded: 60 s), blocking.
pub fn run(mut command: Command) -> Ran {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mcp-lm");
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.expect("wait for mcp-lm").into(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("mcp-lm did not finish within 60 s");
        }
    }
}

/// [`run`] from async tests, off the runtime's threads.
pub async fn run_async(command: Command) -> Ran {
    tokio::task::spawn_blocking(move || run(command))
        .await
        .unwrap()
}

/// `mcp-lm serve` on 127.0.0.1 and a free port, with [`TOKEN`]; killed when dropped.
pub struct Server {
    pub url: String,
    pub child: Child,
    pub home: Home,
}

impl Server {
    pub fn start(lm_url: &str) -> Self {
        Self::start_with(lm_url, &[])
    }

    /// As [`start`](Self::start), with more environment variables (backends…).
    pub fn start_with(lm_url: &str, env: &[(&str, &str)]) -> Self {
        let home = Home::new();
        let mut command = home.cmd(&["serve", "--port", "0", "--log-level", "warn"]);
        command.envs(env.iter().copied());
        command
            .env("MCP_LM_API_TOKEN", TOKEN)
            .env("MCP_LM_LMSTUDIO_HOST", lm_url)
            .env("MCP_LM_SERVER_HOST", "127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start mcp-lm serve");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = receiver
                .recv_timeout(left)
                .expect("mcp-lm serve did not say where it listens");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Self { url, child, home }
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// `GET /terminal/sessions` → the list.
    pub async fn sessions(&self) -> Vec<serde_json::Value> {
        let body: serde_json::Value = Self::client()
            .get(format!("{}/terminal/sessions", self.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["sessions"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a file's permission bits.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
