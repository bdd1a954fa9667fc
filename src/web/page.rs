//! What every page shares: the layout context (space name, who is signed in, the CSRF token,
//! a one-time notice) and the helpers that render a template into a response.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;

use super::cookies;
use super::csrf::CsrfToken;
use crate::accounts::{session, Account};
use crate::error::{Error, Result};
use crate::spaces;
use crate::state::AppState;

const FLASH_COOKIE: &str = "gh_flash";

/// The layout's data, extracted once per page.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub space_name: String,
    pub user: Option<Account>,
    pub csrf: String,
    pub flash: Option<String>,
    /// This instance's domain, for fediverse addresses (`@handle@domain`).
    pub domain: String,
    /// Unread notifications of the signed-in member (0 when anonymous).
    pub unread: i64,
    /// The signed-in member must confirm the e-mail address before acting (the layout shows
    /// a banner).
    pub confirm_email: bool,
    /// The path and query of the page asked for, where a form on it comes back to ("/" when
    /// unknown).
    pub path: String,
}

impl PageCtx {
    /// Builds the context from request headers alone (the error pages, which run outside the
    /// handlers' extractors).
    pub async fn build(state: &AppState, headers: &HeaderMap, csrf: String) -> Result<Self> {
        let user = match cookies::get(headers, session::SESSION_COOKIE) {
            Some(token) if token.len() < 200 => {
                crate::accounts::store::session_account(&state.db, &session::token_hash(&token))
                    .await?
                    .map(|(a, _)| a)
            }
            _ => None,
        };
        Self::assemble(state, headers, user, csrf).await
    }

    async fn assemble(
        state: &AppState,
        headers: &HeaderMap,
        user: Option<Account>,
        csrf: String,
    ) -> Result<Self> {
        let space_name = spaces::store::name(&state.db)
            .await?
            .unwrap_or_else(|| "Guildhall".to_string());
        let flash = cookies::get(headers, FLASH_COOKIE).and_then(|v| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        });
        let unread = match &user {
            Some(u) => crate::notifications::unread(state, u.id).await?,
            None => 0,
        };
        let confirm_email = match &user {
            Some(u) if !u.email_verified => crate::accounts::email::must_confirm(state, u).await?,
            _ => false,
        };
        Ok(PageCtx {
            unread,
            confirm_email,
            space_name,
            user,
            csrf,
            flash,
            domain: state.config.domain.clone(),
            path: "/".to_string(),
        })
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    /// Whether the signed-in member may work the moderation queue.
    pub fn can_moderate(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.can_moderate())
    }

    pub fn is_signed_in(&self) -> bool {
        self.user.is_some()
    }

    /// The handle of the signed-in member, or "" when anonymous.
    pub fn handle(&self) -> &str {
        self.user.as_ref().map(|u| u.handle.as_str()).unwrap_or("")
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        // The signed-in member through the request's shared lookup, so a handler that also
        // takes `User` costs one session query, not two. Pages ignore a bad bearer token.
        let user = session::current(parts, state)
            .await
            .ok()
            .flatten()
            .map(|s| s.account);
        let mut ctx = PageCtx::assemble(state, &parts.headers, user, csrf).await?;
        // A form shown again after a POST comes back to the page that held it, not the POST's path.
        if let Some(path) = parts.uri.path_and_query().map(|p| p.as_str()) {
            if parts.method == axum::http::Method::GET && is_local_path(path) && path.len() <= 2000
            {
                ctx.path = path.to_string();
            }
        }
        Ok(ctx)
    }
}

/// Renders a page with status 200.
pub fn render<T: Template>(page: &T) -> Result<Response> {
    render_status(StatusCode::OK, page)
}

/// Renders a page with the given status (422 for a form shown again with its errors).
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<Response> {
    let html = page.render()?;
    let mut response = (status, Html(html)).into_response();
    // A page that was shown has shown its notice; drop it so a reload does not repeat it.
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("gh_flash=; Path=/; Max-Age=0; SameSite=Lax"),
    );
    Ok(response)
}

/// A 303 redirect that shows `notice` once on the next page.
pub fn redirect_with_notice(to: &str, notice: &str) -> Response {
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(notice.as_bytes());
    let mut response = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{FLASH_COOKIE}={value}; Path=/; SameSite=Lax")) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Keeps a redirect target on this site: a local path, never another origin. Browsers read
/// `//host`, `/\host` and `/<tab>/host` (they drop tabs and newlines) as another site, so the
/// path starts with exactly one `/` and holds only visible ASCII (a path we link is
/// percent-encoded), never `\`, whitespace, control or direction characters.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_local() {
        assert_eq!(super::safe_next(Some("/companies")), "/companies");
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(Some("/\\evil.example")), "/");
        assert_eq!(super::safe_next(None), "/");
        assert_eq!(super::safe_next(Some("/")), "/");
        assert_eq!(
            super::safe_next(Some("/events?day=1&x=%2F")),
            "/events?day=1&x=%2F"
        );
        for hostile in [
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/ /evil.example",
            "/\u{0}x",
            "/a\\b",
            "\\\\evil.example",
            "evil.example",
            "",
            "/\u{a0}/evil.example",
            "/\u{202e}/evil.example",
            "/\u{7f}",
        ] {
            assert_eq!(super::safe_next(Some(hostile)), "/", "{hostile:?}");
        }
    }
}
