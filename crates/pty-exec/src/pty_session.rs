//! A program running in a pseudo-terminal, with fan-out of its output.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::{mpsc, watch};

use crate::fanout::{Fanout, lock};
use crate::{
    Error, ExitStatus, PtyConfig, Result, SessionId, SessionInfo, Signal, Snapshot, Subscription,
};

/// Size of each read from the terminal.
const READ_SIZE: usize = 64 * 1024;
/// Input writes queued for the writer thread.
const INPUT_QUEUE: usize = 256;
/// After the program exits, how long to wait for the rest of its output before publishing
/// the exit (background processes may keep the terminal open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
/// After `SIGKILL` on close, how long to wait for the exit to be observed.
const KILL_WAIT: Duration = Duration::from_secs(3);
/// Stack of the helper threads (they only copy bytes).
const THREAD_STACK: usize = 256 * 1024;

/// A program (by default the user's shell) running in a pseudo-terminal.
///
/// - **Input**: [`write`](Self::write) raw bytes (keystrokes, `\x03` for Ctrl-C).
/// - **Output**: any number of [`subscribe`](Self::subscribe)rs, each with a bounded queue; a
///   slow one gets [`SessionEvent::Lagged`](crate::SessionEvent::Lagged) instead of making
///   the session buffer without bound. The last output is kept in a scrollback ring for
///   [`snapshot`](Self::snapshot) and [`attach`](Self::attach) (reattach without gap).
/// - **Control**: [`resize`](Self::resize), [`signal`](Self::signal) the foreground process
///   group, [`close`](Self::close).
/// - **Exit**: observed once, published to every subscriber as
///   [`SessionEvent::Exited`](crate::SessionEvent::Exited) and kept
///   ([`exit_status`](Self::exit_status), [`wait`](Self::wait)).
///
/// The session does blocking terminal I/O on three small threads of its own (reader, writer,
/// waiter), so it never blocks the async runtime. Cheap to clone; when the last clone is
/// dropped, every process of the terminal session gets `SIGKILL` and is reaped. Subscriptions
/// do not keep the session alive.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> pty_exec::Result<()> {
/// use pty_exec::{PtyConfig, Session, SessionEvent};
///
/// let session = Session::spawn(PtyConfig::default().program("/bin/sh"))?;
/// let mut output = session.subscribe();
/// session.write("echo $((6 * 7)); exit\n").await?;
/// let mut text = String::new();
/// while let Some(event) = output.recv().await {
///     match event {
///         SessionEvent::Output(chunk) => text.push_str(chunk.text()),
///         SessionEvent::Exited(status) => assert!(status.success()),
///         _ => {}
///     }
/// }
/// assert!(text.contains("42"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    id: SessionId,
    name: Option<String>,
    program: PathBuf,
    pid: Option<u32>,
    master: Mutex<Box<dyn MasterPty + Send>>,
    size: Mutex<(u16, u16)>,
    input: mpsc::Sender<Bytes>,
    fanout: Arc<Fanout>,
    exit: watch::Receiver<Option<ExitStatus>>,
    closed: AtomicBool,
    close_grace: Duration,
    #[cfg(not(unix))]
    killer: Mutex<Box<dyn portable_pty::ChildKiller + Send + Sync>>,
}

