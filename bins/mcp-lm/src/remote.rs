//! [`Remote`]: a running `mcp-lm` server, reached over its REST API with the bearer token.
//! Every failure becomes a [`Failure`] with the server's error code, message and hint.

use std::{path::Path, time::Duration};

use anyhow::Result;
use serde_json::Value;

use crate::{cli::ServerArgs, failure::Failure, sse::SseReader};

/// How long to wait for a TCP connection to the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a plain request (status, models, sessions) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// Normalises a server address: adds `http://` when no scheme is given, drops a trailing `/`.
///
/// # Errors
/// A [`Failure`] when it is not an http:// URL.
pub(crate) fn normalize_url(raw: &str) -> Result<String, Failure> {
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| {
        Failure::new(format!("--server {raw:?} is not a URL: {e}"))
            .hint("use the form http://127.0.0.1:8080")
    })?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(
                Failure::new(format!("--server {raw}: https is not supported by this client"))
                    .hint("mcp-lm servers speak plain HTTP; use http:// (through an SSH tunnel for a remote machine)"),
            );
        }
        other => {
            return Err(
                Failure::new(format!("--server {raw}: unsupported scheme {other}://"))
                    .hint("use the form http://127.0.0.1:8080"),
            );
        }
    }
    if url.host_str().is_none() {
        return Err(Failure::new(format!("--server {raw} names no host")));
    }
    Ok(with_scheme.trim_end_matches('/').to_owned())
}

/// The token for `--server`: `--token`, `--token-file`, else `config_token` (the config's
/// `api_token`, which `$MCP_LM_API_TOKEN` overrides).
///
/// # Errors
/// A [`Failure`] naming the ways to give one when there is none, or an unreadable file.
pub(crate) fn resolve_token(
    args: &ServerArgs,
    config_token: Option<&str>,
    url: &str,
) -> Result<String, Failure> {
    if let Some(token) = &args.token {
        return Ok(token.trim().to_owned());
    }
    if let Some(path) = &args.token_file {
        return read_token_file(path);
    }
    match config_token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => Ok(token.to_owned()),
        None => Err(Failure::new(format!("no API token for the server at {url}"))
            .hint("pass --token-file FILE (or --token TOKEN), set MCP_LM_API_TOKEN, or set api_token in the config (`mcp-lm init` writes one)")),
    }
}

fn read_token_file(path: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("cannot read --token-file {}: {e}", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Failure::new(format!(
            "--token-file {} is empty",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

impl Remote {
    /// A client for the server at `base` (already normalised) with `token`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub(crate) fn new(base: String, token: String) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { base, token, http })
    }

    /// The server's base URL.
    #[must_use]
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The bearer token.
    #[must_use]
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// `GET path` → JSON.
    ///
    /// # Errors
    /// A [`Failure`] for a refused connection, a timeout or an error answer.
    pub(crate) async fn get(&self, path: &str) -> Result<Value> {
        let request = self
            .request(reqwest::Method::GET, path)
            .timeout(REQUEST_TIMEOUT);
        self.json(request).await
    }

    /// `DELETE path` → JSON.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub(crate) async fn delete(&self, path: &str) -> Result<Value> {
        let request = self
            .request(reqwest::Method::DELETE, path)
            .timeout(REQUEST_TIMEOUT);
        self.json(request).await
    }

    /// `POST path` with a JSON body → JSON, waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub(crate) async fn post(&self, path: &str, body: &Value, timeout: Duration) -> Result<Value> {
        let request = self
            .request(reqwest::Method::POST, path)
            .json(body)
            .timeout(timeout);
        self.json(request).await
    }

    /// `POST path` with a JSON body, answered with server-sent events.
    ///
    /// # Errors
    /// As [`get`](Self::get), for failures before the stream starts.
    pub(crate) async fn post_events(&self, path: &str, body: &Value) -> Result<SseReader> {
        let request = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(body);
        let response = self.send(request).await?;
        Ok(SseReader::new(response))
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = self.send(request).await?;
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        serde_json::from_slice(&body).map_err(|e| {
            Failure::new(format!(
                "the server at {} sent invalid JSON: {e}",
                self.base
            ))
            .hint("is --server the address of an mcp-lm server?")
            .into()
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        Err(self.refusal(status.as_u16(), &body).into())
    }

    /// A failure for an error answer: the server's `{"error":{code,message,hint}}` when it
    /// sent one, with better hints for authentication.
    #[must_use]
    pub(crate) fn refusal(&self, status: u16, body: &[u8]) -> Failure {
        let error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").cloned());
        let text = |name: &str| {
            error
                .as_ref()
                .and_then(|e| e.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (code, message, hint) = (text("code"), text("message"), text("hint"));
        let message = match (message, code) {
            (Some(message), Some(code)) => format!("{message} ({code})"),
            (Some(message), None) => message,
            (None, _) => format!("the server at {} answered HTTP {status}", self.base),
        };
        let failure = Failure::new(message);
        match status {
            401 | 403 => failure
                .hint("the server refused the token: pass the server's api_token with --token-file, --token or MCP_LM_API_TOKEN"),
            _ => match hint {
                Some(hint) => failure.hint(hint),
                None => failure,
            },
        }
    }

    fn transport(&self, error: &reqwest::Error) -> anyhow::Error {
        let failure = if error.is_connect() {
            Failure::new(format!("cannot reach the mcp-lm server at {}", self.base)).hint(
                "start it with `mcp-lm serve` (or `mcp-lm service install`), or check --server",
            )
        } else if error.is_timeout() {
            Failure::new(format!(
                "the server at {} did not answer in time",
                self.base
            ))
        } else {
            Failure::new(format!(
                "request to the server at {} failed: {}",
                self.base,
                chain(error)
            ))
        };
        failure.into()
    }

    /// The `ws://` URL of `path` with a query string.
    #[must_use]
    pub(crate) fn ws_url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}{path}", self.base.replacen("http://", "ws://", 1));
        let mut separator = '?';
        for (name, value) in query {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(&percent_encode(value));
            separator = '&';
        }
        url
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalize_url("127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_url("http://localhost:1").unwrap(),
            "http://localhost:1"
        );
        assert!(normalize_url("https://example.org").is_err());
        assert!(normalize_url("ftp://x").is_err());
    }

    #[test]
    fn query_values_are_encoded() {
        let remote = Remote::new("http://h:1".into(), "t".into()).unwrap();
        assert_eq!(
            remote.ws_url("/s", &[("name", "a b&c".into()), ("cols", "80".into())]),
            "ws://h:1/s?name=a%20b%26c&cols=80"
        );
    }
}
