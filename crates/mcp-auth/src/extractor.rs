//! [`Authenticated`]: the axum extractor for the caller's [`Identity`].

use axum::Extension;
use axum::extract::FromRequestParts;
use axum::extract::rejection::ExtensionRejection;
use http::request::Parts;

use crate::Identity;

/// Extracts who made the request, as recorded by [`BearerLayer`](crate::BearerLayer).
///
/// On a route without the layer, extraction fails with axum's `500 Internal Server Error`
/// for a missing extension, so a forgotten layer fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Extension(identity) = Extension::<Identity>::from_request_parts(parts, state).await?;
        Ok(Self(identity))
    }
}
