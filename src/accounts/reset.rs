//! Password reset by mail. A request for an address answers the same whether or not an account
//! has it (no enumeration); when one does, a random token is made, only its SHA-256 is stored,
//! and the link `/password-reset/confirm?token=…` is mailed. The token is single use and lives
//! an hour; using it is one conditional update, sets the new password (the rules of
//! registration) and ends every session and API token of the account. Requests are throttled
//! per address and per client. The token and the link are never logged. A request for an
//! address no account has does comparable work (a token made and hashed, the letter rendered, a
//! statement on the reset table) so the time of the answer says little about the address.

use std::net::IpAddr;

use super::session::{random_token, token_hash};
use super::{password, store};
use crate::error::{Error, Result};
use crate::mail::{self, Letter};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{Email, NewPassword};

/// How long a reset link works.
pub const TOKEN_LIFETIME_MS: i64 = 60 * 60 * 1000;

/// What a used, expired, forged or unknown link is told.
pub const DEAD_LINK: &str =
    "This reset link is used, expired or unknown. Ask for a new one; a link works once, for an hour.";

/// Handles a request for `email` from `client`. Returns `Ok(())` whether or not an account has
/// the address; refuses only a malformed address, or too many requests (counted before the
/// address is looked up, the same for every address).
pub async fn request(state: &AppState, email: &str, client: IpAddr) -> Result<()> {
    let email = Email::parse(email).map_err(|e| Error::invalid("email", e))?;
    let _counted = state
        .reset_throttle
        .begin(vec![
            format!("reset-ip:{client}"),
            format!("reset-email:{}", email.as_str()),
        ])
        .map_err(Error::TooManyRequests)?;
    // Made before the look-up, for every address: a dummy when no account has it.
    let token = random_token();
    let hash = token_hash(&token);
    let link = format!(
        "{}/password-reset/confirm?token={token}",
        state.config.base_url()
    );
    let Some(account) = store::by_email(&state.db, email.as_str()).await? else {
        // No account: the same kind of work as below (the letter rendered as it would be
        // queued, one statement on the reset table), so the answer does not come back
        // noticeably sooner; nothing is stored or sent.
        if mail::enabled(state) {
            mail::render(state, &letter(&email_handle(&email), &link)).await?;
        }
        store::password_reset_is_live(&state.db, &hash).await?;
        return Ok(());
    };
    store::insert_password_reset(&state.db, &hash, account.id, now_ms() + TOKEN_LIFETIME_MS)
        .await?;
    mail::send(
        state,
        &email,
        "password_reset",
        &letter(&account.handle, &link),
    )
    .await?;
    Ok(())
}

/// The reset mail for `handle` with its link.
fn letter(handle: &str, link: &str) -> Letter {
    Letter::new("Reset your password")
        .paragraph(format!(
            "Someone, hopefully you, asked to reset the password of @{handle} here."
        ))
        .paragraph("The link below works once, for an hour. If you did not ask, ignore this mail: your password stays as it is.")
        .action("Choose a new password", link)
}

/// A stand-in handle of about the right length for the letter rendered for an unknown address.
fn email_handle(email: &Email) -> String {
    email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Sets a new password with a reset token; returns the account's id. A used, expired or
/// unknown token is refused on the `token` field, a weak password on `password` (and then the
/// token stays usable).
pub async fn confirm(state: &AppState, token: &str, new_password: &str) -> Result<i64> {
    let new_password =
        NewPassword::parse(new_password).map_err(|e| Error::invalid("password", e))?;
    let token = token.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(Error::invalid("token", DEAD_LINK));
    }
    let hash = password::hash(new_password.expose().to_string()).await?;
    let mut tx = state.db.begin_write().await?;
    let Some(account_id) = store::consume_password_reset(&mut tx, &token_hash(token)).await? else {
        return Err(Error::invalid("token", DEAD_LINK));
    };
    store::reset_password_tx(&mut tx, account_id, &hash).await?;
    tx.commit().await?;
    tracing::info!(account = account_id, "password reset");
    Ok(account_id)
}

/// Whether a link's token still works (the confirmation page says so before asking).
pub async fn is_live(state: &AppState, token: &str) -> Result<bool> {
    let token = token.trim();
    if token.is_empty() || token.len() > 200 {
        return Ok(false);
    }
    store::password_reset_is_live(&state.db, &token_hash(token)).await
}
