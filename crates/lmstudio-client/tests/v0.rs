//! Native REST v0 against the emulated LM Studio.

mod support;

use fixtures::{Failure, LmStudioMock, ModelsCase};
use lmstudio_client::{
    ChatRequest, CompletionRequest, EmbeddingRequest, Error, FinishReason, ModelState, ModelType,
    StatsSource, StopReason,
};
use support::client;

#[tokio::test]
async fn models_report_type_state_and_context() {
    let lm = LmStudioMock::start().await;
    let models = client(&lm.url()).v0().models().await.unwrap();
    assert_eq!(models.len(), 4);
    let qwen = &models[0];
    assert_eq!(qwen.id, "qwen2.5-7b-instruct");
    assert_eq!(qwen.kind, ModelType::Llm);
    assert_eq!(qwen.state, ModelState::Loaded);
    assert_eq!(qwen.loaded_context_length, Some(8192));
    assert_eq!(qwen.capabilities, ["tool_use"]);
    assert_eq!(models[2].kind, ModelType::Vlm);
    assert_eq!(models[3].kind, ModelType::Embeddings);
    assert!(!models[1].is_loaded());
}

#[tokio::test]
async fn one_model_by_id_and_an_unknown_one() {
    let lm = LmStudioMock::start().await;
    let lm_client = client(&lm.url());
    let model = lm_client.v0().model("llama-3.2-3b-instruct").await.unwrap();
    assert_eq!(model.state, ModelState::NotLoaded);
    assert_eq!(model.max_context_length, Some(131_072));
    let err = lm_client.v0().model("nope").await.unwrap_err();
    assert!(
        matches!(&err, Error::ModelNotFound { model, .. } if model == "nope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn chat_carries_server_stats_model_info_and_runtime() {
    let lm = LmStudioMock::start().await;
    let req = ChatRequest::prompt("Name a prime above 90.")
        .model("qwen2.5-7b-instruct")
        .max_tokens(32);
    let answer = client(&lm.url()).v0().chat(&req).await.unwrap();
    assert_eq!(answer.content(), "97 is prime.");
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Stop));
    let usage = answer.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (24, 6, 30)
    );
    let stats = answer.stats.as_ref().unwrap();
    assert_eq!(stats.source, StatsSource::Server);
    assert_eq!(stats.tokens_per_second, Some(51.4));
    assert_eq!(stats.time_to_first_token, Some(0.111));
    assert_eq!(stats.generation_time, Some(0.954));
    assert_eq!(stats.stop_reason, Some(StopReason::EosFound));
    let info = answer.model_info.as_ref().unwrap();
    assert_eq!(
        (info.arch.as_str(), info.quant.as_str(), info.context_length),
        ("qwen2", "Q4_K_M", Some(8192))
    );
    assert_eq!(answer.runtime.as_ref().unwrap().supported_formats, ["gguf"]);
    assert_eq!(answer.requested_model, None);
}

#[tokio::test]
async fn request_body_carries_every_parameter() {
    let lm = LmStudioMock::start().await;
    let req = ChatRequest::prompt("hi")
        .model("qwen2.5-7b-instruct")
        .system("be brief")
        .temperature(0.3)
        .max_tokens(-1)
        .top_p(0.9)
        .top_k(40)
        .stop("\n\n")
        .ttl(300)
        .seed(7)
        .presence_penalty(0.1)
        .frequency_penalty(0.2)
        .repeat_penalty(1.1)
        .response_format(lmstudio_client::ResponseFormat::json_schema(
            "answer",
            serde_json::json!({"type":"object"}),
        ))
        .extra("draft_model", "tiny".into());
    client(&lm.url()).v0().chat(&req).await.unwrap();
    let sent: serde_json::Value = lm.received_requests().await[0].body_json().unwrap();
    assert_eq!(
        sent,
        serde_json::json!({
            "model": "qwen2.5-7b-instruct",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
            "temperature": 0.3, "max_tokens": -1, "top_p": 0.9, "top_k": 40, "stop": ["\n\n"], "ttl": 300,
            "seed": 7, "presence_penalty": 0.1, "frequency_penalty": 0.2, "repeat_penalty": 1.1,
            "response_format": {"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":{"type":"object"}}},
            "draft_model": "tiny"
        })
    );
}

