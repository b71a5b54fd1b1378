//! Shared helpers: a test server and a line-based peer over an in-memory pipe.
#![allow(dead_code, unreachable_pub)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use mcp_protocol::{
    CallToolResult, Content, GetPromptResult, Prompt, PromptMessage, ReadResourceResult, Resource,
    ResourceContents, Server, ServerBuilder, Tool, ToolError,
};
use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};

/// Set when the slow tool's future was dropped before finishing.
pub static SLOW_TOOL_DROPPED: AtomicBool = AtomicBool::new(false);

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        if !self.0.load(Ordering::SeqCst) {
            SLOW_TOOL_DROPPED.store(true, Ordering::SeqCst);
        }
    }
}

/// A builder with a few tools covering success, failure, panic, slowness and validation.
pub fn builder() -> ServerBuilder {
    Server::builder("test-server", "1.2.3")
        .tool(Tool::new("echo", "Echoes text").input_schema(json!({
            "type":"object","properties":{"text":{"type":"string"},"times":{"type":"integer","minimum":1}},
            "required":["text"],"additionalProperties":false
        })), |args: Value, _| async move {
            let times = args["times"].as_u64().unwrap_or(1) as usize;
            Ok(CallToolResult::text(args["text"].as_str().unwrap_or_default().repeat(times)))
        })
        .tool(Tool::new("fails", "Always fails"), |_, _| async { Err(ToolError::new("disk full")) })
        .tool(Tool::new("panics", "Panics"), |_, _| async {
            if true {
                panic!("boom");
            }
            Ok(CallToolResult::text("unreachable"))
        })
        .tool(Tool::new("slow", "Sleeps 10 s"), |_, _| async {
            let done = Arc::new(AtomicBool::new(false));
            let _flag = DropFlag(Arc::clone(&done));
            tokio::time::sleep(Duration::from_secs(10)).await;
            done.store(true, Ordering::SeqCst);
            Ok(CallToolResult::text("slept"))
        })
        .tool(Tool::new("progress", "Reports progress and logs"), |_, cx| async move {
            cx.progress(1.0, Some(2.0), Some("half"));
            cx.progress(1.0, Some(2.0), Some("not increasing: dropped"));
            cx.log(mcp_protocol::LoggingLevel::Debug, json!("debug line"));
            cx.log(mcp_protocol::LoggingLevel::Warning, json!("warning line"));
            cx.progress(2.0, Some(2.0), None);
            Ok(CallToolResult::new(vec![Content::text("done")]))
        })
        .resource(Resource::new("test://a", "a").mime_type("text/plain"), |uri, _| async move {
            Ok(ReadResourceResult::new(ResourceContents::text(uri, "text/plain", "A")))
        })
        .prompt(Prompt::new("greet", "Greets").argument("name", "Who", true), |args, _| async move {
            Ok(GetPromptResult::new(vec![PromptMessage::user(Content::text(format!("Hello {}", args["name"])))]))
        })
}

/// [`builder`] plus tools that ask the client for input and log, for the modern era.
pub fn modern_builder() -> ServerBuilder {
    builder()
        .tool(Tool::new("ask_name", "Asks the user's name"), |_, cx| async move {
            let answer = cx
                .input("name", mcp_protocol::InputRequest::Elicit(json!({"message": "Name?",
                    "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}}})))
                .await?;
            Ok(CallToolResult::text(format!("Hello, {}!", answer["content"]["name"].as_str().unwrap_or("?"))))
        })
        .tool(Tool::new("two_rounds", "Asks twice, keeping state"), |_, cx| async move {
            let kept = cx.request_state();
            cx.set_request_state(json!("round"));
            let first = cx.elicit(json!({"message": "1?", "requestedSchema": {"type": "object"}})).await?;
            let second = cx.create_message(json!({"messages": [], "maxTokens": 1})).await?;
            Ok(CallToolResult::text(format!(
                "{} {} {}",
                first["action"].as_str().unwrap_or_default(),
                second["content"]["text"].as_str().unwrap_or_default(),
                kept.is_some()
            )))
        })
        .tool(Tool::new("logs", "Logs at every level"), |_, cx| async move {
            cx.log(mcp_protocol::LoggingLevel::Debug, json!("debug line"));
            cx.log(mcp_protocol::LoggingLevel::Error, json!("error line"));
            Ok(CallToolResult::text(format!("{:?} {}", cx.era(), cx.protocol_version())))
        })
}

/// The `_meta` of a modern request, with these client capabilities.
#[allow(clippy::needless_pass_by_value)] // reads better at the call sites
pub fn modern_meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "modern-test", "version": "1"}
    })
}

/// `params` with the modern `_meta` (capabilities: elicitation and sampling) added.
pub fn modern(params: Value) -> Value {
    with_meta(
        params,
        modern_meta(json!({"elicitation": {}, "sampling": {}})),
    )
}

/// `params` with `meta` as `_meta`.
pub fn with_meta(mut params: Value, meta: Value) -> Value {
    params["_meta"] = meta;
    params
}

/// The client side of a server served over an in-memory pipe.
pub struct Peer {
    writer: WriteHalf<DuplexStream>,
    reader: Lines<BufReader<ReadHalf<DuplexStream>>>,
    pub task: tokio::task::JoinHandle<Result<(), mcp_protocol::Error>>,
}

impl Peer {
    pub fn start(server: Server) -> Self {
        let (client, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        let task = tokio::spawn(mcp_protocol::serve_io(server, server_read, server_write));
        let (read, writer) = tokio::io::split(client);
        Self {
            writer,
            reader: BufReader::new(read).lines(),
            task,
        }
    }

    pub async fn send_raw(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.unwrap();
        self.writer.write_all(b"\n").await.unwrap();
    }

    pub async fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string()).await;
    }

    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), self.reader.next_line())
            .await
            .expect("no message within 5 s")
            .unwrap()
            .expect("server closed the stream");
        serde_json::from_str(&line).unwrap()
    }

    /// Nothing arrives within `wait`.
    pub async fn silent(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.reader.next_line())
            .await
            .is_err()
    }

    pub async fn request(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        self.recv().await
    }

    pub async fn initialize(&mut self, version: &str) -> Value {
        let answer = self
            .request(json!(0), "initialize", json!({"protocolVersion":version,"capabilities":{},"clientInfo":{"name":"t","version":"0"}}))
            .await;
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
        answer
    }

    pub async fn close(mut self) -> Result<(), mcp_protocol::Error> {
        self.writer.shutdown().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("server did not stop at EOF")
            .unwrap()
    }
}
