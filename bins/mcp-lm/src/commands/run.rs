//! `mcp-lm run`: one shell command with a timeout that kills its whole process group. Here or
//! through a server (`POST /terminal/cmd` with `"stream": true`), its output is copied to our
//! stdout and stderr as it is produced. Exits with the command's exit code (124 on timeout, as
//! coreutils `timeout` does; 128+N when signal N killed it).

use std::{io::Write, str::FromStr, time::Duration};

use anyhow::Result;
use base64::Engine;
use mcp_lm_core::{ServiceError, Services, TerminalCmd};
use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};

use crate::{
    cli::RunArgs,
    context::{Context, Target},
    failure::Failure,
    style::Spinner,
};

/// The exit code for a command that timed out.
pub(crate) const TIMED_OUT: u8 = 124;
/// The exit code after Ctrl-C (128 + SIGINT).
pub(crate) const INTERRUPTED: u8 = 130;

/// How a command ended, from either side.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Ending {
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    /// The signal that made us stop the command (SIGINT, SIGTERM, SIGHUP), if one did.
    interrupted: Option<i32>,
    seconds: f64,
}

impl Ending {
    /// Our exit code: the command's, or a [`Failure`] that says why there is none.
    fn into_result(self, quiet: bool) -> Result<u8> {
        let failure = if self.timed_out {
            Failure::new(format!(
                "the command timed out after {} s; its process group was killed",
                trim_seconds(self.seconds)
            ))
            .hint("raise --timeout (up to terminal.max_timeout)")
            .code(TIMED_OUT)
        } else if let Some(signal) = self.interrupted {
            let code = u8::try_from(128 + signal.clamp(0, 127)).unwrap_or(INTERRUPTED);
            Failure::new("interrupted; the command's process group was killed").code(code)
        } else if let Some(code) = self.exit_code {
            return Ok(u8::try_from(code & 0xff).unwrap_or(1));
        } else if let Some(signal) = self.signal {
            let name = nix::sys::signal::Signal::try_from(signal)
                .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned());
            let code = u8::try_from(128 + signal.clamp(0, 127)).unwrap_or(255);
            Failure::new(format!("the command was killed by {name}")).code(code)
        } else {
            Failure::new("the command's exit status is unknown")
        };
        if quiet {
            Ok(failure.code)
        } else {
            Err(failure.into())
        }
    }
}

/// The signals that stop `mcp-lm run`. Stopping must not leave the command running, so they
/// are caught and the command's process group is killed first.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn catch() -> std::io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The next one's number.
    ///
    /// # Cancel safety
    /// Cancel safe (tokio's `Signal::recv` is).
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => SignalKind::interrupt().as_raw_value(),
            _ = self.terminate.recv() => SignalKind::terminate().as_raw_value(),
            _ = self.hangup.recv() => SignalKind::hangup().as_raw_value(),
        }
    }
}

