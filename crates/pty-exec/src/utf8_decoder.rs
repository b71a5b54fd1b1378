//! UTF-8 decoding that is lossless where the input is valid, even when a multi-byte character
//! is split across two reads, and replaces only truly invalid bytes with U+FFFD.

/// Appends the decoding of `bytes` to `out`, replacing invalid sequences with U+FFFD.
///
/// Returns `(incomplete, lossy)`: the length of an incomplete character at the very end that
/// was *not* decoded (0 to 3 bytes; always 0 when `at_end`, where it is replaced instead), and
/// whether any replacement happened.
pub(crate) fn decode_into(out: &mut String, mut bytes: &[u8], at_end: bool) -> (usize, bool) {
    let mut lossy = false;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return (0, lossy);
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                if let Ok(text) = std::str::from_utf8(valid) {
                    out.push_str(text);
                }
                match error.error_len() {
                    Some(invalid) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        lossy = true;
                        bytes = rest.get(invalid..).unwrap_or_default();
                    }
                    None if at_end => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        return (0, true);
                    }
                    None => return (rest.len(), lossy),
                }
            }
        }
    }
}

/// Decodes a complete buffer: `(text, lossy)`.
pub(crate) fn decode_all(bytes: &[u8]) -> (String, bool) {
    let mut out = String::with_capacity(bytes.len());
    let (_, lossy) = decode_into(&mut out, bytes, true);
    (out, lossy)
}

/// Length of an incomplete (but so far valid) character at the end of `bytes`: the bytes to
/// hold back when cutting a buffer so that the cut does not split a character.
pub(crate) fn incomplete_suffix_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue; // continuation byte: keep looking for the lead byte
        }
        let width = match byte {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        return if width > back { back } else { 0 };
    }
    0
}

/// Number of continuation bytes at the start of `bytes` (at most 3): the tail of a character
/// whose beginning was cut off.
pub(crate) fn leading_continuation_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|b| *b & 0b1100_0000 == 0b1000_0000)
        .count()
}

/// Streaming decoder: feed it chunks as they are read; a character split between two chunks
/// is completed by the second call instead of being mangled.
#[derive(Debug, Default)]
pub(crate) struct Utf8Decoder {
    pending: Vec<u8>,
    lossy: bool,
}

impl Utf8Decoder {
    /// Decodes `chunk`, holding back an incomplete character at its end for the next call.
    pub(crate) fn decode(&mut self, chunk: &[u8]) -> String {
        let mut out = String::with_capacity(chunk.len() + 4);
        let (incomplete, lossy) = if self.pending.is_empty() {
            let (incomplete, lossy) = decode_into(&mut out, chunk, false);
            self.pending
                .extend_from_slice(&chunk[chunk.len() - incomplete..]);
            (incomplete, lossy)
        } else {
            // Rare: the previous chunk ended inside a character. Glue and decode.
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(chunk);
            let (incomplete, lossy) = decode_into(&mut out, &joined, false);
            self.pending
                .extend_from_slice(&joined[joined.len() - incomplete..]);
            (incomplete, lossy)
        };
        debug_assert!(incomplete <= 3);
        self.lossy |= lossy;
        out
    }

    /// Flushes an incomplete character left at the end of the stream (as U+FFFD).
    pub(crate) fn finish(&mut self) -> String {
        if self.pending.is_empty() {
            return String::new();
        }
        self.lossy = true;
        self.pending.clear();
        char::REPLACEMENT_CHARACTER.to_string()
    }

    /// Bytes of an incomplete character held back from the last chunk.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// `true` once any byte was replaced.
    #[cfg(test)]
    pub(crate) fn was_lossy(&self) -> bool {
        self.lossy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_lossless() {
        let (text, lossy) = decode_all("héllo €𝄞".as_bytes());
        assert_eq!(text, "héllo €𝄞");
        assert!(!lossy);
    }

    #[test]
    fn invalid_bytes_are_replaced_one_by_one() {
        let (text, lossy) = decode_all(b"a\xffb\xc3(c");
        assert_eq!(text, "a\u{FFFD}b\u{FFFD}(c");
        assert!(lossy);
        let (text, _) = decode_all(b"end\xe2\x82");
        assert_eq!(text, "end\u{FFFD}");
    }

    #[test]
    fn split_characters_survive_every_cut() {
        let input = "a€b𝄞c é".as_bytes();
        for cut in 0..=input.len() {
            for cut2 in cut..=input.len() {
                let mut decoder = Utf8Decoder::default();
                let mut text = decoder.decode(&input[..cut]);
                text += &decoder.decode(&input[cut..cut2]);
                text += &decoder.decode(&input[cut2..]);
                text += &decoder.finish();
                assert_eq!(text, "a€b𝄞c é", "cuts at {cut} and {cut2}");
                assert!(!decoder.was_lossy());
            }
        }
    }

    #[test]
    fn byte_by_byte_with_invalid_bytes() {
        let input = b"\xe2\x82\xac\xff\xe2\x82x";
        let mut decoder = Utf8Decoder::default();
        let mut text = String::new();
        for byte in input {
            text += &decoder.decode(&[*byte]);
        }
        text += &decoder.finish();
        assert_eq!(text, "€\u{FFFD}\u{FFFD}x");
        assert!(decoder.was_lossy());
    }

    #[test]
    fn pending_and_finish() {
        let mut decoder = Utf8Decoder::default();
        assert_eq!(decoder.decode(b"ab\xf0\x9d"), "ab");
        assert_eq!(decoder.pending_len(), 2);
        assert_eq!(decoder.finish(), "\u{FFFD}");
        assert!(decoder.was_lossy());
    }

    #[test]
    fn cut_helpers() {
        assert_eq!(incomplete_suffix_len(b"abc"), 0);
        assert_eq!(incomplete_suffix_len("é".as_bytes()), 0);
        assert_eq!(incomplete_suffix_len(&"é".as_bytes()[..1]), 1);
        assert_eq!(incomplete_suffix_len(&"𝄞".as_bytes()[..3]), 3);
        assert_eq!(incomplete_suffix_len(b"\x80\x80\x80"), 0);
        assert_eq!(incomplete_suffix_len(b"\xff"), 0);
        assert_eq!(leading_continuation_len(&"𝄞".as_bytes()[1..]), 3);
        assert_eq!(leading_continuation_len(b"abc"), 0);
    }
}
