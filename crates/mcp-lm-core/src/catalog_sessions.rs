//! The terminal session tools: `terminal_session_start`, `_send`, `_read`, `_list` and
//! `_close` drive PTY sessions kept by the server (the same sessions as the WebSocket
//! terminal's), found by id or name.
//!
//! Reading uses a byte cursor over the session's output: offsets count every byte the
//! terminal printed since it started (the scrollback's `total_bytes`), so `next` from one
//! read, passed as `since` to the following one, returns exactly the new output; when the
//! scrollback has dropped bytes after the cursor, the read starts at the oldest byte kept and
//! says how many were missed (see [`crate::output_window`]).

use std::time::Duration;

use mcp_protocol::{RequestContext, ServerBuilder, Tool};
use pty_exec::{ExitStatus, SessionEvent, Subscription};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog_support::{
    MAX_READ_BYTES, MAX_WAIT_MS, MIN_READ_BYTES, annotations, bind, exit_schema, output_schema,
    read_limit, session_key, success, terminal_failure, wait_duration,
};
use crate::output_window::{Window, window};
use crate::service_error::parse_args;
use crate::{ServiceError, Services};

/// Size of a new session unless given.
const DEFAULT_SIZE: (u16, u16) = (120, 32);

/// Once output arrives during a wait, the wait ends after this much quiet (so that a command's
/// output comes in one read rather than one per chunk).
const SETTLE: Duration = Duration::from_millis(50);

/// Adds the session tools to `builder`.
pub(crate) fn register(builder: ServerBuilder, services: &Services) -> ServerBuilder {
    builder
        .tool(
            Tool::new(
                "terminal_session_start",
                "Start an interactive shell in a pseudo-terminal that stays alive between calls \
                 (for REPLs, long builds, programs that ask questions). Returns its id; drive it \
                 with terminal_session_send and terminal_session_read, end it with \
                 terminal_session_close (sessions left idle for long are closed).",
            )
            .title("Start a terminal session")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$",
                             "description": "Optional unique name to find the session by (A-Z a-z 0-9 - _ .)"},
                    "cols": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Columns (default 120)"},
                    "rows": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Rows (default 32)"}
                },
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string", "description": "Session id"},
                "name": {"type": ["string", "null"]},
                "shell": {"type": "string", "description": "Program running in the terminal"},
                "pid": {"type": ["integer", "null"]},
                "size": {"type": "object", "properties": {"cols": {"type": "integer"}, "rows": {"type": "integer"}}}
            })))
            .annotations(annotations("Start a terminal session", false, false, true)),
            bind(services, start),
        )
        .tool(
            Tool::new(
                "terminal_session_send",
                "Type into a terminal session (input, with enter: true to press Enter) and/or send \
                 a signal to its foreground program (INT is Ctrl-C). The signal goes first when both \
                 are given. Read the result with terminal_session_read.",
            )
            .title("Send input to a terminal session")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "Session id (or give name)"},
                    "name": {"type": "string", "description": "Session name"},
                    "input": {"type": "string", "description": "Text typed as is (\\u0003 is Ctrl-C, \\u0004 Ctrl-D)"},
                    "enter": {"type": "boolean", "description": "Press Enter after the input (appends a newline)"},
                    "signal": {"type": "string", "description": "INT, TERM, KILL, HUP or QUIT (SIG prefix optional)"}
                },
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string"},
                "bytes_written": {"type": "integer", "description": "Bytes of input queued"},
                "signal": {"type": ["string", "null"], "description": "Signal sent"}
            })))
            .annotations(annotations("Send input to a terminal session", false, true, true)),
            bind(services, send),
        )
        .tool(
            Tool::new(
                "terminal_session_read",
                "Read a terminal session's output. Without since: the most recent output (up to \
                 max_bytes). With since (the next of the previous read): only what came after. \
                 wait_ms waits for new output first (at most 10000). Says when the program exited.",
            )
            .title("Read a terminal session")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "Session id (or give name)"},
                    "name": {"type": "string", "description": "Session name"},
                    "since": {"type": "integer", "minimum": 0, "description": "Byte cursor: next from the previous read (0: all output kept)"},
                    "max_bytes": {"type": "integer", "minimum": MIN_READ_BYTES, "maximum": MAX_READ_BYTES,
                                  "description": "Most bytes returned (default 32768); more: true when there is more"},
                    "wait_ms": {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_MS,
                                "description": "When nothing new is there yet, wait this long for output"}
                },
                "additionalProperties": false
            }))
            .output_schema(output_schema(read_properties()))
            .annotations(annotations("Read a terminal session", true, false, true)),
            bind(services, read),
        )
        .tool(
            Tool::new(
                "terminal_session_list",
                "List the terminal sessions: id, name, shell, pid, size, whether the program exited.",
            )
            .title("List terminal sessions")
            .output_schema(output_schema(json!({
                "sessions": {"type": "array", "items": {"type": "object"}}
            })))
            .annotations(annotations("List terminal sessions", true, false, true)),
            bind(services, list),
        )
        .tool(
            Tool::new(
                "terminal_session_close",
                "Close a terminal session: hang up its shell and kill every process it started.",
            )
            .title("Close a terminal session")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "Session id (or give name)"},
                    "name": {"type": "string", "description": "Session name"}
                },
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string"},
                "exit": exit_schema()
            })))
            .annotations(annotations("Close a terminal session", false, true, true)),
            bind(services, close),
        )
}

