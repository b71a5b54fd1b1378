#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without a transport feature the crate offers the types and the builder only; the session
// machinery that the transports drive is then compiled but unused.
#![cfg_attr(not(any(feature = "stdio", feature = "http")), allow(dead_code))]

mod cache;
mod changes;
mod context;
mod dispatch;
mod era;
mod error;
mod input_required;
mod jsonrpc;
mod modern;
mod schema_check;
mod server;
mod session;
mod transport;
mod types;
mod uri_template;
mod version;

pub use cache::{CacheHint, CacheScope};
pub use changes::Change;
pub use context::RequestContext;
pub use era::Era;
pub use error::{Error, ToolError};
pub use input_required::InputRequest;
pub use jsonrpc::{RequestId, RpcError};
pub use server::{BoxFuture, Server, ServerBuilder};
#[cfg(feature = "http")]
pub use transport::http::{HttpConfig, StreamableHttp};
#[cfg(feature = "stdio")]
pub use transport::stdio::{serve_io, serve_stdio};
pub use types::{
    completion::{
        CompleteRequest, CompleteResult, Completion, CompletionArgument, CompletionContext,
        CompletionReference, LoggingLevel,
    },
    content::{Annotations, Content, ResourceContents, Role},
    lifecycle::{
        ClientCapabilities, Implementation, InitializeParams, InitializeResult,
        ListChangedCapability, ResourcesCapability, ServerCapabilities,
    },
    prompts::{GetPromptResult, Prompt, PromptArgument, PromptMessage},
    resources::{ReadResourceResult, Resource, ResourceTemplate},
    tools::{CallToolResult, Tool, ToolAnnotations},
};
pub use version::{
    LATEST_VERSION, MODERN_VERSIONS, SUPPORTED_VERSIONS, is_modern, is_supported, negotiate,
};

/// "Resource not found" with the URI in `data`, for resource handlers: `-32002` in the
/// legacy era; modern requests get `-32602` (the code 2026-07-28 moved it to).
#[must_use]
pub fn resource_not_found(uri: &str) -> RpcError {
    dispatch::resource_not_found(uri)
}
