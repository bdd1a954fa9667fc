//! Pictures in posts (`post_media`): a member's uploads until a post takes them, and the
//! attachments of received posts.

use sqlx::Row as _;

use crate::error::Result;
use crate::storage::{now_ms, Db, Row, Tx};

/// A picture of a post, or an upload waiting for one.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: i64,
    pub token: String,
    pub owner: Option<i64>,
    pub post_id: Option<i64>,
    /// Where a local upload is stored (`posts/…`).
    pub storage_key: Option<String>,
    /// Where a received picture is, at its origin.
    pub remote_url: Option<String>,
    pub media_type: String,
    pub description: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

const COLUMNS: &str =
    "id, token, owner, post_id, storage_key, remote_url, media_type, description, width, height";

fn from_row(r: &Row) -> Result<Media, sqlx::Error> {
    Ok(Media {
        id: r.try_get("id")?,
        token: r.try_get("token")?,
        owner: r.try_get("owner")?,
        post_id: r.try_get("post_id")?,
        storage_key: r.try_get("storage_key")?,
        remote_url: r.try_get("remote_url")?,
        media_type: r.try_get("media_type")?,
        description: r.try_get("description")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
    })
}

/// What to store: an upload (`owner`, `storage_key`) or a received picture (`remote_url`).
pub struct NewMedia<'a> {
    pub token: &'a str,
    pub owner: Option<i64>,
    pub storage_key: Option<&'a str>,
    pub remote_url: Option<&'a str>,
    pub media_type: &'a str,
    pub description: &'a str,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// Stores an upload that no post has taken yet.
pub async fn insert_upload(db: &Db, m: &NewMedia<'_>) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, m, None, 0).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert(tx: &mut Tx, m: &NewMedia<'_>, post_id: Option<i64>, position: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO post_media (token, owner, post_id, position, storage_key, remote_url, \
         media_type, description, width, height, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(m.token)
    .bind(m.owner)
    .bind(post_id)
    .bind(position)
    .bind(m.storage_key)
    .bind(m.remote_url)
    .bind(m.media_type)
    .bind(m.description)
    .bind(m.width)
    .bind(m.height)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?)
}

/// Removes the uploads that no post took and that are older than `cutoff_ms`; returns their
/// stored files' keys. One conditional statement: an upload a post takes at the same moment is
/// either taken (and kept) or removed (and the post is refused it), never both.
pub async fn delete_unattached(db: &Db, cutoff_ms: i64) -> Result<Vec<String>> {
    let mut tx = db.begin_write().await?;
    let keys: Vec<Option<String>> = sqlx::query_scalar(
        "DELETE FROM post_media WHERE post_id IS NULL AND owner IS NOT NULL AND created_at < $1 \
         RETURNING storage_key",
    )
    .bind(cutoff_ms)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(keys.into_iter().flatten().collect())
}

/// Gives `post_id` the upload `token` of `owner` at `position`, if no post has it yet: one
/// conditional statement, so of two posts racing for one upload only one gets it. `false`
/// when the upload is not the owner's or is already taken.
pub async fn attach(
    tx: &mut Tx,
    token: &str,
    owner: i64,
    post_id: i64,
    position: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE post_media SET post_id = $1, position = $2 \
         WHERE token = $3 AND owner = $4 AND post_id IS NULL",
    )
    .bind(post_id)
    .bind(position)
    .bind(token)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the received pictures of a post.
pub async fn replace_remote(tx: &mut Tx, post_id: i64, items: &[NewMedia<'_>]) -> Result<()> {
    sqlx::query("DELETE FROM post_media WHERE post_id = $1 AND owner IS NULL")
        .bind(post_id)
        .execute(&mut **tx)
        .await?;
    for (i, m) in items.iter().enumerate() {
        insert(tx, m, Some(post_id), i as i64).await?;
    }
    Ok(())
}

/// The pictures of the posts `ids`, in their order: `(post id, media)`.
pub async fn of_posts(db: &Db, ids: &[i64]) -> Result<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT {COLUMNS} FROM post_media WHERE post_id IN ({list}) ORDER BY post_id, position"
    );
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The pictures of one post, in the caller's transaction.
pub async fn of_post_tx(tx: &mut Tx, post_id: i64) -> Result<Vec<Media>> {
    let sql = format!("SELECT {COLUMNS} FROM post_media WHERE post_id = $1 ORDER BY position");
    let rows = sqlx::query(&sql).bind(post_id).fetch_all(&mut **tx).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The storage keys of a post's uploads, removed with their rows (a deleted post).
pub async fn detach_all(tx: &mut Tx, post_id: i64) -> Result<Vec<String>> {
    let keys: Vec<Option<String>> =
        sqlx::query_scalar("DELETE FROM post_media WHERE post_id = $1 RETURNING storage_key")
            .bind(post_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(keys.into_iter().flatten().collect())
}
