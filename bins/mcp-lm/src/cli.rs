//! The command line: every subcommand and flag, with the examples and exit codes `--help`
//! shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  mcp-lm init                              write ~/.config/mcp-lm/config.json with a new API token
  mcp-lm serve                             run the HTTP server (REST, /mcp, WebSocket terminals)
  mcp-lm status                            is LM Studio there, which models are loaded
  mcp-lm query \"Name a prime above 90.\"    stream an answer, then tok/s, TTFT, generation time
  mcp-lm query -b ollama \"Hi\"              ask another backend of the config, by name
  mcp-lm run 'ls -la' --timeout 5          run a command, exit with its exit code
  mcp-lm attach --name work                a terminal on the server (Ctrl-] detaches)
  mcp-lm mcp-config --client claude        the entry for claude_desktop_config.json
  mcp-lm service install                   run the server as a systemd user service

By default status, models, query and run talk to LM Studio and the local shell directly; with
--server URL they go through a running mcp-lm server (token: --token-file, --token,
$MCP_LM_API_TOKEN or api_token of the config). sessions and attach always use a server (default:
server.host and server.port of the config).

Exit codes:
  0    success (also when standard output is closed early, e.g. piped into head)
  1    error (message and hint on stderr); status: LM Studio is not reachable
  2    bad command line (unknown subcommand or flag)
  N    run: the command's exit code; 124 when it timed out; 128+S when signal S killed it
  N    attach: the shell's exit code when it ends; 0 when you detach
  N    service status: systemctl's (0 running, 3 stopped)
  130  interrupted (Ctrl-C)";

/// The `mcp-lm` command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mcp-lm",
    version,
    about = "A local LLM (LM Studio) and a terminal for AI assistants: set up, serve, query, run, attach",
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Configuration file (default: $MCP_LM_CONFIG, then ~/.config/mcp-lm/config.json).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Write a configuration file with a fresh 256-bit API token (mode 0600).
    Init(InitArgs),
    /// Run the HTTP server (the same as mcp-lm-http): REST API, MCP over HTTP, WebSocket terminals.
    Serve(ServeArgs),
    /// Show whether LM Studio answers, the models it lists and the terminal settings.
    Status(StatusArgs),
    /// List LM Studio's models with state, architecture, quantization and context length.
    Models(ModelsArgs),
    /// Ask the local LLM; the answer streams to stdout, the statistics line goes to stderr.
    Query(QueryArgs),
    /// Run a shell command with a timeout; prints its output, exits with its exit code.
    Run(RunArgs),
    /// List or close the server's interactive terminal sessions.
    Sessions(SessionsArgs),
    /// Open an interactive terminal on the server, or reattach to one (Ctrl-] detaches).
    Attach(AttachArgs),
    /// Print the MCP host configuration entry for mcp-lm-stdio, and the ChatGPT Actions setup.
    McpConfig(McpConfigArgs),
    /// Run the HTTP server as a systemd user service (daemon mode).
    Service(ServiceArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

/// Where a running server is and how to authenticate to it.
#[derive(Debug, Clone, Default, Args)]
pub struct ServerArgs {
    /// A running mcp-lm server, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// The server's API token (visible to other users in `ps`: prefer --token-file or $MCP_LM_API_TOKEN).
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with = "token_file",
        global = true
    )]
    pub token: Option<String>,
    /// A file holding the server's API token.
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,
}

/// `mcp-lm init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Replace an existing file (its token stops working).
    #[arg(long)]
    pub force: bool,
    /// Where to write (default: --config, then $MCP_LM_CONFIG, then ~/.config/mcp-lm/config.json).
    #[arg(long, value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Also print the new token.
    #[arg(long)]
    pub show_token: bool,
}

/// `mcp-lm serve`: the flags of `mcp-lm-http`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to bind (default: server.host of the config, 127.0.0.1).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to bind (default: server.port of the config, 8080; 0 picks a free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// File holding the API token clients must send (instead of api_token in the config).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Log level on stderr: error, warn, info, debug, trace.
    #[arg(long, default_value = "info")]
    pub log_level: String,
}

/// `mcp-lm status` and `mcp-lm models`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Print the JSON of GET /status (or /lm/models).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `mcp-lm models`.
#[derive(Debug, Clone, Args)]
pub struct ModelsArgs {
    /// Print the JSON of GET /lm/models.
    #[arg(long)]
    pub json: bool,
    /// List this backend's models, by its name in the config's `backends` (default: the
    /// default backend).
    #[arg(long, short, value_name = "NAME", value_parser = backend_name)]
    pub backend: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// A backend name as the config spells them: lowercase letters, digits, `-` and `_`.
fn backend_name(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(
            "a backend name is lowercase letters, digits, - and _ (as in the config's backends)"
                .into(),
        )
    }
}

/// The LM Studio API family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Api {
    /// Native REST /api/v0 (full statistics).
    V0,
    /// OpenAI-compatible /v1.
    V1,
    /// Native REST /api/v1 (LM Studio 0.4+).
    Native,
}

