//! JSON-RPC 2.0 as MCP uses it: ids, error objects, and classifying what arrives.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A request id: a string or an integer, echoed back with exactly the same type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A JSON-RPC error object: what goes on the wire, not a Rust error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RpcError {
    /// Error code (see the associated constants).
    pub code: i64,
    /// Short description.
    pub message: String,
    /// Extra information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// Invalid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a valid JSON-RPC message.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method (or a capability the server does not declare).
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid parameters (also: unknown tool or prompt, bad cursor).
    pub const INVALID_PARAMS: i64 = -32602;
    /// Server fault.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Resource not found (protocol revisions up to 2025-11-25; 2026-07-28 uses `-32602`).
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
    /// `HeaderMismatch` (2026-07-28): HTTP headers missing, malformed or not matching the body.
    pub const HEADER_MISMATCH: i64 = -32020;
    /// `MissingRequiredClientCapability` (2026-07-28): the request needs a client capability
    /// the client did not declare.
    pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
    /// `UnsupportedProtocolVersion` (2026-07-28).
    pub const UNSUPPORTED_VERSION: i64 = -32022;

    /// An error with a code and message.
    #[must_use]
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data`.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32700`.
    #[must_use]
    pub fn parse_error(detail: impl fmt::Display) -> Self {
        Self::new(Self::PARSE_ERROR, format!("parse error: {detail}"))
    }

    /// `-32600`.
    #[must_use]
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_REQUEST, message)
    }

    /// `-32601` naming the method.
    #[must_use]
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            Self::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
    }

    /// `-32602`.
    #[must_use]
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_PARAMS, message)
    }

    /// `-32603`.
    #[must_use]
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Self::INTERNAL_ERROR, message)
    }

    /// `-32020` `HeaderMismatch`.
    #[must_use]
    pub fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(Self::HEADER_MISMATCH, message)
    }

    /// `-32021` naming the missing capability in `data.requiredCapabilities`, a
    /// `ClientCapabilities` object such as `{"sampling":{}}`.
    #[must_use]
    pub fn missing_client_capability(capability: &str) -> Self {
        Self::new(
            Self::MISSING_CLIENT_CAPABILITY,
            format!("the client did not declare the {capability} capability this request needs"),
        )
        .with_data(serde_json::json!({ "requiredCapabilities": { capability: {} } }))
    }

    /// `-32022` with `data.supported` and `data.requested`.
    #[must_use]
    pub fn unsupported_version(requested: &str, supported: &[&str]) -> Self {
        Self::new(
            Self::UNSUPPORTED_VERSION,
            format!("Unsupported protocol version: {requested}"),
        )
        .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// One incoming JSON-RPC message, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// Has an id and a method: must be answered.
    Request {
        id: RequestId,
        method: String,
        params: Value,
    },
    /// Has a method and no id: never answered.
    Notification { method: String, params: Value },
    /// A response to a request this side sent.
    Response {
        id: RequestId,
        outcome: Result<Value, RpcError>,
    },
}

/// Why a JSON value is not a valid message; carries the id when it could be read, so the error
/// response can echo it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub(crate) id: Option<RequestId>,
    pub(crate) error: RpcError,
}

impl Incoming {
    /// Classifies one JSON value (not an array).
    pub(crate) fn classify(value: Value) -> Result<Self, Invalid> {
        let Value::Object(mut object) = value else {
            return Err(Invalid {
                id: None,
                error: RpcError::invalid_request("a message must be a JSON object"),
            });
        };
        let id = match object.remove("id") {
            None => None,
            Some(raw) => match serde_json::from_value::<RequestId>(raw) {
                Ok(id) => Some(id),
                Err(_) => {
                    let error = RpcError::invalid_request("id must be a string or an integer");
                    return Err(Invalid { id: None, error });
                }
            },
        };
        let invalid = |id: &Option<RequestId>, message: &str| Invalid {
            id: id.clone(),
            error: RpcError::invalid_request(message.to_owned()),
        };
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(invalid(&id, "jsonrpc must be \"2.0\""));
        }
        if let Some(method) = object.remove("method") {
            let Value::String(method) = method else {
                return Err(invalid(&id, "method must be a string"));
            };
            let params = match object.remove("params") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(params @ Value::Object(_)) => params,
                Some(_) => return Err(invalid(&id, "params must be an object")),
            };
            return Ok(match id {
                Some(id) => Self::Request { id, method, params },
                None => Self::Notification { method, params },
            });
        }
        let Some(id) = id else {
            return Err(invalid(&None, "a message needs a method or an id"));
        };
        match (object.remove("result"), object.remove("error")) {
            (Some(result), None) => Ok(Self::Response {
                id,
                outcome: Ok(result),
            }),
            (None, Some(error)) => match serde_json::from_value::<RpcError>(error) {
                Ok(error) => Ok(Self::Response {
                    id,
                    outcome: Err(error),
                }),
                Err(_) => Err(invalid(&Some(id), "malformed error object")),
            },
            _ => Err(invalid(
                &Some(id),
                "a response needs exactly one of result and error",
            )),
        }
    }
}

