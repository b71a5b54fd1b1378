//! `Host` and `Origin` checks against DNS rebinding: a web page must not reach a local server
//! through a hostile domain that resolves to 127.0.0.1.

use axum::http::{HeaderMap, header};

/// The host part of a `Host` header or an origin's authority, lowercased, without the port
/// (`[::1]:8080` → `[::1]`).
fn host_part(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.starts_with('[') {
        return authority
            .split_once(']')
            .map_or(authority.clone(), |(host, _)| format!("{host}]"));
    }
    authority
        .split_once(':')
        .map_or(authority.clone(), |(host, _)| host.to_owned())
}

/// Is this `Host` header allowed? An empty list allows every host.
pub(crate) fn host_allowed(headers: &HeaderMap, allowed_hosts: &[String]) -> bool {
    if allowed_hosts.is_empty() {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = host_part(host);
    allowed_hosts
        .iter()
        .any(|allowed| host_part(allowed) == host)
}

/// Is this `Origin` allowed? No `Origin` (a non-browser client) is allowed; otherwise its
/// host must be an allowed host, or the origin must be listed exactly.
pub(crate) fn origin_allowed(
    headers: &HeaderMap,
    allowed_hosts: &[String],
    allowed_origins: &[String],
) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some((_, authority)) = origin.split_once("://") else {
        return false; // "null" and other opaque origins
    };
    let host = host_part(authority.trim_end_matches('/'));
    allowed_hosts
        .iter()
        .any(|allowed| host_part(allowed) == host)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    fn local() -> Vec<String> {
        ["localhost", "127.0.0.1", "[::1]"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn loopback_hosts_pass_and_others_fail() {
        for host in ["localhost:3000", "127.0.0.1:8080", "[::1]:9", "LOCALHOST"] {
            assert!(host_allowed(&headers(Some(host), None), &local()), "{host}");
        }
        for host in [
            "evil.example.com",
            "evil.example.com:3000",
            "127.0.0.1.nip.io",
        ] {
            assert!(
                !host_allowed(&headers(Some(host), None), &local()),
                "{host}"
            );
        }
        assert!(!host_allowed(&headers(None, None), &local()));
        assert!(host_allowed(&headers(Some("anything"), None), &[]));
    }

    #[test]
    fn origins_must_be_local_or_listed() {
        assert!(origin_allowed(&headers(None, None), &local(), &[]));
        assert!(origin_allowed(
            &headers(None, Some("http://localhost:5173")),
            &local(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(None, Some("http://evil.example.com")),
            &local(),
            &[]
        ));
        assert!(!origin_allowed(&headers(None, Some("null")), &local(), &[]));
        let listed = ["https://app.example.com".to_owned()];
        assert!(origin_allowed(
            &headers(None, Some("https://app.example.com")),
            &local(),
            &listed
        ));
    }
}
