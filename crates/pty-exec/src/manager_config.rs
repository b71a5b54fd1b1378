//! Limits and timeouts of a [`SessionManager`](crate::SessionManager).

use std::time::Duration;

use crate::Runner;

/// Limits of a [`SessionManager`](crate::SessionManager): sessions, idle reaping and
/// background jobs.
///
/// ```
/// use std::time::Duration;
/// use pty_exec::{ManagerConfig, Policy, Runner};
///
/// let config = ManagerConfig::default()
///     .max_sessions(16)
///     .idle_timeout(Duration::from_secs(600))
///     .max_jobs(4)
///     .runner(Runner::new(Policy::default().deny("rm -rf /")));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ManagerConfig {
    pub(crate) max_sessions: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) reap_interval: Option<Duration>,
    pub(crate) max_jobs: usize,
    pub(crate) job_output_bytes: usize,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) finished_jobs_kept: usize,
    pub(crate) runner: Runner,
}

impl Default for ManagerConfig {
    /// 64 sessions, reaped after 30 minutes idle without subscriber; 16 running jobs with
    /// 1 MiB of log and a 1 hour limit each, 64 finished jobs kept; the default [`Runner`].
    fn default() -> Self {
        Self {
            max_sessions: 64,
            idle_timeout: Some(Duration::from_secs(30 * 60)),
            reap_interval: None,
            max_jobs: 16,
            job_output_bytes: 1 << 20,
            job_timeout: Some(Duration::from_secs(60 * 60)),
            finished_jobs_kept: 64,
            runner: Runner::default(),
        }
    }
}

impl ManagerConfig {
    /// At most `limit` sessions at a time (exited ones count until closed or reaped).
    pub fn max_sessions(mut self, limit: usize) -> Self {
        self.max_sessions = limit;
        self
    }

    /// Closes sessions that have had no subscriber and no client activity (input, resize,
    /// signal, subscription) for `timeout`; output does not keep a session alive.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Never closes idle sessions.
    pub fn no_idle_timeout(mut self) -> Self {
        self.idle_timeout = None;
        self
    }

    /// How often to look for idle sessions (default: a quarter of the idle timeout, between
    /// 10 ms and 30 s).
    pub fn reap_interval(mut self, interval: Duration) -> Self {
        self.reap_interval = Some(interval);
        self
    }

    /// At most `limit` background jobs running at a time.
    pub fn max_jobs(mut self, limit: usize) -> Self {
        self.max_jobs = limit;
        self
    }

    /// Bytes of output kept per background job (the most recent ones).
    pub fn job_output_bytes(mut self, bytes: usize) -> Self {
        self.job_output_bytes = bytes;
        self
    }

    /// Time limit of a background job whose command sets none (replaces the runner
    /// policy's default, which is meant for calls that wait).
    pub fn job_timeout(mut self, timeout: Duration) -> Self {
        self.job_timeout = Some(timeout);
        self
    }

    /// Background jobs run without time limit unless their command sets one.
    pub fn no_job_timeout(mut self) -> Self {
        self.job_timeout = None;
        self
    }

    /// Finished background jobs kept for reading (the oldest are forgotten first).
    pub fn finished_jobs_kept(mut self, count: usize) -> Self {
        self.finished_jobs_kept = count;
        self
    }

    /// The runner (and so the policy) background jobs use.
    pub fn runner(mut self, runner: Runner) -> Self {
        self.runner = runner;
        self
    }

    pub(crate) fn effective_reap_interval(&self) -> Option<Duration> {
        let timeout = self.idle_timeout?;
        Some(self.reap_interval.unwrap_or_else(|| {
            (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(30))
        }))
    }
}
