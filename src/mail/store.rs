//! The SQL of the mail queue (`mail_queue`): queueing, claiming with a lease, recording the
//! outcome, and what the administrators' page shows.

use sqlx::Row as _;

use super::compose::Rendered;
use crate::error::Result;
use crate::storage::{now_ms, Db};

/// How long a claimed mail is held before another worker may take it again.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// A claimed mail.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: Option<String>,
    pub attempts: i64,
    pub lease_until: i64,
}

pub async fn enqueue(db: &Db, recipient: &str, kind: &str, mail: &Rendered) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO mail_queue (recipient, subject, body_text, body_html, kind, \
         next_attempt_at, created_at, list_unsubscribe) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
    )
    .bind(recipient)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(kind)
    .bind(now_ms())
    .bind(&mail.list_unsubscribe)
    .fetch_one(db.writer())
    .await?)
}

/// Claims up to `n` due mails. Each is taken by one conditional update that only succeeds while
/// no live lease holds it, so two processes never send the same mail.
pub async fn claim(db: &Db, n: i64) -> Result<Vec<Claimed>> {
    let now = now_ms();
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL \
         AND next_attempt_at <= $1 AND lease_until < $1 ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(n)
    .fetch_all(db.pool())
    .await?;
    let lease_until = now + LEASE_MS;
    let mut claimed = Vec::new();
    for id in ids {
        let row = sqlx::query(
            "UPDATE mail_queue SET lease_until = $1 WHERE id = $2 AND sent_at IS NULL \
             AND failed_at IS NULL AND lease_until < $3 \
             RETURNING recipient, subject, body_text, body_html, list_unsubscribe, attempts",
        )
        .bind(lease_until)
        .bind(id)
        .bind(now)
        .fetch_optional(db.writer())
        .await?;
        if let Some(r) = row {
            claimed.push(Claimed {
                id,
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                text: r.try_get("body_text")?,
                html: r.try_get("body_html")?,
                list_unsubscribe: r.try_get("list_unsubscribe")?,
                attempts: r.try_get("attempts")?,
                lease_until,
            });
        }
    }
    Ok(claimed)
}

/// The SMTP server accepted the mail.
pub async fn mark_sent(db: &Db, mail: &Claimed) -> Result<()> {
    sqlx::query(
        "UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
         lease_until = 0 WHERE id = $2 AND lease_until = $3",
    )
    .bind(now_ms())
    .bind(mail.id)
    .bind(mail.lease_until)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// A failed attempt: retried at `retry_at`, or given up when `retry_at` is `None`.
pub async fn mark_failed(
    db: &Db,
    mail: &Claimed,
    error: &str,
    retry_at: Option<i64>,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, lease_until = 0, \
         next_attempt_at = $2, failed_at = $3 WHERE id = $4 AND lease_until = $5",
    )
    .bind(error)
    .bind(retry_at.unwrap_or(now))
    .bind(if retry_at.is_none() { Some(now) } else { None })
    .bind(mail.id)
    .bind(mail.lease_until)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// When the next queued mail is due, if any.
pub async fn next_due(db: &Db) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until \
         ELSE next_attempt_at END) FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?)
}

/// Counts for the administrators' page.
#[derive(Debug, Default)]
pub struct Summary {
    pub queued: i64,
    pub retrying: i64,
    pub sent_last_day: i64,
    pub failed: i64,
}

pub async fn summary(db: &Db) -> Result<Summary> {
    let day_ago = now_ms() - 86_400_000;
    let row = sqlx::query(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS queued, \
         CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS retrying, \
         CAST(COALESCE(SUM(CASE WHEN sent_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS sent, \
         CAST(COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed \
         FROM mail_queue",
    )
    .bind(day_ago)
    .fetch_one(db.pool())
    .await?;
    Ok(Summary {
        queued: row.try_get("queued")?,
        retrying: row.try_get("retrying")?,
        sent_last_day: row.try_get("sent")?,
        failed: row.try_get("failed")?,
    })
}

/// A mail that failed at least once, for the administrators.
#[derive(Debug)]
pub struct Problem {
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: String,
    pub next_attempt_at: i64,
    pub given_up: bool,
}

/// The latest mails that failed (retrying or given up), newest first.
pub async fn problems(db: &Db, limit: i64) -> Result<Vec<Problem>> {
    let rows = sqlx::query(
        "SELECT recipient, subject, kind, attempts, last_error, next_attempt_at, failed_at \
         FROM mail_queue WHERE sent_at IS NULL AND last_error IS NOT NULL \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Problem {
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                kind: r.try_get("kind")?,
                attempts: r.try_get("attempts")?,
                last_error: r
                    .try_get::<Option<String>, _>("last_error")?
                    .unwrap_or_default(),
                next_attempt_at: r.try_get("next_attempt_at")?,
                given_up: r.try_get::<Option<i64>, _>("failed_at")?.is_some(),
            })
        })
        .collect()
}

/// Forgets mails sent or given up more than `age_ms` ago.
pub async fn prune(db: &Db, age_ms: i64) -> Result<u64> {
    let before = now_ms() - age_ms;
    Ok(sqlx::query(
        "DELETE FROM mail_queue WHERE (sent_at IS NOT NULL AND sent_at < $1) \
         OR (failed_at IS NOT NULL AND failed_at < $1)",
    )
    .bind(before)
    .execute(db.writer())
    .await?
    .rows_affected())
}
