//! `GET /status` and the `server_status` tool: are the model servers there, is a model
//! loaded, what does the terminal allow. The probes (one per backend, concurrent) are cached
//! briefly so the route stays fast.

use std::time::Duration;

use futures_util::future::join_all;
use serde::Serialize;

use crate::{ApiVersion, Backend, BackendKind, Services};

/// How long a probe result is reused.
const STATUS_CACHE: Duration = Duration::from_millis(1500);

/// The status report (the original fields plus `uptime_s`, `models`, `api_version`,
/// `backends`). `lm_studio` and `models` describe the default backend (LM Studio unless
/// `default_backend` says otherwise); `backends` describes each.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// Always `online` (the server answered).
    pub status: &'static str,
    /// The default backend (LM Studio unless configured otherwise).
    pub lm_studio: LmStudioStatus,
    /// The terminal side.
    pub terminal: TerminalStatus,
    /// Server version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_s: u64,
    /// Interactive terminal sessions open.
    pub sessions: usize,
    /// Model ids the default backend lists.
    pub models: Vec<String>,
    /// Every backend, `lmstudio` first.
    pub backends: Vec<BackendStatus>,
}

/// `lm_studio` of the status: the default backend.
#[derive(Debug, Clone, Serialize)]
pub struct LmStudioStatus {
    /// The server answered.
    pub connected: bool,
    /// Its base URL.
    pub host: String,
    /// The configured model.
    pub model: String,
    /// A model is loaded.
    pub available: bool,
    /// The API family used for queries.
    pub api_version: crate::ApiVersion,
    /// Why it is not connected or not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The backend's name (`lmstudio` unless `default_backend` names another).
    pub backend: String,
    /// What kind of server it is.
    pub kind: BackendKind,
}

/// One entry of `backends` in the status.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BackendStatus {
    /// The backend's name.
    pub name: String,
    /// What kind of server it is.
    pub kind: BackendKind,
    /// Its base URL.
    pub host: String,
    /// The configured model.
    pub model: String,
    /// True for the backend queries use by default.
    pub default: bool,
    /// The server answered.
    pub connected: bool,
    /// A model can answer (loaded, or for Ollama downloaded).
    pub available: bool,
    /// The API family queries use.
    pub api_version: ApiVersion,
    /// The model ids it lists.
    pub models: Vec<String>,
    /// How long the probe took, in milliseconds.
    pub latency_ms: f64,
    /// Why it is not connected or not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `terminal` of the status.
#[derive(Debug, Clone, Serialize)]
pub struct TerminalStatus {
    /// `available`.
    pub status: &'static str,
    /// Default timeout, e.g. `"20s"`.
    pub timeout: String,
    /// Commands running now.
    pub running: usize,
}

impl Services {
    /// The status; the backend probes (≤ 800 ms each, concurrent) are cached for 1.5 s.
    pub async fn status(&self, sessions: usize) -> StatusReport {
        let mut report = match self.cached_status(STATUS_CACHE) {
            Some(report) => report,
            None => {
                let default = self.backends.default_backend();
                let probes = join_all(self.backends.iter().map(Backend::status)).await;
                let backends: Vec<BackendStatus> = self
                    .backends
                    .iter()
                    .zip(probes)
                    .map(|(backend, probe)| BackendStatus {
                        name: backend.name.clone(),
                        kind: backend.kind,
                        host: backend.host.clone(),
                        model: backend.model.clone(),
                        default: backend.name == default.name,
                        connected: probe.connected,
                        available: probe.available,
                        api_version: backend.api_version,
                        models: probe.models.iter().map(|m| m.id.clone()).collect(),
                        latency_ms: probe.latency.as_secs_f64() * 1000.0,
                        error: probe.error,
                    })
                    .collect();
                // `Backends` always holds its default one; `first` only satisfies the types.
                let probe = backends
                    .iter()
                    .find(|b| b.default)
                    .or(backends.first())
                    .cloned();
                let probe = probe.unwrap_or_else(|| BackendStatus {
                    name: default.name.clone(),
                    kind: default.kind,
                    host: default.host.clone(),
                    model: default.model.clone(),
                    default: true,
                    connected: false,
                    available: false,
                    api_version: default.api_version,
                    models: Vec::new(),
                    latency_ms: 0.0,
                    error: None,
                });
                let report = StatusReport {
                    status: "online",
                    lm_studio: LmStudioStatus {
                        connected: probe.connected,
                        host: probe.host,
                        model: probe.model,
                        available: probe.available,
                        api_version: probe.api_version,
                        error: probe.error,
                        backend: probe.name,
                        kind: probe.kind,
                    },
                    terminal: TerminalStatus {
                        status: "available",
                        timeout: format!("{}s", self.config.terminal.timeout),
                        running: 0,
                    },
                    version: env!("CARGO_PKG_VERSION"),
                    uptime_s: 0,
                    sessions: 0,
                    models: probe.models,
                    backends,
                };
                self.store_status(&report);
                report
            }
        };
        report.uptime_s = self.started.elapsed().as_secs();
        report.sessions = sessions;
        report.terminal.running = self.runner.running();
        report
    }
}
