//! Sessions and API tokens, and the extractors that tell a handler who is asking.
//!
//! A browser holds a random token in the `gh_session` cookie; a script sends one as
//! `Authorization: Bearer …`. Only the SHA-256 of a token is stored, so a copy of the database
//! does not let anyone sign in.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::model::Account;
use super::store;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::web::cookies;

pub const SESSION_COOKIE: &str = "gh_session";
const WEB_SESSION_DAYS: i64 = 30;
const API_TOKEN_DAYS: i64 = 365;

/// A fresh random token, URL-safe (the floor's, which activity ids use too).
pub use crate::federation::ids::random_token;

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a session came from the cookie (needs CSRF checks) or a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// The signed-in account of a request, and how it proved itself.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub token_hash: String,
    pub via: Via,
}

/// Opens a browser session; returns the token for the cookie.
pub async fn start_web_session(state: &AppState, account_id: i64) -> Result<String> {
    let token = random_token();
    let expires = now_ms() + WEB_SESSION_DAYS * 86_400_000;
    store::insert_session(
        &state.db,
        &token_hash(&token),
        account_id,
        "web",
        "",
        expires,
    )
    .await?;
    Ok(token)
}

/// Issues an API token.
pub async fn issue_api_token(state: &AppState, account_id: i64, label: &str) -> Result<String> {
    let token = random_token();
    let expires = now_ms() + API_TOKEN_DAYS * 86_400_000;
    store::insert_session(
        &state.db,
        &token_hash(&token),
        account_id,
        "api",
        label,
        expires,
    )
    .await?;
    Ok(token)
}

/// The `Set-Cookie` value that stores a session token in the browser.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    cookies::build(
        SESSION_COOKIE,
        token,
        Some(WEB_SESSION_DAYS * 86_400),
        !state.config.dev_http,
        true,
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> String {
    cookies::build(SESSION_COOKIE, "", Some(0), !state.config.dev_http, true)
}

/// Looks up who is asking; cached in the request so every extractor of one request (the page
/// context, `User`, `Admin`) shares one query.
pub async fn current(parts: &mut Parts, state: &AppState) -> Result<Option<SignedIn>> {
    if let Some(cached) = parts.extensions.get::<Option<SignedIn>>() {
        return Ok(cached.clone());
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| (t.trim().to_string(), Via::Bearer));
    let credential =
        bearer.or_else(|| cookies::get(&parts.headers, SESSION_COOKIE).map(|t| (t, Via::Cookie)));
    let signed_in = match credential {
        Some((token, via)) if !token.is_empty() && token.len() < 200 => {
            let hash = token_hash(&token);
            match store::session_account(&state.db, &hash).await? {
                Some((account, last_used)) => {
                    // Record use at most once a minute, to keep reads cheap.
                    if now_ms() - last_used > 60_000 {
                        store::touch_session(&state.db, &hash).await?;
                    }
                    Some(SignedIn {
                        account,
                        token_hash: hash,
                        via,
                    })
                }
                None if via == Via::Bearer => return Err(Error::Unauthorized),
                None => None,
            }
        }
        Some((_, Via::Bearer)) => return Err(Error::Unauthorized),
        _ => None,
    };
    parts.extensions.insert(signed_in.clone());
    Ok(signed_in)
}

/// Who is asking, if anyone. Never rejects on its own (but a bad bearer token does).
pub struct MaybeUser(pub Option<SignedIn>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Ok(MaybeUser(current(parts, state).await?))
    }
}

/// A signed-in member; anonymous requests are refused with [`Error::Unauthorized`]
/// (a redirect to the sign-in page on the web, 401 in the API).
pub struct User(pub SignedIn);

impl FromRequestParts<AppState> for User {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        current(parts, state)
            .await?
            .map(User)
            .ok_or(Error::Unauthorized)
    }
}

/// A signed-in administrator of the space.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = current(parts, state).await?.ok_or(Error::Unauthorized)?;
        if !user.account.is_admin {
            return Err(Error::forbidden(
                "Only administrators of this space can do this.",
            ));
        }
        Ok(Admin(user))
    }
}

/// A signed-in moderator or administrator of the space.
pub struct Moderator(pub SignedIn);

impl FromRequestParts<AppState> for Moderator {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = current(parts, state).await?.ok_or(Error::Unauthorized)?;
        if !user.account.can_moderate() {
            return Err(Error::forbidden(
                "Only moderators and administrators of this space can do this.",
            ));
        }
        Ok(Moderator(user))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_hashed() {
        let a = super::random_token();
        let b = super::random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(super::token_hash(&a).len(), 64);
        assert_eq!(super::token_hash(&a), super::token_hash(&a));
    }
}
