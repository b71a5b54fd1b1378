//! [`AuthOutcome`]: the decision about one request's credentials, as data.

use crate::{AuthRejection, Identity, MalformedReason};

/// What checking a request's credentials concluded.
///
/// Kept separate from the HTTP response so that it can be logged, counted and tested; turn it
/// into a response with [`AuthOutcome::rejection`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// No credentials: no `Authorization` header (or one with another scheme, such as `Basic`),
    /// and no WebSocket credential where those are accepted.
    Missing,
    /// An `Authorization` header that is not one well-formed `Bearer <token68>`.
    Malformed(MalformedReason),
    /// Well-formed credentials that match no accepted token (or an unknown, expired or
    /// already used ticket).
    Invalid,
    /// Authenticated.
    Ok(Identity),
}

/// The status for a well-formed but wrong token: RFC 6750 says 401, many existing REST APIs
/// (including the one this crate was written for) answer 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InvalidTokenStatus {
    /// `401 Unauthorized` with `WWW-Authenticate: Bearer realm="…", error="invalid_token"`
    /// (RFC 6750, required by MCP).
    #[default]
    Unauthorized,
    /// `403 Forbidden`, without `WWW-Authenticate`.
    Forbidden,
}

impl AuthOutcome {
    /// Whether the request is authenticated.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    /// Who made the request, if it is authenticated.
    #[must_use]
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Self::Ok(identity) => Some(identity),
            _ => None,
        }
    }

    /// A short snake_case label for logs and metrics: `missing`, `malformed`, `invalid`, `ok`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed(_) => "malformed",
            Self::Invalid => "invalid",
            Self::Ok(_) => "ok",
        }
    }

    /// The HTTP answer to give, or `None` if the request is authenticated:
    ///
    /// | outcome | status | `WWW-Authenticate` |
    /// |---|---|---|
    /// | `Missing` | 401 | `Bearer realm="…"` |
    /// | `Malformed` | 401 | `Bearer realm="…", error="invalid_request"` |
    /// | `Invalid`, [`InvalidTokenStatus::Unauthorized`] | 401 | `Bearer realm="…", error="invalid_token"` |
    /// | `Invalid`, [`InvalidTokenStatus::Forbidden`] | 403 | — |
    #[must_use]
    pub fn rejection(
        &self,
        realm: &str,
        invalid_token: InvalidTokenStatus,
    ) -> Option<AuthRejection> {
        match self {
            Self::Missing => Some(AuthRejection::missing(realm)),
            Self::Malformed(reason) => Some(AuthRejection::malformed(realm, *reason)),
            Self::Invalid => Some(AuthRejection::invalid(realm, invalid_token)),
            Self::Ok(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn answer(outcome: &AuthOutcome, status: InvalidTokenStatus) -> (StatusCode, Option<String>) {
        let rejection = outcome.rejection("mcp-lm", status).unwrap();
        let header = rejection
            .www_authenticate()
            .map(|v| v.to_str().unwrap().to_owned());
        (rejection.status(), header)
    }

    #[test]
    fn maps_each_outcome_to_http() {
        use InvalidTokenStatus::*;
        let realm = r#"Bearer realm="mcp-lm""#;
        assert_eq!(
            answer(&AuthOutcome::Missing, Forbidden),
            (StatusCode::UNAUTHORIZED, Some(realm.to_owned()))
        );
        assert_eq!(
            answer(
                &AuthOutcome::Malformed(MalformedReason::EmptyToken),
                Forbidden
            ),
            (
                StatusCode::UNAUTHORIZED,
                Some(format!(r#"{realm}, error="invalid_request""#))
            )
        );
        assert_eq!(
            answer(&AuthOutcome::Invalid, Unauthorized),
            (
                StatusCode::UNAUTHORIZED,
                Some(format!(r#"{realm}, error="invalid_token""#))
            )
        );
        assert_eq!(
            answer(&AuthOutcome::Invalid, Forbidden),
            (StatusCode::FORBIDDEN, None)
        );
        let ok = AuthOutcome::Ok(Identity::new(0, None));
        assert!(ok.is_ok() && ok.rejection("r", Forbidden).is_none());
        assert_eq!(ok.as_str(), "ok");
    }
}
