//! [`ChatStream`]: decodes v0 / `/v1` chunk streams, native v1 event streams (both SSE) and
//! Ollama's NDJSON streams into [`ChatEvent`]s, measuring time to first token and generation
//! time as chunks arrive.

use std::{
    fmt,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream::BoxStream};
use serde::Deserialize;

use crate::{
    ChatEvent, Delta, Error, FinishReason, NativeChatResponse, Progress, ProgressStage, Result,
    Stats, StreamSummary, ToolCallDelta, Usage,
    error_body::{body_text, stream_error},
    ndjson::NdjsonDecoder,
    ollama_chunk::OllamaChunk,
    sse::{SseDecoder, SseEvent},
    types::{model::differs, ollama::finish_reason},
};

/// A stream of [`ChatEvent`]s: deltas as they arrive, then one [`ChatEvent::Done`].
///
/// Nothing of the answer is buffered beyond the current chunk.
///
/// # Cancel safety
/// Dropping the stream closes the connection, which makes the server stop generating.
#[must_use = "a stream does nothing unless polled"]
pub struct ChatStream {
    inner: BoxStream<'static, Result<ChatEvent>>,
}

impl fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream").finish_non_exhaustive()
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl ChatStream {
    /// Reads the whole stream and returns the answer text with the summary.
    ///
    /// # Errors
    /// The first error the stream yields, or [`Error::StreamInterrupted`] if it ends without
    /// a summary.
    pub async fn collect_text(mut self) -> Result<(String, StreamSummary)> {
        let mut text = String::new();
        while let Some(event) = self.next().await {
            match event? {
                ChatEvent::Delta(delta) => text.push_str(&delta.content),
                ChatEvent::Done(summary) => return Ok((text, *summary)),
                ChatEvent::Progress(_) => {}
            }
        }
        Err(Error::StreamInterrupted {
            events: 0,
            source: None,
        })
    }

    pub(crate) fn new(
        response: reqwest::Response,
        started: Instant,
        url: String,
        format: WireFormat,
        requested_model: Option<String>,
        idle_timeout: Duration,
    ) -> Self {
        let framing = match format {
            WireFormat::Ollama => Framing::Ndjson(NdjsonDecoder::default()),
            WireFormat::OpenAi | WireFormat::Native => Framing::Sse(SseDecoder::default()),
        };
        let state = State {
            body: response.bytes_stream().boxed(),
            framing,
            pending: None,
            tool_calls: 0,
            format,
            url,
            idle_timeout,
            requested_model,
            started,
            first_token: None,
            events: 0,
            content_chunks: 0,
            model: String::new(),
            usage: None,
            finish_reason: None,
            finished: false,
        };
        let inner = futures_util::stream::unfold(state, |mut state| async move {
            let item = state.next_item().await?;
            Some((item, state))
        })
        .boxed();
        Self { inner }
    }
}

/// Which event vocabulary the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireFormat {
    /// `data: {chunk}` … `data: [DONE]` (v0, `/v1`, chat and text completions).
    OpenAi,
    /// `event: message.delta` … `event: chat.end` (native `/api/v1/chat`).
    Native,
    /// One JSON object per line, the last with `"done": true` (Ollama `/api/chat`,
    /// `/api/generate`).
    Ollama,
}

/// How events are delimited on the wire.
enum Framing {
    Sse(SseDecoder),
    Ndjson(NdjsonDecoder),
}

impl Framing {
    fn push(&mut self, bytes: &[u8]) {
        match self {
            Self::Sse(decoder) => decoder.push(bytes),
            Self::Ndjson(decoder) => decoder.push(bytes),
        }
    }

    /// The next complete event; an NDJSON line is an event with data only.
    fn next_event(&mut self) -> Option<SseEvent> {
        match self {
            Self::Sse(decoder) => decoder.next_event(),
            Self::Ndjson(decoder) => decoder.next_line().map(line_event),
        }
    }

    fn finish(&mut self) -> Option<SseEvent> {
        match self {
            Self::Sse(decoder) => decoder.finish(),
            Self::Ndjson(decoder) => decoder.finish().map(line_event),
        }
    }
}

fn line_event(data: String) -> SseEvent {
    SseEvent { name: None, data }
}

struct State {
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    framing: Framing,
    /// An event decoded together with the previous one (Ollama's last object may carry text
    /// and the end at once), yielded next.
    pending: Option<ChatEvent>,
    /// Ollama: tool calls seen so far (each one whole, numbered in order).
    tool_calls: u32,
    format: WireFormat,
    url: String,
    idle_timeout: Duration,
    requested_model: Option<String>,
    started: Instant,
    first_token: Option<Instant>,
    events: u64,
    content_chunks: u64,
    model: String,
    usage: Option<Usage>,
    finish_reason: Option<FinishReason>,
    finished: bool,
}

