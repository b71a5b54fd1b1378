//! Sampling and generation parameters shared by chat and text completion requests.

use serde::Serialize;
use serde_json::{Map, Value};

/// The `response_format` parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Plain text (the default).
    Text,
    /// Structured output following a JSON schema.
    JsonSchema {
        /// The schema and its name.
        json_schema: JsonSchema,
    },
}

impl ResponseFormat {
    /// Structured output: the answer must match `schema`.
    #[must_use]
    pub fn json_schema(name: impl Into<String>, schema: Value) -> Self {
        Self::JsonSchema {
            json_schema: JsonSchema {
                name: name.into(),
                strict: true,
                schema,
            },
        }
    }
}

/// A named JSON schema for [`ResponseFormat::JsonSchema`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JsonSchema {
    /// Schema name.
    pub name: String,
    /// Whether the server must follow the schema strictly.
    pub strict: bool,
    /// The JSON schema itself.
    pub schema: Value,
}

/// Parameters common to chat and completion requests. Unset values are not sent, so the
/// server's (or the model's) defaults apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct GenerationParams {
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Maximum tokens to generate; `-1` means no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Stop strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Idle time-to-live in seconds for a model this request loads just in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Random seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Repeat penalty (LM Studio / llama.cpp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f64>,
    /// Output format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Any other field, passed through as is (e.g. `draft_model`, `logit_bias`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Generates the chainable setters for a request type that has a `params: GenerationParams`.
macro_rules! generation_setters {
    () => {
        /// Sets the sampling temperature.
        pub fn temperature(mut self, value: f64) -> Self {
            self.params.temperature = Some(value);
            self
        }
        /// Sets the maximum number of tokens to generate (`-1`: no limit).
        pub fn max_tokens(mut self, value: i64) -> Self {
            self.params.max_tokens = Some(value);
            self
        }
        /// Sets nucleus sampling.
        pub fn top_p(mut self, value: f64) -> Self {
            self.params.top_p = Some(value);
            self
        }
        /// Sets top-k sampling.
        pub fn top_k(mut self, value: u32) -> Self {
            self.params.top_k = Some(value);
            self
        }
        /// Adds a stop string.
        pub fn stop(mut self, value: impl Into<String>) -> Self {
            self.params
                .stop
                .get_or_insert_with(Vec::new)
                .push(value.into());
            self
        }
        /// Sets the idle time-to-live (seconds) of a model this request loads just in time.
        pub fn ttl(mut self, seconds: u64) -> Self {
            self.params.ttl = Some(seconds);
            self
        }
        /// Sets the random seed.
        pub fn seed(mut self, value: i64) -> Self {
            self.params.seed = Some(value);
            self
        }
        /// Sets the presence penalty.
        pub fn presence_penalty(mut self, value: f64) -> Self {
            self.params.presence_penalty = Some(value);
            self
        }
        /// Sets the frequency penalty.
        pub fn frequency_penalty(mut self, value: f64) -> Self {
            self.params.frequency_penalty = Some(value);
            self
        }
        /// Sets the repeat penalty.
        pub fn repeat_penalty(mut self, value: f64) -> Self {
            self.params.repeat_penalty = Some(value);
            self
        }
        /// Sets the output format.
        pub fn response_format(mut self, value: $crate::ResponseFormat) -> Self {
            self.params.response_format = Some(value);
            self
        }
        /// Passes any other field through to the server as is.
        pub fn extra(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
            self.params.extra.insert(key.into(), value);
            self
        }
        /// Replaces all generation parameters at once.
        pub fn params(mut self, params: $crate::GenerationParams) -> Self {
            self.params = params;
            self
        }
    };
}
pub(crate) use generation_setters;
