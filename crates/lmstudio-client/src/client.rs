//! [`Client`], its builder and the HTTP plumbing every API family shares.

use std::{
    fmt,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{
    Method, Response,
    header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    Error, Result,
    error_body::{body_text, classify, is_error_envelope},
};

/// Where LM Studio listens unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "http://localhost:1234";

/// How long a resolved default model is reused before the model list is asked again.
const RESOLVED_MODEL_TTL: Duration = Duration::from_secs(2);

/// A client for one local model server. Cheap to clone: clones share one connection pool.
///
/// The API families hang off it: [`v0`](Client::v0) (native REST v0, full stats),
/// [`openai`](Client::openai) (`/v1`, any OpenAI-compatible server: LM Studio, llama.cpp's
/// server, vLLM…), [`native`](Client::native) (native REST v1, LM Studio 0.4+) and
/// [`ollama`](Client::ollama) (Ollama's `/api`).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: Option<HeaderValue>,
    pub(crate) timeout: Duration,
    pub(crate) stream_idle_timeout: Duration,
    pub(crate) probe_timeout: Duration,
    default_model: Option<String>,
    resolved_model: Mutex<Option<(String, Instant)>>,
    /// Set once `/api/v0/models` answered 404 or "unexpected endpoint": the server is not
    /// LM Studio (llama.cpp, vLLM…), so models are resolved from `/v1/models` straight away.
    not_lm_studio: AtomicBool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_token", &self.inner.token.as_ref().map(|_| "***"))
            .field("timeout", &self.inner.timeout)
            .field("default_model", &self.inner.default_model)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    /// A client for LM Studio on `http://localhost:1234` with default settings.
    fn default() -> Self {
        Self::builder().build_infallible()
    }
}

