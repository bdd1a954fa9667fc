//! Reading a local actor's outbox: the public activities it published, kept in the delivery
//! queue's `activities` table (written by `delivery::publish`, read through its store).

use serde_json::Value;

use super::delivery::store;
use crate::error::Result;
use crate::storage::Db;

/// How many public activities an actor published.
pub async fn count_public(db: &Db, actor: &str) -> Result<i64> {
    store::public_count(db, actor).await
}

/// A page of an actor's public activities, newest first, as published (unreadable bodies are
/// left out).
pub async fn public_page(db: &Db, actor: &str, limit: i64, offset: i64) -> Result<Vec<Value>> {
    Ok(store::public_bodies(db, actor, limit, offset)
        .await?
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .collect())
}
