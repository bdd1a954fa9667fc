//! Host health, in `delivery_hosts`: an answer resets a host, temporary failures in a row park
//! it until a probe gets through, and an administrator may retry a host now. Moving a host's
//! queued rows in time goes with it.

use super::short;
use super::store::Claimed;
use super::{backoff_ms, jittered, wake, Settings};
use crate::error::Result;
use crate::federation::Context;
use crate::storage::{now_ms, Dialect, Tx};

/// Makes sure a host has its health row. [`super::publish`] creates it with the first delivery
/// (the dispatcher finds work through it); outcomes call it too, for rows queued some other way.
pub(super) async fn ensure_host(tx: &mut Tx, host: &str) -> Result<()> {
    sqlx::query("INSERT INTO delivery_hosts (host) VALUES ($1) ON CONFLICT (host) DO NOTHING")
        .bind(host)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// Bulk changes to a host's queued rows below skip rows that are in flight (`lease_until`) or,
// on PostgreSQL, locked by another transaction at this moment (being claimed, or failed by a
// domain block): waiting for those while holding the host's row could deadlock, and their own
// outcome settles them anyway.

/// The host answered: reset its health. If it had been failing, its queued deliveries are due
/// now; returns whether that happened.
pub(super) async fn host_answered(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    now: i64,
    success: bool,
) -> Result<bool> {
    let recovered = sqlx::query(
        "UPDATE delivery_hosts SET consecutive_failures = 0, parked_until = 0 \
         WHERE host = $1 AND (consecutive_failures > 0 OR parked_until > 0)",
    )
    .bind(host)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    if success {
        let touched = sqlx::query("UPDATE delivery_hosts SET last_success_at = $1 WHERE host = $2")
            .bind(now)
            .bind(host)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if touched == 0 {
            ensure_host(tx, host).await?;
            sqlx::query("UPDATE delivery_hosts SET last_success_at = $1 WHERE host = $2")
                .bind(now)
                .bind(host)
                .execute(&mut **tx)
                .await?;
        }
    }
    if recovered {
        // Rows in flight elsewhere are left alone (their own outcome decides them).
        sqlx::query(&format!(
            "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
             WHERE host = $2 AND state = 'queued' AND next_attempt_at > $1 AND lease_until < $1{})",
            dialect.skip_locked()
        ))
        .bind(now)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    }
    Ok(recovered)
}

/// A temporary failure: count it against the host, and park the host when it has failed
/// `park_after` times in a row (or when its probe failed). Failures of requests that were
/// already in flight when the host was parked are not counted again.
pub(super) async fn host_failed(
    tx: &mut Tx,
    dialect: Dialect,
    settings: &Settings,
    item: &Claimed,
    now: i64,
    error: &str,
) -> Result<()> {
    let host = item.host.as_str();
    let error = short(error);
    ensure_host(tx, host).await?;
    let failures: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE delivery_hosts SET consecutive_failures = consecutive_failures + 1, \
         last_failure_at = $1, last_error = $2 WHERE host = $3{} RETURNING consecutive_failures",
        if item.probe {
            ""
        } else {
            " AND parked_until <= $1"
        }
    ))
    .bind(now)
    .bind(&error)
    .bind(host)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(failures) = failures else {
        // Already parked: only note the error.
        sqlx::query(
            "UPDATE delivery_hosts SET last_failure_at = $1, last_error = $2 WHERE host = $3",
        )
        .bind(now)
        .bind(&error)
        .bind(host)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    if failures < settings.park_after {
        return Ok(());
    }

    // Park: once for the base delay, then twice as long after each failed probe.
    let level = failures - settings.park_after + 1;
    let until = now + jittered(backoff_ms(settings.retry_base_ms, level));
    sqlx::query("UPDATE delivery_hosts SET parked_until = $1 WHERE host = $2")
        .bind(until)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    // Its queued rows wait for the probe (rows in flight are left to their own outcome).
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
    // Rows older than the maximum age have now failed after it: give them up.
    let expired = sqlx::query(&format!(
        "UPDATE deliveries SET state = 'failed', next_attempt_at = $1, last_error = $2 \
         WHERE id IN (SELECT id FROM deliveries WHERE host = $3 AND state = 'queued' \
         AND created_at <= $4 AND lease_until < $1{})",
        dialect.skip_locked()
    ))
    .bind(now)
    .bind(short(&format!("gave up: host unreachable ({error})")))
    .bind(host)
    .bind(now - settings.max_age_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    tracing::warn!(
        host,
        failures,
        parked_for_ms = until - now,
        expired,
        error,
        "delivery host parked"
    );
    Ok(())
}

/// A probe ended without learning anything about the host: the next probe may go at once.
pub(super) async fn release_probe(
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

/// "Retry now" for a host: a parked host gets its probe at once, and every queued delivery to it
/// that waits for a retry is due now. Returns the number of queued deliveries, or `None` for a
/// host we never delivered to.
pub async fn retry_host(ctx: &Context, host: &str) -> Result<Option<i64>> {
    let now = now_ms();
    let mut tx = ctx.db.begin_write().await?;
    let known = sqlx::query("UPDATE delivery_hosts SET parked_until = 0 WHERE host = $1")
        .bind(host)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !known {
        tx.rollback().await?;
        return Ok(None);
    }
    sqlx::query(&format!(
        "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
         WHERE host = $2 AND state = 'queued' AND next_attempt_at > $1 AND lease_until < $1{})",
        ctx.db.dialect().skip_locked()
    ))
    .bind(now)
    .bind(host)
    .execute(&mut *tx)
    .await?;
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE host = $1 AND state = 'queued'")
            .bind(host)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    tracing::info!(
        host,
        queued,
        "deliveries to host retried by an administrator"
    );
    wake(ctx);
    Ok(Some(queued))
}
