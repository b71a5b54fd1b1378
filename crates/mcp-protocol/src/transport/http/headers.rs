//! The request-metadata headers of 2026-07-28 Streamable HTTP: `MCP-Protocol-Version`,
//! `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-{Name}` headers that tools ask for with
//! `x-mcp-header` in their input schema. They must be present and match the body (after
//! decoding `=?base64?…?=` values); anything else is `-32020` `HeaderMismatch`.

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;

use crate::{RpcError, Server};

const VERSION: &str = "mcp-protocol-version";
const METHOD: &str = "mcp-method";
const NAME: &str = "mcp-name";

/// A header's value, trimmed (optional whitespace is not part of a field value); `Ok(None)`
/// when absent; an error when it holds characters a header value may not.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, RpcError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value.to_str().map(|v| Some(v.trim())).map_err(|_| {
            RpcError::header_mismatch(format!("Header mismatch: {name} holds invalid characters"))
        }),
    }
}

/// A header value with the Base64 sentinel (`=?base64?…?=`) decoded; other values are taken
/// literally.
fn decode(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(STANDARD.decode(encoded).ok()?).ok(),
        None => Some(value.to_owned()),
    }
}

/// Checks that a required header is present and equals `expected`.
fn require(
    headers: &HeaderMap,
    name: &str,
    display: &str,
    expected: &str,
    encoded: bool,
) -> Result<(), RpcError> {
    let Some(raw) = header(headers, name)? else {
        return Err(RpcError::header_mismatch(format!(
            "Header mismatch: the {display} header is required"
        )));
    };
    let value = if encoded {
        decode(raw)
    } else {
        Some(raw.to_owned())
    };
    match value {
        Some(value) if value == expected => Ok(()),
        Some(value) => Err(RpcError::header_mismatch(format!(
            "Header mismatch: {display} header value {value:?} does not match body value {expected:?}"
        ))),
        None => Err(RpcError::header_mismatch(format!(
            "Header mismatch: {display} holds invalid Base64"
        ))),
    }
}

/// Checks the headers of a modern request against its body (`_meta` already read).
///
/// # Errors
/// `-32020` naming the first header that is missing, malformed or different from the body.
pub(super) fn check(
    headers: &HeaderMap,
    method: &str,
    params: &Value,
    version: &str,
    server: &Server,
) -> Result<(), RpcError> {
    require(headers, VERSION, "MCP-Protocol-Version", version, false)?;
    require(headers, METHOD, "Mcp-Method", method, false)?;
    let target = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        _ => None,
    };
    if let Some(Value::String(target)) = target {
        require(headers, NAME, "Mcp-Name", target, true)?;
    }
    if method == "tools/call"
        && let Some(Value::String(name)) = params.get("name")
        && let Some(&index) = server.inner.tool_index.get(name)
    {
        let schema = &server.inner.tools[index].tool.input_schema;
        let arguments = params.get("arguments").unwrap_or(&Value::Null);
        check_params(headers, schema, arguments)?;
    }
    Ok(())
}

/// Checks every `Mcp-Param-{Name}` header the tool's schema asks for (`x-mcp-header` on a
/// property reachable through `properties` only) whose value is in the arguments.
fn check_params(headers: &HeaderMap, schema: &Value, arguments: &Value) -> Result<(), RpcError> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    for (key, property) in properties {
        let value = arguments.get(key).unwrap_or(&Value::Null);
        if let Some(Value::String(suffix)) = property.get("x-mcp-header") {
            check_param(headers, suffix, value)?;
        }
        if property.get("properties").is_some() && value.is_object() {
            check_params(headers, property, value)?;
        }
    }
    Ok(())
}

