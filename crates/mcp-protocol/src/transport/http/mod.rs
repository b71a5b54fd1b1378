//! The Streamable HTTP transport as an axum router, serving both eras on one endpoint.
//!
//! Legacy (2025-03-26 to 2025-11-25): `POST` carries messages (answered with JSON or an SSE
//! stream), `GET` opens a server-to-client stream or resumes one with `Last-Event-ID`,
//! `DELETE` ends a session. Modern (2026-07-28, see `modern.rs`): `POST` only, no session;
//! `GET`/`DELETE` without a legacy session id are `405`.

mod event_stream;
mod headers;
mod host_check;
mod modern;
mod registry;

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::post,
};
use serde_json::Value;

use self::{
    event_stream::{EventStream, Next},
    registry::{HttpSession, Registry},
};
use crate::{
    Era, RpcError, Server, changes::next_change, era, is_supported, jsonrpc, session::Sink,
};

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// Settings of the HTTP transport. The defaults suit a server bound to loopback.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Accepted `Host` values (port ignored). Default: `localhost`, `127.0.0.1`, `[::1]`.
    /// Empty: every host (only behind a proxy that checks it).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted besides those whose host is an allowed host.
    pub allowed_origins: Vec<String>,
    /// A session unused this long is forgotten (its id then answers 404). Default 30 min.
    pub session_idle_timeout: Duration,
    /// Most sessions at once; more answer 503. Default 1000.
    pub max_sessions: usize,
    /// Events kept per SSE stream for `Last-Event-ID` resumption. Default 256.
    pub replay_buffer: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            allowed_origins: Vec::new(),
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 1000,
            replay_buffer: 256,
        }
    }
}

impl HttpConfig {
    /// Also accepts this `Host` (e.g. the machine's name when bound beyond loopback).
    #[must_use]
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Also accepts this browser origin, e.g. `https://app.example.com`.
    #[must_use]
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// Sets the idle time after which a session is forgotten.
    #[must_use]
    pub fn session_idle_timeout(mut self, limit: Duration) -> Self {
        self.session_idle_timeout = limit;
        self
    }

    /// Sets the largest number of sessions.
    #[must_use]
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions;
        self
    }
}

/// Serves a [`Server`] over Streamable HTTP.
///
/// ```
/// use mcp_protocol::{CallToolResult, HttpConfig, Server, StreamableHttp, Tool};
/// let server = Server::builder("demo", "1.0.0")
///     .tool(Tool::new("hello", "Says hello"), |_args, _cx| async { Ok(CallToolResult::text("hello")) })
///     .build()?;
/// let app: axum::Router = StreamableHttp::new(server).config(HttpConfig::default()).router("/mcp");
/// // axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
/// # Ok::<(), mcp_protocol::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamableHttp {
    server: Server,
    config: HttpConfig,
    registry: Arc<Registry>,
}

#[derive(Clone)]
struct App {
    server: Server,
    config: Arc<HttpConfig>,
    registry: Arc<Registry>,
}

impl StreamableHttp {
    /// The transport for `server`, with the default [`HttpConfig`].
    #[must_use]
    pub fn new(server: Server) -> Self {
        Self {
            server,
            config: HttpConfig::default(),
            registry: Arc::new(Registry::default()),
        }
    }

    /// Replaces the configuration.
    #[must_use]
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Live sessions.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.registry.len()
    }

    /// A router answering `POST`, `GET` and `DELETE` at `path` (merge or nest it into your app;
    /// put authentication in front as a layer).
    pub fn router(self, path: &str) -> Router {
        let app = App {
            server: self.server,
            config: Arc::new(self.config),
            registry: self.registry,
        };
        Router::new()
            .route(
                path,
                post(post_message).get(open_stream).delete(end_session),
            )
            .with_state(app)
    }
}

