//! [`BearerLayer`]: a tower layer that runs [`BearerAuth::authorize`] in front of axum routes.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Json;
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use http::Request;
use http::header::WWW_AUTHENTICATE;
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthRejection, BearerAuth};

type BodyFn = Arc<dyn Fn(&AuthRejection) -> Response + Send + Sync>;

/// Protects the routes it wraps: requests that pass [`BearerAuth::authorize`] go on with their
/// [`Identity`](crate::Identity) in the request extensions (read it with
/// [`Authenticated`](crate::Authenticated)); the others are answered right away.
///
/// Use it with `Router::route_layer` so that unknown paths still get 404, and keep public
/// routes such as `GET /health` outside it.
#[derive(Clone)]
pub struct BearerLayer {
    auth: BearerAuth,
    body: BodyFn,
}

impl BearerLayer {
    /// A layer answering rejections with [`json_body`].
    #[must_use]
    pub fn new(auth: BearerAuth) -> Self {
        Self {
            auth,
            body: Arc::new(json_body),
        }
    }

    /// Chooses the response body for rejections. The layer then sets the status and
    /// `WWW-Authenticate` from the [`AuthRejection`], so the function only decides the body
    /// (and any extra headers).
    #[must_use]
    pub fn body<F>(mut self, body: F) -> Self
    where
        F: Fn(&AuthRejection) -> Response + Send + Sync + 'static,
    {
        self.body = Arc::new(body);
        self
    }
}

impl fmt::Debug for BearerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerLayer")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for BearerLayer {
    type Service = BearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`BearerLayer`].
#[derive(Clone)]
pub struct BearerService<S> {
    inner: S,
    layer: BearerLayer,
}

impl<S> fmt::Debug for BearerService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for BearerService<S>
where
    S: Service<Request<B>, Response = Response> + Clone,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        match self
            .layer
            .auth
            .authorize(request.headers(), request.uri().query())
        {
            Ok(identity) => {
                request.extensions_mut().insert(identity);
                // Call the instance that `poll_ready` made ready, leave a fresh clone behind.
                let clone = self.inner.clone();
                let mut ready_inner = std::mem::replace(&mut self.inner, clone);
                Either::Right(ready_inner.call(request))
            }
            Err(rejection) => Either::Left(ready(Ok(respond(&*self.layer.body, &rejection)))),
        }
    }
}

/// The default rejection body: `{"success":false,"error":{"code":…,"message":…}}` with the
/// rejection's [`code`](AuthRejection::code) and [`message`](AuthRejection::message).
pub fn json_body(rejection: &AuthRejection) -> Response {
    let body = serde_json::json!({
        "success": false,
        "error": { "code": rejection.code(), "message": rejection.message() },
    });
    Json(body).into_response()
}

fn respond(
    body: &(dyn Fn(&AuthRejection) -> Response + Send + Sync),
    rejection: &AuthRejection,
) -> Response {
    let mut response = body(rejection);
    *response.status_mut() = rejection.status();
    if let Some(challenge) = rejection.www_authenticate() {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, challenge.clone());
    }
    response
}

/// Answers with the status, `WWW-Authenticate` and the default [`json_body`].
impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        respond(&json_body, &self)
    }
}
