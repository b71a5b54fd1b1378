//! `mcp-lm mcp-config`: the configuration entry an MCP host needs to launch `mcp-lm-stdio`
//! (stdout: JSON only, ready to paste or merge), with where it goes and the ChatGPT Actions
//! setup on stderr.

use std::{io::Write, path::PathBuf};

use anyhow::Result;
use serde_json::{Map, Value, json};

use crate::{
    cli::{McpClient, McpConfigArgs},
    context::Context,
    remote::normalize_url,
    style::{Paint, note, warn},
};

/// `mcp-lm-stdio` next to this executable (where `cargo install` and `cargo build` put it).
fn stdio_binary() -> PathBuf {
    let name = format!("mcp-lm-stdio{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Where each host keeps its configuration.
fn config_file(client: McpClient) -> &'static str {
    match client {
        McpClient::Claude => {
            "claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\, Linux: ~/.config/Claude/); merge into \"mcpServers\", then restart Claude Desktop"
        }
        McpClient::ClaudeCode => {
            ".mcp.json at the project root (or: claude mcp add mcp-lm -- <command>)"
        }
        McpClient::Cursor => "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
        McpClient::Vscode => ".vscode/mcp.json in the workspace (or the user-level mcp.json)",
        McpClient::Windsurf => "~/.codeium/windsurf/mcp_config.json",
        McpClient::Http => "your MCP host's server list (Streamable HTTP transport)",
        McpClient::Chatgpt => "the GPT editor: Configure → Actions → Create new action",
    }
}

/// The entry launching `mcp-lm-stdio`, in the shape `client` reads.
fn stdio_entry(client: McpClient, command: &str, env: &Map<String, Value>) -> Value {
    let mut server = json!({"command": command, "args": []});
    if !env.is_empty() {
        server["env"] = Value::Object(env.clone());
    }
    match client {
        McpClient::Vscode => {
            server["type"] = json!("stdio");
            json!({"servers": {"mcp-lm": server}})
        }
        McpClient::ClaudeCode => {
            server["type"] = json!("stdio");
            json!({"mcpServers": {"mcp-lm": server}})
        }
        _ => json!({"mcpServers": {"mcp-lm": server}}),
    }
}

/// Runs `mcp-lm mcp-config`.
///
/// # Errors
/// A bad `--server` URL, or a failed write to stdout.
pub(crate) fn run(args: &McpConfigArgs, ctx: &Context) -> Result<u8> {
    let paint = Paint::stderr();
    let base = match &args.server {
        Some(url) => normalize_url(url)?,
        None => ctx.configured_server_url(),
    };
    let token = match &ctx.config.api_token {
        Some(token) if args.show_token => token.clone(),
        _ => "<api_token>".to_owned(),
    };
    let token_source = match ctx.file() {
        Some(path) if ctx.config.api_token.is_some() => {
            format!("the api_token in {}", path.display())
        }
        _ => "the server's token (none is configured yet: run `mcp-lm init`)".to_owned(),
    };
    let openapi = format!("{base}/openapi.json?format=3.0");
    let mut out = std::io::stdout().lock();
    match args.client {
        McpClient::Chatgpt => {
            writeln!(
                out,
                "ChatGPT Actions setup
  1. Import the schema from URL: {openapi}
  2. Authentication: API Key, Auth Type: Bearer, API key: {token}
     ({token_source})
  The server must be reachable from where the Action runs: listen beyond 127.0.0.1 with a
  configured token (mcp-lm serve --host 0.0.0.0) behind an HTTPS reverse proxy or tunnel."
            )?;
            return Ok(0);
        }
        McpClient::Http => {
            let entry = json!({"mcpServers": {"mcp-lm": {
                "type": "http",
                "url": format!("{base}/mcp"),
                "headers": {"Authorization": format!("Bearer {token}")}
            }}});
            writeln!(out, "{}", serde_json::to_string_pretty(&entry)?)?;
            note(&format!(
                "{} {}; the token is {token_source}.",
                paint.bold("Put it in:"),
                config_file(args.client)
            ));
            return Ok(0);
        }
        _ => {}
    }
    let binary = stdio_binary();
    if !binary.is_file() {
        warn(&format!(
            "{} does not exist yet: build it with `cargo build --release -p mcp-lm-stdio` (or install it next to mcp-lm)",
            binary.display()
        ));
    }
    let mut env = Map::new();
    // The host starts the server with its own environment: point it at a configuration that
    // is not in the default place.
    if let Some(path) = ctx.file()
        && mcp_lm_core::default_path().as_ref() != Some(path)
    {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        env.insert(
            "MCP_LM_CONFIG".into(),
            Value::String(absolute.display().to_string()),
        );
    }
    let entry = stdio_entry(args.client, &binary.display().to_string(), &env);
    writeln!(out, "{}", serde_json::to_string_pretty(&entry)?)?;
    out.flush()?;
    note(&format!(
        "{} {}.",
        paint.bold("Put it in:"),
        config_file(args.client)
    ));
    note(&format!(
        "mcp-lm-stdio needs no token (the host owns the pipe); it uses {}.",
        ctx.file().map_or_else(
            || "the built-in defaults (no config file yet)".to_owned(),
            |p| p.display().to_string()
        )
    ));
    note(&format!(
        "{} import {openapi} with API Key / Bearer authentication ({token_source}); `mcp-lm mcp-config --client chatgpt` has the steps.",
        paint.bold("ChatGPT Actions:")
    ));
    Ok(0)
}
