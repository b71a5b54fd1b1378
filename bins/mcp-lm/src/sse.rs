//! [`SseReader`]: server-sent events from a response body, as `/lm/query` with
//! `"stream": true` sends them (`event: delta|progress|done|error`, JSON `data`).

use anyhow::Result;

use crate::failure::Failure;

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field (`message` when absent).
    pub(crate) name: String,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// Reads events from a streamed response.
#[derive(Debug)]
pub(crate) struct SseReader {
    response: reqwest::Response,
    parser: SseParser,
}

impl SseReader {
    /// Reads from `response`.
    #[must_use]
    pub(crate) fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            parser: SseParser::default(),
        }
    }

    /// The next event, or `None` at the end of the stream.
    ///
    /// # Errors
    /// A [`Failure`] when the connection breaks mid-stream.
    ///
    /// # Cancel safety
    /// Cancel safe: partial input stays in `self`.
    pub(crate) async fn next(&mut self) -> Result<Option<SseEvent>> {
        loop {
            if let Some(event) = self.parser.next_event() {
                return Ok(Some(event));
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.parser.push(&bytes),
                Ok(None) => return Ok(self.parser.finish()),
                Err(error) => {
                    return Err(Failure::new(format!(
                        "the server's answer stream broke off: {error}"
                    ))
                    .into());
                }
            }
        }
    }
}

/// The line-level parser, separate from the I/O so it can be tested.
#[derive(Debug, Default)]
struct SseParser {
    buffer: Vec<u8>,
    name: Option<String>,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete event in the buffer.
    fn next_event(&mut self) -> Option<SseEvent> {
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(event) = self.line(&line) {
                return Some(event);
            }
        }
        None
    }

    /// The event pending at the end of the stream, if the last one had no blank line.
    fn finish(&mut self) -> Option<SseEvent> {
        if !self.buffer.is_empty() {
            let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buffer)).into_owned();
            if let Some(event) = self.line(rest.trim_end_matches('\r')) {
                return Some(event);
            }
        }
        self.line("")
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() && self.name.is_none() {
                return None;
            }
            return Some(SseEvent {
                name: self.name.take().unwrap_or_else(|| "message".to_owned()),
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        if line.starts_with(':') {
            return None; // a comment: keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_comments() {
        let mut parser = SseParser::default();
        parser.push(b": keep-alive\n\nevent: delta\ndata: {\"a\"");
        assert_eq!(parser.next_event(), None);
        parser.push(b":1}\r\n\r\nevent: done\ndata: x\ndata: y\n\n");
        assert_eq!(
            parser.next_event(),
            Some(SseEvent {
                name: "delta".into(),
                data: "{\"a\":1}".into()
            })
        );
        assert_eq!(
            parser.next_event(),
            Some(SseEvent {
                name: "done".into(),
                data: "x\ny".into()
            })
        );
        assert_eq!(parser.next_event(), None);
        parser.push(b"data: tail");
        assert_eq!(
            parser.finish(),
            Some(SseEvent {
                name: "message".into(),
                data: "tail".into()
            })
        );
    }
}
