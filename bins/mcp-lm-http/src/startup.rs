//! Start-up and shutdown: configuration, token, bind, serve, graceful stop.

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, bail};
use mcp_auth::{BearerAuth, HostPolicy, OriginPolicy, Token, TokenSet};
use mcp_lm_core::{AuditLog, Config, ConfigSource, Services};

use crate::{AppState, Args, app};

/// How long in-flight requests may finish after a shutdown signal; then they are dropped
/// (which kills their commands' process groups).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Logs to stderr at `level` (`error` … `trace`; unknown values mean `info`).
pub fn init_tracing(level: &str) {
    let level = level.parse().unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .try_init();
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The token clients must send: `--token-file`, else the config's `api_token`, else a fresh
/// one (printed once to stderr). Returns the token and whether it was configured.
fn token(args: &Args, config: &Config) -> anyhow::Result<(Token, bool)> {
    if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --token-file {}", path.display()))?;
        let token = Token::new(text.trim())
            .with_context(|| format!("the token in {} is not usable", path.display()))?;
        return Ok((token, true));
    }
    if let Some(token) = config.token()? {
        return Ok((token, true));
    }
    let token = Token::generate().context("cannot generate a token")?;
    eprintln!(
        "mcp-lm-http: no api_token configured; this run's token (send it as `Authorization: Bearer <token>`):"
    );
    eprintln!("{}", token.expose_secret());
    Ok((token, false))
}

/// Runs the server until SIGINT or SIGTERM.
///
/// # Errors
/// A configuration error (naming the field), an unusable token, a refused bind.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let loaded = Config::load(args.config.as_deref())?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let mut config = loaded.config;
    if let Some(host) = &args.host {
        config.server.host.clone_from(host);
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    let (token, configured) = token(&args, &config)?;
    if !configured && !is_loopback(&config.server.host) {
        bail!(
            "refusing to listen on {} with a generated token: configure api_token (or --token-file) to serve beyond this machine",
            config.server.host
        );
    }
    let audit = match config.audit_path() {
        Some(path) => AuditLog::open(&path, config.log.max_bytes, config.log.keep)
            .with_context(|| format!("cannot open the audit log {}", path.display()))?,
        None => AuditLog::disabled(),
    };
    let listener = tokio::net::TcpListener::bind((config.server.host.as_str(), config.server.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{}",
                config.server.host, config.server.port
            )
        })?;
    let addr = listener.local_addr()?;
    let (auth, mcp_config) = security(&config, addr, token)?;
    let services =
        Services::new(config.clone(), audit.clone()).map_err(|e| anyhow::anyhow!(e.tool_text()))?;
    let router = app(
        AppState {
            services: services.clone(),
            tickets: mcp_auth::TicketIssuer::new(),
        },
        &auth,
        mcp_config,
    )?;
    let source = match loaded.source {
        ConfigSource::File(path) => path.display().to_string(),
        ConfigSource::Embedded => "built-in defaults".to_owned(),
    };
    let others: Vec<String> = services
        .backends
        .iter()
        .skip(1)
        .map(|b| format!("{} ({}, {})", b.name, b.kind, b.host))
        .collect();
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; also: {}", others.join(", "))
    };
    eprintln!(
        "mcp-lm-http {} listening on http://{addr} (config: {source}; LM Studio: {}, api {:?}{others}; default backend: {})",
        env!("CARGO_PKG_VERSION"),
        config.lmstudio.host,
        config.lmstudio.api_version,
        services.backends.default_backend().name
    );
    audit.record(
        "server",
        serde_json::json!({"event": "start", "addr": addr.to_string()}),
    );
    // Without TCP_NODELAY, Nagle's algorithm holds small writes (a streamed chunk) until the
    // client's delayed ACK: about 40 ms late now and then.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal());
    let outcome = tokio::select! {
        outcome = server => outcome.context("server error"),
        () = async { shutdown_signal().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!("in-flight requests did not finish within {SHUTDOWN_GRACE:?}; dropping them");
            Ok(())
        }
    };
    let closed = services.sessions.close_all().await;
    audit.record(
        "server",
        serde_json::json!({"event": "stop", "sessions_closed": closed}),
    );
    audit.flush();
    eprintln!("mcp-lm-http: stopped");
    outcome
}

/// Bearer auth for every route; for `/mcp` also Host and Origin checks (DNS rebinding).
fn security(
    config: &Config,
    addr: SocketAddr,
    token: Token,
) -> anyhow::Result<(BearerAuth, mcp_protocol::HttpConfig)> {
    let mut origins = OriginPolicy::new();
    let mut mcp_config = mcp_protocol::HttpConfig::default();
    for origin in &config.server.allowed_origins {
        origins = origins.allow(origin).with_context(|| {
            format!("server.allowed_origins: {origin:?} is not scheme://host[:port]")
        })?;
        mcp_config = mcp_config.allow_origin(origin);
    }
    if !addr.ip().is_loopback() {
        mcp_config = mcp_config.allow_host(addr.ip().to_string());
    }
    let auth = BearerAuth::new(TokenSet::named("config", token))
        .realm("mcp-lm")
        .host_policy(HostPolicy::for_bound(addr))
        .origin_policy(origins);
    Ok((auth, mcp_config))
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
