//! Every error a user can run into, against the emulated LM Studio.

mod support;

use std::time::{Duration, Instant};

use fixtures::{Failure, LmStudioMock, ModelsCase, unused_local_url};
use lmstudio_client::{ChatRequest, Client, Error};
use support::client;

fn prompt() -> ChatRequest {
    ChatRequest::prompt("hi").model("qwen2.5-7b-instruct")
}

async fn chat_error(lm: &LmStudioMock) -> Error {
    client(&lm.url()).v0().chat(&prompt()).await.unwrap_err()
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let err = client(&unused_local_url())
        .v0()
        .chat(&prompt())
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let lm = LmStudioMock::builder()
        .latency(Duration::from_secs(3))
        .start()
        .await;
    let lm_client = Client::builder()
        .base_url(lm.url())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = lm_client.v0().chat(&prompt()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(200)));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn unknown_model_lists_the_available_ones() {
    let lm = LmStudioMock::start().await;
    let err = client(&lm.url())
        .v0()
        .chat(&ChatRequest::prompt("hi").model("does-not-exist"))
        .await
        .unwrap_err();
    let Error::ModelNotFound {
        model,
        available,
        body,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(model, "does-not-exist");
    assert_eq!(available.len(), 4);
    assert!(body.contains("model_not_found"));
    assert!(err.is_request_problem());
    let lm = LmStudioMock::builder()
        .failure(Failure::ModelNotFound)
        .start()
        .await;
    assert!(matches!(chat_error(&lm).await, Error::ModelNotFound { .. }));
}

#[tokio::test]
async fn context_overflow_with_400_and_with_200() {
    for failure in [Failure::ContextOverflow, Failure::ContextOverflowWith200] {
        let lm = LmStudioMock::builder()
            .failure(failure.clone())
            .start()
            .await;
        let err = chat_error(&lm).await;
        assert!(
            matches!(&err, Error::ContextOverflow { message, .. } if message.contains("n_ctx")),
            "{failure:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn lm_studio_api_token_missing_wrong_and_right() {
    let lm = LmStudioMock::builder()
        .require_api_token("sk-lm-correct")
        .start()
        .await;
    let err = chat_error(&lm).await;
    assert!(
        matches!(&err, Error::Unauthorized { status: 401, message, .. } if message.contains("required")),
        "{err:?}"
    );
    let wrong = Client::builder()
        .base_url(lm.url())
        .api_token("sk-lm-wrong")
        .build()
        .unwrap();
    let err = wrong.v0().chat(&prompt()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { message, .. } if message.contains("Malformed")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("sk-lm-wrong"));
    let right = Client::builder()
        .base_url(lm.url())
        .api_token("sk-lm-correct")
        .build()
        .unwrap();
    assert_eq!(
        right.v0().chat(&prompt()).await.unwrap().content(),
        "97 is prime."
    );
}

#[tokio::test]
async fn unknown_route_answering_200_is_unknown_endpoint() {
    let lm = LmStudioMock::start().await;
    let err = client(&format!("{}/not-lm-studio", lm.url()))
        .v0()
        .chat(&prompt())
        .await
        .unwrap_err();
    let Error::UnknownEndpoint { method, path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(method, "POST");
    assert_eq!(path, "/not-lm-studio/api/v0/chat/completions");
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn rejected_parameters_are_invalid_request() {
    let lm = LmStudioMock::builder()
        .failure(Failure::ResponseFormatRejected)
        .start()
        .await;
    let err = chat_error(&lm).await;
    assert!(
        matches!(&err, Error::InvalidRequest { status: 400, message, .. } if message.contains("json_schema")),
        "{err:?}"
    );
}

#[tokio::test]
async fn garbage_is_a_decode_error_with_the_body() {
    let lm = LmStudioMock::builder()
        .failure(Failure::Garbage)
        .start()
        .await;
    let err = chat_error(&lm).await;
    assert!(
        matches!(&err, Error::Decode { body, .. } if body.contains("garbage")),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_keep_status_and_body() {
    let lm = LmStudioMock::builder()
        .failure(Failure::Status {
            status: 500,
            body: "[Server Error] _0x48eeaf is not iterable".into(),
        })
        .start()
        .await;
    let err = chat_error(&lm).await;
    assert_eq!(err.status(), Some(500));
    assert!(err.body().unwrap().contains("not iterable"));
}

#[tokio::test]
async fn status_reports_connected_available_and_models() {
    let lm = LmStudioMock::start().await;
    let status = client(&lm.url()).status().await;
    assert!(status.connected && status.available, "{status:?}");
    assert_eq!(status.models.len(), 4);
    assert_eq!(
        status.loaded_models().collect::<Vec<_>>(),
        ["qwen2.5-7b-instruct"]
    );
    assert!(status.error.is_none());
    client(&lm.url()).health().await.unwrap();

    let lm = LmStudioMock::builder()
        .models(ModelsCase::NoneLoaded)
        .start()
        .await;
    let status = client(&lm.url()).status().await;
    assert!(status.connected && !status.available);
    assert!(status.error.unwrap().contains("no model is loaded"));
}

#[tokio::test]
async fn a_dead_server_is_known_in_under_a_second() {
    // Refused connection.
    let started = Instant::now();
    let status = client(&unused_local_url()).status().await;
    assert!(!status.connected);
    assert!(started.elapsed() < Duration::from_secs(1));

    // A server that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let started = Instant::now();
    let status = client(&url).status().await;
    assert!(!status.connected, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let err = client(&url).health().await.unwrap_err();
    assert!(err.is_timeout());
    drop(listener);
}

#[tokio::test]
async fn status_behind_token_is_connected_but_unavailable() {
    let lm = LmStudioMock::builder()
        .require_api_token("sk-lm-correct")
        .start()
        .await;
    let status = client(&lm.url()).status().await;
    assert!(status.connected && !status.available);
    assert!(status.error.unwrap().contains("token"));
}
