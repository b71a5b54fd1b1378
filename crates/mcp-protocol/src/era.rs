//! Which era of the protocol a request belongs to, decided per request.
//!
//! Legacy revisions (≤ 2025-11-25) open with `initialize` and keep a session; the modern
//! revision (2026-07-28) is stateless and puts the protocol version and the client's
//! capabilities into every request's `_meta`. One endpoint or pipe serves both: a request is
//! modern when it is `server/discover`, when its `_meta` carries the modern keys, or (HTTP)
//! when its `MCP-Protocol-Version` header names a modern version; anything else, `initialize`
//! included, follows the legacy rules.

use serde_json::Value;

#[cfg(feature = "http")]
use crate::version::is_modern;

/// `_meta` key of the request's protocol version (2026-07-28).
pub(crate) const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key of the client's capabilities (2026-07-28).
pub(crate) const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key of the client's identity (2026-07-28, optional).
pub(crate) const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key of the request's log level (2026-07-28, optional).
pub(crate) const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of the server's identity on results (2026-07-28).
pub(crate) const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// The protocol era a request is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Era {
    /// Revisions 2024-11-05 to 2025-11-25: `initialize` handshake, a session per stdio
    /// process or HTTP `Mcp-Session-Id`, server-to-client requests.
    Legacy,
    /// Revision 2026-07-28: stateless; version, capabilities and log level come with each
    /// request; input from the client arrives through `input_required` round trips.
    Modern,
}

/// The era of one request from its method and params (stdio, or an HTTP body).
pub(crate) fn of_request(method: &str, params: &Value) -> Era {
    if method == "server/discover" || has_modern_meta(params) {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// The era of an HTTP POST from its `MCP-Protocol-Version` header and its body.
#[cfg(feature = "http")]
pub(crate) fn of_http(version_header: Option<&str>, body: &Value) -> Era {
    if version_header.is_some_and(|v| is_modern(v.trim())) {
        return Era::Modern;
    }
    match body.get("method").and_then(Value::as_str) {
        Some(method) => of_request(method, body.get("params").unwrap_or(&Value::Null)),
        None => Era::Legacy,
    }
}

/// True when `params._meta` carries a modern key (even with an unsupported version: the
/// request is then answered with the modern "unsupported version" error).
fn has_modern_meta(params: &Value) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|meta| {
            meta.contains_key(META_PROTOCOL_VERSION) || meta.contains_key(META_CLIENT_CAPABILITIES)
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_are_told_apart_by_method_and_meta() {
        assert_eq!(of_request("initialize", &json!({})), Era::Legacy);
        assert_eq!(of_request("tools/list", &json!({})), Era::Legacy);
        assert_eq!(
            of_request("tools/list", &json!({"_meta":{"progressToken":1}})),
            Era::Legacy
        );
        assert_eq!(of_request("server/discover", &json!({})), Era::Modern);
        assert_eq!(
            of_request(
                "tools/list",
                &json!({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}})
            ),
            Era::Modern
        );
        assert_eq!(
            of_request(
                "initialize",
                &json!({"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}})
            ),
            Era::Modern
        );
    }

    #[cfg(feature = "http")]
    #[test]
    fn http_requests_also_follow_the_version_header() {
        let legacy = json!({"jsonrpc":"2.0","id":1,"method":"tools/list"});
        assert_eq!(of_http(None, &legacy), Era::Legacy);
        assert_eq!(of_http(Some("2025-11-25"), &legacy), Era::Legacy);
        assert_eq!(of_http(Some(" 2026-07-28 "), &legacy), Era::Modern);
        assert_eq!(of_http(Some("2026-07-28"), &json!([legacy])), Era::Modern);
        assert_eq!(of_http(None, &json!([1])), Era::Legacy);
    }
}
