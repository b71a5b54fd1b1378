//! [`Caller`]: who made a request (the token's name) and from where, for the audit log.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use mcp_auth::Authenticated;

/// The authenticated caller and its remote address (when the server knows it).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The name of the token used (`config` for the configured one).
    pub(crate) name: String,
    /// `ip:port` of the peer.
    pub(crate) remote: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = <Authenticated as FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(identity) = Authenticated::from_request_parts(parts, state).await?;
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.to_string());
        Ok(Self {
            name: identity.to_string(),
            remote,
        })
    }
}
