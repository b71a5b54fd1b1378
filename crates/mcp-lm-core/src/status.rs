//! `GET /status` and the `server_status` tool: is LM Studio there, is a model loaded, what
//! does the terminal allow. The LM Studio probe is cached briefly so the route stays fast.

use std::time::Duration;

use serde::Serialize;

use crate::Services;

/// How long a probe result is reused.
const STATUS_CACHE: Duration = Duration::from_millis(1500);

/// The status report (the original fields plus `uptime_s`, `models`, `api_version`).
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// Always `online` (the server answered).
    pub status: &'static str,
    /// LM Studio.
    pub lm_studio: LmStudioStatus,
    /// The terminal side.
    pub terminal: TerminalStatus,
    /// Server version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_s: u64,
    /// Interactive terminal sessions open.
    pub sessions: usize,
    /// Model ids LM Studio lists.
    pub models: Vec<String>,
}

/// `lm_studio` of the status.
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
    /// The status; the LM Studio probe (≤ 800 ms) is cached for 1.5 s.
    pub async fn status(&self, sessions: usize) -> StatusReport {
        let mut report = match self.cached_status(STATUS_CACHE) {
            Some(report) => report,
            None => {
                let probe = self.lm.status().await;
                let report = StatusReport {
                    status: "online",
                    lm_studio: LmStudioStatus {
                        connected: probe.connected,
                        host: self.config.lmstudio.host.clone(),
                        model: self.config.lmstudio.model.clone(),
                        available: probe.available,
                        api_version: self.config.lmstudio.api_version,
                        error: probe.error.clone(),
                    },
                    terminal: TerminalStatus {
                        status: "available",
                        timeout: format!("{}s", self.config.terminal.timeout),
                        running: 0,
                    },
                    version: env!("CARGO_PKG_VERSION"),
                    uptime_s: 0,
                    sessions: 0,
                    models: probe.models.iter().map(|m| m.id.clone()).collect(),
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
