//! Background jobs: one-shot commands that outlive the call that started them, with their
//! output kept in a capped log read by cursor.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::byte_ring::ByteRing;
use crate::fanout::lock;
use crate::output::serialize_seconds;
use crate::session_info::unix_millis;
use crate::utf8_decoder::{decode_all, incomplete_suffix_len, leading_continuation_len};
use crate::{ExitStatus, JobId, Output, Result};

/// A background job as listed by
/// [`SessionManager::list_jobs`](crate::SessionManager::list_jobs).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// The job's id.
    pub id: JobId,
    /// The command line.
    pub command: String,
    /// The shell's process id (also its process group id on Unix).
    pub pid: Option<u32>,
    /// When it started (serialized as Unix time in milliseconds).
    #[serde(serialize_with = "unix_millis")]
    pub started: SystemTime,
    /// Time it ran so far, or in all once ended (serialized in seconds).
    #[serde(serialize_with = "serialize_seconds")]
    pub elapsed: Duration,
    /// Still running.
    pub running: bool,
    /// How it ended, once it has.
    pub exit: Option<ExitStatus>,
    /// It was killed at its time limit.
    pub timed_out: bool,
    /// It was killed by [`kill_job`](crate::SessionManager::kill_job) (or its token).
    pub killed: bool,
    /// Bytes of output (stdout and stderr) so far, kept or not.
    pub total_bytes: u64,
}

/// Output of a background job from a cursor on, as returned by
/// [`SessionManager::read_job`](crate::SessionManager::read_job).
///
/// The job's stdout and stderr are interleaved in the order they were read, like in a
/// terminal. Offsets count bytes since the job started; pass `next` as the next call's
/// `since` to read only new output. While the job runs, an incomplete character at the end
/// is left for the next read, so `text` never splits a character.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JobOutput {
    /// The job's id.
    pub id: JobId,
    /// The output from `since` to `next`, as text (invalid bytes as U+FFFD).
    pub text: String,
    /// Base64 of the same bytes, present only when `text` is lossy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// The same bytes (not serialized).
    #[serde(skip)]
    pub bytes: Bytes,
    /// Offset of the first byte returned (after `missed_bytes`).
    pub since: u64,
    /// Offset to pass to the next read.
    pub next: u64,
    /// Bytes between the requested cursor and `since` that are no longer kept (the log
    /// keeps only the last [`ManagerConfig::job_output_bytes`](crate::ManagerConfig::job_output_bytes)).
    pub missed_bytes: u64,
    /// Still running.
    pub running: bool,
    /// How it ended, once it has.
    pub exit: Option<ExitStatus>,
    /// It was killed at its time limit.
    pub timed_out: bool,
    /// It was killed on request.
    pub killed: bool,
}

/// A background job's shared state.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: JobId,
    command: String,
    pid: Option<u32>,
    started: SystemTime,
    started_at: Instant,
    log: Mutex<ByteRing>,
    state: Mutex<JobState>,
    done: watch::Sender<bool>,
    /// Bytes written to the log so far, for readers waiting on new output.
    written: watch::Sender<u64>,
    kill: CancellationToken,
}

#[derive(Debug, Default)]
struct JobState {
    running: bool,
    exit: Option<ExitStatus>,
    timed_out: bool,
    killed: bool,
    elapsed: Option<Duration>,
}

impl Job {
    pub(crate) fn new(
        id: JobId,
        command: String,
        pid: Option<u32>,
        log_bytes: usize,
        kill: CancellationToken,
    ) -> Self {
        Self {
            id,
            command,
            pid,
            started: SystemTime::now(),
            started_at: Instant::now(),
            log: Mutex::new(ByteRing::new(log_bytes)),
            state: Mutex::new(JobState {
                running: true,
                ..JobState::default()
            }),
            done: watch::channel(false).0,
            written: watch::channel(0).0,
            kill,
        }
    }

    pub(crate) fn append(&self, data: &[u8]) {
        let total = {
            let mut log = lock(&self.log);
            log.push(data);
            log.total()
        };
        self.written.send_replace(total);
    }

    /// Records the end of the job; `output` is the runner's result (its capture is empty:
    /// the log has the output).
    pub(crate) fn finish(&self, output: Result<Output>) {
        let mut state = lock(&self.state);
        state.running = false;
        state.elapsed = Some(self.started_at.elapsed());
        match output {
            Ok(output) => {
                state.exit = Some(output.exit_status());
                state.timed_out = output.timed_out;
                state.killed = output.cancelled;
            }
            Err(error) => {
                tracing::warn!(job_id = %self.id, error = &error as &dyn std::error::Error, "background job failed");
                state.exit = Some(ExitStatus::unknown());
            }
        }
        drop(state);
        self.done.send_replace(true);
    }

    pub(crate) fn is_running(&self) -> bool {
        lock(&self.state).running
    }

