//! Glue shared by `mcp-lm-http`, `mcp-lm-stdio` and the `mcp-lm` CLI: the configuration
//! (`config.json` compatible with the original server, plus further model servers: Ollama and
//! OpenAI-compatible ones, see [`BackendConfig`]), the [`Services`] every surface shares, the
//! MCP tool catalog ([`mcp_server`], [`TOOL_NAMES`]: the local LLMs, one-shot commands,
//! terminal sessions, background jobs, status) and the audit log. Not published: the four
//! libraries are the reusable parts.
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod audit;
mod backends;
mod catalog;
mod catalog_files;
mod catalog_jobs;
mod catalog_logs;
mod catalog_sessions;
mod catalog_support;
mod config;
mod config_backends;
mod config_keys;
mod files_ops;
mod files_policy;
mod files_search;
mod lm_models;
mod lm_query;
mod logs;
mod output_window;
mod query_dispatch;
mod reverse_lines;
mod service_error;
mod services;
mod status;
mod terminal_cmd;

pub use audit::AuditLog;
pub use backends::{Backend, Backends};
pub use catalog::{TOOL_NAMES, mcp_server};
pub use config::{
    ApiVersion, Config, ConfigError, ConfigSource, LmStudioConfig, LoadedConfig, LogConfig,
    ServerConfig, TerminalConfig, default_path,
};
pub use config_backends::{BackendConfig, BackendKind, BackendSpec, LMSTUDIO_BACKEND};
pub use files_ops::file_tool;
pub use files_policy::FilesConfig;
pub use lm_models::{BackendModels, ModelsReport};
pub use lm_query::{LmAnswer, LmQuery, LmStreamEvent, StopStrings};
pub use logs::{DEFAULT_LOG_LIMIT, LogFilter, MAX_LOG_LIMIT, read_logs};
pub use service_error::ServiceError;
pub use services::Services;
pub use status::{BackendStatus, LmStudioStatus, StatusReport, TerminalStatus};
pub use terminal_cmd::{CmdResult, RunningCommand, TerminalCmd};
