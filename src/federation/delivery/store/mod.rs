//! The SQL of the queue's rows, in `activities` and `deliveries`: recording, claiming,
//! finishing, cleaning up, failing a blocked host's rows, and reading an actor's public
//! activities for its outbox. Host health's SQL is in
//! `hosts.rs`, what the administrators' view reads in `status.rs`.

pub(super) mod hosts;
pub mod status;

use sqlx::Row as _;

use super::{Settings, DISCOVER_LIMIT, LEASE_MS, RETENTION_MS};
use crate::error::Result;
use crate::federation::keys::ActorKind;
use crate::storage::{now_ms, Db, Tx};

/// A claimed delivery.
#[derive(Debug)]
pub(super) struct Claimed {
    pub(super) id: i64,
    pub(super) activity_id: i64,
    pub(super) inbox: String,
    pub(super) host: String,
    pub(super) signer_kind: String,
    pub(super) signer_id: i64,
    pub(super) attempts: i64,
    pub(super) created_at: i64,
    /// The lease taken; the outcome is recorded only while the row still carries it.
    pub(super) lease_until: i64,
    /// The one delivery let through to a parked host.
    pub(super) probe: bool,
}

/// Records an activity (keeping the first body when its id is known) and returns its row id.
pub(super) async fn insert_activity(
    tx: &mut Tx,
    uri: &str,
    actor: &str,
    kind: &str,
    public: bool,
    body: &str,
    now: i64,
) -> Result<i64> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO activities (uri, actor, kind, public, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uri) DO NOTHING RETURNING id",
    )
    .bind(uri)
    .bind(actor)
    .bind(kind)
    .bind(i64::from(public))
    .bind(body)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match inserted {
        Some(id) => id,
        None => {
            sqlx::query_scalar("SELECT id FROM activities WHERE uri = $1")
                .bind(uri)
                .fetch_one(&mut **tx)
                .await?
        }
    })
}

/// Queues one delivery of an activity, unless that inbox already has it.
pub(super) async fn queue(
    tx: &mut Tx,
    activity_id: i64,
    inbox: &str,
    host: &str,
    signer: (ActorKind, i64),
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO deliveries (activity_id, inbox, host, signer_kind, signer_id, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (activity_id, inbox) DO NOTHING",
    )
    .bind(activity_id)
    .bind(inbox)
    .bind(host)
    .bind(signer.0.as_str())
    .bind(signer.1)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Hosts that have deliveries due and unclaimed and are not parked. One short index read per
/// known host (`deliveries_host_due`), however long the queues are. (The unary `+` keeps
/// SQLite from reading `deliveries_host_leased` instead; it changes nothing on PostgreSQL.)
pub(super) async fn due_hosts(db: &Db) -> Result<Vec<String>> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "SELECT h.host FROM delivery_hosts h WHERE h.parked_until <= $1 AND EXISTS (\
         SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state = 'queued' \
         AND d.next_attempt_at <= $1 AND +d.lease_until < $1) \
         LIMIT $2",
    )
    .bind(now)
    .bind(DISCOVER_LIMIT)
    .fetch_all(db.pool())
    .await?)
}

/// Deletes deliveries that finished more than [`RETENTION_MS`] ago.
pub(super) async fn cleanup(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM deliveries WHERE state <> 'queued' AND next_attempt_at < $1")
            .bind(now_ms() - RETENTION_MS)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}

