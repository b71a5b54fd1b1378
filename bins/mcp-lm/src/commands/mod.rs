//! One module per subcommand.

pub(crate) mod attach;
pub(crate) mod init;
pub(crate) mod mcp_config;
pub(crate) mod query;
pub(crate) mod run;
pub(crate) mod service;
pub(crate) mod sessions;
pub(crate) mod status;
