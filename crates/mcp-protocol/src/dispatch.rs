//! Routing a request to the registered handlers, with the checks the spec asks for: declared
//! capabilities, unknown names, argument validation, pagination.

use std::{collections::HashMap, panic::AssertUnwindSafe, sync::Arc};

use futures_util::FutureExt;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::{
    CallToolResult, CompleteRequest, CompleteResult, InitializeParams, InitializeResult,
    LoggingLevel, RequestContext, RequestId, RpcError, schema_check,
    session::{Session, Sink},
    version::negotiate,
};

fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, RpcError> {
    serde_json::to_value(value)
        .map_err(|e| RpcError::internal(format!("could not serialize the result: {e}")))
}

fn parse<T: DeserializeOwned>(params: Value, method: &str) -> Result<T, RpcError> {
    serde_json::from_value(params)
        .map_err(|e| RpcError::invalid_params(format!("invalid params for {method}: {e}")))
}

fn string_param<'a>(params: &'a Value, name: &str) -> Result<&'a str, RpcError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params(format!("params.{name} must be a string")))
}

fn not_declared(method: &str) -> RpcError {
    RpcError::new(
        RpcError::METHOD_NOT_FOUND,
        format!("method not found: {method} (capability not offered)"),
    )
}

impl Session {
    pub(crate) fn initialize_request(&self, params: &Value) -> Result<Value, RpcError> {
        let params: InitializeParams = parse(params.clone(), "initialize")?;
        let version = negotiate(&params.protocol_version);
        if !self.initialize(version.to_owned(), params.capabilities, params.client_info) {
            return Err(RpcError::invalid_request(
                "the session is already initialized",
            ));
        }
        let inner = &self.server.inner;
        to_value(&InitializeResult {
            protocol_version: version.to_owned(),
            capabilities: self.server.capabilities(),
            server_info: inner.info.clone(),
            instructions: inner.instructions.clone(),
        })
    }

    /// Routes a legacy request (the session is initialized).
    pub(crate) async fn dispatch(
        self: &Arc<Self>,
        id: &RequestId,
        method: &str,
        params: Value,
        sink: &Sink,
        cancel: CancellationToken,
    ) -> Result<Value, RpcError> {
        let cx = self.context(id, &params, sink, cancel);
        self.route(method, params, cx).await
    }

    /// The handler context of a request.
    pub(crate) fn context(
        self: &Arc<Self>,
        id: &RequestId,
        params: &Value,
        sink: &Sink,
        cancel: CancellationToken,
    ) -> RequestContext {
        let progress_token = params
            .get("_meta")
            .and_then(|meta| meta.get("progressToken"))
            .cloned();
        RequestContext::new(
            Arc::clone(self),
            id.clone(),
            progress_token,
            sink.clone(),
            cancel,
        )
    }

    /// Runs the method's handler; the era-specific checks have been done by the caller.
    pub(crate) async fn route(
        &self,
        method: &str,
        params: Value,
        cx: RequestContext,
    ) -> Result<Value, RpcError> {
        let inner = &self.server.inner;
        match method {
            "ping" => Ok(json!({})),
            "tools/list" if !inner.tools.is_empty() => {
                self.page(&params, "tools", inner.tools.iter().map(|t| &t.tool))
            }
            "tools/call" if !inner.tools.is_empty() => self.call_tool(params, cx).await,
            "resources/list" if self.offers_resources() => {
                self.page(&params, "resources", inner.resources.iter().map(|(r, _)| r))
            }
            "resources/templates/list" if self.offers_resources() => self.page(
                &params,
                "resourceTemplates",
                inner.templates.iter().map(|t| &t.template),
            ),
            "resources/read" if self.offers_resources() => self.read_resource(&params, cx).await,
            "resources/subscribe" | "resources/unsubscribe" if self.offers_resources() => {
                let uri = string_param(&params, "uri")?.to_owned();
                let mut subscriptions = self
                    .subscriptions
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if method == "resources/subscribe" {
                    subscriptions.insert(uri);
                } else {
                    subscriptions.remove(&uri);
                }
                Ok(json!({}))
            }
            "prompts/list" if !inner.prompts.is_empty() => {
                self.page(&params, "prompts", inner.prompts.iter().map(|(p, _)| p))
            }
            "prompts/get" if !inner.prompts.is_empty() => self.get_prompt(&params, cx).await,
            "completion/complete" => match &inner.completion {
                Some(handler) => {
                    let request: CompleteRequest = parse(params, method)?;
                    let result: CompleteResult = handler(request, cx).await?;
                    to_value(&result)
                }
                None => Err(not_declared(method)),
            },
            "logging/setLevel" => {
                let level: LoggingLevel = params
                    .get("level")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .ok_or_else(|| RpcError::invalid_params("params.level must be one of debug, info, notice, warning, error, critical, alert, emergency"))?;
                self.set_log_level(level);
                Ok(json!({}))
            }
            "tools/list"
            | "tools/call"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "resources/subscribe"
            | "resources/unsubscribe"
            | "prompts/list"
            | "prompts/get" => Err(not_declared(method)),
            other => Err(RpcError::method_not_found(other)),
        }
    }

