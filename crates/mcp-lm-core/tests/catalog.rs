//! The MCP tool catalog served in-process over `serve_io`: the listing, the terminal session
//! tools, the background job tools, and every error a caller can cause. LM Studio is not
//! needed.

use std::time::{Duration, Instant};

use mcp_lm_core::{AuditLog, Config, Services, TOOL_NAMES};
use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};

/// The client side of the catalog's server over an in-memory pipe.
struct Peer {
    writer: WriteHalf<DuplexStream>,
    reader: Lines<BufReader<ReadHalf<DuplexStream>>>,
    next_id: u64,
    _services: Services,
}

impl Peer {
    async fn start() -> Self {
        Self::with(Services::new(Config::default(), AuditLog::disabled()).unwrap()).await
    }

    async fn with(services: Services) -> Self {
        let server = mcp_lm_core::mcp_server(&services).unwrap();
        let (client, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(mcp_protocol::serve_io(server, server_read, server_write));
        let (read, writer) = tokio::io::split(client);
        let mut peer = Self {
            writer,
            reader: BufReader::new(read).lines(),
            next_id: 1,
            _services: services,
        };
        let init = peer
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "catalog-test", "version": "0"}}),
            )
            .await;
        assert_eq!(
            init["result"]["serverInfo"]["name"], "mcp-lm-terminal",
            "{init}"
        );
        peer.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        peer
    }

    async fn send(&mut self, message: Value) {
        let line = format!("{message}\n");
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    /// Sends a request and returns its answer (skipping notifications).
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), self.reader.next_line())
                .await
                .expect("no answer within 20 s")
                .unwrap()
                .expect("server closed the stream");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Calls a tool and returns its result.
    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{tool}: no result: {answer}"))
    }

    /// Calls a tool that must succeed; returns its structured content.
    async fn ok(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], false, "{tool}: {result}");
        let structured = result["structuredContent"].clone();
        assert_eq!(structured["success"], true, "{tool}: {result}");
        // The same JSON as text, for clients that only read text.
        let text: Value =
            serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, structured);
        structured
    }

    /// Calls a tool that must fail with `code`; returns the error message.
    async fn fails(&mut self, tool: &str, arguments: Value, code: &str) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], true, "{tool}: {result}");
        let body = &result["structuredContent"];
        assert_eq!(body["success"], false, "{result}");
        assert_eq!(body["error"]["code"], code, "{result}");
        let text = result["content"][0]["text"].as_str().unwrap().to_owned();
        assert!(text.contains(code), "{text}");
        text
    }

    /// Calls a tool with arguments its input schema refuses; returns the message.
    async fn refused(&mut self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], true, "{tool}: {result}");
        let text = result["content"][0]["text"].as_str().unwrap().to_owned();
        assert!(text.contains("invalid arguments"), "{text}");
        text
    }

    /// Reads a session from `since` until `done` holds for the text read since then; returns
    /// that text and the cursor after it.
    async fn read_until(
        &mut self,
        id: &str,
        since: u64,
        done: impl Fn(&str) -> bool,
    ) -> (String, u64) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let (mut text, mut cursor) = (String::new(), since);
        loop {
            let read = self
                .ok(
                    "terminal_session_read",
                    json!({"id": id, "since": cursor, "wait_ms": 1000}),
                )
                .await;
            // Past output the scrollback dropped is skipped, and said so.
            let missed = read["missed_bytes"].as_u64().unwrap();
            assert_eq!(read["since"], cursor + missed, "{read}");
            text.push_str(read["text"].as_str().unwrap());
            cursor = read["next"].as_u64().unwrap();
            if done(&text) {
                return (text, cursor);
            }
            assert!(Instant::now() < deadline, "not seen in 15 s; got {text:?}");
        }
    }
}

/// A line of terminal output that shows as `expected`: the terminal ends lines with `\r\n`,
/// and the shell may put control sequences and a carriage return before the output.
/// `true` if a line shows `expected`, alone or after a prompt: input typed before the shell's
/// first prompt is echoed by the terminal first, so the answer can follow a prompt (`# 42`).
fn has_line(text: &str, expected: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_end_matches('\r');
        let shown = strip_csi(line.rsplit('\r').next().unwrap_or(line));
        shown == expected
            || shown
                .strip_suffix(expected)
                .is_some_and(|prompt| prompt.trim_end().ends_with(['$', '#', '>', '%']))
    })
}

