//! [`Services::lm_query`] and [`Services::lm_query_stream`]: send an [`LmQuery`] to the backend
//! it names (or the default one), over the API family that fits (LM Studio `v0`, `v1` or
//! `native`; an OpenAI-compatible server's `/v1`; Ollama's `/api/chat`), and turn every answer
//! into the one [`LmAnswer`] shape.

use std::sync::Arc;

use futures_util::{
    FutureExt, Stream, StreamExt,
    future::{BoxFuture, Shared, join},
};
use lmstudio_client::{
    ChatEvent, ChatStream, FinishReason, ModelInfo, OllamaChatRequest, Runtime, StreamSummary,
};

use crate::{ApiVersion, Backend, LmAnswer, LmQuery, LmStreamEvent, ServiceError, Services};

/// Ollama's model details and runtime, fetched while an answer streams.
type Details = Shared<BoxFuture<'static, (Option<ModelInfo>, Option<Runtime>)>>;

impl Services {
    /// Answers a query (not streamed), from the backend it names or the default one.
    ///
    /// # Errors
    /// [`ServiceError`]: `400 unknown_backend`, `400 invalid_request` for an `api_version` the
    /// backend does not speak, or the backend's failure with a hint naming its settings.
    pub async fn lm_query(&self, query: &LmQuery) -> Result<LmAnswer, ServiceError> {
        let backend = self.backends.get(query.backend.as_deref())?;
        let api_version = backend.api_version_for(query.api_version)?;
        ask(backend, query, api_version)
            .await
            .map_err(|e| backend.error(e))
    }

    /// Streams a query: deltas as they arrive, then [`LmStreamEvent::Done`] (or `Error`).
    ///
    /// # Errors
    /// As [`lm_query`](Self::lm_query), for failures before the first byte (unknown model,
    /// server down…).
    pub async fn lm_query_stream(
        &self,
        query: &LmQuery,
    ) -> Result<impl Stream<Item = LmStreamEvent> + Send + 'static, ServiceError> {
        let backend = self.backends.get(query.backend.as_deref())?;
        let api_version = backend.api_version_for(query.api_version)?;
        let (stream, details) = open_stream(backend, query, api_version)
            .await
            .map_err(|e| backend.error(e))?;
        let backend = Arc::new(backend.clone());
        let events = stream.then(move |item| {
            let backend = Arc::clone(&backend);
            let details = details.clone();
            async move {
                match item {
                    Ok(ChatEvent::Done(summary)) => {
                        let mut answer = answer_from_summary(*summary, api_version, &backend.name);
                        if let Some(details) = details {
                            (answer.model_info, answer.runtime) = details.await;
                        }
                        LmStreamEvent::Done(Box::new(answer))
                    }
                    Ok(ChatEvent::Delta(delta)) => LmStreamEvent::Delta {
                        content: delta.content,
                        reasoning: delta.reasoning,
                    },
                    Ok(ChatEvent::Progress(progress)) => LmStreamEvent::Progress {
                        stage: serde_json::to_value(progress.stage)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        progress: progress.fraction,
                    },
                    Ok(_) => LmStreamEvent::Progress {
                        stage: "unknown".into(),
                        progress: 0.0,
                    },
                    Err(error) => LmStreamEvent::Error {
                        error: backend.error(error),
                    },
                }
            }
        });
        Ok(events)
    }
}

