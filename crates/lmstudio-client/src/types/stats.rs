//! Usage, generation statistics, stop and finish reasons, model and runtime info.

use serde::{Deserialize, Serialize};

/// Token counts of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens in the prompt.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens generated (0 for embeddings).
    #[serde(default)]
    pub completion_tokens: u64,
    /// Sum of both.
    #[serde(default)]
    pub total_tokens: u64,
}

impl Usage {
    /// Usage from prompt and completion counts.
    #[must_use]
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        }
    }
}

/// Where a [`Stats`] value comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StatsSource {
    /// Reported by the server (`/api/v0` non-streaming, native `/api/v1`).
    #[default]
    Server,
    /// Measured by this client, because the server reports none (streams, `/v1`).
    Measured,
}

impl StatsSource {
    /// `"server"` or `"measured"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Measured => "measured",
        }
    }
}

impl std::fmt::Display for StatsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Generation statistics. Times are in seconds, as LM Studio reports them.
///
/// LM Studio gives them only for non-streaming `/api/v0` answers and native `/api/v1`; for
/// everything else this client measures them itself and says so in [`source`](Stats::source).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// Generated tokens per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
    /// Seconds from the request to the first generated token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_first_token: Option<f64>,
    /// Seconds spent generating (from the first token to the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_time: Option<f64>,
    /// Why generation stopped (LM Studio's reason, finer than `finish_reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// Seconds spent loading the model for this request (native `/api/v1`, JIT loads only;
    /// Ollama reports it on every answer, near zero when the model was already loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_load_time: Option<f64>,
    /// Prompt tokens processed per second (Ollama).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_per_second: Option<f64>,
    /// Seconds the server spent on the whole request (Ollama's `total_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<f64>,
    /// Time to first token as measured by this client (request sent → first content chunk)
    /// when [`time_to_first_token`](Stats::time_to_first_token) comes from the server: the
    /// server's figure leaves out HTTP and queueing time (Ollama streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_time_to_first_token: Option<f64>,
    /// Speculative decoding: tokens proposed by the draft model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_draft_tokens_count: Option<u64>,
    /// Speculative decoding: draft tokens accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_draft_tokens_count: Option<u64>,
    /// Speculative decoding: draft tokens rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_draft_tokens_count: Option<u64>,
    /// Speculative decoding: draft tokens ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_draft_tokens_count: Option<u64>,
    /// True when the token count behind `tokens_per_second` was estimated (one token per
    /// streamed chunk) because the server sent no usage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tokens_estimated: bool,
    /// Who produced these figures.
    #[serde(default)]
    pub source: StatsSource,
}

impl Stats {
    /// True when no figure is present: what `/v1` sends as `"stats": {}`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens_per_second.is_none()
            && self.time_to_first_token.is_none()
            && self.generation_time.is_none()
            && self.stop_reason.is_none()
    }

    /// Stats measured by the client.
    #[must_use]
    pub(crate) fn measured(
        time_to_first_token: Option<f64>,
        generation_time: Option<f64>,
        tokens: Option<u64>,
        tokens_estimated: bool,
    ) -> Self {
        let tokens_per_second = match (tokens, generation_time) {
            #[allow(clippy::cast_precision_loss)] // token counts are far below 2^52
            (Some(tokens), Some(seconds)) if seconds > 0.0 && tokens > 0 => {
                Some(tokens as f64 / seconds)
            }
            _ => None,
        };
        Self {
            tokens_per_second,
            time_to_first_token,
            generation_time,
            tokens_estimated,
            source: StatsSource::Measured,
            ..Self::default()
        }
    }
}

/// LM Studio's reason for stopping (`stats.stop_reason`, the SDK's `LLMPredictionStopReason`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// The model emitted end-of-sequence.
    EosFound,
    /// A configured stop string matched.
    StopStringFound,
    /// `max_tokens` was reached.
    MaxPredictedTokensReached,
    /// The context window is full (not the same as `max_tokens`).
    ContextLengthReached,
    /// Generation ended to emit tool calls.
    ToolCalls,
    /// The prediction was cancelled.
    UserStopped,
    /// The model was unloaded mid-prediction.
    ModelUnloaded,
    /// The engine failed during prediction.
    Failed,
    /// A value this version does not know, kept verbatim.
    Other(String),
}

