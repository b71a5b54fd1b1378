//! The web UI: `GET /` (the page) and `GET /ui/{asset}` (its scripts, styles, the vendored
//! xterm.js and licences), embedded in the binary so the page works offline.
//!
//! These routes are public: a browser cannot send a bearer header when it navigates, and the
//! shell holds no data and no secret. Every data call the page makes carries the token the user
//! pasted (kept in `sessionStorage`) as `Authorization: Bearer`, and each WebSocket uses a fresh
//! ticket from `POST /auth/ticket`. The page is served with a strict Content-Security-Policy
//! (no inline script, no other origin), `X-Frame-Options: DENY`, `nosniff` and no referrer.

use std::sync::OnceLock;

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// The page's Content-Security-Policy. xterm.js creates `<style>` elements at run time, hence
/// `'unsafe-inline'` for styles only; scripts come from this server alone.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// One embedded file.
struct Asset {
    /// Path under `/ui/` (`index.html` is also `/`).
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("../../ui/", $path)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("vendor/xterm.js", "text/javascript; charset=utf-8"),
    asset!("vendor/xterm.css", "text/css; charset=utf-8"),
    asset!("vendor/addon-fit.js", "text/javascript; charset=utf-8"),
    asset!("vendor/xterm.LICENSE", "text/plain; charset=utf-8"),
    asset!("vendor/addon-fit.LICENSE", "text/plain; charset=utf-8"),
];

/// The UI routes (public; see the module documentation).
pub(crate) fn ui() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve(0, &headers)
}

async fn asset(Path(path): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.path == path) {
        Some(index) => serve(index, &headers),
        None => super::not_found(uri).await.into_response(),
    }
}

/// A strong validator per asset (FNV-1a of the bytes), computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let hash = asset.body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
                format!("\"{hash:016x}\"")
            })
            .collect()
    })
}

fn serve(index: usize, request: &HeaderMap) -> Response {
    let asset = &ASSETS[index];
    let etag = &etags()[index];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(headers, header::CONTENT_TYPE, asset.content_type);
    set(headers, header::ETAG, etag);
    // Revalidate every time (cheap: a 304), so a new binary's page is never mixed with old files.
    set(headers, header::CACHE_CONTROL, "no-cache");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_there_and_unique() {
        assert_eq!(ASSETS[0].path, "index.html");
        for (i, asset) in ASSETS.iter().enumerate() {
            assert!(!asset.body.is_empty(), "{} is empty", asset.path);
            assert!(
                ASSETS[i + 1..].iter().all(|other| other.path != asset.path),
                "{} twice",
                asset.path
            );
        }
        let tags = etags();
        assert_eq!(tags.len(), ASSETS.len());
        assert!(tags.iter().all(|t| t.len() == 18 && t.starts_with('"')));
    }

    #[test]
    fn the_page_loads_only_embedded_files() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        for reference in page
            .split(['"', '\''])
            .filter(|s| s.starts_with("/ui/") || s.contains("://"))
        {
            let path = reference.strip_prefix("/ui/");
            assert!(
                path.is_some_and(|p| ASSETS.iter().any(|a| a.path == p)),
                "index.html refers to {reference}, which is not embedded"
            );
        }
        assert!(!page.contains("<script>"), "no inline script (CSP)");
    }
}
