//! Native REST v1 (`/api/v1`, LM Studio 0.4+): chat with server stats in every mode, model
//! management.

use serde::{Deserialize, Serialize};

use crate::{
    ChatStream, Client, LoadRequest, LoadResponse, NativeChatRequest, NativeChatResponse,
    NativeModel, Result, UnloadResponse, chat_stream::WireFormat, openai_style,
};

const PREFIX: &str = "/api/v1";

/// The `/api/v1` calls of a [`Client`]; get it with [`Client::native`].
#[derive(Debug, Clone, Copy)]
pub struct Native<'a> {
    client: &'a Client,
}

#[derive(Serialize)]
struct Wire<'a> {
    model: &'a str,
    #[serde(flatten)]
    body: &'a NativeChatRequest,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    models: Vec<NativeModel>,
}

#[derive(Serialize)]
struct Unload<'a> {
    instance_id: &'a str,
}

impl Client {
    /// LM Studio's native REST v1 API (0.4+).
    #[must_use]
    pub fn native(&self) -> Native<'_> {
        Native { client: self }
    }
}

impl Native<'_> {
    /// A chat answer with server statistics (tokens/s, time to first token, load time).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) (e.g. no model),
    /// [`Error::ModelNotFound`](crate::Error::ModelNotFound), transport and decode errors;
    /// [`Error::UnknownEndpoint`](crate::Error::UnknownEndpoint) on LM Studio before 0.4.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes the connection.
    pub async fn chat(&self, req: &NativeChatRequest) -> Result<NativeChatResponse> {
        let model = self.client.resolve_model(Some(&req.model), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: false,
        };
        let (answer, _) = self
            .client
            .post_json(&format!("{PREFIX}/chat"), &wire, Some(&model))
            .await?;
        Ok(answer)
    }

    /// A streamed chat: deltas, load and prompt progress, then a summary with the server's
    /// statistics.
    ///
    /// # Errors
    /// As [`chat`](Self::chat), for errors the server reports before streaming.
    ///
    /// # Cancel safety
    /// Cancel-safe; dropping the returned stream closes the connection.
    pub async fn chat_stream(&self, req: &NativeChatRequest) -> Result<ChatStream> {
        let model = self.client.resolve_model(Some(&req.model), false).await?;
        let wire = Wire {
            model: &model,
            body: req,
            stream: true,
        };
        openai_style::stream(
            self.client,
            &format!("{PREFIX}/chat"),
            &wire,
            &model,
            WireFormat::Native,
        )
        .await
    }

    /// Models with their loaded instances and capabilities.
    ///
    /// # Errors
    /// Transport errors, [`Error::UnknownEndpoint`](crate::Error::UnknownEndpoint) before 0.4.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn models(&self) -> Result<Vec<NativeModel>> {
        let list: ModelList = self
            .client
            .get_json(&format!("{PREFIX}/models"), self.client.inner.timeout)
            .await?;
        Ok(list.models)
    }

    /// Loads a model; the answer comes once it is loaded (this can take minutes: the
    /// client's request timeout applies).
    ///
    /// # Errors
    /// [`Error::ModelNotFound`](crate::Error::ModelNotFound), transport errors.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the request; LM Studio may still finish loading.
    pub async fn load(&self, req: &LoadRequest) -> Result<LoadResponse> {
        let (answer, _) = self
            .client
            .post_json(&format!("{PREFIX}/models/load"), req, Some(&req.model))
            .await?;
        Ok(answer)
    }

    /// Unloads an instance.
    ///
    /// # Errors
    /// Transport errors and the server's refusal.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the request; LM Studio may still unload.
    pub async fn unload(&self, instance_id: &str) -> Result<UnloadResponse> {
        let body = Unload { instance_id };
        let (answer, _) = self
            .client
            .post_json(&format!("{PREFIX}/models/unload"), &body, None)
            .await?;
        Ok(answer)
    }
}
