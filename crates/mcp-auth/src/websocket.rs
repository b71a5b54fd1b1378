//! WebSocket credentials: `Sec-WebSocket-Protocol: bearer.<token>` and `?ticket=…`.
//!
//! Browsers cannot set `Authorization` on a WebSocket, but they can offer subprotocols
//! (`new WebSocket(url, ["mcp-lm", "bearer." + token])`) and put a ticket in the URL.
//!
//! **The server must then answer with one of the offered subprotocols** (browsers fail the
//! handshake otherwise), and must not pick the `bearer.` one, which would echo the token. With
//! axum: `ws.protocols(["mcp-lm"])`, where the client offered `"mcp-lm"` next to the token.

use http::HeaderMap;
use http::header::SEC_WEBSOCKET_PROTOCOL;

/// Prefix of the subprotocol that carries a bearer token.
pub const WEBSOCKET_PROTOCOL_PREFIX: &str = "bearer.";

/// Query parameter that carries a ticket.
pub const TICKET_QUERY_PARAMETER: &str = "ticket";

/// The token in the first offered `bearer.<token>` subprotocol, if any (the prefix is matched
/// case-insensitively; the subprotocol list may span several headers).
#[must_use]
pub fn websocket_protocol_token(headers: &HeaderMap) -> Option<&str> {
    let prefix = WEBSOCKET_PROTOCOL_PREFIX.len();
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|protocol| {
            protocol
                .get(..prefix)
                .is_some_and(|p| p.eq_ignore_ascii_case(WEBSOCKET_PROTOCOL_PREFIX))
        })
        .and_then(|protocol| protocol.get(prefix..))
}

/// The value of the first `ticket=` parameter in a query string (`a=1&ticket=…`), if any.
/// Tickets are URL-safe, so no percent-decoding is done.
#[must_use]
pub fn query_ticket(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == TICKET_QUERY_PARAMETER)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn finds_the_bearer_subprotocol() {
        let mut headers = HeaderMap::new();
        assert_eq!(websocket_protocol_token(&headers), None);
        headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("mcp-lm"));
        assert_eq!(websocket_protocol_token(&headers), None);
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chat,  Bearer.abc-123 , x"),
        );
        assert_eq!(websocket_protocol_token(&headers), Some("abc-123"));
        let mut headers = HeaderMap::new();
        headers.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("bearer."));
        assert_eq!(websocket_protocol_token(&headers), Some(""));
    }

    #[test]
    fn finds_the_ticket_parameter() {
        assert_eq!(query_ticket("ticket=abc"), Some("abc"));
        assert_eq!(query_ticket("session=1&ticket=abc&ticket=def"), Some("abc"));
        assert_eq!(query_ticket("tickets=abc&xticket=def"), None);
        assert_eq!(query_ticket(""), None);
    }
}
