//! [`HostPolicy`]: `Host` header validation, the defence against DNS rebinding.

use std::net::{IpAddr, SocketAddr};

use http::header::HOST;
use http::{HeaderMap, StatusCode};

use crate::{AuthRejection, Error, RejectionKind, Result};

/// Which `Host` header values a server answers to.
///
/// A web page on `evil.example` can re-point its DNS name to `127.0.0.1` and then talk to a
/// local server "same-origin"; the browser still sends `Host: evil.example`, so refusing
/// unknown hosts defeats the attack. IP literals cannot be rebound and are accepted when they
/// match the bound address.
///
/// With [`HostPolicy::for_bound`], on the bound port:
///
/// | bound to | accepted |
/// |---|---|
/// | a loopback address | `localhost`, `127.0.0.1` (any loopback IPv4), `[::1]` |
/// | `0.0.0.0` / `[::]` | `localhost` and any IP literal |
/// | any other address | that address |
///
/// plus the hosts added with [`allow`](HostPolicy::allow) (e.g. the name a reverse proxy
/// forwards). A `Host` without a port means port 80. Only the `Host` header is read (HTTP/1.1);
/// behind HTTP/2, have the server copy `:authority` into `Host`.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    bound: Option<SocketAddr>,
    allowed: Vec<(String, Option<u16>)>,
}

impl HostPolicy {
    /// A policy that accepts only the hosts added with [`allow`](Self::allow).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that accepts the names of `addr` (see the table above).
    #[must_use]
    pub fn for_bound(addr: SocketAddr) -> Self {
        Self {
            bound: Some(addr),
            allowed: Vec::new(),
        }
    }

    /// Also accepts `host` (`example.com`: any port; `example.com:8443`: that port only).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAllowedHost`] if `host` is not of the form `host[:port]`.
    pub fn allow(mut self, host: &str) -> Result<Self> {
        let entry = parse_authority(host).ok_or_else(|| Error::InvalidAllowedHost {
            host: host.to_owned(),
        })?;
        self.allowed.push(entry);
        Ok(self)
    }

    /// Whether a `Host` header value is accepted.
    #[must_use]
    pub fn is_allowed(&self, host: &str) -> bool {
        parse_authority(host).is_some_and(|(name, port)| self.accepts(&name, port))
    }

    /// Checks the request's `Host` header.
    ///
    /// # Errors
    ///
    /// An [`AuthRejection`] with 400 ([`RejectionKind::InvalidHost`]) if the header is absent,
    /// repeated or unparsable, or 421 ([`RejectionKind::HostNotAllowed`]) if it is not accepted.
    pub fn check(&self, headers: &HeaderMap) -> std::result::Result<(), AuthRejection> {
        let invalid = || AuthRejection::plain(RejectionKind::InvalidHost, StatusCode::BAD_REQUEST);
        let mut values = headers.get_all(HOST).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(invalid());
        };
        let (name, port) = value
            .to_str()
            .ok()
            .and_then(parse_authority)
            .ok_or_else(invalid)?;
        if self.accepts(&name, port) {
            Ok(())
        } else {
            tracing::debug!(host = %name, "request for a host that is not allowed");
            Err(AuthRejection::plain(
                RejectionKind::HostNotAllowed,
                StatusCode::MISDIRECTED_REQUEST,
            ))
        }
    }

    fn accepts(&self, name: &str, port: Option<u16>) -> bool {
        let listed = self
            .allowed
            .iter()
            .any(|(n, p)| n == name && (p.is_none() || *p == Some(port.unwrap_or(80))));
        listed
            || self
                .bound
                .is_some_and(|bound| names_bound(bound, name, port))
    }
}

fn names_bound(bound: SocketAddr, name: &str, port: Option<u16>) -> bool {
    if port.unwrap_or(80) != bound.port() {
        return false;
    }
    let ip = bound.ip();
    match name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(_) if ip.is_unspecified() => true, // any IP literal: those cannot be rebound
        Ok(requested) if ip.is_loopback() => requested.is_loopback(),
        Ok(requested) => requested == ip,
        Err(_) => name == "localhost" && (ip.is_loopback() || ip.is_unspecified()),
    }
}

/// Splits `host[:port]` (`[v6]:port` for IPv6) into a lower-cased host and an optional port.
pub(crate) fn parse_authority(value: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (&value[..v6.len() + 2], port)
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    let name_ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
    if host.is_empty() || !(host.starts_with('[') || host.bytes().all(name_ok)) {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(digits.parse().ok()?),
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn check(policy: &HostPolicy, hosts: &[&'static str]) -> std::result::Result<(), StatusCode> {
        let mut headers = HeaderMap::new();
        for host in hosts {
            headers.append(HOST, HeaderValue::from_static(host));
        }
        policy.check(&headers).map_err(|r| r.status())
    }

    #[test]
    fn loopback_bind_accepts_loopback_names_on_the_bound_port() {
        let policy = HostPolicy::for_bound("127.0.0.1:8080".parse().unwrap());
        for host in [
            "localhost:8080",
            "LOCALHOST:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "127.0.0.2:8080",
        ] {
            assert!(policy.is_allowed(host), "{host}");
        }
        for host in [
            "localhost",
            "localhost:9090",
            "evil.example:8080",
            "10.0.0.1:8080",
        ] {
            assert!(!policy.is_allowed(host), "{host}");
        }
    }

    #[test]
    fn specific_and_unspecified_binds() {
        let lan = HostPolicy::for_bound("192.168.1.10:80".parse().unwrap());
        assert!(lan.is_allowed("192.168.1.10") && lan.is_allowed("192.168.1.10:80"));
        assert!(!lan.is_allowed("localhost") && !lan.is_allowed("192.168.1.11"));
        let any = HostPolicy::for_bound("[::]:8080".parse().unwrap());
        assert!(any.is_allowed("10.1.2.3:8080") && any.is_allowed("localhost:8080"));
        assert!(!any.is_allowed("rebind.example:8080"));
    }

    #[test]
    fn allowed_hosts_with_and_without_port() {
        let policy = HostPolicy::new()
            .allow("Example.com")
            .unwrap()
            .allow("api.example.com:8443")
            .unwrap();
        assert!(policy.is_allowed("example.com:1234") && policy.is_allowed("EXAMPLE.COM"));
        assert!(policy.is_allowed("api.example.com:8443"));
        assert!(!policy.is_allowed("api.example.com"));
        for bad in ["", "a b", "host:port", "[nope]:80", "x/y"] {
            let err = HostPolicy::new().allow(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidAllowedHost { .. }), "{bad}");
        }
    }

    #[test]
    fn statuses_for_missing_malformed_and_foreign_hosts() {
        let policy = HostPolicy::for_bound("127.0.0.1:8080".parse().unwrap());
        assert_eq!(check(&policy, &["localhost:8080"]), Ok(()));
        assert_eq!(check(&policy, &[]), Err(StatusCode::BAD_REQUEST));
        assert_eq!(
            check(&policy, &["a:8080", "b:8080"]),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            check(&policy, &["local host"]),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            check(&policy, &["localhost:99999"]),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            check(&policy, &["evil.example:8080"]),
            Err(StatusCode::MISDIRECTED_REQUEST)
        );
    }
}
