//! The `follows` table: who follows whom (local or remote actors, by URI), accepted or pending,
//! and the id of the Follow activity behind each. Relationships between actors are protocol
//! data, so the table belongs to the floor; what a follow *does* here is `crate::hub::follows`.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::Row as _;

use crate::error::Result;
use crate::storage::{now_ms, placeholders, Db, Dialect, Row, Tx};

#[derive(Debug, Clone, Serialize)]
pub struct Follow {
    pub id: i64,
    pub follower: String,
    pub followee: String,
    pub state: String,
    #[serde(skip)]
    pub activity_uri: String,
    pub created_at: i64,
}

impl Follow {
    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Follow {
            id: r.try_get("id")?,
            follower: r.try_get("follower")?,
            followee: r.try_get("followee")?,
            state: r.try_get("state")?,
            activity_uri: r.try_get("activity_uri")?,
            created_at: r.try_get("created_at")?,
        })
    }

    pub fn accepted(&self) -> bool {
        self.state == "accepted"
    }
}

const COLUMNS: &str = "id, follower, followee, state, activity_uri, created_at";

pub async fn get(db: &Db, follower: &str, followee: &str) -> Result<Option<Follow>> {
    let sql = format!("SELECT {COLUMNS} FROM follows WHERE follower = $1 AND followee = $2");
    let row = sqlx::query(&sql)
        .bind(follower)
        .bind(followee)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Follow::from_row(&r)).transpose()?)
}

/// Records a follow (or a repeated request) inside a transaction; returns whether the follow
/// is new: of several requests racing, exactly one finds it new, so a notification goes out
/// once. An insert that does
/// nothing when the row exists (on PostgreSQL it waits for a racing insert to commit), then an
/// update of the existing row, so it never fails half-way on a race. An accepted follow stays
/// accepted: a repeated request read before an approval that committed meanwhile cannot turn
/// a member back into a pending one.
pub async fn record_tx(
    tx: &mut Tx,
    follower: &str,
    followee: &str,
    accepted: bool,
    activity_uri: &str,
) -> Result<bool> {
    let state = if accepted { "accepted" } else { "pending" };
    let now = now_ms();
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO follows (follower, followee, state, activity_uri, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (follower, followee) DO NOTHING RETURNING id",
    )
    .bind(follower)
    .bind(followee)
    .bind(state)
    .bind(activity_uri)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if inserted.is_some() {
        return Ok(true);
    }
    sqlx::query(
        "UPDATE follows SET state = CASE WHEN state = 'accepted' THEN 'accepted' ELSE $3 END, \
         activity_uri = $4, updated_at = $5 WHERE follower = $1 AND followee = $2",
    )
    .bind(follower)
    .bind(followee)
    .bind(state)
    .bind(activity_uri)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(false)
}

pub async fn set_accepted(db: &Db, follower: &str, followee: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE follows SET state = 'accepted', updated_at = $3 WHERE follower = $1 AND followee = $2",
    )
    .bind(follower)
    .bind(followee)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Answers a pending follow: accepts it, or removes it. One conditional statement, so of two
