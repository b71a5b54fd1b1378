//! `mcp-lm run`: output as the command produced it, its exit code, 124 on timeout; here and
//! through a started server.

mod support;

use std::time::{Duration, Instant};

use fixtures::LmStudioMock;
use support::{Home, Server, TOKEN, run, run_async};

#[test]
fn prints_stdout_and_stderr_and_exits_with_the_code() {
    let home = Home::new();
    let ran = run(home.cmd(&["run", "echo out; echo err >&2; exit 3"]));
    assert_eq!(ran.code, 3, "{ran:?}");
    assert_eq!(ran.stdout, "out\n");
    assert_eq!(ran.stderr, "err\n", "nothing but the command's stderr");

    let ran = run(home.cmd(&["run", "--", "printf", "%s-%s", "a", "b"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, "a-b", "words are joined into one command line");

    let audit = std::fs::read_to_string(home.audit_path()).unwrap();
    assert!(
        audit.contains(r#""kind":"command""#) && audit.contains(r#""caller":"cli""#),
        "{audit}"
    );
}

#[test]
fn output_streams_as_it_is_produced() {
    let home = Home::new();
    let mut child = home
        .cmd(&["run", "echo first; sleep 2; echo second"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = [0_u8; 64];
    let n = std::io::Read::read(&mut stdout, &mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"first\n");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "not held back until the end"
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_timeout_exits_124_and_kills_the_process_group() {
    let home = Home::new();
    let marker = home.dir.join("survived");
    let script = format!(
        "echo started; (sleep 3; touch {}) & sleep 30",
        marker.display()
    );
    let started = Instant::now();
    let ran = run(home.cmd(&["run", "--timeout", "0.5", &script]));
    assert_eq!(ran.code, 124, "{ran:?}");
    assert_eq!(ran.stdout, "started\n");
    assert!(
        ran.stderr
            .contains("error: the command timed out after 0.5 s"),
        "{ran:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the background child was killed too");
}

#[test]
fn killed_by_a_signal_exits_128_plus_n() {
    let home = Home::new();
    let ran = run(home.cmd(&["run", "kill -KILL $$"]));
    assert_eq!(ran.code, 137, "{ran:?}");
    assert!(ran.stderr.contains("SIGKILL"), "{ran:?}");
}

#[test]
fn cwd_json_and_bad_directories() {
    let home = Home::new();
    let ran = run(home.cmd(&["run", "--cwd", "/", "pwd"]));
    assert_eq!((ran.code, ran.stdout.as_str()), (0, "/\n"), "{ran:?}");

    let ran = run(home.cmd(&["run", "--json", "echo hi; exit 4"]));
    assert_eq!(ran.code, 4, "{ran:?}");
    let result = ran.json();
    assert_eq!(result["stdout"], "hi\n");
    assert_eq!(result["exit_code"], 4);
    assert_eq!(result["success"], false);
    assert_eq!(result["timed_out"], false);
    assert!(result["execution_time"].is_f64());

    let ran = run(home.cmd(&["run", "--cwd", "/no/such/dir", "true"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("error:") && ran.stderr.contains("invalid_cwd"),
        "{ran:?}"
    );

    let ran = run(home.cmd(&["run", "--timeout", "-1", "true"]));
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn deny_patterns_of_the_config_apply() {
    let home = Home::new();
    let mut command = home.cmd(&["run", "rm -rf /tmp/nothing-here"]);
    command.env("MCP_LM_TERMINAL_DENY", "rm -rf");
    let ran = run(command);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("command_denied"), "{ran:?}");
}

#[test]
fn a_closed_stdout_stops_the_command_and_exits_0() {
    // `mcp-lm run yes | head -1`
    let home = Home::new();
    let mut child = home
        .cmd(&["run", "--timeout", "30", "yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = [0_u8; 2];
    std::io::Read::read_exact(&mut stdout, &mut buffer).unwrap();
    drop(stdout);
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_server() {
    let lm = LmStudioMock::start().await;
    let server = Server::start(&lm.url());
    let home = Home::new();
    let token_file = home.token_file(TOKEN);
    let remote = |args: &[&str]| {
        let mut command = home.cmd(args);
        command.args([
            "--server",
            &server.url,
            "--token-file",
            token_file.to_str().unwrap(),
        ]);
        command
    };
    let ran = run_async(remote(&["run", "echo out; echo err >&2; exit 5"])).await;
    assert_eq!(ran.code, 5, "{ran:?}");
    assert_eq!(ran.stdout, "out\n");
    assert_eq!(ran.stderr, "err\n");

    let ran = run_async(remote(&[
        "run",
        "--timeout",
        "0.5",
        "echo started; sleep 30",
    ]))
    .await;
    assert_eq!(ran.code, 124, "{ran:?}");
    assert_eq!(ran.stdout, "started\n");
    assert!(ran.stderr.contains("timed out"), "{ran:?}");

    let ran = run_async(remote(&["run", "--json", "echo hi"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let result = ran.json();
    assert_eq!(result["command"], "echo hi");
    assert_eq!(result["stdout"], "hi\n");

    // Streamed from the server as it is produced, byte for byte.
    let mut child = remote(&["run", "echo first; sleep 2; printf 'a\\377b'"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = [0_u8; 64];
    let n = std::io::Read::read(&mut stdout, &mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"first\n");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "not held back until the end"
    );
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, b"a\xffb");
    assert!(child.wait().unwrap().success());

    // Ctrl-C: the connection is dropped and the server kills the command.
    let marker = home.dir.join("remote-survived");
    let script = format!("echo started; sleep 3; touch {}", marker.display());
    let mut child = remote(&["run", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let n = std::io::Read::read(child.stdout.as_mut().unwrap(), &mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"started\n");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!marker.exists(), "the command was killed");
}

/// Starts a command, sends `signal` to mcp-lm once it runs, checks the exit code and that
/// the command did not survive; returns stdout.
fn stopped_by(extra: &[&str], signal: &str, expected: i32) -> String {
    let home = Home::new();
    let started_marker = home.dir.join("started");
    let marker = home.dir.join("survived");
    let script = format!(
        "touch {}; sleep 3; touch {}",
        started_marker.display(),
        marker.display()
    );
    let mut args = vec!["run"];
    args.extend_from_slice(extra);
    args.push(&script);
    let child = home
        .cmd(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !started_marker.exists() {
        assert!(Instant::now() < deadline, "the command did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(expected), "{output:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the command was killed");
    if !extra.contains(&"--json") {
        assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    }
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn ctrl_c_kills_the_command_and_exits_130() {
    stopped_by(&[], "INT", 130);
}

#[test]
fn sigterm_kills_the_command_and_exits_143() {
    stopped_by(&[], "TERM", 143);
}

#[test]
fn ctrl_c_with_json_still_prints_the_result() {
    let stdout = stopped_by(&["--json"], "INT", 130);
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["cancelled"], true, "{result}");
}
