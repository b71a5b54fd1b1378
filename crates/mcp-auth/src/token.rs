//! [`Token`]: a validated bearer secret that redacts itself and is wiped on drop.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::{Zeroize, Zeroizing};

use crate::authorization_header::token68_error_position;
use crate::{Error, Result};

/// Placeholders seen in READMEs and sample configs, compared after lower-casing and dropping
/// everything but letters and digits (so `VOTRE_TOKEN_SECRET_ICI` matches `votretokensecretici`).
const PLACEHOLDERS_CONTAINED: &[&str] = &[
    "votretokensecretici",
    "changeme",
    "replaceme",
    "placeholder",
    "yourtoken",
    "yoursecret",
    "yourapikey",
    "tokenhere",
    "secrethere",
    "inserttoken",
    "insertsecret",
];
const PLACEHOLDERS_EXACT: &[&str] = &["secret", "token", "password", "apitoken", "test", "example"];

/// Minimum number of distinct characters: a random 32-character token has about 25.
const MIN_DISTINCT: usize = 8;

/// A bearer token accepted by the server.
///
/// Built from configuration with [`Token::new`] / [`str::parse`] (which refuse empty,
/// placeholder, short and low-variety values, with an error saying how to make a good one) or
/// freshly made with [`Token::generate`]. `Debug` prints `Token(***)` and `Display` prints
/// `***`, so a token cannot leak through logs or error messages; the only way to read it is the
/// explicit [`Token::expose_secret`]. The memory holding it is zeroed when it is dropped (copies
/// you made before calling `Token::new`, e.g. the `String` read from a file, are yours to wipe).
///
/// A token must be a `token68` (RFC 7235): `A-Z a-z 0-9 - . _ ~ + /`, optionally ending in `=`.
/// Tokens sent as `Sec-WebSocket-Protocol: bearer.<token>` must in addition avoid `/` and `=`;
/// generated tokens and hex strings qualify.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Minimum accepted length, in characters.
    pub const MIN_LEN: usize = 32;

    /// Validates a configured token.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyToken`], [`Error::PlaceholderToken`], [`Error::TokenTooShort`],
    /// [`Error::TokenCharacter`] (whitespace, a trailing newline, non-ASCII, ...) or
    /// [`Error::WeakToken`].
    pub fn new(value: impl Into<String>) -> Result<Self> {
        // Wrap first, so that a refused value is zeroed too.
        let token = Self(value.into());
        token.validate()?;
        Ok(token)
    }

    /// Makes a fresh token: 256 bits from the operating system, base64url without padding
    /// (43 characters, safe in headers, URLs and `Sec-WebSocket-Protocol`).
    ///
    /// # Errors
    ///
    /// [`Error::Random`] if the operating system's random number generator fails.
    pub fn generate() -> Result<Self> {
        let bytes = random_bytes()?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
    }

    /// The secret itself, e.g. to write it into a new config file. Never log it.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    fn validate(&self) -> Result<()> {
        let value = self.0.as_str();
        if value.is_empty() {
            return Err(Error::EmptyToken);
        }
        if is_placeholder(value) {
            return Err(Error::PlaceholderToken);
        }
        if value.len() < Self::MIN_LEN {
            return Err(Error::TokenTooShort {
                len: value.len(),
                min: Self::MIN_LEN,
            });
        }
        if let Some(position) = token68_error_position(value.as_bytes()) {
            return Err(Error::TokenCharacter { position });
        }
        let mut seen = [false; 128];
        for byte in value.bytes() {
            seen[usize::from(byte & 0x7f)] = true;
        }
        let distinct = seen.iter().filter(|&&s| s).count();
        if distinct < MIN_DISTINCT {
            return Err(Error::WeakToken {
                distinct,
                min: MIN_DISTINCT,
            });
        }
        Ok(())
    }
}

/// 32 bytes from the operating system, wiped when dropped.
pub(crate) fn random_bytes() -> Result<Zeroizing<[u8; 32]>> {
    let mut bytes = Zeroizing::new([0_u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|e| Error::Random {
        source: std::io::Error::other(e),
    })?;
    Ok(bytes)
}

fn is_placeholder(value: &str) -> bool {
    let normalized: Zeroizing<String> = Zeroizing::new(
        value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    PLACEHOLDERS_EXACT.contains(&normalized.as_str())
        || PLACEHOLDERS_CONTAINED
            .iter()
            .any(|p| normalized.contains(p))
}

impl Drop for Token {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Token {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for Token {
    type Error = Error;

    fn try_from(value: String) -> Result<Self> {
        Self::new(value)
    }
}

/// Validates while deserializing; there is deliberately no `Serialize` (write
/// [`Token::expose_secret`] explicitly when you mean to).
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Token {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "4f9c2a7e1b8d3f6a0c5e9b2d7a4f1c8e";

    #[test]
    fn accepts_a_random_looking_token() {
        assert_eq!(Token::new(GOOD).unwrap().expose_secret(), GOOD);
        assert!(
            "dGhpcyBpcyBub3QgYSByZWFsIHRva2VuIGF0IGFsbA=="
                .parse::<Token>()
                .is_ok()
        );
    }

    #[test]
    fn refuses_empty_placeholder_short_and_weak_values() {
        assert!(matches!(Token::new(""), Err(Error::EmptyToken)));
        for placeholder in [
            "VOTRE_TOKEN_SECRET_ICI",
            "changeme",
            "CHANGE-ME-changeme-changeme-changeme",
            "your-token-here",
            "secret",
        ] {
            assert!(
                matches!(Token::new(placeholder), Err(Error::PlaceholderToken)),
                "{placeholder}"
            );
        }
        assert!(matches!(
            Token::new("4f9c2a7e1b8d"),
            Err(Error::TokenTooShort { len: 12, min: 32 })
        ));
        assert!(matches!(
            Token::new("ab".repeat(20)),
            Err(Error::WeakToken { distinct: 2, .. })
        ));
    }

    #[test]
    fn refuses_characters_that_cannot_travel_in_a_header() {
        for (value, position) in [
            (format!("{GOOD}\n"), 32),
            (format!(" {GOOD}"), 0),
            (format!("{GOOD}=x"), 33),
            (format!("{GOOD}é"), 32),
            (format!("={GOOD}"), 0),
        ] {
            match Token::new(value) {
                Err(Error::TokenCharacter { position: p }) => assert_eq!(p, position),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn errors_say_how_to_make_one_and_never_echo_the_value() {
        let err = Token::new("VOTRE_TOKEN_SECRET_ICI")
            .unwrap_err()
            .to_string();
        assert!(err.contains("openssl rand -hex 32"), "{err}");
        assert!(!err.contains("VOTRE"), "{err}");
        let err = Token::new(format!("{GOOD} ")).unwrap_err().to_string();
        assert!(!err.contains(GOOD), "{err}");
    }

    #[test]
    fn generated_tokens_are_256_bit_url_safe_and_distinct() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(
            a.expose_secret()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(Token::new(a.expose_secret()).is_ok());
    }

    #[test]
    fn debug_and_display_redact() {
        let token = Token::new(GOOD).unwrap();
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(token.to_string(), "***");
        assert!(!format!("{:?}", Some(&token)).contains(GOOD));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserializes_with_validation() {
        let token: Token = serde_json::from_str(&format!("\"{GOOD}\"")).unwrap();
        assert_eq!(token.expose_secret(), GOOD);
        let err = serde_json::from_str::<Token>("\"changeme\"").unwrap_err();
        assert!(err.to_string().contains("placeholder"));
    }
}
