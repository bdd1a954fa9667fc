//! SQL for two-factor sign-in: `account_totp`, `totp_recovery_codes` and `signin_challenges`
//! (owned by accounts), and nothing else.

use sqlx::Row as _;

use crate::error::Result;
use crate::storage::{now_ms, Db, Tx};

/// A member's TOTP row.
#[derive(Debug, Clone)]
pub struct TotpRow {
    pub secret: String,
    pub enabled: bool,
    pub last_step: i64,
    pub enabled_at: Option<i64>,
}

pub async fn get(db: &Db, account_id: i64) -> Result<Option<TotpRow>> {
    let row = sqlx::query(
        "SELECT secret, enabled, last_step, enabled_at FROM account_totp WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| -> Result<TotpRow> {
        Ok(TotpRow {
            secret: r.try_get("secret")?,
            enabled: r.try_get::<i64, _>("enabled")? != 0,
            last_step: r.try_get("last_step")?,
            enabled_at: r.try_get("enabled_at")?,
        })
    })
    .transpose()
}

/// Whether two-factor sign-in is on for an account.
pub async fn is_enabled(db: &Db, account_id: i64) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM account_totp WHERE account_id = $1 AND enabled = 1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// Starts (or restarts) enrolment with a new secret; refused (`false`) when it is already on.
pub async fn begin(db: &Db, account_id: i64, secret: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO account_totp (account_id, secret, enabled, last_step, created_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (account_id) DO UPDATE SET secret = $2, \
         last_step = 0, created_at = $3 WHERE account_totp.enabled = 0",
    )
    .bind(account_id)
    .bind(secret)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records `step` as used, if it is later than the last used one: the one statement that
/// decides whether a code is fresh. With `enable`, also turns two-factor sign-in on (the
/// enrolment's confirming code); otherwise the row must already be on.
pub async fn use_step(tx: &mut Tx, account_id: i64, step: i64, enable: bool) -> Result<bool> {
    let done = if enable {
        sqlx::query(
            "UPDATE account_totp SET last_step = $1, enabled = 1, enabled_at = $3 \
             WHERE account_id = $2 AND enabled = 0 AND last_step < $1",
        )
        .bind(step)
        .bind(account_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE account_totp SET last_step = $1 \
             WHERE account_id = $2 AND enabled = 1 AND last_step < $1",
        )
        .bind(step)
        .bind(account_id)
        .execute(&mut **tx)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// Turns two-factor sign-in off: the secret and the recovery codes go. `true` when it was on
/// (an enrolment begun but not confirmed goes too, but does not count).
pub async fn remove(tx: &mut Tx, account_id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM totp_recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    let was_on: Option<i64> =
        sqlx::query_scalar("DELETE FROM account_totp WHERE account_id = $1 RETURNING enabled")
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(was_on.unwrap_or(0) != 0)
}

/// Replaces the recovery codes of an account with these hashes.
pub async fn replace_recovery_codes(tx: &mut Tx, account_id: i64, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM totp_recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO totp_recovery_codes (account_id, code_hash, used_at) VALUES ($1, $2, NULL)",
        )
        .bind(account_id)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Uses a recovery code: `true` exactly once per code (one conditional statement).
pub async fn use_recovery_code(tx: &mut Tx, account_id: i64, hash: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE totp_recovery_codes SET used_at = $1 \
         WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now_ms())
    .bind(account_id)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many unused recovery codes an account has left.
pub async fn recovery_codes_left(db: &Db, account_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM totp_recovery_codes WHERE account_id = $1 AND used_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(db.pool())
    .await?)
}

// --- the pending second step of a sign-in -------------------------------------------------

pub async fn insert_challenge(
    db: &Db,
    token_hash: &str,
    account_id: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO signin_challenges (token_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now_ms())
    .bind(expires_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The account a live challenge belongs to.
pub async fn challenge_account(db: &Db, token_hash: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM signin_challenges WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?)
}

/// Ends a challenge; `true` only for the request that ended a live one.
pub async fn take_challenge(tx: &mut Tx, token_hash: &str) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM signin_challenges WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_expired_challenges(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM signin_challenges WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}
