//! Several model servers at once (issue 10): queries, streams, model lists, status and errors
//! through [`Services`], against the emulated LM Studio, Ollama and a generic OpenAI-compatible
//! server.

use futures_util::StreamExt;
use lmstudio_client::StatsSource;
use mcp_lm_core::{
    ApiVersion, AuditLog, BackendConfig, BackendKind, Config, LmQuery, LmStreamEvent, Services,
};
use serde_json::json;

use fixtures::{LmStudioMock, OllamaFailure, OllamaMock, unused_local_url};

struct Servers {
    lmstudio: LmStudioMock,
    ollama: OllamaMock,
    generic: LmStudioMock,
}

async fn servers() -> Servers {
    Servers {
        lmstudio: LmStudioMock::start().await,
        ollama: OllamaMock::start().await,
        generic: LmStudioMock::builder().openai_only().start().await,
    }
}

fn services(servers: &Servers, default: Option<&str>) -> Services {
    let mut config = Config::default();
    config.lmstudio.host = servers.lmstudio.url();
    config.backends.insert(
        "ollama".into(),
        BackendConfig::new(BackendKind::Ollama).host(servers.ollama.url()),
    );
    config.backends.insert(
        "llamacpp".into(),
        BackendConfig::new(BackendKind::OpenAi).host(format!("{}/v1", servers.generic.url())),
    );
    config.default_backend = default.map(str::to_owned);
    Services::new(config, AuditLog::disabled()).unwrap()
}

fn query(value: serde_json::Value) -> LmQuery {
    LmQuery::from_json(value).unwrap()
}

#[tokio::test]
async fn every_backend_answers_in_the_same_shape() {
    let servers = servers().await;
    let services = services(&servers, None);

    let lmstudio = services
        .lm_query(&query(json!({"prompt": "hi"})))
        .await
        .unwrap();
    assert_eq!(lmstudio.backend, "lmstudio");
    assert_eq!(lmstudio.api_version, ApiVersion::V0);
    assert_eq!(lmstudio.stats.source, StatsSource::Server);

    let ollama = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "ollama", "max_tokens": 32}),
        ))
        .await
        .unwrap();
    assert_eq!(ollama.content, "97 is prime.");
    assert_eq!(ollama.backend, "ollama");
    assert_eq!(ollama.api_version, ApiVersion::Ollama);
    assert_eq!(ollama.model, "llama3.2:latest");
    assert_eq!(ollama.finish_reason.as_deref(), Some("stop"));
    assert_eq!(ollama.usage.completion_tokens, 6);
    assert_eq!(ollama.stats.source, StatsSource::Server);
    assert_eq!(ollama.stats.tokens_per_second, Some(50.0));
    let info = ollama.model_info.unwrap();
    assert_eq!(
        (info.arch.as_str(), info.quant.as_str(), info.context_length),
        ("llama", "Q4_K_M", Some(4096))
    );
    assert_eq!(ollama.runtime.unwrap().name, "ollama");
    let sent: serde_json::Value = servers
        .ollama
        .received_requests()
        .await
        .into_iter()
        .find(|r| r.url.path() == "/api/chat")
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(sent["options"]["num_predict"], 32);

    let generic = services
        .lm_query(&query(json!({"prompt": "hi", "backend": "llamacpp"})))
        .await
        .unwrap();
    assert_eq!(generic.backend, "llamacpp");
    assert_eq!(generic.api_version, ApiVersion::V1);
    assert_eq!(generic.model, "qwen2.5-7b-instruct");
    assert_eq!(generic.stats.source, StatsSource::Measured);
    assert!(generic.model_info.is_none());

    // The same keys whichever backend answered.
    let keys = |answer: &mcp_lm_core::LmAnswer| {
        let value = serde_json::to_value(answer).unwrap();
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.retain(|k| !matches!(k.as_str(), "model_info" | "runtime" | "reasoning"));
        keys.sort();
        keys
    };
    let lmstudio = services
        .lm_query(&query(json!({"prompt": "hi"})))
        .await
        .unwrap();
    let ollama = services
        .lm_query(&query(json!({"prompt": "hi", "backend": "ollama"})))
        .await
        .unwrap();
    assert_eq!(keys(&lmstudio), keys(&ollama));
    assert_eq!(keys(&lmstudio), keys(&generic));
}

