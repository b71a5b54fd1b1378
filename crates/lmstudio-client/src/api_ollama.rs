//! Ollama's own API (`/api/chat`, `/api/generate`, `/api/tags`, `/api/ps`, `/api/show`,
//! `/api/embed`, `/api/version`): NDJSON streams whose last object carries the server's
//! counts and nanosecond durations.

use std::time::Instant;

use futures_util::future::join;
use serde::{Deserialize, Serialize};

use crate::{
    ChatStream, Client, EmbeddingRequest, Error, GenerateRequest, GenerateResponse, Model,
    ModelInfo, OllamaChatRequest, OllamaChatResponse, OllamaEmbedResponse, OllamaModel, OllamaShow,
    Result, Runtime, ServerStatus,
    chat_stream::WireFormat,
    openai_style,
    types::model::{differs, normalize_model_id},
};

/// Where Ollama listens unless told otherwise.
pub const OLLAMA_BASE_URL: &str = "http://localhost:11434";

/// The Ollama calls of a [`Client`]; get it with [`Client::ollama`]. Build the client with
/// Ollama's address ([`OLLAMA_BASE_URL`] by default).
///
/// Every answer carries Ollama's own counts and durations, streamed or not, so statistics are
/// the server's (`source: server`): tokens/s = `eval_count / eval_duration × 1e9`, time to first
/// token ≈ `(load_duration + prompt_eval_duration) / 1e9` (streams also carry the client's own
/// measurement in `measured_time_to_first_token`), generation time = `eval_duration / 1e9`.
#[derive(Debug, Clone, Copy)]
pub struct Ollama<'a> {
    client: &'a Client,
}

/// A request body with the resolved model and the stream switch (Ollama streams unless told
/// `"stream": false`).
#[derive(Serialize)]
struct Wire<'a, T> {
    model: &'a str,
    #[serde(flatten)]
    body: &'a T,
    stream: bool,
}

#[derive(Serialize)]
struct ShowRequest<'a> {
    model: &'a str,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    models: Vec<OllamaModel>,
}

#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    version: String,
}

impl Client {
    /// Ollama's own API.
    #[must_use]
    pub fn ollama(&self) -> Ollama<'_> {
        Ollama { client: self }
    }
}

