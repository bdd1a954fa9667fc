//! The SQL of notification mails: members' settings, the cursor of immediate mails with the
//! unsubscribe secret, and digests.

use sqlx::Row as _;

use crate::error::Result;
use crate::notifications::topics::{Mode, Settings, Topic};
use crate::storage::{now_ms, Db};

pub async fn settings(db: &Db, account_id: i64) -> Result<Settings> {
    let rows = sqlx::query("SELECT topic, mode FROM notification_settings WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let topic: String = r.try_get("topic")?;
        let mode: String = r.try_get("mode")?;
        if let (Some(t), Some(m)) = (Topic::parse(&topic), Mode::parse(&mode)) {
            out.push((t, m));
        }
    }
    Ok(Settings(out))
}

pub async fn set(db: &Db, account_id: i64, changes: &[(Topic, Mode)]) -> Result<()> {
    let mut tx = db.begin_write().await?;
    for (topic, mode) in changes {
        sqlx::query(
            "INSERT INTO notification_settings (account_id, topic, mode) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, topic) DO UPDATE SET mode = excluded.mode",
        )
        .bind(account_id)
        .bind(topic.as_str())
        .bind(mode.as_str())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The cursor and the signing secret, made on first use (from the current last notification,
/// so an upgrade does not mail the past).
pub async fn state(db: &Db) -> Result<(i64, String)> {
    let start: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM notifications")
        .fetch_one(db.pool())
        .await?;
    sqlx::query(
        "INSERT INTO notification_mail_state (id, last_id, secret) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(start)
    .bind(crate::federation::ids::random_token())
    .execute(db.writer())
    .await?;
    let row = sqlx::query("SELECT last_id, secret FROM notification_mail_state WHERE id = 1")
        .fetch_one(db.writer())
        .await?;
    Ok((row.try_get("last_id")?, row.try_get("secret")?))
}

/// A notification to consider for mail.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub actor_name: String,
    pub summary: String,
    pub link: String,
}

fn pending(r: &crate::storage::Row) -> Result<Pending, sqlx::Error> {
    Ok(Pending {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        kind: r.try_get("kind")?,
        actor_name: r.try_get("actor_name")?,
        summary: r.try_get("summary")?,
        link: r.try_get("link")?,
    })
}

const COLUMNS: &str = "id, account_id, kind, actor_name, summary, link";

/// Takes the notifications after the cursor (at most `limit`): the cursor moves past them by one
/// conditional update, so only the process that moved it mails them.
pub async fn take_new(db: &Db, limit: i64) -> Result<Vec<Pending>> {
    let (last, _) = state(db).await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(last)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(pending).collect::<Result<Vec<_>, _>>()?;
    let Some(newest) = items.last().map(|p| p.id) else {
        return Ok(Vec::new());
    };
    let moved = sqlx::query(
        "UPDATE notification_mail_state SET last_id = $1 WHERE id = 1 AND last_id = $2",
    )
    .bind(newest)
    .bind(last)
    .execute(db.writer())
    .await?
    .rows_affected();
    Ok(if moved == 1 { items } else { Vec::new() })
}

/// Members whose digest is due: notifications after their digest cursor, and the last digest
/// at least `every_ms` ago. A member seen for the first time starts a cursor (nothing is sent).
pub async fn due_digests(db: &Db, every_ms: i64) -> Result<Vec<(i64, i64, i64)>> {
    let now = now_ms();
    // New members start their cursor where they are.
    sqlx::query(
        "INSERT INTO notification_digests (account_id, last_id, sent_at) \
         SELECT n.account_id, MIN(n.id) - 1, $1 FROM notifications n WHERE NOT EXISTS \
         (SELECT 1 FROM notification_digests d WHERE d.account_id = n.account_id) \
         GROUP BY n.account_id ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(now)
    .execute(db.writer())
    .await?;
    let rows = sqlx::query(
        "SELECT d.account_id, d.last_id, MAX(n.id) AS newest FROM notification_digests d \
         JOIN notifications n ON n.account_id = d.account_id AND n.id > d.last_id \
         WHERE d.sent_at <= $1 GROUP BY d.account_id, d.last_id",
    )
    .bind(now - every_ms)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("account_id")?,
                r.try_get("last_id")?,
                r.try_get("newest")?,
            ))
        })
        .collect()
}

/// Claims a member's digest from `last` to `newest` (one conditional update); `None` when
/// another process took it, else the notifications it covers.
pub async fn claim_digest(
    db: &Db,
    account_id: i64,
    last: i64,
    newest: i64,
) -> Result<Option<Vec<Pending>>> {
    let moved = sqlx::query(
        "UPDATE notification_digests SET last_id = $1, sent_at = $2 \
         WHERE account_id = $3 AND last_id = $4",
    )
    .bind(newest)
    .bind(now_ms())
    .bind(account_id)
    .bind(last)
    .execute(db.writer())
    .await?
    .rows_affected();
    if moved != 1 {
        return Ok(None);
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE account_id = $1 AND id > $2 AND id <= $3 \
         ORDER BY id"
    ))
    .bind(account_id)
    .bind(last)
    .bind(newest)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(rows.iter().map(pending).collect::<Result<_, _>>()?))
}
