//! `sessions` and `attach` against a started server; `attach` driven through a real PTY the
//! way a person at a terminal would: type, read, resize, detach, reattach.

mod support;

use std::time::Duration;

use fixtures::LmStudioMock;
use pty_exec::{PtyConfig, Session, SessionEvent, Subscription};
use support::{BIN, Home, Server, TOKEN, run_async};

/// `mcp-lm ARGS --server … --token-file …` inside a pseudo-terminal of 100x30, through
/// `sh -c '…; stty -a'` so the test can see the terminal settings after it exits.
fn spawn_in_pty(home: &Home, server: &Server, args: &[&str]) -> Session {
    let token_file = home.token_file(TOKEN);
    let mut line = format!("'{BIN}'");
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    line.push_str(&format!(
        " --server '{}' --token-file '{}'; echo \"[exit $?]\"; stty -a",
        server.url,
        token_file.display()
    ));
    Session::spawn(
        PtyConfig::default()
            .program("/bin/sh")
            .arg("-c")
            .arg(line)
            .size(100, 30)
            .env("HOME", home.dir.to_str().unwrap())
            .env("XDG_CONFIG_HOME", home.dir.join("config").to_str().unwrap())
            .env("TERM", "xterm"),
    )
    .expect("spawn a pty")
}

/// Reads the terminal until `needle` appears; returns everything read.
async fn read_until(events: &mut Subscription, seen: &mut String, needle: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(SessionEvent::Output(chunk))) => seen.push_str(chunk.text()),
            Ok(Some(SessionEvent::Exited(_)) | None) => {
                panic!("the terminal ended before {needle:?} appeared:\n{seen}")
            }
            Ok(Some(_)) => {}
            Err(_) => panic!("{needle:?} did not appear within 20 s:\n{seen}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_types_resizes_detaches_and_reattaches() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();

    let pty = spawn_in_pty(&home, &server, &["attach", "--name", "work"]);
    let mut events = pty.subscribe();
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "Ctrl-] detaches").await;
    assert!(seen.contains("Opened session"), "{seen}");

    // The remote terminal got our size, and typed keys reach the remote shell.
    pty.write("stty size; echo answer-$((6*7))\r")
        .await
        .unwrap();
    read_until(&mut events, &mut seen, "answer-42").await;
    assert!(
        seen.contains("30 100"),
        "the session has the local size:\n{seen}"
    );

    // SIGWINCH: the local terminal grows, the remote one follows.
    pty.resize(120, 40).unwrap();
    let mut tries = 0;
    while !seen.contains("40 120") {
        tries += 1;
        assert!(tries <= 50, "the remote size never followed:\n{seen}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        pty.write("stty size\r").await.unwrap();
        let _ = tokio::time::timeout(
            Duration::from_millis(300),
            read_until(&mut events, &mut seen, "40 120"),
        )
        .await;
    }

    // Ctrl-C goes to the remote shell (raw mode), not to mcp-lm.
    pty.write("sleep 30\r").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    pty.write("\x03").await.unwrap();
    pty.write("echo still-$((1+1))\r").await.unwrap();
    read_until(&mut events, &mut seen, "still-2").await;

    // Ctrl-] detaches: mcp-lm exits 0 and the terminal is back in cooked mode.
    pty.write("\x1d").await.unwrap();
    read_until(&mut events, &mut seen, "[exit 0]").await;
    read_until(&mut events, &mut seen, "icanon").await;
    let settings = &seen[seen.find("[exit 0]").unwrap()..];
    assert!(
        seen.contains("keeps running; reattach with `mcp-lm attach work`"),
        "{seen}"
    );
    assert!(
        !settings.contains("-icanon") && !settings.contains("-echo "),
        "restored:\n{settings}"
    );
    drop(events);
    drop(pty);

    // The session lives on, under its name.
    let sessions = server.sessions().await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["name"], "work");
    assert!(sessions[0]["exit"].is_null());

    // Reattach by name: the scrollback comes back first.
    let pty = spawn_in_pty(&home, &server, &["attach", "work"]);
    let mut events = pty.subscribe();
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "Reattached to session").await;
    read_until(&mut events, &mut seen, "answer-42").await;
    // `exit` ends the remote shell: mcp-lm exits with its code.
    pty.write("exit 3\r").await.unwrap();
    read_until(&mut events, &mut seen, "[exit 3]").await;
    assert!(seen.contains("exited with code 3"), "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_with_a_taken_name_reattaches_and_with_piped_input_detaches_at_eof() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();
    let token_file = home.token_file(TOKEN);
    let input = home.dir.join("input");
    std::fs::write(&input, "echo from-a-pipe-$((1+1))\n").unwrap();
    let attach = |name: &str| {
        let mut command = home.cmd(&["attach", "--name", name, "--server", &server.url]);
        command.args(["--token-file", token_file.to_str().unwrap()]);
        command.stdin(std::fs::File::open(&input).unwrap());
        command
    };
    let ran = run_async(attach("piped")).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("from-a-pipe-2"), "{ran:?}");
    assert!(ran.stderr.contains("end of input"), "{ran:?}");

    // Same name again: the existing session, not an error.
    let ran = run_async(attach("piped")).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains("Reattached"), "{ran:?}");
    assert_eq!(server.sessions().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_list_and_close() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();
    let token_file = home.token_file(TOKEN);
    let cli = |args: &[&str]| {
        let mut command = home.cmd(args);
        command.args([
            "--server",
            &server.url,
            "--token-file",
            token_file.to_str().unwrap(),
        ]);
        command
    };

    let ran = run_async(cli(&["sessions"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("No terminal sessions"), "{ran:?}");

    // Open one, named, through a piped attach (detaches at the end of its input).
    let mut command = cli(&["attach", "--name", "build"]);
    command.stdin(std::process::Stdio::null());
    assert_eq!(run_async(command).await.code, 0);

    let ran = run_async(cli(&["sessions", "list"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let header = ran.stdout.lines().next().unwrap();
    for column in ["ID", "NAME", "PID", "SIZE", "STATUS"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        ran.stdout.contains("build") && ran.stdout.contains("running"),
        "{ran:?}"
    );

    let listing = run_async(cli(&["sessions", "--json"])).await.json();
    let id = listing["sessions"][0]["id"].as_str().unwrap().to_owned();

    let ran = run_async(cli(&["sessions", "close", &id])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&id), "{ran:?}");
    assert!(server.sessions().await.is_empty());

    let ran = run_async(cli(&["sessions", "close", "build"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("session_not_found"), "{ran:?}");

    let ran = run_async(cli(&["sessions", "close", "../etc"])).await;
    assert_eq!(ran.code, 2, "{ran:?}");

    let ran = run_async(cli(&["attach", "no-such-session"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("session_not_found"), "{ran:?}");

    // Without --server: the configured server (none here), token from the environment.
    let mut command = home.cmd(&["sessions"]);
    command
        .env("MCP_LM_API_TOKEN", TOKEN)
        .env("MCP_LM_SERVER_PORT", "9");
    let ran = run_async(command).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("cannot reach the mcp-lm server at http://127.0.0.1:9"),
        "{ran:?}"
    );
}
