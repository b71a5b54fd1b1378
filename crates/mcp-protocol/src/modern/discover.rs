//! `server/discover`: the versions, capabilities and instructions of the server, for modern
//! clients (it replaces the `initialize` result).

use serde_json::{Map, Value};

use crate::{RpcError, Server, version::MODERN_VERSIONS};

impl Server {
    /// The `server/discover` result (decorated later with `resultType`, identity and cache
    /// hints like every cacheable modern result).
    pub(crate) fn discover(&self) -> Result<Value, RpcError> {
        let mut result = Map::new();
        result.insert(
            "supportedVersions".to_owned(),
            Value::from(MODERN_VERSIONS.to_vec()),
        );
        // The same capabilities as for legacy clients: resource subscriptions and list
        // changes are delivered on `subscriptions/listen` streams instead of a session.
        let capabilities = serde_json::to_value(self.capabilities())
            .map_err(|e| RpcError::internal(format!("could not serialize capabilities: {e}")))?;
        result.insert("capabilities".to_owned(), capabilities);
        if let Some(instructions) = &self.inner.instructions {
            result.insert(
                "instructions".to_owned(),
                Value::String(instructions.clone()),
            );
        }
        Ok(Value::Object(result))
    }
}
