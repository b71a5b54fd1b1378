//! Ollama's `/api/chat` and `/api/generate`: requests, answers and the nanosecond timings that
//! become [`Stats`].

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{
    chat::{ChatRequest, Message, Role},
    completion::CompletionRequest,
    params::{GenerationParams, ResponseFormat},
    stats::{FinishReason, Stats, StatsSource, Usage},
};

/// Nanoseconds per second: Ollama reports every duration in nanoseconds.
const NANOS: f64 = 1e9;

/// An Ollama `/api/chat` request.
///
/// Sampling parameters go into `options` under Ollama's names (`temperature`, `num_predict`,
/// `num_ctx`, `top_k`, `stop`…). A [`ChatRequest`] converts with `into()`: its parameters are
/// renamed (`max_tokens` → `num_predict`, `ttl` → `keep_alive` in seconds, a JSON-schema
/// `response_format` → `format`), its `extra` fields `think`, `keep_alive` and `format` go to
/// the top level and the other `extra` fields into `options`.
///
/// ```
/// use lmstudio_client::{ChatRequest, OllamaChatRequest};
/// let req = OllamaChatRequest::prompt("Name a prime above 90.")
///     .model("llama3.2")
///     .temperature(0.2)
///     .num_predict(64);
/// assert_eq!(req.options["num_predict"], 64);
/// let same: OllamaChatRequest = ChatRequest::prompt("Name a prime above 90.").max_tokens(64).into();
/// assert_eq!(same.options["num_predict"], 64);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct OllamaChatRequest {
    /// Model name (`name:tag`); `None`, `""` or `"default"` use the client's default or a
    /// loaded model.
    #[serde(skip)]
    pub model: Option<String>,
    /// The conversation (sent in Ollama's shape: `thinking`, tool-call arguments as objects).
    #[serde(serialize_with = "ollama_messages")]
    pub messages: Vec<Message>,
    /// Tool definitions (OpenAI `tools` format, which Ollama accepts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// `"json"` or a JSON schema the answer must follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Model options (`temperature`, `num_predict`, `num_ctx`, `top_p`, `stop`, `seed`…).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
    /// Thinking: `true`/`false`, or `"low"`/`"medium"`/`"high"` for models that take a level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<Value>,
    /// How long the model stays loaded after the request: `"5m"`, seconds, or `0` to unload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<Value>,
}

impl OllamaChatRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request with one user message.
    pub fn prompt(text: impl Into<String>) -> Self {
        Self::new().message(Message::user(text))
    }

    /// Sets the model name.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the system prompt: replaces a leading system message or inserts one.
    pub fn system(mut self, text: impl Into<String>) -> Self {
        match self.messages.first_mut() {
            Some(first) if first.role == Role::System => first.content = Some(text.into()),
            _ => self.messages.insert(0, Message::system(text)),
        }
        self
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Sets the tool definitions.
    pub fn tools(mut self, tools: Vec<Value>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Sets the output format (`"json"` or a JSON schema).
    pub fn format(mut self, format: Value) -> Self {
        self.format = Some(format);
        self
    }

    /// Turns thinking on or off (or sets a level, for models that take one).
    pub fn think(mut self, think: impl Into<Value>) -> Self {
        self.think = Some(think.into());
        self
    }

    /// Sets how long the model stays loaded afterwards (`"5m"`, seconds, `0`).
    pub fn keep_alive(mut self, keep_alive: impl Into<Value>) -> Self {
        self.keep_alive = Some(keep_alive.into());
        self
    }

    /// Sets the sampling temperature.
    pub fn temperature(self, value: f64) -> Self {
        self.option("temperature", value)
    }

    /// Sets the most tokens to generate (`-1`: no limit).
    pub fn num_predict(self, value: i64) -> Self {
        self.option("num_predict", value)
    }

    /// Sets the context length to load the model with.
    pub fn num_ctx(self, value: u64) -> Self {
        self.option("num_ctx", value)
    }

    /// Sets any model option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }
}

impl From<ChatRequest> for OllamaChatRequest {
    fn from(request: ChatRequest) -> Self {
        let mut out = Self {
            model: request.model,
            messages: request.messages,
            tools: request.tools,
            ..Self::default()
        };
        let top = TopLevel::from_params(request.params, &mut out.options);
        (out.format, out.think, out.keep_alive) = (top.format, top.think, top.keep_alive);
        out
    }
}

/// An Ollama `/api/generate` request: a prompt in, a continuation out.
///
/// ```
/// use lmstudio_client::GenerateRequest;
/// let req = GenerateRequest::new("The sky is").model("llama3.2").system("Be poetic.");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct GenerateRequest {
    /// Model name; `None`, `""` or `"default"` use the client's default or a loaded model.
    #[serde(skip)]
    pub model: Option<String>,
    /// The prompt.
    pub prompt: String,
    /// Text after the insertion point (fill in the middle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// System prompt (overrides the model's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Send the prompt without the model's template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<bool>,
    /// Base64-encoded images for multimodal models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// `"json"` or a JSON schema the answer must follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Model options (`temperature`, `num_predict`, `num_ctx`…).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
    /// Thinking on or off, or a level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<Value>,
    /// How long the model stays loaded afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<Value>,
}

