//! Posts, their audience, tags and reactions.

use sqlx::Row as _;

use super::model::{NewPost, Post, COLUMNS};
use crate::error::Result;
use crate::storage::{now_ms, Db, Dialect, Tx};

pub mod media;

/// Stores a post with its audience and tags; returns its id. A post already stored under the
/// same URI is left alone and its id returned with `false`.
pub async fn insert(tx: &mut Tx, p: &NewPost) -> Result<(i64, bool)> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO posts (uri, local, author, kind, name, summary, content, source, visibility, \
         in_reply_to, conversation, url, published_at, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (uri) DO NOTHING RETURNING id",
    )
    .bind(&p.uri)
    .bind(i64::from(p.local))
    .bind(&p.author)
    .bind(&p.kind)
    .bind(&p.name)
    .bind(&p.summary)
    .bind(&p.content)
    .bind(&p.source)
    .bind(p.visibility.as_str())
    .bind(p.in_reply_to.as_deref())
    .bind(&p.conversation)
    .bind(&p.url)
    .bind(p.published_at)
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = inserted else {
        let id: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE uri = $1")
            .bind(&p.uri)
            .fetch_one(&mut **tx)
            .await?;
        return Ok((id, false));
    };
    set_audience(tx, id, &p.audience).await?;
    set_tags(tx, id, &p.tags).await?;
    if let Some(parent) = &p.in_reply_to {
        sqlx::query("UPDATE posts SET replies_count = replies_count + 1 WHERE uri = $1")
            .bind(parent)
            .execute(&mut **tx)
            .await?;
    }
    Ok((id, true))
}

pub async fn set_audience(tx: &mut Tx, post_id: i64, audience: &[(String, bool)]) -> Result<()> {
    sqlx::query("DELETE FROM post_audience WHERE post_id = $1")
        .bind(post_id)
        .execute(&mut **tx)
        .await?;
    for (actor, mentioned) in audience {
        sqlx::query(
            "INSERT INTO post_audience (post_id, actor, mentioned) VALUES ($1, $2, $3) \
             ON CONFLICT (post_id, actor) DO UPDATE SET mentioned = excluded.mentioned",
        )
        .bind(post_id)
        .bind(actor)
        .bind(i64::from(*mentioned))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn set_tags(tx: &mut Tx, post_id: i64, tags: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM post_tags WHERE post_id = $1")
        .bind(post_id)
        .execute(&mut **tx)
        .await?;
    for tag in tags {
        sqlx::query(
            "INSERT INTO post_tags (post_id, tag) VALUES ($1, $2) ON CONFLICT (post_id, tag) DO NOTHING",
        )
        .bind(post_id)
        .bind(tag)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Replaces what an edit changes.
pub async fn update(tx: &mut Tx, id: i64, p: &NewPost, edited_at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE posts SET name = $2, summary = $3, content = $4, source = $5, edited_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(&p.name)
    .bind(&p.summary)
    .bind(&p.content)
    .bind(&p.source)
    .bind(edited_at)
    .execute(&mut **tx)
    .await?;
    set_audience(tx, id, &p.audience).await?;
    set_tags(tx, id, &p.tags).await?;
    Ok(())
}

/// Empties a deleted post and keeps its row, so replies keep their place and its URI answers
/// 410.
pub async fn mark_deleted(tx: &mut Tx, post: &Post) -> Result<()> {
    sqlx::query(
        "UPDATE posts SET content = '', source = '', name = '', summary = '', emoji_counts = '', \
         deleted_at = $2 WHERE id = $1",
    )
    .bind(post.id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    for table in ["post_tags", "post_reactions", "post_media"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE post_id = $1"))
            .bind(post.id)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(parent) = &post.in_reply_to {
        sqlx::query(
            "UPDATE posts SET replies_count = replies_count - 1 WHERE uri = $1 AND replies_count > 0",
        )
        .bind(parent)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A deleted remote actor's traces: its posts and comments become tombstones (as
/// [`mark_deleted`] leaves them) and its likes and boosts go, with the counts they fed.
pub async fn remove_author_tx(tx: &mut Tx, actor: &str) -> Result<()> {
    let sql = format!("SELECT {COLUMNS} FROM posts WHERE author = $1 AND deleted_at IS NULL");
    let rows = sqlx::query(&sql).bind(actor).fetch_all(&mut **tx).await?;
    for row in &rows {
        mark_deleted(tx, &Post::from_row(row)?).await?;
    }
    let reacted: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT post_id FROM post_reactions WHERE actor = $1 ORDER BY post_id",
    )
    .bind(actor)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM post_reactions WHERE actor = $1")
        .bind(actor)
        .execute(&mut **tx)
        .await?;
    for post in reacted {
        recount(tx, post).await?;
    }
    Ok(())
}

pub async fn by_uri(db: &Db, uri: &str) -> Result<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} FROM posts WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Post::from_row(&r)).transpose()?)
}

pub async fn by_uri_tx(tx: &mut Tx, uri: &str) -> Result<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} FROM posts WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| Post::from_row(&r)).transpose()?)
}

