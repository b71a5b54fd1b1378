//! The one-shot command runner: policy checks, spawning in a new process group, and the
//! handle to a running command.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::execution::{CHUNK_QUEUE, Driver, Execution};
use crate::{Command, Error, Output, Policy, Result, WhenBusy};

/// Runs shell commands under a [`Policy`]: each in its own process group, with a scrubbed
/// environment, a timeout that kills the whole group (`SIGTERM`, a grace period, `SIGKILL`),
/// output capped per stream, and cancellation by dropping the future.
///
/// Cheap to clone: clones share the policy and the concurrency limit.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> pty_exec::Result<()> {
/// use std::time::Duration;
/// use pty_exec::{Command, Policy, Runner};
///
/// let runner = Runner::new(Policy::default().timeout(Duration::from_secs(10)));
/// let output = runner.run(Command::new("echo hello; echo oops >&2; exit 3")).await?;
/// assert_eq!(output.stdout, "hello\n");
/// assert_eq!(output.stderr, "oops\n");
/// assert_eq!(output.exit_code, Some(3));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Runner {
    inner: Arc<RunnerInner>,
}

#[derive(Debug, Default)]
struct RunnerInner {
    policy: Policy,
    slots: Option<Arc<Semaphore>>,
    running: Arc<AtomicUsize>,
}

/// How [`Runner::start`] treats a command: user commands obey the concurrency limit and are
/// captured; background jobs have their own limit and their own log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StartMode {
    pub(crate) limited: bool,
    pub(crate) capture: bool,
    pub(crate) stream: bool,
    /// Replaces the policy's default timeout when `Some`.
    pub(crate) default_timeout: Option<Option<Duration>>,
}

impl StartMode {
    const RUN: Self = Self {
        limited: true,
        capture: true,
        stream: false,
        default_timeout: None,
    };
}

