//! Named terminal sessions that outlive their clients, and background jobs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::fanout::lock;
use crate::ids::validate_name;
use crate::jobs::Job;
use crate::runner::StartMode;
use crate::{
    Command, Error, ExitStatus, JobId, JobInfo, JobOutput, ManagerConfig, PtyConfig, Result,
    Session, SessionId, SessionInfo,
};

/// Extra time [`SessionManager::kill_job`] waits beyond the policy's kill grace.
const KILL_JOB_SLACK: Duration = Duration::from_secs(5);

/// Keeps terminal [`Session`]s by id and optional name, so that a client that disconnects
/// (a WebSocket closing) finds its session again, and runs background jobs.
///
/// - Sessions: [`create`](Self::create) / [`create_named`](Self::create_named),
///   [`get`](Self::get) by id or name, [`list`](Self::list), [`close`](Self::close),
///   [`close_all`](Self::close_all); at most [`ManagerConfig::max_sessions`]; sessions with
///   no subscriber and no client activity for [`ManagerConfig::idle_timeout`] are closed by a
///   background task (or by [`reap_idle`](Self::reap_idle)).
/// - Jobs: [`start_job`](Self::start_job) runs a one-shot command detached from the caller,
///   keeps its output in a capped log read by cursor ([`read_job`](Self::read_job)), keeps
///   its exit status after it ends, and can be killed ([`kill_job`](Self::kill_job)).
///
/// Thread-safe and cheap to clone. When the last clone is dropped, running jobs are killed
/// and sessions closed (`SIGKILL`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> pty_exec::Result<()> {
/// use pty_exec::{Command, ManagerConfig, PtyConfig, SessionManager};
///
/// let manager = SessionManager::new(ManagerConfig::default());
/// let session = manager.create_named("build", PtyConfig::default().program("/bin/sh"))?;
/// assert_eq!(manager.get("build")?.id(), session.id());
/// assert_eq!(manager.list().len(), 1);
///
/// let job = manager.start_job(Command::new("echo started; sleep 0.1; echo done")).await?;
/// manager.wait_job(&job).await?;
/// assert_eq!(manager.read_job(&job, 0)?.text, "started\ndone\n");
///
/// manager.close_all().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionManager {
    inner: Arc<ManagerInner>,
}

#[derive(Debug)]
struct ManagerInner {
    config: ManagerConfig,
    sessions: Mutex<HashMap<SessionId, Session>>,
    jobs: Mutex<Vec<Arc<Job>>>,
    running_jobs: Arc<AtomicUsize>,
    shutdown: CancellationToken,
}

impl Drop for ManagerInner {
    fn drop(&mut self) {
        self.shutdown.cancel();
        for job in lock(&self.jobs).iter() {
            job.kill();
        }
        // Sessions are killed as the map drops their last handles.
    }
}

impl SessionManager {
    /// A manager with `config`. Inside a tokio runtime, also starts the idle reaper task
    /// (which stops when the last clone of the manager is dropped).
    #[must_use]
    pub fn new(config: ManagerConfig) -> Self {
        let interval = config.effective_reap_interval();
        let manager = Self {
            inner: Arc::new(ManagerInner {
                config,
                sessions: Mutex::default(),
                jobs: Mutex::default(),
                running_jobs: Arc::default(),
                shutdown: CancellationToken::new(),
            }),
        };
        if let (Some(interval), Ok(runtime)) = (interval, tokio::runtime::Handle::try_current()) {
            runtime.spawn(reaper(
                Arc::downgrade(&manager.inner),
                manager.inner.shutdown.clone(),
                interval,
            ));
        }
        manager
    }

    /// The configuration.
    pub fn config(&self) -> &ManagerConfig {
        &self.inner.config
    }

    /// Starts a session without a name.
    ///
    /// # Errors
    ///
    /// [`Error::SessionLimit`], and the errors of [`Session::spawn`].
    pub fn create(&self, config: PtyConfig) -> Result<Session> {
        self.create_inner(config, None)
    }

    /// Starts a session that can also be found by `name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] unless `name` is 1 to 64 characters from `A-Z a-z 0-9 - _ .`;
    /// [`Error::NameTaken`] if a session has it; [`Error::SessionLimit`]; the errors of
    /// [`Session::spawn`].
    pub fn create_named(&self, name: impl Into<String>, config: PtyConfig) -> Result<Session> {
        let name = name.into();
        validate_name(&name)?;
        self.create_inner(config, Some(name))
    }

    fn create_inner(&self, config: PtyConfig, name: Option<String>) -> Result<Session> {
        self.check_room(name.as_deref())?;
        let session = Session::spawn_named(config, name)?;
        let mut sessions = lock(&self.inner.sessions);
        // Checked again: another caller may have won the race while we spawned. Dropping
        // `session` kills it.
        check_room(&sessions, self.inner.config.max_sessions, session.name())?;
        sessions.insert(session.id().clone(), session.clone());
        drop(sessions);
        tracing::debug!(session_id = %session.id(), "session registered");
        Ok(session)
    }

