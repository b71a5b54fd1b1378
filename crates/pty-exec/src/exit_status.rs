//! How a process ended.

use serde::Serialize;

use crate::signal::signal_name;

/// How a process ended: an exit code, or the signal that killed it.
///
/// Serialized as `{"code": 0, "signal": null}`, the signal as its name (`"SIGKILL"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ExitStatus {
    /// The exit code, when the process exited normally.
    pub code: Option<i32>,
    /// The number of the signal that killed the process, if one did.
    #[serde(serialize_with = "serialize_signal")]
    pub signal: Option<i32>,
}

impl ExitStatus {
    /// An exit with `code`.
    #[must_use]
    pub fn from_code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
        }
    }

    /// A death by signal number `signal`.
    #[must_use]
    pub fn from_signal(signal: i32) -> Self {
        Self {
            code: None,
            signal: Some(signal),
        }
    }

    /// Neither code nor signal is known (the process could not be waited for).
    #[must_use]
    pub fn unknown() -> Self {
        Self {
            code: None,
            signal: None,
        }
    }

    /// `true` for exit code 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The conventional name of the signal (`"SIGKILL"`), if a known signal killed the
    /// process.
    #[must_use]
    pub fn signal_name(&self) -> Option<&'static str> {
        self.signal.and_then(signal_name)
    }

    pub(crate) fn from_std(status: std::process::ExitStatus) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            Self {
                code: status.code(),
                signal: status.signal(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {
                code: status.code(),
                signal: None,
            }
        }
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}"),
            (None, Some(signal)) => match signal_name(signal) {
                Some(name) => write!(f, "killed by {name}"),
                None => write!(f, "killed by signal {signal}"),
            },
            (None, None) => f.write_str("unknown exit status"),
        }
    }
}

pub(crate) fn serialize_signal<S: serde::Serializer>(
    signal: &Option<i32>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match signal {
        Some(number) => match signal_name(*number) {
            Some(name) => serializer.serialize_str(name),
            None => serializer.serialize_i32(*number),
        },
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(ExitStatus::from_code(3).to_string(), "exit code 3");
        #[cfg(unix)]
        assert_eq!(ExitStatus::from_signal(9).to_string(), "killed by SIGKILL");
        assert_eq!(ExitStatus::unknown().to_string(), "unknown exit status");
        assert!(ExitStatus::from_code(0).success());
        assert!(!ExitStatus::from_signal(2).success());
    }

    #[cfg(unix)]
    #[test]
    fn serializes_signal_names() {
        let json = serde_json::to_string(&ExitStatus::from_signal(15)).unwrap();
        assert_eq!(json, r#"{"code":null,"signal":"SIGTERM"}"#);
        let json = serde_json::to_string(&ExitStatus::from_code(1)).unwrap();
        assert_eq!(json, r#"{"code":1,"signal":null}"#);
    }
}
