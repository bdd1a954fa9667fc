//! The SQL of `sessions` (signed-in browsers) and `password_resets` (mailed reset links), the
//! accounts' second store.

use super::*;

/// Stores a session under the hash of its token.
pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    account_id: i64,
    kind: &str,
    label: &str,
    expires_at: i64,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, kind, label, created_at, last_used_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(kind)
    .bind(label)
    .bind(now)
    .bind(expires_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The account of a live session, with the session's last use time.
pub async fn session_account(db: &Db, token_hash: &str) -> Result<Option<(Account, i64)>> {
    let sql = format!(
        "SELECT {}, sessions.last_used_at FROM sessions JOIN accounts ON accounts.id = \
         sessions.account_id WHERE sessions.token_hash = $1 AND sessions.expires_at > $2 \
         AND accounts.suspended_at IS NULL",
        Account::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(r) => Ok(Some((Account::from_row(&r)?, r.try_get("last_used_at")?))),
        None => Ok(None),
    }
}

pub async fn touch_session(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE token_hash = $2")
        .bind(now_ms())
        .bind(token_hash)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Ends every session of an account except `keep` (the one changing the password).
pub async fn delete_other_sessions(db: &Db, account_id: i64, keep: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(account_id)
        .bind(keep)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(db: &Db) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms())
        .execute(db.writer())
        .await?
        .rows_affected())
}

// --- password resets ----------------------------------------------------------------------

/// Stores a reset token (its hash) for an account.
pub async fn insert_password_reset(
    db: &Db,
    token_hash: &str,
    account_id: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) \
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

/// Consumes a live reset token: one conditional update, so of two racing uses exactly one gets
/// the account. `None` for a used, expired or unknown token.
pub async fn consume_password_reset(tx: &mut Tx, token_hash: &str) -> Result<Option<i64>> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND expires_at > $1 RETURNING account_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Whether a reset token is live (for the page that asks for the new password).
pub async fn password_reset_is_live(db: &Db, token_hash: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Sets a new password after a reset: the hash, the end of every session and API token of the
/// account, and of its other reset tokens, in the caller's transaction.
pub async fn reset_password_tx(tx: &mut Tx, account_id: i64, hash: &str) -> Result<()> {
    let now = now_ms();
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets reset tokens that expired more than a day ago.
pub async fn delete_old_password_resets(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
            .bind(now_ms() - 86_400_000)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}
