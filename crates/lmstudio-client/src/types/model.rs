//! Model list entries of `/api/v0/models` and `/v1/models`.

use serde::{Deserialize, Serialize};

use super::stats::string_enum_serde;

/// What kind of model an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelType {
    /// Text generation.
    Llm,
    /// Vision-language generation.
    Vlm,
    /// Embeddings (`embeddings` in v0, `embedding` in native v1).
    Embeddings,
    /// A value this version does not know, kept verbatim.
    Other(String),
}

impl ModelType {
    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Llm => "llm",
            Self::Vlm => "vlm",
            Self::Embeddings => "embeddings",
            Self::Other(other) => other,
        }
    }

    /// Parses a wire value.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "llm" => Self::Llm,
            "vlm" => Self::Vlm,
            "embeddings" | "embedding" => Self::Embeddings,
            other => Self::Other(other.to_owned()),
        }
    }

    /// True for models that generate text (`llm`, `vlm`).
    #[must_use]
    pub fn generates_text(&self) -> bool {
        matches!(self, Self::Llm | Self::Vlm)
    }
}

/// Whether a model is in memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelState {
    /// Loaded and ready.
    Loaded,
    /// Downloaded only (a request may load it just in time).
    NotLoaded,
    /// A value this version does not know (e.g. a loading state), kept verbatim.
    Other(String),
}

impl ModelState {
    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Loaded => "loaded",
            Self::NotLoaded => "not-loaded",
            Self::Other(other) => other,
        }
    }

    /// Parses a wire value.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "loaded" => Self::Loaded,
            "not-loaded" => Self::NotLoaded,
            other => Self::Other(other.to_owned()),
        }
    }
}

string_enum_serde!(ModelType);
string_enum_serde!(ModelState);

/// A model of `/api/v0/models`: id, type, load state, architecture, quantization, context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Model {
    /// The id to send as `model`.
    pub id: String,
    /// Model type.
    #[serde(rename = "type", default = "unknown_type")]
    pub kind: ModelType,
    /// Publisher, e.g. `lmstudio-community`.
    #[serde(default)]
    pub publisher: String,
    /// Architecture, e.g. `qwen2`.
    #[serde(default)]
    pub arch: String,
    /// `gguf` or `mlx`.
    #[serde(default)]
    pub compatibility_type: String,
    /// Quantization, e.g. `Q4_K_M`.
    #[serde(default)]
    pub quantization: String,
    /// Load state.
    #[serde(default = "unknown_state")]
    pub state: ModelState,
    /// The model's trained maximum context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_context_length: Option<u64>,
    /// The context the loaded instance uses (loaded models only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_context_length: Option<u64>,
    /// Capabilities such as `tool_use` (LM Studio 0.3.16+).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
}

fn unknown_type() -> ModelType {
    ModelType::Other(String::new())
}

fn unknown_state() -> ModelState {
    ModelState::Other(String::new())
}

impl Model {
    /// A model known only by its id (what `/v1/models` gives).
    #[must_use]
    pub fn from_id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: unknown_type(),
            publisher: String::new(),
            arch: String::new(),
            compatibility_type: String::new(),
            quantization: String::new(),
            state: unknown_state(),
            max_context_length: None,
            loaded_context_length: None,
            capabilities: Vec::new(),
        }
    }

    /// True when loaded.
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        self.state == ModelState::Loaded
    }
}

/// A model of `/v1/models` (OpenAI shape: no type, state or context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenAiModel {
    /// The id to send as `model`.
    pub id: String,
    /// Owner, e.g. `organization_owner`.
    #[serde(default)]
    pub owned_by: String,
}

/// Keeps one entry per id, preferring a loaded one (some servers list an id twice).
pub(crate) fn dedupe_models(models: Vec<Model>) -> Vec<Model> {
    let mut out: Vec<Model> = Vec::with_capacity(models.len());
    for model in models {
        match out.iter_mut().find(|m| m.id == model.id) {
            Some(existing) if !existing.is_loaded() && model.is_loaded() => *existing = model,
            Some(_) => {}
            None => out.push(model),
        }
    }
    out
}

/// Strips LM Studio's instance (`:2`) and quantization (`@q4_k_m`) suffixes, and Ollama's
/// default tag (`:latest`), to compare ids.
pub(crate) fn normalize_model_id(id: &str) -> &str {
    let id = id.split_once('@').map_or(id, |(base, _)| base);
    let id = id.strip_suffix(":latest").unwrap_or(id);
    match id.rsplit_once(':') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => id,
    }
}

/// Is `answered` a different model than `requested`?
pub(crate) fn differs(requested: &str, answered: &str) -> bool {
    !answered.is_empty() && normalize_model_id(requested) != normalize_model_id(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_type_and_state_do_not_fail() {
        let m: Model =
            serde_json::from_str(r#"{"id":"x","type":"audio","state":"loading"}"#).unwrap();
        assert_eq!(m.kind, ModelType::Other("audio".into()));
        assert_eq!(m.state, ModelState::Other("loading".into()));
        let m: Model = serde_json::from_str(r#"{"id":"x"}"#).unwrap();
        assert!(!m.is_loaded());
    }

    #[test]
    fn duplicates_keep_the_loaded_entry() {
        let a: Model = serde_json::from_str(r#"{"id":"x","state":"not-loaded"}"#).unwrap();
        let b: Model = serde_json::from_str(r#"{"id":"x","state":"loaded"}"#).unwrap();
        let out = dedupe_models(vec![a, b]);
        assert_eq!(out.len(), 1);
        assert!(out[0].is_loaded());
    }

    #[test]
    fn ids_compare_without_instance_and_quant_suffixes() {
        assert_eq!(
            normalize_model_id("gemma-3-1b-it-qat:2"),
            "gemma-3-1b-it-qat"
        );
        assert_eq!(normalize_model_id("nomic@q4_k_m"), "nomic");
        assert_eq!(normalize_model_id("qwen/qwen3:4b"), "qwen/qwen3:4b");
        assert!(!differs("llama3.2", "llama3.2:latest"));
        assert!(!differs("gemma-3-1b-it-qat", "gemma-3-1b-it-qat:2"));
        assert!(differs("qwen2.5-7b-instruct", "gemma-3-1b-it-qat:2"));
        assert!(!differs("x", ""));
    }
}
