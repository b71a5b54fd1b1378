//! What every modern result and error gets: `resultType`, the server's identity in `_meta`,
//! cache hints on cacheable results, and the 2026-07-28 error codes.

use serde_json::{Map, Value};

use crate::{RpcError, Server, era::META_SERVER_INFO};

/// Methods whose results are cacheable lists (`ttlMs`/`cacheScope` from the list hint).
const LISTS: [&str; 5] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
];

impl Server {
    /// Adds `resultType` (`"complete"` unless the result says otherwise), the server's
    /// identity under `_meta["io.modelcontextprotocol/serverInfo"]`, and cache hints.
    pub(crate) fn decorate(&self, method: &str, result: Value) -> Value {
        let Value::Object(mut result) = result else {
            return result;
        };
        let complete = match result.get("resultType") {
            None => {
                result.insert("resultType".to_owned(), Value::from("complete"));
                true
            }
            Some(kind) => kind == "complete",
        };
        let meta = result
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(meta) = meta {
            meta.insert(META_SERVER_INFO.to_owned(), self.inner.info_json.clone());
        }
        if complete {
            if LISTS.contains(&method) {
                self.inner.list_cache.apply(&mut result);
            } else if method == "resources/read" {
                self.inner.read_cache.apply(&mut result);
            }
        }
        Value::Object(result)
    }
}

/// A handler's error in 2026-07-28 terms: resource-not-found moved from `-32002` to `-32602`
/// (keeping `data.uri`).
pub(crate) fn modern_error(mut error: RpcError) -> RpcError {
    if error.code == RpcError::RESOURCE_NOT_FOUND {
        error.code = RpcError::INVALID_PARAMS;
    }
    error
}
