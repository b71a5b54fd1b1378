//! Glue shared by `mcp-lm-http`, `mcp-lm-stdio` and the `mcp-lm` CLI: the configuration
//! (`config.json` compatible with the original server), and (as they land) the MCP tool
//! catalog and the audit log. Not published: the four libraries are the reusable parts.
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod audit;
mod config;
mod config_keys;

pub use audit::AuditLog;
pub use config::{
    ApiVersion, Config, ConfigError, ConfigSource, LmStudioConfig, LoadedConfig, LogConfig,
    ServerConfig, TerminalConfig, default_path,
};
