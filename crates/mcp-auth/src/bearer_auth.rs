//! [`BearerAuth`]: everything a server checks on a request, in one value.

use std::sync::Arc;

use http::HeaderMap;

use crate::authorization_header::bearer_token;
use crate::websocket::{query_ticket, websocket_protocol_token};
use crate::{
    AuthOutcome, AuthRejection, HostPolicy, Identity, InvalidTokenStatus, OriginPolicy,
    TicketIssuer, TokenSet,
};

/// A server's authentication settings: the accepted [`TokenSet`], how rejections are phrased,
/// which WebSocket credentials are accepted, and optional [`HostPolicy`] / [`OriginPolicy`].
///
/// Framework-independent: [`BearerAuth::authorize`] takes headers and the query string and
/// returns the [`Identity`] or the [`AuthRejection`] to answer with. The `axum` feature wraps
/// it in a layer. Cheap to clone; configure one value per kind of route, e.g. REST (403 for a
/// wrong token) and MCP (401):
///
/// ```
/// use mcp_auth::{BearerAuth, InvalidTokenStatus, Token, TokenSet};
///
/// let tokens = TokenSet::new(Token::generate()?);
/// let rest = BearerAuth::new(tokens).realm("mcp-lm").invalid_token_status(InvalidTokenStatus::Forbidden);
/// let mcp = rest.clone().invalid_token_status(InvalidTokenStatus::Unauthorized);
/// # let _ = mcp;
/// # Ok::<(), mcp_auth::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BearerAuth {
    inner: Arc<Settings>,
}

#[derive(Debug, Clone)]
struct Settings {
    tokens: TokenSet,
    realm: String,
    invalid_token: InvalidTokenStatus,
    websocket_protocol: bool,
    tickets: Option<TicketIssuer>,
    host: Option<HostPolicy>,
    origin: Option<OriginPolicy>,
}

impl BearerAuth {
    /// Realm used until [`realm`](Self::realm) is called.
    pub const DEFAULT_REALM: &'static str = "api";

    /// Accepts `Authorization: Bearer <token>` for the given tokens; a wrong token gets 401
    /// ([`InvalidTokenStatus::Unauthorized`]); no host or origin checks.
    #[must_use]
    pub fn new(tokens: TokenSet) -> Self {
        Self {
            inner: Arc::new(Settings {
                tokens,
                realm: Self::DEFAULT_REALM.to_owned(),
                invalid_token: InvalidTokenStatus::default(),
                websocket_protocol: false,
                tickets: None,
                host: None,
                origin: None,
            }),
        }
    }

