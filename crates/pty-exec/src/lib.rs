#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod byte_ring;
mod command;
mod env_policy;
mod error;
mod execution;
mod exit_status;
mod fanout;
mod ids;
mod jobs;
mod manager_config;
mod output;
mod output_capture;
mod pattern;
mod policy;
#[cfg(unix)]
mod process_group;
mod pty_config;
mod pty_session;
mod runner;
mod scrollback;
mod session_info;
mod session_manager;
mod shell;
mod signal;
mod subscription;
mod utf8_decoder;

pub use command::Command;
pub use env_policy::EnvPolicy;
pub use error::{Error, Result};
pub use execution::{Chunk, Execution, OutputStream};
pub use exit_status::ExitStatus;
pub use ids::{JobId, SessionId};
pub use jobs::{JobInfo, JobOutput};
pub use manager_config::ManagerConfig;
pub use output::{ByteCounts, Output, Truncated};
pub use policy::{Policy, WhenBusy};
pub use pty_config::PtyConfig;
pub use pty_session::Session;
pub use runner::Runner;
pub use scrollback::Snapshot;
pub use session_info::SessionInfo;
pub use session_manager::SessionManager;
pub use shell::Shell;
pub use signal::Signal;
pub use subscription::{OutputChunk, SessionEvent, Subscription};

/// `tokio-util`'s cancellation token, accepted by [`Command::cancel_token`] and returned by
/// [`Execution::kill_token`].
pub use tokio_util::sync::CancellationToken;
