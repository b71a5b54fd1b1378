//! Configuration: the original server's `config.json`, with optional extensions, looked up in
//! `--config PATH`, then `$MCP_LM_CONFIG`, then the user config directory, then the embedded
//! defaults; every field can be overridden by an `MCP_LM_*` environment variable (fields of a
//! named backend by `MCP_LM_BACKENDS_<NAME>_<FIELD>`). Model servers besides LM Studio are
//! described at [`BackendConfig`].

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    BackendConfig,
    config_backends::{self, check_host},
    config_keys::{FieldKind, KNOWN_FIELDS, SECTIONS},
};

/// Which API a query goes through: one of LM Studio's (`v0`, `v1`, `native`; `v1` is also what
/// any OpenAI-compatible server speaks) or Ollama's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ApiVersion {
    /// Native REST `/api/v0` (full statistics).
    #[default]
    V0,
    /// OpenAI-compatible `/v1`.
    V1,
    /// Native REST `/api/v1` (LM Studio 0.4+).
    Native,
    /// Ollama's `/api/chat` (backends of kind `ollama` only).
    Ollama,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The bearer token clients must send. `None`: the server generates one at start.
    pub api_token: Option<String>,
    /// LM Studio.
    pub lmstudio: LmStudioConfig,
    /// Commands and terminals.
    pub terminal: TerminalConfig,
    /// The HTTP server.
    pub server: ServerConfig,
    /// The audit log.
    pub log: LogConfig,
    /// The file tools' policy (roots, read-only mode, deny globs, size limit).
    pub files: crate::FilesConfig,
    /// Further model servers by name (LM Studio, Ollama, OpenAI-compatible); the `lmstudio`
    /// section is the backend named `lmstudio`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub backends: BTreeMap<String, BackendConfig>,
    /// The backend queries use unless they name one; unset: `lmstudio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<String>,
    /// The file this configuration was read from, whatever named it (`--config`,
    /// `$MCP_LM_CONFIG`, the default path); not a setting. The file tools refuse it: it holds
    /// the token.
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
}

/// `lmstudio` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LmStudioConfig {
    /// Base URL of LM Studio's server.
    pub host: String,
    /// Model id, or `default` for the loaded one.
    pub model: String,
    /// API family.
    pub api_version: ApiVersion,
    /// LM Studio's own API token (when its "Require Authentication" is on).
    pub api_token: Option<String>,
    /// Seconds a query may take (a just-in-time model load included).
    pub request_timeout: u64,
}

impl Default for LmStudioConfig {
    fn default() -> Self {
        Self {
            host: "http://localhost:1234".into(),
            model: "default".into(),
            api_version: ApiVersion::V0,
            api_token: None,
            request_timeout: 300,
        }
    }
}

/// `terminal` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TerminalConfig {
    /// Default command timeout in seconds.
    pub timeout: u64,
    /// Largest timeout a request may ask for, in seconds.
    pub max_timeout: u64,
    /// Shell for commands and terminals (`/bin/sh` for commands, `$SHELL` or `/bin/bash` for
    /// terminals when unset).
    pub shell: Option<String>,
    /// Working directory (the server's when unset).
    pub cwd: Option<PathBuf>,
    /// Output kept per stream, in bytes.
    pub max_output_bytes: usize,
    /// Most terminal sessions at once.
    pub max_sessions: usize,
    /// Most commands running at once.
    pub max_concurrent: usize,
    /// Environment variables passed to commands (the rest is scrubbed).
    pub env_allow: Vec<String>,
    /// Patterns refused before running (substring or `re:` regular expression).
    pub deny: Vec<String>,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        Self {
            timeout: 20,
            max_timeout: 3600,
            shell: None,
            cwd: None,
            max_output_bytes: 1024 * 1024,
            max_sessions: 32,
            max_concurrent: 16,
            env_allow: [
                "PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME", "SHELL", "TZ",
                "TMPDIR",
            ]
            .map(String::from)
            .to_vec(),
            deny: Vec::new(),
        }
    }
}

/// `server` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to bind.
    pub host: String,
    /// Port to bind (0: any free port).
    pub port: u16,
    /// Browser origins allowed on the WebSocket and `/mcp`, besides the server's own.
    pub allowed_origins: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            allowed_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// `log` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// Audit log file; unset: the user state directory; empty: no audit log.
    pub audit_path: Option<PathBuf>,
    /// Size at which the audit log is rotated.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            audit_path: None,
            max_bytes: 10 * 1024 * 1024,
            keep: 5,
        }
    }
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// No file: the embedded defaults (plus environment overrides).
    Embedded,
}