/// Serializes a success response.
pub(crate) fn response(id: &RequestId, result: &Value) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        result: &'a Value,
    }
    to_line(&Wire {
        jsonrpc: "2.0",
        id,
        result,
    })
}

/// Serializes an error response (`id: null` when the request's id could not be read).
pub(crate) fn error_response(id: Option<&RequestId>, error: &RpcError) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        jsonrpc: &'static str,
        id: Option<&'a RequestId>,
        error: &'a RpcError,
    }
    to_line(&Wire {
        jsonrpc: "2.0",
        id,
        error,
    })
}

/// Serializes a notification.
pub(crate) fn notification(method: &str, params: &Value) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a Value,
    }
    to_line(&Wire {
        jsonrpc: "2.0",
        method,
        params,
    })
}

/// Serializes a request (server → client).
pub(crate) fn request(id: &RequestId, method: &str, params: &Value) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        method: &'a str,
        params: &'a Value,
    }
    to_line(&Wire {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
}

fn to_line(value: &impl Serialize) -> String {
    // Serializing these wire structs cannot fail: keys are strings, values are JSON already.
    serde_json::to_string(value).unwrap_or_else(|_| {
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"serialization failed"}}"#.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn classify(value: Value) -> Result<Incoming, Invalid> {
        Incoming::classify(value)
    }

    #[test]
    fn requests_notifications_and_responses_are_told_apart() {
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"method":"ping"})),
            Ok(Incoming::Request {
                id: RequestId::Number(1),
                ..
            })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":"a","method":"x","params":{"k":1}})),
            Ok(Incoming::Request {
                id: RequestId::String(_),
                ..
            })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","method":"n"})),
            Ok(Incoming::Notification { .. })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":2,"result":{}})),
            Ok(Incoming::Response { outcome: Ok(_), .. })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"no"}})),
            Ok(Incoming::Response {
                outcome: Err(_),
                ..
            })
        ));
    }

    #[test]
    fn invalid_messages_keep_the_id_when_readable() {
        for (value, id) in [
            (json!([1]), None),
            (json!({"id":1,"method":"x"}), Some(RequestId::Number(1))),
            (
                json!({"jsonrpc":"1.0","id":"k","method":"x"}),
                Some(RequestId::String("k".into())),
            ),
            (json!({"jsonrpc":"2.0","id":null,"method":"x"}), None),
            (json!({"jsonrpc":"2.0","id":1.5,"method":"x"}), None),
            (
                json!({"jsonrpc":"2.0","id":3,"method":7}),
                Some(RequestId::Number(3)),
            ),
            (
                json!({"jsonrpc":"2.0","id":3,"method":"x","params":[1]}),
                Some(RequestId::Number(3)),
            ),
            (json!({"jsonrpc":"2.0"}), None),
            (
                json!({"jsonrpc":"2.0","id":4,"result":1,"error":{"code":1,"message":""}}),
                Some(RequestId::Number(4)),
            ),
        ] {
            let invalid = classify(value.clone()).unwrap_err();
            assert_eq!(invalid.id, id, "{value}");
            assert_eq!(invalid.error.code, RpcError::INVALID_REQUEST, "{value}");
        }
    }

    #[test]
    fn wire_output_echoes_the_id_type() {
        assert_eq!(
            response(&RequestId::String("1".into()), &json!({})),
            r#"{"jsonrpc":"2.0","id":"1","result":{}}"#
        );
        assert_eq!(
            error_response(None, &RpcError::parse_error("eof")),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: eof"}}"#
        );
    }
}
