//! `requestState`: what a server needs back on the retry of an `input_required` request,
//! carried by the client. The client is not trusted with it, so the state is signed
//! (HMAC-SHA256 with a per-server key) and bound to the request it was issued for.
//!
//! Token format: `base64url(json payload) "." base64url(tag)`, the tag computed over the
//! first part. The payload is readable by the client (it holds nothing the client did not
//! send or the handler chose to keep); integrity, not secrecy, is what the spec asks for.

use std::{fmt, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::RpcError;

type HmacSha256 = Hmac<Sha256>;

/// The key `requestState` is signed with. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct StateKey {
    mac: HmacSha256,
}

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateKey(***)")
    }
}

/// What a `requestState` carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StatePayload {
    /// Hash of the method, target name and arguments of the request it belongs to.
    #[serde(rename = "b")]
    pub(crate) binding: String,
    /// Issue time, seconds since the Unix epoch.
    #[serde(rename = "t")]
    pub(crate) issued: u64,
    /// Input responses of earlier rounds, by key.
    #[serde(rename = "r", default, skip_serializing_if = "Map::is_empty")]
    pub(crate) responses: Map<String, Value>,
    /// The handler's own state.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<Value>,
}

fn rejected(why: &str) -> RpcError {
    RpcError::invalid_params(format!("invalid requestState: {why}"))
}

impl StateKey {
    /// A key from the operating system's randomness; `None` when it has none to give.
    pub(crate) fn random() -> Option<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        Self::from_bytes(&bytes)
    }

    /// A key from fixed bytes (servers behind a load balancer share one).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        // HMAC takes keys of any length; the error type exists for other MACs.
        HmacSha256::new_from_slice(bytes)
            .ok()
            .map(|mac| Self { mac })
    }

    /// Signs a payload into a token.
    pub(crate) fn seal(&self, payload: &StatePayload) -> String {
        let json = serde_json::to_vec(payload).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{tag}")
    }

    /// Verifies a token and returns its payload.
    ///
    /// # Errors
    /// `-32602` when the token is malformed, its signature does not verify (tampered or
    /// signed by another key), it belongs to another request, or it is older than `max_age`.
    pub(crate) fn open(
        &self,
        token: &str,
        binding: &str,
        now: u64,
        max_age: Duration,
    ) -> Result<StatePayload, RpcError> {
        let (body, tag) = token.split_once('.').ok_or_else(|| rejected("malformed"))?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| rejected("malformed signature"))?;
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&tag)
            .map_err(|_| rejected("integrity check failed (tampered or issued elsewhere)"))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| rejected("malformed"))?;
        let payload: StatePayload =
            serde_json::from_slice(&json).map_err(|_| rejected("malformed"))?;
        if payload.binding != binding {
            return Err(rejected("issued for another request"));
        }
        if now.saturating_sub(payload.issued) > max_age.as_secs() {
            return Err(rejected("expired; start the request again"));
        }
        Ok(payload)
    }
}

/// The binding of a request: a hash of its method, target and arguments, so a state issued
/// for one request cannot be replayed on another.
pub(crate) fn binding(method: &str, target: &str, arguments: &Value) -> String {
    let mut hash = Sha256::new();
    for part in [method, target] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(arguments.to_string().as_bytes());
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn payload() -> StatePayload {
        let mut responses = Map::new();
        responses.insert("step1".into(), json!({"action": "accept"}));
        StatePayload {
            binding: binding("tools/call", "t", &json!({})),
            issued: 1000,
            responses,
            state: Some(json!({"n": 1})),
        }
    }

    #[test]
    fn sealed_states_open_and_tampering_is_detected() {
        let key = StateKey::random().unwrap();
        let token = key.seal(&payload());
        let b = payload().binding;
        assert_eq!(key.open(&token, &b, 1010, HOUR).unwrap(), payload());

        for bad in [
            format!("{token}-TAMPERED"),
            format!("x{token}"),
            token.replace('.', ""),
            String::new(),
            "a.b".to_owned(),
        ] {
            let error = key.open(&bad, &b, 1010, HOUR).unwrap_err();
            assert_eq!(error.code, RpcError::INVALID_PARAMS, "{bad}");
        }
        let other = StateKey::random().unwrap();
        assert!(other.open(&token, &b, 1010, HOUR).is_err(), "another key");
        assert!(
            key.open(&token, "other", 1010, HOUR).is_err(),
            "another request"
        );
        assert!(key.open(&token, &b, 1000 + 3601, HOUR).is_err(), "expired");
        assert!(format!("{key:?}").contains("***"));
    }

    #[test]
    fn bindings_differ_by_method_target_and_arguments() {
        let a = binding("tools/call", "t", &json!({"x": 1}));
        assert_eq!(a, binding("tools/call", "t", &json!({"x": 1})));
        assert_ne!(a, binding("tools/call", "t", &json!({"x": 2})));
        assert_ne!(a, binding("tools/call", "u", &json!({"x": 1})));
        assert_ne!(a, binding("prompts/get", "t", &json!({"x": 1})));
    }
}
