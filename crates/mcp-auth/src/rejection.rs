//! [`AuthRejection`]: a refused request, with everything needed to answer it.

use http::{HeaderValue, StatusCode};

use crate::{InvalidTokenStatus, MalformedReason};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No credentials (see [`AuthOutcome::Missing`](crate::AuthOutcome::Missing)).
    MissingCredentials,
    /// A malformed `Authorization` header.
    MalformedCredentials(MalformedReason),
    /// Credentials that match no accepted token or ticket.
    InvalidToken,
    /// The `Host` header is absent, repeated or unparsable (400).
    InvalidHost,
    /// The `Host` header names a host this server does not answer for (421), see
    /// [`HostPolicy`](crate::HostPolicy).
    HostNotAllowed,
    /// The `Origin` header names an origin that is not allowed (403), see
    /// [`OriginPolicy`](crate::OriginPolicy).
    OriginNotAllowed,
}

/// A refused request: its [`RejectionKind`], the HTTP status and the `WWW-Authenticate` value to
/// send. What goes in the body is the caller's choice (see `BearerLayer::body` with the `axum`
/// feature); [`code`](Self::code) and [`message`](Self::message) are ready-made contents.
#[derive(Debug, Clone)]
pub struct AuthRejection {
    kind: RejectionKind,
    status: StatusCode,
    www_authenticate: Option<HeaderValue>,
}

impl AuthRejection {
    pub(crate) fn missing(realm: &str) -> Self {
        Self::challenge(RejectionKind::MissingCredentials, realm, None)
    }

    pub(crate) fn malformed(realm: &str, reason: MalformedReason) -> Self {
        let kind = RejectionKind::MalformedCredentials(reason);
        Self::challenge(kind, realm, Some("invalid_request"))
    }

    pub(crate) fn invalid(realm: &str, status: InvalidTokenStatus) -> Self {
        match status {
            InvalidTokenStatus::Unauthorized => {
                Self::challenge(RejectionKind::InvalidToken, realm, Some("invalid_token"))
            }
            InvalidTokenStatus::Forbidden => {
                Self::plain(RejectionKind::InvalidToken, StatusCode::FORBIDDEN)
            }
        }
    }

    pub(crate) fn plain(kind: RejectionKind, status: StatusCode) -> Self {
        Self {
            kind,
            status,
            www_authenticate: None,
        }
    }

    fn challenge(kind: RejectionKind, realm: &str, error: Option<&str>) -> Self {
        let mut value = String::from("Bearer realm=\"");
        for c in realm.chars().filter(|c| !c.is_control()) {
            if c == '"' || c == '\\' {
                value.push('\\');
            }
            value.push(c);
        }
        value.push('"');
        if let Some(error) = error {
            value.push_str(", error=\"");
            value.push_str(error);
            value.push('"');
        }
        let header = HeaderValue::from_bytes(value.as_bytes())
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        Self {
            kind,
            status: StatusCode::UNAUTHORIZED,
            www_authenticate: Some(header),
        }
    }

    /// Why the request was refused.
    #[must_use]
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// The status to answer with: 401, 403, 400 or 421.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `WWW-Authenticate` header to send, if any (only with 401).
    #[must_use]
    pub fn www_authenticate(&self) -> Option<&HeaderValue> {
        self.www_authenticate.as_ref()
    }

    /// A stable snake_case error code for a JSON body: `missing_token`, `malformed_token`,
    /// `invalid_token`, `invalid_host`, `host_not_allowed` or `origin_not_allowed`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self.kind {
            RejectionKind::MissingCredentials => "missing_token",
            RejectionKind::MalformedCredentials(_) => "malformed_token",
            RejectionKind::InvalidToken => "invalid_token",
            RejectionKind::InvalidHost => "invalid_host",
            RejectionKind::HostNotAllowed => "host_not_allowed",
            RejectionKind::OriginNotAllowed => "origin_not_allowed",
        }
    }

    /// A one-line human-readable explanation (never containing the token).
    #[must_use]
    pub fn message(&self) -> &'static str {
        match self.kind {
            RejectionKind::MissingCredentials => {
                "this endpoint requires an `Authorization: Bearer <token>` header"
            }
            RejectionKind::MalformedCredentials(_) => {
                "the Authorization header must be exactly `Bearer <token>`"
            }
            RejectionKind::InvalidToken => "the bearer token is not valid",
            RejectionKind::InvalidHost => "the Host header is missing or malformed",
            RejectionKind::HostNotAllowed => "this server does not answer for that Host",
            RejectionKind::OriginNotAllowed => "requests from this Origin are not allowed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_is_quoted_safely() {
        let rejection = AuthRejection::missing("a \"b\" \\ c\n");
        let header = rejection.www_authenticate().unwrap().to_str().unwrap();
        assert_eq!(header, r#"Bearer realm="a \"b\" \\ c""#);
    }
}
