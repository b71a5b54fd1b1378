//! A fixed-capacity ring of bytes that keeps the most recent ones: the tail of a capped
//! output, the scrollback of a terminal, the log of a background job.

/// Keeps the last `capacity` bytes pushed, and counts all bytes ever pushed.
///
/// Memory grows with the data up to `capacity`, never beyond.
#[derive(Debug)]
pub(crate) struct ByteRing {
    buf: Vec<u8>,
    capacity: usize,
    /// Index of the oldest byte once `buf` is full (0 before).
    start: usize,
    total: u64,
}

impl ByteRing {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            buf: Vec::new(),
            capacity,
            start: 0,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.capacity == 0 || data.is_empty() {
            return;
        }
        if data.len() >= self.capacity {
            self.buf.clear();
            self.buf
                .extend_from_slice(&data[data.len() - self.capacity..]);
            self.start = 0;
            return;
        }
        if self.buf.len() < self.capacity {
            let n = (self.capacity - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        while !data.is_empty() {
            let n = (self.capacity - self.start).min(data.len());
            self.buf[self.start..self.start + n].copy_from_slice(&data[..n]);
            self.start = (self.start + n) % self.capacity;
            data = &data[n..];
        }
    }

    /// Bytes currently held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes ever pushed.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Absolute offset (in the stream of all bytes ever pushed) of the oldest byte held.
    pub(crate) fn first_offset(&self) -> u64 {
        self.total - self.buf.len() as u64
    }

    /// Appends the held bytes from `skip` (0 = oldest) to the newest, in order, to `out`.
    pub(crate) fn copy_from(&self, skip: usize, out: &mut Vec<u8>) {
        let (older, newer) = (&self.buf[self.start..], &self.buf[..self.start]);
        if skip < older.len() {
            out.extend_from_slice(&older[skip..]);
            out.extend_from_slice(newer);
        } else if let Some(newer) = newer.get(skip - older.len()..) {
            out.extend_from_slice(newer);
        }
    }

    /// All held bytes, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len());
        self.copy_from(0, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes() {
        let mut ring = ByteRing::new(5);
        ring.push(b"abc");
        assert_eq!(ring.to_vec(), b"abc");
        ring.push(b"de");
        assert_eq!(ring.to_vec(), b"abcde");
        ring.push(b"fg");
        assert_eq!(ring.to_vec(), b"cdefg");
        ring.push(b"hijklmnop");
        assert_eq!(ring.to_vec(), b"lmnop");
        ring.push(b"q");
        assert_eq!(ring.to_vec(), b"mnopq");
        assert_eq!(ring.total(), 17);
        assert_eq!(ring.first_offset(), 12);
        let mut out = Vec::new();
        ring.copy_from(2, &mut out);
        assert_eq!(out, b"opq");
        out.clear();
        ring.copy_from(5, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn matches_a_naive_model() {
        let mut ring = ByteRing::new(7);
        let mut all = Vec::new();
        for i in 0..200u8 {
            let chunk: Vec<u8> = (0..(i % 11)).map(|j| i.wrapping_add(j)).collect();
            ring.push(&chunk);
            all.extend_from_slice(&chunk);
            let keep = all.len().min(7);
            assert_eq!(ring.to_vec(), all[all.len() - keep..]);
            for skip in 0..=keep {
                let mut out = Vec::new();
                ring.copy_from(skip, &mut out);
                assert_eq!(out, all[all.len() - keep + skip..]);
            }
        }
    }

    #[test]
    fn zero_capacity_only_counts() {
        let mut ring = ByteRing::new(0);
        ring.push(b"abc");
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.total(), 3);
    }
}
