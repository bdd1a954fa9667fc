//! What administrators do to a member's account from the members page and the API: vouch for
//! the member's e-mail address, reset two-factor sign-in (a member who lost the phone and
//! the recovery codes), and set the member's role (member, moderator, administrator; the
//! command line's `guildhall admin role` does the same through [`set_role`]). Each change and
//! its line in the audit log share one transaction.

use crate::accounts::{self, Account};
use crate::error::{Error, Result};
use crate::moderation::model::Actor;
use crate::moderation::store as audit;
use crate::state::AppState;
use crate::storage::Db;

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

/// A role an administrator gives a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Moderator,
    Admin,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "member" => Ok(Role::Member),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::invalid("role", "must be member, moderator or admin")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// How a sentence names someone with this role.
    fn described(self) -> &'static str {
        match self {
            Role::Member => "a member without a role",
            Role::Moderator => "a moderator",
            Role::Admin => "an administrator",
        }
    }
}

/// Sets the role of the member `handle`, by `by` (an administrator, or the command line), and
/// writes the audit line (`set_role`, the role as its reason) in the same transaction; returns
/// what changed, in one sentence. The last administrator keeps the role (`409`), whoever asks,
/// themselves included: another one must be made first.
pub async fn set_role(db: &Db, by: &Actor, handle: &str, role: Role) -> Result<String> {
    let handle = handle.trim().trim_start_matches('@');
    let account = accounts::store::by_handle(db, handle)
        .await?
        .ok_or(Error::NotFound)?;
    let mut tx = db.begin_write().await?;
    let (admin, moderator) = (role == Role::Admin, role == Role::Moderator);
    if !accounts::store::set_role_tx(&mut tx, account.id, admin, moderator).await? {
        return Err(Error::Conflict(format!(
            "@{} is the last administrator: make another one first.",
            account.handle
        )));
    }
    let target = format!("@{}", account.handle);
    audit::audit_tx(&mut tx, by, "set_role", &target, None, role.as_str()).await?;
    tx.commit().await?;
    Ok(format!("@{} is now {}.", account.handle, role.described()))
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
