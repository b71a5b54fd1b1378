//! Signals that can be sent to a terminal session's foreground process group.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A signal for [`Session::signal`](crate::Session::signal).
///
/// Parsed from the names the WebSocket protocol uses (`"INT"`, `"TERM"`, `"KILL"`, `"HUP"`,
/// `"QUIT"`), with or without a `SIG` prefix, in any case, or from their numbers.
///
/// ```
/// use pty_exec::Signal;
/// assert_eq!("int".parse::<Signal>()?, Signal::Interrupt);
/// assert_eq!("SIGKILL".parse::<Signal>()?, Signal::Kill);
/// assert_eq!(Signal::Terminate.to_string(), "TERM");
/// # Ok::<(), pty_exec::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// `SIGINT`, what Ctrl-C sends.
    Interrupt,
    /// `SIGTERM`, a polite request to stop.
    Terminate,
    /// `SIGKILL`, cannot be caught.
    Kill,
    /// `SIGHUP`, what closing a terminal sends.
    Hangup,
    /// `SIGQUIT`, what Ctrl-\ sends.
    Quit,
}

impl Signal {
    /// The short name: `INT`, `TERM`, `KILL`, `HUP` or `QUIT`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "INT",
            Self::Terminate => "TERM",
            Self::Kill => "KILL",
            Self::Hangup => "HUP",
            Self::Quit => "QUIT",
        }
    }

    /// The POSIX signal number (the same on Linux and macOS for these five).
    #[must_use]
    pub fn number(self) -> i32 {
        match self {
            Self::Hangup => 1,
            Self::Interrupt => 2,
            Self::Quit => 3,
            Self::Kill => 9,
            Self::Terminate => 15,
        }
    }

    #[cfg(unix)]
    pub(crate) fn to_nix(self) -> nix::sys::signal::Signal {
        use nix::sys::signal::Signal as S;
        match self {
            Self::Interrupt => S::SIGINT,
            Self::Terminate => S::SIGTERM,
            Self::Kill => S::SIGKILL,
            Self::Hangup => S::SIGHUP,
            Self::Quit => S::SIGQUIT,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Signal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        Ok(match name {
            "INT" | "2" => Self::Interrupt,
            "TERM" | "15" => Self::Terminate,
            "KILL" | "9" => Self::Kill,
            "HUP" | "1" => Self::Hangup,
            "QUIT" | "3" => Self::Quit,
            _ => {
                return Err(Error::UnknownSignal { name: s.to_owned() });
            }
        })
    }
}

/// The conventional name (`"SIGKILL"`) of a signal number, if it is a known signal.
pub(crate) fn signal_name(number: i32) -> Option<&'static str> {
    #[cfg(unix)]
    {
        nix::sys::signal::Signal::try_from(number)
            .ok()
            .map(nix::sys::signal::Signal::as_str)
    }
    #[cfg(not(unix))]
    {
        let _ = number;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_prefixes_case_and_numbers() {
        for (text, signal) in [
            ("INT", Signal::Interrupt),
            ("sigint", Signal::Interrupt),
            (" 2 ", Signal::Interrupt),
            ("Term", Signal::Terminate),
            ("KILL", Signal::Kill),
            ("9", Signal::Kill),
            ("HUP", Signal::Hangup),
            ("SIGQUIT", Signal::Quit),
        ] {
            assert_eq!(text.parse::<Signal>().unwrap(), signal, "{text}");
        }
    }

    #[test]
    fn unknown_names_are_errors() {
        let error = "STOP".parse::<Signal>().unwrap_err();
        assert!(matches!(error, Error::UnknownSignal { ref name } if name == "STOP"));
        assert!(error.is_user_error());
    }

    #[test]
    fn names_and_numbers_round_trip() {
        for signal in [
            Signal::Interrupt,
            Signal::Terminate,
            Signal::Kill,
            Signal::Hangup,
            Signal::Quit,
        ] {
            assert_eq!(signal.name().parse::<Signal>().unwrap(), signal);
            assert_eq!(
                signal.number().to_string().parse::<Signal>().unwrap(),
                signal
            );
            #[cfg(unix)]
            assert_eq!(signal.to_nix() as i32, signal.number());
        }
    }

    #[cfg(unix)]
    #[test]
    fn signal_names() {
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(15), Some("SIGTERM"));
        assert_eq!(signal_name(12345), None);
    }
}
