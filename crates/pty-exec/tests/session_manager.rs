//! The session manager: names, limits, reattach after a client leaves, idle reaping, and
//! background jobs read by cursor.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use pty_exec::{Command, Error, ExitStatus, JobId, ManagerConfig, Runner, SessionManager};
use support::{eventually, group_members, read_until, ready, session_members, sh, within};

fn manager() -> SessionManager {
    SessionManager::new(
        ManagerConfig::default()
            .no_idle_timeout()
            .runner(support::runner()),
    )
}

#[tokio::test]
async fn create_get_list_close() {
    let manager = manager();
    let named = manager.create_named("build", sh()).unwrap();
    let anonymous = manager.create(sh()).unwrap();
    assert_eq!(manager.len(), 2);
    assert_eq!(manager.get("build").unwrap().id(), named.id());
    assert_eq!(
        manager.get(named.id().as_str()).unwrap().name(),
        Some("build")
    );
    assert_eq!(manager.get(anonymous.id().as_str()).unwrap().name(), None);

    let list = manager.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, *named.id(), "oldest first");
    assert_eq!(list[0].name.as_deref(), Some("build"));
    assert_eq!(list[0].pid, named.pid());
    assert!(!list[0].exited());
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json[0]["name"], "build");
    assert_eq!(json[0]["cols"], 80);

    let pid = named.pid().unwrap();
    within("close", manager.close("build")).await.unwrap();
    assert!(named.is_closed());
    assert!(eventually(|| session_members(pid).is_empty()).await);
    let error = manager.get("build").unwrap_err();
    assert!(matches!(error, Error::SessionNotFound { .. }), "{error}");
    assert!(error.is_not_found());
    let error = manager.close("build").await.unwrap_err();
    assert!(matches!(error, Error::SessionNotFound { .. }), "{error}");

    assert_eq!(within("close all", manager.close_all()).await, 1);
    assert!(manager.is_empty());
    assert!(anonymous.is_closed());
}

#[tokio::test]
async fn names_and_limits() {
    let manager = SessionManager::new(ManagerConfig::default().max_sessions(2).no_idle_timeout());
    manager.create_named("a", sh()).unwrap();
    let error = manager.create_named("a", sh()).unwrap_err();
    assert!(
        matches!(error, Error::NameTaken { ref name } if name == "a"),
        "{error}"
    );
    for bad in ["", "has space", "x/y", &"n".repeat(65)] {
        let error = manager.create_named(bad, sh()).unwrap_err();
        assert!(
            matches!(error, Error::InvalidName { .. }),
            "{bad:?}: {error}"
        );
    }
    manager.create(sh()).unwrap();
    let error = manager.create(sh()).unwrap_err();
    assert!(matches!(error, Error::SessionLimit { limit: 2 }), "{error}");
    assert!(error.is_busy());
    // A failed spawn does not take a slot.
    manager.close("a").await.unwrap();
    let error = manager.create(sh().cwd("/no/such/dir")).unwrap_err();
    assert!(matches!(error, Error::CwdNotFound { .. }));
    manager.create_named("a", sh()).unwrap();
    manager.close_all().await;
}

#[tokio::test]
async fn a_session_outlives_its_subscribers() {
    let manager = manager();
    let session = manager.create_named("shell", sh()).unwrap();
    let mut client = session.subscribe();
    ready(&session, &mut client).await;
    session.write("cd /tmp; echo first-$((1))\n").await.unwrap();
    read_until(&mut client, "first-1").await;
    // The client disconnects and drops everything it had.
    drop(client);
    drop(session);

    // A new connection finds the session by name, with its state and scrollback.
    let session = manager.get("shell").unwrap();
    let (snapshot, mut client) = session.attach();
    assert!(snapshot.text.contains("first-1"));
    session.write("pwd\n").await.unwrap();
    read_until(&mut client, "/tmp\r\n").await;
    manager.close_all().await;
}

