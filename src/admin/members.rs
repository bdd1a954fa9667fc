//! What administrators do to a member's account from the members page and the API: vouch for
//! the member's e-mail address, and reset two-factor sign-in (a member who lost the phone and
//! the recovery codes). Each change and its line in the audit log share one transaction.

use crate::accounts::{self, Account};
use crate::error::{Error, Result};
use crate::moderation::model::Actor;
use crate::moderation::store as audit;
use crate::state::AppState;

/// A member as the administrators' list shows them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub handle: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub two_factor: bool,
    pub role: &'static str,
    pub suspended: bool,
}

pub async fn list(state: &AppState, limit: i64, offset: i64) -> Result<Vec<Row>> {
    let members = accounts::store::list(&state.db, limit, offset).await?;
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        rows.push(Row {
            two_factor: accounts::totp::store::is_enabled(&state.db, m.id).await?,
            role: if m.is_admin {
                "administrator"
            } else if m.is_moderator {
                "moderator"
            } else {
                "member"
            },
            handle: m.handle.clone(),
            name: m.name().to_string(),
            email: m.email.clone(),
            email_verified: m.email_verified,
            suspended: m.suspended,
        })
    }
    Ok(rows)
}

async fn member(state: &AppState, handle: &str) -> Result<Account> {
    let handle = handle.trim().trim_start_matches('@');
    accounts::store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)
}

/// Marks a member's address confirmed. `false` when it was confirmed already.
pub async fn mark_verified(state: &AppState, by: &Account, handle: &str) -> Result<bool> {
    let account = member(state, handle).await?;
    let mut tx = state.db.begin_write().await?;
    let done = accounts::email::store::set_verified_tx(&mut tx, account.id).await?;
    if done {
        let target = format!("@{}", account.handle);
        audit::audit_tx(&mut tx, &Actor::of(by), "confirm_email", &target, None, "").await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Turns a member's two-factor sign-in off (the secret and recovery codes go), so the member
/// signs in with the password alone and may enrol again. `false` when it was not on.
pub async fn reset_two_factor(state: &AppState, by: &Account, handle: &str) -> Result<bool> {
    let account = member(state, handle).await?;
    let mut tx = state.db.begin_write().await?;
    let was_on = accounts::totp::store::remove(&mut tx, account.id).await?;
    if was_on {
        let target = format!("@{}", account.handle);
        audit::audit_tx(&mut tx, &Actor::of(by), "reset_totp", &target, None, "").await?;
    }
    tx.commit().await?;
    if was_on {
        tracing::info!(account = account.id, by = by.id, "two-factor sign-in reset");
    }
    Ok(was_on)
}
