//! Native REST v1 (`/api/v1`, LM Studio 0.4+): chat with server stats, models, load, unload.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{model::ModelType, stats::Stats};

/// A native `/api/v1/chat` request.
///
/// ```
/// use lmstudio_client::NativeChatRequest;
/// let req = NativeChatRequest::new("qwen/qwen3-4b", "Name a prime above 90.")
///     .system_prompt("Answer briefly.")
///     .reasoning("off");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct NativeChatRequest {
    /// Model key; `""` or `"default"` use the client's default or the loaded model.
    #[serde(skip)]
    pub model: String,
    /// Text input, or an array of `{"type":"message"|"image", …}` items.
    pub input: Value,
    /// System prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Min-p sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f64>,
    /// Repeat penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f64>,
    /// Maximum tokens to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// `off`, `low`, `medium`, `high` or `on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Context length for a just-in-time load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// Whether the server keeps the conversation (default `true` on the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// Continue the conversation of this `resp_…` id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// Any other field, passed through as is (e.g. `integrations`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NativeChatRequest {
    /// A request for `model` with a text input.
    pub fn new(model: impl Into<String>, input: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            input: Value::String(input.into()),
            ..Self::default()
        }
    }

    /// Sets the system prompt.
    pub fn system_prompt(mut self, text: impl Into<String>) -> Self {
        self.system_prompt = Some(text.into());
        self
    }

    /// Sets the reasoning effort (`off`, `low`, `medium`, `high`, `on`).
    pub fn reasoning(mut self, level: impl Into<String>) -> Self {
        self.reasoning = Some(level.into());
        self
    }

    /// Sets the sampling temperature.
    pub fn temperature(mut self, value: f64) -> Self {
        self.temperature = Some(value);
        self
    }

    /// Sets the maximum number of tokens to generate.
    pub fn max_output_tokens(mut self, value: u64) -> Self {
        self.max_output_tokens = Some(value);
        self
    }

    /// Continues a stored conversation.
    pub fn previous_response_id(mut self, id: impl Into<String>) -> Self {
        self.previous_response_id = Some(id.into());
        self
    }

    /// Passes any other field through to the server as is.
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

/// A native `/api/v1/chat` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NativeChatResponse {
    /// The instance that answered.
    #[serde(default)]
    pub model_instance_id: String,
    /// Messages, reasoning and tool calls, in order.
    #[serde(default)]
    pub output: Vec<OutputItem>,
    /// Server statistics.
    #[serde(default)]
    pub stats: NativeStats,
    /// Id to continue the conversation with (when stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}

impl NativeChatResponse {
    /// The text of all `message` items, concatenated.
    #[must_use]
    pub fn content(&self) -> String {
        self.text_of(|item| match item {
            OutputItem::Message { content } => Some(content),
            _ => None,
        })
    }

    /// The text of all `reasoning` items, concatenated.
    #[must_use]
    pub fn reasoning(&self) -> String {
        self.text_of(|item| match item {
            OutputItem::Reasoning { content } => Some(content),
            _ => None,
        })
    }

    fn text_of(&self, pick: impl Fn(&OutputItem) -> Option<&String>) -> String {
        self.output
            .iter()
            .filter_map(pick)
            .map(String::as_str)
            .collect()
    }
}

/// One item of a native chat answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputItem {
    /// Answer text.
    Message {
        /// The text.
        #[serde(default)]
        content: String,
    },
    /// Reasoning text.
    Reasoning {
        /// The text.
        #[serde(default)]
        content: String,
    },
    /// A tool (MCP integration) call and its result.
    ToolCall {
        /// Tool name.
        #[serde(default)]
        tool: String,
        /// Arguments (an object).
        #[serde(default)]
        arguments: Value,
        /// The tool's output.
        #[serde(default)]
        output: Value,
    },
    /// A tool call the model got wrong.
    InvalidToolCall {
        /// Why it is invalid.
        #[serde(default)]
        reason: String,
        /// Details (`type`, `tool_name`, …).
        #[serde(default)]
        metadata: Value,
    },
    /// An item type this version does not know.
    #[serde(other)]
    Unknown,
}

/// Statistics of a native chat answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NativeStats {
    /// Prompt tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// All generated tokens (reasoning included).
    #[serde(default)]
    pub total_output_tokens: u64,
    /// Reasoning tokens.
    #[serde(default)]
    pub reasoning_output_tokens: u64,
    /// Generated tokens per second.
    #[serde(default)]
    pub tokens_per_second: Option<f64>,
    /// Seconds to the first token.
    #[serde(default)]
    pub time_to_first_token_seconds: Option<f64>,
    /// Seconds spent loading the model (only when this request loaded it).
    #[serde(default)]
    pub model_load_time_seconds: Option<f64>,
}