    fn check_room(&self, name: Option<&str>) -> Result<()> {
        check_room(
            &lock(&self.inner.sessions),
            self.inner.config.max_sessions,
            name,
        )
    }

    /// The session with this id or name.
    ///
    /// # Errors
    ///
    /// [`Error::SessionNotFound`].
    pub fn get(&self, id_or_name: &str) -> Result<Session> {
        let sessions = lock(&self.inner.sessions);
        find(&sessions, id_or_name)
            .cloned()
            .ok_or_else(|| Error::SessionNotFound {
                id: id_or_name.to_owned(),
            })
    }

    /// All sessions, oldest first.
    #[must_use]
    pub fn list(&self) -> Vec<SessionInfo> {
        let sessions: Vec<Session> = lock(&self.inner.sessions).values().cloned().collect();
        let mut infos: Vec<SessionInfo> = sessions.iter().map(Session::info).collect();
        infos.sort_by_key(|info| info.created);
        infos
    }

    /// Number of sessions.
    #[must_use]
    pub fn len(&self) -> usize {
        lock(&self.inner.sessions).len()
    }

    /// `true` without sessions.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes the session and [closes](Session::close) it.
    ///
    /// # Errors
    ///
    /// [`Error::SessionNotFound`].
    ///
    /// # Cancel safety
    ///
    /// The session is removed at once; if the future is dropped, it is killed when its last
    /// handle goes.
    pub async fn close(&self, id_or_name: &str) -> Result<Option<ExitStatus>> {
        let session = {
            let mut sessions = lock(&self.inner.sessions);
            let id = find(&sessions, id_or_name)
                .map(|session| session.id().clone())
                .ok_or_else(|| Error::SessionNotFound {
                    id: id_or_name.to_owned(),
                })?;
            sessions.remove(&id)
        };
        Ok(match session {
            Some(session) => session.close().await,
            None => None,
        })
    }

    /// Closes every session (concurrently) and returns how many there were.
    ///
    /// # Cancel safety
    ///
    /// As for [`close`](Self::close).
    pub async fn close_all(&self) -> usize {
        let sessions: Vec<Session> = lock(&self.inner.sessions)
            .drain()
            .map(|(_, session)| session)
            .collect();
        let count = sessions.len();
        futures_util::future::join_all(sessions.iter().map(Session::close)).await;
        count
    }

    /// Closes the sessions that have had no subscriber and no client activity for the idle
    /// timeout; returns their ids. The background reaper calls this periodically.
    ///
    /// # Cancel safety
    ///
    /// As for [`close`](Self::close).
    pub async fn reap_idle(&self) -> Vec<SessionId> {
        let Some(timeout) = self.inner.config.idle_timeout else {
            return Vec::new();
        };
        let idle: Vec<Session> = {
            let mut sessions = lock(&self.inner.sessions);
            let ids: Vec<SessionId> = sessions
                .values()
                .filter(|s| s.subscribers() == 0 && s.idle_for() >= timeout)
                .map(|s| s.id().clone())
                .collect();
            ids.iter().filter_map(|id| sessions.remove(id)).collect()
        };
        for session in &idle {
            tracing::info!(session_id = %session.id(), "closing idle session");
        }
        futures_util::future::join_all(idle.iter().map(Session::close)).await;
        idle.iter().map(|s| s.id().clone()).collect()
    }

    /// Starts `command` as a background job and returns its id at once. The job runs under
    /// the manager's [`Runner`](crate::Runner) policy (deny patterns, environment, working
    /// directory) but not its concurrency limit; its time limit is the command's, else
    /// [`ManagerConfig::job_timeout`]. Its output goes to a log of
    /// [`ManagerConfig::job_output_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::JobLimit`] when [`ManagerConfig::max_jobs`] jobs are running; the errors of
    /// [`Runner::run`](crate::Runner::run) that prevent starting.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the job either did not start or is
    /// killed.
    pub async fn start_job(&self, command: Command) -> Result<JobId> {
        let config = &self.inner.config;
        let limit = config.max_jobs;
        self.inner
            .running_jobs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .map_err(|_| Error::JobLimit { limit })?;
        let slot = JobSlot(Arc::clone(&self.inner.running_jobs));

        let kill = command
            .cancel
            .as_ref()
            .map_or_else(CancellationToken::new, CancellationToken::child_token);
        let command_line = command.cmd.clone();
        let mode = StartMode {
            limited: false,
            capture: false,
            stream: true,
            default_timeout: Some(config.job_timeout),
        };
        let mut execution = config
            .runner
            .start(command.cancel_token(kill.clone()), mode)
            .await?;
        let job = Arc::new(Job::new(
            JobId::generate(),
            command_line,
            execution.pid(),
            config.job_output_bytes,
            kill,
        ));
        let id = job.id.clone();
        self.insert_job(Arc::clone(&job));
        tracing::debug!(job_id = %id, pid = execution.pid(), "job started");
        tokio::spawn(async move {
            let _slot = slot;
            while let Some(chunk) = execution.next_chunk().await {
                job.append(&chunk.data);
            }
            job.finish(execution.wait().await);
        });
        Ok(id)
    }

