//! 200 concurrent terminal sessions opened, used and closed: no file descriptor, thread,
//! process or zombie left behind. Alone in its test binary so that the counts are not
//! disturbed by other tests running in the same process.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Instant;

use pty_exec::{ManagerConfig, Session, SessionManager};
use support::{eventually, open_fds, our_children, read_until, session_members, sh, within};

const SESSIONS: usize = 200;

fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sessions_without_leaks() {
    // Warm up whatever the runtime and the PTY layer create once.
    let warm = Session::spawn(sh()).unwrap();
    within("warm-up close", warm.close()).await;
    drop(warm);
    assert!(eventually(|| our_children().is_empty()).await);
    let (fds, thread_count) = (open_fds(), threads());

    let started = Instant::now();
    let manager = SessionManager::new(
        ManagerConfig::default()
            .max_sessions(SESSIONS)
            .no_idle_timeout(),
    );
    let sessions: Vec<Session> = (0..SESSIONS)
        .map(|i| manager.create_named(format!("s{i}"), sh()).unwrap())
        .collect();
    let opened = started.elapsed();
    let pids: Vec<u32> = sessions.iter().map(|s| s.pid().unwrap()).collect();
    assert_eq!(manager.len(), SESSIONS);
    assert!(
        open_fds() >= fds + SESSIONS,
        "each session holds its terminal"
    );

    // Every session is a real, working shell: all of them compute something at once.
    let checks = sessions.iter().enumerate().map(|(i, session)| async move {
        let mut output = session.subscribe();
        session
            .write(format!("echo ok-$(({i} * 3))\n"))
            .await
            .unwrap();
        read_until(&mut output, &format!("ok-{}", i * 3)).await;
    });
    within(
        "200 shells answering",
        futures_util::future::join_all(checks),
    )
    .await;
    assert_eq!(our_children().len(), SESSIONS);

    let closing = Instant::now();
    assert_eq!(within("close all", manager.close_all()).await, SESSIONS);
    let closed = closing.elapsed();
    assert!(sessions.iter().all(Session::is_closed));
    drop(sessions);
    drop(manager);

    assert!(
        eventually(|| pids.iter().all(|pid| session_members(*pid).is_empty())).await,
        "processes left in the sessions"
    );
    assert!(
        eventually(|| our_children().is_empty()).await,
        "children (zombies included) left: {:?}",
        our_children()
    );
    assert!(
        eventually(|| open_fds() <= fds).await,
        "file descriptors leaked: {} before, {} after",
        fds,
        open_fds()
    );
    assert!(
        eventually(|| threads() <= thread_count).await,
        "threads leaked: {} before, {} after",
        thread_count,
        threads()
    );
    println!("opened {SESSIONS} sessions in {opened:?}, closed them in {closed:?}");
}