impl GenerateRequest {
    /// A request continuing `prompt`.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            ..Self::default()
        }
    }

    /// Sets the model name.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the system prompt.
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system = Some(text.into());
        self
    }

    /// Sets the sampling temperature.
    pub fn temperature(self, value: f64) -> Self {
        self.option("temperature", value)
    }

    /// Sets the most tokens to generate (`-1`: no limit).
    pub fn num_predict(self, value: i64) -> Self {
        self.option("num_predict", value)
    }

    /// Sets any model option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }
}

impl From<CompletionRequest> for GenerateRequest {
    fn from(request: CompletionRequest) -> Self {
        let mut out = Self {
            model: request.model,
            prompt: request.prompt,
            ..Self::default()
        };
        let top = TopLevel::from_params(request.params, &mut out.options);
        (out.format, out.think, out.keep_alive) = (top.format, top.think, top.keep_alive);
        out
    }
}

/// The top-level fields that common [`GenerationParams`] map to.
struct TopLevel {
    format: Option<Value>,
    think: Option<Value>,
    keep_alive: Option<Value>,
}

impl TopLevel {
    /// Moves `params` into Ollama's `options` and returns what belongs at the top level.
    fn from_params(params: GenerationParams, options: &mut Map<String, Value>) -> Self {
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                options.insert(key.to_owned(), value);
            }
        };
        put("temperature", params.temperature.map(Value::from));
        put("num_predict", params.max_tokens.map(Value::from));
        put("top_p", params.top_p.map(Value::from));
        put("top_k", params.top_k.map(Value::from));
        put("stop", params.stop.map(Value::from));
        put("seed", params.seed.map(Value::from));
        put("presence_penalty", params.presence_penalty.map(Value::from));
        put(
            "frequency_penalty",
            params.frequency_penalty.map(Value::from),
        );
        put("repeat_penalty", params.repeat_penalty.map(Value::from));
        let mut top = Self {
            format: match params.response_format {
                Some(ResponseFormat::JsonSchema { json_schema }) => Some(json_schema.schema),
                _ => None,
            },
            think: None,
            keep_alive: params.ttl.map(Value::from),
        };
        for (key, value) in params.extra {
            match key.as_str() {
                "think" => top.think = Some(value),
                "keep_alive" => top.keep_alive = Some(value),
                "format" => top.format = Some(value),
                _ => {
                    options.insert(key, value);
                }
            }
        }
        top
    }
}

/// One message in Ollama's request shape.
#[derive(Serialize)]
struct WireMessage<'a> {
    role: Role,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    arguments: Value,
}

/// Serializes messages as Ollama wants them: reasoning as `thinking`, tool-call arguments as
/// JSON objects rather than strings.
fn ollama_messages<S: Serializer>(messages: &[Message], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(messages.iter().map(|message| {
        WireMessage {
            role: message.role,
            content: message.text(),
            thinking: message.reasoning.as_deref(),
            tool_calls: message
                .tool_calls
                .iter()
                .map(|call| WireToolCall {
                    function: WireFunction {
                        name: &call.function.name,
                        arguments: serde_json::from_str(&call.function.arguments)
                            .unwrap_or_else(|_| Value::String(call.function.arguments.clone())),
                    },
                })
                .collect(),
        }
    }))
}