impl NativeStats {
    /// The same figures as common [`Stats`] (`source: server`); the generation time is derived
    /// from the token count and rate.
    #[must_use]
    pub fn to_stats(&self) -> Stats {
        #[allow(clippy::cast_precision_loss)] // token counts are far below 2^52
        let generation_time = match self.tokens_per_second {
            Some(rate) if rate > 0.0 => Some(self.total_output_tokens as f64 / rate),
            _ => None,
        };
        Stats {
            tokens_per_second: self.tokens_per_second,
            time_to_first_token: self.time_to_first_token_seconds,
            generation_time,
            model_load_time: self.model_load_time_seconds,
            ..Stats::default()
        }
    }

    /// Token counts as common [`Usage`](crate::Usage).
    #[must_use]
    pub fn usage(&self) -> crate::Usage {
        crate::Usage::new(self.input_tokens, self.total_output_tokens)
    }
}

/// A model of native `/api/v1/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NativeModel {
    /// The id to send as `model`.
    pub key: String,
    /// `llm` or `embedding`.
    #[serde(rename = "type", default = "llm")]
    pub kind: ModelType,
    /// Publisher.
    #[serde(default)]
    pub publisher: String,
    /// Human-readable name.
    #[serde(default)]
    pub display_name: String,
    /// Architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// Quantization.
    #[serde(default)]
    pub quantization: Option<Quantization>,
    /// Size on disk.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// Parameter count, e.g. `4B`.
    #[serde(default)]
    pub params_string: Option<String>,
    /// Loaded instances with their configuration.
    #[serde(default)]
    pub loaded_instances: Vec<LoadedInstance>,
    /// Trained maximum context.
    #[serde(default)]
    pub max_context_length: Option<u64>,
    /// `gguf`, `mlx` or none.
    #[serde(default)]
    pub format: Option<String>,
    /// Capabilities (`vision`, `trained_for_tool_use`, `reasoning`), as sent.
    #[serde(default)]
    pub capabilities: Option<Value>,
}

fn llm() -> ModelType {
    ModelType::Llm
}

/// Quantization of a [`NativeModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Quantization {
    /// Name, e.g. `Q4_K_M`.
    #[serde(default)]
    pub name: String,
    /// Bits per weight.
    #[serde(default)]
    pub bits_per_weight: Option<f64>,
}

/// A loaded instance of a [`NativeModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoadedInstance {
    /// Instance id (send it as `model`, or to unload).
    pub id: String,
    /// Load configuration (`context_length`, `flash_attention`, …).
    #[serde(default)]
    pub config: Map<String, Value>,
}

impl LoadedInstance {
    /// The context length the instance was loaded with.
    #[must_use]
    pub fn context_length(&self) -> Option<u64> {
        self.config.get("context_length").and_then(Value::as_u64)
    }
}

/// A `POST /api/v1/models/load` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct LoadRequest {
    /// Model key.
    pub model: String,
    /// Context length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// Flash attention.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flash_attention: Option<bool>,
    /// Evaluation batch size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eval_batch_size: Option<u64>,
    /// Experts to use (MoE models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_experts: Option<u64>,
    /// Keep the KV cache on the GPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offload_kv_cache_to_gpu: Option<bool>,
    /// Ask the server to echo the configuration it used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo_load_config: Option<bool>,
}

impl LoadRequest {
    /// Load `model` with the server's defaults.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Sets the context length.
    pub fn context_length(mut self, tokens: u64) -> Self {
        self.context_length = Some(tokens);
        self
    }

    /// Sets flash attention.
    pub fn flash_attention(mut self, on: bool) -> Self {
        self.flash_attention = Some(on);
        self
    }

    /// Asks the server to echo the configuration it used.
    pub fn echo_load_config(mut self) -> Self {
        self.echo_load_config = Some(true);
        self
    }
}

/// The answer to a load request (the server answers once the model is loaded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoadResponse {
    /// Model type.
    #[serde(rename = "type", default = "llm")]
    pub kind: ModelType,
    /// The new instance's id.
    pub instance_id: String,
    /// Seconds spent loading.
    #[serde(default)]
    pub load_time_seconds: Option<f64>,
    /// `loaded`.
    #[serde(default)]
    pub status: String,
    /// The configuration used, when asked for.
    #[serde(default)]
    pub load_config: Option<Map<String, Value>>,
}

/// The answer to an unload request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnloadResponse {
    /// The instance that was unloaded.
    pub instance_id: String,
}
