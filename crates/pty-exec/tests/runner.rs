//! One-shot commands: exit codes, streams, input, environment, working directory, policy
//! refusals and the errors a caller can cause.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use pty_exec::{Command, EnvPolicy, Error, OutputStream, Policy, Runner, Shell, WhenBusy};
use support::{runner, test_policy, within};

#[tokio::test]
async fn exit_code_stdout_and_stderr() {
    let output = runner()
        .run(Command::new("echo out; echo err >&2; exit 7"))
        .await
        .unwrap();
    assert_eq!(output.stdout, "out\n");
    assert_eq!(output.stderr, "err\n");
    assert_eq!(output.exit_code, Some(7));
    assert_eq!(output.signal, None);
    assert!(!output.success());
    assert!(!output.timed_out && !output.cancelled);
    assert!(!output.truncated.any());
    assert_eq!(output.total_bytes.stdout, 4);
    assert!(output.stdout_base64.is_none());
    assert!(output.pid.is_some());
    assert_eq!(output.command, "echo out; echo err >&2; exit 7");

    let ok = runner().run(Command::new("true")).await.unwrap();
    assert!(ok.success());
    assert_eq!(ok.exit_code, Some(0));
}

#[tokio::test]
async fn death_by_signal_is_reported() {
    let output = runner().run(Command::new("kill -9 $$")).await.unwrap();
    assert_eq!(output.exit_code, None);
    assert_eq!(output.signal, Some(9));
    assert_eq!(output.exit_status().signal_name(), Some("SIGKILL"));
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["signal"], "SIGKILL");
}

#[tokio::test]
async fn stdin_is_dev_null_unless_given() {
    // `cat` would wait forever on an inherited terminal or an open pipe.
    let output = runner().run(Command::new("cat; echo end")).await.unwrap();
    assert_eq!(output.stdout, "end\n");

    let output = runner()
        .run(Command::new("tr a-z A-Z").stdin("hello\n"))
        .await
        .unwrap();
    assert_eq!(output.stdout, "HELLO\n");

    // A command that ignores a large input must not hang or fail.
    let output = runner()
        .run(Command::new("true").stdin(vec![b'x'; 4 << 20]))
        .await
        .unwrap();
    assert!(output.success());
}

/// Set by `secrets_in_our_environment_do_not_reach_children` for the copy of this test binary
/// it starts, whose environment holds the secrets.
const PROBE: &str = "PTY_EXEC_ENV_PROBE";

/// Runs only inside that copy: prints what a child of the default policy sees.
#[tokio::test]
async fn env_probe() {
    if std::env::var_os(PROBE).is_none() {
        return;
    }
    let output = Runner::default()
        .run(Command::new("env").env("EXPLICIT", "given"))
        .await
        .unwrap();
    println!("PROBE-BEGIN\n{}PROBE-END", output.stdout);
}

#[tokio::test]
async fn secrets_in_our_environment_do_not_reach_children() {
    let secrets = [
        ("MCP_LM_API_TOKEN", "value-of-mcp-lm-token"),
        ("LM_API_TOKEN", "value-of-lm-token"),
        ("GITHUB_TOKEN", "value-of-github-token"),
        ("OPENAI_API_KEY", "value-of-openai-key"),
        ("DB_PASSWORD", "value-of-db-password"),
        ("AWS_SECRET_ACCESS_KEY", "value-of-aws-secret"),
        ("UNLISTED_VARIABLE", "value-of-unlisted"),
    ];
    let mut probe = tokio::process::Command::new(std::env::current_exe().unwrap());
    probe
        .args(["--exact", "env_probe", "--nocapture", "--test-threads=1"])
        .env(PROBE, "1")
        .env("LANG", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .envs(secrets);
    let output = within("probe", probe.output()).await.unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}");
    let begin = printed.find("PROBE-BEGIN").expect("probe output");
    let child_env = &printed[begin..printed.find("PROBE-END").unwrap()];
    for (name, value) in secrets {
        assert!(!child_env.contains(name), "{name} leaked: {child_env}");
        assert!(!child_env.contains(value), "{value} leaked: {child_env}");
    }
    assert!(!child_env.contains(PROBE), "{child_env}");
    assert!(child_env.contains("LANG=C.UTF-8"), "{child_env}");
    assert!(child_env.contains("PATH=/usr/bin:/bin"), "{child_env}");
    assert!(child_env.contains("EXPLICIT=given"), "{child_env}");
}

