//! What administrators see of the queue: totals, the state of each host, and the queue depths
//! the metrics report. Read-only.

use serde::Serialize;
use sqlx::Row as _;

use crate::error::Result;
use crate::federation::Context;

/// Delivery state of one remote host.
#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub host: String,
    pub queued: i64,
    pub failed: i64,
    pub delivered: i64,
    pub consecutive_failures: i64,
    /// Whether the host is parked (waiting for `parked_until`, or for its probe).
    pub parked: bool,
    /// When the next probe may go (Unix milliseconds), while parked.
    pub parked_until: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Counts over every host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub queued: i64,
    pub failed: i64,
    pub delivered: i64,
    pub hosts: i64,
    pub parked_hosts: i64,
}

/// Totals and the hosts most in need of attention (parked first, then by queue length), at
/// most `limit` of them.
pub async fn overview(ctx: &Context, limit: i64) -> Result<(Totals, Vec<HostStatus>)> {
    let db = &ctx.db;
    let park_after = i64::from(ctx.config.delivery_park_after);
    let rows = sqlx::query(
        "SELECT h.host, h.consecutive_failures, h.parked_until, h.last_success_at, \
         h.last_failure_at, h.last_error, COALESCE(c.queued, 0) AS queued, \
         COALESCE(c.failed, 0) AS failed, COALESCE(c.delivered, 0) AS delivered \
         FROM delivery_hosts h LEFT JOIN (SELECT host, \
           SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued, \
           SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed, \
           SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered \
           FROM deliveries GROUP BY host) c ON c.host = h.host \
         ORDER BY CASE WHEN h.consecutive_failures >= $1 THEN 0 ELSE 1 END, \
           COALESCE(c.queued, 0) DESC, h.consecutive_failures DESC, h.host \
         LIMIT $2",
    )
    .bind(park_after)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut hosts = Vec::with_capacity(rows.len());
    for row in &rows {
        let consecutive_failures: i64 = row.try_get("consecutive_failures")?;
        let parked_until: i64 = row.try_get("parked_until")?;
        let parked = consecutive_failures >= park_after;
        hosts.push(HostStatus {
            host: row.try_get("host")?,
            queued: row.try_get("queued")?,
            failed: row.try_get("failed")?,
            delivered: row.try_get("delivered")?,
            consecutive_failures,
            parked,
            parked_until: parked.then_some(parked_until),
            last_success_at: row.try_get("last_success_at")?,
            last_failure_at: row.try_get("last_failure_at")?,
            last_error: row.try_get("last_error")?,
        });
    }
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
         COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
         COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered \
         FROM deliveries",
    )
    .fetch_one(db.pool())
    .await?;
    let host_row = sqlx::query(
        "SELECT COUNT(*) AS hosts, \
         COALESCE(SUM(CASE WHEN consecutive_failures >= $1 THEN 1 ELSE 0 END), 0) AS parked \
         FROM delivery_hosts",
    )
    .bind(park_after)
    .fetch_one(db.pool())
    .await?;
    let totals = Totals {
        queued: row.try_get("queued")?,
        failed: row.try_get("failed")?,
        delivered: row.try_get("delivered")?,
        hosts: host_row.try_get("hosts")?,
        parked_hosts: host_row.try_get("parked")?,
    };
    Ok((totals, hosts))
}

/// Queued deliveries of the `limit` busiest hosts, and the number of parked hosts (for the
/// metrics).
pub async fn queue_depths(ctx: &Context, limit: usize) -> Result<(Vec<(String, i64)>, i64)> {
    let rows = sqlx::query(
        "SELECT host, COUNT(*) AS queued FROM deliveries WHERE state = 'queued' \
         GROUP BY host ORDER BY queued DESC, host LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(ctx.db.pool())
    .await?;
    let depths = rows
        .iter()
        .map(|r| Ok((r.try_get("host")?, r.try_get("queued")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let parked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM delivery_hosts WHERE consecutive_failures >= $1")
            .bind(i64::from(ctx.config.delivery_park_after))
            .fetch_one(ctx.db.pool())
            .await?;
    Ok((depths, parked))
}