fn rpc_error(status: StatusCode, error: &RpcError) -> Response {
    let body = jsonrpc::error_response(None, error);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn json_response(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// What the client accepts.
#[derive(Debug, Clone, Copy)]
struct Accept {
    json: bool,
    sse: bool,
}

impl Accept {
    fn of(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Self {
                json: true,
                sse: true,
            };
        };
        let has = |types: &[&str]| {
            accept.split(',').any(|part| {
                let media = part.split(';').next().unwrap_or_default().trim();
                types.iter().any(|t| media.eq_ignore_ascii_case(t))
            })
        };
        Self {
            json: has(&["application/json", "application/*", "*/*"]),
            sse: has(&["text/event-stream", "text/*", "*/*"]),
        }
    }
}

impl App {
    /// Host and Origin checks (DNS rebinding): 403 when either is not allowed.
    #[allow(clippy::result_large_err)] // the refusal goes straight back to axum
    fn guard(&self, headers: &HeaderMap) -> Result<(), Response> {
        let hosts = &self.config.allowed_hosts;
        if !host_check::host_allowed(headers, hosts) {
            return Err(rpc_error(
                StatusCode::FORBIDDEN,
                &RpcError::invalid_request("Host header not allowed"),
            ));
        }
        if !host_check::origin_allowed(headers, hosts, &self.config.allowed_origins) {
            return Err(rpc_error(
                StatusCode::FORBIDDEN,
                &RpcError::invalid_request("Origin not allowed"),
            ));
        }
        Ok(())
    }

    /// The session named by `Mcp-Session-Id`: 400 when missing, 404 when unknown or expired.
    #[allow(clippy::result_large_err)] // the refusal goes straight back to axum
    fn session(&self, headers: &HeaderMap) -> Result<Arc<HttpSession>, Response> {
        self.registry.sweep(self.config.session_idle_timeout);
        let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
            let error = RpcError::new(-32000, "Bad Request: the Mcp-Session-Id header is required");
            return Err(rpc_error(StatusCode::BAD_REQUEST, &error));
        };
        let Some(session) = self.registry.get(id) else {
            let error = RpcError::new(-32001, "Session not found: initialize a new session");
            return Err(rpc_error(StatusCode::NOT_FOUND, &error));
        };
        if let Some(version) = headers.get(VERSION_HEADER) {
            let version = version.to_str().unwrap_or_default();
            let negotiated = session.session.protocol_version();
            if !is_supported(version) || version != negotiated {
                let message = format!(
                    "MCP-Protocol-Version {version:?} is not the negotiated version {negotiated}"
                );
                return Err(rpc_error(
                    StatusCode::BAD_REQUEST,
                    &RpcError::invalid_request(message),
                ));
            }
        }
        session.touch();
        Ok(session)
    }
}

fn is_initialize(value: &Value) -> bool {
    value.get("method").and_then(Value::as_str) == Some("initialize")
}

fn has_requests(value: &Value) -> bool {
    let is_request = |v: &Value| v.get("method").is_some() && v.get("id").is_some();
    match value {
        Value::Array(items) => items.iter().any(is_request),
        other => is_request(other),
    }
}

async fn post_message(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    if let Err(refusal) = app.guard(&headers) {
        return refusal;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        let error = RpcError::invalid_request("Content-Type must be application/json");
        return rpc_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &error);
    }
    let accept = Accept::of(&headers);
    if !accept.json && !accept.sse {
        let error =
            RpcError::invalid_request("Accept must include application/json or text/event-stream");
        return rpc_error(StatusCode::NOT_ACCEPTABLE, &error);
    }
    let max = app.server.max_message_bytes();
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        let error = RpcError::invalid_request(format!("message larger than {max} bytes"));
        return rpc_error(StatusCode::PAYLOAD_TOO_LARGE, &error);
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return rpc_error(StatusCode::BAD_REQUEST, &RpcError::parse_error(e)),
    };
    let version = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok());
    if era::of_http(version, &value) == Era::Modern {
        return modern::post(&app, &headers, value, accept).await;
    }
    if is_initialize(&value) {
        return initialize(&app, value).await;
    }
    if value
        .as_array()
        .is_some_and(|items| items.iter().any(is_initialize))
    {
        let error = RpcError::invalid_request("initialize must not be part of a batch");
        return rpc_error(StatusCode::BAD_REQUEST, &error);
    }
    let http_session = match app.session(&headers) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let session = Arc::clone(&http_session.session);
    if !has_requests(&value) {
        // Notifications and responses to our requests: accepted, nothing to answer.
        let sink = Sink::new(|_| tracing::debug!("message for a notification dropped"));
        if let Some(answer) = session.handle_value(value, &sink).await {
            // Only an invalid message produces an answer here.
            return (StatusCode::BAD_REQUEST, json_response(answer)).into_response();
        }
        return StatusCode::ACCEPTED.into_response();
    }
    if !accept.sse {
        let sink =
            Sink::new(|_| tracing::debug!("notification dropped: the client accepts only JSON"));
        return match session.handle_value(value, &sink).await {
            Some(answer) => json_response(answer),
            None => StatusCode::ACCEPTED.into_response(),
        };
    }
    // Handle the request in its own task: a dropped connection does not cancel it, and its
    // messages stay available for resumption.
    let stream = http_session.new_stream(app.registry.next_stream_id(), app.config.replay_buffer);
    let sink = {
        let stream = Arc::clone(&stream);
        Sink::new(move |line| stream.push(line))
    };
    let finished = Arc::clone(&stream);
    tokio::spawn(async move {
        let answer = session.handle_value(value, &sink).await;
        finished.finish(answer);
    });
    match stream.next(0).await {
        // Nothing but the answer: plain JSON is simpler for every client.
        Next::Event { seq, data } if accept.json && stream.ended_after(seq) => {
            json_response(data.to_string())
        }
        Next::End => StatusCode::ACCEPTED.into_response(),
        Next::Event { .. } => sse(stream, 0),
    }
}

