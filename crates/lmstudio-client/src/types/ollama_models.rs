//! Ollama's model lists (`/api/tags`, `/api/ps`), model details (`/api/show`) and embeddings
//! (`/api/embed`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    model::{Model, ModelState, ModelType},
    stats::ModelInfo,
};

/// A model of `/api/tags` (downloaded) or `/api/ps` (loaded: with `expires_at`, `size_vram`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaModel {
    /// `name:tag`, the name to send as `model`.
    #[serde(default)]
    pub name: String,
    /// Usually equal to `name`.
    #[serde(default)]
    pub model: String,
    /// Last change (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// Size on disk (or in memory, for `/api/ps`), bytes.
    #[serde(default)]
    pub size: u64,
    /// Content digest.
    #[serde(default)]
    pub digest: String,
    /// Format, family, parameter size, quantization.
    #[serde(default)]
    pub details: OllamaModelDetails,
    /// `/api/ps`: when the model will be unloaded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `/api/ps`: bytes held in GPU memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_vram: Option<u64>,
    /// `/api/ps` (newer servers): the context length the model is loaded with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
}

/// `details` of an Ollama model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaModelDetails {
    /// The model this one was derived from.
    #[serde(default)]
    pub parent_model: String,
    /// `gguf` (or `safetensors`).
    #[serde(default)]
    pub format: String,
    /// Architecture family, e.g. `llama`, `qwen2`, `nomic-bert`.
    #[serde(default)]
    pub family: String,
    /// All families (multimodal models list several).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub families: Vec<String>,
    /// e.g. `3.2B`.
    #[serde(default)]
    pub parameter_size: String,
    /// e.g. `Q4_K_M`.
    #[serde(default)]
    pub quantization_level: String,
}

/// Ollama sends `"families": null` for some models.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

impl OllamaModel {
    /// True for embedding models. `/api/tags` does not say, so this looks at the family (BERT
    /// models embed) and the name (`…embed…`); `/api/show`'s `capabilities` is authoritative.
    #[must_use]
    pub fn is_embedding(&self) -> bool {
        let bert = |family: &str| family.contains("bert");
        bert(&self.details.family)
            || self.details.families.iter().any(|f| bert(f))
            || self.name.contains("embed")
    }

    /// The entry in the model-list shape of LM Studio's `/api/v0/models`, so that every
    /// backend's models can be listed alike: `id` = `name`, `arch` = family, `quantization` =
    /// quantization level, `compatibility_type` = format, `state` from `loaded`, and the loaded
    /// context length when `/api/ps` gave one.
    #[must_use]
    pub fn to_model(&self, loaded: bool) -> Model {
        let mut model = Model::from_id(self.name.clone());
        model.kind = if self.is_embedding() {
            ModelType::Embeddings
        } else {
            ModelType::Llm
        };
        model.publisher = "ollama".to_owned();
        model.arch.clone_from(&self.details.family);
        model.compatibility_type.clone_from(&self.details.format);
        model
            .quantization
            .clone_from(&self.details.quantization_level);
        model.state = if loaded {
            ModelState::Loaded
        } else {
            ModelState::NotLoaded
        };
        model.loaded_context_length = self.context_length.filter(|_| loaded);
        model
    }
}

/// What `/api/show` tells about a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaShow {
    /// Format, family, parameter size, quantization.
    #[serde(default)]
    pub details: OllamaModelDetails,
    /// GGUF metadata: `general.architecture`, `<arch>.context_length`, …
    #[serde(default)]
    pub model_info: Map<String, Value>,
    /// `completion`, `tools`, `insert`, `vision`, `embedding`, `thinking`…
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Default parameters, one `name value` per line.
    #[serde(default)]
    pub parameters: String,
    /// The prompt template.
    #[serde(default)]
    pub template: String,
    /// The Modelfile.
    #[serde(default)]
    pub modelfile: String,
    /// Last change (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
}

impl OllamaShow {
    /// `general.architecture`, else the family.
    #[must_use]
    pub fn architecture(&self) -> Option<&str> {
        self.model_info
            .get("general.architecture")
            .and_then(Value::as_str)
            .or_else(|| Some(self.details.family.as_str()).filter(|f| !f.is_empty()))
    }

    /// The trained context length (`<arch>.context_length`).
    #[must_use]
    pub fn context_length(&self) -> Option<u64> {
        let arch = self.architecture()?;
        self.model_info
            .get(&format!("{arch}.context_length"))
            .and_then(Value::as_u64)
    }

    /// True when the model embeds rather than generates.
    #[must_use]
    pub fn is_embedding(&self) -> bool {
        self.capabilities.iter().any(|c| c == "embedding")
    }

    /// The same facts in the `model_info` shape of LM Studio's `/api/v0` answers.
    /// `context_length` is the trained one; [`Ollama::model_info`](crate::Ollama::model_info)
    /// replaces it with the loaded one when the model is loaded.
    #[must_use]
    pub fn to_model_info(&self) -> ModelInfo {
        ModelInfo {
            arch: self.architecture().unwrap_or_default().to_owned(),
            quant: self.details.quantization_level.clone(),
            format: self.details.format.clone(),
            context_length: self.context_length(),
        }
    }
}

/// An `/api/embed` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OllamaEmbedResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// One vector per input, in order.
    #[serde(default)]
    pub embeddings: Vec<Vec<f32>>,
    /// Whole request, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration: Option<u64>,
    /// Loading the model, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_duration: Option<u64>,
    /// Input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tags_entries_map_to_the_common_model_shape() {
        let entry: OllamaModel = serde_json::from_value(json!({
            "name": "nomic-embed-text:latest", "model": "nomic-embed-text:latest", "size": 1,
            "digest": "d", "details": {"format": "gguf", "family": "nomic-bert", "families": null,
            "parameter_size": "137M", "quantization_level": "F16"}
        }))
        .unwrap();
        assert!(entry.is_embedding());
        let model = entry.to_model(false);
        assert_eq!(model.kind, ModelType::Embeddings);
        assert_eq!(model.state, ModelState::NotLoaded);
        assert_eq!(model.quantization, "F16");
        let llm: OllamaModel = serde_json::from_value(
            json!({"name": "llama3.2:latest", "details": {"family": "llama"}, "context_length": 4096}),
        )
        .unwrap();
        let model = llm.to_model(true);
        assert!(model.is_loaded() && model.kind.generates_text());
        assert_eq!(model.loaded_context_length, Some(4096));
    }

    #[test]
    fn show_gives_architecture_and_context_length() {
        let show: OllamaShow = serde_json::from_value(json!({
            "details": {"format": "gguf", "family": "llama", "quantization_level": "Q4_K_M"},
            "model_info": {"general.architecture": "llama", "llama.context_length": 131_072},
            "capabilities": ["completion", "tools"]
        }))
        .unwrap();
        let info = show.to_model_info();
        assert_eq!(
            (
                info.arch.as_str(),
                info.quant.as_str(),
                info.format.as_str()
            ),
            ("llama", "Q4_K_M", "gguf")
        );
        assert_eq!(info.context_length, Some(131_072));
        assert!(!show.is_embedding());
        assert_eq!(OllamaShow::default().architecture(), None);
    }
}