    fn insert_job(&self, job: Arc<Job>) {
        let mut jobs = lock(&self.inner.jobs);
        jobs.push(job);
        // Forget the oldest finished jobs beyond the limit.
        let finished = jobs.iter().filter(|job| !job.is_running()).count();
        let mut excess = finished.saturating_sub(self.inner.config.finished_jobs_kept);
        jobs.retain(|job| {
            if excess > 0 && !job.is_running() {
                excess -= 1;
                false
            } else {
                true
            }
        });
    }

    fn job(&self, id: &str) -> Result<Arc<Job>> {
        lock(&self.inner.jobs)
            .iter()
            .find(|job| job.id.as_str() == id)
            .cloned()
            .ok_or_else(|| Error::JobNotFound { id: id.to_owned() })
    }

    /// The job's output from byte offset `since` (0 for everything kept), and its state.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    pub fn read_job(&self, id: &JobId, since: u64) -> Result<JobOutput> {
        Ok(self.job(id.as_str())?.read(since))
    }

    /// Waits until job `id` has written more than `since` bytes (a cursor from
    /// [`read_job`](Self::read_job)) or has ended, at most `limit`; then `read_job` has
    /// something new, unless the time ran out. Woken by the output itself, not by polling.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it only observes).
    pub async fn wait_job_output(&self, id: &JobId, since: u64, limit: Duration) -> Result<()> {
        let job = self.job(id.as_str())?;
        job.output_after(since, limit).await;
        Ok(())
    }

    /// The job's state.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    pub fn job_info(&self, id: &JobId) -> Result<JobInfo> {
        Ok(self.job(id.as_str())?.info())
    }

    /// All jobs kept, oldest first.
    #[must_use]
    pub fn list_jobs(&self) -> Vec<JobInfo> {
        let jobs: Vec<Arc<Job>> = lock(&self.inner.jobs).clone();
        jobs.iter().map(|job| job.info()).collect()
    }

    /// Waits for the job to end and returns its state.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it only observes).
    pub async fn wait_job(&self, id: &JobId) -> Result<JobInfo> {
        let job = self.job(id.as_str())?;
        job.ended(None).await;
        Ok(job.info())
    }

    /// Kills the job's process group (`SIGTERM`, grace, `SIGKILL`) and waits for it to end
    /// (at most the policy's kill grace plus 5 s). Its log and state stay readable.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    ///
    /// # Cancel safety
    ///
    /// The kill is under way as soon as the future is first polled.
    pub async fn kill_job(&self, id: &JobId) -> Result<JobInfo> {
        let job = self.job(id.as_str())?;
        job.kill();
        let grace = self.inner.config.runner.policy().kill_grace;
        job.ended(Some(grace + KILL_JOB_SLACK)).await;
        Ok(job.info())
    }

    /// Forgets the job, killing it first if it runs.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`].
    pub fn remove_job(&self, id: &JobId) -> Result<()> {
        let mut jobs = lock(&self.inner.jobs);
        let index = jobs
            .iter()
            .position(|job| job.id == *id)
            .ok_or_else(|| Error::JobNotFound { id: id.to_string() })?;
        jobs.remove(index).kill();
        Ok(())
    }
}

/// Frees a running-job slot when the job's task ends.
struct JobSlot(Arc<AtomicUsize>);

impl Drop for JobSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn find<'a>(sessions: &'a HashMap<SessionId, Session>, key: &str) -> Option<&'a Session> {
    sessions
        .values()
        .find(|s| s.id().as_str() == key)
        .or_else(|| sessions.values().find(|s| s.name() == Some(key)))
}

fn check_room(
    sessions: &HashMap<SessionId, Session>,
    limit: usize,
    name: Option<&str>,
) -> Result<()> {
    if sessions.len() >= limit {
        return Err(Error::SessionLimit { limit });
    }
    if let Some(name) = name
        && sessions.values().any(|s| s.name() == Some(name))
    {
        return Err(Error::NameTaken {
            name: name.to_owned(),
        });
    }
    Ok(())
}

async fn reaper(manager: Weak<ManagerInner>, shutdown: CancellationToken, interval: Duration) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
        let Some(inner) = manager.upgrade() else {
            return;
        };
        SessionManager { inner }.reap_idle().await;
    }
}
