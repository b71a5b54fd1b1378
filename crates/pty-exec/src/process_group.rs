//! Signalling whole process groups and terminal sessions, so that a timeout or a close also
//! reaches the grandchildren (`sh -c 'sleep 100 & sleep 100'`).
//!
//! One-shot commands are started with `process_group(0)`: the shell leads a new group whose
//! id is its pid, and everything it starts stays in that group unless it asks otherwise.
//! PTY sessions are started by portable-pty with `setsid()`: the shell leads a new session;
//! with job control each pipeline gets its own group inside it, so closing a session signals
//! every process of the session (found through `/proc` on Linux).

use crate::Signal;

/// A pid as the non-zero, non-init `i32` that the signal calls need. Refuses 0 and 1: 0 would
/// mean *our own* group and 1 is init.
fn target(id: u32) -> Option<nix::unistd::Pid> {
    i32::try_from(id)
        .ok()
        .filter(|id| *id > 1)
        .map(nix::unistd::Pid::from_raw)
}

/// Sends `signal` to process group `pgid`. A group that no longer exists is not an error.
///
/// # Errors
///
/// The operating system's error other than "no such process" (e.g. `EPERM`).
pub(crate) fn signal_group(pgid: u32, signal: Signal) -> std::io::Result<()> {
    let Some(group) = target(pgid) else {
        return Ok(());
    };
    match nix::sys::signal::killpg(group, signal.to_nix()) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(errno) => Err(std::io::Error::from(errno)),
    }
}

/// Sends `signal` to one process. A process that no longer exists is not an error.
pub(crate) fn signal_process(pid: u32, signal: Signal) -> std::io::Result<()> {
    let Some(process) = target(pid) else {
        return Ok(());
    };
    match nix::sys::signal::kill(process, signal.to_nix()) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(errno) => Err(std::io::Error::from(errno)),
    }
}

/// `true` if process group `pgid` still has a live member.
///
/// Zombies count as members for the kernel: orphans are reparented to init, and an init that
/// does not reap (some containers' PID 1) leaves them forever. On Linux a group that the
/// kernel still knows is therefore checked in `/proc` for a member that is not a zombie.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Some(group) = target(pgid) else {
        return false;
    };
    if matches!(
        nix::sys::signal::killpg(group, None),
        Err(nix::errno::Errno::ESRCH)
    ) {
        return false;
    }
    if !cfg!(target_os = "linux") {
        return true;
    }
    live_processes().any(|(_, stat)| stat.pgrp == pgid)
}

/// `(pid, stat)` of every process that is not a zombie (Linux; empty elsewhere).
fn live_processes() -> impl Iterator<Item = (u32, ProcStat)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, proc_stat(pid)?)))
        .filter(|(_, stat)| stat.state != 'Z' && stat.state != 'X')
}

/// The pids of the live processes of session `sid` (Linux: from `/proc`; elsewhere: empty,
/// callers also signal the groups they know).
pub(crate) fn session_members(sid: u32) -> Vec<u32> {
    // Session 0 is what `/proc` shows for processes whose session leader is outside our PID
    // namespace (ourselves included, in some sandboxes): never a session we started.
    if sid == 0 {
        return Vec::new();
    }
    live_processes()
        .filter(|(_, stat)| stat.session == sid)
        .map(|(pid, _)| pid)
        .collect()
}

/// The fields of `/proc/<pid>/stat` we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) state: char,
    pub(crate) ppid: u32,
    pub(crate) pgrp: u32,
    pub(crate) session: u32,
}

/// Reads `/proc/<pid>/stat` (Linux). `None` if the process is gone or the format unexpected.
pub(crate) fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses `pid (comm) state ppid pgrp session ...`; `comm` may hold spaces and parentheses,
/// so fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    Some(ProcStat {
        state,
        ppid,
        pgrp,
        session,
    })
}

/// Sends `signal` to every process of session `sid` and to the given groups (the session
/// leader's group and the terminal's foreground group, for systems without `/proc`).
pub(crate) fn signal_session(sid: u32, groups: &[u32], signal: Signal) {
    for group in std::iter::once(sid).chain(groups.iter().copied()) {
        if let Err(error) = signal_group(group, signal) {
            tracing::debug!(pgid = group, %signal, %error, "could not signal process group");
        }
    }
    for pid in session_members(sid) {
        if let Err(error) = signal_process(pid, signal) {
            tracing::debug!(pid, %signal, %error, "could not signal process");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_lines_with_odd_names() {
        let stat = parse_stat("1234 (my (weird) name) S 1 1234 1200 0 -1 4194560 ...").unwrap();
        assert_eq!(
            stat,
            ProcStat {
                state: 'S',
                ppid: 1,
                pgrp: 1234,
                session: 1200
            }
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_our_own_stat() {
        // Compared with the system calls rather than with 0: inside a PID namespace whose
        // session leader lives outside it (as in some CI sandboxes), both report session 0.
        let stat = proc_stat(std::process::id()).unwrap();
        assert_eq!(
            i64::from(stat.pgrp),
            i64::from(nix::unistd::getpgrp().as_raw()),
            "{stat:?}"
        );
        assert_eq!(
            i64::from(stat.session),
            i64::from(nix::unistd::getsid(None).unwrap().as_raw()),
            "{stat:?}"
        );
        assert_eq!(
            i64::from(stat.ppid),
            i64::from(nix::unistd::getppid().as_raw()),
            "{stat:?}"
        );
        assert!(matches!(stat.state, 'R' | 'S' | 'D'), "{stat:?}");
        assert!(proc_stat(u32::MAX).is_none());
    }

    #[test]
    fn refuses_our_own_group_and_init() {
        assert!(target(0).is_none());
        assert!(target(1).is_none());
        assert!(target(u32::MAX).is_none());
        assert!(signal_group(0, Signal::Kill).is_ok());
        assert!(!group_alive(0));
    }
}