/// One non-streamed answer from `backend` over `api_version`.
async fn ask(
    backend: &Backend,
    query: &LmQuery,
    api_version: ApiVersion,
) -> Result<LmAnswer, lmstudio_client::Error> {
    let lm = &backend.client;
    let answer = match api_version {
        ApiVersion::Ollama => return ask_ollama(backend, query).await,
        ApiVersion::Native => {
            let response = lm.native().chat(&query.native_request()).await?;
            let reasoning = response.reasoning();
            LmAnswer {
                success: true,
                content: response.content(),
                reasoning: (!reasoning.is_empty()).then_some(reasoning),
                usage: response.stats.usage(),
                stats: response.stats.to_stats(),
                finish_reason: Some(FinishReason::Stop.as_str().to_owned()),
                model_info: None,
                runtime: None,
                model: response.model_instance_id.clone(),
                requested_model: None,
                api_version,
                backend: backend.name.clone(),
            }
        }
        ApiVersion::V0 | ApiVersion::V1 => {
            let request = query.chat_request();
            let response = if api_version == ApiVersion::V0 {
                lm.v0().chat(&request).await?
            } else {
                lm.openai().chat(&request).await?
            };
            let message = response.message();
            LmAnswer {
                success: true,
                content: response.content().to_owned(),
                reasoning: message.and_then(|m| m.reasoning.clone()),
                usage: response.usage.unwrap_or_default(),
                stats: response.stats.clone().unwrap_or_default(),
                finish_reason: response.finish_reason().map(|r| r.as_str().to_owned()),
                model_info: response.model_info.clone(),
                runtime: response.runtime.clone(),
                model: response.model.clone(),
                requested_model: response.requested_model.clone(),
                api_version,
                backend: backend.name.clone(),
            }
        }
    };
    Ok(answer)
}

/// The query as an Ollama chat request for a resolved model.
async fn ollama_request(
    backend: &Backend,
    query: &LmQuery,
) -> Result<(OllamaChatRequest, String), lmstudio_client::Error> {
    let request: OllamaChatRequest = query.chat_request().into();
    let model = backend
        .client
        .ollama()
        .resolve_model(request.model.as_deref(), false)
        .await?;
    Ok((request.model(model.clone()), model))
}

/// An Ollama answer, with `model_info` (from `/api/show` and `/api/ps`) and `runtime` (from
/// `/api/version`) asked for alongside; those two are best effort.
async fn ask_ollama(
    backend: &Backend,
    query: &LmQuery,
) -> Result<LmAnswer, lmstudio_client::Error> {
    let (request, model) = ollama_request(backend, query).await?;
    let ollama = backend.client.ollama();
    let (response, info, runtime) = tokio::join!(
        ollama.chat(&request),
        ollama.model_info(&model),
        ollama.runtime()
    );
    let response = response?;
    Ok(LmAnswer {
        success: true,
        content: response.content().to_owned(),
        reasoning: response.message.reasoning.clone(),
        usage: response.usage(),
        stats: response.stats(),
        model_info: info.ok(),
        runtime: runtime.ok(),
        finish_reason: response.finish_reason().map(|r| r.as_str().to_owned()),
        model: response.model.clone(),
        requested_model: response.requested_model.clone(),
        api_version: ApiVersion::Ollama,
        backend: backend.name.clone(),
    })
}

/// Opens the stream; for Ollama also starts fetching the model details for the final event.
async fn open_stream(
    backend: &Backend,
    query: &LmQuery,
    api_version: ApiVersion,
) -> Result<(ChatStream, Option<Details>), lmstudio_client::Error> {
    let lm = &backend.client;
    Ok(match api_version {
        ApiVersion::V0 => (lm.v0().chat_stream(&query.chat_request()).await?, None),
        ApiVersion::V1 => (lm.openai().chat_stream(&query.chat_request()).await?, None),
        ApiVersion::Native => (
            lm.native().chat_stream(&query.native_request()).await?,
            None,
        ),
        ApiVersion::Ollama => {
            let (request, model) = ollama_request(backend, query).await?;
            let stream = lm.ollama().chat_stream(&request).await?;
            let client = lm.clone();
            let details: Details = async move {
                let ollama = client.ollama();
                let (info, runtime) = join(ollama.model_info(&model), ollama.runtime()).await;
                (info.ok(), runtime.ok())
            }
            .boxed()
            .shared();
            // Fetched while the answer streams, so the final event does not wait for it.
            tokio::spawn(details.clone());
            (stream, Some(details))
        }
    })
}

fn answer_from_summary(summary: StreamSummary, api_version: ApiVersion, backend: &str) -> LmAnswer {
    LmAnswer {
        success: true,
        content: String::new(),
        reasoning: None,
        usage: summary.usage.unwrap_or_default(),
        stats: summary.stats,
        model_info: None,
        runtime: None,
        finish_reason: summary.finish_reason.map(|r| r.as_str().to_owned()),
        model: summary.model,
        requested_model: summary.requested_model,
        api_version,
        backend: backend.to_owned(),
    }
}
