//! The process's stdin and stdout as async streams.
//!
//! Tokio's `stdin()`/`stdout()` work with anything (terminals, files) by doing every read and
//! write on a blocking thread: each message then crosses threads twice more. When stdin or
//! stdout is a pipe or a socket, as an MCP host sets them up (Python's SDK uses pipes, Node's
//! `child_process` Unix sockets), a duplicate of it is registered with the reactor instead and
//! read and written on the runtime's own thread. That sets `O_NONBLOCK` on the open file,
//! whose other end belongs to the host; terminals and regular files keep the blocking-thread
//! path.

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// An async reader of stdin.
pub(crate) type Input = Pin<Box<dyn AsyncRead + Send>>;
/// An async writer to stdout.
pub(crate) type Output = Pin<Box<dyn AsyncWrite + Send>>;

/// Stdin, through the reactor when it is a pipe or a socket.
pub(crate) fn stdin() -> Input {
    #[cfg(unix)]
    if let Some(reader) = unix::reader(&std::io::stdin()) {
        return reader;
    }
    Box::pin(tokio::io::stdin())
}

/// Stdout, through the reactor when it is a pipe or a socket.
pub(crate) fn stdout() -> Output {
    #[cfg(unix)]
    if let Some(writer) = unix::writer(&std::io::stdout()) {
        return writer;
    }
    Box::pin(tokio::io::stdout())
}

#[cfg(unix)]
mod unix {
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::fs::FileTypeExt;

    use tokio::net::{UnixStream, unix::pipe};

    use super::{Input, Output};

    /// What a descriptor is, as far as the reactor cares.
    enum Kind {
        Pipe,
        Socket,
    }

    /// A duplicate of `stream`'s descriptor and its kind; `None` for anything else.
    fn duplicate(stream: &impl AsFd) -> Option<(OwnedFd, Kind)> {
        let fd = stream.as_fd().try_clone_to_owned().ok()?;
        let file_type = std::fs::File::from(fd.try_clone().ok()?)
            .metadata()
            .ok()?
            .file_type();
        if file_type.is_fifo() {
            Some((fd, Kind::Pipe))
        } else if file_type.is_socket() {
            Some((fd, Kind::Socket))
        } else {
            None
        }
    }

    /// A socket as a non-blocking tokio stream (reads and writes are the same system calls
    /// whatever the socket's family).
    fn socket(fd: OwnedFd) -> Option<UnixStream> {
        let stream = std::os::unix::net::UnixStream::from(fd);
        stream.set_nonblocking(true).ok()?;
        UnixStream::from_std(stream).ok()
    }

    pub(super) fn reader(stream: &impl AsFd) -> Option<Input> {
        let (fd, kind) = duplicate(stream)?;
        let spare = fd.try_clone().ok()?;
        let registered: Option<Input> = match kind {
            Kind::Pipe => pipe::Receiver::from_owned_fd(fd)
                .ok()
                .map(|r| Box::pin(r) as Input),
            Kind::Socket => socket(fd).map(|s| Box::pin(s) as Input),
        };
        registered.or_else(|| restore_blocking(spare))
    }

    pub(super) fn writer(stream: &impl AsFd) -> Option<Output> {
        let (fd, kind) = duplicate(stream)?;
        let spare = fd.try_clone().ok()?;
        let registered: Option<Output> = match kind {
            Kind::Pipe => pipe::Sender::from_owned_fd(fd)
                .ok()
                .map(|w| Box::pin(w) as Output),
            Kind::Socket => socket(fd).map(|s| Box::pin(s) as Output),
        };
        registered.or_else(|| restore_blocking(spare))
    }

    /// When registering failed (a runtime without I/O) after `O_NONBLOCK` was set, clears it
    /// again for the blocking-thread fallback (`FIONBIO`, which works on any descriptor).
    fn restore_blocking<T>(spare: OwnedFd) -> Option<T> {
        let _ = std::os::unix::net::UnixStream::from(spare).set_nonblocking(false);
        None
    }
}
