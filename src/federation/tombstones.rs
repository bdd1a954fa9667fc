//! Deleted local actors and objects whose rows go (a project's tasks, notes and files): their
//! URLs answer 410 Gone, with a `Tombstone` for servers, so peers drop them instead of
//! retrying. Actors' handles stay reserved, so an URL never names someone else later.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::Row as _;

use super::negotiate::activity_json;
use super::protocol::{context, datetime};
use crate::error::Result;
use crate::storage::{now_ms, Db, Tx};

pub async fn insert(tx: &mut Tx, uri: &str, former_type: &str) -> Result<()> {
    sqlx::query("INSERT INTO tombstones (uri, former_type, deleted_at) VALUES ($1, $2, $3)")
        .bind(uri)
        .bind(former_type)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `(former type, deleted at)` when `uri` named a deleted local actor or object.
pub async fn find(db: &Db, uri: &str) -> Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT former_type, deleted_at FROM tombstones WHERE uri = $1")
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("former_type")?, r.try_get("deleted_at")?)),
        None => None,
    })
}

/// The 410 answer for a deleted actor or object: a Tombstone for servers, `Error::Gone` (an
/// HTML page) for browsers.
pub fn gone(uri: &str, former_type: &str, deleted_at: i64, wants_json: bool) -> Response {
    if !wants_json {
        return crate::error::Error::Gone.into_response();
    }
    let mut response = activity_json(&json!({
        "@context": context(),
        "id": uri,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": datetime(deleted_at),
    }));
    *response.status_mut() = StatusCode::GONE;
    response
}
