//! Cross-site request forgery protection for every state-changing request made with a cookie.
//!
//! Double-submit: each browser gets a random `__Host-gh_csrf` cookie (`gh_csrf` over plain http
//! in development); every form carries the same value in a hidden `csrf` field (or, for
//! uploads, in the `csrf` query parameter; for scripts, in the `X-CSRF-Token` header). Another site can make the browser send the cookie but cannot read it,
//! so it cannot fill the field. Requests with a bearer token and no cookie carry no ambient
//! authority and are not checked.

use axum::body::{to_bytes, Body};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookies;
use crate::accounts::session::{random_token, SESSION_COOKIE};
use crate::error::Error;
use crate::state::AppState;

/// The cookie's name over https: the `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`, so a neighbouring subdomain cannot plant a token.
pub const CSRF_COOKIE: &str = "__Host-gh_csrf";
/// Its name in development mode (plain http, where a `__Host-` cookie cannot be set).
pub const CSRF_COOKIE_DEV: &str = "gh_csrf";

/// The name of the CSRF cookie for this instance.
pub fn cookie_name(config: &crate::config::Config) -> &'static str {
    if config.dev_http {
        CSRF_COOKIE_DEV
    } else {
        CSRF_COOKIE
    }
}
pub const CSRF_FIELD: &str = "csrf";
/// The path of the one-click unsubscribe endpoint (exempt: see [`protect`]).
pub const ONE_CLICK_PATH: &str = "/api/v1/unsubscribe";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The token of this request, for forms to embed. Always present after the middleware.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Issues the cookie when missing and checks unsafe requests.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let name = cookie_name(&state.config);
    let existing = cookies::get(request.headers(), name).filter(|t| valid_shape(t));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (random_token(), true),
    };
    let (mut parts, body) = request.into_parts();
    let mut body = body;

    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let has_session_cookie = cookies::get(&parts.headers, SESSION_COOKIE).is_some();
    let bearer_only = parts.headers.contains_key(header::AUTHORIZATION) && !has_session_cookie;
    // Inside the nested API router the path is stripped; the original URI tells.
    let is_api = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().starts_with("/api/"))
        .unwrap_or_else(|| parts.uri.path().starts_with("/api/"));
    // The API without a session cookie has nothing to forge; web forms are always checked,
    // so signing in and signing up cannot be forged either.
    // The one-click unsubscribe of mail clients (RFC 8058) carries its authority in the signed
    // link, not in a cookie, and only ever turns mail off: it is never checked.
    let one_click = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path() == ONE_CLICK_PATH)
        .unwrap_or_else(|| parts.uri.path() == ONE_CLICK_PATH);
    let must_check = unsafe_method && !bearer_only && !one_click && (!is_api || has_session_cookie);
    if must_check {
        let mut presented = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| query_value(parts.uri.query().unwrap_or(""), CSRF_FIELD));
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if presented.is_none() && is_form {
            let bytes = match to_bytes(body, state.config.max_body_bytes).await {
                Ok(b) => b,
                Err(_) => return Error::TooLarge("The form is too large.".into()).into_response(),
            };
            presented = query_value(&String::from_utf8_lossy(&bytes), CSRF_FIELD);
            body = Body::from(bytes);
        }
        let ok = !fresh
            && presented
                .as_deref()
                .is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes()));
        if !ok {
            let why = refusal(&state.config, &parts.headers, fresh, presented.is_some());
            // Why, never the tokens themselves.
            tracing::warn!(
                method = %parts.method,
                path = %parts.uri.path(),
                reason = why.log,
                "form refused (CSRF check)"
            );
            return Error::forbidden(why.page).into_response();
        }
    }

    parts.extensions.insert(CsrfToken(token.clone()));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if fresh {
        let cookie = cookies::build(name, &token, None, !state.config.dev_http, true);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Why a form was refused: a sentence for the page and a reason for the log.
struct Refusal {
    page: String,
    log: &'static str,
}

fn refusal(
    config: &crate::config::Config,
    headers: &axum::http::HeaderMap,
    no_cookie: bool,
    token_sent: bool,
) -> Refusal {
    const AGAIN: &str = "Go back, reload the page and try again.";
    // A page opened over plain http while the site's links are https: the browser drops the
    // Secure cookie, so no form can ever pass. Say so, with the fix.
    let over_http = !config.dev_http
        && headers
            .get(header::ORIGIN)
            .or_else(|| headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("http://"));
    if no_cookie && over_http {
        return Refusal {
            page: format!(
                "This form was refused: it did not come from this site with its cookie. The page was \
                 opened over plain http://, but this site's address is {}, so the browser did not \
                 keep its cookie. Open the site at that address, or (for a trial on a local network) \
                 ask the operator to set GUILDHALL_DEV_HTTP=true.",
                config.base_url()
            ),
            log: "no form cookie: the page was opened over plain http but the site's links are https \
                  (serve it through a TLS proxy, or set GUILDHALL_DEV_HTTP=true on a trial network)",
        };
    }
    if no_cookie {
        return Refusal {
            page: format!(
                "This form has expired or did not come from this site: your browser sent no cookie \
                 for it (cookies blocked, or the page is old). {AGAIN}"
            ),
            log: "no form cookie",
        };
    }
    if !token_sent {
        return Refusal {
            page: format!(
                "This form did not come from this site: it carried no security token. {AGAIN}"
            ),
            log: "no token in the form",
        };
    }
    Refusal {
        page: format!("This form has expired or did not come from this site. {AGAIN}"),
        log: "the form's token does not match its cookie",
    }
}

fn valid_shape(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn query_value(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Compares secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(
            query_value("a=1&csrf=x%2By", "csrf").as_deref(),
            Some("x+y")
        );
        assert!(valid_shape(&random_token()));
        assert!(!valid_shape("short"));
        // Over https the cookie is host-only, Secure and for the whole site.
        let public = [(
            "GUILDHALL_DOMAIN".to_string(),
            "guildhall.example".to_string(),
        )];
        let https =
            crate::config::Config::from_sources(&Default::default(), &public.into()).unwrap();
        assert_eq!(cookie_name(&https), "__Host-gh_csrf");
        let cookie = cookies::build(cookie_name(&https), "t", None, !https.dev_http, true);
        assert!(cookie.starts_with("__Host-gh_csrf=t; Path=/;"), "{cookie}");
        assert!(cookie.contains("; Secure") && !cookie.contains("Domain"));
    }
}
