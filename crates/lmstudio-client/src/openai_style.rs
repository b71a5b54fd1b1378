//! Chat, completion and embedding calls shared by `/api/v0` and `/v1`, which take the same
//! request shapes and differ only in what the answer carries.

use std::time::Duration;

use serde::Serialize;

use crate::{
    ChatRequest, ChatResponse, ChatStream, Client, CompletionRequest, CompletionResponse,
    EmbeddingRequest, EmbeddingResponse, Result, Stats, Usage, chat_stream::WireFormat,
    types::model::differs,
};

/// A request body with the resolved model and the stream switches added.
#[derive(Serialize)]
struct Wire<'a, T> {
    model: &'a str,
    #[serde(flatten)]
    body: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl<'a, T> Wire<'a, T> {
    fn once(model: &'a str, body: &'a T) -> Self {
        Self {
            model,
            body,
            stream: None,
            stream_options: None,
        }
    }

    fn streaming(model: &'a str, body: &'a T) -> Self {
        Self {
            model,
            body,
            stream: Some(true),
            stream_options: Some(StreamOptions {
                include_usage: true,
            }),
        }
    }
}

/// Fills in measured stats when the server sent none (`/v1` sends `"stats": {}`). Without a
/// stream there is no first-token time; the generation time is the whole exchange.
fn measure_if_missing(stats: &mut Option<Stats>, usage: Option<Usage>, elapsed: Duration) {
    if stats.as_ref().is_none_or(Stats::is_empty) {
        let tokens = usage.map(|u| u.completion_tokens);
        *stats = Some(Stats::measured(
            None,
            Some(elapsed.as_secs_f64()),
            tokens,
            false,
        ));
    }
}

fn mismatch(requested: &str, answered: &str) -> Option<String> {
    differs(requested, answered).then(|| {
        tracing::warn!(requested = %requested, model = %answered, "LM Studio answered with another model");
        requested.to_owned()
    })
}

/// A non-streaming answer that gets measured stats and the model check after it arrives.
trait Answer: serde::de::DeserializeOwned {
    /// The answer's stats, usage and model, and where to record the requested model.
    fn parts(&mut self) -> (&mut Option<Stats>, Option<Usage>, &str, &mut Option<String>);
}

impl Answer for ChatResponse {
    fn parts(&mut self) -> (&mut Option<Stats>, Option<Usage>, &str, &mut Option<String>) {
        (
            &mut self.stats,
            self.usage,
            &self.model,
            &mut self.requested_model,
        )
    }
}

impl Answer for CompletionResponse {
    fn parts(&mut self) -> (&mut Option<Stats>, Option<Usage>, &str, &mut Option<String>) {
        (
            &mut self.stats,
            self.usage,
            &self.model,
            &mut self.requested_model,
        )
    }
}

/// Sends a non-streaming request for `model` and completes the answer: measured stats when
/// the server sent none, `requested_model` when another model answered.
async fn answer<T: Answer>(
    client: &Client,
    path: &str,
    body: &impl Serialize,
    model: &str,
) -> Result<T> {
    let (mut answer, elapsed): (T, _) = client.post_json(path, body, Some(model)).await?;
    let (stats, usage, answered, requested) = answer.parts();
    measure_if_missing(stats, usage, elapsed);
    *requested = mismatch(model, answered);
    Ok(answer)
}

pub(crate) async fn chat(client: &Client, prefix: &str, req: &ChatRequest) -> Result<ChatResponse> {
    let model = client.resolve_model(req.model.as_deref(), false).await?;
    let path = format!("{prefix}/chat/completions");
    answer(client, &path, &Wire::once(&model, req), &model).await
}

pub(crate) async fn chat_stream(
    client: &Client,
    prefix: &str,
    req: &ChatRequest,
) -> Result<ChatStream> {
    let model = client.resolve_model(req.model.as_deref(), false).await?;
    let path = format!("{prefix}/chat/completions");
    stream(
        client,
        &path,
        &Wire::streaming(&model, req),
        &model,
        WireFormat::OpenAi,
    )
    .await
}

pub(crate) async fn complete(
    client: &Client,
    prefix: &str,
    req: &CompletionRequest,
) -> Result<CompletionResponse> {
    let model = client.resolve_model(req.model.as_deref(), false).await?;
    let path = format!("{prefix}/completions");
    answer(client, &path, &Wire::once(&model, req), &model).await
}

pub(crate) async fn complete_stream(
    client: &Client,
    prefix: &str,
    req: &CompletionRequest,
) -> Result<ChatStream> {
    let model = client.resolve_model(req.model.as_deref(), false).await?;
    let path = format!("{prefix}/completions");
    stream(
        client,
        &path,
        &Wire::streaming(&model, req),
        &model,
        WireFormat::OpenAi,
    )
    .await
}

pub(crate) async fn embed(
    client: &Client,
    prefix: &str,
    req: &EmbeddingRequest,
) -> Result<EmbeddingResponse> {
    let model = client.resolve_model(req.model.as_deref(), true).await?;
    let path = format!("{prefix}/embeddings");
    let (answer, _) = client
        .post_json(&path, &Wire::once(&model, req), Some(&model))
        .await?;
    Ok(answer)
}

pub(crate) async fn stream(
    client: &Client,
    path: &str,
    body: &impl Serialize,
    model: &str,
    format: WireFormat,
) -> Result<ChatStream> {
    let (response, started, url) = client.post_stream(path, body, Some(model)).await?;
    Ok(ChatStream::new(
        response,
        started,
        url,
        format,
        Some(model.to_owned()),
        client.inner.stream_idle_timeout,
    ))
}
