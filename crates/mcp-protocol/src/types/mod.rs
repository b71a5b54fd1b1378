//! MCP message types (revisions 2024-11-05 to 2025-11-25).

pub(crate) mod completion;
pub(crate) mod content;
pub(crate) mod lifecycle;
pub(crate) mod prompts;
pub(crate) mod resources;
pub(crate) mod tools;
