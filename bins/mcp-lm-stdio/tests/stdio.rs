//! The real `mcp-lm-stdio` binary driven over its stdin/stdout like an MCP host would.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use fixtures::LmStudioMock;
use serde_json::{Value, json};

struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    dir: std::path::PathBuf,
}

impl Host {
    fn start(lm_url: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mcp-lm-stdio-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-lm-stdio"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", &dir)
            .env("MCP_LM_LMSTUDIO_HOST", lm_url)
            .env("MCP_LM_LOG_AUDIT_PATH", dir.join("audit.jsonl"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            lines,
            dir,
        }
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn recv(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("no line within 10 s");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line:?}"))
    }

    /// Messages up to and including the response with `id`.
    fn until_response(&self, id: i64) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let message = self.recv();
            assert_eq!(message["jsonrpc"], "2.0", "{message}");
            let done = message["id"] == id && message.get("method").is_none();
            seen.push(message);
            if done {
                return seen;
            }
        }
    }

    fn initialize(&mut self) -> Value {
        self.send(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"0"}}}));
        let answer = self.recv();
        self.send(&json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
        answer
    }

    fn call(&mut self, id: i64, tool: &str, arguments: Value, meta: Option<Value>) {
        let mut params = json!({ "name": tool });
        params["arguments"] = arguments;
        if let Some(meta) = meta {
            params["_meta"] = meta;
        }
        self.send(&json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params}));
    }

    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "mcp-lm-stdio did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn processes_matching(pattern: &str) -> String {
    let output = Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn tools_over_stdio_with_progress_and_a_clean_exit_at_eof() {
    let lm = LmStudioMock::start().await;
    let mut host = Host::start(&lm.url());
    let init = host.initialize();
    assert_eq!(init["result"]["serverInfo"]["name"], "mcp-lm-terminal");
    // Pipes, as Python's SDK gives them, are read and written through the reactor.
    assert!(nonblocking(host.child.id(), 0) && nonblocking(host.child.id(), 1));

    host.send(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}));
    let list = host.recv();
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, mcp_lm_core::TOOL_NAMES);

    host.call(2, "terminal_run", json!({"cmd": "echo over-stdio"}), None);
    let answer = host.until_response(2).pop().unwrap();
    assert_eq!(
        answer["result"]["structuredContent"]["stdout"],
        "over-stdio\n"
    );

    host.call(3, "lm_query", json!({"prompt": "hi"}), None);
    let answer = host.until_response(3).pop().unwrap();
    assert_eq!(
        answer["result"]["structuredContent"]["content"],
        "97 is prime."
    );

    host.call(
        4,
        "lm_query",
        json!({"prompt": "hi"}),
        Some(json!({"progressToken": "p"})),
    );
    let messages = host.until_response(4);
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/progress"),
        "{messages:#?}"
    );
    let answer = messages.last().unwrap();
    assert!(
        answer["result"]["structuredContent"]["content"]
            .as_str()
            .unwrap()
            .contains("prime number")
    );

    // A running command reports its progress with the last line it printed.
    host.call(
        5,
        "terminal_run",
        json!({"cmd": "echo building-step-1; sleep 1.6; echo finished"}),
        Some(json!({"progressToken": "t"})),
    );
    let messages = host.until_response(5);
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/progress"
                && m["params"]["progressToken"] == "t"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|text| text.ends_with(": building-step-1"))),
        "{messages:#?}"
    );
    assert_eq!(
        messages.last().unwrap()["result"]["structuredContent"]["stdout"],
        "building-step-1\nfinished\n"
    );

    let started = Instant::now();
    drop(host.stdin.take()); // EOF: the host is done
    let status = host.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn cancellation_and_sigterm_kill_the_commands() {
    let lm = LmStudioMock::start().await;
    let mut host = Host::start(&lm.url());
    host.initialize();
    host.call(
        1,
        "terminal_run",
        json!({"cmd": "sleep 3211", "timeout": 60}),
        None,
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !processes_matching("sleep 3211").is_empty(),
        "the command should be running"
    );
    host.send(&json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_matching("sleep 3211").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the cancelled command is still running"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // No answer for the cancelled request; the server still works.
    host.send(&json!({"jsonrpc":"2.0","id":2,"method":"ping"}));
    assert_eq!(host.recv()["id"], 2);

    host.call(
        3,
        "terminal_run",
        json!({"cmd": "sleep 3212", "timeout": 60}),
        None,
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(!processes_matching("sleep 3212").is_empty());
    let _ = Command::new("kill")
        .args(["-TERM", &host.child.id().to_string()])
        .status();
    let status = host.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        processes_matching("sleep 3212").is_empty(),
        "SIGTERM left the command running"
    );
}

/// The binary with stdin and stdout given by the caller, the environment of [`Host::start`].
fn spawn_with(stdin: Stdio, stdout: Stdio, dir: &std::path::Path) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    Command::new(env!("CARGO_BIN_EXE_mcp-lm-stdio"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("MCP_LM_LMSTUDIO_HOST", "http://127.0.0.1:9")
        .env("MCP_LM_LOG_AUDIT_PATH", dir.join("audit.jsonl"))
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"0"}}}"#;

