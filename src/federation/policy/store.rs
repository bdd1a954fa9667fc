//! The SQL of domain policy: the `domain_policies` table and the space's `federation_mode`
//! column (read and switched here; the `space` row itself belongs to the spaces feature).

use sqlx::Row as _;

use super::{DomainRule, Policy};
use crate::error::Result;
use crate::storage::{Db, Row, Tx};

/// In one query: the policies of the given domains, and the space's federation mode as
/// `mode:<mode>`.
pub(super) async fn policies_for(db: &Db, names: &[String]) -> Result<Vec<String>> {
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT policy FROM domain_policies WHERE domain IN ({}) \
         UNION ALL SELECT 'mode:' || federation_mode FROM space WHERE id = 1",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for name in names {
        query = query.bind(name);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

fn rule_from_row(row: &Row) -> Result<DomainRule> {
    let policy: String = row.try_get("policy")?;
    Ok(DomainRule {
        domain: row.try_get("domain")?,
        policy: Policy::parse(&policy).map_err(|e| anyhow::anyhow!("stored policy {e}"))?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Every rule, by domain.
pub(super) async fn list(db: &Db) -> Result<Vec<DomainRule>> {
    let rows = sqlx::query(
        "SELECT domain, policy, reason, created_at FROM domain_policies ORDER BY domain",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(rule_from_row).collect()
}

/// How many domains are allowed.
pub(super) async fn allowed_count(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM domain_policies WHERE policy = 'allow'")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Writes the rule for `domain` (normalised), replacing any; returns whether one existed.
pub(super) async fn upsert(
    tx: &mut Tx,
    domain: &str,
    policy: Policy,
    reason: &str,
    now: i64,
) -> Result<bool> {
    super::cache::changed();
    let existing: Option<String> =
        sqlx::query_scalar("SELECT policy FROM domain_policies WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query(
        "INSERT INTO domain_policies (domain, policy, reason, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (domain) DO UPDATE SET policy = excluded.policy, reason = excluded.reason, \
         created_at = excluded.created_at",
    )
    .bind(domain)
    .bind(policy.as_str())
    .bind(reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(existing.is_some())
}

/// Removes the rule for `domain` (normalised); `false` when there was none.
pub(super) async fn remove(db: &Db, domain: &str) -> Result<bool> {
    super::cache::changed();
    let done = sqlx::query("DELETE FROM domain_policies WHERE domain = $1")
        .bind(domain)
        .execute(db.writer())
        .await?;
    super::cache::changed();
    Ok(done.rows_affected() > 0)
}

/// [`remove`] inside the caller's transaction.
pub(super) async fn remove_tx(tx: &mut Tx, domain: &str) -> Result<bool> {
    super::cache::changed();
    let done = sqlx::query("DELETE FROM domain_policies WHERE domain = $1")
        .bind(domain)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The stored federation mode; `None` before the space is set up.
pub(super) async fn federation_mode(db: &Db) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT federation_mode FROM space WHERE id = 1")
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Stores the federation mode; `false` before the space is set up.
pub(super) async fn set_federation_mode(db: &Db, mode: &str, now: i64) -> Result<bool> {
    super::cache::changed();
    let done = sqlx::query("UPDATE space SET federation_mode = $1, updated_at = $2 WHERE id = 1")
        .bind(mode)
        .bind(now)
        .execute(db.writer())
        .await?;
    super::cache::changed();
    Ok(done.rows_affected() > 0)
}