impl Api {
    /// The value of `api_version` in a query.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0 => "v0",
            Self::V1 => "v1",
            Self::Native => "native",
        }
    }
}

/// `mcp-lm query`.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// The prompt; `-` or nothing reads it from standard input.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,
    /// Model id (default: lmstudio.model of the config, or the loaded model).
    #[arg(long, short)]
    pub model: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Sampling temperature.
    #[arg(long, short)]
    pub temperature: Option<f64>,
    /// Most tokens to generate (-1: no limit).
    #[arg(long, allow_negative_numbers = true)]
    pub max_tokens: Option<i64>,
    /// Nucleus sampling.
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[arg(long)]
    pub top_k: Option<u32>,
    /// Stop string (repeat for several).
    #[arg(long, value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Idle time-to-live in seconds of a model this query loads.
    #[arg(long, value_name = "SECONDS")]
    pub ttl: Option<u64>,
    /// Ask this backend, by its name in the config's `backends` (default: the default
    /// backend, `lmstudio` unless `default_backend` says otherwise).
    #[arg(long, short, value_name = "NAME", value_parser = backend_name)]
    pub backend: Option<String>,
    /// LM Studio API to use (default: lmstudio.api_version of the config).
    #[arg(long, value_enum)]
    pub api: Option<Api>,
    /// Stream the answer as it is generated (the default, except with --json).
    #[arg(long, overrides_with = "no_stream")]
    pub stream: bool,
    /// Wait for the whole answer.
    #[arg(long)]
    pub no_stream: bool,
    /// Print the JSON of POST /lm/query (with --stream: one JSON line per event).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `mcp-lm run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The command line, run by the shell; several words are joined with spaces (put them
    /// after `--` when they start with `-`: `mcp-lm run -- ls -la`).
    #[arg(required = true, num_args = 1.., value_name = "CMD")]
    pub cmd: Vec<String>,
    /// Seconds before the command's whole process group is killed (default: terminal.timeout).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Working directory.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// Print the JSON of POST /terminal/cmd instead of the output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `mcp-lm sessions`.
#[derive(Debug, Clone, Args)]
pub struct SessionsArgs {
    /// list (the default) or close.
    #[command(subcommand)]
    pub action: Option<SessionsAction>,
    /// Print the server's JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// What `mcp-lm sessions` does.
#[derive(Debug, Clone, Subcommand)]
pub enum SessionsAction {
    /// List the sessions.
    List,
    /// Close a session (its processes get SIGHUP, then SIGKILL).
    Close {
        /// Session id or name.
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// `mcp-lm attach`.
#[derive(Debug, Clone, Args)]
pub struct AttachArgs {
    /// Session id or name to reattach to (default: a new session).
    #[arg(value_name = "ID_OR_NAME")]
    pub session: Option<String>,
    /// Name of the new session; reattaches if a session of that name exists.
    #[arg(long, conflicts_with = "session")]
    pub name: Option<String>,
    /// Key that detaches, leaving the session running: ctrl-] (default), ctrl-<letter>, or none.
    #[arg(long, value_name = "KEY", default_value = "ctrl-]")]
    pub detach_key: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// The MCP host to write an entry for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum McpClient {
    /// Claude Desktop (claude_desktop_config.json).
    Claude,
    /// Claude Code (.mcp.json).
    ClaudeCode,
    /// Cursor (~/.cursor/mcp.json).
    Cursor,
    /// VS Code (.vscode/mcp.json).
    Vscode,
    /// Windsurf (~/.codeium/windsurf/mcp_config.json).
    Windsurf,
    /// Any host that speaks MCP Streamable HTTP to the server's /mcp.
    Http,
    /// ChatGPT Actions (OpenAPI import).
    Chatgpt,
}

/// `mcp-lm mcp-config`.
#[derive(Debug, Clone, Args)]
pub struct McpConfigArgs {
    /// The MCP host.
    #[arg(long, value_enum, default_value = "claude")]
    pub client: McpClient,
    /// Put the API token itself into the output (http, chatgpt) instead of a placeholder.
    #[arg(long)]
    pub show_token: bool,
    /// The server's public URL (for http and ChatGPT; default: server.host and server.port of the config).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
}

/// `mcp-lm service`.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// install, uninstall or status (the default).
    #[command(subcommand)]
    pub action: Option<ServiceAction>,
    /// Print the unit file and change nothing.
    #[arg(long, global = true)]
    pub print: bool,
}

/// What `mcp-lm service` does.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ServiceAction {
    /// Write ~/.config/systemd/user/mcp-lm.service, then `systemctl --user enable --now` it.
    Install,
    /// Stop and disable the service and remove its unit file.
    Uninstall,
    /// Show `systemctl --user status mcp-lm` (its exit code: 0 running, 3 stopped).
    Status,
}

/// `mcp-lm completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
