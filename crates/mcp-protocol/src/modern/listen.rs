//! `subscriptions/listen` (2026-07-28): a long-lived answer carrying the change notifications
//! the client opted in to. It starts with `notifications/subscriptions/acknowledged` naming
//! the subset the server honours; every notification carries the listen request's id as
//! `_meta["io.modelcontextprotocol/subscriptionId"]`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::{
    RequestId, RpcError, Server,
    changes::{Change, next_change},
    jsonrpc,
};

const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// The notification types a listen stream carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    tools: bool,
    prompts: bool,
    resources: bool,
    uris: BTreeSet<String>,
}

impl Filter {
    /// Reads `params.notifications`.
    ///
    /// # Errors
    /// `-32602` when it is missing or malformed.
    fn parse(params: &Value) -> Result<Self, RpcError> {
        let Some(wanted) = params.get("notifications").and_then(Value::as_object) else {
            return Err(RpcError::invalid_params(
                "params.notifications must be an object (the notification types to receive)",
            ));
        };
        let flag = |key: &str| match wanted.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(_) => Err(RpcError::invalid_params(format!(
                "params.notifications.{key} must be a boolean"
            ))),
        };
        let uris = match wanted.get("resourceSubscriptions") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(Value::Array(uris)) => uris
                .iter()
                .map(|uri| uri.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    RpcError::invalid_params(
                        "params.notifications.resourceSubscriptions must be strings",
                    )
                })?,
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "params.notifications.resourceSubscriptions must be an array of URIs",
                ));
            }
        };
        Ok(Self {
            tools: flag("toolsListChanged")?,
            prompts: flag("promptsListChanged")?,
            resources: flag("resourcesListChanged")?,
            uris,
        })
    }

    /// What of it this server honours: list changes it declares, updates of its resources.
    fn honoured(mut self, server: &Server) -> Self {
        let inner = &server.inner;
        let lists = inner.list_changed;
        self.tools &= lists && !inner.tools.is_empty();
        self.prompts &= lists && !inner.prompts.is_empty();
        let resources = !inner.resources.is_empty() || !inner.templates.is_empty();
        self.resources &= lists && resources;
        if !resources {
            self.uris.clear();
        }
        self
    }

    fn to_wire(&self) -> Value {
        let mut wire = Map::new();
        for (key, on) in [
            ("toolsListChanged", self.tools),
            ("promptsListChanged", self.prompts),
            ("resourcesListChanged", self.resources),
        ] {
            if on {
                wire.insert(key.to_owned(), Value::Bool(true));
            }
        }
        if !self.uris.is_empty() {
            wire.insert("resourceSubscriptions".to_owned(), json!(self.uris));
        }
        Value::Object(wire)
    }

    fn wants(&self, change: &Change) -> bool {
        match change {
            Change::ToolsListChanged => self.tools,
            Change::PromptsListChanged => self.prompts,
            Change::ResourcesListChanged => self.resources,
            Change::ResourceUpdated { uri } => self.uris.contains(uri),
        }
    }
}

/// One open `subscriptions/listen` stream.
#[derive(Debug)]
pub(crate) struct Listen {
    id: RequestId,
    filter: Filter,
    receiver: broadcast::Receiver<Change>,
}

impl Listen {
    /// Opens a listen stream; returns it with its acknowledgement (the first message).
    ///
    /// # Errors
    /// `-32602` for malformed `params.notifications`.
    pub(crate) fn open(
        server: &Server,
        id: &RequestId,
        params: &Value,
    ) -> Result<(Self, String), RpcError> {
        let filter = Filter::parse(params)?.honoured(server);
        // Subscribe before acknowledging: nothing after the acknowledgement is missed.
        let receiver = server.inner.changes.subscribe();
        let ack = jsonrpc::notification(
            "notifications/subscriptions/acknowledged",
            &json!({ "_meta": { SUBSCRIPTION_ID: id }, "notifications": filter.to_wire() }),
        );
        let listen = Self {
            id: id.clone(),
            filter,
            receiver,
        };
        Ok((listen, ack))
    }

    /// The next notification for this stream; `None` when the server is gone.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub(crate) async fn next_line(&mut self) -> Option<String> {
        loop {
            let change = next_change(&mut self.receiver).await?;
            if self.filter.wants(&change) {
                let mut params = change.params();
                params["_meta"] = json!({ SUBSCRIPTION_ID: self.id });
                return Some(jsonrpc::notification(change.method(), &params));
            }
        }
    }

    /// The response that ends the stream gracefully (the server is going away).
    #[cfg(feature = "http")]
    pub(crate) fn closing_line(&self, server: &Server) -> String {
        let result = json!({ "_meta": { SUBSCRIPTION_ID: self.id } });
        jsonrpc::response(&self.id, &server.decorate("subscriptions/listen", result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallToolResult, Tool};

    fn server(list_changed: bool) -> Server {
        Server::builder("s", "1")
            .list_changed(list_changed)
            .tool(Tool::new("t", "d"), |_, _| async {
                Ok(CallToolResult::text(""))
            })
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_stream_is_acknowledged_then_carries_only_what_was_asked() {
        let server = server(true);
        let id = RequestId::Number(7);
        let params = json!({"notifications": {"toolsListChanged": true, "promptsListChanged": true, "resourceSubscriptions": ["x://a"]}});
        let (mut listen, ack) = Listen::open(&server, &id, &params).unwrap();
        let ack: Value = serde_json::from_str(&ack).unwrap();
        assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
        assert_eq!(ack["params"]["_meta"][SUBSCRIPTION_ID], 7);
        assert_eq!(
            ack["params"]["notifications"],
            json!({"toolsListChanged": true}),
            "no prompts, no resources on this server"
        );
        server.notify(Change::PromptsListChanged);
        server.notify(Change::ToolsListChanged);
        let line: Value = serde_json::from_str(&listen.next_line().await.unwrap()).unwrap();
        assert_eq!(line["method"], "notifications/tools/list_changed");
        assert_eq!(line["params"]["_meta"][SUBSCRIPTION_ID], 7);
    }

    #[test]
    fn list_changes_need_the_declaration_and_filters_are_checked() {
        let (_, ack) = Listen::open(
            &server(false),
            &RequestId::Number(1),
            &json!({"notifications": {"toolsListChanged": true}}),
        )
        .unwrap();
        assert!(ack.contains(r#""notifications":{}"#), "{ack}");
        for params in [
            json!({}),
            json!({"notifications": {"toolsListChanged": "yes"}}),
            json!({"notifications": {"resourceSubscriptions": "x://a"}}),
        ] {
            let error = Listen::open(&server(true), &RequestId::Number(1), &params).unwrap_err();
            assert_eq!(error.code, RpcError::INVALID_PARAMS, "{params}");
        }
    }
}
