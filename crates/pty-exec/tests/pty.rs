//! Terminal sessions on real pseudo-terminals: echo, resize, Ctrl-C, fan-out with a slow
//! subscriber, reattach, UTF-8 across reads, exit, close, and the errors a caller can cause.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use pty_exec::{Error, ExitStatus, PtyConfig, Session, SessionEvent, Signal, Subscription};
use support::{eventually, read_until, ready, session_members, sh, within};

/// Everything a subscription yields until the exit: (text, bytes, lagged bytes, exit).
async fn drain(mut subscription: Subscription) -> (String, usize, u64, Option<ExitStatus>) {
    let (mut text, mut bytes, mut lagged, mut exit) = (String::new(), 0, 0, None);
    within("subscription end", async {
        while let Some(event) = subscription.recv().await {
            match event {
                SessionEvent::Output(chunk) => {
                    text.push_str(chunk.text());
                    bytes += chunk.bytes().len();
                }
                SessionEvent::Lagged { missed_bytes } => lagged += missed_bytes,
                SessionEvent::Exited(status) => exit = Some(status),
                _ => {}
            }
        }
    })
    .await;
    (text, bytes, lagged, exit)
}

/// Like [`drain`], from the start of the session's output: the scrollback first (output
/// produced before we could subscribe), then the live events.
async fn drain_all(session: &Session) -> (String, usize, u64, Option<ExitStatus>) {
    let (snapshot, subscription) = session.attach();
    let (text, bytes, lagged, exit) = drain(subscription).await;
    (
        snapshot.text + &text,
        snapshot.bytes.len() + bytes,
        lagged,
        exit,
    )
}

fn script(script: &str) -> PtyConfig {
    sh().arg("-c").arg(script)
}

#[tokio::test]
async fn cat_echoes_through_the_terminal() {
    let session = Session::spawn(PtyConfig::default().program("/bin/cat")).unwrap();
    let mut output = session.subscribe();
    session.write("hello pty\n").await.unwrap();
    // Once echoed by the terminal, once printed by cat; the terminal turns \n into \r\n.
    let text = read_until(&mut output, "hello pty\r\nhello pty\r\n").await;
    assert_eq!(text.matches("hello pty").count(), 2, "{text:?}");
    session.write(&b"\x04"[..]).await.unwrap(); // Ctrl-D: end of input, cat exits
    let (_, _, _, exit) = drain(output).await;
    assert_eq!(exit, Some(ExitStatus::from_code(0)));
    assert_eq!(session.exit_status(), Some(ExitStatus::from_code(0)));
}

#[tokio::test]
async fn resize_is_seen_by_stty() {
    let session = Session::spawn(sh().size(80, 24)).unwrap();
    let mut output = session.subscribe();
    ready(&session, &mut output).await;
    session.write("stty size\n").await.unwrap();
    read_until(&mut output, "24 80").await;
    session.resize(132, 43).unwrap();
    assert_eq!(session.size(), (132, 43));
    session.write("stty size\n").await.unwrap();
    read_until(&mut output, "43 132").await;
    assert_eq!((session.info().cols, session.info().rows), (132, 43));
}

#[tokio::test]
async fn ctrl_c_interrupts_sleep() {
    let session = Session::spawn(sh()).unwrap();
    let pid = session.pid().unwrap();
    let mut output = session.subscribe();
    ready(&session, &mut output).await;

    for (round, interrupt) in ["keystroke", "signal"].into_iter().enumerate() {
        session.write("sleep 100\n").await.unwrap();
        // Wait until `sleep` runs in the terminal's foreground.
        assert!(
            eventually(|| support::in_foreground(pid, "sleep")).await,
            "sleep never reached the foreground"
        );
        let started = Instant::now();
        match interrupt {
            "keystroke" => session.write(&b"\x03"[..]).await.unwrap(),
            _ => session.signal("INT".parse::<Signal>().unwrap()).unwrap(),
        }
        session
            .write(format!("echo after-{round}-$?\n"))
            .await
            .unwrap();
        read_until(&mut output, &format!("after-{round}-130")).await;
        assert!(started.elapsed() < Duration::from_secs(5), "{interrupt}");
        assert!(eventually(|| session_members(pid).len() == 1).await);
    }
    assert!(session.exit_status().is_none(), "the shell survives Ctrl-C");
}

