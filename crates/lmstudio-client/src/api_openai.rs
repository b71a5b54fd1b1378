//! OpenAI-compatible `/v1`: LM Studio, llama.cpp server, vLLM, Ollama's `/v1`…

use serde::Deserialize;

use crate::{
    ChatRequest, ChatResponse, ChatStream, Client, CompletionRequest, CompletionResponse,
    EmbeddingRequest, EmbeddingResponse, OpenAiModel, Result, openai_style,
};

const PREFIX: &str = "/v1";

/// The `/v1` calls of a [`Client`]; get it with [`Client::openai`].
///
/// Answers carry `usage` but no timing statistics (LM Studio sends `"stats": {}`), so the
/// client measures them and marks them `source: measured`.
#[derive(Debug, Clone, Copy)]
pub struct OpenAi<'a> {
    client: &'a Client,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<OpenAiModel>,
}

impl Client {
    /// The OpenAI-compatible API.
    #[must_use]
    pub fn openai(&self) -> OpenAi<'_> {
        OpenAi { client: self }
    }
}

impl OpenAi<'_> {
    /// Model ids (with JIT on: all downloaded models; with JIT off: loaded ones).
    ///
    /// # Errors
    /// Transport errors, [`Error::Unauthorized`](crate::Error::Unauthorized).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn models(&self) -> Result<Vec<OpenAiModel>> {
        let list: ModelList = self
            .client
            .get_json(&format!("{PREFIX}/models"), self.client.inner.timeout)
            .await?;
        Ok(list.data)
    }

    /// A chat completion; `stats` are measured by the client.
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

    /// A raw text completion.
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
