//! Host health: an answer resets a host, temporary failures in a row park it until a probe gets
//! through, and an administrator may retry a host now. Moving a host's queued rows in time goes
//! with it. The SQL is in `store/hosts.rs`.

use super::short;
use super::store::{hosts, Claimed};
use super::{backoff_ms, jittered, wake, Settings};
use crate::error::Result;
use crate::federation::Context;
use crate::storage::{now_ms, Dialect, Tx};

/// Makes sure a host has its health row. [`super::publish`] creates it with the first delivery
/// (the dispatcher finds work through it); outcomes call it too, for rows queued some other way.
pub(super) async fn ensure_host(tx: &mut Tx, host: &str) -> Result<()> {
    hosts::ensure(tx, host).await
}

/// [`ensure_host`] for every host of a fan-out, in name order (two publishers that share new
/// hosts then take their rows in the same order, on PostgreSQL where that matters).
pub(super) async fn ensure_hosts(tx: &mut Tx, mut hosts: Vec<&str>) -> Result<()> {
    hosts.sort_unstable();
    hosts.dedup();
    hosts::ensure_many(tx, &hosts).await
}

/// The host answered: reset its health. If it had been failing, its queued deliveries are due
/// now; returns whether that happened. (Successes of healthy hosts, the common case, are
/// noted for a whole group in one statement first: `record.rs`, `hosts::note_success_if_healthy`.)
pub(super) async fn host_answered(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    now: i64,
    success: bool,
) -> Result<bool> {
    let recovered = hosts::reset(tx, host).await?;
    if success {
        hosts::note_success(tx, host, now).await?;
    }
    if recovered {
        // Rows in flight elsewhere are left alone (their own outcome decides them).
        hosts::queued_due_now(tx, dialect, host, now).await?;
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
    let Some(failures) = hosts::count_failure(tx, host, now, &error, item.probe).await? else {
        // Already parked: only note the error.
        hosts::note_error(tx, host, now, &error).await?;
        return Ok(());
    };
    if failures < settings.park_after {
        return Ok(());
    }

    // Park: once for the base delay, then twice as long after each failed probe. Its queued
    // rows wait for the probe (rows in flight are left to their own outcome).
    let level = failures - settings.park_after + 1;
    let until = now + jittered(backoff_ms(settings.retry_base_ms, level));
    hosts::park(tx, dialect, host, until, now).await?;
    // Rows older than the maximum age have now failed after it: give them up.
    let gave_up = short(&format!("gave up: host unreachable ({error})"));
    let expired =
        hosts::expire(tx, dialect, host, now, now - settings.max_age_ms, &gave_up).await?;
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
    hosts::release_probe(tx, host, now, lease_until).await
}

/// "Retry now" for a host: a parked host gets its probe at once, and every queued delivery to it
/// that waits for a retry is due now. Returns the number of queued deliveries, or `None` for a
/// host we never delivered to.
pub async fn retry_host(ctx: &Context, host: &str) -> Result<Option<i64>> {
    let now = now_ms();
    let mut tx = ctx.db.begin_write().await?;
    if !hosts::unpark(&mut tx, host).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    hosts::queued_due_now(&mut tx, ctx.db.dialect(), host, now).await?;
    let queued = hosts::queued_count(&mut tx, host).await?;
    tx.commit().await?;
    tracing::info!(
        host,
        queued,
        "deliveries to host retried by an administrator"
    );
    wake(ctx);
    Ok(Some(queued))
}
