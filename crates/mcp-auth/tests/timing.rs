//! Timing of token comparison: does a wrong token that differs in its **first** byte take as long
//! to refuse as one that differs in its **last** byte?
//!
//! What is measured: wall-clock time of `TokenSet::verify` for the two candidates, in batches
//! that alternate which case runs first, so that load from other processes (a busy 2-core CI
//! machine) hits both cases alike. We compare the medians of the per-batch times, and require
//! their ratio to stay within 0.5x–2x. That bound is generous on purpose: it is far from the
//! ~1.0 a constant-time comparison gives, and a leak would not hide inside it at these sizes,
//! as the control case shows: the same harness run on plain `==` (which stops at the first
//! difference) must see a ratio above 2x. Run with `--nocapture` to see the figures.

use std::hint::black_box;
use std::time::Instant;

use mcp_auth::{Token, TokenSet};

/// Median time per comparison (ns) for the first-byte and last-byte cases.
fn measure(batches: usize, per_batch: usize, mut compare: impl FnMut(bool) -> bool) -> (f64, f64) {
    let mut first = Vec::with_capacity(batches);
    let mut last = Vec::with_capacity(batches);
    let mut time = |differs_last: bool| {
        let start = Instant::now();
        for _ in 0..per_batch {
            black_box(compare(black_box(differs_last)));
        }
        start.elapsed().as_nanos() as f64 / per_batch as f64
    };
    for batch in 0..batches {
        if batch % 2 == 0 {
            first.push(time(false));
            last.push(time(true));
        } else {
            last.push(time(true));
            first.push(time(false));
        }
    }
    (median(first), median(last))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A token of `len` hex-like characters, and two wrong candidates of the same length.
fn token_and_candidates(len: usize) -> (String, String, String) {
    let alphabet = b"0123456789abcdef";
    let token: String = (0..len)
        .map(|i| char::from(alphabet[(i * 7 + i / 16) % 16]))
        .collect();
    let mut first = token.clone().into_bytes();
    first[0] = b'X';
    let mut last = token.clone().into_bytes();
    last[len - 1] = b'X';
    (
        token,
        String::from_utf8(first).unwrap(),
        String::from_utf8(last).unwrap(),
    )
}

fn check(label: &str, (first, last): (f64, f64), low: f64, high: f64) {
    let ratio = last / first;
    eprintln!("{label}: first byte {first:.1} ns, last byte {last:.1} ns, ratio {ratio:.3}");
    assert!(
        (low..=high).contains(&ratio),
        "{label}: ratio {ratio:.3} outside {low}..={high}"
    );
}

#[test]
fn comparison_time_does_not_depend_on_where_the_token_differs() {
    // Realistic size: a 64-character token, 200 000 comparisons per case.
    let (token, first, last) = token_and_candidates(64);
    let set = TokenSet::new(Token::new(token).unwrap());
    let medians = measure(400, 500, |differs_last| {
        set.verify(if differs_last { &last } else { &first })
            .is_some()
    });
    check("TokenSet::verify, 64-byte token", medians, 0.5, 2.0);

    // Amplified: an 8 KiB token, where an early exit would cost thousands of comparisons.
    let (token, first, last) = token_and_candidates(8192);
    let set = TokenSet::new(Token::new(token.clone()).unwrap());
    let medians = measure(40, 10, |differs_last| {
        set.verify(if differs_last { &last } else { &first })
            .is_some()
    });
    check("TokenSet::verify, 8 KiB token", medians, 0.5, 2.0);

    // Control: the harness does detect an early exit (`==` on the same 8 KiB strings).
    let medians = measure(40, 2000, |differs_last| {
        black_box(token.as_str()) == black_box(if differs_last { &last } else { &first }).as_str()
    });
    check(
        "control: plain == (early exit), 8 KiB",
        medians,
        2.0,
        f64::INFINITY,
    );
}
