//! A running one-shot command: the handle callers hold ([`Execution`]) and the task that
//! drives the child ([`Driver`]): reads both pipes, enforces the time limit, kills the group.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

#[cfg(unix)]
use crate::Signal;
use crate::output_capture::{Captured, OutputCapture};
use crate::runner::RunningGuard;
use crate::utf8_decoder::Utf8Decoder;
use crate::{Error, ExitStatus, Output, Result};

/// Chunks buffered between the driver and a slow consumer of [`Execution`].
pub(crate) const CHUNK_QUEUE: usize = 64;
/// Size of each pipe read.
const READ_SIZE: usize = 64 * 1024;
/// After `SIGKILL`, how long to wait for the pipes to close before giving up on them (a
/// process that left the group may still hold them).
const PIPE_GIVE_UP: Duration = Duration::from_secs(2);

/// Which output stream a [`Chunk`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OutputStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A piece of output of a running command, as read from its pipe.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Chunk {
    /// Which stream.
    pub stream: OutputStream,
    /// The bytes read.
    pub data: Bytes,
    /// The text decoded so far on this stream: a character split between two reads is held
    /// back and appears whole in the next chunk; invalid bytes become U+FFFD.
    pub text: String,
}

/// A command started with [`Runner::spawn`](crate::Runner::spawn).
///
/// Yields the output as it is read ([`next_chunk`](Self::next_chunk), or as a
/// [`Stream`] of [`Chunk`]s), then the [`Output`] ([`wait`](Self::wait)), which holds
/// everything regardless of what was consumed as chunks. Dropping the handle kills the
/// command's process group (`SIGTERM`, grace, `SIGKILL`).
#[derive(Debug)]
pub struct Execution {
    command: String,
    pid: Option<u32>,
    started: Instant,
    chunks: Option<mpsc::Receiver<Chunk>>,
    result: Option<oneshot::Receiver<Result<Output>>>,
    cancel: CancellationToken,
}

impl Execution {
    pub(crate) fn new(
        command: String,
        pid: Option<u32>,
        chunks: Option<mpsc::Receiver<Chunk>>,
        result: oneshot::Receiver<Result<Output>>,
        cancel: CancellationToken,
        started: Instant,
    ) -> Self {
        Self {
            command,
            pid,
            started,
            chunks,
            result: Some(result),
            cancel,
        }
    }

    /// The shell's process id (also its process group id on Unix).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The command line.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The next piece of output, or `None` once both streams are closed.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a chunk is removed from the queue only when this future completes.
    pub async fn next_chunk(&mut self) -> Option<Chunk> {
        self.chunks.as_mut()?.recv().await
    }

    /// Kills the command's process group (`SIGTERM`, grace, `SIGKILL`); [`wait`](Self::wait)
    /// then returns an [`Output`] with `cancelled: true`. Does nothing if it already ended.
    pub fn kill(&self) {
        self.cancel.cancel();
    }

    /// A token that kills the command when cancelled, for another task to hold.
    #[must_use]
    pub fn kill_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Waits for the command to end and returns its [`Output`]. Chunks not yet consumed are
    /// discarded (the `Output` has them).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the output could not be read or the process not waited for.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the command, like dropping the handle.
    pub async fn wait(mut self) -> Result<Output> {
        if let Some(chunks) = &mut self.chunks {
            chunks.close();
        }
        let Some(result) = self.result.take() else {
            return Err(self.lost());
        };
        let output = result.await;
        // Finished: nothing left to kill when the handle drops.
        self.cancel = CancellationToken::new();
        output.unwrap_or_else(|_| Err(self.lost()))
    }

    fn lost(&self) -> Error {
        Error::Io {
            command: self.command.clone(),
            elapsed: self.started.elapsed(),
            source: std::io::Error::other("the task driving the command ended without a result"),
        }
    }
}

impl Stream for Execution {
    type Item = Chunk;