/// Node's `child_process` (Claude Desktop, the Inspector) hands its children Unix sockets, not
/// pipes, as stdin and stdout: the same protocol over them, and a clean exit when the host
/// shuts its side.
#[test]
fn unix_sockets_as_stdin_and_stdout() {
    use std::os::unix::net::UnixStream;

    let dir = std::env::temp_dir().join(format!("mcp-lm-stdio-socket-{}", std::process::id()));
    let (ours_in, theirs_in) = UnixStream::pair().unwrap();
    let (ours_out, theirs_out) = UnixStream::pair().unwrap();
    let mut child = spawn_with(
        Stdio::from(std::os::fd::OwnedFd::from(theirs_in)),
        Stdio::from(std::os::fd::OwnedFd::from(theirs_out)),
        &dir,
    );
    ours_out
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = &ours_in;
    let mut reader = BufReader::new(&ours_out);
    let mut line = String::new();
    writeln!(writer, "{INITIALIZE}").unwrap();
    reader.read_line(&mut line).unwrap();
    let init: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(init["result"]["serverInfo"]["name"], "mcp-lm-terminal");
    // Served through the reactor, not blocking threads: the sockets were made non-blocking.
    assert!(nonblocking(child.id(), 0) && nonblocking(child.id(), 1));
    for id in 1..=50 {
        writeln!(
            writer,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"terminal_run","arguments":{{"cmd":"echo socket-{id}"}}}}}}"#
        )
        .unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["id"], id);
        assert_eq!(
            answer["result"]["structuredContent"]["stdout"],
            format!("socket-{id}\n")
        );
    }
    ours_in.shutdown(std::net::Shutdown::Write).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after the host's EOF");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stdin from a file and stdout to a file (a script, a replay): read on a blocking thread,
/// every request answered, exit at the end of the file.
#[test]
fn regular_files_as_stdin_and_stdout() {
    let dir = std::env::temp_dir().join(format!("mcp-lm-stdio-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let requests = format!(
        "{INITIALIZE}\n{}\n{}\n",
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
    );
    std::fs::write(dir.join("in.jsonl"), requests).unwrap();
    let input = std::fs::File::open(dir.join("in.jsonl")).unwrap();
    let output = std::fs::File::create(dir.join("out.jsonl")).unwrap();
    let mut child = spawn_with(Stdio::from(input), Stdio::from(output), &dir.join("home"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit at the end of the file");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let written = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    let answers: Vec<Value> = written
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{written}");
    assert_eq!(answers[0]["id"], 0);
    assert_eq!(answers[1], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `true` if descriptor `fd` of process `pid` has `O_NONBLOCK` (from `/proc/<pid>/fdinfo`).
fn nonblocking(pid: u32, fd: u32) -> bool {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).unwrap();
    let flags = info
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .map(|octal| u32::from_str_radix(octal.trim(), 8).unwrap())
        .unwrap();
    flags & 0o4000 != 0
}
