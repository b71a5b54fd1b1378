//! Parsing of `Authorization: Bearer <token>` (RFC 6750 §2.1, RFC 7235 `token68`).

use http::HeaderMap;
use http::header::AUTHORIZATION;

/// Why an `Authorization` header was refused as malformed (as opposed to absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MalformedReason {
    /// The request has more than one `Authorization` header.
    MultipleHeaders,
    /// The header is empty or its scheme has characters a scheme cannot have.
    InvalidScheme,
    /// `Bearer` is not followed by exactly one space (two spaces, a tab, ...).
    InvalidSeparator,
    /// `Bearer` with no token after it.
    EmptyToken,
    /// The token has a character outside `token68`: whitespace, a newline, a comma, non-ASCII, ...
    InvalidCharacter,
}

impl MalformedReason {
    /// A short snake_case label for logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MultipleHeaders => "multiple_headers",
            Self::InvalidScheme => "invalid_scheme",
            Self::InvalidSeparator => "invalid_separator",
            Self::EmptyToken => "empty_token",
            Self::InvalidCharacter => "invalid_character",
        }
    }
}

/// Finds the bearer token in a request's headers.
///
/// Returns `Ok(None)` when there is no `Authorization` header or when it uses another scheme
/// (`Basic …`): RFC 6750 §3.1 treats both as "no authentication information".
///
/// # Errors
///
/// A [`MalformedReason`] when the header is there but is not one well-formed
/// `Bearer <token68>`.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, MalformedReason> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(MalformedReason::MultipleHeaders);
    }
    parse_bearer(value.as_bytes())
}

/// Parses one `Authorization` header value: the scheme is matched case-insensitively and must
/// be followed by exactly one space and a `token68`, with nothing after it.
///
/// # Errors
///
/// See [`bearer_token`].
pub fn parse_bearer(value: &[u8]) -> Result<Option<&str>, MalformedReason> {
    let scheme_len = value
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_len);
    if scheme.is_empty() || !scheme.iter().all(|&b| is_tchar(b)) {
        return Err(MalformedReason::InvalidScheme);
    }
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    let token = match rest {
        [] | [b' '] => return Err(MalformedReason::EmptyToken),
        [b' ', b' ' | b'\t', ..] => return Err(MalformedReason::InvalidSeparator),
        [b' ', token @ ..] => token,
        _ => return Err(MalformedReason::InvalidSeparator),
    };
    if token68_error_position(token).is_some() {
        return Err(MalformedReason::InvalidCharacter);
    }
    std::str::from_utf8(token)
        .map(Some)
        .map_err(|_| MalformedReason::InvalidCharacter)
}

/// Position of the first byte that makes `value` not a `token68`
/// (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`), or `None` if it is one.
pub(crate) fn token68_error_position(value: &[u8]) -> Option<usize> {
    let body = value.iter().take_while(|&&b| is_token68_char(b)).count();
    if body == 0 {
        return Some(0);
    }
    value[body..]
        .iter()
        .position(|&b| b != b'=')
        .map(|offset| body + offset)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// RFC 9110 `tchar`: what an authentication scheme name may contain.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(value: &str) -> Result<Option<&str>, MalformedReason> {
        parse_bearer(value.as_bytes())
    }

    #[test]
    fn accepts_any_case_of_the_scheme() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc"] {
            assert_eq!(parse(value), Ok(Some("abc")), "{value}");
        }
        assert_eq!(parse("Bearer a-b.c_d~e+f/g=="), Ok(Some("a-b.c_d~e+f/g==")));
    }

    #[test]
    fn other_schemes_count_as_no_credentials() {
        assert_eq!(parse("Basic dXNlcjpwYXNz"), Ok(None));
        assert_eq!(parse("Token abc"), Ok(None));
    }

    #[test]
    fn refuses_malformed_shapes() {
        use MalformedReason::*;
        let cases = [
            ("", InvalidScheme),
            (" Bearer abc", InvalidScheme),
            ("Bea\"rer abc", InvalidScheme),
            ("Bearer", EmptyToken),
            ("Bearer ", EmptyToken),
            ("Bearer  abc", InvalidSeparator),
            ("Bearer \tabc", InvalidSeparator),
            ("Bearer\tabc", InvalidSeparator),
            ("Bearer abc ", InvalidCharacter),
            ("Bearer abc\n", InvalidCharacter),
            ("Bearer abc\r\n", InvalidCharacter),
            ("Bearer abc def", InvalidCharacter),
            ("Bearer abc, Bearer def", InvalidCharacter),
            ("Bearer tökén", InvalidCharacter),
            ("Bearer =abc", InvalidCharacter),
            ("Bearer ab=c", InvalidCharacter),
        ];
        for (value, reason) in cases {
            assert_eq!(parse(value), Err(reason), "{value:?}");
        }
        assert_eq!(parse_bearer(b"Bearer abc\xff"), Err(InvalidCharacter));
    }

    #[test]
    fn distinguishes_missing_from_duplicated_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), Ok(None));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer_token(&headers), Ok(Some("abc")));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(
            bearer_token(&headers),
            Err(MalformedReason::MultipleHeaders)
        );
        let mut headers = HeaderMap::new();
        let non_ascii = HeaderValue::from_bytes("Bearer tökén".as_bytes()).unwrap();
        headers.insert(AUTHORIZATION, non_ascii);
        assert_eq!(
            bearer_token(&headers),
            Err(MalformedReason::InvalidCharacter)
        );
    }
}
