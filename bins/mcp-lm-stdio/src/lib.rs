//! `mcp-lm-stdio` as a library: the same MCP tool catalog as `mcp-lm-http`'s `/mcp`, served
//! over stdin/stdout. No token (the host owns the pipe); the same configuration and policy
//! (deny patterns, output caps, timeouts, audit log).

use std::path::PathBuf;

use anyhow::Context;
use mcp_lm_core::{AuditLog, Config, Services};

/// Command-line arguments.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "mcp-lm-stdio",
    version,
    about = "MCP server over stdio: a local LLM (LM Studio) and a terminal for MCP hosts such as Claude Desktop",
    after_help = "Claude Desktop (claude_desktop_config.json):\n  {\"mcpServers\": {\"mcp-lm\": {\"command\": \"/path/to/mcp-lm-stdio\"}}}"
)]
pub struct Args {
    /// Configuration file (default: $MCP_LM_CONFIG, then ~/.config/mcp-lm/config.json).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Log level on stderr: error, warn, info, debug, trace.
    #[arg(long, default_value = "warn")]
    pub log_level: String,
}

/// Logs to stderr only (stdout carries the protocol), without colours.
pub fn init_tracing(level: &str) {
    let level = level.parse().unwrap_or(tracing::Level::WARN);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .try_init();
}

/// Serves until stdin ends or SIGTERM/SIGINT arrives; then kills every child it started.
///
/// # Errors
/// A configuration error naming the field, or an unusable audit log location.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let loaded = Config::load(args.config.as_deref())?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let config = loaded.config;
    let audit = match config.audit_path() {
        Some(path) => AuditLog::open(&path, config.log.max_bytes, config.log.keep)
            .with_context(|| format!("cannot open the audit log {}", path.display()))?,
        None => AuditLog::disabled(),
    };
    let services =
        Services::new(config, audit.clone()).map_err(|e| anyhow::anyhow!(e.tool_text()))?;
    let server = mcp_lm_core::mcp_server(&services)?;
    audit.record(
        "server",
        serde_json::json!({"event": "start", "transport": "stdio"}),
    );
    let outcome = tokio::select! {
        outcome = mcp_protocol::serve_stdio(server) => outcome.context("stdio transport failed"),
        () = terminate() => {
            tracing::info!("terminating: cancelling in-flight requests");
            Ok(())
        }
    };
    // Dropping the serve future above dropped in-flight handlers (their commands' process
    // groups are killed); interactive sessions and jobs are closed here.
    let closed = services.sessions.close_all().await;
    audit.record(
        "server",
        serde_json::json!({"event": "stop", "transport": "stdio", "sessions_closed": closed}),
    );
    audit.flush();
    outcome
}

async fn terminate() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
