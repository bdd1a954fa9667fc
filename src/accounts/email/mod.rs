//! E-mail addresses: confirming a new member's address where the space asks for it, and
//! changing one's address, confirmed at the new address. Like password reset, a link carries
//! a random token of which only the SHA-256 is stored (`email_tokens`); it works once, for
//! [`TOKEN_LIFETIME_MS`], and using it is one conditional update. Neither the token nor the
//! link is ever logged.
//!
//! Where the space requires confirmation (and mail is on: a space without mail never holds
//! its members back), an unconfirmed member can sign in and read, but [`guard::require_verified`]
//! refuses every write but confirming, changing the address, the password, two-factor sign-in,
//! deleting the account and signing out.

pub mod api;
pub mod guard;
pub mod store;
pub mod web;

use super::session::{random_token, token_hash};
use super::{register, Account};
use crate::error::{Error, Result};
use crate::mail::{self, Letter};
use crate::spaces;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{Email, FieldErrors};
use store::Purpose;

/// How long a confirmation link works.
pub const TOKEN_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a member waits between two confirmation mails.
pub const RESEND_GAP_MS: i64 = 60 * 1000;

/// What a used, expired, forged or unknown link is told.
pub const DEAD_LINK: &str = "This confirmation link is used, expired or unknown. Nothing was \
    changed. Ask for a new one from your account settings; a link works once, for a day.";

/// What an unconfirmed member is told when a write is refused.
pub const CONFIRM_FIRST: &str = "Confirm your e-mail address first: open the link we mailed \
    you, or ask for a new one on your e-mail settings page.";

/// Whether the space holds `account` back until it confirms its address.
pub async fn must_confirm(state: &AppState, account: &Account) -> Result<bool> {
    Ok(!account.email_verified
        && mail::enabled(state)
        && spaces::store::require_email_verification(&state.db).await?)
}

/// Turns the space's requirement on or off. Refused while mail is off: nobody could confirm.
pub async fn set_requirement(state: &AppState, on: bool) -> Result<()> {
    if on && !mail::enabled(state) {
        return Err(Error::invalid(
            "require_email_verification",
            "needs outgoing mail: this instance has no SMTP server configured, so nobody could \
             confirm an address",
        ));
    }
    spaces::store::set_require_email_verification(&state.db, on).await
}

/// After a sign-up: mails the confirmation link when the new account must confirm. `true`
/// when it must.
pub async fn after_sign_up(state: &AppState, account_id: i64) -> Result<bool> {
    let Some(account) = super::store::by_id(&state.db, account_id).await? else {
        return Ok(false);
    };
    if !must_confirm(state, &account).await? {
        return Ok(false);
    }
    if store::claim_mail_slot(&state.db, account.id, RESEND_GAP_MS).await? {
        mail_verification(state, &account).await?;
    }
    Ok(true)
}

/// "Send again": a new confirmation link, at most one a minute. `Ok(false)` when the address
/// is confirmed already (nothing to send).
pub async fn resend(state: &AppState, account: &Account) -> Result<bool> {
    if account.email_verified {
        return Ok(false);
    }
    if !mail::enabled(state) {
        return Err(Error::Conflict(
            "This instance sends no mail, so there is no link to send.".into(),
        ));
    }
    if !store::claim_mail_slot(&state.db, account.id, RESEND_GAP_MS).await? {
        return Err(Error::TooManyRequests((RESEND_GAP_MS / 1000) as u64));
    }
    mail_verification(state, account).await?;
    Ok(true)
}

async fn mail_verification(state: &AppState, account: &Account) -> Result<()> {
    let email = Email::parse(&account.email).map_err(|e| Error::invalid("email", e))?;
    let link = new_link(state, account.id, Purpose::Verify, &email).await?;
    let letter = Letter::new("Confirm your e-mail address")
        .paragraph(format!(
            "Welcome, @{}! Please confirm that this address is yours.",
            account.handle
        ))
        .paragraph(
            "The link below works once, for a day. If you did not sign up, ignore this mail.",
        )
        .action("Confirm my address", link);
    mail::send(state, &email, "email_verify", &letter).await?;
    Ok(())
}

