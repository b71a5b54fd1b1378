//! Native REST v0 (`/api/v0`): model state and the richest non-streaming statistics.

use serde::Deserialize;

use crate::{
    ChatRequest, ChatResponse, ChatStream, Client, CompletionRequest, CompletionResponse,
    EmbeddingRequest, EmbeddingResponse, Model, Result, openai_style, types::model::dedupe_models,
};

const PREFIX: &str = "/api/v0";

/// The `/api/v0` calls of a [`Client`]; get it with [`Client::v0`].
///
/// Non-streaming answers carry LM Studio's own `stats` (tokens/s, time to first token,
/// generation time, stop reason), `model_info` and `runtime`. Streams carry none of these, so
/// the client measures them.
#[derive(Debug, Clone, Copy)]
pub struct V0<'a> {
    client: &'a Client,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<Model>,
}

impl Client {
    /// LM Studio's native REST v0 API.
    #[must_use]
    pub fn v0(&self) -> V0<'_> {
        V0 { client: self }
    }
}

impl V0<'_> {
    /// All downloaded models with their load state (one entry per id, loaded preferred).
    ///
    /// # Errors
    /// Transport errors, [`Error::Unauthorized`](crate::Error::Unauthorized),
    /// [`Error::UnknownEndpoint`](crate::Error::UnknownEndpoint) on servers without v0.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future abandons the request.
    pub async fn models(&self) -> Result<Vec<Model>> {
        let list: ModelList = self
            .client
            .get_json(&format!("{PREFIX}/models"), self.client.inner.timeout)
            .await?;
        Ok(dedupe_models(list.data))
    }

    /// One model entry.
    ///
    /// # Errors
    /// [`Error::ModelNotFound`](crate::Error::ModelNotFound) for an unknown id; transport errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn model(&self, id: &str) -> Result<Model> {
        let path = format!("{PREFIX}/models/{}", encode_path_segment(id));
        self.client
            .get_json(&path, self.client.inner.timeout)
            .await
            .map_err(|e| match e {
                crate::Error::ModelNotFound {
                    available, body, ..
                } => crate::Error::ModelNotFound {
                    model: id.to_owned(),
                    available,
                    body,
                },
                other => other,
            })
    }

    /// A chat completion with server statistics.
    ///
    /// # Errors
    /// [`Error::ModelNotFound`](crate::Error::ModelNotFound),
    /// [`Error::NoModelLoaded`](crate::Error::NoModelLoaded),
    /// [`Error::ContextOverflow`](crate::Error::ContextOverflow), transport and decode errors.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes the connection.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse> {
        openai_style::chat(self.client, PREFIX, req).await
    }

    /// A streamed chat completion; the final event carries measured statistics.
    ///
    /// # Errors
    /// As [`chat`](Self::chat), for errors the server reports before streaming.
    ///
    /// # Cancel safety
    /// Cancel-safe; dropping the returned stream closes the connection.
    pub async fn chat_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        openai_style::chat_stream(self.client, PREFIX, req).await
    }

    /// A raw text completion with server statistics.
    ///
    /// # Errors
    /// As [`chat`](Self::chat).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn complete(&self, req: &CompletionRequest) -> Result<CompletionResponse> {
        openai_style::complete(self.client, PREFIX, req).await
    }

    /// A streamed text completion.
    ///
    /// # Errors
    /// As [`chat`](Self::chat).
    ///
    /// # Cancel safety
    /// Cancel-safe; dropping the returned stream closes the connection.
    pub async fn complete_stream(&self, req: &CompletionRequest) -> Result<ChatStream> {
        openai_style::complete_stream(self.client, PREFIX, req).await
    }

    /// Embeddings.
    ///
    /// # Errors
    /// As [`chat`](Self::chat).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn embed(&self, req: &EmbeddingRequest) -> Result<EmbeddingResponse> {
        openai_style::embed(self.client, PREFIX, req).await
    }
}

/// Percent-encodes what a model id may contain that a path segment must not (`/` is kept:
/// LM Studio ids such as `qwen/qwen3-4b` are served under nested paths).
fn encode_path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/@:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn model_ids_are_encoded_for_paths() {
        assert_eq!(
            super::encode_path_segment("qwen/qwen3-4b@q4_k_m"),
            "qwen/qwen3-4b@q4_k_m"
        );
        assert_eq!(super::encode_path_segment("a b?#"), "a%20b%3F%23");
    }
}