/// The actors a post names (to/cc and mentions).
pub async fn audience(db: &Db, post_id: i64) -> Result<Vec<(String, bool)>> {
    let rows =
        sqlx::query("SELECT actor, mentioned FROM post_audience WHERE post_id = $1 ORDER BY actor")
            .bind(post_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("actor")?, r.try_get::<i64, _>("mentioned")? != 0)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn in_audience(db: &Db, post_id: i64, actor: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM post_audience WHERE post_id = $1 AND actor = $2")
            .bind(post_id)
            .bind(actor)
            .fetch_one(db.pool())
            .await?;
    Ok(n > 0)
}

pub async fn tags(db: &Db, post_id: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT tag FROM post_tags WHERE post_id = $1 ORDER BY tag")
            .bind(post_id)
            .fetch_all(db.pool())
            .await?,
    )
}

async fn list(
    db: &Db,
    where_sql: &str,
    binds: &[&str],
    limit: i64,
    before: i64,
) -> Result<Vec<Post>> {
    let n = binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM posts WHERE deleted_at IS NULL AND id < ${} AND ({where_sql}) \
         ORDER BY id DESC LIMIT ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q
        .bind(if before <= 0 { i64::MAX } else { before })
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Post::from_row).collect::<Result<_, _>>()?)
}

/// A member's home: posts (not messages) by what they follow, by themselves, those that
/// name them, and public posts boosted by them or by what they follow; newest first, before the id `before` (0 for the newest).
pub async fn home(db: &Db, me: &str, limit: i64, before: i64) -> Result<Vec<Post>> {
    list(
        db,
        "visibility <> 'direct' AND (author = $1 \
         OR author IN (SELECT followee FROM follows WHERE follower = $1 AND state = 'accepted') \
         OR id IN (SELECT post_id FROM post_audience WHERE actor = $1) \
         OR (visibility = 'public' AND id IN (SELECT post_id FROM post_reactions \
             WHERE kind = 'announce' AND (actor = $1 OR actor IN \
             (SELECT followee FROM follows WHERE follower = $1 AND state = 'accepted')))))",
        &[me],
        limit,
        before,
    )
    .await
}

/// This space's posts: public ones, and members-only ones for its members. Top-level posts
/// only (comments show under their post).
pub async fn space_feed(db: &Db, members: bool, limit: i64, before: i64) -> Result<Vec<Post>> {
    let visible = if members {
        "visibility IN ('public', 'members')"
    } else {
        "visibility = 'public'"
    };
    list(
        db,
        &format!("local = 1 AND in_reply_to IS NULL AND {visible}"),
        &[],
        limit,
        before,
    )
    .await
}