#[tokio::test]
async fn the_environment_policy_is_configurable() {
    // Cargo sets CARGO_MANIFEST_DIR for test binaries; the default policy does not pass it.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let probe = r#"echo "[${CARGO_MANIFEST_DIR:+dir}] [${HOME:+home}] [$FIXED]""#;
    let output = runner().run(Command::new(probe)).await.unwrap();
    assert!(output.stdout.starts_with("[] "), "{}", output.stdout);

    let runner = Runner::new(
        test_policy().env(
            EnvPolicy::empty()
                .allow("cargo_manifest_*")
                .set("FIXED", "1"),
        ),
    );
    let output = runner.run(Command::new(probe)).await.unwrap();
    assert_eq!(output.stdout, "[dir] [] [1]\n");
}

#[tokio::test]
async fn working_directory() {
    let dir = std::env::temp_dir();
    let output = runner().run(Command::new("pwd").cwd(&dir)).await.unwrap();
    assert_eq!(
        std::path::Path::new(output.stdout.trim())
            .canonicalize()
            .unwrap(),
        dir.canonicalize().unwrap()
    );

    let error = runner()
        .run(Command::new("pwd").cwd("/definitely/not/here"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::CwdNotFound { .. }), "{error}");
    assert!(error.is_user_error());

    let rooted = Runner::new(test_policy().cwd_root(&dir));
    let output = rooted.run(Command::new("pwd")).await.unwrap();
    assert_eq!(
        output.stdout.trim(),
        dir.canonicalize().unwrap().to_str().unwrap()
    );
    let error = rooted.run(Command::new("pwd").cwd("/")).await.unwrap_err();
    assert!(matches!(error, Error::CwdOutsideRoot { .. }), "{error}");
    assert!(error.is_denied());
}

#[tokio::test]
async fn deny_patterns_refuse_before_running() {
    let marker = std::env::temp_dir().join(format!("pty-exec-denied-{}", std::process::id()));
    let runner = Runner::new(test_policy().deny("touch*denied"));
    let command = format!("touch   {}", marker.display());
    let error = runner.run(Command::new(command)).await.unwrap_err();
    assert!(
        matches!(&error, Error::Denied { pattern, .. } if pattern == "touch*denied"),
        "{error}"
    );
    assert!(!marker.exists(), "a denied command ran");
    assert!(
        runner
            .run(Command::new("echo allowed"))
            .await
            .unwrap()
            .success()
    );
}