/// A loaded configuration with what deserves a warning (unknown fields, unknown variables).
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration.
    pub config: Config,
    /// Where it came from.
    pub source: ConfigSource,
    /// Unknown fields and environment variables, one message each.
    pub warnings: Vec<String>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file named by `--config` or `$MCP_LM_CONFIG` does not exist.
    #[error("config file {} not found", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The file cannot be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("config file {} is not valid JSON: {message}", path.display())]
    Syntax {
        /// The path.
        path: PathBuf,
        /// Where and what.
        message: String,
    },
    /// A field has a value of the wrong form.
    #[error("invalid config field {field}: {message}")]
    Invalid {
        /// Dotted path of the field, e.g. `terminal.timeout`.
        field: String,
        /// What is expected.
        message: String,
    },
}

impl Config {
    /// Loads the configuration: `explicit` (from `--config`), else `$MCP_LM_CONFIG`, else
    /// `<user config dir>/mcp-lm/config.json` if it exists, else the embedded defaults; then
    /// `MCP_LM_*` environment variables override single fields.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or the field and the expected form.
    pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("MCP_LM_"))
            .collect();
        let path = match (explicit, env.get("MCP_LM_CONFIG")) {
            (Some(path), _) => Some(required(path.to_path_buf())?),
            (None, Some(path)) if !path.is_empty() => Some(required(PathBuf::from(path))?),
            _ => default_path().filter(|p| p.is_file()),
        };
        let (value, source) = match &path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                let value: Value =
                    serde_json::from_str(&text).map_err(|e| ConfigError::Syntax {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                (value, ConfigSource::File(path.clone()))
            }
            None => (Value::Object(Map::new()), ConfigSource::Embedded),
        };
        Self::from_value(value, &env, source)
    }

    /// Builds the configuration from JSON and `MCP_LM_*` variables (used by [`load`](Self::load)
    /// and tests).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field.
    pub fn from_value(
        mut value: Value,
        env: &BTreeMap<String, String>,
        source: ConfigSource,
    ) -> Result<LoadedConfig, ConfigError> {
        if !value.is_object() {
            return Err(ConfigError::Invalid {
                field: "(root)".into(),
                message: "expected a JSON object".into(),
            });
        }
        let mut warnings = unknown_fields(&value);
        warnings.extend(apply_env(&mut value, env)?);
        let mut config: Config =
            serde_path_to_error::deserialize(value).map_err(|e| ConfigError::Invalid {
                field: e.path().to_string(),
                message: humanize(&e.into_inner().to_string()),
            })?;
        config.validate()?;
        if let ConfigSource::File(path) = &source {
            config.loaded_from = Some(path.clone());
        }
        Ok(LoadedConfig {
            config,
            source,
            warnings,
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: String| {
            Err(ConfigError::Invalid {
                field: field.into(),
                message,
            })
        };
        check_host("lmstudio.host", &self.lmstudio.host)?;
        if self.lmstudio.api_version == ApiVersion::Ollama {
            return invalid(
                "lmstudio.api_version",
                "expected v0, v1 or native (for Ollama add a backend of kind \"ollama\" under backends)"
                    .into(),
            );
        }
        config_backends::validate(self)?;
        crate::files_policy::validate(&self.files)?;
        if self.lmstudio.request_timeout == 0 {
            return invalid(
                "lmstudio.request_timeout",
                "expected a number of seconds greater than 0".into(),
            );
        }
        if self.terminal.timeout == 0 || self.terminal.timeout > self.terminal.max_timeout {
            return invalid(
                "terminal.timeout",
                format!(
                    "expected seconds between 1 and terminal.max_timeout ({}), got {}",
                    self.terminal.max_timeout, self.terminal.timeout
                ),
            );
        }
        for (field, value) in [
            ("terminal.max_output_bytes", self.terminal.max_output_bytes),
            ("terminal.max_sessions", self.terminal.max_sessions),
            ("terminal.max_concurrent", self.terminal.max_concurrent),
            ("server.max_body_bytes", self.server.max_body_bytes),
        ] {
            if value == 0 {
                return invalid(field, "expected a number greater than 0".into());
            }
        }
        if self.server.host.parse::<std::net::IpAddr>().is_err() && self.server.host != "localhost"
        {
            return invalid(
                "server.host",
                format!(
                    "expected an IP address such as 127.0.0.1, got {:?}",
                    self.server.host
                ),
            );
        }
        Ok(())
    }

    /// The client token, validated (placeholders and short values refused).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] on `api_token`, saying how to make a good one.
    pub fn token(&self) -> Result<Option<mcp_auth::Token>, ConfigError> {
        self.api_token
            .as_deref()
            .map(mcp_auth::Token::new)
            .transpose()
            .map_err(|e| ConfigError::Invalid {
                field: "api_token".into(),
                message: e.to_string(),
            })
    }

    /// The audit log path: the configured one, the default one in the user state directory,
    /// or `None` when disabled with an empty path.
    #[must_use]
    pub fn audit_path(&self) -> Option<PathBuf> {
        match &self.log.audit_path {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(path.clone()),
            None => state_dir().map(|dir| dir.join("mcp-lm").join("audit.jsonl")),
        }
    }
}

/// serde's wording with Rust type names replaced by what a user should write.
fn humanize(message: &str) -> String {
    message
        .replace("expected u16", "expected a port number from 0 to 65535")
        .replace("expected u64", "expected a whole number")
        .replace("expected usize", "expected a whole number")
        .replace("expected struct", "expected an object with the fields of")
}

fn required(path: PathBuf) -> Result<PathBuf, ConfigError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(ConfigError::NotFound { path })
    }
}