#[tokio::test]
async fn the_default_backend_answers_queries_that_name_none() {
    let servers = servers().await;
    let services = services(&servers, Some("ollama"));
    let answer = services
        .lm_query(&query(json!({"prompt": "hi"})))
        .await
        .unwrap();
    assert_eq!(answer.backend, "ollama");
    assert_eq!(services.backends.default_backend().name, "ollama");
    // LM Studio is still there by name.
    let answer = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "lmstudio", "api_version": "v1"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        (answer.backend.as_str(), answer.api_version),
        ("lmstudio", ApiVersion::V1)
    );
}

#[tokio::test]
async fn ollama_streams_end_with_server_stats_and_model_details() {
    let servers = servers().await;
    let services = services(&servers, None);
    let mut events = Box::pin(
        services
            .lm_query_stream(&query(json!({"prompt": "hi", "backend": "ollama"})))
            .await
            .unwrap(),
    );
    let mut content = String::new();
    let mut done = None;
    while let Some(event) = events.next().await {
        match event {
            LmStreamEvent::Delta { content: text, .. } => content.push_str(&text),
            LmStreamEvent::Done(answer) => done = Some(answer),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        content,
        "97 is a prime number: its only divisors are 1 and itself."
    );
    let done = done.unwrap();
    assert_eq!(done.backend, "ollama");
    assert_eq!(done.stats.source, StatsSource::Server);
    assert!(done.stats.measured_time_to_first_token.is_some());
    assert_eq!(done.usage.completion_tokens, 14);
    assert_eq!(done.model_info.unwrap().arch, "llama");
    assert_eq!(done.runtime.unwrap().version, "0.12.6");
}

#[tokio::test]
async fn a_mid_stream_ollama_error_is_an_error_event() {
    let ollama = OllamaMock::builder()
        .failure(OllamaFailure::MidStreamError)
        .start()
        .await;
    let mut config = Config::default();
    config.backends.insert(
        "ollama".into(),
        BackendConfig::new(BackendKind::Ollama).host(ollama.url()),
    );
    let services = Services::new(config, AuditLog::disabled()).unwrap();
    let events: Vec<_> = services
        .lm_query_stream(&query(
            json!({"prompt": "hi", "backend": "ollama", "model": "llama3.2"}),
        ))
        .await
        .unwrap()
        .collect()
        .await;
    let Some(LmStreamEvent::Error { error }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(error.code, "lm_stream_failed");
    assert!(error.message.contains("unexpected EOF"), "{error:?}");
}

#[tokio::test]
async fn errors_name_the_backend_and_its_settings() {
    let servers = servers().await;
    let services = services(&servers, None);
    let err = services
        .lm_query(&query(json!({"prompt": "hi", "backend": "olama"})))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "unknown_backend"));
    assert!(
        err.hint
            .as_deref()
            .unwrap()
            .contains("lmstudio, llamacpp, ollama"),
        "{err:?}"
    );

    let err = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "ollama", "api_version": "v0"}),
        ))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid_request"));
    assert!(err.message.contains("ollama or leave it out"), "{err:?}");
    let err = services
        .lm_query(&query(json!({"prompt": "hi", "api_version": "ollama"})))
        .await
        .unwrap_err();
    assert!(err.message.contains("v0, v1 or native"), "{err:?}");

    let err = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "ollama", "model": "foo"}),
        ))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (404, "model_not_found"));
    assert!(
        err.hint.as_deref().unwrap().contains("ollama pull"),
        "{err:?}"
    );

    let err = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "llamacpp", "model": "foo"}),
        ))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (404, "model_not_found"));
    assert!(
        err.hint.as_deref().unwrap().contains("backend=llamacpp"),
        "{err:?}"
    );

    // Nothing listens where Ollama should be.
    let mut config = Config::default();
    config.backends.insert(
        "ollama".into(),
        BackendConfig::new(BackendKind::Ollama).host(unused_local_url()),
    );
    let services = Services::new(config, AuditLog::disabled()).unwrap();
    let err = services
        .lm_query(&query(
            json!({"prompt": "hi", "backend": "ollama", "model": "llama3.2"}),
        ))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (503, "lm_unreachable"));
    let hint = err.hint.unwrap();
    assert!(
        hint.contains("ollama serve") && hint.contains("backends.ollama.host"),
        "{hint}"
    );
}