/// The counts and nanosecond durations Ollama puts on every final answer (and on the last
/// object of a stream).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaTimings {
    /// Whole request, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration: Option<u64>,
    /// Loading the model, nanoseconds (near zero when it was loaded already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_duration: Option<u64>,
    /// Prompt tokens evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_count: Option<u64>,
    /// Evaluating the prompt, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_duration: Option<u64>,
    /// Tokens generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_count: Option<u64>,
    /// Generating, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_duration: Option<u64>,
}

impl OllamaTimings {
    /// The server's statistics in this crate's terms (`source: server`): tokens/s =
    /// `eval_count / eval_duration × 1e9` (Ollama's own formula), time to first token ≈
    /// `(load_duration + prompt_eval_duration) / 1e9` (server side only: no HTTP or queueing
    /// time), generation time = `eval_duration / 1e9`, plus load time, prompt tokens/s and
    /// total time.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // counts and nanoseconds stay far below 2^52 in practice
    pub fn to_stats(&self) -> Stats {
        let seconds = |nanos: Option<u64>| nanos.map(|n| n as f64 / NANOS);
        let rate = |count: Option<u64>, nanos: Option<u64>| match (count, nanos) {
            (Some(count), Some(nanos)) if nanos > 0 => Some(count as f64 / nanos as f64 * NANOS),
            _ => None,
        };
        let time_to_first_token = self
            .prompt_eval_duration
            .map(|prompt| (prompt + self.load_duration.unwrap_or(0)) as f64 / NANOS);
        Stats {
            tokens_per_second: rate(self.eval_count, self.eval_duration),
            time_to_first_token,
            generation_time: seconds(self.eval_duration),
            model_load_time: seconds(self.load_duration),
            prompt_tokens_per_second: rate(self.prompt_eval_count, self.prompt_eval_duration),
            total_time: seconds(self.total_duration),
            source: StatsSource::Server,
            ..Stats::default()
        }
    }

    /// Token counts as common [`Usage`].
    #[must_use]
    pub fn usage(&self) -> Usage {
        Usage::new(
            self.prompt_eval_count.unwrap_or(0),
            self.eval_count.unwrap_or(0),
        )
    }
}

/// Ollama's `done_reason` as a [`FinishReason`]: `stop` and `length` as such, anything else
/// (`load`, `unload`…) kept verbatim.
pub(crate) fn finish_reason(done_reason: Option<&str>, called_tools: bool) -> Option<FinishReason> {
    if called_tools {
        return Some(FinishReason::ToolCalls);
    }
    done_reason.map(FinishReason::parse)
}

/// An Ollama `/api/chat` answer (not streamed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaChatResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// When the answer was created (RFC 3339).
    #[serde(default)]
    pub created_at: String,
    /// The assistant's message (`thinking` becomes [`Message::reasoning`]).
    pub message: Message,
    /// Always `true` on a complete answer.
    #[serde(default)]
    pub done: bool,
    /// Why generation ended: `stop`, `length`, `load`, `unload`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<String>,
    /// Counts and durations.
    #[serde(flatten)]
    pub timings: OllamaTimings,
    /// The model name that was asked for, when it differs from [`model`](Self::model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
}

impl OllamaChatResponse {
    /// The answer text.
    #[must_use]
    pub fn content(&self) -> &str {
        self.message.text()
    }

    /// Why generation ended (`tool_calls` when the message calls tools).
    #[must_use]
    pub fn finish_reason(&self) -> Option<FinishReason> {
        finish_reason(
            self.done_reason.as_deref(),
            !self.message.tool_calls.is_empty(),
        )
    }

    /// The server's statistics (see [`OllamaTimings::to_stats`]).
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.timings.to_stats()
    }

    /// Token counts.
    #[must_use]
    pub fn usage(&self) -> Usage {
        self.timings.usage()
    }
}