/// `$XDG_CONFIG_HOME/mcp-lm/config.json`, or `~/.config/mcp-lm/config.json`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("mcp-lm").join("config.json"))
}

fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("state"))
        })
}

/// Fields the configuration does not know, as warnings naming them.
fn unknown_fields(value: &Value) -> Vec<String> {
    let mut warnings = Vec::new();
    let Value::Object(root) = value else {
        return warnings;
    };
    for (key, item) in root {
        if key == "backends" {
            warnings.extend(config_backends::unknown_fields(item));
        } else if SECTIONS.contains(&key.as_str()) {
            if let Value::Object(section) = item {
                for field in section.keys() {
                    if !KNOWN_FIELDS.iter().any(|(s, f, _)| s == key && f == field) {
                        warnings.push(format!("unknown config field {key}.{field} (ignored)"));
                    }
                }
            }
        } else if !KNOWN_FIELDS
            .iter()
            .any(|(s, f, _)| s.is_empty() && f == key)
        {
            warnings.push(format!("unknown config field {key} (ignored)"));
        }
    }
    warnings
}

/// Applies `MCP_LM_<SECTION>_<FIELD>` / `MCP_LM_<FIELD>` variables; returns warnings for
/// variables that name no field.
fn apply_env(
    value: &mut Value,
    env: &BTreeMap<String, String>,
) -> Result<Vec<String>, ConfigError> {
    let mut warnings = Vec::new();
    for (name, raw) in env {
        let key = name["MCP_LM_".len()..].to_ascii_lowercase();
        if key == "config" {
            continue;
        }
        if let Some((backend, field, kind)) = config_backends::env_field(&key) {
            let dotted = format!("backends.{backend}.{field}");
            let parsed = parse_env(name, raw, kind, &dotted)?;
            if let Value::Object(root) = value {
                config_backends::set_env_field(root, &backend, field, parsed);
            }
            continue;
        }
        let found = KNOWN_FIELDS.iter().find(|(section, field, _)| {
            if section.is_empty() {
                key == *field
            } else {
                key == format!("{section}_{field}")
            }
        });
        let Some((section, field, kind)) = found else {
            warnings.push(format!("unknown environment variable {name} (ignored)"));
            continue;
        };
        let dotted = if section.is_empty() {
            (*field).to_owned()
        } else {
            format!("{section}.{field}")
        };
        let parsed = parse_env(name, raw, *kind, &dotted)?;
        let Value::Object(root) = value else { continue };
        if section.is_empty() {
            root.insert((*field).to_owned(), parsed);
        } else {
            let entry = root
                .entry((*section).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(section) = entry {
                section.insert((*field).to_owned(), parsed);
            }
        }
    }
    Ok(warnings)
}

/// The JSON value of variable `name` for field `dotted`.
fn parse_env(name: &str, raw: &str, kind: FieldKind, dotted: &str) -> Result<Value, ConfigError> {
    Ok(match kind {
        FieldKind::Text => Value::String(raw.to_owned()),
        FieldKind::Number => {
            raw.trim()
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| ConfigError::Invalid {
                    field: dotted.to_owned(),
                    message: format!("{name} must be a whole number, got {raw:?}"),
                })?
        }
        FieldKind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Bool(true),
            "false" | "0" | "no" | "off" | "" => Value::Bool(false),
            _ => {
                return Err(ConfigError::Invalid {
                    field: dotted.to_owned(),
                    message: format!("{name} must be true or false, got {raw:?}"),
                });
            }
        },
        FieldKind::List => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
    })
}
