//! The SQL of host health, in `delivery_hosts`, and the bulk moves of a host's queued rows in
//! `deliveries` that go with it. The rules (when to park, for how long) are in `health.rs`.
//!
//! Bulk changes to a host's queued rows skip rows that are in flight (`lease_until`) or, on
//! PostgreSQL, locked by another transaction at this moment (being claimed, or failed by a
//! domain block): waiting for those while holding the host's row could deadlock, and their own
//! outcome settles them anyway.

use crate::error::Result;
use crate::storage::{placeholders, value_rows, Dialect, Tx};

/// Makes sure a host has its health row.
pub(in crate::federation::delivery) async fn ensure(tx: &mut Tx, host: &str) -> Result<()> {
    ensure_many(tx, &[host]).await
}

/// [`ensure`] for many hosts, a thousand per statement.
pub(in crate::federation::delivery) async fn ensure_many(
    tx: &mut Tx,
    hosts: &[&str],
) -> Result<()> {
    for chunk in hosts.chunks(1000) {
        let sql = format!(
            "INSERT INTO delivery_hosts (host) VALUES {} ON CONFLICT (host) DO NOTHING",
            value_rows("", 1, chunk.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for host in chunk {
            query = query.bind(*host);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Resets a failing host's health; returns whether it was failing or parked.
pub(in crate::federation::delivery) async fn reset(tx: &mut Tx, host: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE delivery_hosts SET consecutive_failures = 0, parked_until = 0 \
         WHERE host = $1 AND (consecutive_failures > 0 OR parked_until > 0)",
    )
    .bind(host)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0)
}

/// Notes a successful delivery to each host that is not failing, in one statement; returns the
/// hosts it noted (the others are failing, parked or have no row, and are left unchanged).
pub(in crate::federation::delivery) async fn note_success_if_healthy(
    tx: &mut Tx,
    hosts: &[&str],
    now: i64,
) -> Result<Vec<String>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE delivery_hosts SET last_success_at = $1 \
         WHERE host IN ({}) AND consecutive_failures = 0 AND parked_until = 0 RETURNING host",
        placeholders(2, hosts.len())
    );
    let mut query = sqlx::query_scalar(&sql).bind(now);
    for host in hosts {
        query = query.bind(*host);
    }
    Ok(query.fetch_all(&mut **tx).await?)
}

/// Notes a successful delivery to a host (creating its row if needed).
pub(in crate::federation::delivery) async fn note_success(
    tx: &mut Tx,
    host: &str,
    now: i64,
) -> Result<()> {
    let touched = set_last_success(tx, host, now).await?;
    if touched == 0 {
        ensure(tx, host).await?;
        set_last_success(tx, host, now).await?;
    }
    Ok(())
}

async fn set_last_success(tx: &mut Tx, host: &str, now: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE delivery_hosts SET last_success_at = $1 WHERE host = $2")
            .bind(now)
            .bind(host)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Makes every queued delivery to `host` that waits for a later time due at `now` (rows in
/// flight are left alone).
pub(in crate::federation::delivery) async fn queued_due_now(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
         WHERE host = $2 AND state = 'queued' AND next_attempt_at > $1 AND lease_until < $1{})",
        dialect.skip_locked()
    ))
    .bind(now)
    .bind(host)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Counts a temporary failure against a host and notes its error; returns the failures in a
/// row, or `None` when the host is parked and `probe` is false (the failure of a request that
/// was in flight when the host was parked is not counted again).
pub(in crate::federation::delivery) async fn count_failure(
    tx: &mut Tx,
    host: &str,
    now: i64,
    error: &str,
    probe: bool,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "UPDATE delivery_hosts SET consecutive_failures = consecutive_failures + 1, \
         last_failure_at = $1, last_error = $2 WHERE host = $3{} RETURNING consecutive_failures",
        if probe { "" } else { " AND parked_until <= $1" }
    ))
    .bind(now)
    .bind(error)
    .bind(host)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Notes a host's last error without counting it.
pub(in crate::federation::delivery) async fn note_error(
    tx: &mut Tx,
    host: &str,
    now: i64,
    error: &str,
) -> Result<()> {
    sqlx::query("UPDATE delivery_hosts SET last_failure_at = $1, last_error = $2 WHERE host = $3")
        .bind(now)
        .bind(error)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Parks a host until `until`, and makes its queued rows that were due earlier wait for then.
pub(in crate::federation::delivery) async fn park(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    until: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE delivery_hosts SET parked_until = $1 WHERE host = $2")
        .bind(until)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
         WHERE host = $2 AND state = 'queued' AND next_attempt_at < $1 AND lease_until < $3{})",
        dialect.skip_locked()
    ))
    .bind(until)
    .bind(host)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives up the queued rows of a host created at or before `created_before`, with `error`;
/// returns how many.
pub(in crate::federation::delivery) async fn expire(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    now: i64,
    created_before: i64,
    error: &str,
) -> Result<u64> {
    Ok(sqlx::query(&format!(
        "UPDATE deliveries SET state = 'failed', next_attempt_at = $1, last_error = $2 \
         WHERE id IN (SELECT id FROM deliveries WHERE host = $3 AND state = 'queued' \
         AND created_at <= $4 AND lease_until < $1{})",
        dialect.skip_locked()
    ))
    .bind(now)
    .bind(error)
    .bind(host)
    .bind(created_before)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Lets the next probe of a host go at `now`, if the probe holding `lease_until` is still the
/// last one.
pub(in crate::federation::delivery) async fn release_probe(
    tx: &mut Tx,
    host: &str,
    now: i64,
    lease_until: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE delivery_hosts SET parked_until = $1 WHERE host = $2 AND parked_until = $3",
    )
    .bind(now)
    .bind(host)
    .bind(lease_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Lets a parked host's probe go at once; returns whether the host is known.
pub(in crate::federation::delivery) async fn unpark(tx: &mut Tx, host: &str) -> Result<bool> {
    Ok(
        sqlx::query("UPDATE delivery_hosts SET parked_until = 0 WHERE host = $1")
            .bind(host)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0,
    )
}

/// How many deliveries to `host` are queued.
pub(in crate::federation::delivery) async fn queued_count(tx: &mut Tx, host: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE host = $1 AND state = 'queued'")
            .bind(host)
            .fetch_one(&mut **tx)
            .await?,
    )
}
