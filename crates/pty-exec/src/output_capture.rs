//! Bounded capture of one output stream: keeps the head and the tail up to a cap, counts and
//! discards the middle, so memory stays bounded however much a command prints.

use bytes::Bytes;

use crate::byte_ring::ByteRing;
use crate::utf8_decoder::{decode_all, incomplete_suffix_len, leading_continuation_len};

/// One stream's capture: the first `cap / 2` bytes and the last `cap - cap / 2`.
#[derive(Debug)]
pub(crate) struct OutputCapture {
    head: Vec<u8>,
    head_cap: usize,
    tail: ByteRing,
}

/// What a finished capture holds.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    /// Stored bytes: the head then the tail (the omitted middle is simply absent).
    pub(crate) bytes: Bytes,
    /// Decoded text; when truncated, a marker line stands where the middle was.
    pub(crate) text: String,
    /// Some bytes were not valid UTF-8 and were replaced in `text`.
    pub(crate) lossy: bool,
    /// Some bytes were discarded.
    pub(crate) truncated: bool,
    /// Bytes the stream produced in all.
    pub(crate) total: u64,
}

impl OutputCapture {
    pub(crate) fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        Self {
            head: Vec::new(),
            head_cap,
            tail: ByteRing::new(cap - head_cap),
        }
    }

    pub(crate) fn push(&mut self, mut data: &[u8]) {
        if self.head.len() < self.head_cap {
            let n = (self.head_cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        // Also when `data` is empty: no-op. The tail ring counts the bytes it sees.
        self.tail.push(data);
    }

    pub(crate) fn total(&self) -> u64 {
        self.head.len() as u64 + self.tail.total()
    }

    pub(crate) fn finish(self) -> Captured {
        let total = self.total();
        let tail = self.tail.to_vec();
        let stored = (self.head.len() + tail.len()) as u64;
        if stored == total {
            let mut bytes = self.head;
            bytes.extend_from_slice(&tail);
            let (text, lossy) = decode_all(&bytes);
            return Captured {
                bytes: Bytes::from(bytes),
                text,
                lossy,
                truncated: false,
                total,
            };
        }
        // Cut on character boundaries so that the cut itself never produces U+FFFD: an
        // incomplete character at the end of the head and continuation bytes at the start of
        // the tail count as omitted.
        let head_end = self.head.len() - incomplete_suffix_len(&self.head);
        let tail_start = leading_continuation_len(&tail);
        let (head, tail) = (&self.head[..head_end], &tail[tail_start..]);
        let omitted = total - (head.len() + tail.len()) as u64;
        let (head_text, head_lossy) = decode_all(head);
        let (tail_text, tail_lossy) = decode_all(tail);
        let mut text = head_text;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("[... {omitted} bytes omitted ...]\n"));
        text.push_str(&tail_text);
        let mut bytes = Vec::with_capacity(head.len() + tail.len());
        bytes.extend_from_slice(head);
        bytes.extend_from_slice(tail);
        Captured {
            bytes: Bytes::from(bytes),
            text,
            lossy: head_lossy || tail_lossy,
            truncated: true,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_cap_everything_is_kept() {
        let mut capture = OutputCapture::new(10);
        capture.push(b"hello");
        capture.push(b" you");
        let captured = capture.finish();
        assert_eq!(&captured.bytes[..], b"hello you");
        assert_eq!(captured.text, "hello you");
        assert!(!captured.truncated);
        assert_eq!(captured.total, 9);
    }

    #[test]
    fn exactly_the_cap_is_not_truncated() {
        let mut capture = OutputCapture::new(4);
        capture.push(b"ab");
        capture.push(b"cd");
        let captured = capture.finish();
        assert_eq!(&captured.bytes[..], b"abcd");
        assert!(!captured.truncated);
    }

    #[test]
    fn over_the_cap_keeps_head_and_tail() {
        let mut capture = OutputCapture::new(8);
        for _ in 0..1000 {
            capture.push(b"0123456789");
        }
        let captured = capture.finish();
        assert!(captured.truncated);
        assert_eq!(captured.total, 10_000);
        assert_eq!(&captured.bytes[..], b"01236789");
        assert_eq!(captured.text, "0123\n[... 9992 bytes omitted ...]\n6789");
    }

    #[test]
    fn cuts_do_not_split_characters() {
        let mut capture = OutputCapture::new(8);
        capture.push("ab€".as_bytes()); // head takes "ab" and the first 2 bytes of €
        capture.push(&[b'x'; 100]);
        capture.push("€€".as_bytes()); // tail keeps the last 4 bytes: 1 byte of € then €
        let captured = capture.finish();
        assert!(!captured.lossy, "{}", captured.text);
        assert!(captured.text.starts_with("ab\n[... "), "{}", captured.text);
        assert!(captured.text.ends_with("...]\n€"), "{}", captured.text);
        assert_eq!(&captured.bytes[..], "ab€".as_bytes());
    }

    #[test]
    fn zero_cap_keeps_nothing() {
        let mut capture = OutputCapture::new(0);
        capture.push(b"abc");
        let captured = capture.finish();
        assert!(captured.truncated);
        assert!(captured.bytes.is_empty());
        assert_eq!(captured.text, "[... 3 bytes omitted ...]\n");
    }
}
