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
use crate::storage::{now_ms, placeholders, value_rows, Db, Tx};

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

/// Rows per statement when queueing (two bound values each, the rest shared): well within
/// both backends' limits on bound values.
const QUEUE_CHUNK: usize = 1000;

/// Queues a delivery of an activity to each `(inbox, host)`, leaving out inboxes that already
/// have it: one statement per thousand deliveries, however many hosts they go to.
pub(super) async fn queue(
    tx: &mut Tx,
    activity_id: i64,
    targets: &[(&str, &str)],
    signer: (ActorKind, i64),
    now: i64,
) -> Result<()> {
    for chunk in targets.chunks(QUEUE_CHUNK) {
        let sql = format!(
            "INSERT INTO deliveries (activity_id, signer_kind, signer_id, next_attempt_at, \
             created_at, inbox, host) VALUES {} ON CONFLICT (activity_id, inbox) DO NOTHING",
            value_rows("$1, $2, $3, $4, $4", 5, chunk.len(), 2)
        );
        let mut query = sqlx::query(&sql)
            .bind(activity_id)
            .bind(signer.0.as_str())
            .bind(signer.1)
            .bind(now);
        for (inbox, host) in chunk {
            query = query.bind(*inbox).bind(*host);
        }
        query.execute(&mut **tx).await?;
    }
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

/// What one host's claim found: the rows now leased to this process, and whether the host may
/// have more due (it got all it asked for).
#[derive(Debug, Default)]
pub(super) struct ClaimedOfHost {
    pub(super) rows: Vec<Claimed>,
    pub(super) more: bool,
}

/// A host's state as a claim reads it (a host without a health row: healthy, nothing due).
#[derive(Default)]
struct HostNow {
    failures: i64,
    parked_until: i64,
    /// Its rows leased by any process.
    busy: i64,
    /// Whether it has a row due and unleased.
    due: bool,
}

/// Claims due deliveries for several hosts in one transaction: `wants` is each host with the
/// number of rows asked for (a host named twice gets nothing the second time). One statement reads every host's health,
/// rows in flight and whether it has work; only hosts with room and work get a claiming
/// statement. A parked host whose time has come yields one delivery, marked as the probe; a
/// parked host otherwise yields nothing. The number of rows leased for a host (by any process)
/// stays within `per_host`. Answers in the order of `wants`.
pub(super) async fn claim_group(
    db: &Db,
    settings: &Settings,
    owner: &str,
    wants: &[(&str, usize)],
) -> Result<Vec<ClaimedOfHost>> {
    let now = now_ms();
    let lease_until = now + LEASE_MS;
    let mut tx = db.begin_write().await?;
    let names: Vec<&str> = wants.iter().map(|(host, _)| *host).collect();
    lock_hosts(&mut tx, db, &names).await?;
    let states = hosts_now(&mut tx, wants, now).await?;
    let mut out = Vec::with_capacity(wants.len());
    for (&(host, n), state) in wants.iter().zip(states) {
        let failing = state.failures >= settings.park_after;
        let claimed = if !state.due || n == 0 {
            ClaimedOfHost::default()
        } else if failing {
            if state.parked_until <= now {
                probe(&mut tx, db, settings, owner, host, now, lease_until).await?
            } else {
                ClaimedOfHost::default()
            }
        } else {
            let room = (settings.per_host as i64 - state.busy).min(n as i64);
            if room <= 0 {
                ClaimedOfHost::default()
            } else {
                let rows = lease(&mut tx, db, owner, host, now, lease_until, room, false).await?;
                ClaimedOfHost {
                    more: rows.len() as i64 == room,
                    rows,
                }
            }
        };
        out.push(claimed);
    }
    tx.commit().await?;
    Ok(out)
}

/// On PostgreSQL, locks the health rows of the hosts of `wants` (in name order, as outcomes
/// take them: `record.rs`) until the claim commits, so two processes claiming for one host
/// take turns and its rows in flight stay within the limit. SQLite's writer is one at a time
/// already (`BEGIN IMMEDIATE`).
pub(super) async fn lock_hosts(tx: &mut Tx, db: &Db, hosts: &[&str]) -> Result<()> {
    let lock = db.dialect().for_update();
    if lock.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT host FROM delivery_hosts WHERE host IN ({}) ORDER BY host{lock}",
        placeholders(1, hosts.len())
    );
    let mut query = sqlx::query(&sql);
    for host in hosts {
        query = query.bind(*host);
    }
    query.fetch_all(&mut **tx).await?;
    Ok(())
}

