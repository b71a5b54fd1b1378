//! A line-mode terminal: your input lines go to a shell running in a pseudo-terminal, its
//! output comes back as it is produced. Shows sessions, subscriptions, detach and reattach.
//!
//! ```text
//! cargo run -p pty-exec --example shell            # interactive, end with Ctrl-D
//! printf 'ls\nexit\n' | cargo run -p pty-exec --example shell
//! ```
//!
//! Type `:detach` to drop the subscription and `:attach` to reattach: the scrollback is
//! replayed first, then live output continues. `:int` sends Ctrl-C, `:size C R` resizes.

use std::io::Write;

use pty_exec::{ManagerConfig, PtyConfig, SessionEvent, SessionManager, Signal, Subscription};
use tokio::io::{AsyncBufReadExt, BufReader};

fn print_output(subscription: Subscription) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut subscription = subscription;
        while let Some(event) = subscription.recv().await {
            let mut stdout = std::io::stdout().lock();
            match event {
                SessionEvent::Output(chunk) => {
                    let _ = stdout.write_all(chunk.text().as_bytes());
                }
                SessionEvent::Lagged { missed_bytes } => {
                    let _ = writeln!(stdout, "\n[lagged: {missed_bytes} bytes skipped]");
                }
                SessionEvent::Exited(status) => {
                    let _ = writeln!(stdout, "\n[shell ended: {status}]");
                }
                _ => {}
            }
            let _ = stdout.flush();
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manager = SessionManager::new(ManagerConfig::default());
    let session = manager.create_named("example", PtyConfig::default().env("PS1", "pty-exec$ "))?;
    eprintln!(
        "[session {} running {}]",
        session.id(),
        session.program().display()
    );
    let mut printer = Some(print_output(session.subscribe()));
    // Interactive shells may discard input typed before they are ready (readline switches
    // the terminal mode): wait for the first prompt, at most 2 s.
    for _ in 0..200 {
        if session.snapshot().total_bytes > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [":detach"] => {
                if let Some(printer) = printer.take() {
                    printer.abort();
                }
                eprintln!("[detached; the shell keeps running]");
            }
            [":attach"] => {
                let session = manager.get("example")?;
                let (snapshot, subscription) = session.attach();
                eprintln!(
                    "[reattached; replaying {} bytes of scrollback]",
                    snapshot.bytes.len()
                );
                print!("{}", snapshot.text);
                if let Some(old) = printer.replace(print_output(subscription)) {
                    old.abort();
                }
            }
            [":int"] => session.signal(Signal::Interrupt)?,
            [":size", cols, rows] => session.resize(cols.parse()?, rows.parse()?)?,
            _ => {
                if session.write(format!("{line}\n")).await.is_err() {
                    break;
                }
            }
        }
    }
    // End of input: give the shell a moment to finish what it was sent (`exit` included).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), session.wait()).await;
    let status = session.close().await;
    if let Some(printer) = printer {
        let _ = printer.await;
    }
    eprintln!("[closed: {status:?}]");
    Ok(())
}
