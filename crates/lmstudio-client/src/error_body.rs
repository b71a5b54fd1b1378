//! Turns error answers into [`Error`] variants: LM Studio's, Ollama's plain strings and the
//! OpenAI-style objects of other servers (vLLM, llama.cpp).
//!
//! LM Studio mixes two envelopes: an object `{"error":{"message","type","code","param"}}` and a
//! plain string `{"error":"…"}`, and it answers unknown routes with **200**. So errors are
//! classified by the body's shape and wording, with the status code only as a fallback.

use serde::Deserialize;
use serde_json::Value;

use crate::Error;

/// Bodies kept in errors are cut to this many bytes.
const MAX_BODY: usize = 64 * 1024;

/// Lossy UTF-8 copy of a body, cut at [`MAX_BODY`] on a character boundary.
pub(crate) fn body_text(body: &[u8]) -> String {
    let cut = &body[..body.len().min(MAX_BODY)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Is this (successful-status) body really an error? LM Studio's 200 quirk: a top-level
/// `error` key and none of the keys a real answer has.
pub(crate) fn is_error_envelope(body: &[u8]) -> bool {
    // Fast path: a body without the word cannot be an error envelope.
    if memchr::memmem::find(body, b"\"error\"").is_none() {
        return false;
    }
    #[derive(Deserialize)]
    struct Probe {
        error: Option<serde::de::IgnoredAny>,
        choices: Option<serde::de::IgnoredAny>,
        data: Option<serde::de::IgnoredAny>,
        output: Option<serde::de::IgnoredAny>,
        models: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(body).is_ok_and(|p| {
        p.error.is_some()
            && p.choices.is_none()
            && p.data.is_none()
            && p.output.is_none()
            && p.models.is_none()
    })
}

/// What an error body says, whichever envelope it uses.
#[derive(Debug, Default)]
struct ErrorFields {
    message: String,
    code: Option<String>,
    kind: Option<String>,
}

fn fields(body: &[u8]) -> ErrorFields {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ErrorFields {
            message: body_text(body).trim().to_owned(),
            ..ErrorFields::default()
        };
    };
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match &value["error"] {
        Value::String(message) => ErrorFields {
            message: message.clone(),
            ..ErrorFields::default()
        },
        Value::Object(object) => ErrorFields {
            message: object.get("message").and_then(text).unwrap_or_default(),
            code: object.get("code").and_then(text),
            kind: object.get("type").and_then(text),
        },
        _ => ErrorFields {
            message: value
                .get("message")
                .and_then(text)
                .unwrap_or_else(|| body_text(body)),
            ..ErrorFields::default()
        },
    }
}

/// Classifies an error answer. `requested_model` names the model the request asked for.
pub(crate) fn classify(status: u16, body: &[u8], requested_model: Option<&str>) -> Error {
    let fields = fields(body);
    let message = fields.message;
    let body = body_text(body);
    let code = fields.code.as_deref().unwrap_or_default();

    if let Some((method, path)) = unknown_endpoint(&message) {
        return Error::UnknownEndpoint { method, path, body };
    }
    if status == 401 || code == "invalid_api_key" {
        return Error::Unauthorized {
            status,
            message,
            body,
        };
    }
    if message.starts_with("No models loaded") {
        return Error::NoModelLoaded { body };
    }
    if code == "model_not_found" {
        let model = quoted_model(&message)
            .or_else(|| requested_model.map(str::to_owned))
            .unwrap_or_default();
        let available = listed_models(&message);
        return Error::ModelNotFound {
            model,
            available,
            body,
        };
    }
    if let Some(model) = ollama_missing_model(&message).or_else(|| vllm_missing_model(&message)) {
        return Error::ModelNotFound {
            model,
            available: Vec::new(),
            body,
        };
    }
    if is_context_overflow(&message) {
        return Error::ContextOverflow { message, body };
    }
    if matches!(status, 400 | 422) {
        return Error::InvalidRequest {
            status,
            message,
            body,
        };
    }
    Error::Api { status, body }
}

/// Classifies an error event received in the middle of a stream (`{"error": …}` frame or a
/// native v1 `error` event).
pub(crate) fn stream_error(data: &[u8]) -> Error {
    let fields = fields(data);
    if is_context_overflow(&fields.message) {
        return Error::ContextOverflow {
            message: fields.message,
            body: body_text(data),
        };
    }
    Error::StreamError {
        kind: fields.code.or(fields.kind),
        message: fields.message,
    }
}

/// `Unexpected endpoint or method. (POST /chat/completions)` → `("POST", "/chat/completions")`.
fn unknown_endpoint(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("Unexpected endpoint or method.")?;
    let inner = rest.trim().trim_start_matches('(').trim_end_matches(')');
    let (method, path) = inner.split_once(' ').unwrap_or((inner, ""));
    Some((method.to_owned(), path.to_owned()))
}

fn is_context_overflow(message: &str) -> bool {
    const MARKERS: [&str; 5] = [
        "greater than the context length",
        "context the overflows",
        "Context size has been exceeded",
        "Reached context length",
        "context length of only",
    ];
    MARKERS.iter().any(|marker| message.contains(marker))
}

/// `Model "foo" not found. …` → `foo`.
fn quoted_model(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Model \"")?;
    let end = rest.find("\" not found")?;
    Some(rest[..end].to_owned())
}

/// Ollama's `model 'foo' not found` (older: `model "foo" not found, try pulling it first`)
/// → `foo`.
fn ollama_missing_model(message: &str) -> Option<String> {
    let rest = message.strip_prefix("model ")?;
    let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let rest = &rest[1..];
    let end = rest.find(&format!("{quote} not found"))?;
    Some(rest[..end].to_owned())
}

/// vLLM's `The model \`foo\` does not exist.` → `foo`.
fn vllm_missing_model(message: &str) -> Option<String> {
    let rest = message.strip_prefix("The model `")?;
    let end = rest.find("` does not exist")?;
    Some(rest[..end].to_owned())
}

/// The ids listed after `Your models:` in a `model_not_found` message.
fn listed_models(message: &str) -> Vec<String> {
    message
        .split_once("Your models:")
        .map(|(_, list)| {
            list.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_bodies_are_not_error_envelopes() {
        assert!(!is_error_envelope(br#"{"choices":[],"error":null}"#));
        assert!(!is_error_envelope(
            br#"{"data":[{"id":"x","note":"error"}]}"#
        ));
        assert!(!is_error_envelope(b"not json with \"error\" in it"));
        assert!(is_error_envelope(
            br#"{"error":"Unexpected endpoint or method. (GET /x)"}"#
        ));
        assert!(is_error_envelope(br#"{"error":{"message":"boom"}}"#));
    }

    #[test]
    fn unknown_endpoint_is_parsed_from_the_quirk_message() {
        let e = classify(
            200,
            br#"{"error":"Unexpected endpoint or method. (POST /chat/completions)"}"#,
            None,
        );
        let Error::UnknownEndpoint { method, path, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("POST", "/chat/completions")
        );
    }

    #[test]
    fn model_not_found_lists_the_available_models() {
        let body = br#"{"error":{"message":"Model \"foo\" not found. Please specify a valid model.\n\nYour models:\n\na\nb","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#;
        let Error::ModelNotFound {
            model, available, ..
        } = classify(404, body, Some("bar"))
        else {
            panic!()
        };
        assert_eq!(model, "foo");
        assert_eq!(available, ["a", "b"]);
    }

    #[test]
    fn ollama_plain_string_errors_are_classified() {
        let e = classify(
            404,
            br#"{"error":"model 'foo:latest' not found"}"#,
            Some("foo"),
        );
        assert!(
            matches!(&e, Error::ModelNotFound { model, available, .. } if model == "foo:latest" && available.is_empty()),
            "{e:?}"
        );
        let e = classify(
            404,
            br#"{"error":"model \"llama3\" not found, try pulling it first"}"#,
            None,
        );
        assert!(
            matches!(&e, Error::ModelNotFound { model, .. } if model == "llama3"),
            "{e:?}"
        );
        let e = classify(400, br#"{"error":"model is required"}"#, None);
        assert!(
            matches!(&e, Error::InvalidRequest { status: 400, message, .. } if message == "model is required"),
            "{e:?}"
        );
        assert!(ollama_missing_model("model 'x").is_none());
        let e = classify(
            404,
            br#"{"object":"error","message":"The model `foo` does not exist.","type":"NotFoundError","param":null,"code":404}"#,
            None,
        );
        assert!(
            matches!(&e, Error::ModelNotFound { model, .. } if model == "foo"),
            "{e:?}"
        );
    }

    #[test]
    fn old_and_new_overflow_wordings_are_recognised() {
        for message in [
            "Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens, which is not enough.",
            "Context size has been exceeded.",
            "Reached context length of 4096 tokens with model x that does not currently support mid-generation context overflow",
        ] {
            let body = serde_json::to_vec(&serde_json::json!({ "error": message })).unwrap();
            assert!(
                matches!(classify(400, &body, None), Error::ContextOverflow { .. }),
                "{message}"
            );
        }
    }

    #[test]
    fn non_json_error_bodies_keep_their_text() {
        let e = classify(502, b"<html>Bad gateway</html>", None);
        assert!(matches!(&e, Error::Api { status: 502, body } if body.contains("Bad gateway")));
        let e = classify(400, b"plain words", None);
        assert!(matches!(&e, Error::InvalidRequest { message, .. } if message == "plain words"));
    }

    #[test]
    fn bodies_are_capped() {
        let huge = vec![b'x'; MAX_BODY * 2];
        assert_eq!(body_text(&huge).len(), MAX_BODY);
    }
}