#[tokio::test]
async fn two_subscribers_keep_up_while_a_slow_one_lags() {
    // 64 paced writes of 64 KiB: 4 MiB in total, each subscriber may queue 1 MiB.
    // It waits for a line, so that every subscriber is there from the first byte.
    let producer = "read go; i=0; while [ $i -lt 64 ]; do head -c 65536 /dev/zero | tr '\\0' x; \
                    sleep 0.01; i=$((i+1)); done; echo; echo END-MARK";
    let session = Session::spawn(script(producer).subscriber_buffer_bytes(1 << 20)).unwrap();
    let fast_a = tokio::spawn(drain(session.subscribe()));
    let fast_b = tokio::spawn(drain(session.subscribe()));
    let slow = session.subscribe();
    session.write("go\n").await.unwrap();
    let status = within("producer", session.wait()).await;
    assert!(status.success());
    let total = session.snapshot().total_bytes;
    assert!(total >= 4 << 20, "{total}");

    for fast in [fast_a, fast_b] {
        let (text, bytes, lagged, exit) = fast.await.unwrap();
        assert_eq!(lagged, 0, "a fast subscriber lagged");
        assert_eq!(bytes as u64, total);
        assert!(text.contains("END-MARK"));
        assert!(exit.is_some());
    }
    // The slow one never read: the session waited `output_wait` (2 s) for it, then went on
    // without it: it got its buffer's worth, then one Lagged for the rest.
    let (_, bytes, lagged, exit) = drain(slow).await;
    assert!(lagged > 0, "the slow subscriber did not lag");
    assert!(bytes <= (1 << 20) + 65536, "{bytes}");
    assert_eq!(
        bytes as u64 + lagged,
        total,
        "received + missed = everything"
    );
    assert!(exit.is_some(), "the exit is never dropped");
}

#[tokio::test]
async fn a_slow_subscriber_that_keeps_reading_loses_nothing() {
    // 8 MiB as fast as the terminal takes it, to a subscriber with a 64 KiB queue that reads
    // slowly: the session waits for it (flow control), so it gets every byte, in order.
    let producer = "read go; head -c 8388608 /dev/zero | tr '\\0' y; echo; echo END-MARK";
    let session = Session::spawn(
        script(producer)
            .subscriber_buffer_bytes(64 * 1024)
            .output_wait(Duration::from_secs(10)),
    )
    .unwrap();
    let mut slow = session.subscribe();
    session.write("go\n").await.unwrap();
    let (mut text, mut bytes, mut lagged, mut events) = (String::new(), 0u64, 0u64, 0u64);
    let reading = async {
        while let Some(event) = slow.recv().await {
            events += 1;
            if events % 8 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            match event {
                SessionEvent::Output(chunk) => {
                    bytes += chunk.bytes().len() as u64;
                    // Keep the end only: 8 MiB of `y`s are not needed to find the mark.
                    text.push_str(chunk.text());
                    if text.len() > 4096 {
                        text.drain(..text.len() - 64);
                    }
                }
                SessionEvent::Lagged { missed_bytes } => lagged += missed_bytes,
                _ => {}
            }
        }
    };
    within("slow reader", reading).await;
    assert_eq!(lagged, 0, "the session waited for the subscriber");
    assert_eq!(bytes, session.snapshot().total_bytes);
    assert!(bytes >= 8 << 20, "{bytes}");
    assert!(text.contains("END-MARK"), "{text:?}");
}

