//! The tables of blocklist subscriptions: `blocklist_subscriptions` (the addresses and how
//! their last fetch went) and `blocklist_entries` (what each list said at its last refresh).

use serde::Serialize;
use sqlx::Row as _;

use crate::error::Result;
use crate::storage::{now_ms, Db, Row, Tx};

/// A subscription to a blocklist at `url`.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    pub created_at: i64,
    /// The last refresh that was applied, if any.
    pub fetched_at: Option<i64>,
    /// Why the last attempt failed; empty when it did not.
    pub last_error: String,
    /// Domains the list named at its last refresh.
    pub domains: i64,
}

impl Subscription {
    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Subscription {
            id: r.try_get("id")?,
            url: r.try_get("url")?,
            created_at: r.try_get("created_at")?,
            fetched_at: r.try_get("fetched_at")?,
            last_error: r.try_get("last_error")?,
            domains: r.try_get("domains")?,
        })
    }
}

const SELECT: &str = "SELECT s.id, s.url, s.created_at, s.fetched_at, s.last_error, \
     (SELECT COUNT(*) FROM blocklist_entries e WHERE e.subscription_id = s.id) AS domains \
     FROM blocklist_subscriptions s";

pub async fn list(db: &Db) -> Result<Vec<Subscription>> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY s.id"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Subscription::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Subscription>> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(Subscription::from_row).transpose()?)
}

/// Subscribes to `url`; the id, and whether it is new (a repeat, even a concurrent one,
/// answers the existing subscription).
pub async fn add(db: &Db, url: &str) -> Result<(i64, bool)> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO blocklist_subscriptions (url, created_at) VALUES ($1, $2) \
         ON CONFLICT (url) DO NOTHING RETURNING id",
    )
    .bind(url)
    .bind(now_ms())
    .fetch_optional(db.writer())
    .await?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM blocklist_subscriptions WHERE url = $1")
        .bind(url)
        .fetch_one(db.writer())
        .await?;
    Ok((id, false))
}

/// Ends a subscription and forgets what its list said; whether there was one.
pub async fn remove_tx(tx: &mut Tx, id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM blocklist_entries WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM blocklist_subscriptions WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// What the list said at its last refresh: `(domain, severity)`, by domain.
pub async fn entries(db: &Db, id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT domain, severity FROM blocklist_entries WHERE subscription_id = $1 ORDER BY domain",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// [`entries`] inside the refreshing transaction, after it locked the subscription.
pub async fn entries_tx(tx: &mut Tx, id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT domain, severity FROM blocklist_entries WHERE subscription_id = $1 ORDER BY domain",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Whether a list other than `id` names `domain` with a rule (`suspend` or `silence`).
pub async fn listed_elsewhere_tx(tx: &mut Tx, id: i64, domain: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blocklist_entries WHERE domain = $1 AND subscription_id <> $2 \
         AND severity <> 'noop'",
    )
    .bind(domain)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Marks the subscription as being refreshed (taking its row's lock on PostgreSQL, so two
/// refreshes of one list run one after the other); `false` when it is gone.
pub async fn lock_tx(tx: &mut Tx, id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE blocklist_subscriptions SET last_error = last_error WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces what the list says and records a successful refresh.
pub async fn replace_entries_tx(tx: &mut Tx, id: i64, rows: &[(String, String)]) -> Result<()> {
    sqlx::query("DELETE FROM blocklist_entries WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (domain, severity) in rows {
        sqlx::query(
            "INSERT INTO blocklist_entries (subscription_id, domain, severity) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(domain)
        .bind(severity)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE blocklist_subscriptions SET fetched_at = $1, last_error = '' WHERE id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records why a refresh failed (the rules stay as they were).
pub async fn record_error(db: &Db, id: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE blocklist_subscriptions SET last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Subscriptions last refreshed before `before`. One never refreshed is not due: its first
/// refresh is applied by an administrator, from its preview.
pub async fn due(db: &Db, before: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM blocklist_subscriptions WHERE fetched_at < $1 ORDER BY id",
    )
    .bind(before)
    .fetch_all(db.pool())
    .await?)
}