impl Client {
    /// A builder with the defaults: `http://localhost:1234`, no token, 10 min request timeout,
    /// 2 s connect timeout, 2 min idle timeout between stream chunks, 800 ms probe timeout.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to (no trailing slash).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The model used when a request names none (or `"default"`), if one was configured.
    #[must_use]
    pub fn configured_model(&self) -> Option<&str> {
        self.inner.default_model.as_deref()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base_url)
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let builder = self.inner.http.request(method, url);
        match &self.inner.token {
            Some(token) => builder.header(AUTHORIZATION, token.clone()),
            None => builder,
        }
    }

    /// Runs `future` under `limit`, turning the elapsed limit into [`Error::Timeout`].
    pub(crate) async fn within<T>(
        url: &str,
        limit: Duration,
        future: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(limit, future)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    url: url.to_owned(),
                    after: limit,
                })
            })
    }

    /// Sends a request and returns the response head, or the classified error for a failed
    /// status. `requested_model` only improves error messages.
    async fn send(
        &self,
        method: Method,
        url: &str,
        json_body: Option<Vec<u8>>,
        requested_model: Option<&str>,
    ) -> Result<Response> {
        let mut builder = self.request(method, url);
        if let Some(body) = json_body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|source| transport_error(url, source))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response
            .bytes()
            .await
            .map_err(|source| transport_error(url, source))?;
        Err(classify(status.as_u16(), &body, requested_model))
    }

    /// `GET path` → `T`, within `limit`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        limit: Duration,
    ) -> Result<T> {
        let url = self.url(path);
        Self::within(&url, limit, async {
            let response = self.send(Method::GET, &url, None, None).await?;
            read_json(&url, response, None).await
        })
        .await
    }

    /// `POST path` with a JSON body → `T` and the time the whole exchange took.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        requested_model: Option<&str>,
    ) -> Result<(T, Duration)> {
        let url = self.url(path);
        let body = encode(&url, body)?;
        let started = Instant::now();
        Self::within(&url, self.inner.timeout, async {
            let response = self
                .send(Method::POST, &url, Some(body), requested_model)
                .await?;
            let value = read_json(&url, response, requested_model).await?;
            Ok((value, started.elapsed()))
        })
        .await
    }

    /// `POST path` expecting `text/event-stream`: returns the response once its head arrived
    /// (within the request timeout) and the instant the request was sent.
    pub(crate) async fn post_stream(
        &self,
        path: &str,
        body: &impl Serialize,
        requested_model: Option<&str>,
    ) -> Result<(Response, Instant, String)> {
        let url = self.url(path);
        let body = encode(&url, body)?;
        let started = Instant::now();
        let response = Self::within(&url, self.inner.timeout, async {
            let response = self
                .send(Method::POST, &url, Some(body), requested_model)
                .await?;
            let is_json = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if is_json {
                // A stream request answered with a JSON body: LM Studio's 200-with-error.
                let status = response.status().as_u16();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|source| transport_error(&url, source))?;
                return Err(classify(status, &bytes, requested_model));
            }
            Ok(response)
        })
        .await?;
        Ok((response, started, url))
    }

    /// Resolves `requested` to a model id: itself when it names one, else the configured
    /// default, else the first loaded text model (for `embeddings`: the first loaded embedding
    /// model, or the first downloaded one).
    ///
    /// # Errors
    /// [`Error::NoModelLoaded`] when nothing fits; transport errors of the model list.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is changed until the model list has been read.
    pub async fn resolve_model(&self, requested: Option<&str>, embeddings: bool) -> Result<String> {
        if let Some(model) = requested.filter(|m| !m.is_empty() && *m != "default") {
            return Ok(model.to_owned());
        }
        if let Some(model) = &self.inner.default_model {
            return Ok(model.clone());
        }
        if !embeddings && let Some(model) = self.cached_model() {
            return Ok(model);
        }
        let listed = if self.is_lm_studio() {
            match self.v0().models().await {
                Ok(models) => Some(models),
                Err(Error::UnknownEndpoint { .. } | Error::Api { status: 404, .. }) => {
                    self.mark_not_lm_studio();
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let Some(models) = listed else {
            // Not LM Studio: any OpenAI-compatible server lists its models on /v1.
            let first = self.openai().models().await?.into_iter().next();
            let model = first.map(|m| m.id).ok_or(Error::NoModelLoaded {
                body: String::new(),
            })?;
            self.remember_model(&model);
            return Ok(model);
        };
        let chosen = if embeddings {
            let candidates = || {
                models
                    .iter()
                    .filter(|m| m.kind == crate::ModelType::Embeddings)
            };
            candidates()
                .find(|m| m.is_loaded())
                .or_else(|| candidates().next())
        } else {
            models
                .iter()
                .find(|m| m.is_loaded() && m.kind.generates_text())
        };
        let model = chosen.map(|m| m.id.clone()).ok_or(Error::NoModelLoaded {
            body: String::new(),
        })?;
        if !embeddings {
            self.remember_model(&model);
        }
        Ok(model)
    }

    /// False once the server turned out not to be LM Studio (no `/api/v0`).
    pub(crate) fn is_lm_studio(&self) -> bool {
        !self.inner.not_lm_studio.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_not_lm_studio(&self) {
        self.inner.not_lm_studio.store(true, Ordering::Relaxed);
    }

    /// Reuses `model` as the resolved default for a short while.
    pub(crate) fn remember_model(&self, model: &str) {
        *self.lock_resolved() = Some((model.to_owned(), Instant::now()));
    }

    /// The recently resolved default model, if still fresh.
    pub(crate) fn cached_model(&self) -> Option<String> {
        let cached = self.lock_resolved();
        cached
            .as_ref()
            .filter(|(_, at)| at.elapsed() < RESOLVED_MODEL_TTL)
            .map(|(model, _)| model.clone())
    }

    fn lock_resolved(&self) -> std::sync::MutexGuard<'_, Option<(String, Instant)>> {
        self.inner
            .resolved_model
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Serializes a request body.
fn encode(url: &str, body: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|source| Error::Decode {
        url: url.to_owned(),
        body: String::new(),
        source,
    })
}

/// Reads a successful answer's body as `T`, catching LM Studio's 200-with-error bodies.
async fn read_json<T: DeserializeOwned>(
    url: &str,
    response: Response,
    requested_model: Option<&str>,
) -> Result<T> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|source| transport_error(url, source))?;
    if is_error_envelope(&body) {
        return Err(classify(status.as_u16(), &body, requested_model));
    }
    serde_json::from_slice(&body).map_err(|source| Error::Decode {
        url: url.to_owned(),
        body: body_text(&body),
        source,
    })
}

/// Maps a reqwest error to the variant a caller branches on.
pub(crate) fn transport_error(url: &str, source: reqwest::Error) -> Error {
    let url = url.to_owned();
    if source.is_connect() {
        Error::Unreachable { url, source }
    } else if source.is_timeout() {
        Error::Timeout {
            url,
            after: Duration::ZERO,
        }
    } else {
        Error::Http { url, source }
    }
}

/// Builder for [`Client`]. Setters record; [`build`](ClientBuilder::build) validates.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    api_token: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    stream_idle_timeout: Duration,
    probe_timeout: Duration,
    default_model: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_token", &self.api_token.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("default_model", &self.default_model)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_token: None,
            timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(2),
            stream_idle_timeout: Duration::from_secs(120),
            probe_timeout: Duration::from_millis(800),
            default_model: None,
        }
    }
}

