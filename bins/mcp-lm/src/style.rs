//! Colours (only on a terminal, never with `NO_COLOR`) and the spinner shown on stderr while
//! waiting for a first token or a command.

use std::{
    io::{IsTerminal, Write},
    sync::{Arc, Mutex, PoisonError, mpsc},
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// `NO_COLOR` set to anything but the empty string turns colours off (<https://no-color.org>).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// ANSI styling for one output stream, or plain text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    enabled: bool,
}

impl Paint {
    /// Styling for stdout.
    #[must_use]
    pub(crate) fn stdout() -> Self {
        Self {
            enabled: std::io::stdout().is_terminal() && !no_color() && !dumb_terminal(),
        }
    }

    /// Styling for stderr.
    #[must_use]
    pub(crate) fn stderr() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal() && !no_color() && !dumb_terminal(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold.
    #[must_use]
    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// Dim (secondary information).
    #[must_use]
    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    /// Red and bold (errors).
    #[must_use]
    pub(crate) fn red_bold(self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    /// Red.
    #[must_use]
    pub(crate) fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    /// Green.
    #[must_use]
    pub(crate) fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    /// Yellow (hints, warnings).
    #[must_use]
    pub(crate) fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
}

/// Writes a line to stderr, ignoring failures (there is nowhere else to report them).
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints `warning: …` on stderr.
pub(crate) fn warn(message: &str) {
    let paint = Paint::stderr();
    note(&format!("{} {message}", paint.yellow("warning:")));
}

/// A spinner on stderr, drawn by a small thread, only when stderr is a terminal. Stopped
/// (and its line erased) by [`stop`](Self::stop) or on drop, before anything else is
/// printed.
#[derive(Debug)]
pub(crate) struct Spinner {
    message: Arc<Mutex<String>>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Spinner {
    /// Starts a spinner with `message`; does nothing unless stderr is a terminal.
    #[must_use]
    pub(crate) fn start(message: &str) -> Self {
        let message = Arc::new(Mutex::new(message.to_owned()));
        if !std::io::stderr().is_terminal() || dumb_terminal() {
            return Self {
                message,
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = Arc::clone(&message);
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            let mut frame = 0;
            // Wait a little before drawing: a fast answer should not flicker.
            if !matches!(
                stopped.recv_timeout(Duration::from_millis(150)),
                Err(mpsc::RecvTimeoutError::Timeout)
            ) {
                return;
            }
            loop {
                let text = shown.lock().unwrap_or_else(PoisonError::into_inner).clone();
                let _ = write!(
                    std::io::stderr().lock(),
                    "\r\x1b[2K{} {text} {:.1}s",
                    FRAMES[frame % FRAMES.len()],
                    started.elapsed().as_secs_f64()
                );
                frame += 1;
                match stopped.recv_timeout(Duration::from_millis(80)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        });
        Self {
            message,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Changes the message.
    pub(crate) fn set_message(&self, message: &str) {
        message.clone_into(&mut self.message.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Stops the spinner and erases its line; idempotent.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop();
    }
}
