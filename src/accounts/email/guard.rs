//! The confirmation requirement: where the space asks new members to confirm their address, an
//! unconfirmed member reads as any member but changes nothing (no posts, follows, bookings,
//! companies, profile edits…) until the address is confirmed. Pages lead to the e-mail
//! settings page with a notice; the API answers 403 with the same message.

use axum::extract::{OriginalUri, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::session;
use crate::error::Error;
use crate::state::AppState;
use crate::web::page::redirect_with_notice;

/// Writes an unconfirmed member may still make: confirming or changing the address, the
/// password, two-factor sign-in, deleting the account, signing in and out.
fn allowed(method: &Method, path: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    const PREFIXES: &[&str] = &[
        "/settings/email",
        "/email/",
        "/settings/two-factor",
        "/password-reset",
        "/api/v1/me/email",
        "/api/v1/email/",
        "/api/v1/me/totp",
        "/api/v1/password-reset",
        "/api/v1/tokens",
        "/static/",
    ];
    const EXACT: &[&str] = &[
        "/login",
        "/login/code",
        "/logout",
        "/settings/password",
        "/settings/delete",
        "/api/v1/me/password",
    ];
    PREFIXES.iter().any(|p| path.starts_with(p))
        || EXACT.contains(&path)
        || (*method == Method::DELETE && path == "/api/v1/me")
}

pub async fn require_verified(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    if !allowed(&parts.method, &path) {
        // A failed lookup is left to the handler, which meets it again and answers for it.
        if let Ok(Some(user)) = session::current(&mut parts, &state).await {
            match super::must_confirm(&state, &user.account).await {
                Ok(true) if path.starts_with("/api/") => {
                    return Error::forbidden(super::CONFIRM_FIRST).into_response();
                }
                Ok(true) => return redirect_with_notice("/settings/email", super::CONFIRM_FIRST),
                Ok(false) => {}
                Err(e) => return e.into_response(),
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    #[test]
    fn only_reading_and_the_account_itself_are_allowed() {
        assert!(super::allowed(&Method::GET, "/"));
        assert!(super::allowed(&Method::GET, "/api/v1/timeline"));
        assert!(super::allowed(&Method::POST, "/settings/email/resend"));
        assert!(super::allowed(&Method::POST, "/email/confirm"));
        assert!(super::allowed(&Method::PUT, "/api/v1/me/email"));
        assert!(super::allowed(&Method::POST, "/logout"));
        assert!(super::allowed(&Method::DELETE, "/api/v1/me"));
        assert!(!super::allowed(&Method::PATCH, "/api/v1/me"));
        assert!(!super::allowed(&Method::POST, "/api/v1/posts"));
        assert!(!super::allowed(&Method::POST, "/companies/new"));
        assert!(!super::allowed(&Method::POST, "/settings/profile"));
    }
}
