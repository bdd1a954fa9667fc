//! SQL for the space row and its invite links.

use super::model::{Invite, RegistrationMode, Space, SpaceDetails};
use crate::error::Result;
use crate::storage::{now_ms, Db, Tx};

const SPACE_COLUMNS: &str = "name, description, address, city, country, website, \
    require_email_verification, \
    registration_mode, timezone, created_at, updated_at";

pub async fn get(db: &Db) -> Result<Option<Space>> {
    let sql = format!("SELECT {SPACE_COLUMNS} FROM space WHERE id = 1");
    let row = sqlx::query(&sql).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Space::from_row(&r)).transpose()?)
}

/// The space's name, or `None` before setup.
pub async fn name(db: &Db) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT name FROM space WHERE id = 1")
        .fetch_optional(db.pool())
        .await?)
}

/// The space's IANA time zone name (`UTC` until an administrator sets one).
pub async fn timezone(db: &Db) -> Result<String> {
    let tz: Option<String> = sqlx::query_scalar("SELECT timezone FROM space WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(tz.unwrap_or_else(|| "UTC".into()))
}

/// Sets the space's time zone (a name the caller checked against the zone database).
pub async fn set_timezone(db: &Db, timezone: &str) -> Result<()> {
    sqlx::query("UPDATE space SET timezone = $1, updated_at = $2 WHERE id = 1")
        .bind(timezone)
        .bind(now_ms())
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn exists_tx(tx: &mut Tx) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM space WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

pub async fn insert(tx: &mut Tx, d: &SpaceDetails, mode: RegistrationMode) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO space (id, name, description, address, city, country, website, \
         registration_mode, created_at, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.address)
    .bind(&d.city)
    .bind(&d.country)
    .bind(&d.website)
    .bind(mode.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn update(db: &Db, d: &SpaceDetails, mode: RegistrationMode) -> Result<()> {
    sqlx::query(
        "UPDATE space SET name = $1, description = $2, address = $3, city = $4, country = $5, \
         website = $6, registration_mode = $7, updated_at = $8 WHERE id = 1",
    )
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.address)
    .bind(&d.city)
    .bind(&d.country)
    .bind(&d.website)
    .bind(mode.as_str())
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(())
}

pub async fn insert_invite(
    db: &Db,
    code: &str,
    created_by: i64,
    max_uses: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO invites (code, created_by, max_uses, uses, expires_at, created_at) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind(code)
    .bind(created_by)
    .bind(max_uses)
    .bind(expires_at)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Invites that can still be used, newest first.
pub async fn live_invites(db: &Db) -> Result<Vec<Invite>> {
    let rows = sqlx::query(
        "SELECT code, max_uses, uses, expires_at, created_at FROM invites \
         WHERE uses < max_uses AND expires_at > $1 ORDER BY created_at DESC LIMIT 100",
    )
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(Invite::from_row)
        .collect::<Result<_, _>>()?)
}

/// Whether an invite code can be used now (without using it).
pub async fn invite_is_live(db: &Db, code: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM invites WHERE code = $1 AND uses < max_uses AND expires_at > $2",
    )
    .bind(code)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Uses an invite once; `false` when it is unknown, used up or expired.
pub async fn consume_invite(tx: &mut Tx, code: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invites SET uses = uses + 1 WHERE code = $1 AND uses < max_uses AND expires_at > $2",
    )
    .bind(code)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke_invite(db: &Db, code: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM invites WHERE code = $1")
        .bind(code)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// When the space's row last changed (0 before setup), as one SQL value (text): the
/// directory's change detector.
pub const CHANGE_STAMP: &str = "SELECT CAST(COALESCE(MAX(updated_at), 0) AS TEXT) FROM space";

/// Whether staff must use two-factor sign-in (`require_2fa_for_staff`, added by the TOTP
/// migration).
pub async fn require_2fa_for_staff(db: &Db) -> Result<bool> {
    let on: Option<i64> =
        sqlx::query_scalar("SELECT require_2fa_for_staff FROM space WHERE id = 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(on.unwrap_or(0) != 0)
}

pub async fn set_require_2fa_for_staff(db: &Db, on: bool) -> Result<()> {
    sqlx::query("UPDATE space SET require_2fa_for_staff = $1, updated_at = $2 WHERE id = 1")
        .bind(on as i64)
        .bind(now_ms())
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Whether new members must confirm their e-mail address (`require_email_verification`, added
/// by the e-mail verification migration).
pub async fn require_email_verification(db: &Db) -> Result<bool> {
    let on: Option<i64> =
        sqlx::query_scalar("SELECT require_email_verification FROM space WHERE id = 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(on.unwrap_or(0) != 0)
}

pub async fn set_require_email_verification(db: &Db, on: bool) -> Result<()> {
    sqlx::query("UPDATE space SET require_email_verification = $1, updated_at = $2 WHERE id = 1")
        .bind(on as i64)
        .bind(now_ms())
        .execute(db.writer())
        .await?;
    Ok(())
}
