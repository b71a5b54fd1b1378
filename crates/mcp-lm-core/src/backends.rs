//! [`Backends`]: one client per configured model server (LM Studio, Ollama, OpenAI-compatible),
//! looked up by name, with error hints that name the backend's own settings.

use std::{sync::Arc, time::Duration};

use lmstudio_client::{Model, ServerStatus};

use crate::{
    ApiVersion, BackendKind, BackendSpec, Config, ServiceError, config_backends::LMSTUDIO_BACKEND,
};

/// One model server and its client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Backend {
    /// `lmstudio` or the key under `backends`.
    pub name: String,
    /// What kind of server it is.
    pub kind: BackendKind,
    /// Base URL as configured.
    pub host: String,
    /// The configured model (`default`: the loaded one).
    pub model: String,
    /// The API family queries use unless they ask for another (LM Studio only).
    pub api_version: ApiVersion,
    /// The client (cheap to clone; clones share the connection pool).
    pub client: lmstudio_client::Client,
}

/// Every configured backend, the default one first in [`Backends::default_backend`].
#[derive(Debug, Clone)]
pub struct Backends {
    list: Arc<[Backend]>,
    default: usize,
}

impl Backends {
    /// A client per backend of `config`.
    ///
    /// # Errors
    /// `500 invalid_config` when a client cannot be built (a bad host or token), naming the
    /// backend.
    pub fn from_config(config: &Config) -> Result<Self, ServiceError> {
        let list = config
            .backend_specs()
            .into_iter()
            .map(Backend::new)
            .collect::<Result<Vec<_>, _>>()?;
        let default = list
            .iter()
            .position(|b| b.name == config.default_backend_name())
            .unwrap_or(0);
        Ok(Self {
            list: list.into(),
            default,
        })
    }

    /// The backend named `name`, or the default one for `None`.
    ///
    /// # Errors
    /// `400 unknown_backend` listing the configured names.
    pub fn get(&self, name: Option<&str>) -> Result<&Backend, ServiceError> {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Ok(self.default_backend());
        };
        self.list.iter().find(|b| b.name == name).ok_or_else(|| {
            ServiceError::new(
                400,
                "unknown_backend",
                format!("no backend is named {name:?}"),
            )
            .hint(format!("configured backends: {}", self.names().join(", ")))
        })
    }

    /// The backend used when a query names none.
    #[must_use]
    pub fn default_backend(&self) -> &Backend {
        &self.list[self.default]
    }

    /// Every backend, `lmstudio` first.
    pub fn iter(&self) -> impl Iterator<Item = &Backend> {
        self.list.iter()
    }

    /// The names, `lmstudio` first.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|b| b.name.as_str()).collect()
    }
}

impl Backend {
    fn new(spec: BackendSpec) -> Result<Self, ServiceError> {
        let mut builder = lmstudio_client::Client::builder()
            .base_url(&spec.host)
            .timeout(Duration::from_secs(spec.request_timeout))
            .default_model(&spec.model);
        if let Some(token) = &spec.api_token {
            builder = builder.api_token(token);
        }
        let client = builder.build().map_err(|e| {
            ServiceError::new(500, "invalid_config", format!("backend {}: {e}", spec.name))
        })?;
        Ok(Self {
            name: spec.name,
            kind: spec.kind,
            host: spec.host,
            model: spec.model,
            api_version: spec.api_version,
            client,
        })
    }

    /// Where this backend's settings live: `lmstudio` or `backends.<name>`.
    fn settings(&self) -> String {
        if self.name == LMSTUDIO_BACKEND {
            LMSTUDIO_BACKEND.to_owned()
        } else {
            format!("backends.{}", self.name)
        }
    }

