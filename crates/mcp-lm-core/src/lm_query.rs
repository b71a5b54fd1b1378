//! `/lm/query` and the `lm_query` tool: one request shape, one answer shape (the original
//! server's), whichever backend and API answers (see [`crate::query_dispatch`]).

use lmstudio_client::{ChatRequest, Message, ModelInfo, NativeChatRequest, Runtime, Stats, Usage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ApiVersion, ServiceError};

/// A query, as `POST /lm/query` and the `lm_query` tool take it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmQuery {
    /// The user prompt (or use `messages`).
    #[serde(default)]
    pub prompt: Option<String>,
    /// System prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// A whole conversation (`[{"role":"user","content":"…"}]`), instead of or before `prompt`.
    #[serde(default)]
    pub messages: Option<Vec<Message>>,
    /// Model id; unset or `default`: the configured model.
    #[serde(default)]
    pub model: Option<String>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Token limit (`-1`: none).
    #[serde(default)]
    pub max_tokens: Option<i64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(default)]
    pub top_k: Option<u32>,
    /// Stop string or strings.
    #[serde(default)]
    pub stop: Option<StopStrings>,
    /// Idle time-to-live of a model this query loads just in time (seconds).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Stream the answer (`text/event-stream`).
    #[serde(default)]
    pub stream: bool,
    /// Override the configured API family for this query (LM Studio backends).
    #[serde(default)]
    pub api_version: Option<ApiVersion>,
    /// The backend to ask (`lmstudio` or a name under `backends`); unset: `default_backend`.
    #[serde(default)]
    pub backend: Option<String>,
}

/// `stop` as a string or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StopStrings {
    /// One stop string.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// The answer, as the original server returned it (plus `requested_model` when the server
/// answered with another model, `reasoning` for thinking models, and the `backend` that
/// answered). The shape is the same whichever backend answers.
#[derive(Debug, Clone, Serialize)]
pub struct LmAnswer {
    /// Always `true` (failures use the error body).
    pub success: bool,
    /// The answer text.
    pub content: String,
    /// Reasoning text, when the model produced some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Token counts.
    pub usage: Usage,
    /// Statistics, with `source` telling server-reported from measured.
    pub stats: Stats,
    /// The instance that answered (LM Studio `v0`; Ollama, from `/api/show` and `/api/ps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_info: Option<ModelInfo>,
    /// The runtime that answered (LM Studio `v0`; Ollama: `ollama` and its version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Why generation ended.
    pub finish_reason: Option<String>,
    /// The model that answered.
    pub model: String,
    /// The model asked for, when another one answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
    /// The API family used.
    pub api_version: ApiVersion,
    /// The backend that answered (`lmstudio` unless configured otherwise).
    pub backend: String,
}

/// One event of a streamed query.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LmStreamEvent {
    /// A piece of the answer.
    Delta {
        /// Answer text.
        #[serde(skip_serializing_if = "String::is_empty")]
        content: String,
        /// Reasoning text.
        #[serde(skip_serializing_if = "String::is_empty")]
        reasoning: String,
    },
    /// Model load or prompt processing progress (native API).
    Progress {
        /// `model_load` or `prompt_processing`.
        stage: String,
        /// 0 to 1.
        progress: f64,
    },
    /// The end, with everything a non-streamed answer carries except the text.
    Done(Box<LmAnswer>),
    /// A failure after the stream started.
    Error {
        /// The failure.
        error: ServiceError,
    },
}

impl LmQuery {
    /// Parses tool arguments or a request body.
    ///
    /// # Errors
    /// `400 invalid_request` naming the field.
    pub fn from_json(value: Value) -> Result<Self, ServiceError> {
        let query: Self = crate::service_error::parse_args(value)?;
        if query.prompt.as_deref().is_none_or(str::is_empty)
            && query.messages.as_ref().is_none_or(Vec::is_empty)
        {
            return Err(
                ServiceError::bad_request("prompt (or messages) is required")
                    .hint(r#"send {"prompt": "your question"}"#),
            );
        }
        Ok(query)
    }

    /// The JSON schema of the arguments (for the MCP tool and the OpenAPI document).
    #[must_use]
    pub fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "The question or instruction"},
                "system": {"type": "string", "description": "System prompt"},
                "messages": {"type": "array", "description": "Conversation: [{role, content}]", "items": {"type": "object"}},
                "model": {"type": "string", "description": "Model id; default: the configured or loaded model"},
                "temperature": {"type": "number", "minimum": 0},
                "max_tokens": {"type": "integer", "description": "-1 for no limit"},
                "top_p": {"type": "number"},
                "top_k": {"type": "integer", "minimum": 0},
                "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "ttl": {"type": "integer", "minimum": 0, "description": "Idle TTL (s) of a just-in-time loaded model (Ollama: keep_alive)"},
                "api_version": {"type": "string", "enum": ["v0", "v1", "native", "ollama"], "description": "LM Studio API family (v0, v1, native); other backends speak only their own (openai: v1, ollama: ollama)"},
                "backend": {"type": "string", "description": "Configured backend to ask: lmstudio, or a name under backends in the configuration; default: default_backend"}
            },
            "additionalProperties": false
        })
    }

    pub(crate) fn chat_request(&self) -> ChatRequest {
        let mut request = ChatRequest::new();
        if let Some(messages) = &self.messages {
            request = request.messages(messages.iter().cloned());
        }
        if let Some(system) = &self.system {
            request = request.system(system);
        }
        if let Some(prompt) = self.prompt.as_ref().filter(|p| !p.is_empty()) {
            request = request.user(prompt);
        }
        if let Some(model) = &self.model {
            request = request.model(model);
        }
        if let Some(v) = self.temperature {
            request = request.temperature(v);
        }
        if let Some(v) = self.max_tokens {
            request = request.max_tokens(v);
        }
        if let Some(v) = self.top_p {
            request = request.top_p(v);
        }
        if let Some(v) = self.top_k {
            request = request.top_k(v);
        }
        match &self.stop {
            Some(StopStrings::One(s)) => request = request.stop(s),
            Some(StopStrings::Many(list)) => {
                for s in list {
                    request = request.stop(s);
                }
            }
            None => {}
        }
        if let Some(v) = self.ttl {
            request = request.ttl(v);
        }
        request
    }

    pub(crate) fn native_request(&self) -> NativeChatRequest {
        let input = self
            .prompt
            .clone()
            .filter(|p| !p.is_empty())
            .or_else(|| {
                self.messages
                    .as_ref()
                    .and_then(|m| m.last())
                    .map(|m| m.text().to_owned())
            })
            .unwrap_or_default();
        let mut request = NativeChatRequest::new(self.model.clone().unwrap_or_default(), input);
        if let Some(system) = &self.system {
            request = request.system_prompt(system);
        }
        if let Some(v) = self.temperature {
            request = request.temperature(v);
        }
        if let Some(v) = self.max_tokens.and_then(|v| u64::try_from(v).ok()) {
            request = request.max_output_tokens(v);
        }
        request
    }
}