async fn new_link(
    state: &AppState,
    account_id: i64,
    purpose: Purpose,
    email: &Email,
) -> Result<String> {
    let token = random_token();
    store::insert_token(
        &state.db,
        &token_hash(&token),
        account_id,
        purpose,
        email.as_str(),
        now_ms() + TOKEN_LIFETIME_MS,
    )
    .await?;
    Ok(format!(
        "{}/email/confirm?token={token}",
        state.config.base_url()
    ))
}

/// Asks to change the address to `new_email`, after the current password: mails a link to the
/// new address and a notice to the old one. Returns the new address.
pub async fn request_change(
    state: &AppState,
    account: &Account,
    new_email: &str,
    password: &str,
) -> Result<Email> {
    if !mail::enabled(state) {
        return Err(Error::Conflict(
            "This instance sends no mail, so a new address cannot be confirmed. Ask an \
             administrator."
                .into(),
        ));
    }
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(new_email));
    if let Some(e) = &email {
        if e.as_str() == account.email {
            errors.add("email", "is your current address");
        } else if store::email_taken(&state.db, e.as_str(), account.id).await? {
            errors.add("email", store::TAKEN);
        }
    }
    if password.is_empty() || !register::confirm_password(state, account, password).await? {
        errors.add("password", "is wrong");
    }
    errors.into_result()?;
    let email =
        email.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated address missing")))?;
    if !store::claim_mail_slot(&state.db, account.id, RESEND_GAP_MS).await? {
        return Err(Error::TooManyRequests((RESEND_GAP_MS / 1000) as u64));
    }
    let link = new_link(state, account.id, Purpose::Change, &email).await?;
    let confirm = Letter::new("Confirm your new e-mail address")
        .paragraph(format!(
            "@{} asked to use this address from now on.",
            account.handle
        ))
        .paragraph("Your address changes when you open the link below. It works once, for a day. If you did not ask, ignore this mail: nothing changes.")
        .action("Confirm my new address", link);
    mail::send(state, &email, "email_change", &confirm).await?;
    if let Ok(old) = Email::parse(&account.email) {
        let notice = Letter::new("Your e-mail address is being changed")
            .paragraph(format!(
                "Someone signed in as @{} asked to change the account's address to {}.",
                account.handle,
                email.as_str()
            ))
            .paragraph("It changes only once the link mailed to the new address is opened. If this was not you, change your password and tell an administrator of the space.");
        mail::send(state, &old, "email_change_notice", &notice).await?;
    }
    tracing::info!(account = account.id, "address change requested");
    Ok(email)
}

/// What a used link did.
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// The account's address is confirmed.
    Verified { account_id: i64 },
    /// The account's address is now `email`.
    Changed { account_id: i64, email: String },
}

fn clean(token: &str) -> Option<&str> {
    let token = token.trim();
    (!token.is_empty() && token.len() <= 200).then_some(token)
}

/// Uses a link. A used, expired or unknown one is refused on `token`, an address another
/// account took meanwhile on `email`; either way nothing changes.
pub async fn confirm(state: &AppState, token: &str) -> Result<Confirmed> {
    let Some(token) = clean(token) else {
        return Err(Error::invalid("token", DEAD_LINK));
    };
    let mut tx = state.db.begin_write().await?;
    let Some(link) = store::consume_token(&mut tx, &token_hash(token)).await? else {
        return Err(Error::invalid("token", DEAD_LINK));
    };
    let done = match link.purpose {
        Purpose::Verify => {
            if !store::mark_verified_tx(&mut tx, link.account_id, &link.email).await? {
                return Err(Error::invalid("token", DEAD_LINK));
            }
            Confirmed::Verified {
                account_id: link.account_id,
            }
        }
        Purpose::Change => {
            store::change_email_tx(&mut tx, link.account_id, &link.email).await?;
            Confirmed::Changed {
                account_id: link.account_id,
                email: link.email,
            }
        }
    };
    tx.commit().await?;
    tracing::info!(account = link.account_id, "e-mail address confirmed");
    Ok(done)
}

/// A live link's purpose and address (the page says what it will do before asking).
pub async fn live(state: &AppState, token: &str) -> Result<Option<store::Consumed>> {
    match clean(token) {
        Some(token) => store::live_token(&state.db, &token_hash(token)).await,
        None => Ok(None),
    }
}