#[tokio::test]
async fn idle_sessions_are_reaped() {
    let manager = SessionManager::new(
        ManagerConfig::default()
            .idle_timeout(Duration::from_millis(300))
            .reap_interval(Duration::from_millis(50)),
    );
    let idle = manager.create_named("idle", sh()).unwrap();
    // Output alone does not keep a session alive.
    let chatty = manager
        .create_named(
            "chatty",
            sh().arg("-c")
                .arg("while :; do echo still here; sleep 0.02; done"),
        )
        .unwrap();
    drop(chatty);
    let watched = manager.create_named("watched", sh()).unwrap();
    let _subscriber = watched.subscribe();
    let pid = idle.pid().unwrap();
    drop(idle);
    assert!(
        eventually(|| manager.get("idle").is_err()).await,
        "the idle session was not reaped"
    );
    assert!(eventually(|| session_members(pid).is_empty()).await);
    assert!(
        eventually(|| manager.get("chatty").is_err()).await,
        "a session that only prints was not reaped"
    );
    // A session with a subscriber is not reaped, however idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(manager.get("watched").is_ok());
    manager.close_all().await;
}

#[tokio::test]
async fn reap_idle_by_hand() {
    let manager = SessionManager::new(
        ManagerConfig::default()
            .idle_timeout(Duration::from_millis(100))
            .reap_interval(Duration::from_secs(3600)),
    );
    let session = manager.create(sh()).unwrap();
    assert!(manager.reap_idle().await.is_empty(), "not idle yet");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(manager.reap_idle().await, vec![session.id().clone()]);
    assert!(session.is_closed());
}

#[tokio::test]
async fn dropping_the_manager_kills_its_sessions() {
    let manager = manager();
    let pid = manager.create(sh()).unwrap().pid().unwrap();
    assert_eq!(session_members(pid).len(), 1);
    drop(manager);
    assert!(eventually(|| session_members(pid).is_empty()).await);
}

#[tokio::test]
async fn a_job_outlives_the_call_and_is_read_by_cursor() {
    let manager = manager();
    let job = manager
        .start_job(Command::new(
            "echo start; sleep 0.5; echo err >&2; sleep 0.1; echo end; exit 4",
        ))
        .await
        .unwrap();
    // The caller returns at once; the job runs on.
    let first = manager.read_job(&job, 0).unwrap();
    assert!(first.running);
    assert!(eventually(|| manager.read_job(&job, 0).unwrap().text.contains("start")).await);
    let early = manager.read_job(&job, 0).unwrap();
    assert_eq!(early.text, "start\n");
    assert_eq!(early.next, 6);

    let info = within("job end", manager.wait_job(&job)).await.unwrap();
    assert!(!info.running);
    assert_eq!(info.exit, Some(ExitStatus::from_code(4)));
    let rest = manager.read_job(&job, early.next).unwrap();
    assert_eq!(rest.text, "err\nend\n");
    assert_eq!(rest.since, 6);
    assert_eq!(rest.next, 14);
    assert!(!rest.running);
    assert_eq!(rest.exit, Some(ExitStatus::from_code(4)));
    let json = serde_json::to_value(&rest).unwrap();
    assert_eq!(json["exit"]["code"], 4);
    assert_eq!(manager.list_jobs().len(), 1);
    assert_eq!(manager.job_info(&job).unwrap().total_bytes, 14);
}

#[tokio::test]
async fn a_job_keeps_only_the_end_of_a_long_output() {
    let manager = SessionManager::new(
        ManagerConfig::default()
            .job_output_bytes(1000)
            .no_idle_timeout(),
    );
    let job = manager
        .start_job(Command::new("yes line | head -c 100000; echo; echo last"))
        .await
        .unwrap();
    manager.wait_job(&job).await.unwrap();
    let output = manager.read_job(&job, 0).unwrap();
    assert_eq!(output.missed_bytes, 100_006 - 1000);
    assert_eq!(output.bytes.len(), 1000);
    assert!(
        output.text.ends_with("line\nline\n\nlast\n"),
        "{:?}",
        output.text
    );
}

#[tokio::test]
async fn killing_a_job_kills_its_group() {
    let manager = manager();
    let job = manager
        .start_job(Command::new("echo up; sleep 100 & sleep 100"))
        .await
        .unwrap();
    let pid = manager.job_info(&job).unwrap().pid.unwrap();
    assert!(eventually(|| group_members(pid).len() >= 2).await);
    let info = within("kill", manager.kill_job(&job)).await.unwrap();
    assert!(!info.running);
    assert!(info.killed);
    assert!(eventually(|| group_members(pid).is_empty()).await);
    assert_eq!(manager.read_job(&job, 0).unwrap().text, "up\n");

    manager.remove_job(&job).unwrap();
    let error = manager.read_job(&job, 0).unwrap_err();
    assert!(matches!(error, Error::JobNotFound { .. }), "{error}");
}

