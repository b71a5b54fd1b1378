//! Output caps: memory stays bounded whatever a command prints, the command never blocks on
//! a full pipe, and the result says what was cut.
// Real processes counted through `/proc`: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use pty_exec::Command;
use support::{runner, within};

/// `VmRSS` of this process in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_100_mb_producer_with_a_1_mib_cap() {
    const TOTAL: u64 = 100_000_000;
    let before = rss_kib();
    let started = Instant::now();
    let output = within(
        "100 MB producer",
        runner().run(
            Command::new(format!(
                "yes 0123456789abcdef | head -c {TOTAL}; echo fine >&2"
            ))
            .max_output_bytes(1 << 20),
        ),
    )
    .await
    .unwrap();
    let grown_kib = rss_kib().saturating_sub(before);
    assert!(output.success(), "{output:?}");
    assert!(output.truncated.stdout);
    assert!(!output.truncated.stderr);
    assert_eq!(output.total_bytes.stdout, TOTAL);
    assert_eq!(output.stderr, "fine\n");
    assert!(output.stdout_bytes.len() <= 1 << 20);
    assert!(output.stdout_bytes.len() > (1 << 20) - 16);
    assert!(
        output
            .stdout
            .starts_with("0123456789abcdef\n0123456789abcdef\n")
    );
    let omitted = TOTAL - output.stdout_bytes.len() as u64;
    assert!(
        output
            .stdout
            .contains(&format!("\n[... {omitted} bytes omitted ...]\n")),
        "marker missing"
    );
    // The tail is the end of the stream: 100 000 000 = 5 882 352 lines of 17 bytes + 16.
    assert!(
        output.stdout.ends_with("abcdef\n0123456789abcdef"),
        "tail: {:?}",
        &output.stdout[output.stdout.len() - 40..]
    );
    assert!(output.stdout_base64.is_none());
    // Memory: the 1 MiB kept plus read buffers, not 100 MB. Generous bound: other tests of
    // this binary may run in the same process.
    assert!(grown_kib < 48 * 1024, "RSS grew by {grown_kib} KiB");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn both_streams_capped_at_once() {
    let output = runner()
        .run(
            Command::new("yes out | head -c 3000000 & yes err | head -c 3000000 >&2; wait")
                .max_output_bytes(64 * 1024),
        )
        .await
        .unwrap();
    assert!(output.truncated.stdout && output.truncated.stderr);
    assert_eq!(output.total_bytes.stdout, 3_000_000);
    assert_eq!(output.total_bytes.stderr, 3_000_000);
    assert!(output.stdout_bytes.len() <= 64 * 1024);
    assert!(output.stderr_bytes.len() <= 64 * 1024);
    assert!(output.stdout.starts_with("out\nout\n"));
    assert!(output.stderr.starts_with("err\nerr\n"));
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["truncated"]["stdout"], true);
    assert_eq!(json["total_bytes"]["stderr"], 3_000_000);
}

#[tokio::test]
async fn a_command_flooding_stderr_never_blocks() {
    // 10 MB to stderr before the interesting line: a runner that read only stdout would
    // deadlock on the full stderr pipe.
    let output = within(
        "stderr flood",
        runner()
            .run(Command::new("head -c 10000000 /dev/zero >&2; echo done").max_output_bytes(1024)),
    )
    .await
    .unwrap();
    assert_eq!(output.stdout, "done\n");
    assert_eq!(output.total_bytes.stderr, 10_000_000);
    assert!(output.truncated.stderr);
}

#[tokio::test]
async fn exactly_at_the_cap_is_not_truncated() {
    let output = runner()
        .run(Command::new("printf 12345678").max_output_bytes(8))
        .await
        .unwrap();
    assert_eq!(output.stdout, "12345678");
    assert!(!output.truncated.any());
    let output = runner()
        .run(Command::new("printf 123456789").max_output_bytes(8))
        .await
        .unwrap();
    assert!(output.truncated.stdout);
    assert_eq!(output.stdout, "1234\n[... 1 bytes omitted ...]\n6789");
    assert_eq!(&output.stdout_bytes[..], b"12346789");
}

#[tokio::test]
async fn a_zero_cap_keeps_nothing_but_counts() {
    let output = runner()
        .run(Command::new("echo hello").max_output_bytes(0))
        .await
        .unwrap();
    assert!(output.stdout_bytes.is_empty());
    assert_eq!(output.total_bytes.stdout, 6);
    assert!(output.truncated.stdout);
}

#[tokio::test]
async fn truncation_never_splits_a_character() {
    // 3-byte characters with a cap that cuts both head and tail inside one.
    let output = runner()
        .run(Command::new("yes € | head -c 40000").max_output_bytes(1001))
        .await
        .unwrap();
    assert!(output.truncated.stdout);
    assert!(!output.stdout.contains('\u{FFFD}'), "a cut produced U+FFFD");
    assert!(output.stdout_base64.is_none());
}
