//! `mcp-lm-http`: the HTTP server. Exit codes: 0 after a clean shutdown, 1 on a start-up
//! error (bad configuration, port in use), 2 on bad command-line arguments.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = mcp_lm_http::Args::parse();
    mcp_lm_http::init_tracing(&args.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcp-lm-http: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mcp_lm_http::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mcp-lm-http: {error:#}");
            ExitCode::FAILURE
        }
    }
}