/// The state of each host of `wants`, in that order.
async fn hosts_now(tx: &mut Tx, wants: &[(&str, usize)], now: i64) -> Result<Vec<HostNow>> {
    let sql = format!(
        "WITH w(host) AS (VALUES {}) \
         SELECT w.host AS host, COALESCE(h.consecutive_failures, 0) AS failures, \
         COALESCE(h.parked_until, 0) AS parked_until, \
         (SELECT COUNT(*) FROM deliveries d WHERE d.host = w.host AND d.state = 'queued' \
          AND d.lease_until >= $1) AS busy, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.host = w.host \
          AND d.state = 'queued' AND d.next_attempt_at <= $1 AND +d.lease_until < $1) \
          THEN 1 ELSE 0 END AS BIGINT) AS due \
         FROM w LEFT JOIN delivery_hosts h ON h.host = w.host",
        value_rows("", 2, wants.len(), 1)
    );
    let mut query = sqlx::query(&sql).bind(now);
    for (host, _) in wants {
        query = query.bind(*host);
    }
    let mut found = std::collections::HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let host: String = row.try_get("host")?;
        found.insert(
            host,
            HostNow {
                failures: row.try_get("failures")?,
                parked_until: row.try_get("parked_until")?,
                busy: row.try_get("busy")?,
                due: row.try_get::<i64, _>("due")? != 0,
            },
        );
    }
    Ok(wants
        .iter()
        .map(|(host, _)| found.remove(*host).unwrap_or_default())
        .collect())
}

/// A parked host's probe: marks the host parked while the probe is in flight, so nobody else
/// probes too (the update is conditional: two processes cannot both take it), and leases one
/// row. Inside a savepoint, so a probe that finds no row leaves the host as it was.
#[allow(clippy::too_many_arguments)]
async fn probe(
    tx: &mut Tx,
    db: &Db,
    settings: &Settings,
    owner: &str,
    host: &str,
    now: i64,
    lease_until: i64,
) -> Result<ClaimedOfHost> {
    let mut sp = sqlx::Connection::begin(&mut **tx).await?;
    let taken = sqlx::query(
        "UPDATE delivery_hosts SET parked_until = $1 \
         WHERE host = $2 AND consecutive_failures >= $3 AND parked_until <= $4",
    )
    .bind(lease_until)
    .bind(host)
    .bind(settings.park_after)
    .bind(now)
    .execute(&mut *sp)
    .await?
    .rows_affected()
        > 0;
    let rows = if taken {
        lease(&mut sp, db, owner, host, now, lease_until, 1, true).await?
    } else {
        Vec::new()
    };
    if rows.is_empty() {
        sp.rollback().await?;
    } else {
        sp.commit().await?;
        tracing::info!(host, "probing a parked host");
    }
    Ok(ClaimedOfHost { rows, more: false })
}

/// Leases up to `limit` due rows of `host`, oldest due first.
#[allow(clippy::too_many_arguments)]
async fn lease(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    db: &Db,
    owner: &str,
    host: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
    probe: bool,
) -> Result<Vec<Claimed>> {
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
        .fetch_all(&mut **tx)
        .await?;
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

/// One delivered try, for [`finish_delivered`]: the row, the lease taken, its tries so far
/// counting this one, and the status the receiver answered.
pub(super) struct Delivered {
    pub(super) id: i64,
    pub(super) lease_until: i64,
    pub(super) attempts: i64,
    pub(super) status: u16,
}

/// [`finish`] for many delivered tries in one statement: each row whose lease is still this
/// process's becomes `delivered`. Returns the ids of the rows it wrote.
pub(super) async fn finish_delivered(
    tx: &mut Tx,
    owner: &str,
    rows: &[Delivered],
    now: i64,
) -> Result<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH v(id, lease, attempts, status) AS (VALUES {}) \
         UPDATE deliveries SET state = 'delivered', attempts = v.attempts, \
         next_attempt_at = $1, lease_until = 0, last_status = v.status, last_error = NULL, \
         delivered_at = $1 \
         FROM v WHERE deliveries.id = v.id AND deliveries.lease_owner = $2 \
         AND deliveries.lease_until = v.lease RETURNING deliveries.id",
        value_rows("", 3, rows.len(), 4)
    );
    let mut query = sqlx::query_scalar(&sql).bind(now).bind(owner);
    for row in rows {
        query = query
            .bind(row.id)
            .bind(row.lease_until)
            .bind(row.attempts)
            .bind(i64::from(row.status));
    }
    Ok(query.fetch_all(&mut **tx).await?)
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
