//! Incremental Server-Sent Events decoder: bytes in, events out, as soon as each is complete.

use bytes::{Buf, BytesMut};

/// One SSE event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` name, if any.
    pub(crate) name: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// Accumulates bytes and yields complete events. Handles `\n`, `\r\n` and `\r` line ends,
/// comments (`:`), multi-line data, and chunks split anywhere (even inside a UTF-8 character,
/// since lines are decoded only once complete).
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buffer: BytesMut,
    current: SseEvent,
    has_data: bool,
    /// Bytes already scanned for a line end, so a long line is not rescanned per chunk.
    scanned: usize,
}

impl SseDecoder {
    /// Adds received bytes.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// The next complete event, if the buffered bytes hold one.
    pub(crate) fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            let offset = self.scanned;
            let Some(pos) = memchr::memchr2(b'\n', b'\r', &self.buffer[offset..]) else {
                self.scanned = self.buffer.len();
                return None;
            };
            let end = offset + pos;
            let terminator = if self.buffer[end] == b'\r' {
                match self.buffer.get(end + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    // A lone `\r` at the end of the buffer may be half of `\r\n`: wait.
                    None => {
                        self.scanned = end;
                        return None;
                    }
                }
            } else {
                1
            };
            let line = self.buffer.split_to(end);
            self.buffer.advance(terminator);
            self.scanned = 0;
            if let Some(event) = self.line(&line) {
                return Some(event);
            }
        }
    }

    /// Handles one line; a blank line dispatches the event being built.
    fn line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            if !self.has_data && self.current.name.is_none() {
                return None;
            }
            self.has_data = false;
            return Some(std::mem::take(&mut self.current));
        }
        if line[0] == b':' {
            return None; // comment / keep-alive
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.current.name = Some(value.into_owned()),
            _ => {} // `id`, `retry` and unknown fields are not used by LM Studio
        }
        None
    }

    /// The event left when the stream ends without a final blank line.
    pub(crate) fn finish(&mut self) -> Option<SseEvent> {
        if !self.buffer.is_empty() {
            let rest = self.buffer.split();
            if let Some(event) = self.line(&rest) {
                return Some(event);
            }
        }
        if self.has_data {
            self.has_data = false;
            return Some(std::mem::take(&mut self.current));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(decoder: &mut SseDecoder) -> Vec<SseEvent> {
        std::iter::from_fn(|| decoder.next_event()).collect()
    }

    #[test]
    fn events_split_at_every_byte_decode_the_same() {
        let body = "event: message.delta\ndata: {\"content\":\"é\"}\n\n: keep-alive\n\ndata: a\r\ndata: b\r\n\r\ndata: [DONE]\n\n";
        let mut whole = SseDecoder::default();
        whole.push(body.as_bytes());
        let expected = all(&mut whole);
        assert_eq!(expected.len(), 3);
        assert_eq!(expected[0].name.as_deref(), Some("message.delta"));
        assert_eq!(expected[0].data, "{\"content\":\"é\"}");
        assert_eq!(expected[1].data, "a\nb");
        assert_eq!(expected[2].data, "[DONE]");
        let mut split = SseDecoder::default();
        let mut got = Vec::new();
        for byte in body.as_bytes() {
            split.push(&[*byte]);
            got.extend(all(&mut split));
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn trailing_event_without_blank_line_is_kept() {
        let mut decoder = SseDecoder::default();
        decoder.push(b"data: last");
        assert_eq!(decoder.next_event(), None);
        assert_eq!(decoder.finish().map(|e| e.data), Some("last".to_owned()));
        assert_eq!(decoder.finish(), None);
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let mut decoder = SseDecoder::default();
        decoder.push(b"data: x\r\rdata: y\r");
        assert_eq!(decoder.next_event().map(|e| e.data), Some("x".to_owned()));
        decoder.push(b"\r\n");
        assert_eq!(decoder.next_event().map(|e| e.data), Some("y".to_owned()));
    }
}
