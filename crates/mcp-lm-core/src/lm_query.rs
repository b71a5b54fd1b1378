//! `/lm/query` and the `lm_query` tool: one request shape, one answer shape (the original
//! server's), whichever LM Studio API answers.

use futures_util::{Stream, StreamExt};
use lmstudio_client::{
    ChatEvent, ChatRequest, FinishReason, Message, ModelInfo, NativeChatRequest, Runtime, Stats,
    StreamSummary, Usage,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ApiVersion, ServiceError, Services};

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
    /// Override the configured API family for this query.
    #[serde(default)]
    pub api_version: Option<ApiVersion>,
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

/// The answer, as the original server returned it (plus `requested_model` when LM Studio
/// answered with another model, and `reasoning` for thinking models).
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
    /// The instance that answered (`v0` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_info: Option<ModelInfo>,
    /// The runtime that answered (`v0` only).
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
                "ttl": {"type": "integer", "minimum": 0, "description": "Idle TTL (s) of a just-in-time loaded model"},
                "api_version": {"type": "string", "enum": ["v0", "v1", "native"]}
            },
            "additionalProperties": false
        })
    }

    fn chat_request(&self) -> ChatRequest {
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

    fn native_request(&self) -> NativeChatRequest {
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

impl Services {
    fn version_for(&self, query: &LmQuery) -> ApiVersion {
        query
            .api_version
            .unwrap_or(self.config.lmstudio.api_version)
    }

    /// Answers a query (not streamed).
    ///
    /// # Errors
    /// [`ServiceError`] from LM Studio's failure, with a hint.
    pub async fn lm_query(&self, query: &LmQuery) -> Result<LmAnswer, ServiceError> {
        let api_version = self.version_for(query);
        let answer = match api_version {
            ApiVersion::V0 | ApiVersion::V1 => {
                let request = query.chat_request();
                let response = if api_version == ApiVersion::V0 {
                    self.lm.v0().chat(&request).await?
                } else {
                    self.lm.openai().chat(&request).await?
                };
                let message = response.message();
                LmAnswer {
                    success: true,
                    content: response.content().to_owned(),
                    reasoning: message.and_then(|m| m.reasoning.clone()),
                    usage: response.usage.unwrap_or_default(),
                    stats: response.stats.clone().unwrap_or_default(),
                    finish_reason: response.finish_reason().map(|r| r.as_str().to_owned()),
                    model_info: response.model_info.clone(),
                    runtime: response.runtime.clone(),
                    model: response.model.clone(),
                    requested_model: response.requested_model.clone(),
                    api_version,
                }
            }
            ApiVersion::Native => {
                let response = self.lm.native().chat(&query.native_request()).await?;
                let reasoning = response.reasoning();
                LmAnswer {
                    success: true,
                    content: response.content(),
                    reasoning: (!reasoning.is_empty()).then_some(reasoning),
                    usage: response.stats.usage(),
                    stats: response.stats.to_stats(),
                    finish_reason: Some(FinishReason::Stop.as_str().to_owned()),
                    model_info: None,
                    runtime: None,
                    model: response.model_instance_id.clone(),
                    requested_model: None,
                    api_version,
                }
            }
        };
        Ok(answer)
    }

    /// Streams a query: deltas as they arrive, then [`LmStreamEvent::Done`] (or `Error`).
    ///
    /// # Errors
    /// [`ServiceError`] for failures before the first byte (unknown model, LM Studio down…).
    pub async fn lm_query_stream(
        &self,
        query: &LmQuery,
    ) -> Result<impl Stream<Item = LmStreamEvent> + Send + 'static, ServiceError> {
        let api_version = self.version_for(query);
        let stream = match api_version {
            ApiVersion::V0 => self.lm.v0().chat_stream(&query.chat_request()).await?,
            ApiVersion::V1 => self.lm.openai().chat_stream(&query.chat_request()).await?,
            ApiVersion::Native => {
                self.lm
                    .native()
                    .chat_stream(&query.native_request())
                    .await?
            }
        };
        let events = stream.map(move |item| match item {
            Ok(ChatEvent::Delta(delta)) => LmStreamEvent::Delta {
                content: delta.content,
                reasoning: delta.reasoning,
            },
            Ok(ChatEvent::Progress(progress)) => LmStreamEvent::Progress {
                stage: serde_json::to_value(progress.stage)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                progress: progress.fraction,
            },
            Ok(ChatEvent::Done(summary)) => {
                LmStreamEvent::Done(Box::new(answer_from_summary(*summary, api_version)))
            }
            Ok(_) => LmStreamEvent::Progress {
                stage: "unknown".into(),
                progress: 0.0,
            },
            Err(error) => LmStreamEvent::Error {
                error: error.into(),
            },
        });
        Ok(events)
    }
}

fn answer_from_summary(summary: StreamSummary, api_version: ApiVersion) -> LmAnswer {
    LmAnswer {
        success: true,
        content: String::new(),
        reasoning: None,
        usage: summary.usage.unwrap_or_default(),
        stats: summary.stats,
        model_info: None,
        runtime: None,
        finish_reason: summary.finish_reason.map(|r| r.as_str().to_owned()),
        model: summary.model,
        requested_model: summary.requested_model,
        api_version,
    }
}
