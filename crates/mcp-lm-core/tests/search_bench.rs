//! Benchmark: `fs_search` against `rg` on the same generated 10 000-file tree, in the same
//! run (warm cache, median of several runs). Ignored by default; run it optimised:
//!
//! ```text
//! cargo nextest run --release -p mcp-lm-core --test search_bench --run-ignored only --no-capture
//! ```
//!
//! It asserts fs_search ≤ 1.5 × rg in release builds (debug builds only report); without `rg`
//! on the PATH it says so and passes.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mcp_lm_core::{AuditLog, Config, Services, file_tool};
use serde_json::json;

const RUNS: usize = 7;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
#[ignore = "benchmark: run with --run-ignored only, in release"]
async fn fs_search_is_within_1_5x_of_rg() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let root: PathBuf = std::env::temp_dir().join(format!(
        "mcp-lm-search-bench-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    for i in 0..10_000 {
        let dir = root.join(format!("d{:03}", i % 100));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        for line in 0..40 {
            text.push_str(&format!(
                "file {i} line {line}: lorem ipsum dolor sit amet, consectetur adipiscing elit\n"
            ));
        }
        if i % 1000 == 7 {
            text.push_str("here is NEEDLE_42 in the haystack\n");
        }
        std::fs::write(dir.join(format!("f{i:05}.txt")), text).unwrap();
    }
    let mut config = Config::default();
    config.files.roots = vec![root.clone()];
    let services = Services::new(config, AuditLog::disabled()).unwrap();

    let rg_available = Command::new("rg").arg("--version").output().is_ok();
    for (label, pattern, literal) in [
        ("literal, 10 hits", "NEEDLE_42", true),
        ("regex, 10 hits", r"NEEDLE_\d+ in", false),
        ("regex, 0 hits", r"zz[0-9]{3}qq", false),
    ] {
        let args = json!({"pattern": pattern, "literal": literal, "max_results": 5000});
        // Warm the page cache.
        file_tool(&services, "fs_search", args.clone(), "bench")
            .await
            .unwrap();
        let mut ours = Vec::new();
        let mut count = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let found = file_tool(&services, "fs_search", args.clone(), "bench")
                .await
                .unwrap();
            ours.push(started.elapsed());
            count = found["count"].as_u64().unwrap();
        }
        let ours = median(ours);
        if !rg_available {
            println!(
                "{label}: fs_search {ours:?} ({count} matches); rg not installed, no comparison"
            );
            continue;
        }
        let rg_args = |cmd: &mut Command| {
            cmd.args(["-n", "--no-heading", "--color", "never"]);
            if literal {
                cmd.arg("-F");
            }
            cmd.arg("-e").arg(pattern).arg(&root);
        };
        let mut theirs = Vec::new();
        let mut rg_count = 0;
        for _ in 0..=RUNS {
            let mut cmd = Command::new("rg");
            rg_args(&mut cmd);
            let started = Instant::now();
            let output = cmd.output().unwrap();
            theirs.push(started.elapsed());
            rg_count = output.stdout.iter().filter(|b| **b == b'\n').count() as u64;
        }
        theirs.remove(0);
        let theirs = median(theirs);
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        println!(
            "{label}: fs_search {ours:?} ({count} matches), rg {theirs:?} ({rg_count} matches): {ratio:.2}x"
        );
        assert_eq!(count, rg_count, "{label}: same matches as rg");
        if !cfg!(debug_assertions) {
            assert!(ratio <= 1.5, "{label}: fs_search is {ratio:.2}x rg");
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}
