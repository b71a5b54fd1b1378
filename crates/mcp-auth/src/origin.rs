//! [`OriginPolicy`]: `Origin` header validation for WebSocket and MCP endpoints.

use http::header::{HOST, ORIGIN};
use http::{HeaderMap, StatusCode};

use crate::host::parse_authority;
use crate::{AuthRejection, Error, RejectionKind, Result};

/// Which `Origin` header values are accepted.
///
/// Browsers send `Origin` on WebSocket handshakes and cross-site requests; other clients
/// usually send none. Accepted: no `Origin` at all, an origin whose host and port are the
/// request's `Host` (same host), or one of the origins added with
/// [`allow`](OriginPolicy::allow). Everything else, including `Origin: null`, is refused with
/// 403. "Same host" trusts the `Host` header, so use a [`HostPolicy`](crate::HostPolicy) too.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    allowed: Vec<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl OriginPolicy {
    /// A policy that accepts requests without `Origin` and same-host origins only.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts `origin` (`https://app.example.com`, `http://localhost:5173`); scheme and
    /// host are case-insensitive and a default port (80, 443) may be written or left out.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAllowedOrigin`] if `origin` is not of the form `scheme://host[:port]`.
    pub fn allow(mut self, origin: &str) -> Result<Self> {
        let trimmed = origin.strip_suffix('/').unwrap_or(origin);
        let parsed = parse_origin(trimmed).ok_or_else(|| Error::InvalidAllowedOrigin {
            origin: origin.to_owned(),
        })?;
        self.allowed.push(parsed);
        Ok(self)
    }

    /// Checks the request's `Origin` header against its `Host` header and the allowed list.
    ///
    /// # Errors
    ///
    /// An [`AuthRejection`] with 403 ([`RejectionKind::OriginNotAllowed`]) when the origin is
    /// not accepted, is repeated or cannot be parsed.
    pub fn check(&self, headers: &HeaderMap) -> std::result::Result<(), AuthRejection> {
        let mut values = headers.get_all(ORIGIN).iter();
        let Some(value) = values.next() else {
            return Ok(());
        };
        let (None, Some(origin)) = (values.next(), value.to_str().ok().and_then(parse_origin))
        else {
            return Err(forbidden());
        };
        if self.allowed.contains(&origin) || is_same_host(&origin, headers) {
            Ok(())
        } else {
            tracing::debug!(origin_host = %origin.host, "request from an origin that is not allowed");
            Err(forbidden())
        }
    }
}

fn forbidden() -> AuthRejection {
    AuthRejection::plain(RejectionKind::OriginNotAllowed, StatusCode::FORBIDDEN)
}

fn is_same_host(origin: &Origin, headers: &HeaderMap) -> bool {
    let mut hosts = headers.get_all(HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Some((name, port)) = host.to_str().ok().and_then(parse_authority) else {
        return false;
    };
    name == origin.host && (port.is_none() || port == origin.port)
}

/// Parses `scheme://host[:port]` (an RFC 6454 serialized origin), filling in the default port.
fn parse_origin(value: &str) -> Option<Origin> {
    let (scheme, authority) = value.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let (host, port) = parse_authority(authority)?;
    let port = port.or(match scheme.as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    });
    Some(Origin { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn check(policy: &OriginPolicy, host: &'static str, origins: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        for origin in origins {
            headers.append(ORIGIN, HeaderValue::from_static(origin));
        }
        let result = policy.check(&headers);
        if let Err(rejection) = &result {
            assert_eq!(rejection.status(), StatusCode::FORBIDDEN);
            assert_eq!(rejection.code(), "origin_not_allowed");
        }
        result.is_ok()
    }

    #[test]
    fn accepts_absent_and_same_host_origins() {
        let policy = OriginPolicy::new();
        assert!(check(&policy, "localhost:8080", &[]));
        assert!(check(&policy, "localhost:8080", &["http://localhost:8080"]));
        assert!(check(&policy, "LocalHost:8080", &["http://localhost:8080"]));
        assert!(check(&policy, "example.com", &["https://example.com"]));
        assert!(!check(
            &policy,
            "localhost:8080",
            &["http://localhost:3000"]
        ));
        assert!(!check(&policy, "localhost:8080", &["http://evil.example"]));
    }

    #[test]
    fn refuses_null_duplicate_and_garbage_origins() {
        let policy = OriginPolicy::new();
        for origin in [
            "null",
            "localhost:8080",
            "http://",
            "http://local host:8080",
            "http://a:b",
        ] {
            assert!(!check(&policy, "localhost:8080", &[origin]), "{origin}");
        }
        let two = ["http://localhost:8080", "http://localhost:8080"];
        assert!(!check(&policy, "localhost:8080", &two));
    }

    #[test]
    fn accepts_configured_origins_with_normalization() {
        let policy = OriginPolicy::new()
            .allow("HTTPS://App.Example.com:443/")
            .unwrap()
            .allow("http://localhost:5173")
            .unwrap();
        assert!(check(
            &policy,
            "127.0.0.1:8080",
            &["https://app.example.com"]
        ));
        assert!(check(&policy, "127.0.0.1:8080", &["http://localhost:5173"]));
        assert!(!check(
            &policy,
            "127.0.0.1:8080",
            &["http://app.example.com"]
        ));
        for bad in [
            "app.example.com",
            "https://app.example.com/path",
            "*",
            "null",
        ] {
            let err = OriginPolicy::new().allow(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidAllowedOrigin { .. }), "{bad}");
        }
    }
}
