//! The MCP tool catalog, defined once and served by `mcp-lm-http` (`/mcp`) and
//! `mcp-lm-stdio`: `lm_query`, `lm_models`, `terminal_run`, the terminal session tools
//! ([`crate::catalog_sessions`]), the background job tools ([`crate::catalog_jobs`]) and
//! `server_status`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mcp_protocol::{CallToolResult, RequestContext, Server, Tool, ToolError};
use serde_json::{Value, json};

use crate::catalog_support::{annotations, failed, structured};
use crate::{LmQuery, LmStreamEvent, ServiceError, Services, TerminalCmd};

/// Names of the tools, in listing order.
pub const TOOL_NAMES: [&str; 22] = [
    "lm_query",
    "lm_models",
    "terminal_run",
    "terminal_session_start",
    "terminal_session_send",
    "terminal_session_read",
    "terminal_session_list",
    "terminal_session_close",
    "terminal_job_start",
    "terminal_job_read",
    "terminal_job_kill",
    "fs_read",
    "fs_write",
    "fs_edit",
    "fs_list",
    "fs_search",
    "fs_stat",
    "fs_mkdir",
    "fs_move",
    "fs_delete",
    "logs_read",
    "server_status",
];

/// The MCP server with every tool of the catalog, bound to `services`.
///
/// # Errors
/// Only if a tool definition were invalid (a bug caught by the tests).
pub fn mcp_server(services: &Services) -> Result<Server, mcp_protocol::Error> {
    let lm = services.clone();
    let models = services.clone();
    let terminal = services.clone();
    let status = services.clone();
    let builder = Server::builder("mcp-lm-terminal", env!("CARGO_PKG_VERSION"))
        .title("LM Studio and terminal")
        .instructions(
            "Ask the local LLM (LM Studio, Ollama or an OpenAI-compatible server; `backend` picks \
             one of the configured servers) with lm_query (lm_models lists the models); run shell \
             commands with terminal_run (whole process group killed on timeout), drive interactive \
             shells with terminal_session_start/send/read/close, run long commands in the \
             background with terminal_job_start/read/kill; read, write, edit, list and search files \
             inside the allowed roots with the fs_* tools; logs_read shows the audit log; server_status tells whether each model \
             server is reachable and a model is loaded.",
        )
        .tool(
            Tool::new("lm_query", "Ask the local LLM (LM Studio, or another configured backend such as Ollama or an OpenAI-compatible server: see `backend`). Returns the answer with token usage and statistics (tokens/s, time to first token, generation time).")
                .title("Ask the local LLM")
                .input_schema(LmQuery::schema())
                .annotations(annotations("Ask the local LLM", false, false, true)),
            move |args, cx| {
                let services = lm.clone();
                async move { lm_query(&services, args, &cx).await }
            },
        )
        .tool(
            Tool::new("lm_models", "List the models of the local model servers (LM Studio and any configured backend), with their load state, type, architecture, quantization and context length. `models` holds the default backend's (or the named backend's); `backends` each server's.")
                .title("List models")
                .input_schema(json!({
                    "type": "object",
                    "properties": {
                        "backend": {"type": "string", "description": "Only this configured backend (lmstudio, or a name under backends)"}
                    },
                    "additionalProperties": false
                }))
                .annotations(annotations("List models", true, false, true)),
            move |args, _| {
                let services = models.clone();
                async move { lm_models(&services, args).await }
            },
        )
        .tool(
            Tool::new("terminal_run", "Run one shell command and return stdout, stderr and the exit code. The whole process group is killed at the timeout (and when the call is cancelled).")
                .title("Run a shell command")
                .input_schema(TerminalCmd::schema())
                .annotations(annotations("Run a shell command", false, true, true)),
            move |args, cx| {
                let services = terminal.clone();
                async move { terminal_run(&services, args, &cx).await }
            },
        );
    let builder = crate::catalog_sessions::register(builder, services);
    let builder = crate::catalog_jobs::register(builder, services);
    let builder = crate::catalog_files::register(builder, services);
    crate::catalog_logs::register(builder, services)
        .tool(
            Tool::new(
                "server_status",
                "Whether LM Studio (and each other configured model server) is reachable and a model is loaded, and the terminal settings.",
            )
            .title("Server status")
            .annotations(annotations("Server status", true, false, false)),
            move |_, _| {
                let services = status.clone();
                async move { structured(&services.status(0).await) }
            },
        )
        .build()
}

