//! What pty-exec costs, as ratios measured in one run on this machine.
//!
//! ```text
//! cargo bench -p pty-exec [-- --runs 400 --pty-mib 256 --rss-mib 1024]
//! ```
//!
//! - `run("true")` through the [`Runner`] (policy checks, scrubbed environment, new process
//!   group, capture of both pipes, driver task, group check at the end) vs a bare
//!   `tokio::process::Command` doing the same work (`/bin/sh -c true` with both pipes
//!   captured), and vs the barest spawn (`true`, status only). Alternating, medians.
//!   Target: ≤ 1.2×.
//! - PTY output throughput through a [`Session`] subscriber (reader thread, UTF-8 decoding,
//!   scrollback, fan-out queue, async wake-up) vs reading the same PTY output directly on a
//!   thread with portable-pty. Target: ≥ 90 %.
//! - Peak RSS growth of this process while a child prints 1 GiB with a 1 MiB cap
//!   (`VmHWM` after minus `VmRSS` before, peak reset through `/proc/self/clear_refs`).
//!   Target: < 10 MB.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use pty_exec::{Command, Policy, PtyConfig, Runner, Session, SessionEvent};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let runs = arg("--runs", 400);
    let pty_mib = arg("--pty-mib", 256);
    let rss_mib = arg("--rss-mib", 1024);
    println!(
        "pty-exec benchmarks ({} CPUs)",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    // Memory first, while the heap is still small and clean.
    peak_rss(rss_mib).await;
    spawn_overhead(runs).await;
    pty_throughput(pty_mib).await;
}

async fn peak_rss(mib: usize) {
    let runner = Runner::new(Policy::default().no_timeout());
    // Warm up the runtime's process machinery so that it is not counted.
    runner.run(Command::new("true")).await.unwrap();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let started = Instant::now();
    let output = runner
        .run(Command::new(format!("head -c {} /dev/zero", mib << 20)).max_output_bytes(1 << 20))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:");
    assert_eq!(output.total_bytes.stdout, (mib as u64) << 20);
    let grown_mb = peak.saturating_sub(before) as f64 * 1024.0 / 1e6;
    println!(
        "\npeak RSS with {mib} MiB of output and a 1 MiB cap: {:.1} MB before, +{grown_mb:.1} MB at peak \
         (target < 10 MB) — read at {:.0} MB/s, {} bytes kept",
        before as f64 * 1024.0 / 1e6,
        (mib << 20) as f64 / elapsed.as_secs_f64() / 1e6,
        output.stdout_bytes.len(),
    );
}

async fn spawn_overhead(runs: usize) {
    let runner = Runner::new(Policy::default());
    let bare_sh = || async {
        let started = Instant::now();
        let output = tokio::process::Command::new("/bin/sh")
            .arg("-c")
            .arg("true")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(output.status.success());
        started.elapsed()
    };
    let bare_true = || async {
        let started = Instant::now();
        let status = tokio::process::Command::new("true").status().await.unwrap();
        assert!(status.success());
        started.elapsed()
    };
    let ours = || async {
        let started = Instant::now();
        let output = runner.run(Command::new("true")).await.unwrap();
        assert!(output.success());
        started.elapsed()
    };
    for _ in 0..20 {
        ours().await;
        bare_sh().await;
        bare_true().await;
    }
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        a.push(ours().await);
        b.push(bare_sh().await);
        c.push(bare_true().await);
    }
    let (ours, bare_sh, bare_true) = (median(a), median(b), median(c));
    println!("\nrun(\"true\"), median of {runs}, alternating:");
    println!("  bare tokio::process `sh -c true`, output captured: {bare_sh:>10.1?}");
    println!("  bare tokio::process `true`, status only:           {bare_true:>10.1?}");
    println!("  Runner::run(\"true\"):                              {ours:>10.1?}");
    println!(
        "  ratio vs the same work: {:.2}x, vs the barest spawn: {:.2}x (target <= 1.2x)",
        ours.as_secs_f64() / bare_sh.as_secs_f64(),
        ours.as_secs_f64() / bare_true.as_secs_f64()
    );
}

/// The same producer for both sides: waits for a line, then prints `bytes` NUL bytes (no
/// newline processing by the terminal).
fn producer(bytes: usize) -> String {
    format!("read go; head -c {bytes} /dev/zero")
}

fn direct_pty(bytes: usize) -> (usize, usize, Duration) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new("/bin/sh");
    command.args(["-c", &producer(bytes)]);
    let mut child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        let (mut total, mut reads) = (0, 0);
        let mut started = None;
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    started.get_or_insert_with(Instant::now);
                    total += n;
                    reads += 1;
                }
            }
        }
        (
            total,
            reads,
            started.map_or(Duration::ZERO, |s| s.elapsed()),
        )
    });
    writer.write_all(b"\n").unwrap();
    writer.flush().unwrap();
    child.wait().unwrap();
    drop(writer);
    drop(pair.master);
    counter.join().unwrap()
}

async fn session_pty(bytes: usize) -> (usize, usize, u64, Duration) {
    let session = Session::spawn(
        PtyConfig::default()
            .program("/bin/sh")
            .arg("-c")
            .arg(producer(bytes)),
    )
    .unwrap();
    let mut output = session.subscribe();
    session.write("\n").await.unwrap();
    let (mut total, mut chunks, mut lagged, mut started) = (0, 0, 0, None);
    while let Some(event) = output.recv().await {
        match event {
            SessionEvent::Output(chunk) => {
                started.get_or_insert_with(Instant::now);
                total += chunk.bytes().len();
                chunks += 1;
            }
            SessionEvent::Lagged { missed_bytes } => lagged += missed_bytes,
            SessionEvent::Exited(_) => break,
            _ => {}
        }
    }
    (
        total,
        chunks,
        lagged,
        started.map_or(Duration::ZERO, |s| s.elapsed()),
    )
}

async fn pty_throughput(mib: usize) {
    let bytes = mib << 20;
    // Both sides count from the first output byte to the end: the echo of the "go" line
    // (2 bytes, "\r\n") is included on both.
    let _ = tokio::task::spawn_blocking(move || direct_pty(1 << 20)).await;
    let _ = session_pty(1 << 20).await;
    let (mut direct, mut ours) = (Vec::new(), Vec::new());
    let (mut direct_reads, mut our_chunks, mut lagged_total) = (0, 0, 0);
    let rounds = 5;
    for _ in 0..rounds {
        let (n, reads, t) = tokio::task::spawn_blocking(move || direct_pty(bytes))
            .await
            .unwrap();
        direct.push(n as f64 / t.as_secs_f64());
        direct_reads += reads;
        let (n, chunks, lagged, t) = session_pty(bytes).await;
        lagged_total += lagged;
        our_chunks += chunks;
        ours.push(n as f64 / t.as_secs_f64());
    }
    direct.sort_by(f64::total_cmp);
    ours.sort_by(f64::total_cmp);
    let (direct, ours) = (direct[rounds / 2], ours[rounds / 2]);
    let total = (bytes * rounds) as f64;
    println!("\nPTY output throughput, {mib} MiB, median of {rounds}, alternating:");
    println!(
        "  direct read of the PTY on a thread: {:>8.0} MB/s ({:.0} bytes per read)",
        direct / 1e6,
        total / direct_reads as f64
    );
    println!(
        "  through a Session subscriber:       {:>8.0} MB/s ({:.0} bytes per chunk, lagged bytes: {lagged_total})",
        ours / 1e6,
        total / our_chunks as f64
    );
    println!("  ratio: {:.0} % (target >= 90 %)", ours / direct * 100.0);
}