    /// Sets the realm sent in `WWW-Authenticate: Bearer realm="…"` (quotes and backslashes are
    /// escaped, control characters dropped).
    #[must_use]
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner).realm = realm.into();
        self
    }

    /// Sets the answer to a well-formed but wrong token.
    #[must_use]
    pub fn invalid_token_status(mut self, status: InvalidTokenStatus) -> Self {
        Arc::make_mut(&mut self.inner).invalid_token = status;
        self
    }

    /// Also accepts the token as an offered WebSocket subprotocol `bearer.<token>` (see
    /// [`websocket_protocol_token`](crate::websocket_protocol_token) for what the server must
    /// answer). Use it on WebSocket routes only.
    #[must_use]
    pub fn accept_websocket_protocol(mut self) -> Self {
        Arc::make_mut(&mut self.inner).websocket_protocol = true;
        self
    }

    /// Also accepts single-use tickets from `issuer` as `?ticket=…`. Use it on WebSocket routes
    /// only, and issue tickets from a bearer-authenticated route.
    #[must_use]
    pub fn accept_tickets(mut self, issuer: TicketIssuer) -> Self {
        Arc::make_mut(&mut self.inner).tickets = Some(issuer);
        self
    }

    /// Checks `Host` before anything else (400 / 421).
    #[must_use]
    pub fn host_policy(mut self, policy: HostPolicy) -> Self {
        Arc::make_mut(&mut self.inner).host = Some(policy);
        self
    }

    /// Checks `Origin` after `Host` and before the credentials (403).
    #[must_use]
    pub fn origin_policy(mut self, policy: OriginPolicy) -> Self {
        Arc::make_mut(&mut self.inner).origin = Some(policy);
        self
    }

    /// The accepted tokens.
    #[must_use]
    pub fn tokens(&self) -> &TokenSet {
        &self.inner.tokens
    }

    /// Checks the credentials only: the `Authorization` header if there is one, otherwise the
    /// WebSocket subprotocol and then the ticket in `query` (each only if accepted).
    /// Redeeming a ticket uses it up.
    #[must_use]
    pub fn check(&self, headers: &HeaderMap, query: Option<&str>) -> AuthOutcome {
        let settings = &*self.inner;
        match bearer_token(headers) {
            Ok(Some(token)) => return settings.tokens.check_token(token),
            Err(reason) => return AuthOutcome::Malformed(reason),
            Ok(None) => {}
        }
        if settings.websocket_protocol
            && let Some(token) = websocket_protocol_token(headers)
        {
            return settings.tokens.check_token(token);
        }
        if let Some(tickets) = &settings.tickets
            && let Some(ticket) = query.and_then(query_ticket)
        {
            return tickets
                .redeem(ticket)
                .map_or(AuthOutcome::Invalid, AuthOutcome::Ok);
        }
        AuthOutcome::Missing
    }

    /// Checks `Host`, then `Origin`, then the credentials ([`check`](Self::check)), and says
    /// who is calling.
    ///
    /// # Errors
    ///
    /// The [`AuthRejection`] to answer with when any check fails.
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<Identity, AuthRejection> {
        let settings = &*self.inner;
        if let Some(host) = &settings.host {
            host.check(headers)?;
        }
        if let Some(origin) = &settings.origin {
            origin.check(headers)?;
        }
        let outcome = self.check(headers, query);
        if let AuthOutcome::Ok(identity) = outcome {
            return Ok(identity);
        }
        // `rejection` is `None` only for `Ok`; a future variant is refused, not trusted.
        let rejection = outcome
            .rejection(&settings.realm, settings.invalid_token)
            .unwrap_or_else(|| AuthRejection::missing(&settings.realm));
        tracing::debug!(
            outcome = outcome.as_str(),
            code = rejection.code(),
            "request refused"
        );
        Err(rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RejectionKind, Token};
    use http::header::{AUTHORIZATION, HOST, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
    use http::{HeaderValue, StatusCode};
    use std::time::Duration;

    const TOKEN: &str = "4f9c2a7e1b8d3f6a0c5e9b2d7a4f1c8e";

    fn auth() -> BearerAuth {
        BearerAuth::new(TokenSet::named("main", Token::new(TOKEN).unwrap())).realm("mcp-lm")
    }

    fn headers(pairs: &[(http::HeaderName, String)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn websocket_credentials_only_where_accepted() {
        let by_protocol = headers(&[(SEC_WEBSOCKET_PROTOCOL, format!("mcp-lm, bearer.{TOKEN}"))]);
        assert_eq!(auth().check(&by_protocol, None), AuthOutcome::Missing);
        let ws = auth().accept_websocket_protocol();
        assert_eq!(
            ws.check(&by_protocol, None).identity().unwrap().name(),
            Some("main")
        );
        let wrong = headers(&[(SEC_WEBSOCKET_PROTOCOL, "bearer.nope".to_owned())]);
        assert_eq!(ws.check(&wrong, None), AuthOutcome::Invalid);
    }

    #[test]
    fn tickets_are_single_use_and_header_takes_precedence() {
        let issuer = TicketIssuer::new();
        let ws = auth().accept_tickets(issuer.clone());
        let who = auth().tokens().verify(TOKEN).unwrap();
        let ticket = issuer.issue(who, Duration::from_secs(30)).unwrap();
        let query = format!("ticket={}", ticket.expose_secret());
        assert_eq!(
            auth().check(&HeaderMap::new(), Some(&query)),
            AuthOutcome::Missing
        );
        // A malformed Authorization header wins over the ticket, which stays unused.
        let malformed = headers(&[(AUTHORIZATION, "Bearer".to_owned())]);
        assert!(matches!(
            ws.check(&malformed, Some(&query)),
            AuthOutcome::Malformed(_)
        ));
        assert!(ws.check(&HeaderMap::new(), Some(&query)).is_ok());
        assert_eq!(
            ws.check(&HeaderMap::new(), Some(&query)),
            AuthOutcome::Invalid
        );
    }

    #[test]
    fn host_then_origin_then_credentials() {
        let guarded = auth()
            .host_policy(HostPolicy::for_bound("127.0.0.1:8080".parse().unwrap()))
            .origin_policy(OriginPolicy::new());
        let good = (AUTHORIZATION, format!("Bearer {TOKEN}"));
        let host = (HOST, "localhost:8080".to_owned());
        let status = |pairs: &[(http::HeaderName, String)]| {
            guarded
                .authorize(&headers(pairs), None)
                .map_err(|r| (r.status(), r.kind()))
        };
        assert!(status(&[good.clone(), host.clone()]).is_ok());
        let rebound = (HOST, "evil.example:8080".to_owned());
        assert_eq!(
            status(&[good.clone(), rebound]),
            Err((
                StatusCode::MISDIRECTED_REQUEST,
                RejectionKind::HostNotAllowed
            ))
        );
        let foreign = (ORIGIN, "http://evil.example".to_owned());
        assert_eq!(
            status(&[good, host.clone(), foreign]),
            Err((StatusCode::FORBIDDEN, RejectionKind::OriginNotAllowed))
        );
        assert_eq!(
            status(&[host]),
            Err((StatusCode::UNAUTHORIZED, RejectionKind::MissingCredentials))
        );
    }
}
