//! Incremental newline-delimited JSON decoder (Ollama's `application/x-ndjson` streams): bytes
//! in, one line per JSON object out, as soon as each line is complete.

use bytes::{Buf, BytesMut};

/// Accumulates bytes and yields complete, non-blank lines. Handles `\n` and `\r\n` line ends
/// and chunks split anywhere (even inside a UTF-8 character, since a line is decoded only once
/// complete).
#[derive(Debug, Default)]
pub(crate) struct NdjsonDecoder {
    buffer: BytesMut,
    /// Bytes already scanned for a line end, so a long line is not rescanned per chunk.
    scanned: usize,
}

impl NdjsonDecoder {
    /// Adds received bytes.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// The next complete line (without its terminator), if the buffered bytes hold one.
    pub(crate) fn next_line(&mut self) -> Option<String> {
        loop {
            let offset = self.scanned;
            let Some(pos) = memchr::memchr(b'\n', &self.buffer[offset..]) else {
                self.scanned = self.buffer.len();
                return None;
            };
            let line = self.buffer.split_to(offset + pos);
            self.buffer.advance(1);
            self.scanned = 0;
            if let Some(text) = text_of(&line) {
                return Some(text);
            }
        }
    }

    /// The line left when the stream ends without a final newline.
    pub(crate) fn finish(&mut self) -> Option<String> {
        self.scanned = 0;
        let rest = self.buffer.split();
        text_of(&rest)
    }
}

/// A line as text, without a trailing `\r`; `None` when blank.
fn text_of(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(String::from_utf8_lossy(line).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(decoder: &mut NdjsonDecoder) -> Vec<String> {
        std::iter::from_fn(|| decoder.next_line()).collect()
    }

    #[test]
    fn lines_split_at_every_byte_decode_the_same() {
        let body = "{\"a\":\"é\"}\n\n{\"b\":2}\r\n  \n{\"done\":true}\n";
        let mut whole = NdjsonDecoder::default();
        whole.push(body.as_bytes());
        let expected = all(&mut whole);
        assert_eq!(expected, ["{\"a\":\"é\"}", "{\"b\":2}", "{\"done\":true}"]);
        let mut split = NdjsonDecoder::default();
        let mut got = Vec::new();
        for byte in body.as_bytes() {
            split.push(&[*byte]);
            got.extend(all(&mut split));
        }
        assert_eq!(got, expected);
        assert_eq!(split.finish(), None);
    }

    #[test]
    fn a_last_line_without_newline_is_kept() {
        let mut decoder = NdjsonDecoder::default();
        decoder.push(b"{\"x\":1}\n{\"y\":");
        assert_eq!(decoder.next_line().as_deref(), Some("{\"x\":1}"));
        assert_eq!(decoder.next_line(), None);
        decoder.push(b"2}");
        assert_eq!(decoder.finish().as_deref(), Some("{\"y\":2}"));
        assert_eq!(decoder.finish(), None);
    }
}
