//! The `mcp-lm-http` server as a library, so tests can build the router in-process
//! ([`app`]) or run the whole server ([`run`]).
// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "256"]

mod api_error;
mod caller;
mod routes;
mod startup;

use std::path::PathBuf;

use axum::{Router, routing::get};
use mcp_auth::{BearerAuth, BearerLayer, InvalidTokenStatus};
use mcp_lm_core::Services;

pub use startup::{init_tracing, run};

/// Command-line arguments.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "mcp-lm-http",
    version,
    about = "HTTP server giving AI assistants a local LLM (LM Studio) and a terminal: REST API and MCP over HTTP"
)]
pub struct Args {
    /// Address to bind (default: server.host of the config, 127.0.0.1).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to bind (default: server.port of the config, 8080; 0 picks a free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Configuration file (default: $MCP_LM_CONFIG, then ~/.config/mcp-lm/config.json).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// File holding the API token (instead of api_token in the config).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Log level on stderr: error, warn, info, debug, trace.
    #[arg(long, default_value = "info")]
    pub log_level: String,
}

/// What every handler needs.
#[derive(Debug, Clone)]
pub struct AppState {
    /// LM Studio, the runner, the sessions, the audit log, the configuration.
    pub services: Services,
    /// Single-use tickets for browser WebSockets.
    pub tickets: mcp_auth::TicketIssuer,
}

/// The whole HTTP application: REST routes behind bearer auth (403 for a wrong token, as the
/// original server did), `/mcp` behind bearer auth (401, as MCP wants) with Host and Origin
/// checks, the public `/health`, and the web UI's static page (`GET /`, `GET /ui/…`: public,
/// it holds no data; its calls carry the token).
///
/// # Errors
/// When the MCP tool catalog cannot be built (a bug).
pub fn app(
    state: AppState,
    auth: &BearerAuth,
    mcp_config: mcp_protocol::HttpConfig,
) -> Result<Router, mcp_protocol::Error> {
    let mcp_server = mcp_lm_core::mcp_server(&state.services)?;
    let rest_auth = auth
        .clone()
        .invalid_token_status(InvalidTokenStatus::Forbidden);
    // Browsers cannot set headers on a WebSocket: that one route also takes a ticket or the
    // `bearer.<token>` subprotocol.
    let ws_auth = rest_auth
        .clone()
        .accept_websocket_protocol()
        .accept_tickets(state.tickets.clone());
    let stream = Router::new()
        .route("/terminal/stream", get(routes::terminal_stream))
        .route("/lm/stream", get(routes::lm_stream))
        .with_state(state.clone())
        .route_layer(BearerLayer::new(ws_auth));
    let rest = routes::rest()
        .with_state(state)
        .route_layer(BearerLayer::new(rest_auth));
    let mcp = mcp_protocol::StreamableHttp::new(mcp_server)
        .config(mcp_config)
        .router("/mcp")
        .layer(BearerLayer::new(
            auth.clone()
                .invalid_token_status(InvalidTokenStatus::Unauthorized),
        ));
    Ok(Router::new()
        .merge(rest)
        .merge(stream)
        .merge(mcp)
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .merge(routes::ui())
        .fallback(routes::not_found))
}