/// Claims up to `n` due deliveries of `host` for this process. A parked host whose time has
/// come yields one delivery, marked as the probe; a parked host otherwise yields nothing. The
/// number of rows leased for a host (by any process) stays within `per_host`.
pub(super) async fn claim(
    db: &Db,
    settings: &Settings,
    owner: &str,
    host: &str,
    n: usize,
) -> Result<Vec<Claimed>> {
    let now = now_ms();
    let lease_until = now + LEASE_MS;
    let mut tx = db.begin_write().await?;
    // The host's health first: most hosts are not failing, and then one read decides.
    let health: Option<(i64, i64)> = sqlx::query_as(
        "SELECT consecutive_failures, parked_until FROM delivery_hosts WHERE host = $1",
    )
    .bind(host)
    .fetch_optional(&mut *tx)
    .await?;
    let failing = health.is_some_and(|(failures, _)| failures >= settings.park_after);
    // A parked host whose time has come: take the probe, and hold the host parked while it is
    // in flight so nobody else probes too (the update is conditional: two processes cannot
    // both take it).
    let probe = failing
        && health.is_some_and(|(_, parked_until)| parked_until <= now)
        && sqlx::query(
            "UPDATE delivery_hosts SET parked_until = $1 \
             WHERE host = $2 AND consecutive_failures >= $3 AND parked_until <= $4",
        )
        .bind(lease_until)
        .bind(host)
        .bind(settings.park_after)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
    let limit = if probe {
        1
    } else {
        let busy: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE host = $1 AND state = 'queued' AND lease_until >= $2",
        )
        .bind(host)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let room = settings.per_host as i64 - busy;
        if failing || room <= 0 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        room.min(n as i64)
    };
    let sql = format!(
        "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM deliveries WHERE host = $3 AND state = 'queued' \
         AND next_attempt_at <= $4 AND +lease_until < $4 \
         ORDER BY next_attempt_at, id LIMIT $5{}) \
         RETURNING id, activity_id, inbox, signer_kind, signer_id, attempts, created_at",
        db.dialect().skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(owner)
        .bind(lease_until)
        .bind(host)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() {
        // Also undoes the probe mark: there was nothing to probe with.
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    tx.commit().await?;
    if probe {
        tracing::info!(host, "probing a parked host");
    }
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("id")?,
                activity_id: row.try_get("activity_id")?,
                inbox: row.try_get("inbox")?,
                host: host.to_string(),
                signer_kind: row.try_get("signer_kind")?,
                signer_id: row.try_get("signer_id")?,
                attempts: row.try_get("attempts")?,
                created_at: row.try_get("created_at")?,
                lease_until,
                probe,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The actor and body of an activity, if it still exists.
pub(super) async fn activity(db: &Db, id: i64) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT actor, body FROM activities WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.try_get("actor")?, row.try_get("body")?)))
}

/// Writes the outcome of a try if the row still carries this process's lease; returns
/// whether it did.
#[allow(clippy::too_many_arguments)]
pub(super) async fn finish(
    tx: &mut Tx,
    item: &Claimed,
    owner: &str,
    state: &str,
    attempts: i64,
    next: i64,
    status: Option<u16>,
    error: &Option<String>,
    delivered_at: Option<i64>,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE deliveries SET state = $1, attempts = $2, next_attempt_at = $3, lease_until = 0, \
         last_status = $4, last_error = $5, delivered_at = $6 \
         WHERE id = $7 AND lease_owner = $8 AND lease_until = $9",
    )
    .bind(state)
    .bind(attempts)
    .bind(next)
    .bind(status.map(i64::from))
    .bind(error)
    .bind(delivered_at)
    .bind(item.id)
    .bind(owner)
    .bind(item.lease_until)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0)
}

/// Hosts with queued deliveries whose lower-cased name matches the `LIKE` pattern.
pub async fn queued_hosts_like(tx: &mut Tx, pattern: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT host FROM deliveries WHERE state = 'queued' AND lower(host) LIKE $1",
    )
    .bind(pattern)
    .fetch_all(&mut **tx)
    .await?)
}

/// Fails every queued delivery to `host` with `blocked`; returns how many.
pub async fn fail_blocked(tx: &mut Tx, host: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE deliveries SET state = 'failed', last_error = 'blocked', lease_owner = NULL, \
         lease_until = 0 WHERE state = 'queued' AND host = $1",
    )
    .bind(host)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// How many public activities an actor published (its outbox's size).
pub async fn public_count(db: &Db, actor: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE actor = $1 AND public = 1")
            .bind(actor)
            .fetch_one(db.pool())
            .await?,
    )
}

/// The bodies of a page of an actor's public activities, newest first, as published.
pub async fn public_bodies(db: &Db, actor: &str, limit: i64, offset: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT body FROM activities WHERE actor = $1 AND public = 1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(actor)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>("body").ok())
        .collect())
}
