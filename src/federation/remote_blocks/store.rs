//! The `remote_blocks` table: which remote actor blocks which local actor, with the id of its
//! `Block` and the blocking actor's own inbox.

use crate::error::Result;
use crate::storage::{now_ms, Db, Tx};

/// Records `actor`'s block of `member` (a repeat keeps the first one's time, takes the new id).
pub async fn record_tx(
    tx: &mut Tx,
    actor: &str,
    member: &str,
    block_id: &str,
    inboxes: (&str, Option<&str>),
) -> Result<()> {
    sqlx::query(
        "INSERT INTO remote_blocks \
         (actor_uri, member_uri, block_id, actor_inbox, shared_inbox, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (actor_uri, member_uri) DO UPDATE SET block_id = excluded.block_id, \
         actor_inbox = excluded.actor_inbox, shared_inbox = excluded.shared_inbox",
    )
    .bind(actor)
    .bind(member)
    .bind(block_id)
    .bind(inboxes.0)
    .bind(inboxes.1.unwrap_or_default())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes back `actor`'s block of `member`; whether there was one.
pub async fn remove(db: &Db, actor: &str, member: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM remote_blocks WHERE actor_uri = $1 AND member_uri = $2")
        .bind(actor)
        .bind(member)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes back the block whose `Block` had the id `block_id`, if `actor` sent it; whether there
/// was one.
pub async fn remove_by_id(db: &Db, actor: &str, block_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM remote_blocks WHERE actor_uri = $1 AND block_id = $2")
        .bind(actor)
        .bind(block_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `actor` blocks `member`.
pub async fn blocks(db: &Db, actor: &str, member: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM remote_blocks WHERE actor_uri = $1 AND member_uri = $2")
            .bind(actor)
            .bind(member)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// One actor blocking a member: its address, its own inbox and its server's shared inbox
/// (empty when it has none).
#[derive(Debug, Clone)]
pub struct Blocker {
    pub actor: String,
    pub inbox: String,
    pub shared_inbox: String,
}

/// The actors who block `member`, read in the publishing transaction.
pub async fn blockers_tx(tx: &mut Tx, member: &str) -> Result<Vec<Blocker>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor_uri, actor_inbox, shared_inbox FROM remote_blocks WHERE member_uri = $1",
    )
    .bind(member)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(actor, inbox, shared_inbox)| Blocker {
            actor,
            inbox,
            shared_inbox,
        })
        .collect())
}
