//! The result of a one-shot command.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde::{Serialize, Serializer};

use crate::ExitStatus;
use crate::exit_status::serialize_signal;
use crate::output_capture::Captured;

/// Which output streams were cut at the cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Truncated {
    /// Standard output was cut.
    pub stdout: bool,
    /// Standard error was cut.
    pub stderr: bool,
}

impl Truncated {
    /// `true` if either stream was cut.
    #[must_use]
    pub fn any(&self) -> bool {
        self.stdout || self.stderr
    }
}

/// How many bytes each stream produced, stored or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ByteCounts {
    /// Bytes written to standard output.
    pub stdout: u64,
    /// Bytes written to standard error.
    pub stderr: u64,
}

/// What a command printed and how it ended.
///
/// The text fields are lossless where the output is valid UTF-8 (a character split between
/// two reads is never mangled); only truly invalid bytes become U+FFFD, and then
/// `stdout_base64` / `stderr_base64` carry the stored bytes exactly. When a stream is longer
/// than the cap, its head and tail are kept and a line `[... N bytes omitted ...]` stands in
/// the text where the middle was (`*_bytes` and `*_base64` then hold head and tail joined,
/// without the marker).
///
/// Serializes to the JSON of the REST API's `/terminal/cmd` (less its `success` field):
///
/// ```json
/// {"command":"echo hi","stdout":"hi\n","stderr":"","exit_code":0,"signal":null,
///  "timed_out":false,"cancelled":false,"truncated":{"stdout":false,"stderr":false},
///  "total_bytes":{"stdout":3,"stderr":0},"execution_time":0.0012,"pid":4242}
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Output {
    /// The command line that ran.
    pub command: String,
    /// Standard output as text.
    pub stdout: String,
    /// Standard error as text.
    pub stderr: String,
    /// Base64 of the stored standard output, present only when `stdout` is lossy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout_base64: Option<String>,
    /// Base64 of the stored standard error, present only when `stderr` is lossy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr_base64: Option<String>,
    /// The stored standard output bytes (not serialized).
    #[serde(skip)]
    pub stdout_bytes: Bytes,
    /// The stored standard error bytes (not serialized).
    #[serde(skip)]
    pub stderr_bytes: Bytes,
    /// The shell's exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// The signal that killed the shell, if one did (serialized as its name, `"SIGKILL"`).
    #[serde(serialize_with = "serialize_signal")]
    pub signal: Option<i32>,
    /// The time limit was reached and the process group was killed.
    pub timed_out: bool,
    /// The run was cancelled (token, [`Execution::kill`](crate::Execution::kill)) and the
    /// process group was killed.
    pub cancelled: bool,
    /// Which streams were cut at the cap.
    pub truncated: Truncated,
    /// Bytes produced per stream, including discarded ones.
    pub total_bytes: ByteCounts,
    /// Wall-clock time from start to the end of the output (serialized as
    /// `execution_time` in seconds).
    #[serde(rename = "execution_time", serialize_with = "serialize_seconds")]
    pub duration: Duration,
    /// Process id of the shell (also its process group id on Unix).
    pub pid: Option<u32>,
}

impl Output {
    pub(crate) fn new(
        command: String,
        stdout: Captured,
        stderr: Captured,
        status: ExitStatus,
        duration: Duration,
        pid: Option<u32>,
    ) -> Self {
        let base64 = |captured: &Captured| {
            captured
                .lossy
                .then(|| base64::engine::general_purpose::STANDARD.encode(&captured.bytes))
        };
        Self {
            stdout_base64: base64(&stdout),
            stderr_base64: base64(&stderr),
            truncated: Truncated {
                stdout: stdout.truncated,
                stderr: stderr.truncated,
            },
            total_bytes: ByteCounts {
                stdout: stdout.total,
                stderr: stderr.total,
            },
            command,
            stdout: stdout.text,
            stderr: stderr.text,
            stdout_bytes: stdout.bytes,
            stderr_bytes: stderr.bytes,
            exit_code: status.code,
            signal: status.signal,
            timed_out: false,
            cancelled: false,
            duration,
            pid,
        }
    }

    /// `true` if the command exited with code 0 and was neither timed out nor cancelled.
    #[must_use]
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled
    }

    /// The exit code and signal as an [`ExitStatus`].
    #[must_use]
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus {
            code: self.exit_code,
            signal: self.signal,
        }
    }
}

pub(crate) fn serialize_seconds<S: Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(bytes: &'static [u8], lossy: bool) -> Captured {
        Captured {
            bytes: Bytes::from_static(bytes),
            text: String::from_utf8_lossy(bytes).into_owned(),
            lossy,
            truncated: false,
            total: bytes.len() as u64,
        }
    }

    #[test]
    fn serializes_like_the_rest_api() {
        let output = Output::new(
            "printf".into(),
            captured(b"ok\xff", true),
            captured(b"", false),
            ExitStatus::from_code(0),
            Duration::from_millis(1500),
            Some(42),
        );
        let json = serde_json::to_value(&output).unwrap();
        assert_eq!(json["stdout"], "ok\u{FFFD}");
        assert_eq!(json["stdout_base64"], "b2v/");
        assert!(json.get("stderr_base64").is_none());
        assert_eq!(json["exit_code"], 0);
        assert_eq!(json["signal"], serde_json::Value::Null);
        assert_eq!(json["execution_time"], 1.5);
        assert_eq!(json["truncated"]["stdout"], false);
        assert!(json.get("stdout_bytes").is_none());
        assert!(output.success());
    }
}
