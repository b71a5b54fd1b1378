//! The server the official MCP conformance suite expects: every fixture tool, resource,
//! template and prompt, with the exact names and payloads the suite checks, for both protocol
//! eras at once (legacy `initialize` sessions and stateless 2026-07-28 requests). The same
//! handlers serve both: the `test_input_required_result_*` tools ask for input with
//! `RequestContext::input`, which is a server-to-client request in the legacy era and an
//! `input_required` round trip in the modern one.
//!
//! ```text
//! cargo run -p mcp-protocol --all-features --example conformance            # stdio
//! cargo run -p mcp-protocol --all-features --example conformance -- --http 127.0.0.1:3000
//! npx -y -p node@22 -p @modelcontextprotocol/conformance@0.2.0-alpha.12 -- \
//!     conformance server --url http://127.0.0.1:3000/mcp --requirements 2025-11-25
//! # the same with --requirements 2026-07-28
//! ```

use std::{collections::HashMap, time::Duration};

use mcp_protocol::{
    CallToolResult, Change, CompleteResult, Content, Era, GetPromptResult, InputRequest,
    LoggingLevel, Prompt, PromptMessage, ReadResourceResult, RequestContext, Resource,
    ResourceContents, ResourceTemplate, RpcError, Server, ServerBuilder, StreamableHttp, Tool,
    ToolError,
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

/// An elicitation of one string field.
fn ask_string(message: &str, field: &str) -> InputRequest {
    InputRequest::Elicit(json!({"message": message, "requestedSchema": {
        "type": "object", "properties": {field: {"type": "string"}}, "required": [field]}}))
}

fn ask_sampling(prompt: &str, max_tokens: u32) -> InputRequest {
    InputRequest::CreateMessage(json!({
        "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
        "maxTokens": max_tokens}))
}

fn confirm() -> InputRequest {
    InputRequest::Elicit(json!({"message": "Please confirm", "requestedSchema": {
        "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}))
}

fn field(answer: &Value, name: &str) -> String {
    match &answer["content"][name] {
        Value::String(text) => text.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

fn sampled_text(answer: &Value) -> String {
    answer["content"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn roots_summary(answer: &Value) -> String {
    let roots: Vec<&str> = answer["roots"]
        .as_array()
        .map(|roots| roots.iter().filter_map(|r| r["uri"].as_str()).collect())
        .unwrap_or_default();
    format!("{} root(s): {}", roots.len(), roots.join(", "))
}

async fn mrtr_elicitation(_: Value, cx: RequestContext) -> ToolResult {
    let answer = cx
        .input("user_name", ask_string("What is your name?", "name"))
        .await?;
    Ok(CallToolResult::text(format!(
        "Hello, {}!",
        field(&answer, "name")
    )))
}

async fn mrtr_sampling(_: Value, cx: RequestContext) -> ToolResult {
    let answer = cx
        .input(
            "capital_question",
            ask_sampling("What is the capital of France?", 100),
        )
        .await?;
    Ok(CallToolResult::text(format!(
        "The model said: {}",
        sampled_text(&answer)
    )))
}

async fn mrtr_list_roots(_: Value, cx: RequestContext) -> ToolResult {
    let answer = cx.input("client_roots", InputRequest::ListRoots).await?;
    Ok(CallToolResult::text(format!(
        "The client has {}",
        roots_summary(&answer)
    )))
}

async fn mrtr_request_state(_: Value, cx: RequestContext) -> ToolResult {
    // What this handler kept in the previous round comes back verified.
    let kept = cx.request_state();
    cx.set_request_state(json!({"awaiting": "confirm"}));
    let answer = cx.input("confirm", confirm()).await?;
    let state_ok = cx.era() == Era::Legacy || kept == Some(json!({"awaiting": "confirm"}));
    let verdict = if state_ok {
        "state-ok"
    } else {
        "state-missing"
    };
    Ok(CallToolResult::text(format!(
        "{verdict}: ok={}",
        field(&answer, "ok")
    )))
}

async fn mrtr_multiple_inputs(_: Value, cx: RequestContext) -> ToolResult {
    // Asked together: one `input_required` round carries all three.
    let (name, greeting, roots) = tokio::join!(
        cx.input("user_name", ask_string("What is your name?", "name")),
        cx.input("greeting", ask_sampling("Generate a greeting", 50)),
        cx.input("client_roots", InputRequest::ListRoots),
    );
    let (name, greeting, roots) = (name?, greeting?, roots?);
    Ok(CallToolResult::text(format!(
        "{} {}; the client has {}",
        sampled_text(&greeting),
        field(&name, "name"),
        roots_summary(&roots)
    )))
}

async fn mrtr_multi_round(_: Value, cx: RequestContext) -> ToolResult {
    // Asked one after the other: two rounds; the first answer travels in requestState.
    let name = cx
        .input("step1", ask_string("Step 1: What is your name?", "name"))
        .await?;
    let color = cx
        .input(
            "step2",
            ask_string("Step 2: What is your favorite color?", "color"),
        )
        .await?;
    Ok(CallToolResult::text(format!(
        "Hello {}, your favorite color is {}",
        field(&name, "name"),
        field(&color, "color")
    )))
}

async fn mrtr_tampered_state(_: Value, cx: RequestContext) -> ToolResult {
    let answer = cx.input("confirm", confirm()).await?;
    Ok(CallToolResult::text(format!(
        "State verified: ok={}",
        field(&answer, "ok")
    )))
}

async fn mrtr_capabilities(_: Value, cx: RequestContext) -> ToolResult {
    // Only ask for what the client declared it can answer.
    let declared = cx.client_capabilities();
    let mut asked = Vec::new();
    if declared.sampling.is_some() {
        asked.push((
            "sampling",
            cx.input(
                "capital_question",
                ask_sampling("What is the capital of France?", 100),
            ),
        ));
    }
    if declared.elicitation.is_some() {
        asked.push((
            "elicitation",
            cx.input("user_name", ask_string("What is your name?", "name")),
        ));
    }
    if declared.roots.is_some() {
        asked.push(("roots", cx.input("client_roots", InputRequest::ListRoots)));
    }
    let (kinds, futures): (Vec<_>, Vec<_>) = asked.into_iter().unzip();
    for answer in futures_util::future::join_all(futures).await {
        answer?;
    }
    Ok(CallToolResult::text(format!(
        "Answered: [{}]",
        kinds.join(", ")
    )))
}

async fn missing_capability(_: Value, cx: RequestContext) -> ToolResult {
    if cx.client_capabilities().sampling.is_none() {
        // Needs sampling: modern requests fail with -32021, legacy ones get an error result.
        cx.create_message(json!({"messages": [], "maxTokens": 1}))
            .await?;
    }
    Ok(CallToolResult::text("Success"))
}

async fn streaming_elicitation(_: Value, cx: RequestContext) -> ToolResult {
    let answer = cx
        .elicit(json!({"message": "Anything to add?", "requestedSchema": {
        "type": "object", "properties": {"note": {"type": "string"}}}}))
        .await?;
    Ok(CallToolResult::text(format!(
        "Note: {}",
        field(&answer, "note")
    )))
}

async fn header_param(args: Value, _: RequestContext) -> ToolResult {
    Ok(CallToolResult::text(format!(
        "Region: {}",
        args["region"].as_str().unwrap_or_default()
    )))
}

/// The fixtures of the 2026-07-28 scenarios (they work in the legacy era too).
fn modern_fixtures(builder: ServerBuilder) -> ServerBuilder {
    builder
        .tool(Tool::new("test_input_required_result_elicitation", "Asks the user's name (input_required)"), mrtr_elicitation)
        .tool(Tool::new("test_input_required_result_sampling", "Asks the client's model (input_required)"), mrtr_sampling)
        .tool(Tool::new("test_input_required_result_list_roots", "Asks for the client's roots (input_required)"), mrtr_list_roots)
        .tool(Tool::new("test_input_required_result_request_state", "Keeps state across an input_required round"), mrtr_request_state)
        .tool(Tool::new("test_input_required_result_multiple_inputs", "Asks for three inputs at once"), mrtr_multiple_inputs)
        .tool(Tool::new("test_input_required_result_multi_round", "Asks in two rounds"), mrtr_multi_round)
        .tool(Tool::new("test_input_required_result_tampered_state", "Refuses a tampered requestState"), mrtr_tampered_state)
        .tool(Tool::new("test_input_required_result_capabilities", "Asks only for declared capabilities"), mrtr_capabilities)
        .tool(Tool::new("test_missing_capability", "Needs the sampling capability"), missing_capability)
        .tool(Tool::new("test_streaming_elicitation", "Elicits through the request's own stream"), streaming_elicitation)
        .tool(Tool::new("test_logging_tool", "Logs at info level (only with a requested log level)"), with_logging)
        .tool(Tool::new("test_trigger_tool_change", "Announces a tool list change"), |_, cx: RequestContext| async move {
            cx.notify(Change::ToolsListChanged);
            Ok(CallToolResult::text("Tool list change announced"))
        })
        .tool(Tool::new("test_trigger_prompt_change", "Announces a prompt list change"), |_, cx: RequestContext| async move {
            cx.notify(Change::PromptsListChanged);
            Ok(CallToolResult::text("Prompt list change announced"))
        })
        .tool(Tool::new("test_trigger_resource_update", "Announces an update of test://watched-resource"), |_, cx: RequestContext| async move {
            cx.notify(Change::resource_updated("test://watched-resource"));
            Ok(CallToolResult::text("Resource update announced"))
        })
        .tool(
            Tool::new("test_header_param", "Echoes a parameter mirrored into the Mcp-Param-Region header")
                .input_schema(json!({"type": "object", "properties": {
                    "region": {"type": "string", "description": "A region", "x-mcp-header": "Region"}},
                    "required": ["region"]})),
            header_param,
        )
        .prompt(
            Prompt::new("test_input_required_result_prompt", "A prompt that asks the user for context"),
            |_, cx: RequestContext| async move {
                let answer = cx
                    .input("user_context", ask_string("What context should the prompt use?", "context"))
                    .await?;
                Ok(GetPromptResult::new(vec![PromptMessage::user(Content::text(format!(
                    "Use this context: {}",
                    field(&answer, "context")
                )))]))
            },
        )
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
    let builder = Server::builder("mcp-protocol-conformance", env!("CARGO_PKG_VERSION"))
        .instructions("Fixture server for the MCP conformance suite.")
        .list_changed(true);
    modern_fixtures(builder)
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
            Tool::new("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features").input_schema(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {"address": {"$anchor": "addressDef", "type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"},
                    "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                    "phone": {"type": "string"},
                    "email": {"type": "string"}
                },
                "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
                "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
                "then": {"required": ["phone"]},
                "else": {"required": ["email"]},
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
