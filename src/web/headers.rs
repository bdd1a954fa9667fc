//! Security headers on every response. Pages get a Content-Security-Policy that allows no inline
//! script or style and no framing; every response gets `nosniff` and a same-origin referrer
//! policy. A handler that set its own policy (a downloaded file's sandbox, say) keeps it.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The policy of every HTML page. Images may come from other spaces (avatars, logos); nothing
/// else does.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The same in development mode, where other instances serve their images over plain http.
const CONTENT_SECURITY_POLICY_DEV: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' http: https: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn add(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let dev_http = state.config.dev_http;
    apply(response.headers_mut(), dev_http);
    response
}

fn apply(headers: &mut HeaderMap, dev_http: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if is_html {
        let policy = if dev_http {
            CONTENT_SECURITY_POLICY_DEV
        } else {
            CONTENT_SECURITY_POLICY
        };
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(policy));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_get_the_policy_and_others_keep_theirs() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        apply(&mut h, false);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin");

        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        apply(&mut json, false);
        assert_eq!(json[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(json.get(header::CONTENT_SECURITY_POLICY).is_none());

        let mut file = HeaderMap::new();
        file.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        file.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        );
        apply(&mut file, true);
        assert_eq!(
            file[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; sandbox"
        );
    }
}
