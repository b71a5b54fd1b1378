//! `/terminal/cmd` and the `terminal_run` tool: one command with a timeout that kills the
//! whole process group, bounded output, an audit line.

use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ServiceError, Services};

/// A command request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalCmd {
    /// The command line (run by the configured shell).
    pub cmd: String,
    /// Seconds before the process group is killed (default `terminal.timeout`; clamped to
    /// `terminal.max_timeout`).
    #[serde(default)]
    pub timeout: Option<f64>,
    /// Working directory.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Text given on standard input (default: none, `/dev/null`).
    #[serde(default)]
    pub stdin: Option<String>,
    /// Bytes kept per stream (at most `terminal.max_output_bytes`).
    #[serde(default)]
    pub max_output_bytes: Option<usize>,
}

/// The answer: the original fields (`success`, `command`, `stdout`, `stderr`, `exit_code`,
/// `execution_time`) plus `timed_out`, `truncated`, `signal`, `*_base64`…
#[derive(Debug, Clone, Serialize)]
pub struct CmdResult {
    /// Exit code 0, not timed out.
    pub success: bool,
    /// Everything the runner reports.
    #[serde(flatten)]
    pub output: pty_exec::Output,
    /// The time limit that applied, in seconds.
    pub timeout: f64,
}

impl TerminalCmd {
    /// Parses tool arguments or a request body.
    ///
    /// # Errors
    /// `400 invalid_request` naming the field.
    pub fn from_json(value: Value) -> Result<Self, ServiceError> {
        let cmd: Self = crate::service_error::parse_args(value)?;
        if cmd.cmd.trim().is_empty() {
            return Err(
                ServiceError::bad_request("cmd is required").hint(r#"send {"cmd": "ls -la"}"#)
            );
        }
        if cmd.timeout.is_some_and(|t| !t.is_finite() || t <= 0.0) {
            return Err(ServiceError::bad_request(
                "timeout must be a positive number of seconds",
            ));
        }
        Ok(cmd)
    }

    /// The JSON schema of the arguments.
    #[must_use]
    pub fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "cmd": {"type": "string", "minLength": 1, "description": "Command line, run by the shell"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds before the whole process group is killed"},
                "cwd": {"type": "string", "description": "Working directory"},
                "env": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra environment variables"},
                "stdin": {"type": "string", "description": "Standard input (default: none)"},
                "max_output_bytes": {"type": "integer", "minimum": 1, "description": "Bytes kept per stream"}
            },
            "required": ["cmd"],
            "additionalProperties": false
        })
    }
}

impl Services {
    /// Runs a command; `cancel` (MCP cancellation) kills its process group. `caller` names who
    /// asked (the token's name, `mcp`…) and `remote` where from, for the audit log.
    ///
    /// # Errors
    /// [`ServiceError`]: denied (403), busy (429), bad working directory (400), spawn failure.
    pub async fn terminal_run(
        &self,
        request: &TerminalCmd,
        caller: &str,
        remote: Option<&str>,
        cancel: Option<pty_exec::CancellationToken>,
    ) -> Result<CmdResult, ServiceError> {
        let (mut command, seconds) = self.command(request);
        if let Some(cancel) = cancel {
            command = command.cancel_token(cancel);
        }
        let outcome = self.runner.run(command).await;
        self.conclude(caller, remote, &request.cmd, outcome, seconds)
    }

    /// Starts a command whose output is read as it comes: [`RunningCommand::next_chunk`],
    /// then [`RunningCommand::finish`] for the same [`CmdResult`] as
    /// [`terminal_run`](Self::terminal_run). Dropping it kills the process group (and records
    /// the command as cancelled).
    ///
    /// # Errors
    /// As [`terminal_run`](Self::terminal_run).
    pub async fn terminal_spawn(
        &self,
        request: &TerminalCmd,
        caller: &str,
        remote: Option<&str>,
    ) -> Result<RunningCommand, ServiceError> {
        let (command, seconds) = self.command(request);
        match self.runner.spawn(command).await {
            Ok(execution) => Ok(RunningCommand {
                execution: Some(execution),
                services: self.clone(),
                caller: caller.to_owned(),
                remote: remote.map(str::to_owned),
                cmd: request.cmd.clone(),
                seconds,
            }),
            Err(error) => {
                self.record_command(caller, remote, &request.cmd, Err(&error));
                Err(error.into())
            }
        }
    }

