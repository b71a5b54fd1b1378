//! Input from the client in the middle of a request: sampling, elicitation, roots.
//!
//! Legacy revisions send these as server-to-client requests on the request's stream. The
//! 2026-07-28 revision (MRTR, multi round-trip requests) has no server-to-client requests:
//! `tools/call`, `prompts/get` and `resources/read` answer `resultType: "input_required"` with
//! the `inputRequests` they need and an opaque `requestState`, and the client retries the
//! same request with `inputResponses` and the echoed `requestState`.
//!
//! Handlers use one API for both, [`RequestContext::input`](crate::RequestContext::input)
//! (and the `create_message`/`elicit`/`list_roots` shorthands). In the modern era a call
//! whose answer is not in the retry's `inputResponses` never returns: the handler is dropped
//! at its next suspension point and the request answers `input_required` with every input
//! asked for by then. On the retry the handler runs again from the start and the same call
//! returns the client's answer at once. Answers of earlier rounds travel, HMAC-signed, inside
//! `requestState`, so a handler that asks in several rounds sees all of them.

mod exchange;
mod state;

use serde_json::{Value, json};

pub(crate) use self::{
    exchange::{InputExchange, Suspended, run_suspendable},
    state::StateKey,
};

/// Something a handler asks the client for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InputRequest {
    /// `elicitation/create` with these params (`message`, `requestedSchema`…): asks the user.
    Elicit(Value),
    /// `sampling/createMessage` with these params (`messages`, `maxTokens`…): asks the
    /// client's model.
    CreateMessage(Value),
    /// `roots/list`: the client's roots.
    ListRoots,
}

impl InputRequest {
    /// The JSON-RPC method the client runs for it.
    #[must_use]
    pub fn method(&self) -> &'static str {
        match self {
            Self::Elicit(_) => "elicitation/create",
            Self::CreateMessage(_) => "sampling/createMessage",
            Self::ListRoots => "roots/list",
        }
    }

    /// The request's params.
    #[must_use]
    pub fn params(&self) -> Value {
        match self {
            Self::Elicit(params) | Self::CreateMessage(params) => params.clone(),
            Self::ListRoots => json!({}),
        }
    }

    /// The client capability it needs (`"elicitation"`, `"sampling"`, `"roots"`).
    #[must_use]
    pub fn capability(&self) -> &'static str {
        match self {
            Self::Elicit(_) => "elicitation",
            Self::CreateMessage(_) => "sampling",
            Self::ListRoots => "roots",
        }
    }

    /// The prefix of the keys chosen for it when the handler names none.
    pub(crate) fn key_prefix(&self) -> &'static str {
        match self {
            Self::Elicit(_) => "elicitation",
            Self::CreateMessage(_) => "sampling",
            Self::ListRoots => "roots",
        }
    }

    /// The wire form inside `inputRequests`.
    pub(crate) fn to_wire(&self) -> Value {
        json!({ "method": self.method(), "params": self.params() })
    }

    /// Does `answer` have the shape of this request's result (`ElicitResult`,
    /// `CreateMessageResult`, `ListRootsResult`)? Input responses come from the client, so
    /// they are checked before a handler sees them.
    pub(crate) fn accepts(&self, answer: &Value) -> bool {
        let Some(answer) = answer.as_object() else {
            return false;
        };
        match self {
            Self::Elicit(_) => answer
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| matches!(a, "accept" | "decline" | "cancel")),
            Self::CreateMessage(_) => {
                answer.get("role").is_some_and(Value::is_string) && answer.contains_key("content")
            }
            Self::ListRoots => answer.get("roots").is_some_and(Value::is_array),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_against_the_request_kind() {
        let elicit = InputRequest::Elicit(json!({"message": "?"}));
        assert!(elicit.accepts(&json!({"action": "accept", "content": {"name": "A"}})));
        assert!(elicit.accepts(&json!({"action": "decline"})));
        assert!(!elicit.accepts(&json!(12345)));
        assert!(!elicit.accepts(&json!({"action": "maybe"})));
        let sample = InputRequest::CreateMessage(json!({}));
        assert!(sample.accepts(
            &json!({"role": "assistant", "content": {"type": "text", "text": "x"}, "model": "m"})
        ));
        assert!(!sample.accepts(&json!({"content": {}})));
        assert!(InputRequest::ListRoots.accepts(&json!({"roots": []})));
        assert!(!InputRequest::ListRoots.accepts(&json!({"roots": {}})));
        assert_eq!(
            InputRequest::ListRoots.to_wire(),
            json!({"method": "roots/list", "params": {}})
        );
    }
}
