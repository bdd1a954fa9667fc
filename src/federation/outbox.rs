//! Reading a local actor's outbox: the public activities it published, kept in the delivery
//! queue's `activities` table (written by `delivery::publish`).

use serde_json::Value;
use sqlx::Row as _;

use crate::error::Result;
use crate::storage::Db;

/// How many public activities an actor published.
pub async fn count_public(db: &Db, actor: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE actor = $1 AND public = 1")
            .bind(actor)
            .fetch_one(db.pool())
            .await?,
    )
}

/// A page of an actor's public activities, newest first, as published (unreadable bodies are
/// left out).
pub async fn public_page(db: &Db, actor: &str, limit: i64, offset: i64) -> Result<Vec<Value>> {
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
        .filter_map(|b| serde_json::from_str::<Value>(&b).ok())
        .collect())
}
