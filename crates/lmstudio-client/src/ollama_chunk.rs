//! One object of an Ollama NDJSON stream (`/api/chat` or `/api/generate`), as
//! [`ChatStream`](crate::ChatStream) decodes it.

use serde::Deserialize;
use serde_json::Value;

use crate::{Delta, ToolCallDelta, types::ollama::OllamaTimings};

/// Every field a chat or generate stream object may carry. The timings are listed here rather
/// than flattened: `#[serde(flatten)]` buffers the whole object, and this runs per chunk.
#[derive(Deserialize)]
pub(crate) struct OllamaChunk {
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    message: Option<ChunkMessage>,
    /// `/api/generate`'s text.
    #[serde(default)]
    response: Option<String>,
    /// `/api/generate`'s reasoning text.
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    pub(crate) done: bool,
    #[serde(default)]
    pub(crate) done_reason: Option<String>,
    #[serde(default)]
    total_duration: Option<u64>,
    #[serde(default)]
    load_duration: Option<u64>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    prompt_eval_duration: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    eval_duration: Option<u64>,
    /// A mid-stream failure: `{"error":"…"}` with the status still 200.
    #[serde(default)]
    pub(crate) error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ChunkMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    tool_calls: Vec<ChunkToolCall>,
}

#[derive(Deserialize)]
struct ChunkToolCall {
    #[serde(default)]
    id: Option<String>,
    function: ChunkFunction,
}

#[derive(Deserialize)]
struct ChunkFunction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: Value,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ChunkToolCall>, D::Error> {
    Ok(Option::<Vec<ChunkToolCall>>::deserialize(deserializer)?.unwrap_or_default())
}

impl OllamaChunk {
    /// The counts and durations (present on the final object only).
    pub(crate) fn timings(&self) -> OllamaTimings {
        OllamaTimings {
            total_duration: self.total_duration,
            load_duration: self.load_duration,
            prompt_eval_count: self.prompt_eval_count,
            prompt_eval_duration: self.prompt_eval_duration,
            eval_count: self.eval_count,
            eval_duration: self.eval_duration,
        }
    }

    /// Takes the text, reasoning and tool calls out as a [`Delta`]. Ollama sends each tool call
    /// whole, so each becomes one fragment with its own `index`, counted from `first_index`.
    pub(crate) fn take_delta(&mut self, first_index: u32) -> Delta {
        let mut delta = Delta::default();
        if let Some(message) = self.message.take() {
            delta.content = message.content.unwrap_or_default();
            delta.reasoning = message.thinking.unwrap_or_default();
            delta.tool_calls = (first_index..)
                .zip(message.tool_calls)
                .map(|(index, call)| ToolCallDelta {
                    index,
                    id: call.id,
                    name: Some(call.function.name),
                    arguments: match call.function.arguments {
                        Value::String(text) => text,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    },
                })
                .collect();
        }
        if let Some(text) = self.response.take() {
            delta.content = text;
        }
        if let Some(text) = self.thinking.take() {
            delta.reasoning = text;
        }
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_generate_objects_give_the_same_delta() {
        let mut chat: OllamaChunk = serde_json::from_str(
            r#"{"model":"m","message":{"role":"assistant","content":"Hi","thinking":"t"},"done":false}"#,
        )
        .unwrap();
        let mut generate: OllamaChunk =
            serde_json::from_str(r#"{"model":"m","response":"Hi","thinking":"t","done":false}"#)
                .unwrap();
        assert_eq!(chat.take_delta(0), generate.take_delta(0));
    }

    #[test]
    fn tool_calls_are_whole_fragments() {
        let mut chunk: OllamaChunk = serde_json::from_str(
            r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},"done":false}"#,
        )
        .unwrap();
        let delta = chunk.take_delta(2);
        assert_eq!(delta.tool_calls[0].index, 2);
        assert_eq!(delta.tool_calls[0].name.as_deref(), Some("f"));
        assert_eq!(delta.tool_calls[0].arguments, r#"{"a":1}"#);
    }
}