/// Decrements the runner's count of running commands when the driver ends.
#[derive(Debug)]
pub(crate) struct RunningGuard(Arc<AtomicUsize>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Runner {
    /// A runner applying `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        let slots = policy
            .max_concurrent
            .map(|limit| Arc::new(Semaphore::new(limit)));
        Self {
            inner: Arc::new(RunnerInner {
                policy,
                slots,
                running: Arc::default(),
            }),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// Commands of this runner (and its clones) currently running, background jobs included.
    #[must_use]
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::Relaxed)
    }

    /// Runs `command` to completion and returns what it printed and how it ended.
    ///
    /// A non-zero exit, a death by signal, a timeout or a cancellation are reported in the
    /// [`Output`], not as errors. On timeout or cancellation the whole process group gets
    /// `SIGTERM`, then `SIGKILL` after the policy's grace, and the output captured so far is
    /// returned. Processes the shell left in the background are killed the same way once the
    /// shell has exited (use [`SessionManager::start_job`](crate::SessionManager::start_job)
    /// for commands that must outlive a call).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::CwdNotFound`] and [`Error::CwdOutsideRoot`] from the policy;
    /// [`Error::Busy`] at the concurrency limit with [`WhenBusy::Fail`];
    /// [`Error::Cancelled`] if the command's token is cancelled while it is queued;
    /// [`Error::SpawnFailed`] if the shell cannot be started; [`Error::Io`] if its output
    /// cannot be read; [`Error::NoRuntime`] outside a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the command's process group (`SIGTERM`, grace, `SIGKILL`, in
    /// a background task) and reaps it; its output is lost. If the runtime itself shuts down,
    /// the group gets `SIGKILL` at once.
    pub async fn run(&self, command: Command) -> Result<Output> {
        self.start(command, StartMode::RUN).await?.wait().await
    }

    /// Starts `command` and returns a handle that yields its output as it comes
    /// ([`Execution::next_chunk`], or as a `Stream`), then the [`Output`]
    /// ([`Execution::wait`]). Same rules and kill semantics as [`run`](Self::run).
    ///
    /// The output stream applies back-pressure: while the handle's chunks are not consumed,
    /// the command is not read (its pipe fills and it waits), but its time limit still runs.
    ///
    /// # Errors
    ///
    /// As for [`run`](Self::run), except for errors that happen after the start, which
    /// [`Execution::wait`] returns.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes either leaves the command unstarted (while it
    /// is queued) or kills it (the returned handle is dropped).
    pub async fn spawn(&self, command: Command) -> Result<Execution> {
        self.start(
            command,
            StartMode {
                stream: true,
                ..StartMode::RUN
            },
        )
        .await
    }

    pub(crate) async fn start(&self, command: Command, mode: StartMode) -> Result<Execution> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let policy = &self.inner.policy;
        policy.check_command(&command.cmd)?;
        let cwd = policy.resolve_cwd(command.cwd.as_deref())?;
        let cancel = command
            .cancel
            .as_ref()
            .map_or_else(CancellationToken::new, CancellationToken::child_token);
        let permit = if mode.limited {
            self.acquire_slot(&command.cmd, &cancel).await?
        } else {
            None
        };

        let shell = command.shell.as_ref().unwrap_or(&policy.shell);
        let mut child = tokio::process::Command::new(shell.program());
        child
            .args(shell.args())
            .arg(&command.cmd)
            .env_clear()
            .envs(policy.env.child_env(&command.env))
            .stdin(if command.stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = &cwd {
            child.current_dir(cwd);
        }
        #[cfg(unix)]
        child.process_group(0);
        #[cfg(windows)]
        child.creation_flags(0x0000_0200); // CREATE_NEW_PROCESS_GROUP

        let started = Instant::now();
        let child = child.spawn().map_err(|source| Error::SpawnFailed {
            command: command.cmd.clone(),
            source,
        })?;
        let pid = child.id();
        self.inner.running.fetch_add(1, Ordering::Relaxed);
        let running = RunningGuard(Arc::clone(&self.inner.running));
        tracing::debug!(pid, command = %command.cmd, "command started");

        let timeout = if command.no_timeout {
            None
        } else {
            command
                .timeout
                .or_else(|| mode.default_timeout.unwrap_or(policy.timeout))
        };
        let cap = command.max_output_bytes.unwrap_or(policy.max_output_bytes);
        let (chunk_tx, chunk_rx) = if mode.stream {
            let (tx, rx) = mpsc::channel(CHUNK_QUEUE);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let (result_tx, result_rx) = oneshot::channel();
        let driver = Driver {
            command: command.cmd.clone(),
            child,
            pid,
            stdin: command.stdin,
            timeout,
            capture_cap: mode.capture.then_some(cap),
            kill_grace: policy.kill_grace,
            leftover_grace: policy.leftover_grace,
            cancel: cancel.clone(),
            chunks: chunk_tx,
            started,
            permit,
            running,
        };
        runtime.spawn(async move {
            // The receiver is gone when the handle was dropped: nobody wants the result.
            let _ = result_tx.send(driver.run().await);
        });
        Ok(Execution::new(
            command.cmd,
            pid,
            chunk_rx,
            result_rx,
            cancel,
            started,
        ))
    }

    async fn acquire_slot(
        &self,
        command: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<OwnedSemaphorePermit>> {
        let Some(slots) = &self.inner.slots else {
            return Ok(None);
        };
        let limit = self.inner.policy.max_concurrent.unwrap_or(1);
        match self.inner.policy.when_busy {
            WhenBusy::Fail => Arc::clone(slots)
                .try_acquire_owned()
                .map(Some)
                .map_err(|_| Error::Busy { limit }),
            WhenBusy::Queue => {
                let queued = Instant::now();
                tokio::select! {
                    permit = Arc::clone(slots).acquire_owned() => {
                        permit.map(Some).map_err(|_| Error::Busy { limit })
                    }
                    () = cancel.cancelled() => Err(Error::Cancelled {
                        command: command.to_owned(),
                        waited: queued.elapsed(),
                    }),
                }
            }
        }
    }
}
