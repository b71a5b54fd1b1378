//! The local terminal for `mcp-lm attach`: raw mode (every key goes to the remote shell,
//! Ctrl-C included), restored by a guard on every way out, and the window size.

use std::io::{IsTerminal, Stdin};

use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr};

/// Raw mode on standard input while it lives; the previous settings come back on drop (also
/// when an error or a panic unwinds through the owner).
#[derive(Debug)]
pub(crate) struct RawMode {
    stdin: Stdin,
    original: Termios,
}

impl RawMode {
    /// Switches standard input to raw mode; `None` when it is not a terminal.
    ///
    /// # Errors
    /// When the terminal settings cannot be read or changed.
    pub(crate) fn enable() -> std::io::Result<Option<Self>> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(None);
        }
        let original = tcgetattr(&stdin)?;
        let mut raw = original.clone();
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Flush, &raw)?;
        Ok(Some(Self { stdin, original }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(&self.stdin, OptionalActions::Now, &self.original);
    }
}

/// The window size (columns, rows) of the terminal on stdout, else on stdin; `None` when
/// neither is a terminal or the size is unknown (0).
#[must_use]
pub(crate) fn window_size() -> Option<(u16, u16)> {
    let size = tcgetwinsize(std::io::stdout())
        .or_else(|_| tcgetwinsize(std::io::stdin()))
        .ok()?;
    (size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
}

/// Parses a detach key: `ctrl-]` (the default), `ctrl-<letter>`, `ctrl-\`, `ctrl-^`,
/// `ctrl-_`, or `none`.
///
/// # Errors
/// A message naming the accepted forms.
pub(crate) fn parse_detach_key(text: &str) -> Result<Option<u8>, String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower == "none" {
        return Ok(None);
    }
    let key = lower
        .strip_prefix("ctrl-")
        .or_else(|| lower.strip_prefix("ctrl+"))
        .or_else(|| lower.strip_prefix('^'));
    match key.map(str::as_bytes) {
        Some([letter @ b'a'..=b'z']) => Ok(Some(letter - b'a' + 1)),
        Some([b'[']) => Ok(Some(0x1b)),
        Some([b'\\']) => Ok(Some(0x1c)),
        Some([b']']) => Ok(Some(0x1d)),
        Some([b'^']) => Ok(Some(0x1e)),
        Some([b'_']) => Ok(Some(0x1f)),
        _ => Err(format!(
            "--detach-key {text:?}: expected ctrl-] , ctrl-<letter>, ctrl-\\, ctrl-^, ctrl-_ or none"
        )),
    }
}

/// How to write a detach key for people: `Ctrl-]`.
#[must_use]
pub(crate) fn describe_key(key: u8) -> String {
    match key {
        1..=26 => format!("Ctrl-{}", char::from(b'A' + key - 1)),
        0x1b => "Ctrl-[".to_owned(),
        0x1c => "Ctrl-\\".to_owned(),
        0x1d => "Ctrl-]".to_owned(),
        0x1e => "Ctrl-^".to_owned(),
        0x1f => "Ctrl-_".to_owned(),
        other => format!("byte {other:#04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys() {
        assert_eq!(parse_detach_key("ctrl-]"), Ok(Some(0x1d)));
        assert_eq!(parse_detach_key("Ctrl-D"), Ok(Some(4)));
        assert_eq!(parse_detach_key("^q"), Ok(Some(17)));
        assert_eq!(parse_detach_key("none"), Ok(None));
        assert!(parse_detach_key("alt-x").is_err());
        assert_eq!(describe_key(0x1d), "Ctrl-]");
        assert_eq!(describe_key(17), "Ctrl-Q");
    }
}
