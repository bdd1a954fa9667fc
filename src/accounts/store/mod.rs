//! SQL for accounts and handles; sessions and password resets are in [`sessions`].

use std::collections::HashMap;

use sqlx::Row as _;

use super::model::{Account, ProfileLink};
use crate::error::{Error, Result};
use crate::federation::crypto::GeneratedKeys;
use crate::federation::keys::{self, ActorKind};
use crate::storage::{is_unique_violation, now_ms, placeholders, Db, Tx};
use crate::validate::{Email, FieldErrors, Handle};

mod sessions;
pub use sessions::*;

/// What a new account starts with.
pub struct NewAccount<'a> {
    pub handle: &'a Handle,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub is_admin: bool,
    /// The address counts as proved (everyone but a member who signed up where the space asks
    /// new members to confirm it).
    pub verified: bool,
    /// The actor's key pair, made before the transaction (see `federation::keys::generate`).
    pub keys: &'a GeneratedKeys,
}

/// Whether a member, a company or a project holds `handle` (the `handles` table, the one
/// namespace they share). `ex`: a pool, or a transaction's connection.
pub async fn handle_held<'e, E>(ex: E, handle: &str) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM handles WHERE handle = $1")
        .bind(handle)
        .fetch_optional(ex)
        .await?;
    Ok(found.is_some())
}

/// Whether `handle` is taken in the namespace members, companies and projects share, read
/// inside `tx` (the write transaction that will then take it).
pub async fn handle_taken(tx: &mut Tx, handle: &str) -> Result<bool> {
    handle_held(&mut **tx, handle).await
}

/// The handles reserved for projects (kind `project`). A project whose handle is not among
/// them shares it with a member or a company (see `projects::store::handles_shared`).
pub async fn project_handles(db: &Db) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT handle FROM handles WHERE kind = 'project'")
            .fetch_all(db.pool())
            .await?,
    )
}

/// Reserves a handle in the namespace members, companies and projects share (`kind`:
/// `member`, `company` or `project`), or reports it taken. Of two transactions reserving one
/// handle at once, the second's insert fails on the key and reads as taken.
pub async fn reserve_handle(tx: &mut Tx, handle: &Handle, kind: &str) -> Result<()> {
    if handle_taken(tx, handle.as_str()).await? {
        return Err(Error::invalid("handle", "is already taken"));
    }
    sqlx::query("INSERT INTO handles (handle, kind) VALUES ($1, $2)")
        .bind(handle.as_str())
        .bind(kind)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::invalid("handle", "is already taken")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// Creates an account inside a transaction; returns its id.
pub async fn insert(tx: &mut Tx, new: NewAccount<'_>) -> Result<i64> {
    let email_taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM accounts WHERE email = $1")
        .bind(new.email.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    let mut errors = FieldErrors::new();
    if email_taken.is_some() {
        errors.add("email", "is already registered");
    }
    if let Err(Error::Invalid(e)) = reserve_handle(tx, new.handle, "member").await {
        errors.0.extend(e.0);
    }
    errors.into_result()?;
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (handle, email, password_hash, display_name, is_admin, \
         discoverable, email_verified_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $7, $6, $6) RETURNING id",
    )
    .bind(new.handle.as_str())
    .bind(new.email.as_str())
    .bind(new.password_hash)
    .bind(new.display_name)
    .bind(new.is_admin as i64)
    .bind(now)
    .bind(new.verified.then_some(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::invalid("email", "is already registered")
        } else {
            e.into()
        }
    })?;
    keys::insert(tx, ActorKind::Member, id, new.keys).await?;
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Account>> {
    fetch_one_where(db, "accounts.id = $1", Value::Int(id)).await
}

pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<Account>> {
    fetch_one_where(
        db,
        "accounts.handle = $1",
        Value::Text(handle.to_ascii_lowercase()),
    )
    .await
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<Account>> {
    fetch_one_where(
        db,
        "accounts.email = $1",
        Value::Text(email.to_ascii_lowercase()),
    )
    .await
}

enum Value {
    Int(i64),
    Text(String),
}

async fn fetch_one_where(db: &Db, condition: &str, value: Value) -> Result<Option<Account>> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE {condition}",
        Account::COLUMNS
    );
    let query = sqlx::query(&sql);
    let query = match value {
        Value::Int(i) => query.bind(i),
        Value::Text(t) => query.bind(t),
    };
    let row = query.fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Account::from_row(&r)).transpose()?)
}

