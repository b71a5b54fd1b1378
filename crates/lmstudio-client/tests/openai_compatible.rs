//! A generic OpenAI-compatible server (llama.cpp's server, vLLM): only `/v1` answers, so the
//! client must not depend on LM Studio's `/api/v0`.

mod support;

use fixtures::LmStudioMock;
use lmstudio_client::{ChatRequest, Error, FinishReason, StatsSource};
use support::{client, drain};

async fn generic() -> LmStudioMock {
    LmStudioMock::builder().openai_only().start().await
}

async fn paths(server: &LmStudioMock) -> Vec<String> {
    server
        .received_requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

#[tokio::test]
async fn the_default_model_comes_from_v1_models_and_api_v0_is_asked_once() {
    let server = generic().await;
    let lm = client(&format!("{}/v1", server.url()));
    for _ in 0..3 {
        let answer = lm.openai().chat(&ChatRequest::prompt("hi")).await.unwrap();
        assert_eq!(answer.content(), "97 is prime.");
        assert_eq!(answer.model, "qwen2.5-7b-instruct");
        let stats = answer.stats.unwrap();
        assert_eq!(stats.source, StatsSource::Measured);
        assert!(stats.tokens_per_second.is_some());
    }
    let asked = paths(&server).await;
    assert_eq!(
        asked.iter().filter(|p| p.starts_with("/api/")).count(),
        1,
        "{asked:?}"
    );
    assert_eq!(
        asked.iter().filter(|p| *p == "/v1/models").count(),
        1,
        "the resolved model is reused: {asked:?}"
    );
}

#[tokio::test]
async fn streams_measure_their_stats() {
    let server = generic().await;
    let lm = client(&server.url());
    let req = ChatRequest::prompt("hi").model("qwen2.5-7b-instruct");
    let drained = drain(lm.openai().chat_stream(&req).await.unwrap()).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    let summary = drained.summary.unwrap();
    assert_eq!(summary.finish_reason, Some(FinishReason::Stop));
    assert_eq!(summary.stats.source, StatsSource::Measured);
    assert!(summary.stats.time_to_first_token.is_some());
}

#[tokio::test]
async fn status_falls_back_to_v1_models() {
    let server = generic().await;
    let status = client(&server.url()).status().await;
    assert!(status.connected && status.available, "{status:?}");
    assert_eq!(status.models.len(), 4);
    assert!(status.error.is_none());
}

#[tokio::test]
async fn an_unknown_model_is_model_not_found_in_vllm_words() {
    let server = generic().await;
    let req = ChatRequest::prompt("hi").model("foo");
    let err = client(&server.url()).openai().chat(&req).await.unwrap_err();
    assert!(
        matches!(&err, Error::ModelNotFound { model, .. } if model == "foo"),
        "{err:?}"
    );
    assert!(err.body().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn lm_studio_only_calls_fail_clearly() {
    let server = generic().await;
    let err = client(&server.url()).v0().models().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(err.body().unwrap().contains("File Not Found"));
}
