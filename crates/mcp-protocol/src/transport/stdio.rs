//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout (or any reader/writer).
//!
//! Requests are handled concurrently and answered as they finish (possibly out of order);
//! `initialize` and notifications are handled in arrival order. Only protocol messages are
//! written; log with `tracing` to stderr. On end of input the server stops reading, gives
//! in-flight requests a short grace period to answer, cancels the rest and returns.

use std::{sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    sync::mpsc,
    task::JoinSet,
};

use crate::{
    Error, RpcError, Server,
    changes::next_change,
    jsonrpc,
    session::{Session, Sink},
};

/// How long in-flight requests may still answer after the input ends.
const EOF_GRACE: Duration = Duration::from_secs(2);

/// Serves `server` on the process's stdin and stdout until stdin ends.
///
/// # Errors
/// [`Error::Io`] when stdin cannot be read or stdout cannot be written.
///
/// # Cancel safety
/// Dropping the future stops serving; requests being handled are dropped with it.
pub async fn serve_stdio(server: Server) -> Result<(), Error> {
    serve_io(
        server,
        super::stdio_fds::stdin(),
        super::stdio_fds::stdout(),
    )
    .await
}

/// Serves `server` on any reader and writer (a pipe, a socket, a test's in-memory duplex).
///
/// # Errors
/// [`Error::Io`] when reading or writing fails.
///
/// # Cancel safety
/// As [`serve_stdio`].
pub async fn serve_io<R, W>(server: Server, reader: R, writer: W) -> Result<(), Error>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let max = server.max_message_bytes();
    let mut changes = server.inner.changes.subscribe();
    let session = Session::new(server);
    let (sender, receiver) = mpsc::unbounded_channel::<String>();
    let sink = Sink::channel(sender.clone());
    let writer_task = tokio::spawn(write_lines(receiver, writer));
    // Change notifications for the legacy session (modern listens forward their own).
    let forwarder = {
        let (session, sink) = (Arc::clone(&session), sink.clone());
        tokio::spawn(async move {
            while let Some(change) = next_change(&mut changes).await {
                if let Some(line) = session.legacy_notification(&change) {
                    sink.send(line);
                }
            }
        })
    };
    let mut tasks = JoinSet::new();
    let mut lines = LineReader::new(reader, max);
    let read_outcome = loop {
        match lines.next_line().await {
            Ok(Some(line)) => handle_line(&session, &sink, &mut tasks, line).await,
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
        while tasks.try_join_next().is_some() {}
    };

    // End of input: open listens answer at once, other in-flight requests get a moment to
    // answer, then are cancelled.
    forwarder.abort();
    session.close_listens();
    if tokio::time::timeout(EOF_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        session.cancel_all();
        tasks.shutdown().await;
    }
    drop(sink);
    drop(sender);
    let write_outcome = writer_task.await.unwrap_or(Ok(()));
    read_outcome
        .and(write_outcome)
        .map_err(|source| Error::Io { source })
}

/// What one input line turns into.
enum Line {
    Message(Vec<u8>),
    TooLarge,
}

async fn handle_line(session: &Arc<Session>, sink: &Sink, tasks: &mut JoinSet<()>, line: Line) {
    let bytes = match line {
        Line::TooLarge => {
            let max = session.server.max_message_bytes();
            let error = RpcError::invalid_request(format!("message larger than {max} bytes"));
            sink.send(jsonrpc::error_response(None, &error));
            return;
        }
        Line::Message(bytes) => bytes,
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => {
            sink.send(jsonrpc::error_response(None, &RpcError::parse_error(e)));
            return;
        }
    };
    // `initialize`, notifications and responses are handled in arrival order (a pipelined
    // `tools/list` must find the session initialized; none of them waits on anything);
    // other requests run concurrently.
    let in_order = value.get("id").is_none()
        || value.get("method").is_none()
        || value.get("method").and_then(serde_json::Value::as_str) == Some("initialize");
    if in_order {
        if let Some(answer) = session.handle_value(value, sink).await {
            sink.send(answer);
        }
        return;
    }
    let session = Arc::clone(session);
    let sink = sink.clone();
    tasks.spawn(async move {
        if let Some(answer) = session.handle_value(value, &sink).await {
            sink.send(answer);
        }
    });
}

/// Reads `\n`-terminated lines of at most `max` bytes; a longer line is skipped and reported
/// as [`Line::TooLarge`] without ever being held in memory.
struct LineReader<R> {
    reader: BufReader<R>,
    max: usize,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    fn new(reader: R, max: usize) -> Self {
        Self {
            reader: BufReader::with_capacity(64 * 1024, reader),
            max,
        }
    }

    async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut line = Vec::new();
        let mut too_large = false;
        loop {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                if too_large {
                    return Ok(Some(Line::TooLarge));
                }
                return Ok(finish(line));
            }
            let (taken, complete) = match memchr::memchr(b'\n', buffer) {
                Some(end) => (end, true),
                None => (buffer.len(), false),
            };
            if !too_large {
                if line.len() + taken > self.max {
                    too_large = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(&buffer[..taken]);
                }
            }
            self.reader.consume(taken + usize::from(complete));
            if complete {
                if too_large {
                    return Ok(Some(Line::TooLarge));
                }
                if let Some(message) = finish(std::mem::take(&mut line)) {
                    return Ok(Some(message));
                }
            }
        }
    }
}

/// A complete line as a message, or `None` for a blank one.
fn finish(mut line: Vec<u8>) -> Option<Line> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line.iter()
        .any(|b| !b.is_ascii_whitespace())
        .then_some(Line::Message(line))
}

/// Writes each message as one line, flushing when no more messages are waiting.
async fn write_lines<W: AsyncWrite + Unpin>(
    mut receiver: mpsc::UnboundedReceiver<String>,
    mut writer: W,
) -> std::io::Result<()> {
    let mut buffer = Vec::with_capacity(8 * 1024);
    while let Some(line) = receiver.recv().await {
        buffer.extend_from_slice(line.as_bytes());
        buffer.push(b'\n');
        while let Ok(more) = receiver.try_recv() {
            buffer.extend_from_slice(more.as_bytes());
            buffer.push(b'\n');
        }
        writer.write_all(&buffer).await?;
        writer.flush().await?;
        buffer.clear();
    }
    writer.flush().await
}
