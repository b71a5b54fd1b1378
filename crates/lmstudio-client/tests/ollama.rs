//! Ollama's `/api` (non-streamed answers, model lists, details, embeddings, errors) against the
//! emulated Ollama.

mod support;

use fixtures::{ModelsCase, OllamaFailure, OllamaMock, data, unused_local_url};
use lmstudio_client::{
    ChatRequest, EmbeddingRequest, Error, FinishReason, GenerateRequest, ModelState, ModelType,
    OllamaChatRequest, StatsSource, Usage,
};
use serde_json::{Value, json};
use support::client;
use wiremock::{Mock, ResponseTemplate, matchers::path};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn sent(ollama: &OllamaMock, index: usize) -> Value {
    ollama.received_requests().await[index].body_json().unwrap()
}

#[tokio::test]
async fn chat_returns_the_answer_with_server_stats_from_nanoseconds() {
    let ollama = OllamaMock::start().await;
    let req = OllamaChatRequest::prompt("Is 97 prime?")
        .model("llama3.2")
        .system("Answer briefly.")
        .temperature(0.2)
        .num_predict(64);
    let answer = client(&ollama.url()).ollama().chat(&req).await.unwrap();
    assert_eq!(answer.content(), "97 is prime.");
    assert_eq!(answer.model, "llama3.2");
    assert!(answer.done);
    assert_eq!(answer.requested_model, None);
    assert_eq!(answer.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(answer.usage(), Usage::new(26, 6));
    let stats = answer.stats();
    assert_eq!(stats.source, StatsSource::Server);
    // 6 tokens in 120 ms; TTFT = load (1.334875 ms) + prompt eval (342.546 ms).
    assert!(close(stats.tokens_per_second.unwrap(), 50.0), "{stats:?}");
    assert!(close(stats.time_to_first_token.unwrap(), 0.343_880_875));
    assert!(close(stats.generation_time.unwrap(), 0.12));
    assert!(close(stats.model_load_time.unwrap(), 0.001_334_875));
    // The wire request: no streaming, Ollama's option names.
    let body = sent(&ollama, 0).await;
    assert_eq!(body["stream"], false);
    assert_eq!(body["model"], "llama3.2");
    assert_eq!(
        body["options"],
        json!({"temperature": 0.2, "num_predict": 64})
    );
    assert_eq!(body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn a_common_chat_request_converts() {
    let ollama = OllamaMock::start().await;
    let req: OllamaChatRequest = ChatRequest::prompt("hi")
        .model("qwen2.5:7b")
        .max_tokens(10)
        .ttl(60)
        .into();
    let answer = client(&ollama.url()).ollama().chat(&req).await.unwrap();
    assert_eq!(answer.model, "qwen2.5:7b");
    let body = sent(&ollama, 0).await;
    assert_eq!(body["options"]["num_predict"], 10);
    assert_eq!(body["keep_alive"], 60);
}

#[tokio::test]
async fn tool_calls_keep_their_arguments_and_finish_with_tool_calls() {
    let ollama = OllamaMock::start().await;
    let tool = json!({"type": "function", "function": {"name": "get_weather", "parameters": {}}});
    let req = OllamaChatRequest::prompt("Weather in Paris?")
        .model("llama3.2")
        .tools(vec![tool]);
    let answer = client(&ollama.url()).ollama().chat(&req).await.unwrap();
    assert_eq!(answer.finish_reason(), Some(FinishReason::ToolCalls));
    let call = &answer.message.tool_calls[0];
    assert_eq!(call.function.name, "get_weather");
    let arguments: Value = serde_json::from_str(&call.function.arguments).unwrap();
    assert_eq!(arguments, json!({"city": "Paris", "unit": "celsius"}));
}

#[tokio::test]
async fn generate_returns_text_and_stats() {
    let ollama = OllamaMock::start().await;
    let req = GenerateRequest::new("Is 97 prime?")
        .model("llama3.2")
        .system("Be brief.");
    let answer = client(&ollama.url()).ollama().generate(&req).await.unwrap();
    assert_eq!(answer.text(), "97 is prime.");
    assert!(!answer.context.is_empty());
    assert_eq!(answer.finish_reason(), Some(FinishReason::Stop));
    assert!(close(answer.stats().tokens_per_second.unwrap(), 50.0));
    assert_eq!(answer.usage().completion_tokens, 6);
    let body = sent(&ollama, 0).await;
    assert_eq!(
        (&body["prompt"], &body["system"], &body["stream"]),
        (&json!("Is 97 prime?"), &json!("Be brief."), &json!(false))
    );
}

#[tokio::test]
async fn model_lists_details_version_and_embeddings() {
    let ollama = OllamaMock::start().await;
    let lm = client(&ollama.url());
    let tags = lm.ollama().tags().await.unwrap();
    assert_eq!(tags.len(), 3);
    assert_eq!(tags[0].details.quantization_level, "Q4_K_M");
    let ps = lm.ollama().ps().await.unwrap();
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].context_length, Some(4096));
    assert!(ps[0].size_vram.is_some() && ps[0].expires_at.is_some());

    let models = lm.ollama().models().await.unwrap();
    let states: Vec<_> = models
        .iter()
        .map(|m| (m.id.as_str(), m.state.clone(), m.kind.clone()))
        .collect();
    assert_eq!(
        states,
        [
            ("llama3.2:latest", ModelState::Loaded, ModelType::Llm),
            ("qwen2.5:7b", ModelState::NotLoaded, ModelType::Llm),
            (
                "nomic-embed-text:latest",
                ModelState::NotLoaded,
                ModelType::Embeddings
            ),
        ]
    );
    assert_eq!(models[0].loaded_context_length, Some(4096));

    let show = lm.ollama().show("llama3.2").await.unwrap();
    assert_eq!(show.architecture(), Some("llama"));
    assert_eq!(show.context_length(), Some(131_072));
    assert!(show.capabilities.iter().any(|c| c == "tools"));
    // Loaded: the loaded context; not loaded: the trained one.
    let info = lm.ollama().model_info("llama3.2").await.unwrap();
    assert_eq!(
        (
            info.arch.as_str(),
            info.quant.as_str(),
            info.format.as_str()
        ),
        ("llama", "Q4_K_M", "gguf")
    );
    assert_eq!(info.context_length, Some(4096));
    let info = lm.ollama().model_info("qwen2.5:7b").await.unwrap();
    assert_eq!(
        (info.arch.as_str(), info.context_length),
        ("qwen2", Some(32768))
    );

    let runtime = lm.ollama().runtime().await.unwrap();
    assert_eq!(
        (runtime.name.as_str(), runtime.version.as_str()),
        ("ollama", "0.12.6")
    );

    let embedded = lm
        .ollama()
        .embed(&EmbeddingRequest::many(["a", "b"]))
        .await
        .unwrap();
    assert_eq!(embedded.model, "nomic-embed-text:latest");
    assert_eq!(embedded.embeddings.len(), 2);
    assert_eq!(embedded.embeddings[0].len(), 8);
}

#[tokio::test]
async fn unset_models_resolve_to_a_loaded_then_a_downloaded_model() {
    let ollama = OllamaMock::start().await;
    let lm = client(&ollama.url());
    let answer = lm
        .ollama()
        .chat(&OllamaChatRequest::prompt("hi"))
        .await
        .unwrap();
    assert_eq!(answer.model, "llama3.2:latest");

    let ollama = OllamaMock::builder()
        .models(ModelsCase::NoneLoaded)
        .start()
        .await;
    let model = client(&ollama.url())
        .ollama()
        .resolve_model(Some("default"), false)
        .await
        .unwrap();
    assert_eq!(model, "llama3.2:latest", "the first downloaded text model");

    // A configured default wins.
    let lm = lmstudio_client::Client::builder()
        .base_url(ollama.url())
        .default_model("qwen2.5:7b")
        .build()
        .unwrap();
    assert_eq!(
        lm.ollama().resolve_model(None, false).await.unwrap(),
        "qwen2.5:7b"
    );
}

#[tokio::test]
async fn no_model_at_all_is_no_model_loaded() {
    let ollama = OllamaMock::start().await;
    for route in ["/api/tags", "/api/ps"] {
        Mock::given(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"models": []})))
            .with_priority(1)
            .mount(ollama.server())
            .await;
    }
    let err = client(&ollama.url())
        .ollama()
        .chat(&OllamaChatRequest::prompt("hi"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoModelLoaded { .. }), "{err:?}");
    assert!(err.to_string().contains("ollama pull"), "{err}");
    let status = client(&ollama.url()).ollama().status().await;
    assert!(status.connected && !status.available, "{status:?}");
}

