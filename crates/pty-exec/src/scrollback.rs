//! The recent output of a terminal session, replayed to clients that (re)attach.

use bytes::Bytes;

use crate::ExitStatus;
use crate::byte_ring::ByteRing;
use crate::utf8_decoder::{decode_all, leading_continuation_len};

/// The session's recent output, as returned by [`Session::snapshot`] and
/// [`Session::attach`].
///
/// `bytes` is the scrollback exactly as read, so `bytes` followed by the `data` of the
/// events of a subscription taken at the same time ([`Session::attach`]) is the output
/// without gap or overlap. `text` is its decoding: it starts at a character boundary (the
/// ring may have cut a character in two) and leaves out an incomplete character at the end,
/// which the next [`OutputChunk`](crate::OutputChunk)'s text completes.
///
/// [`Session::snapshot`]: crate::Session::snapshot
/// [`Session::attach`]: crate::Session::attach
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Snapshot {
    /// The scrollback bytes, oldest first.
    pub bytes: Bytes,
    /// The scrollback as text (see above).
    pub text: String,
    /// Bytes the session has output since it started (`bytes` is the end of them).
    pub total_bytes: u64,
    /// How the program ended, if it has.
    pub exit: Option<ExitStatus>,
}

/// Builds a snapshot from the ring; `pending` is the length of an incomplete character at
/// the end that the stream decoder holds back.
pub(crate) fn snapshot(ring: &ByteRing, pending: usize, exit: Option<ExitStatus>) -> Snapshot {
    let bytes = ring.to_vec();
    let start = if ring.first_offset() > 0 {
        leading_continuation_len(&bytes)
    } else {
        0
    };
    let end = bytes.len().saturating_sub(pending).max(start);
    let (text, _) = decode_all(&bytes[start..end]);
    Snapshot {
        text,
        total_bytes: ring.total(),
        bytes: Bytes::from(bytes),
        exit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_text_starts_and_ends_on_character_boundaries() {
        let mut ring = ByteRing::new(5);
        ring.push("x€€".as_bytes()); // 7 bytes; keeps the last 5: 0x82 0xAC then €
        ring.push(&"é".as_bytes()[..1]); // incomplete, held back by the decoder
        let snapshot = snapshot(&ring, 1, None);
        assert_eq!(snapshot.bytes.len(), 5);
        assert_eq!(snapshot.text, "€");
        assert_eq!(snapshot.total_bytes, 8);
    }

    #[test]
    fn a_ring_that_never_wrapped_is_decoded_whole() {
        let mut ring = ByteRing::new(64);
        ring.push(b"\x80abc");
        let snapshot = snapshot(&ring, 0, Some(ExitStatus::from_code(0)));
        assert_eq!(snapshot.text, "\u{FFFD}abc");
        assert_eq!(snapshot.exit, Some(ExitStatus::from_code(0)));
    }
}
