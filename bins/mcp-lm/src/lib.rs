//! The `mcp-lm` command-line tool as a library: [`Cli`] is the command line, [`run`] carries
//! it out and [`report`] turns an error into `error: …` / `hint: …` on stderr and an exit
//! code. `main.rs` only wires the three together.
//!
//! # Layout
//! - `cli`: the clap definitions, the `--help` examples and exit codes.
//! - `context`: the configuration, and from it the local services or a remote server.
//! - `remote`, `sse`: the REST client for a running server and its event streams.
//! - `commands`: one module per subcommand.
//! - `raw_terminal`: raw mode and window size for `attach`.
//! - `style`, `table`, `failure`: colours and spinner, aligned columns, errors with hints.

mod cli;
mod commands;
mod context;
mod failure;
mod raw_terminal;
mod remote;
mod sse;
mod style;
mod table;

use std::{io::Write, process::ExitCode, time::Duration};

use anyhow::{Context as _, Result};
use clap::CommandFactory;

pub use cli::{Cli, Command};
pub use failure::{Failure, report};

/// Logs from the libraries go to stderr; only errors unless `RUST_LOG` names a level
/// (`warn`, `info`, `debug`, `trace`), so that they do not mix with the command's output.
fn init_tracing() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::ERROR);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .try_init();
}

/// Ctrl-C ends `work` (dropping it, which erases a spinner and restores the terminal) with
/// exit code 130 instead of killing the process where it stands.
async fn interruptible(work: impl Future<Output = Result<u8>>) -> Result<u8> {
    tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => Err(Failure::new("interrupted").code(130).into()),
    }
}

/// Runs an async command on a runtime that does not wait for blocking reads of stdin when
/// it ends.
fn block_on<F: Future<Output = Result<u8>>>(multi_thread: bool, work: F) -> Result<u8> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(work);
    runtime.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// Carries out the command line; returns the exit code.
///
/// # Errors
/// Whatever stopped the command: [`Failure`]s carry a hint and their exit code; [`report`]
/// prints them.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let Cli { config, command } = cli;
    let code = match command {
        Command::Completions(args) => {
            // Into memory first: clap_complete panics on a failed write (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "mcp-lm", &mut script);
            std::io::stdout().lock().write_all(&script)?;
            0
        }
        Command::Init(args) => {
            commands::init::run(&args, config.as_deref())?;
            0
        }
        Command::Serve(args) => {
            mcp_lm_http::init_tracing(&args.log_level);
            let args = mcp_lm_http::Args {
                host: args.host,
                port: args.port,
                config,
                token_file: args.token_file,
                log_level: args.log_level,
            };
            block_on(true, async move {
                mcp_lm_http::run(args).await?;
                Ok(0)
            })?
        }
        command => {
            init_tracing();
            let ctx = context::Context::load(config.as_deref())?;
            match command {
                Command::McpConfig(args) => commands::mcp_config::run(&args, &ctx)?,
                Command::Service(args) => commands::service::run(&args, &ctx)?,
                Command::Status(args) => {
                    block_on(false, interruptible(commands::status::status(&args, &ctx)))?
                }
                Command::Models(args) => {
                    block_on(false, interruptible(commands::status::models(&args, &ctx)))?
                }
                Command::Query(args) => {
                    block_on(false, interruptible(commands::query::run(&args, &ctx)))?
                }
                // Ctrl-C kills the command's process group and waits for it (see `run`).
                Command::Run(args) => block_on(false, commands::run::run(&args, &ctx))?,
                Command::Sessions(args) => {
                    block_on(false, interruptible(commands::sessions::run(&args, &ctx)))?
                }
                // In raw mode Ctrl-C is a key for the remote shell; otherwise it detaches.
                Command::Attach(args) => {
                    block_on(false, interruptible(commands::attach::run(&args, &ctx)))?
                }
                Command::Completions(_) | Command::Init(_) | Command::Serve(_) => 0,
            }
        }
    };
    Ok(ExitCode::from(code))
}
