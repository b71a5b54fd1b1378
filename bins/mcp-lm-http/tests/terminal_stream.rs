//! `WS /terminal/stream` on the real binary: command lines, JSON input, resize, Ctrl-C, exit,
//! reattach with scrollback, authentication by header, ticket and subprotocol.

mod support;

use std::time::Duration;

use fixtures::LmStudioMock;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Server, TOKEN};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    server: &Server,
    query: &str,
    token: Option<&str>,
    protocol: Option<&str>,
) -> Result<Socket, String> {
    let url = format!(
        "{}/terminal/stream{query}",
        server.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
    }
    connect_async(request)
        .await
        .map(|(socket, _)| socket)
        .map_err(|e| e.to_string())
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no message within 10 s")
            .expect("socket closed")
            .expect("socket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Reads messages until the accumulated output contains `needle`.
async fn output_until(socket: &mut Socket, needle: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(needle) {
        let message = next_json(socket).await;
        match message["type"].as_str() {
            Some("output") => seen.push_str(message["data"].as_str().unwrap()),
            Some("exit") => panic!("exited before {needle:?} appeared: {seen}"),
            _ => {}
        }
    }
    seen
}

async fn send(socket: &mut Socket, text: &str) {
    socket.send(Message::Text(text.into())).await.unwrap();
}

#[tokio::test]
async fn commands_json_input_resize_ctrl_c_and_exit() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[("MCP_LM_TERMINAL_SHELL", "/bin/sh")]);
    let mut socket = connect(&server, "?cols=80&rows=24", Some(TOKEN), None)
        .await
        .unwrap();
    let hello = next_json(&mut socket).await;
    assert_eq!(hello["type"], "session");
    assert_eq!(
        (hello["cols"].as_u64(), hello["rows"].as_u64()),
        (Some(80), Some(24))
    );
    assert!(hello["id"].is_string());

    send(&mut socket, "echo plain-$((20+22))").await; // not JSON: a command line
    output_until(&mut socket, "plain-42").await;
    send(
        &mut socket,
        &json!({"type": "input", "data": "echo json-$((1+1))\n"}).to_string(),
    )
    .await;
    output_until(&mut socket, "json-2").await;
    send(
        &mut socket,
        &json!({"type": "resize", "cols": 100, "rows": 40}).to_string(),
    )
    .await;
    send(&mut socket, "stty size").await;
    output_until(&mut socket, "40 100").await;

    send(&mut socket, "sleep 30").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    send(
        &mut socket,
        &json!({"type": "signal", "name": "INT"}).to_string(),
    )
    .await;
    send(&mut socket, "echo after-$((3*3))").await;
    output_until(&mut socket, "after-9").await;

    send(
        &mut socket,
        &json!({"type": "resize", "cols": 0}).to_string(),
    )
    .await;
    let error = loop {
        let message = next_json(&mut socket).await;
        if message["type"] == "error" {
            break message;
        }
    };
    assert!(error["message"].as_str().unwrap().contains("cols"));

    send(&mut socket, "exit 3").await;
    let exit = loop {
        let message = next_json(&mut socket).await;
        if message["type"] == "exit" {
            break message;
        }
    };
    assert_eq!(exit["code"], 3);
    drop(socket);

    // The audit log: the session opened, each command line, then the detach with the bytes
    // of input; keystrokes sent as `input` are counted but not recorded.
    let id = hello["id"].as_str().unwrap();
    let sessions = wait_for_audit(&server, |lines| {
        lines
            .iter()
            .any(|l| l["event"] == "detach" && l["id"] == id)
    })
    .await;
    let events: Vec<&str> = sessions
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    let commands = [
        "echo plain-$((20+22))",
        "stty size",
        "sleep 30",
        "echo after-$((3*3))",
        "exit 3",
    ];
    assert_eq!(events.first(), Some(&"open"), "{sessions:?}");
    assert_eq!(events.last(), Some(&"detach"), "{sessions:?}");
    let recorded: Vec<&str> = sessions
        .iter()
        .filter(|l| l["event"] == "command")
        .map(|l| l["cmd"].as_str().unwrap())
        .collect();
    assert_eq!(recorded, commands);
    assert!(
        sessions
            .iter()
            .all(|l| l["id"] == id && l["caller"].is_string())
    );
    let keystrokes = "echo json-$((1+1))\n";
    assert!(
        !sessions.iter().any(|l| l.to_string().contains("json-$")),
        "input frames are not recorded: {sessions:?}"
    );
    let detach = sessions.last().unwrap();
    assert_eq!(detach["commands"], commands.len());
    let command_bytes: usize = commands.iter().map(|c| c.len() + 1).sum();
    assert_eq!(detach["input_bytes"], command_bytes + keystrokes.len());
}