impl State {
    async fn next_item(&mut self) -> Option<Result<ChatEvent>> {
        loop {
            if let Some(event) = self.pending.take() {
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            if let Some(event) = self.framing.next_event() {
                if let Some(item) = self.handle(event) {
                    return Some(item);
                }
                continue;
            }
            match tokio::time::timeout(self.idle_timeout, self.body.next()).await {
                Ok(Some(Ok(bytes))) => self.framing.push(&bytes),
                Ok(Some(Err(source))) => {
                    return Some(self.fail(Error::StreamInterrupted {
                        events: self.events,
                        source: Some(source),
                    }));
                }
                Ok(None) => return self.end_of_body(),
                Err(_) => {
                    let error = Error::Timeout {
                        url: self.url.clone(),
                        after: self.idle_timeout,
                    };
                    return Some(self.fail(error));
                }
            }
        }
    }

    fn fail(&mut self, error: Error) -> Result<ChatEvent> {
        self.finished = true;
        Err(error)
    }

    /// The body ended: a last unterminated event may still complete the stream.
    fn end_of_body(&mut self) -> Option<Result<ChatEvent>> {
        if let Some(event) = self.framing.finish()
            && let Some(item) = self.handle(event)
        {
            return Some(item);
        }
        if let Some(event) = self.pending.take() {
            return Some(Ok(event));
        }
        if self.finished {
            return None;
        }
        // No `[DONE]` / `chat.end`: complete only if the server said generation finished.
        if self.finish_reason.is_some() {
            return Some(Ok(self.done(None, None)));
        }
        Some(self.fail(Error::StreamInterrupted {
            events: self.events,
            source: None,
        }))
    }

    fn handle(&mut self, event: SseEvent) -> Option<Result<ChatEvent>> {
        self.events += 1;
        match self.format {
            WireFormat::OpenAi => self.handle_chunk(&event.data),
            WireFormat::Native => self.handle_native(event),
            WireFormat::Ollama => self.handle_ollama(&event.data),
        }
    }

    fn decode<T: for<'de> Deserialize<'de>>(&mut self, data: &str) -> Result<T> {
        serde_json::from_str(data).map_err(|source| {
            self.finished = true;
            Error::Decode {
                url: self.url.clone(),
                body: body_text(data.as_bytes()),
                source,
            }
        })
    }

    fn handle_chunk(&mut self, data: &str) -> Option<Result<ChatEvent>> {
        if data == "[DONE]" {
            return Some(Ok(self.done(None, None)));
        }
        let chunk: Chunk = match self.decode(data) {
            Ok(chunk) => chunk,
            Err(error) => return Some(Err(error)),
        };
        if chunk.error.is_some() {
            return Some(self.fail(stream_error(data.as_bytes())));
        }
        if self.model.is_empty()
            && let Some(model) = chunk.model
        {
            self.model = model;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let choice = chunk.choices.into_iter().next()?;
        if let Some(reason) = choice.finish_reason {
            self.finish_reason = Some(reason);
        }
        let mut delta = Delta::default();
        if let Some(wire) = choice.delta {
            delta.content = wire.content.unwrap_or_default();
            delta.reasoning = wire
                .reasoning
                .or(wire.reasoning_content)
                .unwrap_or_default();
            delta.tool_calls = wire
                .tool_calls
                .into_iter()
                .map(WireToolCall::into_delta)
                .collect();
        }
        if let Some(text) = choice.text {
            delta.content = text;
        }
        self.delta(delta)
    }

    fn handle_native(&mut self, event: SseEvent) -> Option<Result<ChatEvent>> {
        let payload: NativeEvent = match self.decode(&event.data) {
            Ok(payload) => payload,
            Err(error) => return Some(Err(error)),
        };
        let name = event.name.or(payload.kind).unwrap_or_default();
        match name.as_str() {
            "chat.start" => {
                self.model = payload.model_instance_id.unwrap_or_default();
                None
            }
            "message.delta" => self.delta(Delta {
                content: payload.content.unwrap_or_default(),
                ..Delta::default()
            }),
            "reasoning.delta" => self.delta(Delta {
                reasoning: payload.content.unwrap_or_default(),
                ..Delta::default()
            }),
            "model_load.progress" | "prompt_processing.progress" => {
                let stage = if name.starts_with("model_load") {
                    ProgressStage::ModelLoad
                } else {
                    ProgressStage::PromptProcessing
                };
                Some(Ok(ChatEvent::Progress(Progress {
                    stage,
                    fraction: payload.progress.unwrap_or(0.0),
                })))
            }
            "error" => {
                let error = payload.error.map_or_else(
                    || stream_error(event.data.as_bytes()),
                    |e| {
                        stream_error(
                            &serde_json::to_vec(&serde_json::json!({ "error": e }))
                                .unwrap_or_default(),
                        )
                    },
                );
                Some(self.fail(error))
            }
            "chat.end" => {
                let result = payload.result?;
                if self.model.is_empty() {
                    self.model.clone_from(&result.model_instance_id);
                }
                let mut stats = result.stats.to_stats();
                if stats.time_to_first_token.is_none() {
                    stats.time_to_first_token =
                        self.first_token.map(|t| (t - self.started).as_secs_f64());
                }
                let usage = result.stats.usage();
                Some(Ok(self.done(Some((stats, usage)), result.response_id)))
            }
            _ => None,
        }
    }

    /// One Ollama object: a delta, a mid-stream `{"error":…}`, or the final object with the
    /// server's counts and durations (and possibly a last piece of text).
    fn handle_ollama(&mut self, data: &str) -> Option<Result<ChatEvent>> {
        let mut chunk: OllamaChunk = match self.decode(data) {
            Ok(chunk) => chunk,
            Err(error) => return Some(Err(error)),
        };
        if chunk.error.is_some() {
            return Some(self.fail(stream_error(data.as_bytes())));
        }
        if self.model.is_empty()
            && let Some(model) = chunk.model.take()
        {
            self.model = model;
        }
        let delta = chunk.take_delta(self.tool_calls);
        self.tool_calls += u32::try_from(delta.tool_calls.len()).unwrap_or(u32::MAX);
        let delta = self.delta(delta);
        if !chunk.done {
            return delta;
        }
        self.finish_reason = finish_reason(chunk.done_reason.as_deref(), self.tool_calls > 0);
        let timings = chunk.timings();
        let mut stats = timings.to_stats();
        let measured = self.first_token.map(|t| (t - self.started).as_secs_f64());
        let done = if stats.is_empty() {
            // No counts (e.g. a `load` answer): fall back to what the client measured.
            self.done(None, None)
        } else {
            stats.measured_time_to_first_token = measured;
            let usage = timings.eval_count.map(|_| timings.usage());
            self.done_with(stats, usage)
        };
        match delta {
            Some(Ok(event)) => {
                self.pending = Some(done);
                Some(Ok(event))
            }
            _ => Some(Ok(done)),
        }
    }

    fn delta(&mut self, delta: Delta) -> Option<Result<ChatEvent>> {
        if delta.is_empty() {
            return None;
        }
        if self.first_token.is_none() {
            self.first_token = Some(Instant::now());
        }
        self.content_chunks += 1;
        Some(Ok(ChatEvent::Delta(delta)))
    }

    /// Builds the final event from the server's own stats and usage (Ollama).
    fn done_with(&mut self, stats: Stats, usage: Option<Usage>) -> ChatEvent {
        self.summary(Some((stats, usage)), None)
    }

    /// Builds the final event; `server` carries native v1's own stats and usage.
    fn done(&mut self, server: Option<(Stats, Usage)>, response_id: Option<String>) -> ChatEvent {
        self.summary(
            server.map(|(stats, usage)| (stats, Some(usage))),
            response_id,
        )
    }

    fn summary(
        &mut self,
        server: Option<(Stats, Option<Usage>)>,
        response_id: Option<String>,
    ) -> ChatEvent {
        self.finished = true;
        let now = Instant::now();
        let (stats, usage) = match server {
            Some((stats, usage)) => (stats, usage),
            None => {
                let ttft = self.first_token.map(|t| (t - self.started).as_secs_f64());
                let generation = self.first_token.map(|t| (now - t).as_secs_f64());
                let (tokens, estimated) = match self.usage {
                    Some(usage) => (usage.completion_tokens, false),
                    None => (self.content_chunks, true),
                };
                (
                    Stats::measured(ttft, generation, Some(tokens), estimated),
                    self.usage,
                )
            }
        };
        let requested_model = self
            .requested_model
            .take()
            .filter(|r| differs(r, &self.model));
        if let Some(requested) = &requested_model {
            tracing::warn!(requested = %requested, model = %self.model, "the server answered with another model");
        }
        ChatEvent::Done(Box::new(StreamSummary {
            model: std::mem::take(&mut self.model),
            requested_model,
            finish_reason: self.finish_reason.take(),
            usage,
            stats,
            content_chunks: self.content_chunks,
            response_id,
        }))
    }
}

/// One `chat.completion.chunk` / `text_completion` chunk.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<WireDelta>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<FinishReason>,
}

#[derive(Deserialize)]
struct WireDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

impl WireToolCall {
    fn into_delta(self) -> ToolCallDelta {
        let (name, arguments) = self.function.map_or((None, String::new()), |f| {
            (f.name, f.arguments.unwrap_or_default())
        });
        ToolCallDelta {
            index: self.index,
            id: self.id,
            name,
            arguments,
        }
    }
}

/// Any native v1 event payload (fields of all event types; each uses a few).
#[derive(Deserialize)]
struct NativeEvent {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    model_instance_id: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    progress: Option<f64>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    result: Option<NativeChatResponse>,
}