#[tokio::test]
async fn a_job_has_its_own_time_limit() {
    let manager = SessionManager::new(
        ManagerConfig::default()
            .job_timeout(Duration::from_millis(300))
            .no_idle_timeout()
            .runner(support::runner()),
    );
    let job = manager.start_job(Command::new("sleep 100")).await.unwrap();
    let info = within("job timeout", manager.wait_job(&job)).await.unwrap();
    assert!(info.timed_out);
    // The command's own timeout wins over the manager's.
    let job = manager
        .start_job(Command::new("sleep 0.5; echo ok").timeout(Duration::from_secs(5)))
        .await
        .unwrap();
    let info = within("job", manager.wait_job(&job)).await.unwrap();
    assert!(!info.timed_out);
    assert_eq!(info.exit, Some(ExitStatus::from_code(0)));
}

#[tokio::test]
async fn waiting_for_job_output_wakes_on_output_end_or_time() {
    let manager = manager();
    let job = manager
        .start_job(Command::new(
            "sleep 0.3; printf first; sleep 0.3; printf second",
        ))
        .await
        .unwrap();
    // Woken by the first output, long before the limit.
    let began = std::time::Instant::now();
    manager
        .wait_job_output(&job, 0, Duration::from_secs(20))
        .await
        .unwrap();
    let waited = began.elapsed();
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let first = manager.read_job(&job, 0).unwrap();
    assert_eq!(first.text, "first");
    // Nothing after the cursor within 50 ms: back at the limit, nothing new.
    let began = std::time::Instant::now();
    manager
        .wait_job_output(&job, first.next, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(began.elapsed() >= Duration::from_millis(45));
    // Then the rest.
    manager
        .wait_job_output(&job, first.next, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(manager.read_job(&job, first.next).unwrap().text, "second");
    // An ended job answers at once, even with nothing new.
    let info = within("job", manager.wait_job(&job)).await.unwrap();
    let began = std::time::Instant::now();
    manager
        .wait_job_output(&job, info.total_bytes, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(began.elapsed() < Duration::from_secs(1));
    let unknown: JobId = "j-unknown".parse().unwrap();
    assert!(matches!(
        manager
            .wait_job_output(&unknown, 0, Duration::from_secs(1))
            .await
            .unwrap_err(),
        Error::JobNotFound { .. }
    ));
}

#[tokio::test]
async fn job_errors() {
    let manager = SessionManager::new(
        ManagerConfig::default()
            .max_jobs(1)
            .no_idle_timeout()
            .runner(Runner::new(support::test_policy().deny("forbidden"))),
    );
    let error = manager
        .start_job(Command::new("echo forbidden"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Denied { .. }), "{error}");
    let running = manager.start_job(Command::new("sleep 100")).await.unwrap();
    let error = manager.start_job(Command::new("true")).await.unwrap_err();
    assert!(matches!(error, Error::JobLimit { limit: 1 }), "{error}");
    manager.kill_job(&running).await.unwrap();
    // The slot is free again once the job ended.
    assert!(eventually(|| manager.list_jobs().iter().all(|j| !j.running)).await);
    let next = within("start", manager.start_job(Command::new("true")))
        .await
        .unwrap();
    manager.wait_job(&next).await.unwrap();

    let unknown: JobId = "j-unknown".parse().unwrap();
    for error in [
        manager.read_job(&unknown, 0).unwrap_err(),
        manager.job_info(&unknown).unwrap_err(),
        manager.kill_job(&unknown).await.unwrap_err(),
        manager.remove_job(&unknown).unwrap_err(),
    ] {
        assert!(matches!(error, Error::JobNotFound { .. }), "{error}");
    }
    assert!("bad id!".parse::<JobId>().is_err());
}

#[tokio::test]
async fn dropping_the_manager_kills_its_jobs() {
    let manager = manager();
    let job = manager.start_job(Command::new("sleep 100")).await.unwrap();
    let pid = manager.job_info(&job).unwrap().pid.unwrap();
    assert!(
        eventually(|| !group_members(pid).is_empty()).await,
        "{:?}",
        manager.list_jobs()
    );
    drop(manager);
    assert!(eventually(|| group_members(pid).is_empty()).await);
}
