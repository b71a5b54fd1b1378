//! Identifiers of sessions and background jobs, and the validation of session names.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::{Error, Result};

const MAX_LEN: usize = 64;

/// Checks that `value` is 1 to 64 characters from `A-Z a-z 0-9 - _ .`.
pub(crate) fn validate_name(value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            value: value.to_owned(),
        })
    }
}

/// A fresh, hard-to-guess 64-bit value as 16 hex digits.
///
/// Ids are unique within the process (a counter) and differ between runs (the counter is
/// hashed with the standard library's randomly keyed SipHash), so a stale id from a previous
/// server run does not name a new session.
fn fresh_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
    hasher.write_u64(n);
    format!("{:016x}", hasher.finish())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub(crate) fn generate() -> Self {
                Self(format!(concat!($prefix, "{}"), fresh_suffix()))
            }

            /// Checks and wraps an id received from a client.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidName`] unless the value is 1 to 64 characters from
            /// `A-Z a-z 0-9 - _ .`.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                validate_name(&value)?;
                Ok(Self(value))
            }

            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// The id of a terminal [`Session`](crate::Session), such as `s-3f9a0c1d2e4b5a69`.
    SessionId,
    "s-"
);

id_type!(
    /// The id of a background job started with
    /// [`SessionManager::start_job`](crate::SessionManager::start_job), such as
    /// `j-3f9a0c1d2e4b5a69`.
    JobId,
    "j-"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_valid() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("s-"));
        assert_eq!(a.as_str().len(), 18);
        assert_eq!(a.as_str().parse::<SessionId>().unwrap(), a);
        assert!(JobId::generate().as_str().starts_with("j-"));
    }

    #[test]
    fn validation() {
        assert!(SessionId::new("build_1.x-y").is_ok());
        for bad in ["", "a b", "é", "../etc", &"x".repeat(65)] {
            let error = SessionId::new(bad).unwrap_err();
            assert!(matches!(error, Error::InvalidName { .. }), "{bad:?}");
        }
    }
}