/// Public posts with a hashtag, local and received.
pub async fn by_tag(db: &Db, tag: &str, limit: i64, before: i64) -> Result<Vec<Post>> {
    list(
        db,
        "visibility = 'public' AND id IN (SELECT post_id FROM post_tags WHERE tag = $1)",
        &[tag],
        limit,
        before,
    )
    .await
}

/// An actor's public top-level posts.
pub async fn by_author(db: &Db, author: &str, limit: i64, before: i64) -> Result<Vec<Post>> {
    list(
        db,
        "author = $1 AND visibility = 'public' AND in_reply_to IS NULL",
        &[author],
        limit,
        before,
    )
    .await
}

/// Replies to an object (a post, an event, a task…), oldest first, deleted ones included so
/// a thread keeps its shape.
pub async fn replies(db: &Db, uri: &str, limit: i64) -> Result<Vec<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM posts WHERE in_reply_to = $1 AND visibility <> 'direct' ORDER BY id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(uri)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Post::from_row).collect::<Result<_, _>>()?)
}

// --- messages ---------------------------------------------------------------------------------

/// One conversation as its participant sees it in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConversationRow {
    pub conversation: String,
    pub last_post_id: i64,
    pub messages: i64,
}

/// The conversations an actor takes part in (direct posts they wrote or that name them),
/// the most recently active first.
pub async fn conversations(db: &Db, me: &str, limit: i64) -> Result<Vec<ConversationRow>> {
    let rows = sqlx::query(
        "SELECT conversation, MAX(id) AS last_id, COUNT(*) AS n FROM posts \
         WHERE visibility = 'direct' AND deleted_at IS NULL AND (author = $1 \
         OR id IN (SELECT post_id FROM post_audience WHERE actor = $1)) \
         GROUP BY conversation ORDER BY MAX(id) DESC LIMIT $2",
    )
    .bind(me)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConversationRow {
                conversation: r.try_get("conversation")?,
                last_post_id: r.try_get("last_id")?,
                messages: r.try_get("n")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The messages of one conversation that an actor may read, oldest first.
pub async fn conversation(db: &Db, conversation: &str, me: &str, limit: i64) -> Result<Vec<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM posts WHERE conversation = $1 AND visibility = 'direct' \
         AND deleted_at IS NULL AND (author = $2 OR id IN (SELECT post_id FROM post_audience WHERE actor = $2)) \
         ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation)
        .bind(me)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Post::from_row).collect::<Result<_, _>>()?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} FROM posts WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Post::from_row(&r)).transpose()?)
}

// --- reactions --------------------------------------------------------------------------------

/// Records a Like or Announce once per actor; returns whether it was new.
pub async fn add_reaction(
    tx: &mut Tx,
    post_id: i64,
    actor: &str,
    kind: &str,
    activity: &str,
) -> Result<bool> {
    add_reaction_with(tx, post_id, actor, kind, activity, "").await
}

/// [`add_reaction`] with an emoji (`''` for none: a plain like).
pub async fn add_reaction_with(
    tx: &mut Tx,
    post_id: i64,
    actor: &str,
    kind: &str,
    activity: &str,
    emoji: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO post_reactions (post_id, actor, kind, activity_uri, created_at, emoji) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id, actor, kind) DO NOTHING",
    )
    .bind(post_id)
    .bind(actor)
    .bind(kind)
    .bind(activity)
    .bind(now_ms())
    .bind(emoji)
    .execute(&mut **tx)
    .await?;
    recount(tx, post_id).await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a reaction, named by its activity or by actor and kind; returns whether one went.
