//! `mcp-lm`: the command-line tool. Exit codes are listed in `mcp-lm --help`: 0 success,
//! 1 error, 2 bad arguments, `run` and `attach` pass on their command's exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match mcp_lm::run(mcp_lm::Cli::parse()) {
        Ok(code) => code,
        Err(error) => mcp_lm::report(&error),
    }
}