fn check_param(headers: &HeaderMap, suffix: &str, body: &Value) -> Result<(), RpcError> {
    let name = format!("Mcp-Param-{suffix}");
    let raw = header(headers, &name.to_ascii_lowercase())?;
    if body.is_null() {
        // No value in the body: the header is not expected.
        return Ok(());
    }
    let Some(raw) = raw else {
        return Err(RpcError::header_mismatch(format!(
            "Header mismatch: the {name} header is required (the argument is in the body)"
        )));
    };
    let Some(decoded) = decode(raw) else {
        return Err(RpcError::header_mismatch(format!(
            "Header mismatch: {name} holds invalid Base64"
        )));
    };
    let matches = match body {
        Value::String(text) => decoded == *text,
        Value::Bool(flag) => decoded == if *flag { "true" } else { "false" },
        Value::Number(number) => decoded
            .parse::<f64>()
            .ok()
            .zip(number.as_f64())
            .is_some_and(|(header, body)| (header - body).abs() < f64::EPSILON),
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(RpcError::header_mismatch(format!(
            "Header mismatch: {name} header value {decoded:?} does not match the body"
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use serde_json::json;

    use super::*;
    use crate::{CallToolResult, Tool};

    fn server() -> Server {
        Server::builder("s", "1")
            .tool(
                Tool::new("sql", "Runs SQL").input_schema(json!({"type":"object","properties":{
                    "region":{"type":"string","x-mcp-header":"Region"},
                    "limit":{"type":"integer","x-mcp-header":"Limit"},
                    "dry":{"type":"boolean","x-mcp-header":"Dry"},
                    "query":{"type":"string"}}})),
                |_, _| async { Ok(CallToolResult::text("")) },
            )
            .build()
            .unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[allow(clippy::needless_pass_by_value)] // reads better at the call sites
    fn call(extra: &[(&str, &str)], arguments: Value) -> Result<(), RpcError> {
        let mut pairs = vec![
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "sql"),
        ];
        pairs.extend_from_slice(extra);
        check(
            &headers(&pairs),
            "tools/call",
            &json!({"name":"sql","arguments":arguments}),
            "2026-07-28",
            &server(),
        )
    }

    #[test]
    fn standard_headers_must_be_present_and_match() {
        let ok = headers(&[
            ("mcp-protocol-version", " 2026-07-28 "),
            ("MCP-METHOD", "tools/list"),
        ]);
        assert!(check(&ok, "tools/list", &json!({}), "2026-07-28", &server()).is_ok());
        for (pairs, method) in [
            (vec![("Mcp-Method", "tools/list")], "tools/list"),
            (vec![("MCP-Protocol-Version", "2026-07-28")], "tools/list"),
            (
                vec![
                    ("MCP-Protocol-Version", "2026-07-28"),
                    ("Mcp-Method", "TOOLS/LIST"),
                ],
                "tools/list",
            ),
            (
                vec![
                    ("MCP-Protocol-Version", "2025-11-25"),
                    ("Mcp-Method", "tools/list"),
                ],
                "tools/list",
            ),
        ] {
            let error = check(
                &headers(&pairs),
                method,
                &json!({}),
                "2026-07-28",
                &server(),
            )
            .unwrap_err();
            assert_eq!(error.code, RpcError::HEADER_MISMATCH, "{pairs:?}");
        }
    }

    #[test]
    fn names_may_be_base64_and_must_match() {
        let params = json!({"name": "héllo wörld"});
        let encoded = format!("=?base64?{}?=", STANDARD.encode("héllo wörld"));
        let base = [
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "prompts/get"),
        ];
        let with = |name: &str| {
            let mut pairs = base.to_vec();
            pairs.push(("Mcp-Name", name));
            check(
                &headers(&pairs),
                "prompts/get",
                &params,
                "2026-07-28",
                &server(),
            )
        };
        assert!(with(&encoded).is_ok());
        assert!(
            with("=?base64?aGk=?=").is_err(),
            "decodes to something else"
        );
        assert!(with("=?base64?!!!?=").is_err(), "invalid Base64");
        assert!(
            check(
                &headers(&base),
                "prompts/get",
                &params,
                "2026-07-28",
                &server()
            )
            .is_err(),
            "missing"
        );
    }

    #[test]
    fn tool_parameters_mirrored_into_headers_are_checked() {
        assert!(
            call(&[], json!({"query": "x"})).is_ok(),
            "no annotated value, no header"
        );
        assert!(
            call(
                &[("Mcp-Param-Region", "us-west1")],
                json!({"region": "us-west1"})
            )
            .is_ok()
        );
        assert!(
            call(
                &[("Mcp-Param-Region", "=?base64?SGVsbG8=?=")],
                json!({"region": "Hello"})
            )
            .is_ok()
        );
        assert!(
            call(
                &[("Mcp-Param-Region", "SGVsbG8=")],
                json!({"region": "SGVsbG8="})
            )
            .is_ok(),
            "literal"
        );
        assert!(
            call(
                &[("Mcp-Param-Region", "=?base64?SGVsbG8?=")],
                json!({"region": "Hello"})
            )
            .is_err(),
            "bad padding"
        );
        assert!(call(&[("Mcp-Param-Region", "eu")], json!({"region": "us"})).is_err());
        assert!(
            call(&[], json!({"region": "us"})).is_err(),
            "omitted header"
        );
        assert!(
            call(&[("Mcp-Param-Limit", "42.0")], json!({"limit": 42})).is_ok(),
            "numeric compare"
        );
        assert!(call(&[("Mcp-Param-Dry", "true")], json!({"dry": true})).is_ok());
        assert!(call(&[("Mcp-Param-Dry", "True")], json!({"dry": true})).is_err());
    }
}