/// Every account that chose to be listed in the directory and is not suspended, oldest first.
pub async fn discoverable(db: &Db) -> Result<Vec<Account>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM accounts WHERE discoverable = 1 AND suspended_at IS NULL ORDER BY id",
        Account::COLUMNS
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(Account::from_row)
        .collect::<Result<_, _>>()?)
}

/// The stored password hash of an account.
pub async fn password_hash(db: &Db, id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn set_password_hash(db: &Db, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Editable profile fields.
pub struct ProfileUpdate {
    pub display_name: String,
    pub bio: String,
    pub skills: Vec<String>,
    pub links: Vec<ProfileLink>,
    pub discoverable: bool,
    /// Followers need approval.
    pub locked: bool,
}

pub async fn update_profile(db: &Db, id: i64, p: &ProfileUpdate) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET display_name = $1, bio = $2, skills = $3, links = $4, \
         discoverable = $5, locked = $8, updated_at = $6 WHERE id = $7",
    )
    .bind(&p.display_name)
    .bind(&p.bio)
    .bind(serde_json::to_string(&p.skills).map_err(anyhow::Error::from)?)
    .bind(serde_json::to_string(&p.links).map_err(anyhow::Error::from)?)
    .bind(p.discoverable as i64)
    .bind(now_ms())
    .bind(id)
    .bind(p.locked as i64)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Points the account at a new avatar; returns the previous key so it can be removed.
pub async fn set_avatar(db: &Db, id: i64, key: Option<&str>) -> Result<Option<String>> {
    let mut tx = db.begin_write().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT avatar_key FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    sqlx::query("UPDATE accounts SET avatar_key = $1, updated_at = $2 WHERE id = $3")
        .bind(key)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(old)
}

/// A page of this space's members, newest first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {} FROM accounts ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        Account::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Account::from_row)
        .collect::<Result<_, _>>()?)
}

/// The members a list shows, newest first: everyone to a signed-in member of the space, only
/// those who chose "List me in directories" to anyone else (`everyone` false); never a
/// suspended member.
pub async fn list_visible(
    db: &Db,
    everyone: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE suspended_at IS NULL AND (discoverable = 1 OR {}) \
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        Account::COLUMNS,
        if everyone { "1 = 1" } else { "1 = 0" }
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Account::from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// How many members [`list_visible`] lists.
pub async fn count_visible(db: &Db, everyone: bool) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM accounts WHERE suspended_at IS NULL AND (discoverable = 1 OR {})",
        if everyone { "1 = 1" } else { "1 = 0" }
    );
    Ok(sqlx::query_scalar(&sql).fetch_one(db.pool()).await?)
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(db.pool())
        .await?)
}

/// Accounts that used a session or token since `since` (for NodeInfo's activity figures).
pub async fn active_since(db: &Db, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(DISTINCT account_id) FROM sessions WHERE last_used_at >= $1",
    )
    .bind(since)
    .fetch_one(db.pool())
    .await?)
}

// --- deletion -----------------------------------------------------------------------------

/// How many administrators there are besides `account_id`.
pub async fn count_other_admins_tx(tx: &mut Tx, account_id: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_admin = 1 AND id <> $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Deletes the account row; `false` when there was none.
pub async fn delete_tx(tx: &mut Tx, account_id: i64) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(deleted.rows_affected() != 0)
}

// --- roles and suspension (set by administrators and moderators) -----------------------------

/// The key of the advisory lock role changes take on PostgreSQL ("role").
const ROLE_LOCK: i64 = 0x0000_726f_6c65;

