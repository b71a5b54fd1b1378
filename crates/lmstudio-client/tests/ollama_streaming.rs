//! Ollama's NDJSON streams: deltas, the server's statistics from the last object, the client's
//! own time to first token, mid-stream errors, cuts and pacing.

mod support;

use std::time::Duration;

use fixtures::{OllamaFailure, OllamaMock, StreamServer};
use lmstudio_client::{
    ChatRequest, Error, FinishReason, GenerateRequest, OllamaChatRequest, StatsSource, Usage,
};
use serde_json::json;
use support::{client, drain};

const FULL_ANSWER: &str = "97 is a prime number: its only divisors are 1 and itself.";

fn prompt() -> OllamaChatRequest {
    OllamaChatRequest::prompt("Is 97 prime?").model("llama3.2")
}

#[tokio::test]
async fn chat_stream_yields_deltas_then_server_stats() {
    let ollama = OllamaMock::start().await;
    let stream = client(&ollama.url())
        .ollama()
        .chat_stream(&prompt())
        .await
        .unwrap();
    let drained = drain(stream).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(drained.content(), FULL_ANSWER);
    assert_eq!(drained.deltas.len(), 14);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.model, "llama3.2");
    assert_eq!(summary.requested_model, None);
    assert_eq!(summary.finish_reason, Some(FinishReason::Stop));
    assert_eq!(summary.usage, Some(Usage::new(26, 14)));
    assert_eq!(summary.content_chunks, 14);
    let stats = &summary.stats;
    assert_eq!(stats.source, StatsSource::Server);
    assert!(!stats.tokens_estimated);
    // 14 tokens in 280 ms.
    assert!(
        (stats.tokens_per_second.unwrap() - 50.0).abs() < 1e-9,
        "{stats:?}"
    );
    assert!((stats.generation_time.unwrap() - 0.28).abs() < 1e-9);
    assert!((stats.time_to_first_token.unwrap() - 0.343_880_875).abs() < 1e-9);
    assert!(stats.measured_time_to_first_token.is_some());
    assert!(stats.total_time.is_some());
    let sent: serde_json::Value = ollama.received_requests().await[0].body_json().unwrap();
    assert_eq!(sent["stream"], true);
    assert!(sent.get("stream_options").is_none());
}

#[tokio::test]
async fn generate_stream_yields_the_same_answer() {
    let ollama = OllamaMock::start().await;
    let req = GenerateRequest::new("Is 97 prime?").model("llama3.2");
    let drained = drain(
        client(&ollama.url())
            .ollama()
            .generate_stream(&req)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.content(), FULL_ANSWER);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.stats.source, StatsSource::Server);
    assert_eq!(summary.usage.unwrap().completion_tokens, 14);
}

#[tokio::test]
async fn thinking_and_tool_calls_are_separated() {
    let ollama = OllamaMock::start().await;
    let lm = client(&ollama.url());
    let drained = drain(
        lm.ollama()
            .chat_stream(&prompt().think(true))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.reasoning(), "Check divisors up to 9.");
    assert_eq!(drained.content(), "97 is prime.");

    let tool = json!({"type": "function", "function": {"name": "get_weather"}});
    let drained = drain(
        lm.ollama()
            .chat_stream(&prompt().tools(vec![tool]))
            .await
            .unwrap(),
    )
    .await;
    let calls: Vec<_> = drained
        .deltas
        .iter()
        .flat_map(|d| d.tool_calls.clone())
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name.as_deref(), Some("get_weather"));
    assert_eq!(calls[0].arguments, r#"{"city":"Paris","unit":"celsius"}"#);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.finish_reason, Some(FinishReason::ToolCalls));
    assert!(!summary.suspected_context_overflow());
}

#[tokio::test]
async fn a_mid_stream_error_line_ends_the_stream() {
    let ollama = OllamaMock::builder()
        .failure(OllamaFailure::MidStreamError)
        .start()
        .await;
    let drained = drain(
        client(&ollama.url())
            .ollama()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.content(), "97 is a");
    assert!(drained.summary.is_none());
    let error = drained.error.unwrap();
    assert!(
        matches!(&error, Error::StreamError { message, .. } if message.contains("unexpected EOF")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_cut_stream_is_interrupted() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_millis(10))
        .cut_after(3)
        .start()
        .await;
    let drained = drain(
        client(&server.url())
            .ollama()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.deltas.len(), 3);
    assert!(drained.summary.is_none());
    assert!(
        matches!(drained.error, Some(Error::StreamInterrupted { .. })),
        "{:?}",
        drained.error
    );
}

#[tokio::test]
async fn the_client_measures_its_own_time_to_first_token_beside_the_server_figure() {
    let server = StreamServer::builder()
        .first_chunk_delay(Duration::from_millis(300))
        .chunk_delay(Duration::from_millis(5))
        .start()
        .await;
    let drained = drain(
        client(&server.url())
            .ollama()
            .chat_stream(&prompt())
            .await
            .unwrap(),
    )
    .await;
    let stats = drained.summary.unwrap().stats;
    let measured = stats.measured_time_to_first_token.unwrap();
    assert!((0.3..2.0).contains(&measured), "{measured}");
    // The server's figure is what Ollama reported, whatever the network did.
    assert!((stats.time_to_first_token.unwrap() - 0.343_880_875).abs() < 1e-9);
}

#[tokio::test]
async fn long_streams_keep_every_chunk() {
    let server = StreamServer::builder().content_chunks(500).start().await;
    let req: OllamaChatRequest = ChatRequest::prompt("count").model("llama3.2").into();
    let drained = drain(
        client(&server.url())
            .ollama()
            .chat_stream(&req)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(drained.deltas.len(), 500);
    assert_eq!(
        drained.summary.unwrap().usage.unwrap().completion_tokens,
        500
    );
}

#[tokio::test]
async fn dropping_a_stream_closes_the_connection() {
    let server = StreamServer::builder()
        .chunk_delay(Duration::from_millis(20))
        .start()
        .await;
    let lm = client(&server.url());
    let mut stream = lm.ollama().chat_stream(&prompt()).await.unwrap();
    let first = futures_util::StreamExt::next(&mut stream).await;
    assert!(matches!(first, Some(Ok(_))));
    drop(stream);
    for _ in 0..50 {
        if server.streams_abandoned() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server did not notice the dropped stream");
}
