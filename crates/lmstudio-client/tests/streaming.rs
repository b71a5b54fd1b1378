//! Streams: deltas, measured statistics, timing, cuts, timeouts, in-stream errors.

mod support;

use std::time::Duration;

use fixtures::{Failure, LmStudioMock, StreamServer, data};
use lmstudio_client::{ChatRequest, Client, CompletionRequest, Error, FinishReason, StatsSource};
use support::{client, drain};
use wiremock::{Mock, ResponseTemplate, matchers::method};

const FULL_ANSWER: &str = "97 is a prime number: its only divisors are 1 and itself.";

fn prompt() -> ChatRequest {
    ChatRequest::prompt("Is 97 prime?").model("qwen2.5-7b-instruct")
}

/// Mounts an SSE data file as the answer to every POST, ahead of the emulator's own routing.
async fn serve_sse(lm: &LmStudioMock, file: &str) {
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(data::load(file), "text/event-stream"),
        )
        .with_priority(1)
        .mount(lm.server())
        .await;
}

#[tokio::test]
async fn v0_stream_yields_deltas_then_measured_stats_with_server_usage() {
    let lm = LmStudioMock::start().await;
    let drained = drain(client(&lm.url()).v0().chat_stream(&prompt()).await.unwrap()).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(drained.content(), FULL_ANSWER);
    assert_eq!(drained.deltas.len(), 14);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.model, "qwen2.5-7b-instruct");
    assert_eq!(summary.finish_reason, Some(FinishReason::Stop));
    assert_eq!(summary.usage.unwrap().completion_tokens, 14);
    assert_eq!(summary.stats.source, StatsSource::Measured);
    assert!(!summary.stats.tokens_estimated);
    assert!(summary.stats.time_to_first_token.is_some());
    assert!(!summary.suspected_context_overflow());
    // The client asked for usage in the stream.
    let sent: serde_json::Value = lm.received_requests().await[0].body_json().unwrap();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn without_usage_tokens_are_estimated_from_chunks() {
    let lm = LmStudioMock::start().await;
    serve_sse(&lm, "api-v0/chat_completions.default.sse").await;
    let drained = drain(
        client(&lm.url())
            .openai()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    let summary = drained.summary.unwrap();
    assert_eq!(summary.usage, None);
    assert!(summary.stats.tokens_estimated);
    assert_eq!(summary.content_chunks, 14);
}

#[tokio::test]
async fn reasoning_and_tool_call_fragments_are_separated() {
    let lm = LmStudioMock::start().await;
    serve_sse(&lm, "api-v0/chat_completions.reasoning.sse").await;
    let drained = drain(client(&lm.url()).v0().chat_stream(&prompt()).await.unwrap()).await;
    assert_eq!(drained.reasoning(), "Check divisors up to 9.");
    assert_eq!(drained.content(), "97 is prime.");

    let lm = LmStudioMock::start().await;
    let tool = serde_json::json!({"type":"function","function":{"name":"get_weather"}});
    let req = prompt().tools(vec![tool]);
    let drained = drain(client(&lm.url()).v0().chat_stream(&req).await.unwrap()).await;
    let calls: Vec<_> = drained
        .deltas
        .iter()
        .flat_map(|d| d.tool_calls.iter())
        .collect();
    assert_eq!(calls[0].name.as_deref(), Some("get_weather"));
    assert_eq!(calls[0].id.as_deref(), Some("365174485"));
    let arguments: String = calls.iter().map(|c| c.arguments.as_str()).collect();
    assert_eq!(arguments, r#"{"city":"Paris"}"#);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.finish_reason, Some(FinishReason::ToolCalls));
    assert!(!summary.suspected_context_overflow());
}

#[tokio::test]
async fn text_completion_streams() {
    let lm = LmStudioMock::start().await;
    let req = CompletionRequest::new("Primes:").model("qwen2.5-7b-instruct");
    let drained = drain(client(&lm.url()).v0().complete_stream(&req).await.unwrap()).await;
    assert_eq!(drained.content(), " 97, 101, 103");
    assert_eq!(
        drained.summary.unwrap().finish_reason,
        Some(FinishReason::Length)
    );
}

#[tokio::test]
async fn time_to_first_token_and_generation_time_are_measured() {
    let server = StreamServer::builder()
        .first_chunk_delay(Duration::from_millis(300))
        .chunk_delay(Duration::from_millis(20))
        .start()
        .await;
    let drained = drain(
        client(&server.url())
            .v0()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.content(), FULL_ANSWER);
    let stats = drained.summary.unwrap().stats;
    let ttft = stats.time_to_first_token.unwrap();
    assert!((0.3..2.0).contains(&ttft), "time to first token {ttft}");
    // 13 more content chunks, the finish chunk, the usage chunk and [DONE], 20 ms apart.
    let generation = stats.generation_time.unwrap();
    assert!(
        (0.3..3.0).contains(&generation),
        "generation time {generation}"
    );
    let rate = stats.tokens_per_second.unwrap();
    assert!((rate - 14.0 / generation).abs() < 1e-6);
}

#[tokio::test]
async fn deltas_arrive_as_they_are_sent_not_at_the_end() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_millis(100))
        .start()
        .await;
    let mut stream = client(&server.url())
        .v0()
        .chat_stream(&prompt())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let first = futures_util::StreamExt::next(&mut stream)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, lmstudio_client::ChatEvent::Delta(_)));
    // The whole stream takes ≥ 1.6 s; the first delta must not wait for it.
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_cut_connection_is_stream_interrupted() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_millis(10))
        .cut_after(4)
        .start()
        .await;
    let drained = drain(
        client(&server.url())
            .v0()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.deltas.len(), 4);
    assert!(drained.summary.is_none());
    let err = drained.error.unwrap();
    assert!(
        matches!(err, Error::StreamInterrupted { events: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_secs(5))
        .start()
        .await;
    let lm = Client::builder()
        .base_url(server.url())
        .stream_idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let drained = drain(lm.v0().chat_stream(&prompt()).await.unwrap()).await;
    let err = drained.error.unwrap();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_empty_stream_is_a_suspected_context_overflow() {
    let lm = LmStudioMock::builder()
        .failure(Failure::EmptyStreamOverflow)
        .start()
        .await;
    let drained = drain(client(&lm.url()).v0().chat_stream(&prompt()).await.unwrap()).await;
    assert!(drained.deltas.is_empty());
    let summary = drained.summary.unwrap();
    assert!(summary.suspected_context_overflow());
    assert_eq!(summary.stats.time_to_first_token, None);
}

#[tokio::test]
async fn an_error_frame_ends_the_stream_with_stream_error() {
    let lm = LmStudioMock::builder()
        .failure(Failure::StreamErrorFrame)
        .start()
        .await;
    let drained = drain(client(&lm.url()).v0().chat_stream(&prompt()).await.unwrap()).await;
    assert_eq!(drained.deltas.len(), 3);
    let err = drained.error.unwrap();
    assert!(
        matches!(&err, Error::StreamError { kind: Some(kind), message } if kind == "model_unloaded" && message.contains("unloaded")),
        "{err:?}"
    );
}

#[tokio::test]
async fn errors_before_the_stream_are_classified() {
    let lm = LmStudioMock::start().await;
    let err = client(&lm.url())
        .v0()
        .chat_stream(&ChatRequest::prompt("hi").model("nope"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ModelNotFound { .. }), "{err:?}");

    // LM Studio 0.4.21 answers an overflow with 200 and a JSON body even to a stream request.
    let lm = LmStudioMock::builder()
        .failure(Failure::ContextOverflowWith200)
        .start()
        .await;
    let err = client(&lm.url())
        .v0()
        .chat_stream(&prompt())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ContextOverflow { .. }), "{err:?}");
}

#[tokio::test]
async fn collect_text_returns_the_answer_and_summary() {
    let lm = LmStudioMock::start().await;
    let (text, summary) = client(&lm.url())
        .openai()
        .chat_stream(&prompt())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(text, FULL_ANSWER);
    assert_eq!(summary.content_chunks, 14);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_millis(50))
        .start()
        .await;
    let mut stream = client(&server.url())
        .v0()
        .chat_stream(&prompt())
        .await
        .unwrap();
    let first = futures_util::StreamExt::next(&mut stream)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, lmstudio_client::ChatEvent::Delta(_)));
    drop(stream);
    // The server sees the closed connection at its next write, at most one chunk delay later.
    for _ in 0..100 {
        if server.streams_abandoned() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server kept streaming after the client dropped the stream");
}