/// `text` without `ESC [ … final-byte` control sequences.
fn strip_csi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn lists_every_tool_with_valid_schemas_and_annotations() {
    let mut peer = Peer::start().await;
    let list = peer.request("tools/list", json!({})).await;
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOL_NAMES);
    assert!(list["result"].get("nextCursor").is_none());
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        let schema = &tool["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        assert!(schema.get("$schema").is_none(), "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert!(!tool["description"].as_str().unwrap().is_empty(), "{name}");
        assert!(tool["annotations"]["title"].is_string(), "{name}");
        if name.starts_with("terminal_session_") || name.starts_with("terminal_job_") {
            assert_eq!(tool["annotations"]["openWorldHint"], true, "{name}");
            let output = &tool["outputSchema"];
            assert_eq!(output["type"], "object", "{name}");
            assert!(output.get("$schema").is_none(), "{name}");
            assert_eq!(output["required"], json!(["success"]), "{name}");
        }
        let read_only = [
            "_read",
            "_list",
            "_status",
            "lm_models",
            "fs_search",
            "fs_stat",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix));
        assert_eq!(tool["annotations"]["readOnlyHint"], read_only, "{name}");
    }
    for destructive in [
        "terminal_session_send",
        "terminal_session_close",
        "terminal_job_start",
        "terminal_job_kill",
    ] {
        let tool = tools.iter().find(|t| t["name"] == destructive).unwrap();
        assert_eq!(
            tool["annotations"]["destructiveHint"], true,
            "{destructive}"
        );
    }
    let read = tools
        .iter()
        .find(|t| t["name"] == "terminal_session_read")
        .unwrap();
    assert_eq!(
        read["inputSchema"]["properties"]["wait_ms"]["maximum"],
        10_000
    );
}

#[tokio::test]
async fn a_session_runs_commands_takes_signals_and_closes() {
    let mut peer = Peer::start().await;
    let started = peer
        .ok(
            "terminal_session_start",
            json!({"name": "work", "cols": 100, "rows": 30}),
        )
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("s-"), "{started}");
    assert_eq!(started["name"], "work");
    assert!(started["pid"].as_u64().is_some(), "{started}");
    assert!(!started["shell"].as_str().unwrap().is_empty());
    assert_eq!(started["size"], json!({"cols": 100, "rows": 30}));

    let list = peer.ok("terminal_session_list", json!({})).await;
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(list["sessions"][0]["id"], id.as_str());
    assert_eq!(list["sessions"][0]["name"], "work");

    let sent = peer
        .ok(
            "terminal_session_send",
            json!({"id": id, "input": "echo hi", "enter": true}),
        )
        .await;
    assert_eq!(sent["bytes_written"], 8);
    assert_eq!(sent["signal"], Value::Null);
    let (_, cursor) = peer.read_until(&id, 0, |text| has_line(text, "hi")).await;

    // Ctrl-C interrupts a long command; the shell then runs the next one at once.
    let began = Instant::now();
    peer.ok(
        "terminal_session_send",
        json!({"name": "work", "input": "sleep 30", "enter": true}),
    )
    .await;
    let (_, cursor) = peer
        .read_until(&id, cursor, |text| text.contains("sleep 30"))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = peer
        .ok("terminal_session_send", json!({"id": id, "signal": "INT"}))
        .await;
    assert_eq!(sent["signal"], "INT");
    assert_eq!(sent["bytes_written"], 0);
    peer.ok(
        "terminal_session_send",
        json!({"id": id, "input": "echo after-$((1+1))", "enter": true}),
    )
    .await;
    let (_, cursor) = peer
        .read_until(&id, cursor, |text| has_line(text, "after-2"))
        .await;
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "sleep was not interrupted"
    );

    let read = peer
        .ok(
            "terminal_session_read",
            json!({"name": "work", "since": cursor}),
        )
        .await;
    assert_eq!(read["exited"], false);
    assert_eq!(read["exit"], Value::Null);

    let closed = peer.ok("terminal_session_close", json!({"id": id})).await;
    assert_eq!(closed["id"], id.as_str());
    assert!(closed["exit"].is_object(), "{closed}");
    let list = peer.ok("terminal_session_list", json!({})).await;
    assert_eq!(list["sessions"], json!([]));
    peer.fails(
        "terminal_session_read",
        json!({"id": id}),
        "session_not_found",
    )
    .await;
}