impl StopReason {
    /// The wire value, e.g. `"eosFound"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::EosFound => "eosFound",
            Self::StopStringFound => "stopStringFound",
            Self::MaxPredictedTokensReached => "maxPredictedTokensReached",
            Self::ContextLengthReached => "contextLengthReached",
            Self::ToolCalls => "toolCalls",
            Self::UserStopped => "userStopped",
            Self::ModelUnloaded => "modelUnloaded",
            Self::Failed => "failed",
            Self::Other(other) => other,
        }
    }

    /// Parses a wire value; unknown values become [`StopReason::Other`].
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "eosFound" => Self::EosFound,
            "stopStringFound" => Self::StopStringFound,
            "maxPredictedTokensReached" => Self::MaxPredictedTokensReached,
            "contextLengthReached" => Self::ContextLengthReached,
            "toolCalls" => Self::ToolCalls,
            "userStopped" => Self::UserStopped,
            "modelUnloaded" => Self::ModelUnloaded,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The OpenAI-style finish reason this maps to; `None` for the two that mean the
    /// generation failed (`modelUnloaded`, `failed`).
    #[must_use]
    pub fn finish_reason(&self) -> Option<FinishReason> {
        match self {
            Self::EosFound | Self::StopStringFound | Self::UserStopped => Some(FinishReason::Stop),
            Self::MaxPredictedTokensReached | Self::ContextLengthReached => {
                Some(FinishReason::Length)
            }
            Self::ToolCalls => Some(FinishReason::ToolCalls),
            Self::ModelUnloaded | Self::Failed => None,
            Self::Other(other) => Some(FinishReason::parse(other)),
        }
    }

    /// True when generation did not end normally (`modelUnloaded`, `failed`).
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::ModelUnloaded | Self::Failed)
    }
}

/// OpenAI-style reason for the end of a choice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FinishReason {
    /// Natural end or stop string.
    Stop,
    /// Token limit or context length.
    Length,
    /// The model called tools.
    ToolCalls,
    /// Content filter.
    ContentFilter,
    /// A value this version does not know, kept verbatim.
    Other(String),
}

impl FinishReason {
    /// The wire value, e.g. `"stop"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
            Self::Other(other) => other,
        }
    }

    /// Parses a wire value; unknown values become [`FinishReason::Other`].
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "stop" => Self::Stop,
            "length" => Self::Length,
            "tool_calls" => Self::ToolCalls,
            "content_filter" => Self::ContentFilter,
            other => Self::Other(other.to_owned()),
        }
    }
}

macro_rules! string_enum_serde {
    ($ty:ty) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let value = ::std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::parse(&value))
            }
        }
    };
}
pub(crate) use string_enum_serde;

string_enum_serde!(StopReason);
string_enum_serde!(FinishReason);

/// The model instance that answered (`model_info` of `/api/v0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// Architecture, e.g. `qwen2`.
    #[serde(default)]
    pub arch: String,
    /// Quantization, e.g. `Q4_K_M`.
    #[serde(default)]
    pub quant: String,
    /// `gguf` or `mlx`.
    #[serde(default)]
    pub format: String,
    /// Context length the instance is loaded with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
}

/// The inference runtime that answered (`runtime` of `/api/v0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Runtime {
    /// Runtime name, e.g. `llama.cpp-mac-arm64-apple-metal-advsimd`.
    #[serde(default)]
    pub name: String,
    /// Runtime version.
    #[serde(default)]
    pub version: String,
    /// Model formats it runs.
    #[serde(default)]
    pub supported_formats: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_stop_reason_round_trips() {
        for wire in [
            "eosFound",
            "stopStringFound",
            "maxPredictedTokensReached",
            "contextLengthReached",
            "toolCalls",
            "userStopped",
            "modelUnloaded",
            "failed",
        ] {
            let reason = StopReason::parse(wire);
            assert!(!matches!(reason, StopReason::Other(_)), "{wire}");
            assert_eq!(
                serde_json::to_string(&reason).unwrap(),
                format!("\"{wire}\"")
            );
        }
        let odd: StopReason = serde_json::from_str("\"stop\"").unwrap();
        assert_eq!(odd, StopReason::Other("stop".into()));
        assert_eq!(odd.finish_reason(), Some(FinishReason::Stop));
    }

    #[test]
    fn stop_reasons_map_to_finish_reasons() {
        assert_eq!(
            StopReason::ContextLengthReached.finish_reason(),
            Some(FinishReason::Length)
        );
        assert_eq!(
            StopReason::ToolCalls.finish_reason(),
            Some(FinishReason::ToolCalls)
        );
        assert_eq!(StopReason::ModelUnloaded.finish_reason(), None);
        assert!(StopReason::Failed.is_failure());
    }

    #[test]
    fn empty_stats_object_is_empty() {
        let stats: Stats = serde_json::from_str("{}").unwrap();
        assert!(stats.is_empty());
        assert_eq!(stats.source, StatsSource::Server);
    }

    #[test]
    fn measured_stats_compute_tokens_per_second() {
        let stats = Stats::measured(Some(0.1), Some(2.0), Some(50), false);
        assert_eq!(stats.tokens_per_second, Some(25.0));
        assert_eq!(stats.source, StatsSource::Measured);
        assert_eq!(
            Stats::measured(None, Some(0.0), Some(5), true).tokens_per_second,
            None
        );
    }
}
