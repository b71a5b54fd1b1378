//! The model servers of the configuration: the `lmstudio` section (the backend named
//! `lmstudio`) plus any number of named `backends` (see [`BackendConfig`]), one of them the
//! default.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ApiVersion, Config, ConfigError, config_keys::FieldKind};

/// The name of the backend the `lmstudio` section configures.
pub const LMSTUDIO_BACKEND: &str = "lmstudio";

/// What kind of server a backend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum BackendKind {
    /// LM Studio (`/api/v0`, `/v1` or native `/api/v1`, per `api_version`).
    #[serde(rename = "lmstudio")]
    LmStudio,
    /// Ollama's own API (`/api/chat`…), with the server's statistics.
    #[serde(rename = "ollama")]
    Ollama,
    /// Any OpenAI-compatible server (`/v1`: llama.cpp's server, vLLM…), with measured
    /// statistics.
    #[serde(rename = "openai")]
    OpenAi,
}

impl BackendKind {
    /// `lmstudio`, `ollama` or `openai`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LmStudio => "lmstudio",
            Self::Ollama => "ollama",
            Self::OpenAi => "openai",
        }
    }

    /// Where this kind of server listens by default (none for generic OpenAI servers).
    #[must_use]
    pub fn default_host(self) -> Option<&'static str> {
        match self {
            Self::LmStudio => Some("http://localhost:1234"),
            Self::Ollama => Some(lmstudio_client::OLLAMA_BASE_URL),
            Self::OpenAi => None,
        }
    }

    /// The kind a backend named `name` has when its entry does not say (`ollama`, `openai`).
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "ollama" => Some(Self::Ollama),
            "openai" => Some(Self::OpenAi),
            _ => None,
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `backends`: a model server besides the `lmstudio` section (LM Studio, Ollama,
/// or any OpenAI-compatible server such as llama.cpp's server or vLLM). Unset fields take the
/// kind's defaults; `default_backend` names the one queries use unless they name another.
///
/// ```json
/// {
///   "lmstudio": {"host": "http://localhost:1234"},
///   "backends": {
///     "ollama": {"kind": "ollama", "host": "http://localhost:11434", "model": "llama3.2"},
///     "vllm": {"kind": "openai", "host": "http://gpu-box:8000/v1", "api_token": "…"}
///   },
///   "default_backend": "ollama"
/// }
/// ```
///
/// Every field can be set by `MCP_LM_BACKENDS_<NAME>_<FIELD>` (e.g.
/// `MCP_LM_BACKENDS_OLLAMA_HOST`; a variable can also define a new backend), and the default by
/// `MCP_LM_DEFAULT_BACKEND`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BackendConfig {
    /// `lmstudio`, `ollama` or `openai`; may be left out when the backend is named `ollama` or
    /// `openai`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<BackendKind>,
    /// Base URL; defaults: LM Studio `http://localhost:1234`, Ollama `http://localhost:11434`;
    /// required for `openai`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Model id, or `default` for the loaded one.
    pub model: String,
    /// The server's own API token (LM Studio's, vLLM's `--api-key`, a proxy's…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
    /// Seconds a query may take (a model load included).
    pub request_timeout: u64,
    /// LM Studio backends only: `v0`, `v1` or `native`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<ApiVersion>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            kind: None,
            host: None,
            model: "default".into(),
            api_token: None,
            request_timeout: 300,
            api_version: None,
        }
    }
}

impl BackendConfig {
    /// An entry of this kind with the kind's defaults.
    #[must_use]
    pub fn new(kind: BackendKind) -> Self {
        Self {
            kind: Some(kind),
            ..Self::default()
        }
    }

    /// Sets the base URL.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Sets the model.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }
}

/// A backend with every default filled in, as [`Config::backend_specs`] lists them.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct BackendSpec {
    /// `lmstudio` for the `lmstudio` section, else the key under `backends`.
    pub name: String,
    /// What kind of server it is.
    pub kind: BackendKind,
    /// Base URL.
    pub host: String,
    /// Model id, or `default`.
    pub model: String,
    /// The server's own API token.
    pub api_token: Option<String>,
    /// Seconds a query may take.
    pub request_timeout: u64,
    /// The API family queries use: per `api_version` for LM Studio, `v1` for OpenAI-compatible
    /// servers, `ollama` for Ollama.
    pub api_version: ApiVersion,
}