    /// # Cancel safety
    ///
    /// Like [`Execution::next_chunk`].
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        match self.chunks.as_mut() {
            Some(chunks) => chunks.poll_recv(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for Execution {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Sends `SIGKILL` to the group if the driver is dropped before it finished (the runtime
/// shut down): the last line of defence against leaked processes.
struct GroupGuard {
    pid: Option<u32>,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.pid {
            let _ = crate::process_group::signal_group(pid, Signal::Kill);
        }
        // Without process groups, `kill_on_drop` ends the shell alone.
        #[cfg(not(unix))]
        let _ = self.pid;
    }
}

/// Where the driver is in ending the command.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Running,
    /// `SIGTERM` sent; `SIGKILL` at the instant.
    Terminating(Instant),
    /// `SIGKILL` sent; stop waiting for the pipes at the instant.
    Killed(Instant),
}

/// Owns the child and everything needed to run it to the end.
pub(crate) struct Driver {
    pub(crate) command: String,
    pub(crate) child: tokio::process::Child,
    pub(crate) pid: Option<u32>,
    pub(crate) stdin: Option<Bytes>,
    pub(crate) timeout: Option<Duration>,
    /// `None`: count bytes only (background jobs keep their own log).
    pub(crate) capture_cap: Option<usize>,
    pub(crate) kill_grace: Duration,
    pub(crate) leftover_grace: Duration,
    pub(crate) cancel: CancellationToken,
    pub(crate) chunks: Option<mpsc::Sender<Chunk>>,
    pub(crate) started: Instant,
    pub(crate) permit: Option<OwnedSemaphorePermit>,
    pub(crate) running: RunningGuard,
}

/// One stream's state in the driver.
struct Pipe<R> {
    reader: Option<R>,
    buf: Vec<u8>,
    capture: Option<OutputCapture>,
    total: u64,
    decoder: Utf8Decoder,
    kind: OutputStream,
}

impl<R: AsyncRead + Unpin> Pipe<R> {
    fn new(reader: Option<R>, cap: Option<usize>, kind: OutputStream) -> Self {
        Self {
            reader,
            buf: vec![0; READ_SIZE],
            capture: cap.map(OutputCapture::new),
            total: 0,
            decoder: Utf8Decoder::default(),
            kind,
        }
    }

    /// Reads once; `Ok(0)` at end of stream. Pending forever once closed (the caller also
    /// disables the branch).
    async fn read(&mut self) -> std::io::Result<usize> {
        match &mut self.reader {
            Some(reader) => reader.read(&mut self.buf).await,
            None => std::future::pending().await,
        }
    }

    /// Records `n` bytes just read; returns them as a chunk when streaming.
    fn record(&mut self, n: usize, stream: bool) -> Option<Chunk> {
        let data = &self.buf[..n];
        self.total += n as u64;
        if let Some(capture) = &mut self.capture {
            capture.push(data);
        }
        stream.then(|| Chunk {
            stream: self.kind,
            data: Bytes::copy_from_slice(data),
            text: self.decoder.decode(data),
        })
    }

    fn finish(self) -> Captured {
        match self.capture {
            Some(capture) => capture.finish(),
            None => Captured {
                total: self.total,
                ..Captured::default()
            },
        }
    }
}

async fn reserve(chunks: &Option<mpsc::Sender<Chunk>>) -> Option<mpsc::Permit<'_, Chunk>> {
    match chunks {
        Some(chunks) => chunks.reserve().await.ok(),
        None => std::future::pending().await,
    }
}

impl Driver {
    pub(crate) async fn run(self) -> Result<Output> {
        let Driver {
            command,
            mut child,
            pid,
            stdin,
            timeout,
            capture_cap,
            kill_grace,
            leftover_grace,
            cancel,
            mut chunks,
            started,
            permit,
            running,
        } = self;
        let guard = GroupGuard { pid };
        if let (Some(input), Some(mut writer)) = (stdin, child.stdin.take()) {
            tokio::spawn(async move {
                // A command that does not read its input closes the pipe: not an error.
                if let Err(error) = writer.write_all(&input).await {
                    tracing::debug!(%error, "stdin not fully written");
                }
            });
        }
        let mut stdout = Pipe::new(child.stdout.take(), capture_cap, OutputStream::Stdout);
        let mut stderr = Pipe::new(child.stderr.take(), capture_cap, OutputStream::Stderr);
        let deadline = timeout.and_then(|t| started.checked_add(t));
        let mut status: Option<ExitStatus> = None;
        let mut exited_at: Option<Instant> = None;
        let mut phase = Phase::Running;
        let (mut timed_out, mut cancelled) = (false, false);
        let mut pending: Option<Chunk> = None;

        loop {
            let open = stdout.reader.is_some() || stderr.reader.is_some();
            if status.is_some() && !open && pending.is_none() {
                break;
            }
            let timer = match phase {
                Phase::Running => match exited_at {
                    None => deadline,
                    // Exited, but something it started still holds the pipes open.
                    Some(at) if open => Some(at + leftover_grace),
                    Some(_) => None,
                },
                Phase::Terminating(at) | Phase::Killed(at) => Some(at),
            };
            let reading = pending.is_none();
            let mut stop_streaming = false;
            tokio::select! {
                read = stdout.read(), if reading && stdout.reader.is_some() => {
                    match read {
                        Ok(0) => stdout.reader = None,
                        Ok(n) => pending = stdout.record(n, chunks.is_some()),
                        Err(error) => {
                            tracing::debug!(%error, "stdout read failed");
                            stdout.reader = None;
                        }
                    }
                }
                read = stderr.read(), if reading && stderr.reader.is_some() => {
                    match read {
                        Ok(0) => stderr.reader = None,
                        Ok(n) => pending = stderr.record(n, chunks.is_some()),
                        Err(error) => {
                            tracing::debug!(%error, "stderr read failed");
                            stderr.reader = None;
                        }
                    }
                }
                permit = reserve(&chunks), if pending.is_some() => {
                    match (permit, pending.take()) {
                        (Some(permit), Some(chunk)) => permit.send(chunk),
                        // The handle stopped listening (dropped, or waiting for the end).
                        _ => stop_streaming = true,
                    }
                }
                waited = child.wait(), if status.is_none() => {
                    exited_at = Some(Instant::now());
                    status = Some(match waited {
                        Ok(status) => ExitStatus::from_std(status),
                        Err(source) => {
                            return Err(Error::Io {
                                command,
                                elapsed: started.elapsed(),
                                source,
                            });
                        }
                    });
                }
                () = cancel.cancelled(), if matches!(phase, Phase::Running) => {
                    cancelled = status.is_none();
                    phase = terminate(&mut child, pid, kill_grace);
                }
                () = sleep_until(timer), if timer.is_some() => {
                    phase = match phase {
                        Phase::Running => {
                            if status.is_none() {
                                timed_out = true;
                            } else {
                                tracing::debug!(pid, "killing processes left holding the output");
                            }
                            terminate(&mut child, pid, kill_grace)
                        }
                        Phase::Terminating(_) => kill(&mut child, pid),
                        Phase::Killed(_) => {
                            // Something outside the group holds the pipes: stop reading.
                            tracing::warn!(pid, "output still open after SIGKILL; giving up on it");
                            stdout.reader = None;
                            stderr.reader = None;
                            if status.is_none() {
                                status = Some(ExitStatus::unknown());
                            }
                            phase
                        }
                    };
                }
            }
            if stop_streaming {
                chunks = None;
            }
        }

        finish_group(pid, phase, kill_grace).await;
        drop(guard);
        drop(permit);
        drop(running);
        let duration = started.elapsed();
        let status = status.unwrap_or_else(ExitStatus::unknown);
        tracing::debug!(pid, %status, timed_out, cancelled, ?duration, "command ended");
        let mut output = Output::new(
            command,
            stdout.finish(),
            stderr.finish(),
            status,
            duration,
            pid,
        );
        output.timed_out = timed_out;
        output.cancelled = cancelled;
        Ok(output)
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// `SIGTERM` to the group; `SIGKILL` follows after `grace`.
fn terminate(child: &mut tokio::process::Child, pid: Option<u32>, grace: Duration) -> Phase {
    #[cfg(unix)]
    {
        let _ = child;
        if let Some(pid) = pid
            && let Err(error) = crate::process_group::signal_group(pid, Signal::Terminate)
        {
            tracing::warn!(pid, %error, "could not send SIGTERM to the process group");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (pid, child.start_kill());
    }
    Phase::Terminating(Instant::now() + grace)
}

/// `SIGKILL` to the group.
fn kill(child: &mut tokio::process::Child, pid: Option<u32>) -> Phase {
    #[cfg(unix)]
    if let Some(pid) = pid
        && let Err(error) = crate::process_group::signal_group(pid, Signal::Kill)
    {
        tracing::warn!(pid, %error, "could not send SIGKILL to the process group");
    }
    let _ = (pid, child.start_kill());
    Phase::Killed(Instant::now() + PIPE_GIVE_UP)
}

/// After the shell is reaped and the pipes are closed, makes sure no member of its group is
/// left (background processes that closed their output): `SIGTERM`, grace, `SIGKILL`.
///
/// The group id stays reserved while any member lives, so signalling it cannot reach an
/// unrelated process unless the group emptied and its number was reused in the meantime,
/// which needs the pid space to wrap around within microseconds.
async fn finish_group(pid: Option<u32>, phase: Phase, grace: Duration) {
    #[cfg(unix)]
    {
        use crate::process_group::{group_alive, signal_group};
        let Some(pid) = pid else { return };
        if !group_alive(pid) {
            return;
        }
        let kill_at = match phase {
            Phase::Running => {
                tracing::debug!(pid, "terminating processes left in the background");
                let _ = signal_group(pid, Signal::Terminate);
                Instant::now() + grace
            }
            Phase::Terminating(at) => at,
            Phase::Killed(_) => Instant::now(),
        };
        while Instant::now() < kill_at && group_alive(pid) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if group_alive(pid) {
            let _ = signal_group(pid, Signal::Kill);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (pid, phase, grace);
    }
}
