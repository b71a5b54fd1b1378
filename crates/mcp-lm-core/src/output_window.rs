//! A window over an output stream of which only the end is kept (a terminal's scrollback, a
//! background job's log), addressed by byte offsets since the stream started: what the read
//! tools return for a cursor.
//!
//! Offsets count every byte the program ever printed, so a cursor stays valid while the kept
//! part slides forward; a cursor older than what is kept reads from the oldest kept byte and
//! says how many bytes were dropped. Text never starts or ends inside a character: an
//! incomplete character at the end waits for the next read while more output may come.

use serde::Serialize;

/// Output from a cursor on, as text, with the cursor for the next read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Window {
    /// The output from `since` to `next` (invalid UTF-8 as U+FFFD).
    pub(crate) text: String,
    /// Base64 of the same bytes, present only when `text` is lossy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) base64: Option<String>,
    /// Offset of the first byte returned.
    pub(crate) since: u64,
    /// Offset to pass as `since` to the next read.
    pub(crate) next: u64,
    /// Bytes between the requested cursor and `since` that are no longer kept.
    pub(crate) missed_bytes: u64,
    /// More output is already there after `next` (the read stopped at `max_bytes`).
    pub(crate) more: bool,
    /// Bytes output since the start (kept or not).
    pub(crate) total_bytes: u64,
}

/// The window of `kept` — the last bytes of a stream of `total` bytes — from `since` (`None`:
/// the last `max_bytes`), at most `max_bytes` (at least 4) long. `complete`: the stream has
/// ended, so an incomplete character at the end is final (decoded as U+FFFD).
pub(crate) fn window(
    kept: &[u8],
    total: u64,
    since: Option<u64>,
    max_bytes: usize,
    complete: bool,
) -> Window {
    let max_bytes = max_bytes.max(4);
    let first = total.saturating_sub(kept.len() as u64);
    let requested = since.map_or_else(
        || total.saturating_sub(max_bytes as u64).max(first),
        |since| since.min(total),
    );
    let start = requested.max(first);
    let offset = usize::try_from(start - first).unwrap_or(usize::MAX);
    let bytes = kept.get(offset..).unwrap_or_default();
    let skip = leading_continuation_len(bytes);
    let bytes = &bytes[skip..];
    let from = start + skip as u64;
    let (len, more) = if bytes.len() > max_bytes {
        (cut_before_character(bytes, max_bytes), true)
    } else if complete {
        (bytes.len(), false)
    } else {
        (bytes.len() - incomplete_suffix_len(bytes), false)
    };
    let used = &bytes[..len];
    let text = String::from_utf8_lossy(used);
    let lossy = matches!(text, std::borrow::Cow::Owned(_));
    Window {
        text: text.into_owned(),
        base64: lossy.then(|| base64(used)),
        since: from,
        next: from + len as u64,
        missed_bytes: if since.is_some() { from - requested } else { 0 },
        more,
        total_bytes: total,
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Continuation bytes at the start (at most 3): the rest of a character cut off before.
fn leading_continuation_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|&&b| is_continuation(b))
        .count()
}

/// Length of a valid but incomplete character at the end (0 if none).
fn incomplete_suffix_len(bytes: &[u8]) -> usize {
    for len in 1..=bytes.len().min(3) {
        let tail = &bytes[bytes.len() - len..];
        if !is_continuation(tail[0]) {
            return match std::str::from_utf8(tail) {
                Err(error) if error.valid_up_to() == 0 && error.error_len().is_none() => len,
                _ => 0,
            };
        }
    }
    0
}

/// The largest length ≤ `max` (≥ 4) that does not split a character.
fn cut_before_character(bytes: &[u8], max: usize) -> usize {
    let mut len = max;
    while len > max - 3 && bytes.get(len).is_some_and(|&b| is_continuation(b)) {
        len -= 1;
    }
    if bytes.get(len).is_some_and(|&b| is_continuation(b)) {
        max // not a character boundary within reach: invalid bytes, cut anywhere
    } else {
        len
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64(b"\xff\xfe"), "//4=");
    }

    #[test]
    fn reads_forward_from_a_cursor() {
        let all = b"hello world";
        let first = window(all, 11, Some(0), 1024, false);
        assert_eq!(
            (first.text.as_str(), first.since, first.next),
            ("hello world", 0, 11)
        );
        assert!(!first.more);
        let again = window(all, 11, Some(first.next), 1024, false);
        assert_eq!((again.text.as_str(), again.next), ("", 11));
        let past = window(all, 11, Some(999), 1024, false);
        assert_eq!((past.since, past.next, past.missed_bytes), (11, 11, 0));
    }

    #[test]
    fn pages_at_max_bytes() {
        let all = b"0123456789";
        let page = window(all, 10, Some(2), 4, false);
        assert_eq!(
            (page.text.as_str(), page.next, page.more),
            ("2345", 6, true)
        );
        let rest = window(all, 10, Some(page.next), 4, false);
        assert_eq!(
            (rest.text.as_str(), rest.next, rest.more),
            ("6789", 10, false)
        );
    }

    #[test]
    fn without_cursor_returns_the_tail() {
        let all = b"0123456789";
        let tail = window(all, 10, None, 4, false);
        assert_eq!((tail.text.as_str(), tail.since, tail.next), ("6789", 6, 10));
        assert_eq!(tail.missed_bytes, 0);
        assert!(!tail.more);
    }

    #[test]
    fn a_cursor_before_the_kept_bytes_reports_what_was_dropped() {
        // 20 bytes were output; the last 5 are kept.
        let out = window(b"klmno", 20, Some(3), 1024, false);
        assert_eq!((out.text.as_str(), out.since, out.next), ("klmno", 15, 20));
        assert_eq!(out.missed_bytes, 12);
    }

    #[test]
    fn characters_are_never_split() {
        let euro = "€".as_bytes(); // 3 bytes
        // The kept part starts inside a character: its rest is skipped (and counted missed).
        let out = window(&euro[1..], 3, Some(0), 1024, false);
        assert_eq!((out.text.as_str(), out.since, out.missed_bytes), ("", 3, 3));
        // An incomplete character at the end waits while the stream runs…
        let running = window(b"x\xe2\x82", 3, Some(0), 1024, false);
        assert_eq!((running.text.as_str(), running.next), ("x", 1));
        // …and is decoded (lossily, with base64) once it ended.
        let ended = window(b"x\xe2\x82", 3, Some(0), 1024, true);
        assert_eq!(ended.text, "x\u{FFFD}");
        assert_eq!(ended.base64.as_deref(), Some("eOKC"));
        // A page never ends inside a character.
        let text = "ab€€";
        let page = window(text.as_bytes(), 8, Some(0), 4, false);
        assert_eq!((page.text.as_str(), page.next, page.more), ("ab", 2, true));
    }

    #[test]
    fn invalid_bytes_come_with_base64_and_do_not_stall_paging() {
        let bytes = [0x80u8; 10];
        let page = window(&bytes[..], 10, Some(3), 4, false);
        assert_eq!(page.next - page.since, 4);
        assert!(page.base64.is_some());
        assert!(page.text.contains('\u{FFFD}'));
    }
}