    fn offers_resources(&self) -> bool {
        let inner = &self.server.inner;
        !inner.resources.is_empty() || !inner.templates.is_empty()
    }

    /// One page of a list, with an opaque cursor for the next one.
    fn page<'a, T: Serialize + 'a>(
        &self,
        params: &Value,
        key: &str,
        items: impl Iterator<Item = &'a T>,
    ) -> Result<Value, RpcError> {
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(cursor)) => {
                decode_cursor(cursor).ok_or_else(|| RpcError::invalid_params("invalid cursor"))?
            }
            Some(_) => return Err(RpcError::invalid_params("invalid cursor")),
        };
        let size = self.server.inner.page_size;
        let items: Vec<&T> = items.collect();
        if start > items.len() {
            return Err(RpcError::invalid_params("invalid cursor"));
        }
        let end = (start + size).min(items.len());
        let mut result = Map::new();
        result.insert(key.to_owned(), to_value(&items[start..end])?);
        if end < items.len() {
            result.insert(
                "nextCursor".to_owned(),
                Value::String(format!("page:{end}")),
            );
        }
        Ok(Value::Object(result))
    }

    async fn call_tool(&self, params: Value, cx: RequestContext) -> Result<Value, RpcError> {
        let name = string_param(&params, "name")?;
        let inner = &self.server.inner;
        let registered = inner
            .tool_index
            .get(name)
            .map(|&i| &inner.tools[i])
            .ok_or_else(|| RpcError::invalid_params(format!("Unknown tool: {name}")))?;
        let arguments = match params.get("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(args @ Value::Object(_)) => args.clone(),
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "params.arguments must be an object",
                ));
            }
        };
        let problems = schema_check::validate(&registered.tool.input_schema, &arguments);
        if !problems.is_empty() {
            let message = format!(
                "invalid arguments for tool {name}:\n- {}",
                problems.join("\n- ")
            );
            return to_value(&CallToolResult::error(message));
        }
        let call = AssertUnwindSafe((registered.handler)(arguments, cx)).catch_unwind();
        let result = match call.await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => CallToolResult::error(error.message()),
            Err(_) => {
                tracing::error!(tool = name, "tool handler panicked");
                CallToolResult::error(format!(
                    "tool {name} failed unexpectedly (the handler panicked)"
                ))
            }
        };
        to_value(&result)
    }

    async fn read_resource(&self, params: &Value, cx: RequestContext) -> Result<Value, RpcError> {
        let uri = string_param(params, "uri")?.to_owned();
        let inner = &self.server.inner;
        let result = if let Some((_, handler)) = inner.resources.iter().find(|(r, _)| r.uri == uri)
        {
            handler(uri.clone(), cx).await?
        } else if let Some((template, vars)) = inner
            .templates
            .iter()
            .find_map(|t| t.matcher.matches(&uri).map(|vars| (t, vars)))
        {
            (template.handler)(uri.clone(), vars, cx).await?
        } else {
            return Err(resource_not_found(&uri));
        };
        if result.contents.is_empty() {
            return Err(resource_not_found(&uri));
        }
        to_value(&result)
    }

    async fn get_prompt(&self, params: &Value, cx: RequestContext) -> Result<Value, RpcError> {
        let name = string_param(params, "name")?;
        let (prompt, handler) = self
            .server
            .inner
            .prompts
            .iter()
            .find(|(p, _)| p.name == name)
            .ok_or_else(|| RpcError::invalid_params(format!("Unknown prompt: {name}")))?;
        let mut arguments = HashMap::new();
        match params.get("arguments") {
            None | Some(Value::Null) => {}
            Some(Value::Object(given)) => {
                for (key, value) in given {
                    let Value::String(text) = value else {
                        return Err(RpcError::invalid_params(format!(
                            "prompt argument {key} must be a string"
                        )));
                    };
                    arguments.insert(key.clone(), text.clone());
                }
            }
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "params.arguments must be an object",
                ));
            }
        }
        let missing: Vec<&str> = prompt
            .arguments
            .iter()
            .filter(|a| a.required && !arguments.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(RpcError::invalid_params(format!(
                "prompt {name} is missing required arguments: {}",
                missing.join(", ")
            )));
        }
        to_value(&handler(arguments, cx).await?)
    }
}

/// `-32002` with the URI, as revisions up to 2025-11-25 define it.
#[must_use]
pub(crate) fn resource_not_found(uri: &str) -> RpcError {
    RpcError::new(
        RpcError::RESOURCE_NOT_FOUND,
        format!("Resource not found: {uri}"),
    )
    .with_data(json!({ "uri": uri }))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("page:")?.parse().ok()
}
