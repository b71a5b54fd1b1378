//! Tools: definitions, annotations and call results.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::content::Content;

/// Hints about a tool's behaviour (untrusted by clients).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolAnnotations {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Does not modify its environment (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// May destroy data (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating a call has no further effect (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// Reaches beyond the local machine (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// A tool definition, as listed by `tools/list`.
///
/// ```
/// use mcp_protocol::Tool;
/// let tool = Tool::new("get_weather", "Current weather for a city")
///     .input_schema(serde_json::json!({
///         "type": "object",
///         "properties": {"city": {"type": "string"}},
///         "required": ["city"]
///     }))
///     .read_only();
/// assert_eq!(tool.name, "get_weather");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Tool {
    /// Unique name (1–64 characters of `A-Z a-z 0-9 _ . -`).
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments (root `"type": "object"`).
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, if the tool returns structured output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// Behaviour hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

impl Tool {
    /// A tool without arguments (`{"type":"object","additionalProperties":false}`).
    #[must_use]
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            input_schema: json!({"type": "object", "additionalProperties": false}),
            output_schema: None,
            annotations: None,
            meta: None,
        }
    }

    /// Sets the argument schema.
    #[must_use]
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.input_schema = schema;
        self
    }

    /// Sets the schema of the structured result.
    #[must_use]
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }

    /// Sets the display name.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets all annotations.
    #[must_use]
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = Some(annotations);
        self
    }

    /// Marks the tool read-only (and so not destructive).
    #[must_use]
    pub fn read_only(mut self) -> Self {
        let annotations = self
            .annotations
            .get_or_insert_with(ToolAnnotations::default);
        annotations.read_only_hint = Some(true);
        annotations.destructive_hint = Some(false);
        self
    }

    /// Marks the tool destructive.
    #[must_use]
    pub fn destructive(mut self) -> Self {
        let annotations = self
            .annotations
            .get_or_insert_with(ToolAnnotations::default);
        annotations.read_only_hint = Some(false);
        annotations.destructive_hint = Some(true);
        self
    }

    /// Marks the tool as reaching beyond the local machine (or not).
    #[must_use]
    pub fn open_world(mut self, open: bool) -> Self {
        self.annotations
            .get_or_insert_with(ToolAnnotations::default)
            .open_world_hint = Some(open);
        self
    }
}

/// What `tools/call` returns. A failure of the tool itself is a result with `is_error`, so
/// the model can read it and adjust; protocol misuse is a JSON-RPC error instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallToolResult {
    /// Content blocks.
    #[serde(default)]
    pub content: Vec<Content>,
    /// Structured output (matching the tool's output schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// True when the tool failed.
    #[serde(default)]
    pub is_error: bool,
}

impl CallToolResult {
    /// A result with these content blocks.
    #[must_use]
    pub fn new(content: Vec<Content>) -> Self {
        Self {
            content,
            structured_content: None,
            is_error: false,
        }
    }

    /// A result with one text block.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(vec![Content::text(text)])
    }

    /// A failed result with an explanation for the model.
    #[must_use]
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            is_error: true,
            ..Self::text(message)
        }
    }

    /// A structured result: `structuredContent` plus the same JSON as text, for clients that
    /// only read text.
    #[must_use]
    pub fn structured(value: Value) -> Self {
        Self {
            content: vec![Content::text(value.to_string())],
            structured_content: Some(value),
            is_error: false,
        }
    }
}
