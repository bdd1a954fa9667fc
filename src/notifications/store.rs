//! The notifications table.

use serde::Serialize;
use sqlx::Row as _;

use crate::error::Result;
use crate::storage::{now_ms, Db, Row, Tx};

/// What happened. Stored as its `as_str` name, which the API also shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Follow,
    FollowRequest,
    Rsvp,
    Mention,
    Reply,
    Like,
    Announce,
    TaskAssigned,
    Message,
    EventUpdated,
    ProjectJoin,
    /// A moderator's warning.
    Warning,
    /// A booking of the member starts soon.
    BookingSoon,
    /// An invitation to join a company waits for an answer.
    Invitation,
    /// A visitor from a space whose visits staff review asks for one (administrators).
    VisitRequest,
    /// The host space booked the member's visit.
    VisitAccepted,
    /// The host space refused the member's visit (the reason in the summary).
    VisitRejected,
    /// The host space cancelled the member's booked visit.
    VisitCancelled,
    /// A report reached the moderation queue (moderators and administrators).
    Report,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::FollowRequest => "follow_request",
            Kind::Rsvp => "rsvp",
            Kind::Mention => "mention",
            Kind::Reply => "reply",
            Kind::Like => "like",
            Kind::Announce => "announce",
            Kind::TaskAssigned => "task_assigned",
            Kind::Message => "message",
            Kind::EventUpdated => "event_updated",
            Kind::ProjectJoin => "project_join",
            Kind::Warning => "warning",
            Kind::BookingSoon => "booking_soon",
            Kind::Invitation => "invitation",
            Kind::VisitRequest => "visit_request",
            Kind::VisitAccepted => "visit_accepted",
            Kind::VisitRejected => "visit_rejected",
            Kind::VisitCancelled => "visit_cancelled",
            Kind::Report => "report",
        }
    }
}

/// One notification to record.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub account_id: i64,
    pub kind: Kind,
    /// The URI of the actor who caused it.
    pub actor: &'a str,
    /// How to show that actor (`@ada@harbour.example` or a name).
    pub actor_name: &'a str,
    /// The URI of the object concerned (a post, an event, a task), or "".
    pub object: &'a str,
    /// The local path that shows it (`/events/12`), or "".
    pub link: &'a str,
    /// One line of plain text ("RSVPed to Rust meetup").
    pub summary: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub actor: String,
    pub actor_name: String,
    pub object: String,
    pub link: String,
    pub summary: String,
    pub created_at: i64,
    pub read: bool,
}

impl Notification {
    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Notification {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            actor: r.try_get("actor")?,
            actor_name: r.try_get("actor_name")?,
            object: r.try_get("object")?,
            link: r.try_get("link")?,
            summary: r.try_get("summary")?,
            created_at: r.try_get("created_at")?,
            read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
        })
    }

    /// The time as pages show it: relative, with the exact time beside it.
    pub fn moment(&self) -> crate::web::time::Moment {
        crate::web::time::Moment::at(self.created_at)
    }
}

/// Records a notification inside the caller's transaction. Texts are cut to sane lengths.
/// Nothing is recorded when the member blocked or muted the actor, or hid its domain, except a
/// moderator's warning and a report (a moderator's mute does not hide reports from the queue).
pub async fn notify(tx: &mut Tx, n: &NewNotification<'_>) -> Result<()> {
    if !matches!(n.kind, Kind::Warning | Kind::Report)
        && crate::moderation::blocks::silenced_tx(tx, n.account_id, n.actor).await?
    {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO notifications (account_id, kind, actor, actor_name, object, link, summary, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(n.account_id)
    .bind(n.kind.as_str())
    .bind(cut(n.actor, 2000))
    .bind(cut(n.actor_name, 300))
    .bind(cut(n.object, 2000))
    .bind(cut(n.link, 2000))
    .bind(cut(n.summary, 300))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// [`notify`] in a transaction of its own.
pub async fn notify_now(db: &Db, n: &NewNotification<'_>) -> Result<()> {
    let mut tx = db.begin_write().await?;
    notify(&mut tx, n).await?;
    tx.commit().await?;
    Ok(())
}

fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `AND (…)` leaving out the notifications caused by the actors of `hidden` (bound from
/// `$first` on), but a moderator's warning and a report, which are always shown (as
/// [`notify`] records them whatever the member silenced); nothing when `hidden` is empty.
fn without(first: usize, hidden: &[String]) -> String {
    if hidden.is_empty() {
        return String::new();
    }
    format!(
        " AND (kind IN ('{}', '{}') OR actor NOT IN ({}))",
        Kind::Warning.as_str(),
        Kind::Report.as_str(),
        crate::storage::placeholders(first, hidden.len())
    )
}

/// A member's notifications, newest first, without those the actors of `hidden` caused (the
/// actors the moderators suspended; see [`without`]).
pub async fn list(
    db: &Db,
    account_id: i64,
    hidden: &[String],
    limit: i64,
    offset: i64,
) -> Result<Vec<Notification>> {
    let n = hidden.len();
    let sql = format!(
        "SELECT id, kind, actor, actor_name, object, link, summary, created_at, read_at \
         FROM notifications WHERE account_id = $1{} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        without(2, hidden),
        n + 2,
        n + 3
    );
    let mut q = sqlx::query(&sql).bind(account_id);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(Notification::from_row)
        .collect::<Result<_, _>>()?)
}

/// How many of a member's notifications are unread, without those the actors of `hidden`
/// caused (as [`list`]).
pub async fn unread_count(db: &Db, account_id: i64, hidden: &[String]) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL{}",
        without(2, hidden)
    );
    let mut q = sqlx::query_scalar(&sql).bind(account_id);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// Marks a member's notifications up to `last_id` read (those a page has just shown; one that
/// arrived since stays unread); returns how many were unread.
pub async fn mark_read_up_to(db: &Db, account_id: i64, last_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $3 \
         WHERE account_id = $1 AND id <= $2 AND read_at IS NULL",
    )
    .bind(account_id)
    .bind(last_id)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Marks every notification of a member read; returns how many were unread.
pub async fn mark_all_read(db: &Db, account_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL",
    )
    .bind(account_id)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Who is told about what happens to a local actor: the member themself, a company's owners
/// and admins, a project's managers, or the space's admins.
/// Tells everyone behind a local actor (see [`stewards`]) the same thing: `n` once per person,
/// its `account_id` replaced by theirs.
pub async fn notify_stewards(
    tx: &mut Tx,
    db: &Db,
    actor: &crate::federation::local::LocalActor,
    n: &NewNotification<'_>,
) -> Result<()> {
    for account_id in stewards(db, actor).await? {
        notify(
            tx,
            &NewNotification {
                account_id,
                ..n.clone()
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn stewards(db: &Db, actor: &crate::federation::local::LocalActor) -> Result<Vec<i64>> {
    use crate::federation::local::LocalActor;
    let ids = match actor {
        LocalActor::Member(a) => vec![a.id],
        LocalActor::Company(c) => crate::companies::store::owners_and_admins(db, c.id).await?,
        LocalActor::Project(p) => match crate::projects::store::by_handle(db, &p.handle).await? {
            Some(project) => crate::projects::store::managers(db, &project).await?,
            None => Vec::new(),
        },
        LocalActor::Space => crate::accounts::store::admin_ids(db).await?,
    };
    Ok(ids)
}
