//! Timeouts and cancellation kill the whole process group, grandchildren included, and
//! still return what was captured; nothing is left behind.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use pty_exec::{CancellationToken, Command, Policy, Runner};
use support::{eventually, group_members, runner, within};

/// Starts `command`, waits until its process group has at least `members` processes, and
/// returns the handle and the group id.
async fn started_with(
    runner: &Runner,
    command: Command,
    members: usize,
) -> (pty_exec::Execution, u32) {
    let execution = runner.spawn(command).await.unwrap();
    let pgid = execution.pid().unwrap();
    assert!(
        eventually(|| group_members(pgid).len() >= members).await,
        "group {pgid} never had {members} members: {:?}",
        group_members(pgid)
    );
    (execution, pgid)
}

#[tokio::test]
async fn timeout_kills_grandchildren_and_keeps_the_output() {
    let command = Command::new("echo before; sleep 100 & sleep 100 & echo started; wait")
        .timeout(Duration::from_millis(700));
    let (execution, pgid) = started_with(&runner(), command, 3).await;
    let started = Instant::now();
    let output = within("timed-out command", execution.wait()).await.unwrap();
    assert!(output.timed_out);
    assert!(!output.cancelled);
    assert_eq!(output.stdout, "before\nstarted\n");
    assert_eq!(output.signal, Some(15), "the shell died of SIGTERM");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(output.duration >= Duration::from_millis(700));
    assert!(
        eventually(|| group_members(pgid).is_empty()).await,
        "left behind: {:?}",
        group_members(pgid)
    );
}

#[tokio::test]
async fn processes_that_ignore_sigterm_get_sigkill() {
    let runner = Runner::new(
        Policy::default()
            .timeout(Duration::from_millis(300))
            .kill_grace(Duration::from_millis(300)),
    );
    let command =
        Command::new("trap '' TERM; sh -c \"trap '' TERM; sleep 100\" & echo up; wait; wait");
    let (execution, pgid) = started_with(&runner, command, 3).await;
    let output = within("stubborn command", execution.wait()).await.unwrap();
    assert!(output.timed_out);
    assert_eq!(output.stdout, "up\n");
    assert_eq!(output.signal, Some(9));
    assert!(
        output.duration >= Duration::from_millis(600),
        "{:?}",
        output.duration
    );
    assert!(eventually(|| group_members(pgid).is_empty()).await);
}

#[tokio::test]
async fn cancellation_token_kills_the_group() {
    let token = CancellationToken::new();
    let command = Command::new("echo go; sleep 100 & sleep 100").cancel_token(token.clone());
    let (execution, pgid) = started_with(&runner(), command, 2).await;
    token.cancel();
    let output = within("cancelled command", execution.wait()).await.unwrap();
    assert!(output.cancelled);
    assert!(!output.timed_out);
    assert_eq!(output.stdout, "go\n");
    assert!(eventually(|| group_members(pgid).is_empty()).await);
}

#[tokio::test]
async fn execution_kill_and_kill_token() {
    let (execution, pgid) = started_with(&runner(), Command::new("sleep 100"), 1).await;
    let kill = execution.kill_token();
    kill.cancel();
    let output = within("killed", execution.wait()).await.unwrap();
    assert!(output.cancelled);
    assert!(eventually(|| group_members(pgid).is_empty()).await);
}

#[tokio::test]
async fn dropping_the_future_kills_the_group() {
    let runner = runner();
    // A sleep with a duration no other process uses, to recognise it in `/proc`.
    let marker = format!("1000.{}", std::process::id());
    let running = |marker: &str| {
        support::processes().into_iter().any(|p| {
            p.state != 'Z'
                && std::fs::read(format!("/proc/{}/cmdline", p.pid)).is_ok_and(|cmdline| {
                    cmdline
                        .split(|b| *b == 0)
                        .any(|arg| arg == marker.as_bytes())
                })
        })
    };
    let mut future = Box::pin(runner.run(Command::new(format!("sleep {marker} & sleep {marker}"))));
    // Poll it until the command runs, then drop it.
    let seen = tokio::select! {
        _ = &mut future => false,
        seen = eventually(|| running(&marker)) => seen,
    };
    assert!(seen, "the command never started");
    drop(future);
    assert!(
        eventually(|| !running(&marker)).await,
        "the command survived the dropped future"
    );
}

#[tokio::test]
async fn dropping_the_handle_kills_the_group() {
    let (execution, pgid) = started_with(&runner(), Command::new("sleep 100 & sleep 100"), 2).await;
    drop(execution);
    assert!(
        eventually(|| group_members(pgid).is_empty()).await,
        "left behind: {:?}",
        group_members(pgid)
    );
}

#[tokio::test]
async fn background_leftovers_are_killed_after_the_shell_exits() {
    let runner = Runner::new(support::test_policy().leftover_grace(Duration::from_millis(100)));
    // One leftover keeps the output open, the other does not.
    let execution = runner
        .spawn(Command::new(
            "sleep 100 & sleep 101 >/dev/null 2>&1 & echo bye",
        ))
        .await
        .unwrap();
    let pgid = execution.pid().unwrap();
    let started = Instant::now();
    let output = within("shell with leftovers", execution.wait())
        .await
        .unwrap();
    assert_eq!(output.stdout, "bye\n");
    assert_eq!(output.exit_code, Some(0));
    assert!(!output.timed_out);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        eventually(|| group_members(pgid).is_empty()).await,
        "left behind: {:?}",
        group_members(pgid)
    );
}

#[tokio::test]
async fn no_timeout_means_no_timeout() {
    let runner = Runner::new(Policy::default().timeout(Duration::from_millis(100)));
    let output = runner
        .run(Command::new("sleep 0.4; echo done").no_timeout())
        .await
        .unwrap();
    assert!(!output.timed_out);
    assert_eq!(output.stdout, "done\n");
}
