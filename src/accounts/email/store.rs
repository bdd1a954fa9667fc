//! SQL of e-mail addresses: the confirmation state of `accounts`, the `email_tokens` table.

use crate::error::{Error, Result};
use crate::storage::{is_unique_violation, now_ms, Db, Tx};

/// What a confirmation link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the account's current address.
    Verify,
    /// Confirms a new address, which replaces the current one.
    Change,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Change => "change",
        }
    }
}

/// A link consumed by [`consume_token`].
#[derive(Debug, Clone)]
pub struct Consumed {
    pub account_id: i64,
    pub purpose: Purpose,
    pub email: String,
}

/// Marks a confirmation mail as sent now, unless one was sent less than `gap_ms` ago: one
/// conditional update, so racing requests send one mail. `false` when throttled.
pub async fn claim_mail_slot(db: &Db, account_id: i64, gap_ms: i64) -> Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE accounts SET email_mail_at = $1 WHERE id = $2 \
         AND (email_mail_at IS NULL OR email_mail_at <= $3)",
    )
    .bind(now)
    .bind(account_id)
    .bind(now - gap_ms)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a link (its hash). Links of the same purpose sent before stop working, so only the
/// newest pending address counts.
pub async fn insert_token(
    db: &Db,
    token_hash: &str,
    account_id: i64,
    purpose: Purpose,
    email: &str,
    expires_at: i64,
) -> Result<()> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE email_tokens SET used_at = $1 WHERE account_id = $2 AND purpose = $3 \
         AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO email_tokens (token_hash, account_id, purpose, email, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(purpose.as_str())
    .bind(email)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

fn purpose_of(raw: &str) -> Purpose {
    if raw == "change" {
        Purpose::Change
    } else {
        Purpose::Verify
    }
}

/// A live link: its account, purpose and address (for the page that asks to confirm).
pub async fn live_token(db: &Db, token_hash: &str) -> Result<Option<Consumed>> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT account_id, purpose, email FROM email_tokens WHERE token_hash = $1 \
         AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(account_id, purpose, email)| Consumed {
        account_id,
        purpose: purpose_of(&purpose),
        email,
    }))
}

/// Consumes a live link: one conditional update, so of two racing uses exactly one gets it.
/// `None` for a used, expired or unknown link.
pub async fn consume_token(tx: &mut Tx, token_hash: &str) -> Result<Option<Consumed>> {
    let now = now_ms();
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND expires_at > $1 RETURNING account_id, purpose, email",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(account_id, purpose, email)| Consumed {
        account_id,
        purpose: purpose_of(&purpose),
        email,
    }))
}

/// Marks the account's address confirmed, if it is still `email` (the address the link was
/// sent to). `false` when the address changed since.
pub async fn mark_verified_tx(tx: &mut Tx, account_id: i64, email: &str) -> Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $1) \
         WHERE id = $2 AND email = $3",
    )
    .bind(now)
    .bind(account_id)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an account's address confirmed (an administrator vouches for it), in the caller's
/// transaction (with its audit line). `false` when it was confirmed already.
pub async fn set_verified_tx(tx: &mut Tx, account_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now_ms())
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the account's address to a confirmed new one. The unique index on `accounts.email`
/// decides between accounts confirming the same address at once: the loser gets a clear
/// error on `email`, and the caller's transaction (with the link it consumed) is dropped.
pub async fn change_email_tx(tx: &mut Tx, account_id: i64, email: &str) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE accounts SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(email)
    .bind(now)
    .bind(account_id)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::invalid("email", TAKEN)
        } else {
            e.into()
        }
    })?;
    // Other pending changes of this account end with this one.
    sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the loser of two accounts claiming one address is told.
pub const TAKEN: &str = "belongs to another account of this space";

/// Whether an account other than `account_id` has `email`.
pub async fn email_taken(db: &Db, email: &str, account_id: i64) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM accounts WHERE email = $1 AND id <> $2")
            .bind(email)
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// The pending new address of an account (the newest live change link), if any.
pub async fn pending_change(db: &Db, account_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM email_tokens WHERE account_id = $1 AND purpose = 'change' \
         AND used_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?)
}

/// Forgets links that expired more than a day ago.
pub async fn delete_old_tokens(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM email_tokens WHERE expires_at < $1")
            .bind(now_ms() - 86_400_000)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}