    pub(crate) fn kill(&self) {
        self.kill.cancel();
    }

    /// Waits until the job has ended, at most `limit` if given.
    pub(crate) async fn ended(&self, limit: Option<Duration>) {
        let mut done = self.done.subscribe();
        let ended = done.wait_for(|done| *done);
        match limit {
            Some(limit) => drop(tokio::time::timeout(limit, ended).await),
            None => drop(ended.await),
        }
    }

    /// Waits until more than `since` bytes have been written or the job has ended, at most
    /// `limit`.
    pub(crate) async fn output_after(&self, since: u64, limit: Duration) {
        let mut written = self.written.subscribe();
        let mut done = self.done.subscribe();
        let wait = async {
            tokio::select! {
                _ = written.wait_for(|total| *total > since) => {}
                _ = done.wait_for(|done| *done) => {}
            }
        };
        drop(tokio::time::timeout(limit, wait).await);
    }

    pub(crate) fn info(&self) -> JobInfo {
        let total_bytes = lock(&self.log).total();
        let state = lock(&self.state);
        JobInfo {
            id: self.id.clone(),
            command: self.command.clone(),
            pid: self.pid,
            started: self.started,
            elapsed: state.elapsed.unwrap_or_else(|| self.started_at.elapsed()),
            running: state.running,
            exit: state.exit,
            timed_out: state.timed_out,
            killed: state.killed,
            total_bytes,
        }
    }

    /// The output from byte offset `since` on.
    pub(crate) fn read(&self, since: u64) -> JobOutput {
        // State first: if the job has ended, the log is complete.
        let (running, exit, timed_out, killed) = {
            let state = lock(&self.state);
            (state.running, state.exit, state.timed_out, state.killed)
        };
        let log = lock(&self.log);
        let (first, total) = (log.first_offset(), log.total());
        let since = since.min(total);
        let start = since.max(first);
        let mut bytes = Vec::new();
        log.copy_from(
            usize::try_from(start - first).unwrap_or(usize::MAX),
            &mut bytes,
        );
        drop(log);
        // Never start inside a character (only possible after the log dropped its head, or
        // with a cursor we did not hand out), never end inside one while more may come.
        let skip = leading_continuation_len(&bytes);
        let hold = if running {
            incomplete_suffix_len(&bytes[skip..])
        } else {
            0
        };
        let kept = &bytes[skip..bytes.len() - hold];
        let (text, lossy) = decode_all(kept);
        let from = start + skip as u64;
        JobOutput {
            id: self.id.clone(),
            text,
            base64: lossy.then(|| base64::engine::general_purpose::STANDARD.encode(kept)),
            since: from,
            next: from + kept.len() as u64,
            bytes: Bytes::copy_from_slice(kept),
            missed_bytes: from - since,
            running,
            exit,
            timed_out,
            killed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(log_bytes: usize) -> Job {
        Job::new(
            JobId::generate(),
            "test".into(),
            None,
            log_bytes,
            CancellationToken::new(),
        )
    }

    #[test]
    fn reads_by_cursor() {
        let job = job(1024);
        job.append(b"hello ");
        let first = job.read(0);
        assert_eq!(
            (first.text.as_str(), first.since, first.next),
            ("hello ", 0, 6)
        );
        job.append(b"world");
        let second = job.read(first.next);
        assert_eq!(second.text, "world");
        assert_eq!(second.next, 11);
        assert_eq!(job.read(second.next).text, "");
        assert_eq!(
            job.read(999).next,
            11,
            "a cursor past the end reads nothing"
        );
        assert!(second.running);
    }

    #[test]
    fn a_capped_log_reports_missed_bytes_and_keeps_characters_whole() {
        let job = job(5);
        job.append("ab€€".as_bytes()); // 8 bytes; keeps 0x82 0xAC then €
        let out = job.read(0);
        assert_eq!(out.text, "€");
        assert_eq!(out.missed_bytes, 5);
        assert_eq!((out.since, out.next), (5, 8));
        assert!(out.base64.is_none());
    }

    #[test]
    fn an_incomplete_character_waits_while_running() {
        let job = job(64);
        job.append(b"x\xe2\x82");
        let out = job.read(0);
        assert_eq!((out.text.as_str(), out.next), ("x", 1));
        job.append(b"\xac");
        assert_eq!(job.read(out.next).text, "€");
    }

    #[test]
    fn invalid_bytes_come_with_base64() {
        let job = job(64);
        job.append(b"\xffok");
        job.finish(Ok(Output::new(
            "x".into(),
            Default::default(),
            Default::default(),
            ExitStatus::from_code(0),
            Duration::ZERO,
            None,
        )));
        let out = job.read(0);
        assert_eq!(out.text, "\u{FFFD}ok");
        assert_eq!(out.base64.as_deref(), Some("/29r"));
        assert!(!out.running);
        assert_eq!(out.exit, Some(ExitStatus::from_code(0)));
    }
}