/// The audit log's `session` lines once `done` holds for them (bounded wait).
async fn wait_for_audit(server: &Server, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..100 {
        let lines: Vec<Value> = server
            .audit_lines()
            .into_iter()
            .filter(|l| l["kind"] == "session")
            .collect();
        if done(&lines) {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "audit lines not written within 5 s: {:?}",
        server.audit_lines()
    );
}

#[tokio::test]
async fn a_session_survives_its_socket_and_reattaches_with_scrollback() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[("MCP_LM_TERMINAL_SHELL", "/bin/sh")]);
    let mut socket = connect(&server, "?name=work", Some(TOKEN), None)
        .await
        .unwrap();
    let id = next_json(&mut socket).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&mut socket, "echo marker-$((6*7))").await;
    output_until(&mut socket, "marker-42").await;
    drop(socket);

    let list: Value = server
        .authed(Method::GET, "/terminal/sessions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["name"], "work");

    for reattach in [format!("?session={id}"), "?session=work".to_owned()] {
        let mut again = connect(&server, &reattach, Some(TOKEN), None)
            .await
            .unwrap();
        assert_eq!(next_json(&mut again).await["id"], id);
        let replay = next_json(&mut again).await;
        assert_eq!(replay["type"], "output");
        assert!(
            replay["data"].as_str().unwrap().contains("marker-42"),
            "{replay}"
        );
    }

    // Opened once, attached to twice, each connection detached; all under the name.
    let sessions = wait_for_audit(&server, |lines| {
        lines.iter().filter(|l| l["event"] == "detach").count() == 3
    })
    .await;
    // (A detach may be written after the next attach: the server sees a close when it reads it.)
    let count = |event: &str| sessions.iter().filter(|l| l["event"] == event).count();
    assert_eq!(sessions[0]["event"], "open");
    assert_eq!((count("open"), count("attach"), count("detach")), (1, 2, 3));
    assert!(
        sessions
            .iter()
            .all(|l| l["name"] == "work" && l["id"] == id.as_str())
    );

    let taken = connect(&server, "?name=work", Some(TOKEN), None)
        .await
        .unwrap_err();
    assert!(
        taken.contains("409"),
        "a second session with a taken name is refused: {taken}"
    );

    let closed = server
        .authed(Method::DELETE, &format!("/terminal/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    let missing = server
        .authed(Method::GET, &format!("/terminal/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        connect(&server, "?session=nope", Some(TOKEN), None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn websocket_authentication_header_ticket_and_subprotocol() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[("MCP_LM_TERMINAL_SHELL", "/bin/sh")]);
    let refused = connect(&server, "", None, None).await.unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    let wrong = connect(&server, "", Some(&"w".repeat(40)), None)
        .await
        .unwrap_err();
    assert!(wrong.contains("403"), "{wrong}");

    // A browser: a single-use ticket from POST /auth/ticket.
    let ticket: Value = server
        .authed(Method::POST, "/auth/ticket")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let mut socket = connect(&server, &format!("?ticket={ticket}"), None, None)
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "session");
    assert!(
        connect(&server, &format!("?ticket={ticket}"), None, None)
            .await
            .is_err(),
        "a ticket is single-use"
    );

    // The subprotocol form; the server answers with `mcp-lm` so the token is not echoed.
    let url = format!(
        "{}/terminal/stream",
        server.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("mcp-lm, bearer.{TOKEN}").parse().unwrap(),
    );
    let (mut socket, response) = connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "mcp-lm");
    assert_eq!(next_json(&mut socket).await["type"], "session");
    assert!(
        connect(
            &server,
            "",
            None,
            Some("bearer.nope-nope-nope-nope-nope-nope-nope")
        )
        .await
        .is_err()
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_slow_reader_gets_a_lagged_notice_and_memory_stays_bounded() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url(), &[("MCP_LM_TERMINAL_SHELL", "/bin/sh")]);
    let mut socket = connect(&server, "", Some(TOKEN), None).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "session");
    let before = rss_kib(server.child.id());
    // 64 MB of output while this client reads nothing.
    send(
        &mut socket,
        "head -c 64000000 /dev/zero | tr '\\000' x; echo; echo done-$((1+1))",
    )
    .await;
    let mut peak = before;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(rss_kib(server.child.id()));
    }
    let mut lagged = false;
    let mut tail = String::new();
    while !tail.contains("done-2") {
        let message = next_json(&mut socket).await;
        match message["type"].as_str() {
            Some("lagged") => lagged = true,
            Some("output") => {
                tail.push_str(message["data"].as_str().unwrap());
                if tail.len() > 4096 {
                    tail.drain(..tail.len() - 4096);
                }
            }
            _ => {}
        }
    }
    assert!(
        lagged,
        "the server should have dropped output for the slow reader and said so"
    );
    assert!(
        peak - before < 48 * 1024,
        "server RSS grew by {} KiB while the client did not read",
        peak - before
    );
}

#[tokio::test]
async fn shutdown_leaves_no_terminal_process_behind() {
    let lm = LmStudioMock::start().await;
    let mut server = Server::start(&lm.url(), &[("MCP_LM_TERMINAL_SHELL", "/bin/sh")]);
    let mut socket = connect(&server, "?name=busy", Some(TOKEN), None)
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "session");
    send(&mut socket, "sleep 3411").await;
    let running = || {
        let found = std::process::Command::new("pgrep")
            .args(["-f", "sleep 3411"])
            .output()
            .unwrap();
        !String::from_utf8_lossy(&found.stdout).trim().is_empty()
    };
    for _ in 0..50 {
        if running() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(running(), "the command should be running in the session");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    for _ in 0..40 {
        if !running() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session's command survived the server's shutdown");
}
