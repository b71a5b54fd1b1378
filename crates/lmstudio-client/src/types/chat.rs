//! Chat completion requests and answers (`/api/v0/chat/completions`, `/v1/chat/completions`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    params::{GenerationParams, generation_setters},
    stats::{FinishReason, ModelInfo, Runtime, Stats, Usage},
};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool's result.
    Tool,
    /// A role this version does not know.
    #[serde(other)]
    Unknown,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Text (absent on an assistant message that only calls tools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Reasoning text of thinking models (`reasoning` or `reasoning_content` on the wire;
    /// `thinking` from Ollama).
    #[serde(
        default,
        alias = "reasoning_content",
        alias = "thinking",
        skip_serializing_if = "Option::is_none"
    )]
    pub reasoning: Option<String>,
    /// Tool calls made by the assistant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a [`Role::Tool`] message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message with text content.
    #[must_use]
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(content.into()),
            reasoning: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A system message.
    #[must_use]
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A user message.
    #[must_use]
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// An assistant message.
    #[must_use]
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// A tool result answering call `tool_call_id`.
    #[must_use]
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::new(Role::Tool, content)
        }
    }

    /// The text, or `""`.
    #[must_use]
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or_default()
    }
}

/// A tool call in an assistant message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// Call id, to answer with [`Message::tool`].
    #[serde(default)]
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// Function name and arguments.
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function of a [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments as a JSON **string**, as the OpenAI wire carries them (Ollama sends an
    /// object: it is kept as its JSON text).
    #[serde(default, deserialize_with = "arguments_text")]
    pub arguments: String,
}

/// Tool-call arguments: a JSON string as is, any other JSON value (Ollama's object) as text.
fn arguments_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// A chat request for `/api/v0` or `/v1`.
///
/// ```
/// use lmstudio_client::ChatRequest;
/// let req = ChatRequest::new()
///     .model("qwen2.5-7b-instruct")
///     .system("Answer briefly.")
///     .user("Name a prime above 90.")
///     .temperature(0.2)
///     .max_tokens(64);
/// assert_eq!(req.messages.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct ChatRequest {
    /// Model id; `None`, `""` or `"default"` use the client's default or the loaded model.
    #[serde(skip)]
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Tool definitions (OpenAI `tools` format), passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// `"auto"`, `"none"`, `"required"` or a specific tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// Sampling and other parameters.
    #[serde(flatten)]
    pub params: GenerationParams,
}

impl ChatRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request with one user message.
    pub fn prompt(text: impl Into<String>) -> Self {
        Self::new().user(text)
    }

    /// Sets the model id.
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

    /// Appends a user message.
    pub fn user(self, text: impl Into<String>) -> Self {
        self.message(Message::user(text))
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends several messages.
    pub fn messages(mut self, messages: impl IntoIterator<Item = Message>) -> Self {
        self.messages.extend(messages);
        self
    }

    /// Sets the tool definitions.
    pub fn tools(mut self, tools: Vec<Value>) -> Self {
        self.tools = Some(tools);
        self
    }

    generation_setters!();
}

/// A chat answer. `/api/v0` fills `stats`, `model_info` and `runtime` from the server; for `/v1`
/// the client puts measured stats in `stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatResponse {
    /// Completion id.
    #[serde(default)]
    pub id: String,
    /// Unix time of creation.
    #[serde(default)]
    pub created: u64,
    /// The model that really answered.
    #[serde(default)]
    pub model: String,
    /// The choices (LM Studio always sends one).
    #[serde(default)]
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Generation statistics (server-reported or measured; see [`Stats::source`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
    /// The instance that answered (`/api/v0` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_info: Option<ModelInfo>,
    /// The runtime that answered (`/api/v0` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// `/v1` only: equal to the model id on LM Studio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// The model id that was asked for, when it differs from [`model`](Self::model)
    /// (LM Studio answers with the loaded model whatever was asked when only one is loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_model: Option<String>,
}

impl ChatResponse {
    /// The first choice's text, or `""`.
    #[must_use]
    pub fn content(&self) -> &str {
        self.choices.first().map_or("", |c| c.message.text())
    }

    /// The first choice's message.
    #[must_use]
    pub fn message(&self) -> Option<&Message> {
        self.choices.first().map(|c| &c.message)
    }

    /// The first choice's finish reason.
    #[must_use]
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.choices.first().and_then(|c| c.finish_reason.as_ref())
    }
}

/// One choice of a [`ChatResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatChoice {
    /// Index among the choices.
    #[serde(default)]
    pub index: u32,
    /// The assistant's message.
    pub message: Message,
    /// Why it ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_serializes_only_what_is_set() {
        let req = ChatRequest::prompt("hi")
            .system("be brief")
            .temperature(0.5)
            .stop("\n")
            .extra("draft_model", "x".into());
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
                "temperature": 0.5, "stop": ["\n"], "draft_model": "x"
            })
        );
    }

    #[test]
    fn system_replaces_a_leading_system_message() {
        let req = ChatRequest::new().system("a").user("u").system("b");
        assert_eq!(req.messages.len(), 2);
        assert_eq!(req.messages[0].text(), "b");
    }

    #[test]
    fn ollama_messages_decode_thinking_and_object_arguments() {
        let m: Message = serde_json::from_str(
            r#"{"role":"assistant","content":"","thinking":"hmm","tool_calls":[{"function":{"name":"f","arguments":{"city":"Paris"}}}]}"#,
        )
        .unwrap();
        assert_eq!(m.reasoning.as_deref(), Some("hmm"));
        assert_eq!(m.tool_calls[0].function.arguments, r#"{"city":"Paris"}"#);
        assert_eq!(m.tool_calls[0].kind, "function");
    }

    #[test]
    fn unknown_role_and_reasoning_content_decode() {
        let m: Message =
            serde_json::from_str(r#"{"role":"developer","content":"x","reasoning_content":"r"}"#)
                .unwrap();
        assert_eq!(m.role, Role::Unknown);
        assert_eq!(m.reasoning.as_deref(), Some("r"));
    }
}
