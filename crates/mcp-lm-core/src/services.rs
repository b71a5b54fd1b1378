//! [`Services`]: the configured model servers (LM Studio and any further backends), command
//! runner and audit log that every surface (REST, MCP over HTTP, MCP over stdio, CLI) shares.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use crate::{ApiVersion, AuditLog, Backend, Backends, Config, ServiceError, StatusReport};

/// Everything a request needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    /// The configuration.
    pub config: Arc<Config>,
    /// LM Studio (the `lmstudio` section; the same client as the `lmstudio` backend).
    pub lm: lmstudio_client::Client,
    /// Every model server by name (`lmstudio` and the `backends` entries), with the default.
    pub backends: Backends,
    /// One-shot commands.
    pub runner: pty_exec::Runner,
    /// Interactive terminal sessions and background jobs.
    pub sessions: pty_exec::SessionManager,
    /// The audit log.
    pub audit: AuditLog,
    /// When the services started.
    pub started: Instant,
    pub(crate) status_cache: Arc<Mutex<Option<(Instant, StatusReport)>>>,
}

impl Services {
    /// Builds the services from a configuration.
    ///
    /// # Errors
    /// [`ServiceError`] when a model server's client cannot be built (bad host or token).
    pub fn new(config: Config, audit: AuditLog) -> Result<Self, ServiceError> {
        let backends = Backends::from_config(&config)?;
        let lm = backends.get(Some("lmstudio"))?.client.clone();
        let runner = pty_exec::Runner::new(policy(&config));
        let sessions = pty_exec::SessionManager::new(
            pty_exec::ManagerConfig::default()
                .max_sessions(config.terminal.max_sessions)
                .runner(runner.clone()),
        );
        Ok(Self {
            config: Arc::new(config),
            lm,
            backends,
            runner,
            sessions,
            audit,
            started: Instant::now(),
            status_cache: Arc::default(),
        })
    }

    /// The API family configured for LM Studio queries (the `lmstudio` section).
    #[must_use]
    pub fn api_version(&self) -> ApiVersion {
        self.config.lmstudio.api_version
    }

    /// The backend named `name`, or the default one for `None`.
    ///
    /// # Errors
    /// `400 unknown_backend` listing the configured names.
    pub fn backend(&self, name: Option<&str>) -> Result<&Backend, ServiceError> {
        self.backends.get(name)
    }

    /// The PTY settings for a new interactive session of `cols` × `rows`.
    pub fn pty_config(&self, cols: u16, rows: u16) -> pty_exec::PtyConfig {
        let terminal = &self.config.terminal;
        let mut config = pty_exec::PtyConfig::default()
            .size(cols, rows)
            .env_policy(env_policy(&self.config));
        if let Some(shell) = &terminal.shell {
            config = config.program(shell);
        }
        if let Some(cwd) = &terminal.cwd {
            config = config.cwd(cwd);
        }
        config
    }

    pub(crate) fn cached_status(&self, fresh_for: Duration) -> Option<StatusReport> {
        let cache = self
            .status_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|(at, _)| at.elapsed() < fresh_for)
            .map(|(_, report)| report.clone())
    }

    pub(crate) fn store_status(&self, report: &StatusReport) {
        *self
            .status_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), report.clone()));
    }
}

/// The environment passed to commands and terminals: only `terminal.env_allow` (and never our
/// secrets: the default deny-list stays).
fn env_policy(config: &Config) -> pty_exec::EnvPolicy {
    let mut env = pty_exec::EnvPolicy::empty();
    for name in &config.terminal.env_allow {
        env = env.allow(name);
    }
    env
}

/// The command policy from the `terminal` section.
fn policy(config: &Config) -> pty_exec::Policy {
    let terminal = &config.terminal;
    let mut policy = pty_exec::Policy::default()
        .env(env_policy(config))
        .timeout(Duration::from_secs(terminal.timeout))
        .max_output_bytes(terminal.max_output_bytes)
        .max_concurrent(terminal.max_concurrent);
    if let Some(shell) = &terminal.shell {
        policy = policy.shell(pty_exec::Shell::new(shell).arg("-c"));
    }
    if let Some(cwd) = &terminal.cwd {
        policy = policy.cwd(cwd);
    }
    for pattern in &terminal.deny {
        policy = policy.deny(pattern);
    }
    policy
}