fn pty_error(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> std::io::Error {
    std::io::Error::other(error)
}

impl Session {
    /// Starts `config`'s program in a new pseudo-terminal.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSize`] for a zero size, [`Error::CwdNotFound`] for a missing working
    /// directory, [`Error::PtyOpen`] if no terminal can be allocated, [`Error::PtySpawn`] if
    /// the program cannot be started (not found, not executable).
    pub fn spawn(config: PtyConfig) -> Result<Self> {
        Self::spawn_named(config, None)
    }

    pub(crate) fn spawn_named(config: PtyConfig, name: Option<String>) -> Result<Self> {
        let (cols, rows) = (config.cols, config.rows);
        if cols == 0 || rows == 0 {
            return Err(Error::InvalidSize { cols, rows });
        }
        let cwd = match &config.cwd {
            Some(cwd) if !cwd.is_dir() => return Err(Error::CwdNotFound { cwd: cwd.clone() }),
            Some(cwd) => Some(cwd.clone()),
            // portable-pty would start in the home directory; we promise ours.
            None => std::env::current_dir().ok(),
        };
        let program = config.resolved_program();
        let spawn_error = |source| Error::PtySpawn {
            program: program.clone(),
            source,
        };

        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| Error::PtyOpen {
                source: pty_error(e),
            })?;
        let reader = pair.master.try_clone_reader().map_err(|e| Error::PtyOpen {
            source: pty_error(e),
        })?;
        let writer = pair.master.take_writer().map_err(|e| Error::PtyOpen {
            source: pty_error(e),
        })?;

        let mut builder = CommandBuilder::new(&program);
        builder.args(config.args);
        builder.env_clear();
        let mut explicit = vec![("TERM".to_owned(), config.term.clone())];
        explicit.extend(config.env);
        for (name, value) in config.env_policy.child_env(&explicit) {
            builder.env(name, value);
        }
        if let Some(cwd) = &cwd {
            builder.cwd(cwd);
        }
        let child = pair
            .slave
            .spawn_command(builder)
            .map_err(|e| spawn_error(pty_error(e)))?;
        // Keeping our copy of the slave open would hide the end of the output from us.
        drop(pair.slave);
        let pid = child.process_id();
        #[cfg(not(unix))]
        let killer = child.clone_killer();

        let fanout = Arc::new(Fanout::new(
            config.scrollback_bytes,
            config.subscriber_buffer_bytes,
            config.output_wait,
        ));
        let (exit_tx, exit_rx) = watch::channel(None);
        let (input_tx, input_rx) = mpsc::channel(INPUT_QUEUE);
        let (eof_tx, eof_rx) = std::sync::mpsc::channel::<()>();
        let id = SessionId::generate();

        let started = spawn_thread("pty-waiter", {
            let fanout = Arc::clone(&fanout);
            move || wait_thread(child, &fanout, &exit_tx, &eof_rx)
        })
        .and_then(|()| {
            spawn_thread("pty-reader", {
                let fanout = Arc::clone(&fanout);
                move || read_thread(reader, &fanout, &eof_tx)
            })
        })
        .and_then(|()| spawn_thread("pty-writer", move || write_thread(writer, input_rx)));
        if let Err(source) = started {
            kill_everything(pid, None);
            return Err(spawn_error(source));
        }
        tracing::debug!(session_id = %id, pid, program = %program.display(), "session started");

        Ok(Self {
            inner: Arc::new(SessionInner {
                id,
                name,
                program,
                pid,
                master: Mutex::new(pair.master),
                size: Mutex::new((cols, rows)),
                input: input_tx,
                fanout,
                exit: exit_rx,
                closed: AtomicBool::new(false),
                close_grace: config.close_grace,
                #[cfg(not(unix))]
                killer: Mutex::new(killer),
            }),
        })
    }

    /// The session's id.
    #[must_use]
    pub fn id(&self) -> &SessionId {
        &self.inner.id
    }

    /// The name given by the [`SessionManager`](crate::SessionManager), if any.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The program running in the terminal.
    #[must_use]
    pub fn program(&self) -> &Path {
        &self.inner.program
    }

    /// The program's process id (also its session and process group id on Unix).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.inner.pid
    }

    /// Current size as `(cols, rows)`.
    #[must_use]
    pub fn size(&self) -> (u16, u16) {
        *lock(&self.inner.size)
    }

    /// How the program ended, if it has.
    #[must_use]
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.inner.exit.borrow()
    }

    /// Number of subscribers attached now.
    #[must_use]
    pub fn subscribers(&self) -> usize {
        self.inner.fanout.activity.subscribers()
    }

    /// Time since the last input, resize, signal or (un)subscription (output does not count:
    /// a detached session that keeps printing is idle).
    #[must_use]
    pub fn idle_for(&self) -> Duration {
        self.inner.fanout.activity.idle()
    }

    /// A summary for listings.
    #[must_use]
    pub fn info(&self) -> SessionInfo {
        let (cols, rows) = self.size();
        let activity = &self.inner.fanout.activity;
        SessionInfo {
            id: self.inner.id.clone(),
            name: self.inner.name.clone(),
            shell: self.inner.program.clone(),
            pid: self.inner.pid,
            created: activity.created(),
            last_activity: activity.last(),
            cols,
            rows,
            exit: self.exit_status(),
            subscribers: activity.subscribers(),
        }
    }

    /// Sends raw input to the terminal, as if typed (`"ls\n"`, `"\x03"` for Ctrl-C).
    ///
    /// Returns once the bytes are queued for the writer thread; they reach the program in
    /// order.
    ///
    /// # Errors
    ///
    /// [`Error::SessionExited`] if the program has ended or the session was closed.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was queued.
    pub async fn write(&self, data: impl Into<Bytes>) -> Result<()> {
        if self.exit_status().is_some() || self.inner.closed.load(Ordering::Relaxed) {
            return Err(self.exited());
        }
        self.inner
            .input
            .send(data.into())
            .await
            .map_err(|_| self.exited())?;
        self.inner.fanout.activity.touch();
        Ok(())
    }

    /// Changes the terminal's size; the program gets `SIGWINCH`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSize`] for zero columns or rows, [`Error::Resize`] if the terminal
    /// refuses.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        if cols == 0 || rows == 0 {
            return Err(Error::InvalidSize { cols, rows });
        }
        lock(&self.inner.master)
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| Error::Resize {
                id: self.inner.id.to_string(),
                source: pty_error(e),
            })?;
        *lock(&self.inner.size) = (cols, rows);
        self.inner.fanout.activity.touch();
        Ok(())
    }

    /// Sends `signal` to the terminal's foreground process group (the running command, or the
    /// shell at its prompt).
    ///
    /// # Errors
    ///
    /// [`Error::SessionExited`] if the program has ended, [`Error::SignalFailed`] if the
    /// operating system refuses, [`Error::SignalUnsupported`] for signals other than
    /// `INT`, `TERM` and `KILL` on Windows.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        if self.exit_status().is_some() {
            return Err(self.exited());
        }
        self.inner.fanout.activity.touch();
        #[cfg(unix)]
        {
            let pgid = self
                .foreground_group()
                .or(self.inner.pid)
                .ok_or_else(|| self.exited())?;
            crate::process_group::signal_group(pgid, signal).map_err(|source| Error::SignalFailed {
                signal,
                pgid,
                source,
            })
        }
        #[cfg(not(unix))]
        match signal {
            Signal::Interrupt => self
                .inner
                .input
                .try_send(Bytes::from_static(b"\x03"))
                .map_err(|_| self.exited()),
            Signal::Terminate | Signal::Kill => {
                lock(&self.inner.killer)
                    .kill()
                    .map_err(|source| Error::SignalFailed {
                        signal,
                        pgid: self.inner.pid.unwrap_or(0),
                        source,
                    })
            }
            _ => Err(Error::SignalUnsupported { signal }),
        }
    }

    /// A new subscriber to the output from now on.
    pub fn subscribe(&self) -> Subscription {
        self.attach().1
    }

    /// The scrollback and a subscriber that continues exactly where it ends: what a client
    /// reattaching to the session needs.
    pub fn attach(&self) -> (Snapshot, Subscription) {
        self.inner.fanout.attach()
    }

    /// The recent output (up to [`PtyConfig::scrollback_bytes`]).
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        self.inner.fanout.snapshot()
    }

    /// Waits for the program to end.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it only observes).
    pub async fn wait(&self) -> ExitStatus {
        let mut exit = self.inner.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(status) => status.unwrap_or_else(ExitStatus::unknown),
            Err(_) => ExitStatus::unknown(),
        }
    }

    /// Ends the session: `SIGHUP` to the terminal's processes (what closing a terminal
    /// window does), `SIGKILL` to every process of the terminal session after the grace
    /// period ([`PtyConfig::close_grace`]), then waits for the exit to be observed. Processes
    /// the program left running in the background are killed too. Idempotent.
    ///
    /// Returns how the program ended, or `None` if that could not be observed in time.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the session is still marked closed and gets `SIGKILL` when
    /// its last handle is dropped.
    pub async fn close(&self) -> Option<ExitStatus> {
        self.inner.closed.store(true, Ordering::Relaxed);
        if self.exit_status().is_none() {
            let foreground = self.foreground_group();
            hang_up(self.inner.pid, foreground);
            let grace = self.inner.close_grace;
            if tokio::time::timeout(grace, self.wait()).await.is_err() {
                kill_everything(self.inner.pid, foreground);
                let _ = tokio::time::timeout(KILL_WAIT, self.wait()).await;
            }
        }
        // Whatever the program left behind in its terminal session.
        kill_everything(self.inner.pid, None);
        tracing::debug!(session_id = %self.inner.id, "session closed");
        self.exit_status()
    }

    /// `true` once [`close`](Self::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Relaxed)
    }

    #[cfg(unix)]
    fn foreground_group(&self) -> Option<u32> {
        lock(&self.inner.master)
            .process_group_leader()
            .and_then(|pgid| u32::try_from(pgid).ok())
    }

    #[cfg(not(unix))]
    fn foreground_group(&self) -> Option<u32> {
        None
    }

    fn exited(&self) -> Error {
        Error::SessionExited {
            id: self.inner.id.to_string(),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("program", &self.inner.program)
            .field("pid", &self.inner.pid)
            .field("exit", &self.exit_status())
            .finish_non_exhaustive()
    }
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Relaxed) && self.exit.borrow().is_some() {
            return;
        }
        #[cfg(unix)]
        let foreground = lock(&self.master)
            .process_group_leader()
            .and_then(|pgid| u32::try_from(pgid).ok());
        #[cfg(not(unix))]
        let foreground = {
            let _ = lock(&self.killer).kill();
            None
        };
        kill_everything(self.pid, foreground);
        tracing::debug!(session_id = %self.id, "session dropped");
    }
}