/// answers racing (two managers, or a click twice) one finds the request and the other gets
/// `false`.
pub async fn answer_pending(db: &Db, follower: &str, followee: &str, accept: bool) -> Result<bool> {
    let query = if accept {
        sqlx::query(
            "UPDATE follows SET state = 'accepted', updated_at = $3 \
             WHERE follower = $1 AND followee = $2 AND state = 'pending'",
        )
        .bind(follower)
        .bind(followee)
        .bind(now_ms())
    } else {
        sqlx::query(
            "DELETE FROM follows WHERE follower = $1 AND followee = $2 AND state = 'pending'",
        )
        .bind(follower)
        .bind(followee)
    };
    let done = query.execute(db.writer()).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove(db: &Db, follower: &str, followee: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM follows WHERE follower = $1 AND followee = $2")
        .bind(follower)
        .bind(followee)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes every follow involving an actor, inside a transaction.
pub async fn remove_actor_tx(tx: &mut Tx, uri: &str) -> Result<()> {
    sqlx::query("DELETE FROM follows WHERE follower = $1 OR followee = $1")
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A page of the followers (`followers = true`) or followees of an actor, newest first.
pub async fn list(
    db: &Db,
    actor: &str,
    followers: bool,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Follow>> {
    let (mine, state_clause) = (
        if followers { "followee" } else { "follower" },
        if state.is_some() {
            "AND state = $2"
        } else {
            "AND $2 = $2"
        },
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM follows WHERE {mine} = $1 {state_clause} ORDER BY id DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(actor)
        .bind(state.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Follow::from_row)
        .collect::<Result<_, _>>()?)
}

/// The followers of `followee` in `state` (`accepted`, `pending`), oldest first.
pub async fn followers_in_state(db: &Db, followee: &str, state: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT follower FROM follows WHERE followee = $1 AND state = $2 ORDER BY id",
    )
    .bind(followee)
    .bind(state)
    .fetch_all(db.pool())
    .await?)
}

/// Which of the activity ids `uris` are of Follows still pending (waiting for a locked
/// actor's answer): the inbox keeps their bodies when it prunes.
pub async fn pending_among(db: &Db, uris: &[String]) -> Result<HashSet<String>> {
    if uris.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT activity_uri FROM follows WHERE state = 'pending' AND activity_uri IN ({})",
        placeholders(1, uris.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for uri in uris {
        q = q.bind(uri);
    }
    Ok(q.fetch_all(db.pool()).await?.into_iter().collect())
}

/// Whether a follower whose URI starts with `prefix` (a local actor) follows `followee`.
pub async fn followed_by_prefix(db: &Db, followee: &str, prefix: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM follows WHERE followee = $1 AND state = 'accepted' AND follower LIKE $2",
    )
    .bind(followee)
    .bind(format!("{prefix}%"))
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Whom `follower` follows or asked to follow, oldest first.
pub async fn followees(db: &Db, follower: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT followee FROM follows WHERE follower = $1 ORDER BY id")
            .bind(follower)
            .fetch_all(db.pool())
            .await?,
    )
}

pub async fn count(db: &Db, actor: &str, followers: bool) -> Result<i64> {
    let sql = if followers {
        "SELECT COUNT(*) FROM follows WHERE followee = $1 AND state = 'accepted'"
    } else {
        "SELECT COUNT(*) FROM follows WHERE follower = $1 AND state = 'accepted'"
    };
    Ok(sqlx::query_scalar(sql)
        .bind(actor)
        .fetch_one(db.pool())
        .await?)
}

/// The distinct inboxes to deliver an actor's activities to: each remote follower's shared
/// inbox when its server has one, so a server with many followers gets one request.
pub async fn follower_inboxes(db: &Db, actor: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(remote_actors.shared_inbox, remote_actors.inbox) AS inbox \
         FROM follows JOIN remote_actors ON remote_actors.uri = follows.follower \
         WHERE follows.followee = $1 AND follows.state = 'accepted' AND remote_actors.deleted_at IS NULL",
    )
    .bind(actor)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>("inbox"))
        .collect::<Result<_, _>>()?)
}

/// Removes a follow inside a transaction (the one that also queues its `Undo`).
pub async fn remove_tx(tx: &mut Tx, follower: &str, followee: &str) -> Result<()> {
    sqlx::query("DELETE FROM follows WHERE follower = $1 AND followee = $2")
        .bind(follower)
        .bind(followee)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The state of a follow, read inside a transaction and locked for its update on PostgreSQL,
/// so a repeated Follow racing the first is told apart from it.
pub async fn state_for_update_tx(
    tx: &mut Tx,
    follower: &str,
    followee: &str,
) -> Result<Option<String>> {
    let sql = format!(
        "SELECT state FROM follows WHERE follower = $1 AND followee = $2{}",
        Dialect::of(tx).for_update()
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(follower)
        .bind(followee)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The follow of `followee` whose Follow activity had this id.
pub async fn by_activity(db: &Db, activity_uri: &str, followee: &str) -> Result<Option<Follow>> {
    let sql = format!("SELECT {COLUMNS} FROM follows WHERE activity_uri = $1 AND followee = $2");
    let row = sqlx::query(&sql)
        .bind(activity_uri)
        .bind(followee)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Follow::from_row(&r)).transpose()?)
}

/// Removes the follow of `follower` whose Follow activity had this id; whether there was one.
pub async fn remove_by_activity(db: &Db, follower: &str, activity_uri: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM follows WHERE follower = $1 AND activity_uri = $2")
        .bind(follower)
        .bind(activity_uri)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ids deleted per statement.
const CHUNK: usize = 200;

/// Follow relations whose follower or followee contains `pattern` (a `LIKE` pattern, matched
/// on the lower-cased URIs): `(id, follower, followee)`.
pub async fn follows_like(tx: &mut Tx, pattern: &str) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, follower, followee FROM follows \
         WHERE lower(follower) LIKE $1 OR lower(followee) LIKE $1",
    )
    .bind(pattern)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("follower")?,
                row.try_get("followee")?,
            ))
        })
        .collect()
}

/// Deletes the follow relations with these ids; returns how many went.
pub async fn delete_follows(tx: &mut Tx, ids: &[i64]) -> Result<u64> {
    let mut removed = 0;
    for chunk in ids.chunks(CHUNK) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM follows WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        removed += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(removed)
}
