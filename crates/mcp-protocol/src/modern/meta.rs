//! The per-request `_meta` of the modern era: protocol version, client capabilities, client
//! identity and log level, validated in the order the spec (and the conformance suite) expects.

use serde_json::{Map, Value};

use crate::{
    ClientCapabilities, Implementation, LoggingLevel, RpcError,
    era::{META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROTOCOL_VERSION},
    version::{MODERN_VERSIONS, is_modern},
};

/// What a modern request says about its client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestMeta {
    /// `io.modelcontextprotocol/protocolVersion` (not yet checked for support).
    pub(crate) version: String,
    /// `io.modelcontextprotocol/clientCapabilities`.
    pub(crate) capabilities: ClientCapabilities,
    /// `io.modelcontextprotocol/clientInfo`, when sent (a SHOULD, never required).
    pub(crate) client_info: Option<Implementation>,
    /// `io.modelcontextprotocol/logLevel`: without it no `notifications/message` is sent.
    pub(crate) log_level: Option<LoggingLevel>,
}

impl RequestMeta {
    /// Reads `params._meta`.
    ///
    /// # Errors
    /// `-32602` when `_meta`, the protocol version or the client capabilities are missing or
    /// malformed, or the log level is not a level.
    pub(crate) fn parse(params: &Value) -> Result<Self, RpcError> {
        let Some(meta) = params.get("_meta").and_then(Value::as_object) else {
            return Err(RpcError::invalid_params(
                "params._meta is required (with io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities)",
            ));
        };
        let Some(version) = meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str) else {
            return Err(missing(META_PROTOCOL_VERSION, "a string"));
        };
        let capabilities = match meta.get(META_CLIENT_CAPABILITIES) {
            Some(value @ Value::Object(_)) => serde_json::from_value(value.clone())
                .map_err(|_| missing(META_CLIENT_CAPABILITIES, "a ClientCapabilities object"))?,
            _ => return Err(missing(META_CLIENT_CAPABILITIES, "an object")),
        };
        // clientInfo is only a SHOULD: a malformed one is ignored rather than refused.
        let client_info = meta
            .get(META_CLIENT_INFO)
            .and_then(|info| serde_json::from_value(info.clone()).ok());
        let log_level = log_level(meta)?;
        Ok(Self {
            version: version.to_owned(),
            capabilities,
            client_info,
            log_level,
        })
    }

    /// Checks that the version is one this crate speaks.
    ///
    /// # Errors
    /// `-32022` with `data.supported` (the modern versions) and `data.requested`.
    pub(crate) fn check_version(&self) -> Result<(), RpcError> {
        if is_modern(&self.version) {
            Ok(())
        } else {
            Err(RpcError::unsupported_version(
                &self.version,
                &MODERN_VERSIONS,
            ))
        }
    }
}

fn missing(key: &str, what: &str) -> RpcError {
    RpcError::invalid_params(format!("params._meta[\"{key}\"] must be {what}"))
}

fn log_level(meta: &Map<String, Value>) -> Result<Option<LoggingLevel>, RpcError> {
    match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => Ok(None),
        Some(level) => serde_json::from_value(level.clone())
            .map(Some)
            .map_err(|_| {
                missing(
                    META_LOG_LEVEL,
                    "one of debug, info, notice, warning, error, critical, alert, emergency",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[allow(clippy::needless_pass_by_value)] // reads better at the call sites
    fn meta(fields: Value) -> Value {
        json!({ "_meta": fields })
    }

    #[test]
    fn complete_meta_is_read() {
        let parsed = RequestMeta::parse(&meta(json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"sampling": {}},
            "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
            "io.modelcontextprotocol/logLevel": "debug"
        })))
        .unwrap();
        assert_eq!(parsed.version, "2026-07-28");
        assert!(parsed.capabilities.sampling.is_some());
        assert_eq!(parsed.client_info.unwrap().name, "c");
        assert_eq!(parsed.log_level, Some(LoggingLevel::Debug));
        assert!(
            RequestMeta::parse(&meta(json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            })))
            .unwrap()
            .check_version()
            .is_ok()
        );
    }

    #[test]
    fn missing_fields_are_invalid_params_and_versions_are_checked_after() {
        for params in [
            json!({}),
            meta(json!({"io.modelcontextprotocol/clientCapabilities": {}})),
            meta(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"})),
            meta(json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": []
            })),
            meta(json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/logLevel": "loud"
            })),
        ] {
            let error = RequestMeta::parse(&params).unwrap_err();
            assert_eq!(error.code, RpcError::INVALID_PARAMS, "{params}");
        }
        let old = RequestMeta::parse(&meta(json!({
            "io.modelcontextprotocol/protocolVersion": "v999.0.0",
            "io.modelcontextprotocol/clientCapabilities": {}
        })))
        .unwrap();
        let error = old.check_version().unwrap_err();
        assert_eq!(error.code, RpcError::UNSUPPORTED_VERSION);
        assert_eq!(
            error.data.unwrap(),
            json!({"supported": ["2026-07-28"], "requested": "v999.0.0"})
        );
    }
}
