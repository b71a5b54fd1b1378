//! The background job tools: `terminal_job_start` runs a command that outlives the call,
//! `terminal_job_read` reads its output by byte cursor (as `terminal_session_read` does) with
//! its state, `terminal_job_kill` kills its process group.

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_protocol::{RequestContext, ServerBuilder, Tool};
use pty_exec::{ExitStatus, JobId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog_support::{
    MAX_READ_BYTES, MAX_WAIT_MS, MIN_READ_BYTES, annotations, bind, exit_schema, output_schema,
    read_limit, success, terminal_failure, wait_duration,
};
use crate::output_window::{Window, window};
use crate::service_error::parse_args;
use crate::{ServiceError, Services};

/// Adds the job tools to `builder`.
pub(crate) fn register(builder: ServerBuilder, services: &Services) -> ServerBuilder {
    builder
        .tool(
            Tool::new(
                "terminal_job_start",
                "Start a shell command in the background and return its id at once (for builds, \
                 servers, anything longer than one call). Read its output with terminal_job_read, \
                 stop it with terminal_job_kill. Its process group is killed at the timeout.",
            )
            .title("Start a background job")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "cmd": {"type": "string", "minLength": 1, "description": "Command line, run by the shell"},
                    "timeout": {"type": "number", "exclusiveMinimum": 0,
                                "description": "Seconds before the whole process group is killed (default and most: terminal.max_timeout)"},
                    "cwd": {"type": "string", "description": "Working directory"},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra environment variables"}
                },
                "required": ["cmd"],
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string", "description": "Job id, for terminal_job_read and terminal_job_kill"},
                "command": {"type": "string"},
                "pid": {"type": ["integer", "null"]},
                "timeout": {"type": "number", "description": "Time limit in seconds"}
            })))
            .annotations(annotations("Start a background job", false, true, true)),
            bind(services, start),
        )
        .tool(
            Tool::new(
                "terminal_job_read",
                "Read a background job's output (stdout and stderr interleaved) from a byte cursor \
                 (since: the next of the previous read, default 0), with whether it still runs and \
                 how it ended. wait_ms waits for new output or the end first (at most 10000).",
            )
            .title("Read a background job")
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "Job id"},
                    "since": {"type": "integer", "minimum": 0, "description": "Byte cursor: next from the previous read (default 0)"},
                    "max_bytes": {"type": "integer", "minimum": MIN_READ_BYTES, "maximum": MAX_READ_BYTES,
                                  "description": "Most bytes returned (default 32768); more: true when there is more"},
                    "wait_ms": {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_MS,
                                "description": "When nothing new is there and the job runs, wait this long"}
                },
                "required": ["id"],
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string"},
                "text": {"type": "string", "description": "Output from since to next"},
                "base64": {"type": "string", "description": "The same bytes, only when text is lossy (invalid UTF-8)"},
                "since": {"type": "integer"},
                "next": {"type": "integer", "description": "Pass as since to read what follows"},
                "missed_bytes": {"type": "integer", "description": "Bytes after the requested cursor no longer kept"},
                "more": {"type": "boolean", "description": "More output is already there (read again from next)"},
                "total_bytes": {"type": "integer"},
                "running": {"type": "boolean"},
                "exit": exit_schema(),
                "timed_out": {"type": "boolean"},
                "killed": {"type": "boolean"}
            })))
            .annotations(annotations("Read a background job", true, false, true)),
            bind(services, read),
        )
        .tool(
            Tool::new(
                "terminal_job_kill",
                "Kill a background job's whole process group (SIGTERM, then SIGKILL after a grace \
                 period) and return its final state; its output stays readable.",
            )
            .title("Kill a background job")
            .input_schema(json!({
                "type": "object",
                "properties": {"id": {"type": "string", "description": "Job id"}},
                "required": ["id"],
                "additionalProperties": false
            }))
            .output_schema(output_schema(json!({
                "id": {"type": "string"},
                "command": {"type": "string"},
                "running": {"type": "boolean"},
                "exit": exit_schema(),
                "killed": {"type": "boolean"},
                "timed_out": {"type": "boolean"},
                "total_bytes": {"type": "integer"}
            })))
            .annotations(annotations("Kill a background job", false, true, true)),
            bind(services, kill),
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartArgs {
    cmd: String,
    #[serde(default)]
    timeout: Option<f64>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

async fn start(
    services: Services,
    args: Value,
    _cx: RequestContext,
) -> Result<Value, ServiceError> {
    let args: StartArgs = parse_args(args)?;
    if args.cmd.trim().is_empty() {
        return Err(
            ServiceError::bad_request("cmd is required").hint(r#"send {"cmd": "make test"}"#)
        );
    }
    if args.timeout.is_some_and(|t| !t.is_finite() || t <= 0.0) {
        return Err(ServiceError::bad_request(
            "timeout must be a positive number of seconds",
        ));
    }
    #[allow(clippy::cast_precision_loss)] // seconds, far below 2^52
    let max = services.config.terminal.max_timeout as f64;
    let seconds = args.timeout.unwrap_or(max).min(max);
    let mut command = pty_exec::Command::new(&args.cmd).timeout(Duration::from_secs_f64(seconds));
    if let Some(cwd) = &args.cwd {
        command = command.cwd(cwd);
    }
    for (name, value) in &args.env {
        command = command.env(name, value);
    }
    let id = match services.sessions.start_job(command).await {
        Ok(id) => id,
        Err(error) => {
            services.audit.record(
                "job",
                json!({"caller": "mcp", "event": "start", "cmd": args.cmd, "error": error.to_string()}),
            );
            return Err(terminal_failure(error));
        }
    };
    let pid = services
        .sessions
        .job_info(&id)
        .map_err(terminal_failure)?
        .pid;
    services.audit.record(
        "job",
        json!({"caller": "mcp", "event": "start", "id": id, "cmd": args.cmd, "pid": pid}),
    );
    success(&json!({ "id": id, "command": args.cmd, "pid": pid, "timeout": seconds }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    id: String,
    #[serde(default)]
    since: Option<u64>,
    #[serde(default)]
    max_bytes: Option<usize>,
    #[serde(default)]
    wait_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct ReadResult {
    id: JobId,
    #[serde(flatten)]
    window: Window,
    running: bool,
    exit: Option<ExitStatus>,
    timed_out: bool,
    killed: bool,
}

async fn read(services: Services, args: Value, cx: RequestContext) -> Result<Value, ServiceError> {
    let args: ReadArgs = parse_args(args)?;
    let id = job_id(&args.id)?;
    let since = args.since.unwrap_or(0);
    let wait = wait_duration(args.wait_ms);
    if !wait.is_zero() {
        wait_for_output(&services, &id, since, wait, &cx).await?;
    }
    let info = services.sessions.job_info(&id).map_err(terminal_failure)?;
    let output = services
        .sessions
        .read_job(&id, since)
        .map_err(terminal_failure)?;
    // `read_job` already keeps characters whole; the window only applies `max_bytes`.
    let mut window = window(
        &output.bytes,
        output.next,
        Some(output.since),
        read_limit(args.max_bytes),
        true,
    );
    window.missed_bytes += output.missed_bytes;
    window.total_bytes = info.total_bytes.max(output.next);
    success(&ReadResult {
        id,
        window,
        running: output.running,
        exit: output.exit,
        timed_out: output.timed_out,
        killed: output.killed,
    })
}

/// Waits until the job has output after `since` or has ended, the call is cancelled or
/// `wait` has passed (woken by the output itself).
async fn wait_for_output(
    services: &Services,
    id: &JobId,
    since: u64,
    wait: Duration,
    cx: &RequestContext,
) -> Result<(), ServiceError> {
    tokio::select! {
        waited = services.sessions.wait_job_output(id, since, wait) => waited.map_err(terminal_failure),
        () = cx.cancelled() => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KillArgs {
    id: String,
}

async fn kill(services: Services, args: Value, _cx: RequestContext) -> Result<Value, ServiceError> {
    let args: KillArgs = parse_args(args)?;
    let id = job_id(&args.id)?;
    let info = services
        .sessions
        .kill_job(&id)
        .await
        .map_err(terminal_failure)?;
    services.audit.record(
        "job",
        json!({"caller": "mcp", "event": "kill", "id": id, "exit": info.exit, "killed": info.killed,
               "duration_ms": u64::try_from(info.elapsed.as_millis()).unwrap_or(u64::MAX),
               "bytes": info.total_bytes}),
    );
    success(&info)
}

/// A job id from the arguments (`400 invalid_request` when it cannot be one).
fn job_id(id: &str) -> Result<JobId, ServiceError> {
    JobId::new(id).map_err(terminal_failure)
}