    /// The runner's command for `request`, and its time limit in seconds.
    fn command(&self, request: &TerminalCmd) -> (pty_exec::Command, f64) {
        let terminal = &self.config.terminal;
        #[allow(clippy::cast_precision_loss)] // seconds, far below 2^52
        let max = terminal.max_timeout as f64;
        #[allow(clippy::cast_precision_loss)]
        let seconds = request.timeout.unwrap_or(terminal.timeout as f64).min(max);
        let mut command = pty_exec::Command::new(&request.cmd)
            .timeout(Duration::from_secs_f64(seconds))
            .max_output_bytes(
                request
                    .max_output_bytes
                    .unwrap_or(terminal.max_output_bytes)
                    .min(terminal.max_output_bytes),
            );
        if let Some(cwd) = &request.cwd {
            command = command.cwd(cwd);
        }
        for (name, value) in &request.env {
            command = command.env(name, value);
        }
        if let Some(stdin) = &request.stdin {
            command = command.stdin(stdin.clone().into_bytes());
        }
        (command, seconds)
    }

    /// The end of a command, run or streamed: its audit line, then its result.
    fn conclude(
        &self,
        caller: &str,
        remote: Option<&str>,
        cmd: &str,
        outcome: pty_exec::Result<pty_exec::Output>,
        seconds: f64,
    ) -> Result<CmdResult, ServiceError> {
        self.record_command(caller, remote, cmd, outcome.as_ref());
        let output = outcome?;
        Ok(CmdResult {
            success: output.success(),
            output,
            timeout: seconds,
        })
    }

    /// The audit line of a command.
    fn record_command(
        &self,
        caller: &str,
        remote: Option<&str>,
        cmd: &str,
        outcome: Result<&pty_exec::Output, &pty_exec::Error>,
    ) {
        match outcome {
            Ok(output) => self.audit.record(
                "command",
                json!({
                    "caller": caller, "remote": remote, "cmd": cmd, "exit_code": output.exit_code,
                    "timed_out": output.timed_out, "cancelled": output.cancelled,
                    "duration_ms": u64::try_from(output.duration.as_millis()).unwrap_or(u64::MAX),
                    "bytes": output.total_bytes.stdout + output.total_bytes.stderr,
                }),
            ),
            Err(error) => self.audit.record(
                "command",
                json!({"caller": caller, "remote": remote, "cmd": cmd, "error": error.to_string()}),
            ),
        }
    }
}

/// A command started by [`Services::terminal_spawn`].
#[derive(Debug)]
pub struct RunningCommand {
    execution: Option<pty_exec::Execution>,
    services: Services,
    caller: String,
    remote: Option<String>,
    cmd: String,
    seconds: f64,
}

impl RunningCommand {
    /// The next piece of output, or `None` once both streams are closed.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn next_chunk(&mut self) -> Option<pty_exec::Chunk> {
        self.execution.as_mut()?.next_chunk().await
    }

    /// Waits for the end; the result holds the whole (capped) output again, as
    /// [`Services::terminal_run`] returns it, and the audit line is written.
    ///
    /// # Errors
    /// The runner's error if the command could not be waited for.
    pub async fn finish(mut self) -> Result<CmdResult, ServiceError> {
        let Some(execution) = self.execution.take() else {
            return Err(ServiceError::new(500, "internal_error", "already finished"));
        };
        let outcome = execution.wait().await;
        self.services.conclude(
            &self.caller,
            self.remote.as_deref(),
            &self.cmd,
            outcome,
            self.seconds,
        )
    }
}

impl Drop for RunningCommand {
    fn drop(&mut self) {
        // Dropped before `finish`: the call was cancelled or the client went away. The
        // execution's drop kills the process group.
        if self.execution.take().is_some() {
            self.services.audit.record(
                "command",
                json!({"caller": self.caller, "remote": self.remote, "cmd": self.cmd, "cancelled": true, "error": "stopped before the end (call cancelled or client gone)"}),
            );
        }
    }
}
