//! Helpers shared by the integration tests: real processes, real terminals, and counting
//! what is left of them through `/proc`.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};

use pty_exec::{Policy, PtyConfig, Runner, Session, SessionEvent, Subscription};

/// Generous bound for anything that should take milliseconds, on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A runner with a short kill grace, so that tests that kill stay fast.
pub fn runner() -> Runner {
    Runner::new(test_policy())
}

pub fn test_policy() -> Policy {
    Policy::default()
        .timeout(Duration::from_secs(15))
        .kill_grace(Duration::from_millis(300))
}

/// `/bin/sh` in a terminal with a fixed prompt and no job-control surprises.
pub fn sh() -> PtyConfig {
    PtyConfig::default()
        .program("/bin/sh")
        .env("PS1", "$ ")
        .close_grace(Duration::from_millis(300))
}

/// One line of `/proc/<pid>/stat`.
#[derive(Debug, Clone)]
pub struct Stat {
    pub pid: u32,
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
    pub session: u32,
    /// Foreground process group of the process's terminal.
    pub tpgid: i64,
    pub comm: String,
}

/// Every process of the machine, as seen in `/proc`.
pub fn processes() -> Vec<Stat> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let comm = text[open + 1..close].to_owned();
        let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
        out.push(Stat {
            pid,
            state: fields[0].chars().next().unwrap(),
            ppid: fields[1].parse().unwrap(),
            pgrp: fields[2].parse().unwrap(),
            session: fields[3].parse().unwrap(),
            tpgid: fields[5].parse().unwrap(),
            comm,
        });
    }
    out
}

fn alive(stat: &Stat) -> bool {
    stat.state != 'Z' && stat.state != 'X'
}

/// Live (non-zombie) members of process group `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    processes()
        .iter()
        .filter(|p| p.pgrp == pgid && alive(p))
        .map(|p| p.pid)
        .collect()
}

/// Live (non-zombie) members of session `sid`.
pub fn session_members(sid: u32) -> Vec<u32> {
    processes()
        .iter()
        .filter(|p| p.session == sid && alive(p))
        .map(|p| p.pid)
        .collect()
}

/// `true` once a process named `comm` runs in session `sid` as the terminal's foreground
/// process group (after the shell's `fork`, `setpgid`, `tcsetpgrp` and `exec`): only then
/// does Ctrl-C reach it.
pub fn in_foreground(sid: u32, comm: &str) -> bool {
    processes()
        .iter()
        .any(|p| p.session == sid && alive(p) && p.comm == comm && i64::from(p.pgrp) == p.tpgid)
}

/// Our direct children, zombies included (a zombie child means we failed to reap it).
pub fn our_children() -> Vec<Stat> {
    let me = std::process::id();
    processes().into_iter().filter(|p| p.ppid == me).collect()
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Polls `check` every 20 ms until it holds or `PATIENCE` passes; returns whether it held.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bounds a future by `PATIENCE`, failing the test with `what` if it takes longer.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Reads output events until the accumulated text contains `needle`; returns that text.
pub async fn read_until(subscription: &mut Subscription, needle: &str) -> String {
    let mut text = String::new();
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(event) = subscription.recv().await {
            if let SessionEvent::Output(chunk) = event {
                text.push_str(chunk.text());
                if text.contains(needle) {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "{needle:?} not seen; output was {text:?}"
    );
    text
}

/// Waits for the prompt of a fresh `sh()` session.
pub async fn ready(session: &Session, subscription: &mut Subscription) {
    session.write("echo READY-$((40+2))\n").await.unwrap();
    read_until(subscription, "READY-42").await;
}