#[tokio::test]
async fn the_read_cursor_returns_only_new_output_and_pages() {
    let mut peer = Peer::start().await;
    let started = peer.ok("terminal_session_start", json!({})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert_eq!(started["name"], Value::Null);
    assert_eq!(started["size"], json!({"cols": 120, "rows": 32}));

    peer.ok(
        "terminal_session_send",
        json!({"id": id, "input": "echo $((6*7))\n"}),
    )
    .await;
    let (first, cursor) = peer.read_until(&id, 0, |text| has_line(text, "42")).await;
    assert!(first.contains("6*7"));

    let tail = "z".repeat(80);
    peer.ok(
        "terminal_session_send",
        json!({"id": id, "input": format!("echo $((7*8)) {tail}"), "enter": true}),
    )
    .await;
    let (second, end) = peer
        .read_until(&id, cursor, |text| has_line(text, &format!("56 {tail}")))
        .await;
    assert!(
        !second.contains("6*7"),
        "output before the cursor came again: {second:?}"
    );

    // Let the shell finish its prompt, so that the session is quiet while the cursor is
    // measured below (on a loaded machine the prompt can come after the "56" line).
    let mut quiet_from = end;
    loop {
        let more = peer
            .ok(
                "terminal_session_read",
                json!({"id": id, "since": quiet_from, "wait_ms": 300}),
            )
            .await;
        quiet_from = more["next"].as_u64().unwrap();
        if more["text"] == "" {
            break;
        }
    }

    // Everything from 0, in pages of 64 bytes (the smallest allowed), is the same as in one
    // read. (The second command has a long tail so that there are several pages even with
    // `/bin/sh`'s two-byte prompt.)
    let all = peer
        .ok("terminal_session_read", json!({"id": id, "since": 0}))
        .await;
    assert_eq!(all["since"], 0);
    assert_eq!(all["missed_bytes"], 0);
    assert_eq!(all["more"], false);
    let total = all["next"].as_u64().unwrap();
    assert!(total >= end);
    assert_eq!(all["total_bytes"], total);
    let (mut paged, mut cursor, mut pages) = (String::new(), 0, 0);
    while cursor < total {
        let page = peer
            .ok(
                "terminal_session_read",
                json!({"id": id, "since": cursor, "max_bytes": 64}),
            )
            .await;
        let next = page["next"].as_u64().unwrap();
        assert!(next > cursor && next - cursor <= 64, "{page}");
        assert_eq!(page["more"], next < total, "{page}");
        paged.push_str(page["text"].as_str().unwrap());
        cursor = next;
        pages += 1;
    }
    assert!(pages >= 2);
    assert_eq!(paged, all["text"].as_str().unwrap());

    // Without a cursor: the most recent output.
    let tail = peer
        .ok("terminal_session_read", json!({"id": id, "max_bytes": 64}))
        .await;
    assert_eq!(tail["next"], total);
    assert!(tail["since"].as_u64().unwrap() >= total.saturating_sub(64));
    assert!(
        all["text"]
            .as_str()
            .unwrap()
            .ends_with(tail["text"].as_str().unwrap())
    );

    // A cursor past the end reads nothing; a wait without output ends at wait_ms.
    let past = peer
        .ok(
            "terminal_session_read",
            json!({"id": id, "since": 1_000_000}),
        )
        .await;
    assert_eq!(
        (past["text"].clone(), past["next"].clone()),
        (json!(""), json!(total))
    );
    let began = Instant::now();
    let idle = peer
        .ok(
            "terminal_session_read",
            json!({"id": id, "since": total, "wait_ms": 300}),
        )
        .await;
    assert!(began.elapsed() >= Duration::from_millis(250));
    assert_eq!(idle["text"], "");
    assert_eq!(idle["next"], total);

    // More output than the scrollback keeps: an old cursor says what was dropped.
    peer.ok(
        "terminal_session_send",
        json!({"id": id, "input": "head -c 300000 /dev/zero | tr '\\0' x; echo; echo big-$((2*3))", "enter": true}),
    )
    .await;
    peer.read_until(&id, total, |text| has_line(text, "big-6"))
        .await;
    let old = peer
        .ok(
            "terminal_session_read",
            json!({"id": id, "since": 0, "max_bytes": 1024}),
        )
        .await;
    let missed = old["missed_bytes"].as_u64().unwrap();
    assert!(missed > 0, "{old}");
    assert_eq!(old["since"], missed);
    assert!(old["total_bytes"].as_u64().unwrap() > 300_000);
    assert_eq!(old["more"], true);
    assert!(old["text"].as_str().unwrap().starts_with("xxxx"));
    peer.ok("terminal_session_close", json!({"id": id})).await;
}

#[tokio::test]
async fn a_session_whose_shell_exited_says_so() {
    let mut peer = Peer::start().await;
    let started = peer
        .ok("terminal_session_start", json!({"name": "brief"}))
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    peer.ok(
        "terminal_session_send",
        json!({"id": id, "input": "exit 3", "enter": true}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let read = loop {
        let read = peer
            .ok(
                "terminal_session_read",
                json!({"id": id, "since": 0, "wait_ms": 1000}),
            )
            .await;
        if read["exited"] == true {
            break read;
        }
        assert!(Instant::now() < deadline, "the shell did not exit: {read}");
    };
    assert_eq!(read["exit"]["code"], 3, "{read}");
    peer.fails(
        "terminal_session_send",
        json!({"id": id, "input": "echo too late", "enter": true}),
        "session_exited",
    )
    .await;
    // Still listed until closed.
    let list = peer.ok("terminal_session_list", json!({})).await;
    assert_eq!(list["sessions"][0]["exit"]["code"], 3);
    peer.ok("terminal_session_close", json!({"name": "brief"}))
        .await;
}

#[tokio::test]
async fn a_job_runs_in_the_background_and_is_read_by_cursor() {
    let mut peer = Peer::start().await;
    let started = peer
        .ok("terminal_job_start", json!({"cmd": "sleep 0.2; echo done"}))
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("j-"), "{started}");
    assert_eq!(started["command"], "sleep 0.2; echo done");
    assert!(started["pid"].as_u64().is_some());
    assert_eq!(started["timeout"], 3600.0);

    let deadline = Instant::now() + Duration::from_secs(15);
    let (mut text, mut cursor) = (String::new(), 0);
    let last = loop {
        let read = peer
            .ok(
                "terminal_job_read",
                json!({"id": id, "since": cursor, "wait_ms": 2000}),
            )
            .await;
        text.push_str(read["text"].as_str().unwrap());
        cursor = read["next"].as_u64().unwrap();
        if read["running"] == false {
            break read;
        }
        assert!(Instant::now() < deadline, "the job did not end: {read}");
    };
    assert_eq!(text, "done\n");
    assert_eq!(last["exit"]["code"], 0, "{last}");
    assert_eq!(last["killed"], false);
    assert_eq!(last["timed_out"], false);
    assert_eq!(last["total_bytes"], 5);
    let again = peer
        .ok("terminal_job_read", json!({"id": id, "since": cursor}))
        .await;
    assert_eq!(
        (again["text"].clone(), again["next"].clone()),
        (json!(""), json!(5))
    );
    let all = peer.ok("terminal_job_read", json!({"id": id})).await;
    assert_eq!(all["text"], "done\n");

    // Pages of max_bytes.
    let started = peer
        .ok(
            "terminal_job_start",
            json!({"cmd": "printf 'abcdefghij%.0s' 1 2 3 4 5 6 7 8 9 10", "timeout": 30}),
        )
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert_eq!(started["timeout"], 30.0);
    let deadline = Instant::now() + Duration::from_secs(15);
    while peer
        .ok("terminal_job_read", json!({"id": id, "wait_ms": 1000}))
        .await["running"]
        == true
    {
        assert!(Instant::now() < deadline);
    }
    let page = peer
        .ok("terminal_job_read", json!({"id": id, "max_bytes": 64}))
        .await;
    assert_eq!(
        (page["next"].clone(), page["more"].clone()),
        (json!(64), json!(true))
    );
    let rest = peer
        .ok(
            "terminal_job_read",
            json!({"id": id, "since": 64, "max_bytes": 64}),
        )
        .await;
    assert_eq!(
        (rest["next"].clone(), rest["more"].clone()),
        (json!(100), json!(false))
    );
    let joined = format!(
        "{}{}",
        page["text"].as_str().unwrap(),
        rest["text"].as_str().unwrap()
    );
    assert_eq!(joined, "abcdefghij".repeat(10));
}

#[tokio::test]
async fn a_job_is_killed_with_its_process_group() {
    let mut peer = Peer::start().await;
    let started = peer
        .ok(
            "terminal_job_start",
            json!({"cmd": "echo started; sleep 30", "env": {"GREETING": "hello"}}),
        )
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    let first = peer
        .ok("terminal_job_read", json!({"id": id, "wait_ms": 5000}))
        .await;
    assert_eq!(first["text"], "started\n");
    assert_eq!(first["running"], true);
    assert_eq!(first["exit"], Value::Null);

    let began = Instant::now();
    let killed = peer.ok("terminal_job_kill", json!({"id": id})).await;
    assert!(began.elapsed() < Duration::from_secs(10));
    assert_eq!(killed["id"], id.as_str());
    assert_eq!(killed["running"], false, "{killed}");
    assert_eq!(killed["killed"], true, "{killed}");
    let read = peer.ok("terminal_job_read", json!({"id": id})).await;
    assert_eq!(read["running"], false);
    assert_eq!(read["killed"], true);
    assert_eq!(read["text"], "started\n");

    let env = peer
        .ok(
            "terminal_job_start",
            json!({"cmd": "echo $GREETING", "env": {"GREETING": "hello"}, "cwd": "/"}),
        )
        .await;
    let env_id = env["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let read = peer
            .ok("terminal_job_read", json!({"id": env_id, "wait_ms": 1000}))
            .await;
        if read["running"] == false {
            assert_eq!(read["text"], "hello\n");
            break;
        }
        assert!(Instant::now() < deadline);
    }
}

#[tokio::test]
async fn session_errors_are_tool_errors_with_codes() {
    let mut peer = Peer::start().await;
    for tool in [
        "terminal_session_send",
        "terminal_session_read",
        "terminal_session_close",
    ] {
        let args = if tool == "terminal_session_send" {
            json!({"id": "s-0000000000000000", "input": "ls"})
        } else {
            json!({"id": "s-0000000000000000"})
        };
        let text = peer.fails(tool, args, "session_not_found").await;
        assert!(text.contains("s-0000000000000000"), "{text}");
    }
    peer.fails(
        "terminal_session_read",
        json!({"name": "nobody"}),
        "session_not_found",
    )
    .await;
    // Neither id nor name.
    let text = peer
        .fails("terminal_session_read", json!({}), "invalid_request")
        .await;
    assert!(text.contains("id"), "{text}");
    peer.fails("terminal_session_close", json!({}), "invalid_request")
        .await;
    peer.fails(
        "terminal_session_send",
        json!({"input": "ls"}),
        "invalid_request",
    )
    .await;

    let started = peer
        .ok("terminal_session_start", json!({"name": "taken"}))
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    // Names: invalid, already taken.
    let text = peer
        .fails(
            "terminal_session_start",
            json!({"name": "a b"}),
            "invalid_request",
        )
        .await;
    assert!(text.contains("a b"), "{text}");
    peer.fails(
        "terminal_session_start",
        json!({"name": "taken"}),
        "name_taken",
    )
    .await;
    // Bad signal, nothing to send.
    let text = peer
        .fails(
            "terminal_session_send",
            json!({"id": id, "signal": "STOP"}),
            "invalid_request",
        )
        .await;
    assert!(text.contains("STOP") && text.contains("INT"), "{text}");
    let text = peer
        .fails(
            "terminal_session_send",
            json!({"id": id}),
            "invalid_request",
        )
        .await;
    assert!(text.contains("signal"), "{text}");
    let accepted = peer
        .ok(
            "terminal_session_send",
            json!({"id": id, "signal": "sigint"}),
        )
        .await;
    assert_eq!(accepted["signal"], "INT");

    // Refused by the input schemas.
    for (tool, args, field) in [
        ("terminal_session_start", json!({"cols": 0}), "cols"),
        ("terminal_session_start", json!({"rows": "tall"}), "rows"),
        (
            "terminal_session_start",
            json!({"shell": "/bin/zsh"}),
            "shell",
        ),
        (
            "terminal_session_send",
            json!({"id": id, "input": 42}),
            "input",
        ),
        (
            "terminal_session_send",
            json!({"id": id, "enter": "yes"}),
            "enter",
        ),
        (
            "terminal_session_read",
            json!({"id": id, "wait_ms": 60_000}),
            "wait_ms",
        ),
        (
            "terminal_session_read",
            json!({"id": id, "since": -1}),
            "since",
        ),
        (
            "terminal_session_read",
            json!({"id": id, "max_bytes": 1}),
            "max_bytes",
        ),
        ("terminal_session_list", json!({"all": true}), "all"),
    ] {
        let text = peer.refused(tool, args).await;
        assert!(text.contains(field), "{tool}: {text}");
    }
    peer.ok("terminal_session_close", json!({"id": id})).await;
    peer.fails(
        "terminal_session_close",
        json!({"id": id}),
        "session_not_found",
    )
    .await;
}

#[tokio::test]
async fn job_errors_are_tool_errors_with_codes() {
    let mut peer = Peer::start().await;
    // Missing, empty or mistyped command; bad timeout; unknown field.
    for (args, field) in [
        (json!({}), "cmd"),
        (json!({"cmd": ""}), "cmd"),
        (json!({"cmd": 7}), "cmd"),
        (json!({"cmd": "ls", "timeout": -1}), "timeout"),
        (json!({"cmd": "ls", "timeout": 0}), "timeout"),
        (json!({"cmd": "ls", "env": {"A": 1}}), "env"),
        (json!({"cmd": "ls", "stdin": "x"}), "stdin"),
    ] {
        let text = peer.refused("terminal_job_start", args).await;
        assert!(text.contains(field), "{text}");
    }
    let text = peer
        .fails(
            "terminal_job_start",
            json!({"cmd": "   "}),
            "invalid_request",
        )
        .await;
    assert!(text.contains("cmd"), "{text}");
    peer.fails(
        "terminal_job_start",
        json!({"cmd": "ls", "cwd": "/no/such/dir"}),
        "invalid_cwd",
    )
    .await;

    for tool in ["terminal_job_read", "terminal_job_kill"] {
        let text = peer
            .fails(tool, json!({"id": "j-0000000000000000"}), "job_not_found")
            .await;
        assert!(text.contains("j-0000000000000000"), "{text}");
        peer.fails(tool, json!({"id": "../etc"}), "invalid_request")
            .await;
        let text = peer.refused(tool, json!({})).await;
        assert!(text.contains("id"), "{text}");
    }
    let text = peer
        .refused("terminal_job_read", json!({"id": "j-1", "wait_ms": 10_001}))
        .await;
    assert!(text.contains("wait_ms"), "{text}");
}

#[tokio::test]
async fn sessions_and_jobs_are_audited() {
    let path = std::env::temp_dir().join(format!(
        "mcp-lm-core-catalog-audit-{}-{}.jsonl",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let audit = AuditLog::open(&path, 1 << 20, 0).unwrap();
    let services = Services::new(Config::default(), audit.clone()).unwrap();
    let mut peer = Peer::with(services).await;
    let session = peer
        .ok("terminal_session_start", json!({"name": "audited"}))
        .await;
    let session_id = session["id"].as_str().unwrap().to_owned();
    peer.ok("terminal_session_close", json!({"name": "audited"}))
        .await;
    let job = peer
        .ok("terminal_job_start", json!({"cmd": "sleep 30"}))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    peer.ok("terminal_job_kill", json!({"id": job_id})).await;
    audit.flush();
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let _ = std::fs::remove_file(&path);
    let events: Vec<(String, String, String)> = lines
        .iter()
        .map(|line| {
            (
                line["kind"].as_str().unwrap().to_owned(),
                line["event"].as_str().unwrap().to_owned(),
                line["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("session", "open", &session_id),
        ("session", "close", &session_id),
        ("job", "start", &job_id),
        ("job", "kill", &job_id),
    ]
    .map(|(kind, event, id)| (kind.to_owned(), event.to_owned(), id.clone()));
    assert_eq!(events, expected);
    assert_eq!(lines[0]["name"], "audited");
    assert_eq!(lines[2]["cmd"], "sleep 30");
    assert_eq!(lines[3]["killed"], true);
    assert!(lines.iter().all(|line| line["caller"] == "mcp"));
}