#[tokio::test]
async fn reattach_gets_the_scrollback_then_the_rest() {
    let session = Session::spawn(sh()).unwrap();
    let mut first = session.subscribe();
    ready(&session, &mut first).await;
    session.write("echo one-$((0+1))\n").await.unwrap();
    read_until(&mut first, "one-1").await;
    drop(first); // the client goes away; the session lives on
    assert_eq!(session.subscribers(), 0);

    session.write("echo two-$((1+1))\n").await.unwrap();
    assert!(eventually(|| session.snapshot().text.contains("two-2")).await);

    let (snapshot, mut again) = session.attach();
    assert!(snapshot.text.contains("one-1") && snapshot.text.contains("two-2"));
    assert_eq!(snapshot.bytes.len() as u64, snapshot.total_bytes);
    assert!(snapshot.exit.is_none());
    session.write("echo three-$((1+2))\n").await.unwrap();
    let rest = read_until(&mut again, "three-3").await;
    assert!(!rest.contains("two-2"), "replayed twice: {rest:?}");
}

#[tokio::test]
async fn the_scrollback_is_bounded() {
    let session = Session::spawn(
        script("head -c 100000 /dev/zero | tr '\\0' y; echo").scrollback_bytes(1024),
    )
    .unwrap();
    within("exit", session.wait()).await;
    let snapshot = session.snapshot();
    assert_eq!(snapshot.bytes.len(), 1024);
    assert!(snapshot.total_bytes > 100_000);
    assert!(
        snapshot.text.ends_with("yyyy\r\n"),
        "{:?}",
        &snapshot.text[1000..]
    );
}

#[tokio::test]
async fn characters_split_between_reads_arrive_whole() {
    let session = Session::spawn(script(r"printf 'a\342\202'; sleep 0.3; printf '\254b'")).unwrap();
    let (text, bytes, _, exit) = drain_all(&session).await;
    assert_eq!(text, "a€b");
    assert_eq!(bytes, 5);
    assert!(exit.unwrap().success());
    assert_eq!(session.snapshot().text, "a€b");
}

#[tokio::test]
async fn invalid_bytes_are_replaced_and_kept_raw() {
    let session = Session::spawn(script(r"printf 'x\377y'")).unwrap();
    let (snapshot, mut output) = session.attach();
    let mut raw = snapshot.bytes.to_vec();
    let mut text = snapshot.text;
    while let Some(event) = within("events", output.recv()).await {
        if let SessionEvent::Output(chunk) = event {
            raw.extend_from_slice(chunk.bytes());
            text.push_str(chunk.text());
        }
    }
    assert_eq!(text, "x\u{FFFD}y");
    assert_eq!(raw, b"x\xffy");
    assert_eq!(&session.snapshot().bytes[..], b"x\xffy");
}

#[tokio::test]
async fn the_exit_is_published_once_and_kept() {
    let session = Session::spawn(script("echo bye; exit 3")).unwrap();
    let (text, _, _, exit) = drain_all(&session).await;
    assert_eq!(
        within("exit", session.wait()).await,
        ExitStatus::from_code(3)
    );
    assert!(
        text.contains("bye"),
        "{text:?}, scrollback {:?}",
        session.snapshot()
    );
    assert_eq!(exit, Some(ExitStatus::from_code(3)));

    // Late subscribers get the exit at once; input and signals are refused.
    let (snapshot, late) = session.attach();
    assert_eq!(snapshot.exit, Some(ExitStatus::from_code(3)));
    let (_, bytes, _, exit) = drain(late).await;
    assert_eq!((bytes, exit), (0, Some(ExitStatus::from_code(3))));
    assert!(session.info().exited());
    let error = session.write("echo\n").await.unwrap_err();
    assert!(matches!(error, Error::SessionExited { .. }), "{error}");
    let error = session.signal(Signal::Interrupt).unwrap_err();
    assert!(matches!(error, Error::SessionExited { .. }), "{error}");
    assert_eq!(session.close().await, Some(ExitStatus::from_code(3)));
}