#[tokio::test]
async fn an_unknown_model_is_model_not_found() {
    let ollama = OllamaMock::start().await;
    let lm = client(&ollama.url());
    let err = lm
        .ollama()
        .chat(&OllamaChatRequest::prompt("hi").model("foo"))
        .await
        .unwrap_err();
    let Error::ModelNotFound { model, body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(model, "foo");
    assert_eq!(body, r#"{"error":"model 'foo' not found"}"#);
    assert_eq!(err.status(), Some(404));
    assert!(err.is_request_problem());
    let err = lm.ollama().show("foo").await.unwrap_err();
    assert!(matches!(err, Error::ModelNotFound { .. }), "{err:?}");
    let err = lm
        .ollama()
        .generate_stream(&GenerateRequest::new("x").model("foo:7b"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ModelNotFound { model, .. } if model == "foo:7b"),
        "{err:?}"
    );
}

#[tokio::test]
async fn model_is_required_is_an_invalid_request() {
    // What Ollama itself says to an empty model (the client never sends one: it resolves it).
    let ollama = OllamaMock::start().await;
    let raw = reqwest::Client::new()
        .post(format!("{}/api/chat", ollama.url()))
        .json(&json!({"model": "", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(
        raw.text().await.unwrap().trim(),
        r#"{"error":"model is required"}"#
    );
    // The same answer, classified by the client.
    let body = String::from_utf8(data::load("errors/ollama_model_required.json")).unwrap();
    let ollama = OllamaMock::builder()
        .failure(OllamaFailure::Status { status: 400, body })
        .start()
        .await;
    let err = client(&ollama.url())
        .ollama()
        .chat(&OllamaChatRequest::prompt("hi").model("llama3.2"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { status: 400, message, .. } if message == "model is required"),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_failures_keep_status_and_body() {
    let ollama = OllamaMock::builder()
        .failure(OllamaFailure::Status {
            status: 500,
            body: r#"{"error":"llama runner process has terminated: signal: killed"}"#.into(),
        })
        .start()
        .await;
    let err = client(&ollama.url())
        .ollama()
        .chat(&OllamaChatRequest::prompt("hi").model("llama3.2"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(err.body().unwrap().contains("terminated"), "{err:?}");

    let ollama = OllamaMock::builder()
        .failure(OllamaFailure::Garbage)
        .start()
        .await;
    let err = client(&ollama.url())
        .ollama()
        .generate(&GenerateRequest::new("x").model("llama3.2"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn status_lists_models_and_a_dead_server_is_not_connected() {
    let ollama = OllamaMock::start().await;
    let status = client(&ollama.url()).ollama().status().await;
    assert!(status.connected && status.available, "{status:?}");
    assert_eq!(status.models.len(), 3);
    assert_eq!(
        status.loaded_models().collect::<Vec<_>>(),
        ["llama3.2:latest"]
    );
    let status = client(&unused_local_url()).ollama().status().await;
    assert!(!status.connected && !status.available);
    assert!(status.error.unwrap().contains("unreachable"));
    let err = client(&unused_local_url())
        .ollama()
        .tags()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}
