//! The queue of received activities, `inbox_activities`: stored once by id when received,
//! claimed with a lease by the processor, recorded done or failed, pruned after a month.

use serde_json::Value;
use sqlx::Row as _;

use super::commit::Received;
use crate::error::Result;
use crate::federation::Context;
use crate::storage::{now_ms, placeholders, value_rows, Db};

/// Stores a group of received activities with one statement (one commit); returns the ids
/// stored now. A repeat of a known id, or of an id earlier in the group, is skipped (`ON
/// CONFLICT DO NOTHING`) and not returned, which the inbox answers as a repeat.
pub(super) async fn insert_group(
    db: &Db,
    rows: &[&Received],
) -> std::result::Result<Vec<String>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at) VALUES {} \
         ON CONFLICT DO NOTHING RETURNING activity_uri",
        value_rows("", 1, rows.len(), 5)
    );
    let now = now_ms();
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for row in rows {
        query = query
            .bind(row.id.as_str())
            .bind(row.actor.as_str())
            .bind(row.kind.as_str())
            .bind(row.body.as_str())
            .bind(now);
    }
    query.fetch_all(db.writer()).await
}

const LEASE_MS: i64 = 60_000;
const MAX_ATTEMPTS: i64 = 5;

/// A claimed activity as it was stored.
#[derive(Debug)]
pub struct Stored {
    /// Its row.
    pub id: i64,
    /// The verified actor that delivered it.
    pub actor: String,
    /// The body as received.
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Claims up to 50 stored activities that are due (not processed, lease expired) with a lease
/// of their own, counting an attempt for each, and returns them oldest first: one statement.
/// What they cause is the business of the processor above the features
/// (`crate::hub::inbound`).
pub async fn claim(ctx: &Context) -> Result<Vec<Stored>> {
    let now = now_ms();
    let sql = format!(
        "UPDATE inbox_activities SET lease_until = $1, attempts = attempts + 1 WHERE id IN (\
         SELECT id FROM inbox_activities WHERE processed_at IS NULL AND lease_until < $2 \
         ORDER BY id LIMIT 50{}) RETURNING id, actor, body, attempts",
        ctx.db.dialect().skip_locked()
    );
    let mut claimed = sqlx::query(&sql)
        .bind(now + LEASE_MS)
        .bind(now)
        .fetch_all(ctx.db.writer())
        .await?
        .iter()
        .map(|row| {
            Ok(Stored {
                id: row.try_get("id")?,
                actor: row.try_get("actor")?,
                body: row.try_get("body")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    claimed.sort_unstable_by_key(|s| s.id);
    Ok(claimed)
}

/// Marks the rows `ids` processed, a statement per 500.
pub async fn record_done(ctx: &Context, ids: &[i64]) -> Result<()> {
    let now = now_ms();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "UPDATE inbox_activities SET processed_at = $1, error = NULL WHERE id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(ctx.db.writer()).await?;
    }
    Ok(())
}

/// Records a failure to process row `id`: tried again after 30 s × attempts, given up after
/// the fifth attempt.
pub async fn record_failure(
    ctx: &Context,
    id: i64,
    attempts: i64,
    e: &crate::error::Error,
) -> Result<()> {
    let give_up = attempts >= MAX_ATTEMPTS;
    tracing::warn!(activity = id, attempts, give_up, error = %e, "processing an activity failed");
    sqlx::query(
        "UPDATE inbox_activities SET error = $1, processed_at = $2, lease_until = $3 WHERE id = $4",
    )
    .bind(e.to_string())
    .bind(give_up.then(now_ms))
    .bind(now_ms() + 30_000 * attempts)
    .bind(id)
    .execute(ctx.db.writer())
    .await?;
    Ok(())
}

/// The received activities not processed yet, as the metrics show them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Stored and not processed yet (due now, leased or waiting to be tried again).
    pub activities: i64,
    /// Of those, the ones whose last try failed (tried again later).
    pub failed_once: i64,
    /// When the oldest of them was received (ms), if any.
    pub oldest_received_at: Option<i64>,
}

/// [`Waiting`] in one statement (on the index of pending rows).
pub async fn waiting(db: &Db) -> Result<Waiting> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(error) AS failed, MIN(received_at) AS oldest \
         FROM inbox_activities WHERE processed_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(Waiting {
        activities: row.try_get("n")?,
        failed_once: row.try_get("failed")?,
        oldest_received_at: row.try_get("oldest")?,
    })
}

/// How long processed activities are kept (for dedupe of late repeats and for answering
/// follow requests later).
pub const KEEP_PROCESSED_MS: i64 = 30 * 86_400_000;

/// Removes processed activities older than [`KEEP_PROCESSED_MS`], except Follows still waiting
/// for a locked actor's answer (their body is sent back in the Accept or Reject): a batch of
/// old rows at a time, the pending ones among them asked of the follows' store in one call.
/// A Follow only becomes pending while its activity is processed, never a month later, so
/// nothing this leaves out of a batch's delete can turn pending meanwhile.
pub async fn prune(db: &Db) -> Result<u64> {
    const BATCH: i64 = 500;
    let before = now_ms() - KEEP_PROCESSED_MS;
    let mut after = 0;
    let mut removed = 0;
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, activity_uri FROM inbox_activities WHERE processed_at IS NOT NULL \
             AND received_at < $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(before)
        .bind(after)
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        let Some((last, _)) = rows.last() else {
            return Ok(removed);
        };
        after = *last;
        let uris: Vec<String> = rows.iter().map(|(_, uri)| uri.clone()).collect();
        let pending = crate::federation::follows::store::pending_among(db, &uris).await?;
        let ids: Vec<i64> = rows
            .iter()
            .filter(|(_, uri)| !pending.contains(uri))
            .map(|(id, _)| *id)
            .collect();
        if !ids.is_empty() {
            let sql = format!(
                "DELETE FROM inbox_activities WHERE id IN ({})",
                placeholders(1, ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            removed += q.execute(db.writer()).await?.rows_affected();
        }
        if (rows.len() as i64) < BATCH {
            return Ok(removed);
        }
    }
}

/// The stored body of a received activity (the Follow a locked actor answers later).
pub async fn received_activity(db: &Db, activity_uri: &str) -> Result<Option<Value>> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM inbox_activities WHERE activity_uri = $1")
            .bind(activity_uri)
            .fetch_optional(db.pool())
            .await?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}
