//! Configuration of several model servers (issue 10): `backends`, `default_backend`, their
//! environment variables, and every error a user can make there.

use std::collections::BTreeMap;

use mcp_lm_core::{ApiVersion, BackendKind, Config, ConfigError, ConfigSource, LoadedConfig};
use serde_json::json;

fn load(value: serde_json::Value, env: &[(&str, &str)]) -> Result<LoadedConfig, ConfigError> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_value(value, &env, ConfigSource::Embedded)
}

fn invalid_field(result: Result<LoadedConfig, ConfigError>) -> (String, String) {
    match result {
        Err(ConfigError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn without_backends_there_is_only_lmstudio_and_it_is_the_default() {
    let original = json!({
        "api_token": "VOTRE_TOKEN_SECRET_ICI",
        "lmstudio": {"host": "http://localhost:1234", "model": "default", "api_version": "v0"},
        "terminal": {"timeout": 20},
        "server": {"host": "127.0.0.1", "port": 8080}
    });
    let loaded = load(original, &[]).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = loaded.config;
    let specs = config.backend_specs();
    assert_eq!(specs.len(), 1);
    assert_eq!(
        (specs[0].name.as_str(), specs[0].kind),
        ("lmstudio", BackendKind::LmStudio)
    );
    assert_eq!(config.default_backend_name(), "lmstudio");
    // Written back, the configuration has no new keys.
    let written = serde_json::to_value(&config).unwrap();
    assert!(written.get("backends").is_none() && written.get("default_backend").is_none());
}

#[test]
fn backends_take_their_kinds_defaults() {
    let loaded = load(
        json!({
            "backends": {
                "ollama": {},
                "gpu": {"kind": "ollama", "host": "http://gpu:11434", "model": "qwen2.5:7b", "request_timeout": 60},
                "vllm": {"kind": "openai", "host": "http://gpu:8000/v1", "api_token": "sk-vllm"},
                "studio2": {"kind": "lmstudio", "host": "http://other:1234", "api_version": "native"}
            },
            "default_backend": "gpu"
        }),
        &[],
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = loaded.config;
    assert_eq!(config.default_backend_name(), "gpu");
    let specs = config.backend_specs();
    let summary: Vec<_> = specs
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.kind,
                s.host.as_str(),
                s.model.as_str(),
                s.api_version,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "lmstudio",
                BackendKind::LmStudio,
                "http://localhost:1234",
                "default",
                ApiVersion::V0
            ),
            (
                "gpu",
                BackendKind::Ollama,
                "http://gpu:11434",
                "qwen2.5:7b",
                ApiVersion::Ollama
            ),
            (
                "ollama",
                BackendKind::Ollama,
                "http://localhost:11434",
                "default",
                ApiVersion::Ollama
            ),
            (
                "studio2",
                BackendKind::LmStudio,
                "http://other:1234",
                "default",
                ApiVersion::Native
            ),
            (
                "vllm",
                BackendKind::OpenAi,
                "http://gpu:8000/v1",
                "default",
                ApiVersion::V1
            ),
        ]
    );
    assert_eq!(specs[1].request_timeout, 60);
    assert_eq!(specs[4].api_token.as_deref(), Some("sk-vllm"));
    assert!(!format!("{:?}", specs[4]).contains("sk-vllm"));
}

#[test]
fn environment_variables_define_and_override_backends() {
    let loaded = load(
        json!({"backends": {"ollama": {"model": "llama3.2"}}}),
        &[
            ("MCP_LM_BACKENDS_OLLAMA_HOST", "http://box:11434"),
            ("MCP_LM_BACKENDS_LLAMA_CPP_KIND", "openai"),
            ("MCP_LM_BACKENDS_LLAMA_CPP_HOST", "http://box:8080"),
            ("MCP_LM_BACKENDS_LLAMA_CPP_REQUEST_TIMEOUT", "30"),
            ("MCP_LM_BACKENDS_LLAMA_CPP_API_TOKEN", "123"),
            ("MCP_LM_DEFAULT_BACKEND", "llama_cpp"),
        ],
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = loaded.config;
    assert_eq!(config.default_backend_name(), "llama_cpp");
    let ollama = &config.backends["ollama"];
    assert_eq!(ollama.host.as_deref(), Some("http://box:11434"));
    assert_eq!(ollama.model, "llama3.2", "the file's fields stay");
    let llama = &config.backends["llama_cpp"];
    assert_eq!(llama.kind, Some(BackendKind::OpenAi));
    assert_eq!(llama.request_timeout, 30);
    assert_eq!(llama.api_token.as_deref(), Some("123"));

    let (field, message) = invalid_field(load(
        json!({}),
        &[
            ("MCP_LM_BACKENDS_OLLAMA_REQUEST_TIMEOUT", "soon"),
            ("MCP_LM_BACKENDS_OLLAMA_KIND", "ollama"),
        ],
    ));
    assert_eq!(field, "backends.ollama.request_timeout");
    assert!(
        message.contains("MCP_LM_BACKENDS_OLLAMA_REQUEST_TIMEOUT"),
        "{message}"
    );
}

#[test]
fn unknown_backend_fields_and_variables_are_warned_about_by_name() {
    let loaded = load(
        json!({"backends": {"ollama": {"hots": "x"}}}),
        &[("MCP_LM_BACKENDS_OLLAMA_COLOUR", "blue")],
    )
    .unwrap();
    let warnings = loaded.warnings.join("\n");
    assert!(warnings.contains("backends.ollama.hots"), "{warnings}");
    assert!(
        warnings.contains("MCP_LM_BACKENDS_OLLAMA_COLOUR"),
        "{warnings}"
    );
}

#[test]
fn invalid_backends_name_the_field_and_the_expected_form() {
    let cases = [
        (
            json!({"backends": {"gpu": {"host": "http://gpu:11434"}}}),
            "backends.gpu.kind",
            "\"ollama\"",
        ),
        (
            json!({"backends": {"gpu": {"kind": "tgi"}}}),
            "backends.gpu.kind",
            "unknown variant",
        ),
        (
            json!({"backends": {"vllm": {"kind": "openai"}}}),
            "backends.vllm.host",
            "required for kind openai",
        ),
        (
            json!({"backends": {"ollama": {"host": "localhost:11434"}}}),
            "backends.ollama.host",
            "http://",
        ),
        (
            json!({"backends": {"ollama": {"api_version": "v0"}}}),
            "backends.ollama.api_version",
            "only LM Studio backends",
        ),
        (
            json!({"backends": {"s": {"kind": "lmstudio", "api_version": "ollama"}}}),
            "backends.s.api_version",
            "v0, v1 or native",
        ),
        (
            json!({"backends": {"ollama": {"request_timeout": 0}}}),
            "backends.ollama.request_timeout",
            "greater than 0",
        ),
        (
            json!({"backends": {"lmstudio": {"kind": "lmstudio"}}}),
            "backends.lmstudio",
            "lmstudio section",
        ),
        (
            json!({"backends": {"My Box": {"kind": "ollama"}}}),
            "backends.My Box",
            "lowercase",
        ),
        (
            json!({"backends": {"ollama": {}}, "default_backend": "olama"}),
            "default_backend",
            "lmstudio, ollama",
        ),
        (json!({"default_backend": 3}), "default_backend", "string"),
        (json!({"backends": ["ollama"]}), "backends", "map"),
        (
            json!({"lmstudio": {"api_version": "ollama"}}),
            "lmstudio.api_version",
            "kind \"ollama\"",
        ),
    ];
    for (value, field, expected) in cases {
        let (got_field, message) = invalid_field(load(value.clone(), &[]));
        assert_eq!(got_field, field, "{value}: {message}");
        assert!(message.contains(expected), "{value}: {message}");
    }
}
