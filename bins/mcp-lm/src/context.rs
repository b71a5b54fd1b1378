//! [`Context`]: the loaded configuration, and from it either the local [`Services`] (LM Studio
//! and the shell, directly) or a [`Remote`] server.

use std::path::{Path, PathBuf};

use anyhow::Result;
use mcp_lm_core::{AuditLog, Config, ConfigSource, Services};

use crate::{
    cli::ServerArgs,
    failure::Failure,
    remote::{Remote, normalize_url, resolve_token},
    style::warn,
};

/// Environment variables that belong to the CLI, not to the configuration: the config
/// loader would warn about them as unknown `MCP_LM_*` fields.
pub(crate) const CLI_VARIABLES: &[&str] = &["MCP_LM_SYSTEMCTL"];

/// The configuration as this invocation sees it.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The configuration (file, then `MCP_LM_*` overrides).
    pub(crate) config: Config,
    /// Where it came from.
    pub(crate) source: ConfigSource,
}

/// Where a command is carried out.
#[derive(Debug)]
pub(crate) enum Target {
    /// Here: LM Studio and the local shell through `mcp-lm-core`.
    Direct(Services),
    /// Through a running server.
    Remote(Remote),
}

impl Context {
    /// Loads the configuration (`--config`, `$MCP_LM_CONFIG`, the user config dir, or the
    /// built-in defaults) and prints its warnings.
    ///
    /// # Errors
    /// A [`Failure`] naming the file or the field.
    pub(crate) fn load(explicit: Option<&Path>) -> Result<Self> {
        let loaded = Config::load(explicit).map_err(|e| {
            Failure::new(e.to_string()).hint(
                "fix the file (or the MCP_LM_* variable), or write a fresh one with `mcp-lm init --force`",
            )
        })?;
        for warning in &loaded.warnings {
            if !CLI_VARIABLES.iter().any(|name| warning.contains(name)) {
                warn(warning);
            }
        }
        Ok(Self {
            config: loaded.config,
            source: loaded.source,
        })
    }

    /// The configuration file, if one was read.
    #[must_use]
    pub(crate) fn file(&self) -> Option<&PathBuf> {
        match &self.source {
            ConfigSource::File(path) => Some(path),
            ConfigSource::Embedded => None,
        }
    }

    /// The server the configuration describes, for clients on this machine
    /// (`0.0.0.0` becomes `127.0.0.1`).
    #[must_use]
    pub(crate) fn configured_server_url(&self) -> String {
        let host = match self.config.server.host.as_str() {
            "0.0.0.0" | "::" => "127.0.0.1",
            host => host,
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        format!("http://{host}:{}", self.config.server.port)
    }

    /// The local services. `audit`: record commands and queries in the audit log, as the
    /// servers do.
    ///
    /// # Errors
    /// A [`Failure`] when LM Studio's client cannot be built from the configuration.
    pub(crate) fn services(&self, audit: bool) -> Result<Services> {
        let log = match self.config.audit_path().filter(|_| audit) {
            Some(path) => AuditLog::open(&path, self.config.log.max_bytes, self.config.log.keep)
                .unwrap_or_else(|e| {
                    warn(&format!(
                        "cannot open the audit log {}: {e}; not recording",
                        path.display()
                    ));
                    AuditLog::disabled()
                }),
            None => AuditLog::disabled(),
        };
        Ok(Services::new(self.config.clone(), log).map_err(Failure::from)?)
    }

    /// A client for the server named by `--server`, or for the configured one.
    ///
    /// # Errors
    /// A [`Failure`] for a bad URL or a missing token.
    pub(crate) fn remote(&self, args: &ServerArgs) -> Result<Remote> {
        let url = match &args.server {
            Some(url) => normalize_url(url)?,
            None => self.configured_server_url(),
        };
        let token = resolve_token(args, self.config.api_token.as_deref(), &url)?;
        Remote::new(url, token)
    }

    /// [`Target::Remote`] with `--server`, else [`Target::Direct`].
    ///
    /// # Errors
    /// As [`remote`](Self::remote) and [`services`](Self::services).
    pub(crate) fn target(&self, args: &ServerArgs, audit: bool) -> Result<Target> {
        if args.server.is_some() {
            Ok(Target::Remote(self.remote(args)?))
        } else {
            if args.token.is_some() || args.token_file.is_some() {
                warn(
                    "--token and --token-file only matter with --server; talking to LM Studio directly",
                );
            }
            Ok(Target::Direct(self.services(audit)?))
        }
    }
}