/// An Ollama `/api/generate` answer (not streamed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenerateResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// When the answer was created (RFC 3339).
    #[serde(default)]
    pub created_at: String,
    /// The generated text.
    #[serde(default)]
    pub response: String,
    /// Reasoning text of thinking models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// Always `true` on a complete answer.
    #[serde(default)]
    pub done: bool,
    /// Why generation ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<String>,
    /// The conversation encoding, to send back as `context` (deprecated by Ollama).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<i64>,
    /// Counts and durations.
    #[serde(flatten)]
    pub timings: OllamaTimings,
    /// The model name that was asked for, when it differs from [`model`](Self::model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
}

impl GenerateResponse {
    /// The generated text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.response
    }

    /// Why generation ended.
    #[must_use]
    pub fn finish_reason(&self) -> Option<FinishReason> {
        finish_reason(self.done_reason.as_deref(), false)
    }

    /// The server's statistics (see [`OllamaTimings::to_stats`]).
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.timings.to_stats()
    }

    /// Token counts.
    #[must_use]
    pub fn usage(&self) -> Usage {
        self.timings.usage()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{FunctionCall, ToolCall};

    #[test]
    fn timings_become_server_stats() {
        let timings: OllamaTimings = serde_json::from_value(json!({
            "total_duration": 4_883_583_458_u64, "load_duration": 1_334_875,
            "prompt_eval_count": 26, "prompt_eval_duration": 342_546_000,
            "eval_count": 282, "eval_duration": 4_535_599_000_u64
        }))
        .unwrap();
        let stats = timings.to_stats();
        assert_eq!(stats.source, StatsSource::Server);
        let rate = stats.tokens_per_second.unwrap();
        assert!((rate - 282.0 / 4.535_599).abs() < 1e-9, "{rate}");
        let ttft = stats.time_to_first_token.unwrap();
        assert!((ttft - 0.343_880_875).abs() < 1e-12, "{ttft}");
        assert!((stats.generation_time.unwrap() - 4.535_599).abs() < 1e-12);
        assert!((stats.total_time.unwrap() - 4.883_583_458).abs() < 1e-12);
        assert!((stats.prompt_tokens_per_second.unwrap() - 26.0 / 0.342_546).abs() < 1e-9);
        assert_eq!(timings.usage(), Usage::new(26, 282));
        // Nothing reported: nothing invented.
        assert!(OllamaTimings::default().to_stats().is_empty());
    }

    #[test]
    fn chat_requests_convert_to_ollama_names() {
        let common = ChatRequest::prompt("hi")
            .system("be brief")
            .max_tokens(10)
            .temperature(0.1)
            .stop("\n")
            .ttl(60)
            .extra("think", json!(true))
            .extra("num_ctx", json!(8192))
            .response_format(ResponseFormat::json_schema("n", json!({"type": "object"})));
        let req = OllamaChatRequest::from(common);
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
                "format": {"type": "object"},
                "options": {"temperature": 0.1, "num_predict": 10, "stop": ["\n"], "num_ctx": 8192},
                "think": true,
                "keep_alive": 60
            })
        );
    }

    #[test]
    fn tool_call_arguments_are_sent_as_objects() {
        let mut call = Message::assistant("");
        call.tool_calls.push(ToolCall {
            id: "c1".into(),
            kind: "function".into(),
            function: FunctionCall {
                name: "f".into(),
                arguments: r#"{"city":"Paris"}"#.into(),
            },
        });
        let req = OllamaChatRequest::new()
            .message(call)
            .message(Message::tool("c1", "sunny"));
        let wire = serde_json::to_value(&req).unwrap();
        assert_eq!(
            wire["messages"][0]["tool_calls"][0]["function"]["arguments"],
            json!({"city": "Paris"})
        );
        assert_eq!(
            wire["messages"][1],
            json!({"role": "tool", "content": "sunny"})
        );
    }

    #[test]
    fn finish_reasons_follow_done_reason_and_tool_calls() {
        assert_eq!(finish_reason(Some("stop"), false), Some(FinishReason::Stop));
        assert_eq!(
            finish_reason(Some("length"), false),
            Some(FinishReason::Length)
        );
        assert_eq!(
            finish_reason(Some("stop"), true),
            Some(FinishReason::ToolCalls)
        );
        assert_eq!(
            finish_reason(Some("load"), false),
            Some(FinishReason::Other("load".into()))
        );
    }
}
