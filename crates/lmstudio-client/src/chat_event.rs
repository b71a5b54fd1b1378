//! What a chat stream yields: deltas, progress, and a final summary with measured stats.

use serde::{Deserialize, Serialize};

use crate::{FinishReason, Stats, Usage};

/// One item of a [`ChatStream`](crate::ChatStream).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A piece of the answer.
    Delta(Delta),
    /// Model loading or prompt processing progress (native `/api/v1` streams only).
    Progress(Progress),
    /// The stream ended normally; always the last item.
    Done(Box<StreamSummary>),
}

/// A piece of the answer. Empty strings mean "nothing of that kind in this chunk".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Delta {
    /// Answer text.
    pub content: String,
    /// Reasoning text of thinking models.
    pub reasoning: String,
    /// Tool call fragments (arguments arrive piece by piece).
    pub tool_calls: Vec<ToolCallDelta>,
}

impl Delta {
    /// True when the chunk carried nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.reasoning.is_empty() && self.tool_calls.is_empty()
    }
}

/// A fragment of a streamed tool call; concatenate `arguments` by `index`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCallDelta {
    /// Which call of the message this fragment belongs to.
    #[serde(default)]
    pub index: u32,
    /// Call id (first fragment only).
    #[serde(default)]
    pub id: Option<String>,
    /// Function name (first fragment only).
    #[serde(default)]
    pub name: Option<String>,
    /// A piece of the JSON arguments string.
    #[serde(default)]
    pub arguments: String,
}

/// What is in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProgressStage {
    /// The model is being loaded (just in time).
    ModelLoad,
    /// The prompt is being processed.
    PromptProcessing,
}

/// Progress of a stage, from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Progress {
    /// The stage.
    pub stage: ProgressStage,
    /// Fraction done, 0 to 1.
    pub fraction: f64,
}

/// The end of a stream: who answered, why it ended, usage and statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StreamSummary {
    /// The model that really answered.
    pub model: String,
    /// The model asked for, when it differs from `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
    /// Why generation ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// Token counts, when the server sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Statistics: measured by the client for v0 and `/v1`, from the server for native v1 and
    /// Ollama.
    pub stats: Stats,
    /// How many chunks carried content, reasoning or tool calls.
    pub content_chunks: u64,
    /// Native v1: id to continue the conversation with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}

impl StreamSummary {
    /// True when the stream carried no content at all although a prompt was processed: how
    /// LM Studio reports a context overflow on GGUF streams (an empty 200 stream).
    #[must_use]
    pub fn suspected_context_overflow(&self) -> bool {
        self.content_chunks == 0 && self.finish_reason != Some(FinishReason::ToolCalls)
    }
}