fn trim_seconds(seconds: f64) -> String {
    let text = format!("{seconds:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Runs `mcp-lm run`.
///
/// # Errors
/// A [`Failure`] when the command cannot start (denied, bad directory) or for its ending.
pub(crate) async fn run(args: &RunArgs, ctx: &Context) -> Result<u8> {
    let cmd = args.cmd.join(" ");
    if cmd.trim().is_empty() {
        return Err(Failure::new("the command is empty").code(2).into());
    }
    if args.timeout.is_some_and(|t| !t.is_finite() || t <= 0.0) {
        return Err(
            Failure::new("--timeout must be a positive number of seconds")
                .code(2)
                .into(),
        );
    }
    match ctx.target(&args.server, true)? {
        Target::Direct(services) => {
            let outcome = if args.json {
                direct_json(args, &services, cmd).await
            } else {
                direct(args, &services, cmd).await
            };
            services.audit.flush();
            outcome
        }
        Target::Remote(remote) => {
            let mut body = json!({"cmd": cmd});
            if let Some(timeout) = args.timeout {
                body["timeout"] = json!(timeout);
            }
            if let Some(cwd) = &args.cwd {
                body["cwd"] = json!(cwd);
            }
            if !args.json {
                return remote_streamed(&remote, body).await;
            }
            #[allow(clippy::cast_precision_loss)] // seconds, far below 2^52
            let longest = args
                .timeout
                .unwrap_or(ctx.config.terminal.max_timeout as f64);
            let mut signals = StopSignals::catch()?;
            let spinner = Spinner::start("running");
            let request = remote.post(
                "/terminal/cmd",
                &body,
                Duration::from_secs_f64(longest + 30.0),
            );
            // Dropping the request closes the connection, and the server then kills the
            // command's process group.
            let result = tokio::select! {
                result = request => result?,
                signal = signals.recv() => {
                    drop(spinner);
                    return Ending { interrupted: Some(signal), ..Ending::default() }.into_result(args.json);
                }
            };
            drop(spinner);
            print_result(&result, args.json, None)
        }
    }
}

/// Through a server, streamed: `output` events are copied to stdout and stderr as they come
/// (the exact bytes: `base64` when present, else `text`), `done` gives the ending. Ctrl-C (or
/// a closed stdout) drops the connection, and the server kills the command's process group.
async fn remote_streamed(remote: &crate::remote::Remote, mut body: Value) -> Result<u8> {
    body["stream"] = json!(true);
    let mut signals = StopSignals::catch()?;
    let mut spinner = Spinner::start("running");
    let interrupted = |signal| Ending {
        interrupted: Some(signal),
        ..Ending::default()
    };
    let mut events = tokio::select! {
        events = remote.post_events("/terminal/cmd", &body) => events?,
        signal = signals.recv() => {
            spinner.stop();
            return interrupted(signal).into_result(false);
        }
    };
    loop {
        let event = tokio::select! {
            event = events.next() => event?,
            signal = signals.recv() => {
                spinner.stop();
                return interrupted(signal).into_result(false);
            }
        };
        let Some(event) = event else {
            return Err(
                Failure::new("the server ended the stream without the command's result")
                    .hint("the server may have stopped; see its log")
                    .into(),
            );
        };
        let data: Value = serde_json::from_str(&event.data)?;
        match event.name.as_str() {
            "output" => {
                spinner.stop();
                let bytes = match data["base64"].as_str() {
                    Some(encoded) => base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .map_err(|e| Failure::new(format!("the server sent bad base64: {e}")))?,
                    None => data["text"]
                        .as_str()
                        .unwrap_or_default()
                        .as_bytes()
                        .to_vec(),
                };
                if data["stream"] == "stderr" {
                    let mut err = std::io::stderr().lock();
                    let _ = err.write_all(&bytes).and_then(|()| err.flush());
                } else {
                    let mut out = std::io::stdout().lock();
                    // Our reader went away (`| head`): returning drops the connection, which
                    // stops the command too.
                    out.write_all(&bytes).and_then(|()| out.flush())?;
                }
            }
            "done" => {
                spinner.stop();
                return ending(&data, None).into_result(false);
            }
            "error" => {
                spinner.stop();
                return Err(crate::commands::query::stream_failure(&data).into());
            }
            _ => {}
        }
    }
}

/// Prints the JSON answer of `/terminal/cmd` (or its output) and returns the exit code.
fn print_result(result: &Value, json: bool, interrupted: Option<i32>) -> Result<u8> {
    if json {
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(result)?
        )?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(result["stdout"].as_str().unwrap_or_default().as_bytes())?;
        out.flush()?;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(result["stderr"].as_str().unwrap_or_default().as_bytes());
        let _ = err.flush();
    }
    ending(result, interrupted).into_result(json)
}

/// How the command of a `/terminal/cmd` answer ended.
fn ending(result: &Value, interrupted: Option<i32>) -> Ending {
    let signal = result["signal"]
        .as_str()
        .and_then(|name| nix::sys::signal::Signal::from_str(name).ok())
        .map(|s| s as i32);
    Ending {
        exit_code: result["exit_code"]
            .as_i64()
            .and_then(|c| i32::try_from(c).ok()),
        signal,
        timed_out: result["timed_out"].as_bool() == Some(true),
        interrupted,
        seconds: result["timeout"]
            .as_f64()
            .or_else(|| result["execution_time"].as_f64())
            .unwrap_or_default(),
    }
}

/// Here, captured: the same JSON as `/terminal/cmd`.
async fn direct_json(args: &RunArgs, services: &Services, cmd: String) -> Result<u8> {
    let request = TerminalCmd {
        cmd,
        timeout: args.timeout,
        cwd: args.cwd.clone(),
        ..TerminalCmd::default()
    };
    let mut signals = StopSignals::catch()?;
    let cancel = pty_exec::CancellationToken::new();
    let spinner = Spinner::start("running");
    let work = services.terminal_run(&request, "cli", None, Some(cancel.clone()));
    tokio::pin!(work);
    let mut interrupted = None;
    let result = loop {
        tokio::select! {
            result = &mut work => break result.map_err(Failure::from)?,
            signal = signals.recv(), if interrupted.is_none() => {
                // The command is killed; its output so far still comes back.
                interrupted = Some(signal);
                cancel.cancel();
            }
        }
    };
    drop(spinner);
    print_result(&serde_json::to_value(&result)?, true, interrupted)
}

/// Here, streamed: output is copied as it is read; Ctrl-C kills the process group.
async fn direct(args: &RunArgs, services: &Services, cmd: String) -> Result<u8> {
    let terminal = &services.config.terminal;
    #[allow(clippy::cast_precision_loss)] // seconds, far below 2^52
    let seconds = args
        .timeout
        .unwrap_or(terminal.timeout as f64)
        .min(terminal.max_timeout as f64);
    let mut command = pty_exec::Command::new(&cmd).timeout(Duration::from_secs_f64(seconds));
    if let Some(cwd) = &args.cwd {
        command = command.cwd(cwd);
    }
    let mut spinner = Spinner::start("running");
    let mut execution = match services.runner.spawn(command).await {
        Ok(execution) => execution,
        Err(error) => {
            services.audit.record(
                "command",
                json!({"caller": "cli", "cmd": cmd, "error": error.to_string()}),
            );
            return Err(Failure::from(ServiceError::from(error)).into());
        }
    };
    let mut signals = StopSignals::catch()?;
    let mut interrupted = None;
    loop {
        tokio::select! {
            chunk = execution.next_chunk() => {
                let Some(chunk) = chunk else { break };
                spinner.stop();
                let written = match chunk.stream {
                    pty_exec::OutputStream::Stderr => {
                        let mut err = std::io::stderr().lock();
                        // Nowhere to report a closed stderr: keep the command's stdout going.
                        let _ = err.write_all(&chunk.data).and_then(|()| err.flush());
                        Ok(())
                    }
                    _ => {
                        let mut out = std::io::stdout().lock();
                        out.write_all(&chunk.data).and_then(|()| out.flush())
                    }
                };
                if let Err(error) = written {
                    // Our reader went away (`| head`): stop the command too.
                    execution.kill();
                    let _ = execution.wait().await;
                    return Err(error.into());
                }
            }
            signal = signals.recv(), if interrupted.is_none() => {
                interrupted = Some(signal);
                execution.kill();
            }
        }
    }
    spinner.stop();
    let output = execution
        .wait()
        .await
        .map_err(|e| Failure::from(ServiceError::from(e)))?;
    services.audit.record(
        "command",
        json!({
            "caller": "cli", "cmd": cmd, "exit_code": output.exit_code,
            "timed_out": output.timed_out, "cancelled": output.cancelled,
            "duration_ms": u64::try_from(output.duration.as_millis()).unwrap_or(u64::MAX),
            "bytes": output.total_bytes.stdout + output.total_bytes.stderr,
        }),
    );
    Ending {
        exit_code: output.exit_code,
        signal: output.signal,
        timed_out: output.timed_out,
        interrupted: interrupted.or(output.cancelled.then_some(2)),
        seconds,
    }
    .into_result(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending() -> Ending {
        Ending {
            exit_code: None,
            signal: None,
            timed_out: false,
            interrupted: None,
            seconds: 2.0,
        }
    }

    #[test]
    fn exit_codes() {
        let code = |e: Ending| match e.into_result(false) {
            Ok(code) => code,
            Err(error) => error.downcast_ref::<Failure>().unwrap().code,
        };
        assert_eq!(
            code(Ending {
                exit_code: Some(3),
                ..ending()
            }),
            3
        );
        assert_eq!(
            code(Ending {
                timed_out: true,
                signal: Some(15),
                ..ending()
            }),
            124
        );
        assert_eq!(
            code(Ending {
                signal: Some(9),
                ..ending()
            }),
            137
        );
        assert_eq!(
            code(Ending {
                interrupted: Some(2),
                ..ending()
            }),
            130
        );
        assert_eq!(trim_seconds(0.5), "0.5");
        assert_eq!(trim_seconds(2.0), "2");
    }
}