impl fmt::Debug for BackendSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("model", &self.model)
            .field("api_token", &self.api_token.as_ref().map(|_| "***"))
            .field("request_timeout", &self.request_timeout)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl Config {
    /// Every backend: `lmstudio` (the `lmstudio` section) first, then the `backends` entries
    /// by name, with defaults filled in. Entries that fail validation are left out (loading
    /// refuses them anyway).
    #[must_use]
    pub fn backend_specs(&self) -> Vec<BackendSpec> {
        let lmstudio = BackendSpec {
            name: LMSTUDIO_BACKEND.to_owned(),
            kind: BackendKind::LmStudio,
            host: self.lmstudio.host.clone(),
            model: self.lmstudio.model.clone(),
            api_token: self.lmstudio.api_token.clone(),
            request_timeout: self.lmstudio.request_timeout,
            api_version: self.lmstudio.api_version,
        };
        std::iter::once(lmstudio)
            .chain(
                self.backends
                    .iter()
                    .filter_map(|(name, entry)| spec(name, entry).ok()),
            )
            .collect()
    }

    /// The backend queries use when they name none: `default_backend`, else `lmstudio`.
    #[must_use]
    pub fn default_backend_name(&self) -> &str {
        self.default_backend.as_deref().unwrap_or(LMSTUDIO_BACKEND)
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Fills in the defaults of one `backends` entry, or says which field is wrong.
fn spec(name: &str, entry: &BackendConfig) -> Result<BackendSpec, ConfigError> {
    let field = |f: &str| format!("backends.{name}.{f}");
    let kind = entry
        .kind
        .or_else(|| BackendKind::from_name(name))
        .ok_or_else(|| {
            invalid(
                field("kind"),
                "expected \"lmstudio\", \"ollama\" or \"openai\" (only backends named ollama or openai may leave it out)",
            )
        })?;
    let host = match (&entry.host, kind.default_host()) {
        (Some(host), _) => host.clone(),
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(invalid(
                field("host"),
                "required for kind openai: the server's URL, e.g. http://localhost:8000/v1 (vLLM) or http://localhost:8080 (llama.cpp)",
            ));
        }
    };
    let api_version = match (kind, entry.api_version) {
        (BackendKind::LmStudio, None) => ApiVersion::V0,
        (BackendKind::LmStudio, Some(ApiVersion::Ollama)) => {
            return Err(invalid(
                field("api_version"),
                "expected v0, v1 or native (for Ollama use kind \"ollama\")",
            ));
        }
        (BackendKind::LmStudio, Some(version)) => version,
        (_, Some(_)) => {
            return Err(invalid(
                field("api_version"),
                format!("only LM Studio backends take an api_version; this one is kind {kind}"),
            ));
        }
        (BackendKind::Ollama, None) => ApiVersion::Ollama,
        (BackendKind::OpenAi, None) => ApiVersion::V1,
    };
    Ok(BackendSpec {
        name: name.to_owned(),
        kind,
        host,
        model: entry.model.clone(),
        api_token: entry.api_token.clone(),
        request_timeout: entry.request_timeout,
        api_version,
    })
}

/// Checks `backends` and `default_backend`; errors name the field.
pub(crate) fn validate(config: &Config) -> Result<(), ConfigError> {
    for (name, entry) in &config.backends {
        if name == LMSTUDIO_BACKEND {
            return Err(invalid(
                "backends.lmstudio",
                "the name lmstudio is the lmstudio section; configure it there or give this backend another name",
            ));
        }
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid_name {
            return Err(invalid(
                format!("backends.{name}"),
                "expected a name of lowercase letters, digits, - and _",
            ));
        }
        let spec = spec(name, entry)?;
        check_host(&format!("backends.{name}.host"), &spec.host)?;
        if spec.request_timeout == 0 {
            return Err(invalid(
                format!("backends.{name}.request_timeout"),
                "expected a number of seconds greater than 0",
            ));
        }
    }
    if let Some(default) = &config.default_backend
        && default != LMSTUDIO_BACKEND
        && !config.backends.contains_key(default)
    {
        let names: Vec<&str> = std::iter::once(LMSTUDIO_BACKEND)
            .chain(config.backends.keys().map(String::as_str))
            .collect();
        return Err(invalid(
            "default_backend",
            format!(
                "no backend is named {default:?}; expected one of: {}",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}

/// An `http://` or `https://` URL, or an error naming `field`.
pub(crate) fn check_host(field: &str, host: &str) -> Result<(), ConfigError> {
    match url::Url::parse(host) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        _ => Err(invalid(
            field,
            format!(
                "expected an http:// or https:// URL such as http://localhost:1234, got {host:?}"
            ),
        )),
    }
}

/// The fields of a `backends` entry, for warnings and `MCP_LM_BACKENDS_<NAME>_<FIELD>`.
const BACKEND_FIELDS: [(&str, FieldKind); 6] = [
    ("kind", FieldKind::Text),
    ("host", FieldKind::Text),
    ("model", FieldKind::Text),
    ("api_token", FieldKind::Text),
    ("request_timeout", FieldKind::Number),
    ("api_version", FieldKind::Text),
];

/// Warnings for unknown fields of `backends` entries.
pub(crate) fn unknown_fields(backends: &Value) -> Vec<String> {
    let Value::Object(backends) = backends else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    for (name, entry) in backends {
        if let Value::Object(entry) = entry {
            for field in entry.keys() {
                if !BACKEND_FIELDS.iter().any(|(f, _)| f == field) {
                    warnings.push(format!(
                        "unknown config field backends.{name}.{field} (ignored)"
                    ));
                }
            }
        }
    }
    warnings
}

/// `backends_<name>_<field>` (the lowercased variable name without `MCP_LM_`) → the backend
/// name, the field and how to parse the value. `None` when no field matches.
pub(crate) fn env_field(key: &str) -> Option<(String, &'static str, FieldKind)> {
    let rest = key.strip_prefix("backends_")?;
    BACKEND_FIELDS.iter().find_map(|(field, kind)| {
        let name = rest.strip_suffix(field)?.strip_suffix('_')?;
        (!name.is_empty()).then(|| (name.to_owned(), *field, *kind))
    })
}

/// Puts `value` at `backends.<name>.<field>` of the raw configuration.
pub(crate) fn set_env_field(root: &mut Map<String, Value>, name: &str, field: &str, value: Value) {
    let backends = root
        .entry("backends")
        .or_insert_with(|| Value::Object(Map::new()));
    if !backends.is_object() {
        *backends = Value::Object(Map::new());
    }
    if let Value::Object(backends) = backends {
        let entry = backends
            .entry(name.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(entry) = entry {
            entry.insert(field.to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_split_into_backend_and_field() {
        assert_eq!(
            env_field("backends_ollama_host"),
            Some(("ollama".into(), "host", FieldKind::Text))
        );
        assert_eq!(
            env_field("backends_llama_cpp_api_token"),
            Some(("llama_cpp".into(), "api_token", FieldKind::Text))
        );
        assert_eq!(
            env_field("backends_gpu_request_timeout"),
            Some(("gpu".into(), "request_timeout", FieldKind::Number))
        );
        assert_eq!(env_field("backends_host"), None);
        assert_eq!(env_field("backends_ollama_colour"), None);
        assert_eq!(env_field("lmstudio_host"), None);
    }

    #[test]
    fn specs_fill_in_the_kinds_defaults() {
        let mut config = Config::default();
        config
            .backends
            .insert("ollama".into(), BackendConfig::default());
        config.backends.insert(
            "vllm".into(),
            BackendConfig::new(BackendKind::OpenAi).host("http://h:8000/v1"),
        );
        let specs = config.backend_specs();
        let summary: Vec<_> = specs
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.host.as_str(), s.api_version))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "lmstudio",
                    BackendKind::LmStudio,
                    "http://localhost:1234",
                    ApiVersion::V0
                ),
                (
                    "ollama",
                    BackendKind::Ollama,
                    "http://localhost:11434",
                    ApiVersion::Ollama
                ),
                (
                    "vllm",
                    BackendKind::OpenAi,
                    "http://h:8000/v1",
                    ApiVersion::V1
                ),
            ]
        );
        let mut secret = specs[2].clone();
        secret.api_token = Some("sk-secret".into());
        assert!(!format!("{secret:?}").contains("sk-secret"));
    }
}
