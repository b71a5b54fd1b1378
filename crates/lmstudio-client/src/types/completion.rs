//! Text completion (`/api/v0/completions`, `/v1/completions`) and embeddings.

use serde::{Deserialize, Serialize};

use super::{
    params::{GenerationParams, generation_setters},
    stats::{FinishReason, ModelInfo, Runtime, Stats, Usage},
};

/// A raw text completion request: prompt in, continuation out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct CompletionRequest {
    /// Model id; `None`, `""` or `"default"` use the client's default or the loaded model.
    #[serde(skip)]
    pub model: Option<String>,
    /// The text to continue.
    pub prompt: String,
    /// Sampling and other parameters.
    #[serde(flatten)]
    pub params: GenerationParams,
}

impl CompletionRequest {
    /// A request continuing `prompt`.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            ..Self::default()
        }
    }

    /// Sets the model id.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    generation_setters!();
}

/// A text completion answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompletionResponse {
    /// Completion id.
    #[serde(default)]
    pub id: String,
    /// Unix time of creation.
    #[serde(default)]
    pub created: u64,
    /// The model that really answered.
    #[serde(default)]
    pub model: String,
    /// The choices.
    #[serde(default)]
    pub choices: Vec<CompletionChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Generation statistics (server-reported or measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
    /// The instance that answered (`/api/v0` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_info: Option<ModelInfo>,
    /// The runtime that answered (`/api/v0` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// The model id that was asked for, when it differs from [`model`](Self::model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
}

impl CompletionResponse {
    /// The first choice's text, or `""`.
    #[must_use]
    pub fn text(&self) -> &str {
        self.choices.first().map_or("", |c| c.text.as_str())
    }

    /// The first choice's finish reason.
    #[must_use]
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.choices.first().and_then(|c| c.finish_reason.as_ref())
    }
}

/// One choice of a [`CompletionResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompletionChoice {
    /// Index among the choices.
    #[serde(default)]
    pub index: u32,
    /// The generated text.
    #[serde(default)]
    pub text: String,
    /// Why it ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// An embeddings request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct EmbeddingRequest {
    /// Model id; `None`, `""` or `"default"` use the client's default or the first loaded
    /// embedding model.
    #[serde(skip)]
    pub model: Option<String>,
    /// The texts to embed.
    pub input: Vec<String>,
}

impl EmbeddingRequest {
    /// A request embedding one text.
    pub fn new(input: impl Into<String>) -> Self {
        Self {
            model: None,
            input: vec![input.into()],
        }
    }

    /// A request embedding several texts.
    pub fn many(inputs: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            model: None,
            input: inputs.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets the model id.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

/// An embeddings answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingResponse {
    /// One vector per input, in order.
    #[serde(default)]
    pub data: Vec<Embedding>,
    /// The model that answered (LM Studio may append `@quant`).
    #[serde(default)]
    pub model: String,
    /// Token counts (LM Studio may report zeros).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One embedding vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Embedding {
    /// Index of the input it belongs to.
    #[serde(default)]
    pub index: u32,
    /// The vector.
    pub embedding: Vec<f32>,
}
