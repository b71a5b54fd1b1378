//! [`Server`]: what a server offers (tools, resources, templates, prompts, completion) and
//! how it behaves; built once with [`ServerBuilder`], then served by any transport.

use std::{collections::HashMap, fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use serde_json::Value;

use crate::{
    CacheHint, CallToolResult, Change, CompleteRequest, CompleteResult, Error, GetPromptResult,
    Implementation, Prompt, ReadResourceResult, RequestContext, Resource, ResourceTemplate,
    RpcError, Tool, ToolError,
    changes::Changes,
    input_required::StateKey,
    types::lifecycle::{ListChangedCapability, ResourcesCapability, ServerCapabilities},
    uri_template::UriTemplate,
};

/// A boxed, sendable future, as handlers return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(crate) type ToolFn = Arc<
    dyn Fn(Value, RequestContext) -> BoxFuture<Result<CallToolResult, ToolError>> + Send + Sync,
>;
pub(crate) type ResourceFn = Arc<
    dyn Fn(String, RequestContext) -> BoxFuture<Result<ReadResourceResult, RpcError>> + Send + Sync,
>;
pub(crate) type TemplateFn = Arc<
    dyn Fn(
            String,
            HashMap<String, String>,
            RequestContext,
        ) -> BoxFuture<Result<ReadResourceResult, RpcError>>
        + Send
        + Sync,
>;
pub(crate) type PromptFn = Arc<
    dyn Fn(HashMap<String, String>, RequestContext) -> BoxFuture<Result<GetPromptResult, RpcError>>
        + Send
        + Sync,
>;
pub(crate) type CompleteFn = Arc<
    dyn Fn(CompleteRequest, RequestContext) -> BoxFuture<Result<CompleteResult, RpcError>>
        + Send
        + Sync,
>;

pub(crate) struct RegisteredTool {
    pub(crate) tool: Tool,
    pub(crate) handler: ToolFn,
}

pub(crate) struct RegisteredTemplate {
    pub(crate) template: ResourceTemplate,
    pub(crate) matcher: UriTemplate,
    pub(crate) handler: TemplateFn,
}

/// An MCP server definition. Cheap to clone; serve it with
/// [`serve_stdio`](crate::serve_stdio) or [`StreamableHttp`](crate::StreamableHttp).
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<ServerInner>,
}