#[tokio::test]
async fn default_model_resolves_to_the_loaded_one() {
    let lm = LmStudioMock::start().await;
    let lm_client = client(&lm.url());
    for model in [None, Some(""), Some("default")] {
        let mut req = ChatRequest::prompt("hi");
        req.model = model.map(str::to_owned);
        let answer = lm_client.v0().chat(&req).await.unwrap();
        assert_eq!(answer.model, "qwen2.5-7b-instruct");
    }
    // The model list was asked once: the resolution is cached for a moment.
    let lists = lm
        .received_requests()
        .await
        .iter()
        .filter(|r| r.url.path() == "/api/v0/models")
        .count();
    assert_eq!(lists, 1);
}

#[tokio::test]
async fn configured_default_model_is_used_without_asking_the_server() {
    let lm = LmStudioMock::start().await;
    let lm_client = lmstudio_client::Client::builder()
        .base_url(lm.url())
        .default_model("llama-3.2-3b-instruct")
        .build()
        .unwrap();
    let answer = lm_client
        .v0()
        .chat(&ChatRequest::prompt("hi"))
        .await
        .unwrap();
    assert_eq!(answer.model, "llama-3.2-3b-instruct");
    assert!(
        lm.received_requests()
            .await
            .iter()
            .all(|r| r.url.path() != "/api/v0/models")
    );
}

#[tokio::test]
async fn default_model_with_nothing_loaded_is_no_model_loaded() {
    let lm = LmStudioMock::builder()
        .models(ModelsCase::NoneLoaded)
        .start()
        .await;
    let err = client(&lm.url())
        .v0()
        .chat(&ChatRequest::prompt("hi"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoModelLoaded { .. }), "{err:?}");
    assert!(err.to_string().contains("lms load"), "{err}");
}

#[tokio::test]
async fn tool_calls_are_decoded() {
    let lm = LmStudioMock::start().await;
    let tool = serde_json::json!({"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}});
    let req = ChatRequest::prompt("Weather in Paris?")
        .model("qwen2.5-7b-instruct")
        .tools(vec![tool]);
    let answer = client(&lm.url()).v0().chat(&req).await.unwrap();
    assert_eq!(answer.finish_reason(), Some(&FinishReason::ToolCalls));
    assert_eq!(
        answer.stats.as_ref().unwrap().stop_reason,
        Some(StopReason::ToolCalls)
    );
    let call = &answer.message().unwrap().tool_calls[0];
    assert_eq!(call.function.name, "get_weather");
    assert_eq!(call.function.arguments, r#"{"city":"Paris"}"#);
}

#[tokio::test]
async fn text_completion_reports_max_tokens_stop() {
    let lm = LmStudioMock::start().await;
    let req = CompletionRequest::new("Primes above 90:")
        .model("qwen2.5-7b-instruct")
        .max_tokens(16);
    let answer = client(&lm.url()).v0().complete(&req).await.unwrap();
    assert!(answer.text().starts_with(" 97"));
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Length));
    let stats = answer.stats.unwrap();
    assert_eq!(
        stats.stop_reason,
        Some(StopReason::MaxPredictedTokensReached)
    );
    assert_eq!(
        stats.stop_reason.unwrap().finish_reason(),
        Some(FinishReason::Length)
    );
}

#[tokio::test]
async fn embeddings_pick_the_embedding_model() {
    let lm = LmStudioMock::start().await;
    let answer = client(&lm.url())
        .v0()
        .embed(&EmbeddingRequest::new("hello"))
        .await
        .unwrap();
    assert_eq!(answer.data[0].embedding.len(), 8);
    assert_eq!(answer.model, "text-embedding-nomic-embed-text-v1.5@q4_k_m");
    let sent: serde_json::Value = lm
        .received_requests()
        .await
        .last()
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(sent["model"], "text-embedding-nomic-embed-text-v1.5");
    assert_eq!(sent["input"], serde_json::json!(["hello"]));
}

#[tokio::test]
async fn server_side_no_model_loaded_is_classified() {
    let lm = LmStudioMock::builder()
        .failure(Failure::NoModelLoaded)
        .start()
        .await;
    let req = ChatRequest::prompt("hi").model("qwen2.5-7b-instruct");
    let err = client(&lm.url()).v0().chat(&req).await.unwrap_err();
    assert!(
        matches!(err, Error::NoModelLoaded { ref body } if body.contains("No models loaded")),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(404));
}
