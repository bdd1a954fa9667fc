//! The staff requirement: where the space requires two-factor sign-in of staff, a staff member
//! without it can do nothing but enrol (or sign out) until it is on. Pages lead to the
//! enrolment page; the API answers 403 with a message naming the enrolment routes.

use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::service;
use crate::accounts::session;
use crate::error::Error;
use crate::state::AppState;
use crate::web::page::redirect_with_notice;

/// Paths a staff member who must enrol may still reach.
fn allowed(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "/settings/two-factor",
        "/api/v1/me/totp",
        "/static/",
        "/media/",
    ];
    const EXACT: &[&str] = &["/logout", "/api/v1/tokens/current", "/api/v1/me"];
    PREFIXES.iter().any(|p| path.starts_with(p)) || EXACT.contains(&path)
}

pub async fn require_staff_2fa(
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
    if !allowed(&path) {
        // A failed lookup is left to the handler, which meets it again and answers for it.
        if let Ok(Some(user)) = session::current(&mut parts, &state).await {
            match service::must_enrol(&state, &user.account).await {
                Ok(true) if path.starts_with("/api/") => {
                    return Error::forbidden(
                        "This space requires two-factor sign-in of its staff: turn it on first \
                         (POST /api/v1/me/totp, then POST /api/v1/me/totp/confirm).",
                    )
                    .into_response();
                }
                Ok(true) => {
                    return redirect_with_notice(
                        "/settings/two-factor",
                        "This space requires two-factor sign-in of its staff. Set it up to continue.",
                    );
                }
                Ok(false) => {}
                Err(e) => return e.into_response(),
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_enrolment_and_leaving_are_allowed() {
        assert!(super::allowed("/settings/two-factor"));
        assert!(super::allowed("/settings/two-factor/confirm"));
        assert!(super::allowed("/api/v1/me/totp/confirm"));
        assert!(super::allowed("/logout"));
        assert!(!super::allowed("/admin"));
        assert!(!super::allowed("/api/v1/me/avatar"));
        assert!(!super::allowed("/"));
    }
}