    /// The API family for a query that asks for `requested` (or nothing).
    ///
    /// # Errors
    /// `400 invalid_request` when the backend does not speak it (`ollama` with LM Studio, `v0`
    /// with Ollama…).
    pub fn api_version_for(
        &self,
        requested: Option<ApiVersion>,
    ) -> Result<ApiVersion, ServiceError> {
        let Some(requested) = requested else {
            return Ok(self.api_version);
        };
        let fits = match self.kind {
            BackendKind::LmStudio => requested != ApiVersion::Ollama,
            _ => requested == self.api_version,
        };
        if fits {
            return Ok(requested);
        }
        let allowed = match self.kind {
            BackendKind::LmStudio => "v0, v1 or native".to_owned(),
            _ => format!("{} or leave it out", wire(self.api_version)),
        };
        Err(ServiceError::bad_request(format!(
            "api_version {} does not fit backend {} (kind {}): expected {allowed}",
            wire(requested),
            self.name,
            self.kind
        )))
    }

    /// A client error as a [`ServiceError`], with hints naming this backend's settings.
    #[must_use]
    pub fn error(&self, error: lmstudio_client::Error) -> ServiceError {
        let mut service = ServiceError::from(error);
        let settings = self.settings();
        let hint = match (service.code, self.kind) {
            ("lm_unreachable", BackendKind::Ollama) => Some(format!(
                "start Ollama (`ollama serve`) or check {settings}.host ({})",
                self.host
            )),
            ("lm_unreachable", BackendKind::OpenAi) => Some(format!(
                "start the server (llama-server, vllm serve…) or check {settings}.host ({})",
                self.host
            )),
            ("lm_unreachable", BackendKind::LmStudio) if self.name != LMSTUDIO_BACKEND => {
                Some(format!(
                    "start LM Studio's server (Developer tab, or `lms server start`) or check {settings}.host ({})",
                    self.host
                ))
            }
            ("model_not_found", BackendKind::Ollama) => Some(format!(
                "`ollama pull <model>` downloads it; GET /lm/models?backend={} lists the models Ollama has",
                self.name
            )),
            ("model_not_found", _) if self.name != LMSTUDIO_BACKEND => service
                .hint
                .clone()
                .filter(|h| h.starts_with("available"))
                .or_else(|| {
                    Some(format!(
                        "GET /lm/models?backend={} lists the models it has",
                        self.name
                    ))
                }),
            ("no_model_loaded", BackendKind::Ollama) => {
                Some("download a model with `ollama pull <model>`, or name one".to_owned())
            }
            ("no_model_loaded", BackendKind::OpenAi) => {
                Some("the server lists no model on /v1/models; start it with a model".to_owned())
            }
            ("lm_timeout", _) if self.name != LMSTUDIO_BACKEND => Some(format!(
                "the model may be loading or the answer is long; raise {settings}.request_timeout or max_tokens"
            )),
            ("lm_unauthorized", _) if self.name != LMSTUDIO_BACKEND => Some(format!(
                "the server requires an API token: set {settings}.api_token"
            )),
            ("lm_unknown_endpoint", _) if self.name != LMSTUDIO_BACKEND => {
                Some(format!("check {settings}.host and {settings}.kind"))
            }
            _ => None,
        };
        if hint.is_some() {
            service.hint = hint;
        }
        service
    }

    /// The models the server lists, in LM Studio's `/api/v0/models` shape (state, type,
    /// architecture, quantization, context where the server tells).
    ///
    /// # Errors
    /// The server's failure, with this backend's hints.
    pub async fn models(&self) -> Result<Vec<Model>, ServiceError> {
        let listed = match self.kind {
            BackendKind::Ollama => self.client.ollama().models().await,
            BackendKind::OpenAi => self
                .client
                .openai()
                .models()
                .await
                .map(|list| list.into_iter().map(|m| Model::from_id(m.id)).collect()),
            _ => self.client.v0().models().await,
        };
        listed.map_err(|e| self.error(e))
    }

    /// Connected? A model to answer with? Which models? Bounded by the probe timeout.
    pub async fn status(&self) -> ServerStatus {
        match self.kind {
            BackendKind::Ollama => self.client.ollama().status().await,
            _ => self.client.status().await,
        }
    }
}

/// `v0`, `v1`, `native` or `ollama`.
pub(crate) fn wire(version: ApiVersion) -> String {
    serde_json::to_value(version)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