impl ClientBuilder {
    /// Server address, e.g. `http://127.0.0.1:1234` (Ollama: `http://127.0.0.1:11434`). A
    /// trailing `/v1`, `/api/v0`, `/api/v1` or `/api` (as OpenAI-style base URLs often carry) is
    /// dropped, since each call adds its own prefix.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The server's own API token (LM Studio's "Require Authentication", vLLM's `--api-key`, a
    /// proxy in front of Ollama…), sent as `Authorization: Bearer …`. Never logged; `Debug`
    /// shows `***`.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.api_token = Some(token.into()).filter(|t: &String| !t.is_empty());
        self
    }

    /// Limit for a whole non-streaming request, and for the head of a streaming answer.
    /// Default 10 minutes: a just-in-time model load can take minutes.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Limit for opening a TCP connection. Default 2 s.
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// Longest wait for the next chunk of a stream. Default 2 minutes.
    pub fn stream_idle_timeout(mut self, limit: Duration) -> Self {
        self.stream_idle_timeout = limit;
        self
    }

    /// Limit for [`Client::health`] and [`Client::status`]. Default 800 ms, so a dead server is
    /// known in under a second.
    pub fn probe_timeout(mut self, limit: Duration) -> Self {
        self.probe_timeout = limit;
        self
    }

    /// Model used when a request names none or `"default"`. Without it, the first loaded
    /// model is used.
    pub fn default_model(mut self, model: impl Into<String>) -> Self {
        self.default_model =
            Some(model.into()).filter(|m: &String| !m.is_empty() && m != "default");
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a base URL that is not an `http`/`https` URL, one that carries
    /// credentials, a token that cannot be a header value, or a zero timeout.
    pub fn build(self) -> Result<Client> {
        let base_url = normalize_base_url(&self.base_url)?;
        let token = match &self.api_token {
            Some(token) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                        Error::Config {
                            reason: "api_token contains characters not allowed in an HTTP header"
                                .to_owned(),
                        }
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        for (name, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
            ("stream_idle_timeout", self.stream_idle_timeout),
            ("probe_timeout", self.probe_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::Config {
                    reason: format!("{name} must be greater than zero"),
                });
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("lmstudio-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config {
                reason: format!("HTTP client: {e}"),
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                token,
                timeout: self.timeout,
                stream_idle_timeout: self.stream_idle_timeout,
                probe_timeout: self.probe_timeout,
                default_model: self.default_model,
                resolved_model: Mutex::new(None),
                not_lm_studio: AtomicBool::new(false),
            }),
        })
    }

    fn build_infallible(self) -> Client {
        // The defaults are valid; only a failing TLS backend could make this fail, and then
        // a client without TLS settings is still usable for plain HTTP.
        match self.build() {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(error = %error, "default client could not be built; using reqwest defaults");
                Client {
                    inner: Arc::new(Inner {
                        http: reqwest::Client::new(),
                        base_url: DEFAULT_BASE_URL.to_owned(),
                        token: None,
                        timeout: Duration::from_secs(600),
                        stream_idle_timeout: Duration::from_secs(120),
                        probe_timeout: Duration::from_millis(800),
                        default_model: None,
                        resolved_model: Mutex::new(None),
                        not_lm_studio: AtomicBool::new(false),
                    }),
                }
            }
        }
    }
}

fn normalize_base_url(raw: &str) -> Result<String> {
    let bad = |reason: String| Error::Config { reason };
    let url = url::Url::parse(raw.trim())
        .map_err(|e| bad(format!("base_url {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "base_url must start with http:// or https://, got {}://",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "base_url must not carry credentials; use api_token".to_owned()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("base_url must not have a query or fragment".to_owned()));
    }
    let mut text = url.as_str().trim_end_matches('/').to_owned();
    for suffix in ["/api/v0", "/api/v1", "/v1", "/api"] {
        if let Some(stripped) = text.strip_suffix(suffix) {
            text = stripped.to_owned();
            break;
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalized() {
        assert_eq!(
            normalize_base_url("http://localhost:1234/").unwrap(),
            "http://localhost:1234"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:1234/v1").unwrap(),
            "http://127.0.0.1:1234"
        );
        assert_eq!(
            normalize_base_url("https://h/proxy/api/v0/").unwrap(),
            "https://h/proxy"
        );
        for bad in [
            "localhost:1234",
            "ftp://h",
            "http://u:p@h",
            "not a url",
            "http://h/?q=1",
        ] {
            assert!(
                matches!(normalize_base_url(bad), Err(Error::Config { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn builder_rejects_bad_values_and_debug_hides_the_token() {
        let err = Client::builder()
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
        let err = Client::builder().api_token("a\nb").build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        let client = Client::builder().api_token("sk-lm-secret").build().unwrap();
        assert!(!format!("{client:?}").contains("secret"));
        let builder = Client::builder().api_token("sk-lm-secret");
        assert!(!format!("{builder:?}").contains("secret"));
    }
}