/// Sets an account's role: `admin`, `moderator` or `member`. Refuses to take the last
/// administrator's role away, in one conditional statement. `false` when nothing changed
/// because that would leave no administrator.
pub async fn set_role_tx(
    tx: &mut Tx,
    account_id: i64,
    admin: bool,
    moderator: bool,
) -> Result<bool> {
    // Role changes take turns (PostgreSQL: an advisory lock until the commit; SQLite's write
    // transaction already does), so two administrators taking each other's role at once
    // cannot both pass the check below and leave the space without one.
    if let Some(lock) = crate::storage::Dialect::of(tx).serialize_writers(ROLE_LOCK) {
        sqlx::query(&lock).execute(&mut **tx).await?;
    }
    let done = sqlx::query(
        "UPDATE accounts SET is_admin = $1, is_moderator = $2, updated_at = $3 WHERE id = $4 \
         AND ($1 = 1 OR EXISTS (SELECT 1 FROM accounts o WHERE o.is_admin = 1 AND o.id <> $4))",
    )
    .bind(admin as i64)
    .bind(moderator as i64)
    .bind(now_ms())
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Suspends an account (or lifts the suspension) and ends its sessions and API tokens. The
/// change time moves too, so what derives from profiles (the directory) sees the change.
/// `false` when it was in that state already.
pub async fn set_suspended_tx(tx: &mut Tx, account_id: i64, suspended: bool) -> Result<bool> {
    let sql = if suspended {
        "UPDATE accounts SET suspended_at = $1, updated_at = $1 \
         WHERE id = $2 AND suspended_at IS NULL"
    } else {
        "UPDATE accounts SET suspended_at = NULL, updated_at = $1 \
         WHERE id = $2 AND suspended_at IS NOT NULL"
    };
    let done = sqlx::query(sql)
        .bind(now_ms())
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    if suspended {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

/// The handles of suspended accounts.
pub async fn suspended_handles(db: &Db) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT handle FROM accounts WHERE suspended_at IS NOT NULL")
            .fetch_all(db.pool())
            .await?,
    )
}

/// What other features show of a member: handle, display name, avatar.
#[derive(Debug, Clone)]
pub struct Named {
    pub handle: String,
    pub display_name: String,
    pub avatar_key: Option<String>,
}

/// The handle, name and avatar of each account of `ids` that exists, by id: the one read a
/// page of another feature's rows makes for the members it names.
pub async fn names(db: &Db, ids: &[i64]) -> Result<HashMap<i64, Named>> {
    let rows = crate::storage::rows_by_ids(
        db,
        "SELECT id, handle, display_name, avatar_key FROM accounts WHERE id IN ({})",
        ids,
    )
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let named = Named {
            handle: r.try_get("handle")?,
            display_name: r.try_get("display_name")?,
            avatar_key: r.try_get("avatar_key")?,
        };
        out.insert(r.try_get::<i64, _>("id")?, named);
    }
    Ok(out)
}

/// The ids of the accounts of `handles` (those that exist).
pub async fn ids_of_handles(db: &Db, handles: &[String]) -> Result<Vec<i64>> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM accounts WHERE handle IN ({})",
        placeholders(1, handles.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for h in handles {
        q = q.bind(h);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// How many accounts there are and a sum of their change times, as one SQL value (text): what
/// the directory's change detector compares (any sign-up, deletion or profile change moves one
/// of the two). The detector asks it with the other sources' stamps in one statement.
pub const CHANGE_STAMP: &str = "SELECT CAST(COUNT(*) AS TEXT) || ':' || \
     CAST(COALESCE(SUM(updated_at % 1000000007), 0) AS TEXT) FROM accounts";

/// The ids of the administrators and moderators, oldest first, read in the caller's
/// transaction.
pub async fn staff_ids_tx(tx: &mut Tx) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE is_admin = 1 OR is_moderator = 1 ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// The ids of the administrators, oldest first.
pub async fn admin_ids(db: &Db) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE is_admin = 1 ORDER BY id")
            .fetch_all(db.pool())
            .await?,
    )
}
