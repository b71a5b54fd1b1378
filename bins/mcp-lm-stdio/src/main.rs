//! `mcp-lm-stdio`: the MCP server an MCP host (Claude Desktop, …) launches. Protocol on
//! stdout only; logs on stderr. Exit codes: 0 at end of input or SIGTERM, 1 on a start-up
//! error (configuration), 2 on bad arguments.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = mcp_lm_stdio::Args::parse();
    mcp_lm_stdio::init_tracing(&args.log_level);
    // One thread is plenty for one client, and keeps the idle footprint small.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcp-lm-stdio: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(mcp_lm_stdio::run(args));
    // Tokio reads stdin on a blocking thread that a signal does not wake: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mcp-lm-stdio: {error:#}");
            ExitCode::FAILURE
        }
    }
}
