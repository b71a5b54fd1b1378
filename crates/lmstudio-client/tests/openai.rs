//! The OpenAI-compatible `/v1` against the emulated LM Studio.

mod support;

use fixtures::LmStudioMock;
use lmstudio_client::{ChatRequest, CompletionRequest, EmbeddingRequest, StatsSource};
use support::client;

#[tokio::test]
async fn models_are_ids_only() {
    let lm = LmStudioMock::start().await;
    let models = client(&lm.url()).openai().models().await.unwrap();
    assert_eq!(models.len(), 4);
    assert_eq!(models[0].id, "qwen2.5-7b-instruct");
    assert_eq!(models[0].owned_by, "organization_owner");
}

#[tokio::test]
async fn empty_server_stats_are_replaced_by_measured_ones() {
    let lm = LmStudioMock::start().await;
    let req = ChatRequest::prompt("Name a prime above 90.").model("qwen2.5-7b-instruct");
    let answer = client(&lm.url()).openai().chat(&req).await.unwrap();
    assert_eq!(answer.content(), "97 is prime.");
    assert_eq!(
        answer.system_fingerprint.as_deref(),
        Some("qwen2.5-7b-instruct")
    );
    assert!(answer.model_info.is_none() && answer.runtime.is_none());
    let stats = answer.stats.unwrap();
    assert_eq!(stats.source, StatsSource::Measured);
    assert_eq!(
        stats.time_to_first_token, None,
        "no first-token time without a stream"
    );
    let generation = stats.generation_time.unwrap();
    assert!(generation > 0.0 && generation < 5.0, "{generation}");
    let rate = stats.tokens_per_second.unwrap();
    assert!((rate - 6.0 / generation).abs() < 1e-6, "{rate}");
}

#[tokio::test]
async fn another_model_answering_is_reported() {
    let lm = LmStudioMock::builder()
        .answer_with_model("gemma-3-1b-it-qat:2")
        .start()
        .await;
    let req = ChatRequest::prompt("hi").model("qwen2.5-7b-instruct");
    let answer = client(&lm.url()).openai().chat(&req).await.unwrap();
    assert_eq!(answer.model, "gemma-3-1b-it-qat:2");
    assert_eq!(
        answer.requested_model.as_deref(),
        Some("qwen2.5-7b-instruct")
    );

    // An instance suffix of the same model is not a different model.
    let lm = LmStudioMock::builder()
        .answer_with_model("qwen2.5-7b-instruct:2")
        .start()
        .await;
    let answer = client(&lm.url()).openai().chat(&req).await.unwrap();
    assert_eq!(answer.requested_model, None);
}

#[tokio::test]
async fn completion_and_embeddings() {
    let lm = LmStudioMock::start().await;
    let lm_client = client(&lm.url());
    let text = lm_client
        .openai()
        .complete(&CompletionRequest::new("Primes:").model("qwen2.5-7b-instruct"))
        .await
        .unwrap();
    assert_eq!(text.text(), " 97, 101, 103");
    assert_eq!(text.stats.unwrap().source, StatsSource::Measured);
    let vectors = lm_client
        .openai()
        .embed(&EmbeddingRequest::many(["a", "b"]).model("text-embedding-nomic-embed-text-v1.5"))
        .await
        .unwrap();
    assert_eq!(vectors.data.len(), 1);
    let sent: serde_json::Value = lm
        .received_requests()
        .await
        .last()
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(sent["input"], serde_json::json!(["a", "b"]));
}

#[tokio::test]
async fn base_url_with_v1_suffix_works() {
    let lm = LmStudioMock::start().await;
    let models = client(&format!("{}/v1/", lm.url()))
        .openai()
        .models()
        .await
        .unwrap();
    assert_eq!(models.len(), 4);
}