/// `SIGHUP` to the program's group and the foreground group.
fn hang_up(pid: Option<u32>, foreground: Option<u32>) {
    #[cfg(unix)]
    for group in [pid, foreground].into_iter().flatten() {
        let _ = crate::process_group::signal_group(group, Signal::Hangup);
    }
    #[cfg(not(unix))]
    let _ = (pid, foreground);
}

/// `SIGKILL` to every process of the terminal session.
fn kill_everything(pid: Option<u32>, foreground: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid {
        let groups: Vec<u32> = foreground.into_iter().collect();
        crate::process_group::signal_session(pid, &groups, Signal::Kill);
    }
    #[cfg(not(unix))]
    let _ = (pid, foreground);
}

fn spawn_thread(name: &str, body: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(THREAD_STACK)
        .spawn(body)
        .map(drop)
}

/// Reads the terminal until end of output (all holders of the terminal's slave side gone).
fn read_thread(
    mut reader: Box<dyn Read + Send>,
    fanout: &Fanout,
    eof: &std::sync::mpsc::Sender<()>,
) {
    let mut buf = vec![0; READ_SIZE];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => fanout.publish(&buf[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                tracing::debug!(%error, "terminal read ended");
                break;
            }
        }
    }
    let _ = eof.send(());
}

/// Writes queued input until the session is gone or the terminal refuses.
fn write_thread(mut writer: Box<dyn Write + Send>, mut input: mpsc::Receiver<Bytes>) {
    while let Some(data) = input.blocking_recv() {
        if let Err(error) = writer.write_all(&data).and_then(|()| writer.flush()) {
            tracing::debug!(%error, "terminal write failed");
            break;
        }
    }
}