pub(crate) struct ServerInner {
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) tools: Vec<RegisteredTool>,
    pub(crate) tool_index: HashMap<String, usize>,
    pub(crate) resources: Vec<(Resource, ResourceFn)>,
    pub(crate) templates: Vec<RegisteredTemplate>,
    pub(crate) prompts: Vec<(Prompt, PromptFn)>,
    pub(crate) completion: Option<CompleteFn>,
    pub(crate) page_size: usize,
    pub(crate) max_message_bytes: usize,
    pub(crate) client_request_timeout: Duration,
    /// `info` serialized once: every modern result carries it in `_meta`.
    pub(crate) info_json: Value,
    pub(crate) list_cache: CacheHint,
    pub(crate) read_cache: CacheHint,
    pub(crate) state_key: StateKey,
    pub(crate) state_max_age: Duration,
    /// Declare `listChanged` (the server calls [`Server::notify`] when its lists change).
    pub(crate) list_changed: bool,
    pub(crate) changes: Changes,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.inner.info)
            .field(
                "tools",
                &self
                    .inner
                    .tools
                    .iter()
                    .map(|t| &t.tool.name)
                    .collect::<Vec<_>>(),
            )
            .field("resources", &self.inner.resources.len())
            .field("templates", &self.inner.templates.len())
            .field("prompts", &self.inner.prompts.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A builder for a server called `name`, version `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation::new(name, version),
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
            completion: None,
            page_size: 100,
            max_message_bytes: 4 * 1024 * 1024,
            client_request_timeout: Duration::from_secs(300),
            list_cache: CacheHint::default_list(),
            read_cache: CacheHint::default_read(),
            state_key: None,
            state_max_age: Duration::from_secs(3600),
            list_changed: false,
            problems: Vec::new(),
        }
    }

    /// Who the server says it is.
    #[must_use]
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    /// The registered tools, in registration order.
    pub fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.inner.tools.iter().map(|t| &t.tool)
    }

    /// The largest message a transport accepts, in bytes.
    #[must_use]
    pub fn max_message_bytes(&self) -> usize {
        self.inner.max_message_bytes
    }

    /// Tells listening clients that something changed: legacy sessions (on stdio, and on an
    /// HTTP session's `GET` stream) get list changes when the server declares them (see
    /// [`ServerBuilder::list_changed`]) and updates of resources they subscribed to; modern
    /// `subscriptions/listen` streams get what they asked for. Nobody listening is fine.
    pub fn notify(&self, change: Change) {
        self.inner.changes.send(change);
    }

    /// Capabilities declared from what is registered.
    pub(crate) fn capabilities(&self) -> ServerCapabilities {
        let inner = &self.inner;
        let list_changed = inner.list_changed.then_some(true);
        let lists = || ListChangedCapability { list_changed };
        ServerCapabilities {
            tools: (!inner.tools.is_empty()).then(lists),
            resources: (!inner.resources.is_empty() || !inner.templates.is_empty()).then_some({
                ResourcesCapability {
                    subscribe: Some(true),
                    list_changed,
                }
            }),
            prompts: (!inner.prompts.is_empty()).then(lists),
            logging: Some(serde_json::Map::new()),
            completions: inner.completion.is_some().then(serde_json::Map::new),
        }
    }
}

/// Builder for [`Server`]; [`build`](ServerBuilder::build) reports invalid registrations.
#[must_use]
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: Vec<RegisteredTool>,
    resources: Vec<(Resource, ResourceFn)>,
    templates: Vec<RegisteredTemplate>,
    prompts: Vec<(Prompt, PromptFn)>,
    completion: Option<CompleteFn>,
    page_size: usize,
    max_message_bytes: usize,
    client_request_timeout: Duration,
    list_cache: CacheHint,
    read_cache: CacheHint,
    state_key: Option<Vec<u8>>,
    state_max_age: Duration,
    list_changed: bool,
    problems: Vec<String>,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Instructions sent to the client at initialization and in `server/discover` (hints for
    /// the model).
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.instructions = Some(text.into());
        self
    }

    /// Registers a tool. The handler gets the (already validated) arguments object.
    ///
    /// ```
    /// use mcp_protocol::{CallToolResult, Server, Tool};
    /// let server = Server::builder("demo", "1.0.0")
    ///     .tool(Tool::new("hello", "Says hello"), |_args, _cx| async { Ok(CallToolResult::text("hello")) })
    ///     .build()?;
    /// # Ok::<(), mcp_protocol::Error>(())
    /// ```
    pub fn tool<F, Fut>(mut self, tool: Tool, handler: F) -> Self
    where
        F: Fn(Value, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, ToolError>> + Send + 'static,
    {
        if let Some(problem) = tool_name_problem(&tool.name) {
            self.problems.push(problem);
        }
        if self.tools.iter().any(|t| t.tool.name == tool.name) {
            self.problems
                .push(format!("tool {:?} is registered twice", tool.name));
        }
        if tool.input_schema.get("type").and_then(Value::as_str) != Some("object") {
            self.problems.push(format!(
                "tool {:?}: the input schema's root must have \"type\": \"object\"",
                tool.name
            ));
        }
        let handler: ToolFn = Arc::new(move |args, cx| Box::pin(handler(args, cx)));
        self.tools.push(RegisteredTool { tool, handler });
        self
    }

    /// Registers a resource with a fixed URI.
    pub fn resource<F, Fut>(mut self, resource: Resource, handler: F) -> Self
    where
        F: Fn(String, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, RpcError>> + Send + 'static,
    {
        if self.resources.iter().any(|(r, _)| r.uri == resource.uri) {
            self.problems
                .push(format!("resource {:?} is registered twice", resource.uri));
        }
        let handler: ResourceFn = Arc::new(move |uri, cx| Box::pin(handler(uri, cx)));
        self.resources.push((resource, handler));
        self
    }

    /// Registers a resource template; the handler gets the URI and its template variables.
    pub fn resource_template<F, Fut>(mut self, template: ResourceTemplate, handler: F) -> Self
    where
        F: Fn(String, HashMap<String, String>, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, RpcError>> + Send + 'static,
    {
        let Some(matcher) = UriTemplate::parse(&template.uri_template) else {
            self.problems.push(format!(
                "resource template {:?} has an unclosed '{{'",
                template.uri_template
            ));
            return self;
        };
        let handler: TemplateFn = Arc::new(move |uri, vars, cx| Box::pin(handler(uri, vars, cx)));
        self.templates.push(RegisteredTemplate {
            template,
            matcher,
            handler,
        });
        self
    }

    /// Registers a prompt; required arguments are checked before the handler runs.
    pub fn prompt<F, Fut>(mut self, prompt: Prompt, handler: F) -> Self
    where
        F: Fn(HashMap<String, String>, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, RpcError>> + Send + 'static,
    {
        if self.prompts.iter().any(|(p, _)| p.name == prompt.name) {
            self.problems
                .push(format!("prompt {:?} is registered twice", prompt.name));
        }
        let handler: PromptFn = Arc::new(move |args, cx| Box::pin(handler(args, cx)));
        self.prompts.push((prompt, handler));
        self
    }

    /// Registers the argument completion handler (declares the `completions` capability).
    pub fn completion<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(CompleteRequest, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CompleteResult, RpcError>> + Send + 'static,
    {
        self.completion = Some(Arc::new(move |req, cx| Box::pin(handler(req, cx))));
        self
    }

    /// Items per page of `tools/list`, `resources/list`, `prompts/list`… (default 100).
    pub fn page_size(mut self, items: usize) -> Self {
        self.page_size = items;
        self
    }

    /// Largest accepted message in bytes (default 4 MiB).
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// How long a request to the client (sampling, elicitation, roots) may take (default 5 min).
    pub fn client_request_timeout(mut self, limit: Duration) -> Self {
        self.client_request_timeout = limit;
        self
    }

    /// Cache hint (`ttlMs`, `cacheScope`) of modern `server/discover`, `tools/list`,
    /// `prompts/list`, `resources/list` and `resources/templates/list` results (default
    /// [`CacheHint::default_list`]: 5 minutes, public). Use a private scope when what is
    /// listed depends on who asks.
    pub fn list_cache_hint(mut self, hint: CacheHint) -> Self {
        self.list_cache = hint;
        self
    }

    /// Cache hint of modern `resources/read` results (default [`CacheHint::default_read`]:
    /// `ttlMs: 0`, private).
    pub fn read_cache_hint(mut self, hint: CacheHint) -> Self {
        self.read_cache = hint;
        self
    }

    /// The key that signs `requestState` of modern `input_required` results (HMAC-SHA256),
    /// at least 32 bytes. Default: 32 random bytes per built server, which is right for one
    /// process; servers behind a load balancer, where a retry may reach another instance,
    /// must share a key (keep it secret: whoever has it can forge states).
    pub fn request_state_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.state_key = Some(key.into());
        self
    }

    /// How long a `requestState` stays valid (default 1 hour); an older one is refused with
    /// `-32602` and the client must start the request again.
    pub fn request_state_max_age(mut self, limit: Duration) -> Self {
        self.state_max_age = limit;
        self
    }

    /// Declares `listChanged` on the tools, prompts and resources capabilities: the server
    /// promises to call [`Server::notify`] (or [`RequestContext::notify`]) when a list changes
    /// (default: not declared).
    pub fn list_changed(mut self, declared: bool) -> Self {
        self.list_changed = declared;
        self
    }

    /// Builds the server.
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`] naming every problem: a tool name that is empty, longer
    /// than 64 characters or uses characters other than `A-Z a-z 0-9 _ . -`; duplicates; an
    /// input schema whose root is not an object; an unclosed template; a zero page size; a
    /// request-state key shorter than 32 bytes. [`Error::NoRandomness`] when no key was given
    /// and the operating system has no randomness for one.
    pub fn build(mut self) -> Result<Server, Error> {
        if self.state_key.as_ref().is_some_and(|key| key.len() < 32) {
            self.problems
                .push("request_state_key must be at least 32 bytes".to_owned());
        }
        if self.page_size == 0 {
            self.problems
                .push("page_size must be at least 1".to_owned());
        }
        if self.max_message_bytes < 1024 {
            self.problems
                .push("max_message_bytes must be at least 1024".to_owned());
        }
        if !self.problems.is_empty() {
            return Err(Error::InvalidDefinition {
                problems: self.problems,
            });
        }
        let state_key = match &self.state_key {
            Some(bytes) => StateKey::from_bytes(bytes),
            None => StateKey::random(),
        }
        .ok_or(Error::NoRandomness)?;
        let info_json = serde_json::to_value(&self.info).unwrap_or(Value::Null);
        let tool_index = self
            .tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.tool.name.clone(), i))
            .collect();
        Ok(Server {
            inner: Arc::new(ServerInner {
                info: self.info,
                instructions: self.instructions,
                tools: self.tools,
                tool_index,
                resources: self.resources,
                templates: self.templates,
                prompts: self.prompts,
                completion: self.completion,
                page_size: self.page_size,
                max_message_bytes: self.max_message_bytes,
                client_request_timeout: self.client_request_timeout,
                info_json,
                list_cache: self.list_cache,
                read_cache: self.read_cache,
                state_key,
                state_max_age: self.state_max_age,
                list_changed: self.list_changed,
                changes: Changes::default(),
            }),
        })
    }
}

fn tool_name_problem(name: &str) -> Option<String> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    (name.is_empty() || name.len() > 64 || !valid_chars)
        .then(|| format!("tool name {name:?} must be 1-64 characters of A-Z a-z 0-9 _ . -"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ok(_: Value, _: RequestContext) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::text(""))
    }

    #[test]
    fn invalid_definitions_are_all_reported() {
        let err = Server::builder("s", "1")
            .tool(Tool::new("bad name", "x"), ok)
            .tool(Tool::new("dup", "x"), ok)
            .tool(Tool::new("dup", "x"), ok)
            .tool(Tool::new("x".repeat(65), "x"), ok)
            .tool(
                Tool::new("schema", "x").input_schema(serde_json::json!({"type":"string"})),
                ok,
            )
            .resource_template(ResourceTemplate::new("x://{open", "t"), |_, _, _| async {
                Err(RpcError::internal("unused"))
            })
            .build()
            .unwrap_err();
        let Error::InvalidDefinition { problems } = err else {
            panic!()
        };
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn capabilities_follow_registrations() {
        let bare = Server::builder("s", "1").build().unwrap().capabilities();
        assert!(
            bare.tools.is_none()
                && bare.resources.is_none()
                && bare.prompts.is_none()
                && bare.completions.is_none()
        );
        assert!(bare.logging.is_some());
        let with_tool = Server::builder("s", "1")
            .tool(Tool::new("t", "d"), ok)
            .build()
            .unwrap()
            .capabilities();
        assert!(with_tool.tools.is_some());
    }
}
