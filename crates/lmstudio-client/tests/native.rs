//! Native REST v1 (LM Studio 0.4) against the emulated LM Studio.

mod support;

use fixtures::LmStudioMock;
use lmstudio_client::{LoadRequest, NativeChatRequest, OutputItem, StatsSource};
use support::{client, drain};

#[tokio::test]
async fn chat_has_output_items_and_server_stats() {
    let lm = LmStudioMock::start().await;
    let req = NativeChatRequest::new("qwen2.5-7b-instruct", "Is 97 prime?")
        .reasoning("on")
        .temperature(0.2);
    let answer = client(&lm.url()).native().chat(&req).await.unwrap();
    assert_eq!(answer.content(), "97 is prime.");
    assert!(answer.reasoning().starts_with("Check 97"));
    assert!(matches!(answer.output[0], OutputItem::Reasoning { .. }));
    assert_eq!(answer.stats.input_tokens, 17);
    assert_eq!(answer.stats.model_load_time_seconds, Some(2.656));
    let stats = answer.stats.to_stats();
    assert_eq!(stats.source, StatsSource::Server);
    assert_eq!(stats.time_to_first_token, Some(0.814));
    assert!((stats.generation_time.unwrap() - 50.0 / 51.04).abs() < 1e-9);
    assert!(answer.response_id.unwrap().starts_with("resp_"));
    let sent: serde_json::Value = lm.received_requests().await[0].body_json().unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"model":"qwen2.5-7b-instruct","input":"Is 97 prime?","reasoning":"on","temperature":0.2})
    );
}

#[tokio::test]
async fn chat_stream_yields_progress_reasoning_content_and_server_stats() {
    let lm = LmStudioMock::start().await;
    let req = NativeChatRequest::new("qwen2.5-7b-instruct", "Is 97 prime?");
    let drained = drain(client(&lm.url()).native().chat_stream(&req).await.unwrap()).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(drained.progress, 1);
    assert_eq!(drained.reasoning(), "Check 97 for divisors.");
    assert_eq!(drained.content(), "97 is prime.");
    let summary = drained.summary.unwrap();
    assert_eq!(summary.model, "qwen/qwen3-4b");
    assert_eq!(summary.stats.source, StatsSource::Server);
    assert_eq!(summary.stats.tokens_per_second, Some(40.2));
    assert_eq!(summary.usage.unwrap().completion_tokens, 11);
    assert_eq!(summary.content_chunks, 3);
    assert!(summary.response_id.unwrap().starts_with("resp_"));
}

#[tokio::test]
async fn models_load_and_unload() {
    let lm = LmStudioMock::start().await;
    let lm_client = client(&lm.url());
    let models = lm_client.native().models().await.unwrap();
    assert_eq!(models[0].key, "qwen/qwen3-4b");
    assert_eq!(models[0].loaded_instances[0].context_length(), Some(4096));
    assert_eq!(models[1].kind, lmstudio_client::ModelType::Embeddings);
    let loaded = lm_client
        .native()
        .load(
            &LoadRequest::new("qwen/qwen3-4b")
                .context_length(16384)
                .flash_attention(true)
                .echo_load_config(),
        )
        .await
        .unwrap();
    assert_eq!(loaded.status, "loaded");
    assert_eq!(loaded.load_time_seconds, Some(9.1));
    let sent: serde_json::Value = lm
        .received_requests()
        .await
        .last()
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"model":"qwen/qwen3-4b","context_length":16384,"flash_attention":true,"echo_load_config":true})
    );
    let unloaded = lm_client
        .native()
        .unload(&loaded.instance_id)
        .await
        .unwrap();
    assert_eq!(unloaded.instance_id, "qwen/qwen3-4b");
}