#[tokio::test]
async fn close_kills_the_shell_and_its_background_jobs() {
    let session = Session::spawn(sh()).unwrap();
    let pid = session.pid().unwrap();
    let mut output = session.subscribe();
    ready(&session, &mut output).await;
    session
        .write("sleep 1001 & sleep 1002 & sleep 1003\n")
        .await
        .unwrap();
    assert!(eventually(|| session_members(pid).len() >= 4).await);
    let status = within("close", session.close()).await;
    assert!(status.is_some_and(|s| s.signal.is_some()), "{status:?}");
    assert!(
        eventually(|| session_members(pid).is_empty()).await,
        "left behind: {:?}",
        session_members(pid)
    );
    assert!(session.is_closed());
    let (_, _, _, exit) = drain(output).await;
    assert!(exit.is_some());
    let error = session.write("x").await.unwrap_err();
    assert!(matches!(error, Error::SessionExited { .. }));
}

#[tokio::test]
async fn dropping_the_last_handle_kills_everything() {
    let session = Session::spawn(sh()).unwrap();
    let pid = session.pid().unwrap();
    let mut output = session.subscribe();
    ready(&session, &mut output).await;
    session.write("sleep 1004 & sleep 1005\n").await.unwrap();
    assert!(eventually(|| session_members(pid).len() >= 3).await);
    let clone = session.clone();
    drop(session);
    assert!(session_members(pid).len() >= 3, "a clone keeps it alive");
    drop(clone);
    assert!(
        eventually(|| session_members(pid).is_empty()).await,
        "left behind: {:?}",
        session_members(pid)
    );
    // The subscription outlives the session and ends with the exit.
    let (_, _, _, exit) = drain(output).await;
    assert!(exit.is_some());
}

#[tokio::test]
async fn working_directory_term_and_scrubbed_environment() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let session = Session::spawn(
        script("pwd; echo term=$TERM; echo token=${MCP_LM_API_TOKEN:-none}; echo x=$X")
            .cwd(&dir)
            .env("X", "explicit"),
    )
    .unwrap();
    let (text, _, _, _) = drain_all(&session).await;
    assert!(text.contains(&format!("{}\r\n", dir.display())), "{text:?}");
    assert!(text.contains("term=xterm-256color"), "{text:?}");
    assert!(text.contains("token=none"), "{text:?}");
    assert!(text.contains("x=explicit"), "{text:?}");
}

#[tokio::test]
async fn caller_errors() {
    let error = Session::spawn(sh().size(0, 24)).unwrap_err();
    assert!(
        matches!(error, Error::InvalidSize { cols: 0, rows: 24 }),
        "{error}"
    );
    assert!(error.is_user_error());

    let error = Session::spawn(PtyConfig::default().program("/no/such/program")).unwrap_err();
    assert!(matches!(error, Error::PtySpawn { .. }), "{error}");
    assert!(std::error::Error::source(&error).is_some());

    let error = Session::spawn(sh().cwd("/no/such/dir")).unwrap_err();
    assert!(matches!(error, Error::CwdNotFound { .. }), "{error}");

    let session = Session::spawn(sh()).unwrap();
    let error = session.resize(80, 0).unwrap_err();
    assert!(matches!(error, Error::InvalidSize { .. }), "{error}");
    assert!("STOP".parse::<Signal>().is_err());
    session.close().await;
}

#[tokio::test]
async fn info_and_activity() {
    let session = Session::spawn(sh()).unwrap();
    let info = session.info();
    assert_eq!(info.pid, session.pid());
    assert_eq!(info.shell, std::path::PathBuf::from("/bin/sh"));
    assert_eq!((info.cols, info.rows), (80, 24));
    assert!(!info.exited());
    assert!(info.last_activity >= info.created);
    let json = serde_json::to_value(&info).unwrap();
    assert!(json["created"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(json["id"], session.id().as_str());
    let subscription = session.subscribe();
    assert_eq!(session.info().subscribers, 1);
    drop(subscription);
    assert_eq!(session.info().subscribers, 0);
    session.close().await;
}
