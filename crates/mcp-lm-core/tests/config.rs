//! Configuration loading: the original file, extensions, overrides, and every error.

use std::{collections::BTreeMap, path::PathBuf};

use mcp_lm_core::{ApiVersion, Config, ConfigError, ConfigSource};
use serde_json::json;

fn load(
    value: serde_json::Value,
    env: &[(&str, &str)],
) -> Result<mcp_lm_core::LoadedConfig, ConfigError> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_value(value, &env, ConfigSource::Embedded)
}

fn invalid_field(result: Result<mcp_lm_core::LoadedConfig, ConfigError>) -> (String, String) {
    match result {
        Err(ConfigError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_original_config_file_loads_unchanged() {
    let original = json!({
        "api_token": "VOTRE_TOKEN_SECRET_ICI",
        "lmstudio": {"host": "http://localhost:1234", "model": "default", "api_version": "v0"},
        "terminal": {"timeout": 20},
        "server": {"host": "127.0.0.1", "port": 8080}
    });
    let loaded = load(original, &[]).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = loaded.config;
    assert_eq!(config.lmstudio.api_version, ApiVersion::V0);
    assert_eq!(config.terminal.timeout, 20);
    assert_eq!(config.server.port, 8080);
    // The original README's placeholder is refused as a token, with advice.
    let err = config.token().unwrap_err();
    assert!(err.to_string().contains("api_token"), "{err}");
}

#[test]
fn no_file_means_sane_defaults() {
    let config = load(json!({}), &[]).unwrap().config;
    assert_eq!(config.loaded_from, None);
    assert_eq!(config.server.host, "127.0.0.1");
    assert_eq!(config.server.port, 8080);
    assert_eq!(config.lmstudio.host, "http://localhost:1234");
    assert_eq!(config.terminal.max_output_bytes, 1024 * 1024);
    assert!(config.api_token.is_none());
    assert!(config.token().unwrap().is_none());
}

#[test]
fn unknown_fields_and_variables_are_warned_about_by_name() {
    let loaded = load(
        json!({"lmstudio": {"hots": "x"}, "extra": 1, "terminal": {"timeout": 5}}),
        &[("MCP_LM_TERMINAL_TIMEOUTT", "3")],
    )
    .unwrap();
    let warnings = loaded.warnings.join("\n");
    assert!(warnings.contains("lmstudio.hots"), "{warnings}");
    assert!(warnings.contains("extra"), "{warnings}");
    assert!(warnings.contains("MCP_LM_TERMINAL_TIMEOUTT"), "{warnings}");
}

#[test]
fn invalid_values_name_the_field_and_the_expected_form() {
    let cases = [
        (
            json!({"lmstudio": {"api_version": "v2"}}),
            "lmstudio.api_version",
            "v0",
        ),
        (
            json!({"terminal": {"timeout": "twenty"}}),
            "terminal.timeout",
            "whole number",
        ),
        (
            json!({"terminal": {"timeout": 0}}),
            "terminal.timeout",
            "between 1",
        ),
        (
            json!({"terminal": {"timeout": 99999}}),
            "terminal.timeout",
            "max_timeout",
        ),
        (
            json!({"server": {"port": 70000}}),
            "server.port",
            "port number",
        ),
        (
            json!({"server": {"host": "my host"}}),
            "server.host",
            "IP address",
        ),
        (
            json!({"lmstudio": {"host": "localhost:1234"}}),
            "lmstudio.host",
            "http://",
        ),
        (
            json!({"terminal": {"max_output_bytes": 0}}),
            "terminal.max_output_bytes",
            "greater than 0",
        ),
        (json!({"lmstudio": "http://x"}), "lmstudio", "an object"),
        (json!([1]), "(root)", "object"),
    ];
    for (value, field, expected) in cases {
        let (got_field, message) = invalid_field(load(value.clone(), &[]));
        assert_eq!(got_field, field, "{value}");
        assert!(message.contains(expected), "{value}: {message}");
    }
}

#[test]
fn environment_variables_override_fields() {
    let loaded = load(
        json!({"server": {"port": 8080}}),
        &[
            ("MCP_LM_SERVER_PORT", "9090"),
            (
                "MCP_LM_API_TOKEN",
                "12345678901234567890123456789012abcdefgh",
            ),
            ("MCP_LM_LMSTUDIO_API_VERSION", "native"),
            ("MCP_LM_TERMINAL_ENV_ALLOW", "PATH, HOME"),
            ("MCP_LM_LMSTUDIO_API_TOKEN", "123"),
        ],
    )
    .unwrap();
    let config = loaded.config;
    assert_eq!(config.server.port, 9090);
    assert_eq!(config.lmstudio.api_version, ApiVersion::Native);
    assert_eq!(config.terminal.env_allow, ["PATH", "HOME"]);
    assert_eq!(
        config.lmstudio.api_token.as_deref(),
        Some("123"),
        "a numeric-looking token stays a string"
    );
    assert!(config.token().unwrap().is_some());
    let (field, message) = invalid_field(load(json!({}), &[("MCP_LM_SERVER_PORT", "eighty")]));
    assert_eq!(field, "server.port");
    assert!(message.contains("MCP_LM_SERVER_PORT"), "{message}");
}

#[test]
fn files_missing_or_broken_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("mcp-lm-core-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("nope.json");
    assert!(
        matches!(Config::load(Some(&missing)), Err(ConfigError::NotFound { path }) if path == missing)
    );
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"server\": {\"port\": 80,}}").unwrap();
    let err = Config::load(Some(&broken)).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().contains("line 1"), "{err}");
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"terminal": {"timeout": 7}}"#).unwrap();
    let loaded = Config::load(Some(&good)).unwrap();
    assert_eq!(loaded.source, ConfigSource::File(good.clone()));
    assert_eq!(loaded.config.terminal.timeout, 7);
    // Remembered (for the file tools to refuse it), never written back as a setting.
    assert_eq!(loaded.config.loaded_from.as_deref(), Some(good.as_path()));
    let saved = serde_json::to_value(&loaded.config).unwrap();
    assert!(saved.get("loaded_from").is_none(), "{saved}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_path_defaults_and_can_be_disabled() {
    let config = load(json!({"log": {"audit_path": ""}}), &[])
        .unwrap()
        .config;
    assert_eq!(config.audit_path(), None);
    let config = load(json!({"log": {"audit_path": "/tmp/a.jsonl"}}), &[])
        .unwrap()
        .config;
    assert_eq!(config.audit_path(), Some(PathBuf::from("/tmp/a.jsonl")));
}