/// Reaps the program, lets the reader drain, publishes the exit once.
fn wait_thread(
    child: Box<dyn portable_pty::Child + Send + Sync>,
    fanout: &Fanout,
    exit: &watch::Sender<Option<ExitStatus>>,
    eof: &std::sync::mpsc::Receiver<()>,
) {
    let status = wait_child(child);
    let _ = eof.recv_timeout(DRAIN_AFTER_EXIT);
    // The status first: whoever receives `Exited` then also sees `exit_status()`.
    exit.send_replace(Some(status));
    fanout.finish(status);
    tracing::debug!(%status, "terminal program exited");
}

fn wait_child(child: Box<dyn portable_pty::Child + Send + Sync>) -> ExitStatus {
    // portable-pty reports signals as `strsignal` text; the standard library's status keeps
    // the number. On Unix the child *is* a `std::process::Child`.
    let child: Box<dyn portable_pty::Child> = child;
    match child.downcast::<std::process::Child>() {
        Ok(mut child) => child
            .wait()
            .map_or_else(|_| ExitStatus::unknown(), ExitStatus::from_std),
        Err(mut child) => match child.wait() {
            Ok(status) if status.signal().is_some() => ExitStatus {
                code: None,
                signal: None,
            },
            Ok(status) => ExitStatus::from_code(i32::try_from(status.exit_code()).unwrap_or(-1)),
            Err(_) => ExitStatus::unknown(),
        },
    }
}
