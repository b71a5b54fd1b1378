//! Runs one shell command with a timeout and prints the result as the JSON the REST API
//! returns.
//!
//! ```text
//! cargo run -p pty-exec --example run -- [--timeout SECONDS] [--max-output BYTES] 'COMMAND'
//! cargo run -p pty-exec --example run -- --timeout 1 'echo started; sleep 100 & sleep 100'
//! ```
//!
//! The command runs through `/bin/sh -c` in its own process group with a scrubbed
//! environment; on timeout the whole group is killed and what it printed so far is shown.

use std::process::ExitCode;
use std::time::Duration;

use pty_exec::{Command, Policy, Runner};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut timeout = Duration::from_secs(20);
    let mut max_output = Policy::DEFAULT_MAX_OUTPUT_BYTES;
    let mut command = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--timeout" => match args.next().and_then(|v| v.parse::<f64>().ok()) {
                Some(seconds) if seconds > 0.0 => timeout = Duration::from_secs_f64(seconds),
                _ => return usage("--timeout needs a positive number of seconds"),
            },
            "--max-output" => match args.next().and_then(|v| v.parse().ok()) {
                Some(bytes) => max_output = bytes,
                None => return usage("--max-output needs a number of bytes"),
            },
            _ if command.is_none() => command = Some(arg),
            _ => return usage("give the command as one argument (quote it)"),
        }
    }
    let Some(command) = command else {
        return usage("no command given");
    };

    let runner = Runner::new(
        Policy::default()
            .timeout(timeout)
            .max_output_bytes(max_output),
    );
    match runner.run(Command::new(command)).await {
        Ok(output) => {
            match serde_json::to_string_pretty(&output) {
                Ok(json) => println!("{json}"),
                Err(error) => eprintln!("error: {error}"),
            }
            if output.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: run [--timeout SECONDS] [--max-output BYTES] 'COMMAND'");
    ExitCode::from(2)
}