fn read_properties() -> Value {
    json!({
        "id": {"type": "string"},
        "text": {"type": "string", "description": "Output from since to next"},
        "base64": {"type": "string", "description": "The same bytes, only when text is lossy (invalid UTF-8)"},
        "since": {"type": "integer", "description": "Offset of the first byte returned"},
        "next": {"type": "integer", "description": "Pass as since to read what follows"},
        "missed_bytes": {"type": "integer", "description": "Bytes after the requested cursor no longer kept"},
        "more": {"type": "boolean", "description": "More output is already there (read again from next)"},
        "total_bytes": {"type": "integer", "description": "Bytes output since the start"},
        "exited": {"type": "boolean"},
        "exit": exit_schema()
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartArgs {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cols: Option<u16>,
    #[serde(default)]
    rows: Option<u16>,
}

async fn start(
    services: Services,
    args: Value,
    _cx: RequestContext,
) -> Result<Value, ServiceError> {
    let args: StartArgs = parse_args(args)?;
    let config = services.pty_config(
        args.cols.unwrap_or(DEFAULT_SIZE.0),
        args.rows.unwrap_or(DEFAULT_SIZE.1),
    );
    let session = match &args.name {
        Some(name) => services.sessions.create_named(name, config),
        None => services.sessions.create(config),
    }
    .map_err(terminal_failure)?;
    services.audit.record(
        "session",
        json!({"caller": "mcp", "event": "open", "id": session.id(), "name": session.name(), "pid": session.pid()}),
    );
    let (cols, rows) = session.size();
    success(&json!({
        "id": session.id(),
        "name": session.name(),
        "shell": session.program(),
        "pid": session.pid(),
        "size": {"cols": cols, "rows": rows},
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendArgs {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    enter: bool,
    #[serde(default)]
    signal: Option<String>,
}

async fn send(services: Services, args: Value, _cx: RequestContext) -> Result<Value, ServiceError> {
    let args: SendArgs = parse_args(args)?;
    let key = session_key(args.id.as_deref(), args.name.as_deref())?;
    if args.input.is_none() && !args.enter && args.signal.is_none() {
        return Err(
            ServiceError::bad_request("give input (text to type), enter: true, or a signal")
                .hint(r#"e.g. {"id": "s-…", "input": "ls -la", "enter": true} or {"id": "s-…", "signal": "INT"}"#),
        );
    }
    let signal = args
        .signal
        .as_deref()
        .map(str::parse::<pty_exec::Signal>)
        .transpose()
        .map_err(terminal_failure)?;
    let mut input = args.input.unwrap_or_default();
    if args.enter {
        input.push('\n');
    }
    let session = services.sessions.get(key).map_err(terminal_failure)?;
    if let Some(signal) = signal {
        session.signal(signal).map_err(terminal_failure)?;
    }
    let bytes_written = input.len();
    if !input.is_empty() {
        session.write(input).await.map_err(terminal_failure)?;
    }
    success(&json!({
        "id": session.id(),
        "bytes_written": bytes_written,
        "signal": signal.map(pty_exec::Signal::name),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    since: Option<u64>,
    #[serde(default)]
    max_bytes: Option<usize>,
    #[serde(default)]
    wait_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct ReadResult {
    id: String,
    #[serde(flatten)]
    window: Window,
    exited: bool,
    exit: Option<ExitStatus>,
}

async fn read(services: Services, args: Value, cx: RequestContext) -> Result<Value, ServiceError> {
    let args: ReadArgs = parse_args(args)?;
    let key = session_key(args.id.as_deref(), args.name.as_deref())?;
    let session = services.sessions.get(key).map_err(terminal_failure)?;
    let wait = wait_duration(args.wait_ms);
    let mut snapshot = session.snapshot();
    if !wait.is_zero() {
        // The subscription continues exactly where its snapshot ends: no output is missed
        // between the check and the wait.
        let (current, subscription) = session.attach();
        let nothing_new = match args.since {
            Some(since) => current.total_bytes <= since,
            None => current.total_bytes == 0,
        };
        if nothing_new && current.exit.is_none() {
            wait_for_output(subscription, wait, &cx).await;
            snapshot = session.snapshot();
        } else {
            snapshot = current;
        }
    }
    let exit = snapshot.exit;
    let window = window(
        &snapshot.bytes,
        snapshot.total_bytes,
        args.since,
        read_limit(args.max_bytes),
        exit.is_some(),
    );
    success(&ReadResult {
        id: session.id().to_string(),
        window,
        exited: exit.is_some(),
        exit,
    })
}

/// Waits until output arrives (then until it pauses for [`SETTLE`]), the program exits, the
/// call is cancelled or `wait` has passed.
async fn wait_for_output(mut subscription: Subscription, wait: Duration, cx: &RequestContext) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut until = deadline;
    loop {
        tokio::select! {
            event = subscription.recv() => match event {
                Some(SessionEvent::Output(_) | SessionEvent::Lagged { .. }) => {
                    until = (tokio::time::Instant::now() + SETTLE).min(deadline);
                }
                _ => return,
            },
            () = tokio::time::sleep_until(until) => return,
            () = cx.cancelled() => return,
        }
    }
}

async fn list(
    services: Services,
    _args: Value,
    _cx: RequestContext,
) -> Result<Value, ServiceError> {
    success(&json!({ "sessions": services.sessions.list() }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseArgs {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

async fn close(
    services: Services,
    args: Value,
    _cx: RequestContext,
) -> Result<Value, ServiceError> {
    let args: CloseArgs = parse_args(args)?;
    let key = session_key(args.id.as_deref(), args.name.as_deref())?;
    let id = services
        .sessions
        .get(key)
        .map_err(terminal_failure)?
        .id()
        .clone();
    let exit = services
        .sessions
        .close(id.as_str())
        .await
        .map_err(terminal_failure)?;
    services.audit.record(
        "session",
        json!({"caller": "mcp", "event": "close", "id": id, "exit": exit}),
    );
    success(&json!({ "id": id, "exit": exit }))
}
