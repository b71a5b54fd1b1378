//! The crate's error type.

/// Everything that can go wrong while configuring authentication.
///
/// Request-time decisions (missing header, wrong token, ...) are not errors: they are
/// [`AuthOutcome`](crate::AuthOutcome)s and [`AuthRejection`](crate::AuthRejection)s.
/// Messages never contain a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configured token is empty.
    #[error(
        "token is empty; generate one with `openssl rand -hex 32` or `mcp_auth::Token::generate()`"
    )]
    EmptyToken,
    /// The configured token is a well-known placeholder such as `changeme`.
    #[error(
        "token is a placeholder, not a secret; generate one with `openssl rand -hex 32` or `mcp_auth::Token::generate()`"
    )]
    PlaceholderToken,
    /// The configured token is shorter than [`Token::MIN_LEN`](crate::Token::MIN_LEN).
    #[error(
        "token is too short ({len} characters, at least {min} required); generate one with `openssl rand -hex 32` or `mcp_auth::Token::generate()`"
    )]
    TokenTooShort {
        /// Length of the refused token, in bytes.
        len: usize,
        /// Minimum accepted length.
        min: usize,
    },
    /// The configured token uses too few distinct characters (`aaaa…`, `abababab…`).
    #[error(
        "token uses only {distinct} distinct characters (at least {min} required); generate one with `openssl rand -hex 32` or `mcp_auth::Token::generate()`"
    )]
    WeakToken {
        /// Number of distinct characters in the refused token.
        distinct: usize,
        /// Minimum number of distinct characters.
        min: usize,
    },
    /// The configured token has a character that cannot travel in an `Authorization` header.
    #[error(
        "token has a character outside A-Z a-z 0-9 - . _ ~ + / (and trailing =) at byte {position}; generate one with `openssl rand -hex 32` or `mcp_auth::Token::generate()`"
    )]
    TokenCharacter {
        /// Byte offset of the first refused character.
        position: usize,
    },
    /// The operating system's random number generator failed.
    #[error("operating system random number generator failed")]
    Random {
        /// The cause, as reported by `getrandom`.
        #[source]
        source: std::io::Error,
    },
    /// [`TicketIssuer::issue`](crate::TicketIssuer::issue) was called while `limit` tickets
    /// were still outstanding.
    #[error("too many outstanding tickets (limit {limit})")]
    TooManyTickets {
        /// The configured limit.
        limit: usize,
    },
    /// An allowed origin given to [`OriginPolicy::allow`](crate::OriginPolicy::allow) is not
    /// of the form `scheme://host[:port]`.
    #[error("allowed origin {origin:?} is not of the form scheme://host[:port]")]
    InvalidAllowedOrigin {
        /// The refused configuration value.
        origin: String,
    },
    /// An allowed host given to [`HostPolicy::allow`](crate::HostPolicy::allow) is not of the
    /// form `host[:port]`.
    #[error("allowed host {host:?} is not of the form host[:port]")]
    InvalidAllowedHost {
        /// The refused configuration value.
        host: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