async fn initialize(app: &App, value: Value) -> Response {
    app.registry.sweep(app.config.session_idle_timeout);
    if app.registry.len() >= app.config.max_sessions {
        let error = RpcError::internal("too many sessions; try again later");
        return rpc_error(StatusCode::SERVICE_UNAVAILABLE, &error);
    }
    let http_session = HttpSession::new(app.server.clone());
    let sink = Sink::new(|_| {});
    let Some(answer) = http_session.session.handle_value(value, &sink).await else {
        return StatusCode::ACCEPTED.into_response();
    };
    if !http_session.session.is_initialized() {
        // Invalid initialize params: answer the error, keep no session.
        return (StatusCode::BAD_REQUEST, json_response(answer)).into_response();
    }
    let Some(id) = app.registry.insert(http_session) else {
        let error = RpcError::internal("no randomness available for a session id");
        return rpc_error(StatusCode::INTERNAL_SERVER_ERROR, &error);
    };
    let mut response = json_response(answer);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    response
}

/// `405` for `GET`/`DELETE` without a legacy session: 2026-07-28 has no standalone stream
/// and no sessions (a legacy client without a session has nothing to open or end either).
fn without_session(headers: &HeaderMap) -> Option<Response> {
    if headers.contains_key(SESSION_HEADER) {
        return None;
    }
    let mut response = rpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &RpcError::invalid_request("only POST is served without an Mcp-Session-Id"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    Some(response)
}

async fn open_stream(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(refusal) = app.guard(&headers) {
        return refusal;
    }
    if let Some(refusal) = without_session(&headers) {
        return refusal;
    }
    if !Accept::of(&headers).sse {
        let error = RpcError::invalid_request("Accept must include text/event-stream");
        return rpc_error(StatusCode::NOT_ACCEPTABLE, &error);
    }
    let http_session = match app.session(&headers) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    if let Some(last) = headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        let parsed = last
            .split_once('-')
            .and_then(|(s, n)| Some((s.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
        return match parsed.and_then(|(stream, seq)| http_session.stream(stream).map(|s| (s, seq)))
        {
            Some((stream, seq)) => sse(stream, seq + 1),
            None => rpc_error(
                StatusCode::NOT_FOUND,
                &RpcError::invalid_request("unknown Last-Event-ID"),
            ),
        };
    }
    let stream =
        http_session.open_standalone(app.registry.next_stream_id(), app.config.replay_buffer);
    forward_changes(&app, &http_session, &stream);
    sse(stream, 0)
}

/// Forwards change notifications meant for the session to its standalone stream until the
/// stream closes.
fn forward_changes(app: &App, http_session: &HttpSession, stream: &Arc<EventStream>) {
    let mut changes = app.server.inner.changes.subscribe();
    let session = Arc::clone(&http_session.session);
    let stream = Arc::clone(stream);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                change = next_change(&mut changes) => match change {
                    Some(change) => {
                        if let Some(line) = session.legacy_notification(&change) {
                            stream.push(line);
                        }
                    }
                    None => break,
                },
                // No event ever has this sequence number: this waits for the stream's end.
                _ = stream.next(u64::MAX) => break,
            }
        }
    });
}

async fn end_session(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(refusal) = app.guard(&headers) {
        return refusal;
    }
    if let Some(refusal) = without_session(&headers) {
        return refusal;
    }
    let http_session = match app.session(&headers) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    app.registry.remove(&http_session);
    StatusCode::NO_CONTENT.into_response()
}

/// An SSE response replaying `stream` from `from` and following it until it closes.
fn sse(stream: Arc<EventStream>, from: u64) -> Response {
    let events = futures_util::stream::unfold((stream, from), |(stream, from)| async move {
        match stream.next(from).await {
            Next::Event { seq, data } => {
                let event = Event::default()
                    .id(format!("{}-{seq}", stream.id))
                    .event("message")
                    .data(&*data);
                Some((Ok::<_, Infallible>(event), (stream, seq + 1)))
            }
            Next::End => None,
        }
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    sse_headers(&mut response);
    response
}

/// Headers every SSE response gets: no proxy buffering, no caching.
fn sse_headers(response: &mut Response) {
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}
