//! The server the official MCP conformance suite expects: every fixture tool, resource,
//! template and prompt, with the exact names and payloads the suite checks.
//!
//! ```text
//! cargo run -p mcp-protocol --all-features --example conformance            # stdio
//! cargo run -p mcp-protocol --all-features --example conformance -- --http 127.0.0.1:3000
//! npx -y -p node@22 -p @modelcontextprotocol/conformance@0.2.0-alpha.12 -- \
//!     conformance server --url http://127.0.0.1:3000/mcp --requirements 2025-11-25
//! ```

use std::{collections::HashMap, time::Duration};

use mcp_protocol::{
    CallToolResult, CompleteResult, Content, GetPromptResult, LoggingLevel, Prompt, PromptMessage,
    ReadResourceResult, RequestContext, Resource, ResourceContents, ResourceTemplate, RpcError,
    Server, StreamableHttp, Tool, ToolError,
};
use serde_json::{Value, json};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

type ToolResult = Result<CallToolResult, ToolError>;

fn string_arg(name: &str, description: &str) -> Value {
    json!({"type":"object","properties":{name:{"type":"string","description":description}},"required":[name]})
}

async fn with_logging(_: Value, cx: RequestContext) -> ToolResult {
    cx.log(LoggingLevel::Info, json!("Tool execution started"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    cx.log(LoggingLevel::Info, json!("Tool processing data"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    cx.log(LoggingLevel::Info, json!("Tool execution completed"));
    Ok(CallToolResult::text(
        "Tool with logging executed successfully",
    ))
}

async fn with_progress(_: Value, cx: RequestContext) -> ToolResult {
    for (step, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if step > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cx.progress(
            progress,
            Some(100.0),
            Some(&format!("Completed step {progress} of 100")),
        );
    }
    let token = cx
        .progress_token()
        .map_or_else(|| "no progress token".to_owned(), Value::to_string);
    Ok(CallToolResult::text(format!("Progress completed: {token}")))
}

async fn sampling(args: Value, cx: RequestContext) -> ToolResult {
    let prompt = args["prompt"].as_str().unwrap_or_default();
    let params = json!({"messages":[{"role":"user","content":{"type":"text","text":prompt}}],"maxTokens":100});
    let answer = cx.create_message(params).await?;
    let text = answer["content"]["text"].as_str().unwrap_or_default();
    Ok(CallToolResult::text(format!("LLM response: {text}")))
}

async fn elicitation(args: Value, cx: RequestContext) -> ToolResult {
    let message = args["message"].as_str().unwrap_or_default();
    let schema = json!({"type":"object","properties":{
        "username":{"type":"string","description":"User's response"},
        "email":{"type":"string","description":"User's email address"}},"required":["username","email"]});
    let answer = cx
        .elicit(json!({"message": message, "requestedSchema": schema}))
        .await?;
    Ok(CallToolResult::text(format!(
        "User response: action={}, content={}",
        answer["action"].as_str().unwrap_or_default(),
        answer["content"]
    )))
}

async fn elicit_with(cx: RequestContext, message: &str, schema: Value) -> ToolResult {
    let answer = cx
        .elicit(json!({"message": message, "requestedSchema": schema}))
        .await?;
    Ok(CallToolResult::text(format!(
        "Elicitation completed: action={}, content={}",
        answer["action"].as_str().unwrap_or_default(),
        answer["content"]
    )))
}

async fn sep1034_defaults(_: Value, cx: RequestContext) -> ToolResult {
    let schema = json!({"type":"object","properties":{
        "name":{"type":"string","description":"User name","default":"John Doe"},
        "age":{"type":"integer","description":"User age","default":30},
        "score":{"type":"number","description":"User score","default":95.5},
        "status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},
        "verified":{"type":"boolean","description":"Verification status","default":true}}});
    elicit_with(
        cx,
        "Please review and update the form fields with defaults",
        schema,
    )
    .await
}

async fn sep1330_enums(_: Value, cx: RequestContext) -> ToolResult {
    let schema = json!({"type":"object","properties":{
        "untitledSingle":{"type":"string","description":"Choose one option","enum":["option1","option2","option3"]},
        "titledSingle":{"type":"string","description":"Choose one titled option","oneOf":[
            {"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},
        "legacyEnum":{"type":"string","description":"Choose one (legacy)","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},
        "untitledMulti":{"type":"array","description":"Choose many","items":{"type":"string","enum":["option1","option2","option3"]}},
        "titledMulti":{"type":"array","description":"Choose many titled","items":{"anyOf":[
            {"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}}});
    elicit_with(cx, "Please select options from the enum fields", schema).await
}

fn server() -> Result<Server, mcp_protocol::Error> {
    let fixed = |result: CallToolResult| {
        move |_: Value, _: RequestContext| {
            let result = result.clone();
            async move { Ok(result) }
        }
    };
    let text_resource = |uri: &'static str, text: &'static str| {
        move |_: String, _: RequestContext| async move {
            Ok(ReadResourceResult::new(ResourceContents::text(
                uri,
                "text/plain",
                text,
            )))
        }
    };
    Server::builder("mcp-protocol-conformance", env!("CARGO_PKG_VERSION"))
        .instructions("Fixture server for the MCP conformance suite.")
        .tool(Tool::new("test_simple_text", "Returns a simple text response"),
            fixed(CallToolResult::text("This is a simple text response for testing.")))
        .tool(Tool::new("test_image_content", "Returns an image"),
            fixed(CallToolResult::new(vec![Content::image(PNG, "image/png")])))
        .tool(Tool::new("test_audio_content", "Returns audio"),
            fixed(CallToolResult::new(vec![Content::audio(WAV, "audio/wav")])))
        .tool(Tool::new("test_embedded_resource", "Returns an embedded resource"),
            fixed(CallToolResult::new(vec![Content::resource(ResourceContents::text(
                "test://embedded-resource", "text/plain", "This is an embedded resource content."))])))
        .tool(Tool::new("test_multiple_content_types", "Returns text, an image and a resource"),
            fixed(CallToolResult::new(vec![
                Content::text("Multiple content types test:"),
                Content::image(PNG, "image/png"),
                Content::resource(ResourceContents::text("test://mixed-content-resource", "application/json", r#"{"test":"data","value":123}"#)),
            ])))
        .tool(Tool::new("test_tool_with_logging", "Sends log messages while it runs"), with_logging)
        .tool(Tool::new("test_tool_with_progress", "Reports progress while it runs"), with_progress)
        .tool(Tool::new("test_error_handling", "Always fails"),
            fixed(CallToolResult::error("This tool intentionally returns an error for testing")))
        .tool(Tool::new("test_sampling", "Asks the client's model").input_schema(string_arg("prompt", "The prompt")), sampling)
        .tool(Tool::new("test_elicitation", "Asks the user").input_schema(string_arg("message", "The question")), elicitation)
        .tool(Tool::new("test_elicitation_sep1034_defaults", "Elicitation with default values"), sep1034_defaults)
        .tool(Tool::new("test_elicitation_sep1330_enums", "Elicitation with enum variants"), sep1330_enums)
        .tool(
            Tool::new("json_schema_2020_12_tool", "A tool whose schema uses JSON Schema 2020-12 features").input_schema(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {"address": {"$anchor": "address", "type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"},
                    "contact": {"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "pattern": "^\\+"}]},
                    "kind": {"allOf": [{"type": "string"}, {"minLength": 1}]},
                    "age": {"if": {"type": "integer"}, "then": {"minimum": 0}, "else": {"type": "null"}}
                },
                "additionalProperties": false
            })),
            fixed(CallToolResult::text("JSON Schema 2020-12 tool executed")),
        )
        .resource(
            Resource::new("test://static-text", "static-text").description("A static text resource").mime_type("text/plain"),
            text_resource("test://static-text", "This is the content of the static text resource."),
        )
        .resource(
            Resource::new("test://static-binary", "static-binary").description("A static binary resource").mime_type("image/png"),
            |_, _| async { Ok(ReadResourceResult::new(ResourceContents::blob("test://static-binary", "image/png", PNG))) },
        )
        .resource(
            Resource::new("test://watched-resource", "watched-resource").description("A resource to subscribe to").mime_type("text/plain"),
            text_resource("test://watched-resource", "Watched resource content"),
        )
        .resource_template(
            ResourceTemplate::new("test://template/{id}/data", "template").description("Data by id").mime_type("application/json"),
            |uri, vars: HashMap<String, String>, _| async move {
                let id = vars.get("id").cloned().unwrap_or_default();
                let text = json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")}).to_string();
                Ok(ReadResourceResult::new(ResourceContents::text(uri, "application/json", text)))
            },
        )
        .prompt(Prompt::new("test_simple_prompt", "A prompt without arguments"), |_, _| async {
            Ok(GetPromptResult::new(vec![PromptMessage::user(Content::text("This is a simple prompt for testing."))]))
        })
        .prompt(
            Prompt::new("test_prompt_with_arguments", "A prompt with arguments")
                .argument("arg1", "First test argument", true)
                .argument("arg2", "Second test argument", true),
            |args, _| async move {
                let text = format!("Prompt with arguments: arg1='{}', arg2='{}'", args["arg1"], args["arg2"]);
                Ok(GetPromptResult::new(vec![PromptMessage::user(Content::text(text))]))
            },
        )
        .prompt(
            Prompt::new("test_prompt_with_embedded_resource", "A prompt with an embedded resource")
                .argument("resourceUri", "URI of the resource to embed", true),
            |args, _| async move {
                let uri = args["resourceUri"].clone();
                Ok(GetPromptResult::new(vec![
                    PromptMessage::user(Content::resource(ResourceContents::text(uri, "text/plain", "Embedded resource content for testing."))),
                    PromptMessage::user(Content::text("Please process the embedded resource above.")),
                ]))
            },
        )
        .prompt(Prompt::new("test_prompt_with_image", "A prompt with an image"), |_, _| async {
            Ok(GetPromptResult::new(vec![
                PromptMessage::user(Content::image(PNG, "image/png")),
                PromptMessage::user(Content::text("Please analyze the image above.")),
            ]))
        })
        .completion(|req, _| async move {
            let options = ["paris", "park", "party", "test", "testValue1"];
            let typed = req.argument.value.to_lowercase();
            let values = options.iter().filter(|o| o.to_lowercase().starts_with(&typed)).map(|o| (*o).to_owned()).collect();
            Ok::<_, RpcError>(CompleteResult::values(values))
        })
        .build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = server()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().position(|a| a == "--http") {
        Some(i) => {
            let addr = args.get(i + 1).map_or("127.0.0.1:3000", String::as_str);
            let listener = tokio::net::TcpListener::bind(addr).await?;
            eprintln!(
                "MCP conformance server on http://{}/mcp",
                listener.local_addr()?
            );
            axum::serve(listener, StreamableHttp::new(server).router("/mcp")).await?;
        }
        None => mcp_protocol::serve_stdio(server).await?,
    }
    Ok(())
}