#[tokio::test]
async fn spawn_failure_names_the_command() {
    let runner = Runner::new(test_policy().shell(Shell::new("/no/such/shell").arg("-c")));
    let error = runner.run(Command::new("echo hi")).await.unwrap_err();
    match &error {
        Error::SpawnFailed { command, source } => {
            assert_eq!(command, "echo hi");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(std::error::Error::source(&error).is_some());

    // A command the shell cannot find is an exit code, not an error.
    let output = support::runner()
        .run(Command::new("no-such-program-xyz"))
        .await
        .unwrap();
    assert_eq!(output.exit_code, Some(127));
    assert!(output.stderr.contains("not found"), "{}", output.stderr);
}

#[tokio::test]
async fn another_shell() {
    let runner = Runner::new(test_policy().shell(Shell::new("/bin/bash").arg("-c")));
    let output = runner
        .run(Command::new("echo ${BASH_VERSION:+bash}"))
        .await
        .unwrap();
    assert_eq!(output.stdout, "bash\n");
    let output = support::runner()
        .run(Command::new("echo $0").shell(Shell::new("/bin/dash").arg("-c")))
        .await
        .unwrap();
    assert_eq!(output.stdout, "/bin/dash\n");
}

#[tokio::test]
async fn busy_when_the_limit_is_reached_and_the_policy_says_fail() {
    let runner = Runner::new(test_policy().max_concurrent(1).when_busy(WhenBusy::Fail));
    let first = runner.spawn(Command::new("sleep 5")).await.unwrap();
    let error = runner.run(Command::new("true")).await.unwrap_err();
    assert!(matches!(error, Error::Busy { limit: 1 }), "{error}");
    assert!(error.is_busy());
    first.kill();
    let output = within("killed command", first.wait()).await.unwrap();
    assert!(output.cancelled);
    // The slot is free again.
    assert!(runner.run(Command::new("true")).await.unwrap().success());
}

#[tokio::test]
async fn queued_commands_wait_for_a_slot() {
    let runner = Runner::new(test_policy().max_concurrent(1));
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(
        runner.run(Command::new("sleep 0.3")),
        runner.run(Command::new("sleep 0.3")),
    );
    assert!(a.unwrap().success() && b.unwrap().success());
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancelled_while_queued() {
    let runner = Runner::new(test_policy().max_concurrent(1));
    let blocker = runner.spawn(Command::new("sleep 5")).await.unwrap();
    let token = pty_exec::CancellationToken::new();
    let queued = tokio::spawn({
        let runner = runner.clone();
        let token = token.clone();
        async move { runner.run(Command::new("true").cancel_token(token)).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    token.cancel();
    let error = within("queued command", queued).await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Cancelled { .. }), "{error}");
    drop(blocker);
}

#[tokio::test]
async fn non_utf8_output_is_replaced_and_kept_in_base64() {
    let output = runner()
        .run(Command::new(r"printf 'ok\377\376end'; printf '\200' >&2"))
        .await
        .unwrap();
    assert_eq!(output.stdout, "ok\u{FFFD}\u{FFFD}end");
    assert_eq!(&output.stdout_bytes[..], b"ok\xff\xfeend");
    assert_eq!(output.stdout_base64.as_deref(), Some("b2v//mVuZA=="));
    assert_eq!(output.stderr_base64.as_deref(), Some("gA=="));
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["stdout_base64"], "b2v//mVuZA==");
}

#[tokio::test]
async fn characters_split_between_writes_are_not_mangled() {
    // The euro sign's three bytes arrive in two writes, 100 ms apart: two separate reads.
    let execution = runner()
        .spawn(Command::new(
            r"printf 'a\342\202'; sleep 0.1; printf '\254b'",
        ))
        .await
        .unwrap();
    let mut execution = execution;
    let mut chunks = Vec::new();
    while let Some(chunk) = within("chunk", execution.next_chunk()).await {
        chunks.push(chunk);
    }
    assert!(chunks.len() >= 2, "expected two reads, got {chunks:?}");
    let streamed: String = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(streamed, "a€b");
    assert!(chunks.iter().all(|c| c.stream == OutputStream::Stdout));
    let output = execution.wait().await.unwrap();
    assert_eq!(output.stdout, "a€b");
    assert!(output.stdout_base64.is_none());
}

#[tokio::test]
async fn streaming_yields_chunks_as_they_come() {
    use futures_util::StreamExt;
    let mut execution = runner()
        .spawn(Command::new(
            "echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three",
        ))
        .await
        .unwrap();
    let first = within("first chunk", execution.next()).await.unwrap();
    assert_eq!(first.text, "one\n");
    assert_eq!(first.stream, OutputStream::Stdout);
    let second = within("second chunk", execution.next()).await.unwrap();
    assert_eq!(
        (second.stream, second.text.as_str()),
        (OutputStream::Stderr, "two\n")
    );
    let output = within("output", execution.wait()).await.unwrap();
    assert_eq!(output.stdout, "one\nthree\n");
    assert_eq!(output.stderr, "two\n");
}

#[tokio::test]
async fn policy_defaults_apply_and_commands_override_them() {
    let runner = Runner::new(
        Policy::default()
            .timeout(Duration::from_millis(200))
            .kill_grace(Duration::from_millis(100))
            .max_output_bytes(4),
    );
    let output = runner
        .run(Command::new("echo 123456789; sleep 5"))
        .await
        .unwrap();
    assert!(output.timed_out);
    assert!(output.truncated.stdout);
    let output = runner
        .run(
            Command::new("echo 123456789; sleep 0.4")
                .timeout(Duration::from_secs(5))
                .max_output_bytes(100),
        )
        .await
        .unwrap();
    assert!(!output.timed_out);
    assert_eq!(output.stdout, "123456789\n");
    assert_eq!(runner.running(), 0);
}

#[test]
fn outside_a_tokio_runtime_is_an_error_not_a_panic() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let runner = Runner::default();
    let mut future = std::pin::pin!(runner.run(Command::new("true")));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Err(Error::NoRuntime)) => {}
        other => panic!("unexpected {other:?}"),
    }
}