async fn lm_query(
    services: &Services,
    args: Value,
    cx: &RequestContext,
) -> Result<CallToolResult, ToolError> {
    let query = match LmQuery::from_json(args) {
        Ok(query) => query,
        Err(error) => return Ok(failed(&error)),
    };
    if cx.progress_token().is_none() {
        return match services.lm_query(&query).await {
            Ok(answer) => structured(&answer),
            Err(error) => Ok(failed(&error)),
        };
    }
    // With a progress token: stream, and report progress as chunks arrive.
    let mut events = match services.lm_query_stream(&query).await {
        Ok(events) => Box::pin(events),
        Err(error) => return Ok(failed(&error)),
    };
    let (mut content, mut reasoning, mut chunks) = (String::new(), String::new(), 0u32);
    while let Some(event) = events.next().await {
        match event {
            LmStreamEvent::Delta {
                content: text,
                reasoning: thought,
            } => {
                content.push_str(&text);
                reasoning.push_str(&thought);
                chunks += 1;
                if chunks == 1 || chunks % 16 == 0 {
                    cx.progress(
                        f64::from(chunks),
                        None,
                        Some(&format!("generating: {chunks} chunks")),
                    );
                }
            }
            LmStreamEvent::Progress { stage, progress } => {
                cx.progress(
                    progress.mul_add(0.0, f64::from(chunks) + progress / 2.0),
                    None,
                    Some(&stage),
                );
            }
            LmStreamEvent::Done(mut answer) => {
                answer.content = content;
                answer.reasoning = (!reasoning.is_empty()).then_some(reasoning);
                return structured(&answer);
            }
            LmStreamEvent::Error { error } => return Ok(failed(&error)),
        }
    }
    Ok(failed(&ServiceError::new(
        502,
        "lm_stream_failed",
        "the stream ended without a final event",
    )))
}

async fn lm_models(services: &Services, args: Value) -> Result<CallToolResult, ToolError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        #[serde(default)]
        backend: Option<String>,
    }
    let args = if args.is_null() { json!({}) } else { args };
    let args: Args = match crate::service_error::parse_args(args) {
        Ok(args) => args,
        Err(error) => return Ok(failed(&error)),
    };
    match services.lm_models(args.backend.as_deref()).await {
        Ok(report) => structured(&report),
        Err(error) => Ok(failed(&error)),
    }
}

async fn terminal_run(
    services: &Services,
    args: Value,
    cx: &RequestContext,
) -> Result<CallToolResult, ToolError> {
    let request = match TerminalCmd::from_json(args) {
        Ok(request) => request,
        Err(error) => return Ok(failed(&error)),
    };
    let started = Instant::now();
    // Dropping this (the call cancelled) kills the command's process group.
    let mut running = match services.terminal_spawn(&request, "mcp", None).await {
        Ok(running) => running,
        Err(error) => return Ok(failed(&error)),
    };
    // Progress every second while the command runs (only sent when the client asked for it),
    // with the last line it printed. The first tick a second from now: awaiting an interval's
    // immediate first tick costs up to a millisecond (the timer rounds the deadline up to its
    // next 1 ms slot), which was most of what `terminal_run("echo hi")` added to the spawn.
    let second = Duration::from_secs(1);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + second, second);
    let mut last_line = LastLine::default();
    loop {
        tokio::select! {
            chunk = running.next_chunk() => match chunk {
                Some(chunk) => last_line.push(&chunk.text),
                None => break,
            },
            _ = ticker.tick() => {
                let seconds = started.elapsed().as_secs_f64().floor();
                let message = match last_line.get() {
                    Some(line) => format!("running for {seconds:.0} s: {line}"),
                    None => format!("running for {seconds:.0} s"),
                };
                cx.progress(seconds, None, Some(&message));
            }
        }
    }
    match running.finish().await {
        Ok(result) => {
            let mut tool_result = structured(&result)?;
            tool_result.is_error = !result.success;
            Ok(tool_result)
        }
        Err(error) => Ok(failed(&error)),
    }
}

/// The last complete, non-blank line of a command's output (at most 200 characters), for
/// progress messages.
#[derive(Debug, Default)]
struct LastLine {
    /// The text after the last newline.
    partial: String,
    last: Option<String>,
}

impl LastLine {
    const MAX_CHARS: usize = 200;

    fn push(&mut self, text: &str) {
        let mut pieces = text.split('\n');
        if let Some(first) = pieces.next()
            && self.partial.chars().count() < Self::MAX_CHARS
        {
            self.partial.push_str(first);
        }
        for piece in pieces {
            let done = std::mem::replace(&mut self.partial, piece.to_owned());
            self.keep(&done);
        }
    }

    fn keep(&mut self, line: &str) {
        let line = line.trim_end_matches('\r').trim();
        if !line.is_empty() {
            self.last = Some(line.chars().take(Self::MAX_CHARS).collect());
        }
    }

    /// The last complete line, else the start of the current one.
    fn get(&self) -> Option<String> {
        let partial = self.partial.trim();
        self.last.clone().or_else(|| {
            (!partial.is_empty()).then(|| partial.chars().take(Self::MAX_CHARS).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::LastLine;

    #[test]
    fn the_last_line_is_the_last_complete_non_blank_one() {
        let mut last = LastLine::default();
        assert_eq!(last.get(), None);
        last.push("comp");
        assert_eq!(
            last.get().as_deref(),
            Some("comp"),
            "the start of the current line"
        );
        last.push("iling foo\r\n\n   \nlinking");
        assert_eq!(last.get().as_deref(), Some("compiling foo"));
        last.push(" bar\n");
        assert_eq!(last.get().as_deref(), Some("linking bar"));
        last.push(&"x".repeat(1000));
        last.push("\n");
        assert_eq!(
            last.get().map(|l| l.chars().count()),
            Some(LastLine::MAX_CHARS)
        );
    }
}