pub async fn remove_reaction(
    tx: &mut Tx,
    actor: &str,
    kind: &str,
    activity: &str,
    post_id: Option<i64>,
) -> Result<bool> {
    let post: Option<i64> = sqlx::query_scalar(
        "SELECT post_id FROM post_reactions WHERE actor = $1 AND kind = $2 AND (activity_uri = $3 OR post_id = $4)",
    )
    .bind(actor)
    .bind(kind)
    .bind(activity)
    .bind(post_id.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(post) = post else { return Ok(false) };
    sqlx::query("DELETE FROM post_reactions WHERE post_id = $1 AND actor = $2 AND kind = $3")
        .bind(post)
        .bind(actor)
        .bind(kind)
        .execute(&mut **tx)
        .await?;
    recount(tx, post).await?;
    Ok(true)
}

/// The counts a post keeps of its reactions: plain likes, boosts, and emoji reactions by
/// emoji (most used first, then the first used), written in the caller's transaction.
async fn recount(tx: &mut Tx, post_id: i64) -> Result<()> {
    // The post's row first: a concurrent reaction's transaction waits here until this one
    // commits, and its counts (statements of its own, reading the latest commits) then include
    // this reaction. Counted in one statement without the lock, two reactions at once on
    // PostgreSQL each counted without the other's row: a like was lost from the count.
    let lock = format!(
        "SELECT id FROM posts WHERE id = $1{}",
        Dialect::of(tx).for_no_key_update()
    );
    sqlx::query(&lock).bind(post_id).execute(&mut **tx).await?;
    let rows = sqlx::query(
        "SELECT emoji, COUNT(*) AS n, MIN(id) AS first FROM post_reactions \
         WHERE post_id = $1 AND kind = 'like' AND emoji <> '' \
         GROUP BY emoji ORDER BY n DESC, first LIMIT 50",
    )
    .bind(post_id)
    .fetch_all(&mut **tx)
    .await?;
    let counts = rows
        .iter()
        .map(|r| Ok((r.try_get("emoji")?, r.try_get("n")?)))
        .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?;
    sqlx::query(
        "UPDATE posts SET \
         likes_count = (SELECT COUNT(*) FROM post_reactions WHERE post_id = $1 AND kind = 'like' AND emoji = ''), \
         announces_count = (SELECT COUNT(*) FROM post_reactions WHERE post_id = $1 AND kind = 'announce'), \
         emoji_counts = $2 \
         WHERE id = $1",
    )
    .bind(post_id)
    .bind(super::emoji::write_counts(&counts))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether an actor has liked a post.
pub async fn has_reacted(db: &Db, post_id: i64, actor: &str, kind: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM post_reactions WHERE post_id = $1 AND actor = $2 AND kind = $3",
    )
    .bind(post_id)
    .bind(actor)
    .bind(kind)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Whether some local actor follows `author` (so its posts are wanted here).
pub async fn followed_locally(db: &Db, author: &str, local_prefix: &str) -> Result<bool> {
    crate::federation::follows::store::followed_by_prefix(db, author, local_prefix).await
}

/// Takes back an actor's like or boost of a post; returns the id of the activity that made it
/// when there was one (one conditional statement, so two racing takes free it once).
pub async fn take_reaction(
    tx: &mut Tx,
    post_id: i64,
    actor: &str,
    kind: &str,
) -> Result<Option<String>> {
    let activity: Option<String> = sqlx::query_scalar(
        "DELETE FROM post_reactions WHERE post_id = $1 AND actor = $2 AND kind = $3 \
         RETURNING activity_uri",
    )
    .bind(post_id)
    .bind(actor)
    .bind(kind)
    .fetch_optional(&mut **tx)
    .await?;
    if activity.is_some() {
        recount(tx, post_id).await?;
    }
    Ok(activity)
}

/// Which of `posts` an actor has liked or boosted: `(post id, "like" | "announce")`.
pub async fn reactions_of(db: &Db, actor: &str, posts: &[i64]) -> Result<Vec<(i64, String)>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..posts.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT post_id, kind FROM post_reactions WHERE actor = $1 AND post_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(actor);
    for id in posts {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("post_id")?, r.try_get("kind")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Who among `actors` boosted each of `posts` (the first one found per post).
pub async fn boosters(db: &Db, actors: &[String], posts: &[i64]) -> Result<Vec<(i64, String)>> {
    if posts.is_empty() || actors.is_empty() {
        return Ok(Vec::new());
    }
    let post_marks: Vec<String> = (0..posts.len()).map(|i| format!("${}", i + 1)).collect();
    let actor_marks: Vec<String> = (0..actors.len())
        .map(|i| format!("${}", posts.len() + i + 1))
        .collect();
    let sql = format!(
        "SELECT post_id, actor FROM post_reactions WHERE kind = 'announce' \
         AND post_id IN ({}) AND actor IN ({}) ORDER BY id",
        post_marks.join(", "),
        actor_marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for id in posts {
        q = q.bind(*id);
    }
    for a in actors {
        q = q.bind(a.as_str());
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("post_id")?, r.try_get("actor")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// What `viewer` (an actor URI, "" for anyone; `member` when a member of this space) may see
/// of an actor's own top-level posts and the public posts it boosted, newest first.
pub async fn by_actor(
    db: &Db,
    actor: &str,
    viewer: &str,
    member: bool,
    limit: i64,
    before: i64,
) -> Result<Vec<Post>> {
    list(
        db,
        "(author = $1 AND in_reply_to IS NULL AND (visibility = 'public' \
           OR (visibility = 'members' AND $3 = 'member') \
           OR (visibility = 'followers' AND ($2 = author \
               OR $2 IN (SELECT follower FROM follows WHERE followee = $1 AND state = 'accepted') \
               OR id IN (SELECT post_id FROM post_audience WHERE actor = $2))))) \
         OR (visibility = 'public' AND id IN \
             (SELECT post_id FROM post_reactions WHERE kind = 'announce' AND actor = $1))",
        &[actor, viewer, if member { "member" } else { "" }],
        limit,
        before,
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::storage::test_db::TestDb;
    use crate::storage::Backend;

    /// Two reactions whose transactions overlap are both counted: the second's count waits for
    /// the first's commit. (Counted without the post's row held, PostgreSQL's second count read
    /// before the first commit and the post kept one like.)
    #[tokio::test]
    async fn overlapping_reactions_are_both_counted() {
        let test = TestDb::new().await;
        let db = test.db.clone();
        let post: i64 = sqlx::query_scalar(
            "INSERT INTO posts (uri, author, kind, visibility, conversation, published_at, \
             received_at) VALUES ('https://h.example/p/1', 'https://h.example/u/a', 'Note', \
             'public', 'https://h.example/p/1', 0, 0) RETURNING id",
        )
        .fetch_one(db.writer())
        .await
        .unwrap();
        let like = |tx: &'static str| {
            (
                format!("https://r.example/u/{tx}"),
                format!("https://r.example/like/{tx}"),
            )
        };

        let mut first = db.begin_write().await.unwrap();
        let (actor, activity) = like("1");
        assert!(
            add_reaction_with(&mut first, post, &actor, "like", &activity, "")
                .await
                .unwrap()
        );
        let second = {
            let db = db.clone();
            tokio::spawn(async move {
                let (actor, activity) = like("2");
                let mut tx = db.begin_write().await.unwrap();
                add_reaction_with(&mut tx, post, &actor, "like", &activity, "")
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            })
        };
        // On PostgreSQL, the second transaction is let run until it waits on a row lock (held
        // by the first); on SQLite it waits for the one writer connection anyway.
        if db.backend() == Backend::Postgres {
            let mut waiting = false;
            for _ in 0..500 {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
                .fetch_one(db.pool())
                .await
                .unwrap();
                if n > 0 {
                    waiting = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(waiting, "the second reaction never waited on the first");
        }
        first.commit().await.unwrap();
        second.await.unwrap();
        let likes: i64 = sqlx::query_scalar("SELECT likes_count FROM posts WHERE id = $1")
            .bind(post)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(likes, 2);
        test.finish().await;
    }
}