#[tokio::test]
async fn model_lists_and_status_cover_every_backend() {
    let servers = servers().await;
    let services = services(&servers, Some("ollama"));
    let report = services.lm_models(None).await.unwrap();
    assert_eq!(report.models.len(), 3, "the default backend's models");
    assert_eq!(report.models[0].id, "llama3.2:latest");
    let names: Vec<_> = report
        .backends
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                b.default,
                b.models.len(),
                b.error.is_none(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("lmstudio", false, 4, true),
            ("llamacpp", false, 4, true),
            ("ollama", true, 3, true)
        ]
    );
    let one = services.lm_models(Some("llamacpp")).await.unwrap();
    assert_eq!(one.backends.len(), 1);
    assert_eq!(one.models.len(), 4);
    let err = services.lm_models(Some("nope")).await.unwrap_err();
    assert_eq!(err.code, "unknown_backend");

    let report = services.status(0).await;
    assert_eq!(report.lm_studio.backend, "ollama");
    assert_eq!(report.lm_studio.kind, BackendKind::Ollama);
    assert_eq!(report.lm_studio.host, servers.ollama.url());
    assert!(report.lm_studio.connected && report.lm_studio.available);
    assert_eq!(report.models.len(), 3);
    assert_eq!(report.backends.len(), 3);
    assert!(report.backends.iter().all(|b| b.connected), "{report:?}");
}

#[tokio::test]
async fn with_only_lm_studio_the_model_list_keeps_its_original_shape() {
    let lm = LmStudioMock::start().await;
    let mut config = Config::default();
    config.lmstudio.host = lm.url();
    let services = Services::new(config, AuditLog::disabled()).unwrap();
    let report = serde_json::to_value(services.lm_models(None).await.unwrap()).unwrap();
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["models", "success"]);
    assert_eq!(report["models"].as_array().unwrap().len(), 4);
    // Named, it says which backend it is.
    let named = services.lm_models(Some("lmstudio")).await.unwrap();
    assert_eq!(named.backends[0].name, "lmstudio");
}

#[tokio::test]
async fn one_dead_backend_does_not_hide_the_others_models() {
    let ollama = OllamaMock::start().await;
    let mut config = Config::default();
    config.lmstudio.host = unused_local_url();
    config.backends.insert(
        "ollama".into(),
        BackendConfig::new(BackendKind::Ollama).host(ollama.url()),
    );
    let services = Services::new(config.clone(), AuditLog::disabled()).unwrap();
    let report = services.lm_models(None).await.unwrap();
    assert!(report.models.is_empty(), "LM Studio (the default) is down");
    assert_eq!(
        report.backends[0].error.as_ref().unwrap().code,
        "lm_unreachable"
    );
    assert_eq!(report.backends[1].models.len(), 3);
    let status = services.status(0).await;
    assert!(!status.lm_studio.connected);
    assert!(status.backends[1].connected);

    // When no backend answers, the default one's failure is the answer.
    config.backends.clear();
    let services = Services::new(config, AuditLog::disabled()).unwrap();
    let err = services.lm_models(None).await.unwrap_err();
    assert_eq!(err.code, "lm_unreachable");
}