impl Ollama<'_> {
    /// Resolves `requested` to a model name: itself when it names one, else the client's
    /// default model, else the first loaded model (`/api/ps`), else the first downloaded one
    /// (`/api/tags`: Ollama loads models on demand) — of the right kind (`embeddings` or not).
    ///
    /// # Errors
    /// [`Error::NoModelLoaded`] when the server has no model of that kind; transport errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn resolve_model(&self, requested: Option<&str>, embeddings: bool) -> Result<String> {
        if let Some(model) = requested.filter(|m| !m.is_empty() && *m != "default") {
            return Ok(model.to_owned());
        }
        if let Some(model) = self.client.configured_model() {
            return Ok(model.to_owned());
        }
        if !embeddings && let Some(model) = self.client.cached_model() {
            return Ok(model);
        }
        let fits = |m: &&OllamaModel| m.is_embedding() == embeddings;
        let mut chosen = self.ps().await?.iter().find(fits).map(|m| m.name.clone());
        if chosen.is_none() {
            chosen = self.tags().await?.iter().find(fits).map(|m| m.name.clone());
        }
        let model = chosen.ok_or(Error::NoModelLoaded {
            body: String::new(),
        })?;
        if !embeddings {
            self.client.remember_model(&model);
        }
        Ok(model)
    }

    /// A chat answer with the server's statistics.
    ///
    /// # Errors
    /// [`Error::ModelNotFound`] (404 `model '…' not found`), [`Error::InvalidRequest`] (400, e.g.
    /// `model is required`), [`Error::NoModelLoaded`] when no model was named and none exists,
    /// transport and decode errors.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes the connection.
    pub async fn chat(&self, req: &OllamaChatRequest) -> Result<OllamaChatResponse> {
        let model = self.resolve_model(req.model.as_deref(), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: false,
        };
        let (mut answer, _): (OllamaChatResponse, _) = self
            .client
            .post_json("/api/chat", &wire, Some(&model))
            .await?;
        answer.requested_model = mismatch(&model, &answer.model);
        Ok(answer)
    }

    /// A streamed chat: deltas (text, `thinking` as reasoning, whole tool calls), then a summary
    /// with the server's statistics and usage.
    ///
    /// # Errors
    /// As [`chat`](Self::chat), for errors the server reports before streaming; a mid-stream
    /// `{"error":…}` line ends the stream with [`Error::StreamError`].
    ///
    /// # Cancel safety
    /// Cancel-safe; dropping the returned stream closes the connection, which makes Ollama stop
    /// generating.
    pub async fn chat_stream(&self, req: &OllamaChatRequest) -> Result<ChatStream> {
        let model = self.resolve_model(req.model.as_deref(), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: true,
        };
        openai_style::stream(self.client, "/api/chat", &wire, &model, WireFormat::Ollama).await
    }

    /// A completion of a prompt with the server's statistics.
    ///
    /// # Errors
    /// As [`chat`](Self::chat).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn generate(&self, req: &GenerateRequest) -> Result<GenerateResponse> {
        let model = self.resolve_model(req.model.as_deref(), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: false,
        };
        let (mut answer, _): (GenerateResponse, _) = self
            .client
            .post_json("/api/generate", &wire, Some(&model))
            .await?;
        answer.requested_model = mismatch(&model, &answer.model);
        Ok(answer)
    }

    /// A streamed completion: deltas, then a summary with the server's statistics.
    ///
    /// # Errors
    /// As [`chat_stream`](Self::chat_stream).
    ///
    /// # Cancel safety
    /// Cancel-safe; dropping the returned stream closes the connection.
    pub async fn generate_stream(&self, req: &GenerateRequest) -> Result<ChatStream> {
        let model = self.resolve_model(req.model.as_deref(), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: true,
        };
        openai_style::stream(
            self.client,
            "/api/generate",
            &wire,
            &model,
            WireFormat::Ollama,
        )
        .await
    }

    /// Embeddings (`/api/embed`), one vector per input.
    ///
    /// # Errors
    /// As [`chat`](Self::chat).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn embed(&self, req: &EmbeddingRequest) -> Result<OllamaEmbedResponse> {
        let model = self.resolve_model(req.model.as_deref(), true).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: false,
        };
        let (answer, _) = self
            .client
            .post_json("/api/embed", &wire, Some(&model))
            .await?;
        Ok(answer)
    }

    /// Downloaded models (`/api/tags`).
    ///
    /// # Errors
    /// Transport and decode errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn tags(&self) -> Result<Vec<OllamaModel>> {
        let list: ModelList = self
            .client
            .get_json("/api/tags", self.client.inner.timeout)
            .await?;
        Ok(list.models)
    }

    /// Models loaded in memory (`/api/ps`), with `expires_at`, `size_vram` and, on newer
    /// servers, the loaded context length.
    ///
    /// # Errors
    /// Transport and decode errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn ps(&self) -> Result<Vec<OllamaModel>> {
        let list: ModelList = self
            .client
            .get_json("/api/ps", self.client.inner.timeout)
            .await?;
        Ok(list.models)
    }

    /// Downloaded models in the common [`Model`] shape (see [`OllamaModel::to_model`]), marked
    /// loaded when `/api/ps` lists them.
    ///
    /// # Errors
    /// Transport and decode errors of `/api/tags` (a failing `/api/ps` only leaves every model
    /// marked not loaded).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn models(&self) -> Result<Vec<Model>> {
        let (tags, ps) = join(self.tags(), self.ps()).await;
        Ok(merge(&tags?, &ps.unwrap_or_default()))
    }

    /// What `/api/show` tells about a model: details, GGUF metadata, capabilities, template.
    ///
    /// # Errors
    /// [`Error::ModelNotFound`] for a model Ollama does not have; transport errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn show(&self, model: &str) -> Result<OllamaShow> {
        let (answer, _) = self
            .client
            .post_json("/api/show", &ShowRequest { model }, Some(model))
            .await?;
        Ok(answer)
    }

    /// A model's architecture, quantization, format and context length in the `model_info`
    /// shape of LM Studio's answers: from `/api/show`, with the loaded context length from
    /// `/api/ps` when the model is loaded (else the trained one).
    ///
    /// # Errors
    /// As [`show`](Self::show).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn model_info(&self, model: &str) -> Result<ModelInfo> {
        let (show, ps) = join(self.show(model), self.ps()).await;
        let mut info = show?.to_model_info();
        let wanted = normalize_model_id(model);
        if let Some(loaded) = ps
            .unwrap_or_default()
            .iter()
            .find(|m| normalize_model_id(&m.name) == wanted)
            .and_then(|m| m.context_length)
        {
            info.context_length = Some(loaded);
        }
        Ok(info)
    }

    /// The server's version (`/api/version`), e.g. `0.5.1`.
    ///
    /// # Errors
    /// Transport and decode errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn version(&self) -> Result<String> {
        let version: Version = self
            .client
            .get_json("/api/version", self.client.inner.probe_timeout)
            .await?;
        Ok(version.version)
    }

    /// The runtime in the `runtime` shape of LM Studio's answers: name `ollama` and the
    /// server's version (Ollama does not list supported formats).
    ///
    /// # Errors
    /// As [`version`](Self::version).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn runtime(&self) -> Result<Runtime> {
        Ok(Runtime {
            name: "ollama".to_owned(),
            version: self.version().await?,
            supported_formats: Vec::new(),
        })
    }

    /// Connected? A model to answer with? Which models? Never fails: problems are reported in
    /// [`ServerStatus::error`]. Bounded by the probe timeout. `available` is true when a text
    /// model is downloaded, since Ollama loads models on demand.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn status(&self) -> ServerStatus {
        let started = Instant::now();
        let limit = self.client.inner.probe_timeout;
        let (tags, ps) = join(
            self.client.get_json::<ModelList>("/api/tags", limit),
            self.client.get_json::<ModelList>("/api/ps", limit),
        )
        .await;
        let latency = started.elapsed();
        match tags {
            Ok(tags) => {
                let loaded = ps.map(|list| list.models).unwrap_or_default();
                let models = merge(&tags.models, &loaded);
                let available = models.iter().any(|m| m.kind.generates_text());
                let error = (!available).then(|| {
                    Error::NoModelLoaded {
                        body: String::new(),
                    }
                    .to_string()
                });
                ServerStatus {
                    connected: true,
                    available,
                    models,
                    latency,
                    error,
                }
            }
            Err(error) => ServerStatus {
                connected: matches!(
                    error,
                    Error::Unauthorized { .. } | Error::Api { .. } | Error::Decode { .. }
                ),
                available: false,
                models: Vec::new(),
                latency,
                error: Some(error.to_string()),
            },
        }
    }
}

/// The downloaded models as [`Model`]s, loaded when `/api/ps` lists them (with its context
/// length); loaded models missing from the tags are listed too.
fn merge(tags: &[OllamaModel], ps: &[OllamaModel]) -> Vec<Model> {
    let running = |name: &str| ps.iter().find(|m| m.name == name);
    let mut models: Vec<Model> = tags
        .iter()
        .map(|tag| match running(&tag.name) {
            Some(loaded) => {
                let mut model = tag.to_model(true);
                model.loaded_context_length = loaded.context_length;
                model
            }
            None => tag.to_model(false),
        })
        .collect();
    for loaded in ps {
        if !tags.iter().any(|t| t.name == loaded.name) {
            models.push(loaded.to_model(true));
        }
    }
    models
}

fn mismatch(requested: &str, answered: &str) -> Option<String> {
    differs(requested, answered).then(|| {
        tracing::warn!(requested = %requested, model = %answered, "Ollama answered with another model");
        requested.to_owned()
    })
}
