//! The cache of remote actors (`remote_actors`): read by URI or handle, written after each
//! fetch, marked deleted.

use serde_json::Value;
use sqlx::Row as _;

use super::{ParsedActor, RemoteActor};
use crate::error::{Error, Result};
use crate::storage::{now_ms, Db, Row, Tx};

impl RemoteActor {
    const COLUMNS: &'static str = "id, uri, host, kind, preferred_username, name, summary, url, \
        icon_url, inbox, shared_inbox, followers, key_id, public_key_pem, manually_approves, \
        discoverable, fetched_at";

    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(RemoteActor {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            host: r.try_get("host")?,
            kind: r.try_get("kind")?,
            preferred_username: r.try_get("preferred_username")?,
            name: r.try_get("name")?,
            summary: r.try_get("summary")?,
            url: r.try_get("url")?,
            icon_url: r.try_get("icon_url")?,
            inbox: r.try_get("inbox")?,
            shared_inbox: r.try_get("shared_inbox")?,
            followers: r.try_get("followers")?,
            key_id: r.try_get("key_id")?,
            public_key_pem: r.try_get("public_key_pem")?,
            manually_approves: r.try_get::<i64, _>("manually_approves")? != 0,
            discoverable: r.try_get::<i64, _>("discoverable")? != 0,
            fetched_at: r.try_get("fetched_at")?,
        })
    }
}

/// The name of a remote actor known by URI, deleted or not.
pub async fn name_of(db: &Db, uri: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT name FROM remote_actors WHERE uri = $1")
            .bind(uri)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn by_uri(db: &Db, uri: &str) -> Result<Option<RemoteActor>> {
    let sql = format!(
        "SELECT {} FROM remote_actors WHERE uri = $1 AND deleted_at IS NULL",
        RemoteActor::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| RemoteActor::from_row(&r)).transpose()?)
}

/// The known, not deleted actors among `uris`, in one statement (any order).
pub async fn by_uris(db: &Db, uris: &[&str]) -> Result<Vec<RemoteActor>> {
    if uris.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM remote_actors WHERE uri IN ({}) AND deleted_at IS NULL",
        RemoteActor::COLUMNS,
        crate::storage::placeholders(1, uris.len())
    );
    let mut query = sqlx::query(&sql);
    for uri in uris {
        query = query.bind(*uri);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(RemoteActor::from_row)
        .collect::<Result<_, _>>()?)
}

/// The outbox a remote actor's document named (on its own host), if any.
pub async fn outbox_of(db: &Db, uri: &str) -> Result<Option<String>> {
    let outbox: Option<Option<String>> = sqlx::query_scalar(
        "SELECT outbox FROM remote_actors WHERE uri = $1 AND deleted_at IS NULL",
    )
    .bind(uri)
    .fetch_optional(db.pool())
    .await?;
    Ok(outbox.flatten().filter(|o| !o.is_empty()))
}

pub async fn by_handle(db: &Db, name: &str, host: &str) -> Result<Option<RemoteActor>> {
    let sql = format!(
        "SELECT {} FROM remote_actors WHERE preferred_username = $1 AND host = $2 AND deleted_at IS NULL",
        RemoteActor::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(name)
        .bind(host.to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| RemoteActor::from_row(&r)).transpose()?)
}

/// Inserts or replaces a remote actor; returns the stored row.
pub async fn upsert(db: &Db, a: &ParsedActor, document: &Value) -> Result<RemoteActor> {
    let doc = serde_json::to_string(document).map_err(anyhow::Error::from)?;
    // One upsert: a concurrent fetch of the same actor simply lands second.
    sqlx::query(
        "INSERT INTO remote_actors (uri, host, kind, preferred_username, name, summary, url, \
         icon_url, inbox, shared_inbox, outbox, followers, following, key_id, public_key_pem, \
         manually_approves, discoverable, document, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         ON CONFLICT (uri) DO UPDATE SET host = excluded.host, kind = excluded.kind, \
         preferred_username = excluded.preferred_username, name = excluded.name, \
         summary = excluded.summary, url = excluded.url, icon_url = excluded.icon_url, \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, outbox = excluded.outbox, \
         followers = excluded.followers, following = excluded.following, \
         key_id = excluded.key_id, public_key_pem = excluded.public_key_pem, \
         manually_approves = excluded.manually_approves, discoverable = excluded.discoverable, \
         document = excluded.document, fetched_at = excluded.fetched_at, deleted_at = NULL",
    )
    .bind(&a.uri)
    .bind(&a.host)
    .bind(&a.kind)
    .bind(&a.preferred_username)
    .bind(&a.name)
    .bind(&a.summary)
    .bind(&a.url)
    .bind(&a.icon_url)
    .bind(&a.inbox)
    .bind(&a.shared_inbox)
    .bind(&a.outbox)
    .bind(&a.followers)
    .bind(&a.following)
    .bind(&a.key_id)
    .bind(&a.public_key_pem)
    .bind(a.manually_approves as i64)
    .bind(a.discoverable as i64)
    .bind(&doc)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    by_uri(db, &a.uri)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("remote actor vanished after upsert")))
}

/// Marks a remote actor deleted (it asked to be, or its server said 410).
pub async fn mark_deleted(db: &Db, uri: &str) -> Result<()> {
    sqlx::query("UPDATE remote_actors SET deleted_at = $1 WHERE uri = $2")
        .bind(now_ms())
        .bind(uri)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// [`mark_deleted`] inside the caller's transaction.
pub async fn mark_deleted_tx(tx: &mut Tx, uri: &str) -> Result<()> {
    sqlx::query("UPDATE remote_actors SET deleted_at = $1 WHERE uri = $2")
        .bind(now_ms())
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The stored actor document of a remote actor, as fetched.
pub async fn document(db: &Db, uri: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT document FROM remote_actors WHERE uri = $1")
            .bind(uri)
            .fetch_optional(db.pool())
            .await?,
    )
}
