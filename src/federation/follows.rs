//! Following, in both directions: local members follow remote (or local) actors; remote actors
//! follow local members, companies and the space. Locked actors approve followers by hand.
//! Every state change that a peer must learn about is published through the delivery queue.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row as _;

use super::activities;
use super::delivery;
use super::local::{self, LocalActor};
use super::remote::{self, id_of, RemoteActor};
use super::urls::Urls;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::{now_ms, Db, Row, Tx};

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

// --- store ----------------------------------------------------------------------------------

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
pub async fn remove_actor_tx(tx: &mut crate::storage::Tx, uri: &str) -> Result<()> {
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

/// The stored body of a received activity (the Follow a locked actor answers later).
async fn received_activity(db: &Db, activity_uri: &str) -> Result<Option<Value>> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM inbox_activities WHERE activity_uri = $1")
            .bind(activity_uri)
            .fetch_optional(db.pool())
            .await?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// Publishes one activity from a local actor to the given inboxes.
pub async fn send(
    state: &AppState,
    from: &LocalActor,
    activity: &Value,
    public: bool,
    inboxes: &[String],
) -> Result<()> {
    let mut tx = state.db.begin_write().await?;
    delivery::publish(&mut tx, activity, from.key_ref(), public, inboxes).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

// --- a local member follows -----------------------------------------------------------------

/// What a follow looks like to its local follower.
#[derive(Debug, Clone, Serialize)]
pub struct Followed {
    pub uri: String,
    pub handle: String,
    pub name: String,
    pub state: String,
}

/// A member follows an actor given as `@name@host` or URL (remote or local).
pub async fn follow(state: &AppState, member: &Account, target: &str) -> Result<Followed> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&member.handle);
    let target = target.trim();
    if target.is_empty() || target.len() > 500 {
        return Err(Error::invalid(
            "target",
            "is required: @name@host or an address",
        ));
    }
    // A local actor: no HTTP, accepted at once unless it is locked.
    if let Some(local_target) = local_target(state, &urls, target).await? {
        let uri = local_target.uri(&urls);
        if uri == me {
            return Err(Error::invalid("target", "is you"));
        }
        let accepted = !local_target.locked();
        let mut tx = state.db.begin_write().await?;
        let new = record_tx(&mut tx, &me, &uri, accepted, &activities::new_id(&urls)).await?;
        if new {
            let name = format!("@{}@{}", member.handle, urls.domain());
            notify_follow(&mut tx, state, &local_target, &me, &name, accepted).await?;
        }
        tx.commit().await?;
        let f = get(&state.db, &me, &uri)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("follow vanished after insert")))?;
        return Ok(Followed {
            handle: format!("{}@{}", local_target.label(), urls.domain()),
            name: local_target.label(),
            uri,
            state: f.state,
        });
    }
    let remote = remote::resolve_handle_or_url(state, target).await?;
    // Following someone makes their space known to the directory.
    crate::directory::peers::learn_from_follow(state, &remote.host).await;
    let activity = activities::follow(&urls, &me, &remote.uri);
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    let existing = get(&state.db, &me, &remote.uri).await?;
    if existing.as_ref().is_some_and(Follow::accepted) {
        return Ok(followed(&remote, "accepted"));
    }
    // The follow and its Follow activity are written together: no request without a record,
    // no record without a request.
    let mut tx = state.db.begin_write().await?;
    record_tx(&mut tx, &me, &remote.uri, false, &id).await?;
    delivery::publish(
        &mut tx,
        &activity,
        LocalActor::Member(member.clone()).key_ref(),
        false,
        std::slice::from_ref(&remote.inbox),
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    let f = get(&state.db, &me, &remote.uri)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("follow vanished after insert")))?;
    Ok(followed(&remote, &f.state))
}

fn followed(remote: &RemoteActor, state: &str) -> Followed {
    Followed {
        uri: remote.uri.clone(),
        handle: remote.handle(),
        name: remote.display_name().to_string(),
        state: state.to_string(),
    }
}

async fn local_target(state: &AppState, urls: &Urls, target: &str) -> Result<Option<LocalActor>> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return local::by_uri(state, target).await;
    }
    let acct = target
        .strip_prefix("acct:")
        .unwrap_or(target)
        .trim_start_matches('@');
    let name = match acct.rsplit_once('@') {
        Some((name, host)) if host.eq_ignore_ascii_case(urls.domain()) => name,
        Some(_) => return Ok(None),
        // A bare handle names a local member or company.
        None => acct,
    };
    let name = name.to_ascii_lowercase();
    if name.is_empty() {
        return Ok(None);
    }
    if name == crate::spaces::actor::username(urls) {
        return local::by_uri(state, &urls.space()).await;
    }
    if let Some(found) = local::by_uri(state, &urls.member(&name)).await? {
        return Ok(Some(found));
    }
    local::by_uri(state, &urls.company(&name)).await
}

/// A member stops following an actor (or withdraws a pending request).
pub async fn unfollow(state: &AppState, member: &Account, target_uri: &str) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&member.handle);
    let existing = get(&state.db, &me, target_uri)
        .await?
        .ok_or(Error::NotFound)?;
    // The removal and the Undo are written together.
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM follows WHERE follower = $1 AND followee = $2")
        .bind(&me)
        .bind(target_uri)
        .execute(&mut *tx)
        .await?;
    if let Some(remote) = remote::by_uri(&state.db, target_uri).await? {
        let mut original = activities::follow(&urls, &me, target_uri);
        original["id"] = Value::String(existing.activity_uri.clone());
        let undo = activities::undo(&urls, &me, &original, std::slice::from_ref(&remote.uri));
        delivery::publish(
            &mut tx,
            &undo,
            LocalActor::Member(member.clone()).key_ref(),
            false,
            std::slice::from_ref(&remote.inbox),
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// A locked local actor approves (`accept`) or refuses a pending follower.
pub async fn answer_request(
    state: &AppState,
    me: &LocalActor,
    follower: &str,
    accept: bool,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let my_uri = me.uri(&urls);
    let pending = get(&state.db, follower, &my_uri)
        .await?
        .filter(|f| !f.accepted())
        .ok_or(Error::NotFound)?;
    if !answer_pending(&state.db, follower, &my_uri, accept).await? {
        // Answered meanwhile (or withdrawn): this answer has nothing left to decide.
        return Err(Error::NotFound);
    }
    if let Some(remote) = remote::by_uri(&state.db, follower).await? {
        let follow = received_activity(&state.db, &pending.activity_uri)
            .await?
            .unwrap_or_else(|| {
                let mut f = activities::follow(&urls, follower, &my_uri);
                f["id"] = Value::String(pending.activity_uri.clone());
                f
            });
        let answer = activities::answer_follow(&urls, accept, &my_uri, &follow);
        send(
            state,
            me,
            &answer,
            false,
            std::slice::from_ref(&remote.inbox),
        )
        .await?;
        if let (true, LocalActor::Project(project)) = (accept, me) {
            crate::projects::federate::backfill(state, project, &remote).await?;
        }
    }
    Ok(())
}

// --- inbound --------------------------------------------------------------------------------

/// `Follow` from a remote actor to a local one.
pub async fn on_follow(state: &AppState, activity: &Value, from: &RemoteActor) -> Result<()> {
    let urls = Urls::new(&state.config);
    let object = activity.get("object").and_then(id_of).unwrap_or_default();
    let Some(target) = local::by_uri(state, object).await? else {
        tracing::info!(object, "follow of an unknown local actor ignored");
        return Ok(());
    };
    let activity_uri = activity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let followee = target.uri(&urls);
    // What the follow was, the follow as it is now and the notification, in one transaction:
    // the follower is never listed before the people behind the target are told, and a
    // repeated Follow racing the first is told apart from it.
    let mut tx = state.db.begin_write().await?;
    let sql = format!(
        "SELECT state FROM follows WHERE follower = $1 AND followee = $2{}",
        crate::storage::Dialect::of(&tx).for_update()
    );
    let before: Option<String> = sqlx::query_scalar(&sql)
        .bind(&from.uri)
        .bind(&followee)
        .fetch_optional(&mut *tx)
        .await?;
    let was_accepted = before.as_deref() == Some("accepted");
    let accepted = !target.locked() || was_accepted;
    record_tx(&mut tx, &from.uri, &followee, accepted, activity_uri).await?;
    if before.is_none() || (accepted && !was_accepted) {
        notify_follow(&mut tx, state, &target, &from.uri, &from.handle(), accepted).await?;
    }
    tx.commit().await?;
    if accepted {
        let answer = activities::answer_follow(&urls, true, &target.uri(&urls), activity);
        send(
            state,
            &target,
            &answer,
            false,
            std::slice::from_ref(&from.inbox),
        )
        .await?;
        // A new member of a project gets what the project already holds.
        if let LocalActor::Project(project) = &target {
            if !was_accepted {
                crate::projects::federate::backfill(state, project, from).await?;
            }
        }
    }
    Ok(())
}

/// Tells the people behind a local actor about a new follower or follow request.
async fn notify_follow(
    tx: &mut Tx,
    state: &AppState,
    target: &LocalActor,
    from_uri: &str,
    from_name: &str,
    accepted: bool,
) -> Result<()> {
    use crate::notifications::{store as notes, Kind, NewNotification};
    let (kind, summary) = if let LocalActor::Project(p) = target {
        // Joining a project is following its group.
        let summary = if accepted {
            format!("joined {}", p.name)
        } else {
            format!("asked to join {}", p.name)
        };
        (Kind::ProjectJoin, summary)
    } else if accepted {
        (Kind::Follow, format!("followed {}", target.label()))
    } else {
        (
            Kind::FollowRequest,
            format!("asked to follow {}", target.label()),
        )
    };
    let link = match target {
        LocalActor::Project(p) => format!("/projects/{}/members", p.handle),
        _ => "/network".to_string(),
    };
    notes::notify_stewards(
        tx,
        &state.db,
        target,
        &NewNotification {
            account_id: 0,
            kind,
            actor: from_uri,
            actor_name: from_name,
            object: "",
            link: &link,
            summary: &summary,
        },
    )
    .await?;
    Ok(())
}

/// `Accept` or `Reject` of a Follow a local member sent.
pub async fn on_answer(
    state: &AppState,
    activity: &Value,
    from: &RemoteActor,
    accepted: bool,
) -> Result<()> {
    let object = activity.get("object").unwrap_or(&Value::Null);
    let follow_id = id_of(object).unwrap_or_default();
    // The follow this answers: by the Follow's id, or by the embedded Follow's actor.
    let by_id = if follow_id.is_empty() {
        None
    } else {
        let sql =
            format!("SELECT {COLUMNS} FROM follows WHERE activity_uri = $1 AND followee = $2");
        sqlx::query(&sql)
            .bind(follow_id)
            .bind(&from.uri)
            .fetch_optional(state.db.pool())
            .await?
            .map(|r| Follow::from_row(&r))
            .transpose()?
    };
    let follow = match by_id {
        Some(f) => Some(f),
        None => match object.get("actor").and_then(id_of) {
            Some(follower) => get(&state.db, follower, &from.uri).await?,
            None => None,
        },
    };
    let Some(follow) = follow else {
        tracing::info!(actor = %from.uri, "answer to an unknown follow ignored");
        return Ok(());
    };
    if accepted {
        set_accepted(&state.db, &follow.follower, &follow.followee).await?;
    } else {
        remove(&state.db, &follow.follower, &follow.followee).await?;
    }
    // A project elsewhere answered a join request: the member hears about it.
    if from.kind == "Group" && !follow.accepted() {
        if let Some(member) = local::by_uri(state, &follow.follower).await? {
            use crate::notifications::{store as notes, Kind, NewNotification};
            let summary = if accepted {
                format!("accepted you in {}", from.display_name())
            } else {
                format!("declined your request to join {}", from.display_name())
            };
            let link = format!(
                "/projects/remote?uri={}",
                crate::projects::service::urlencode(&from.uri)
            );
            let mut tx = state.db.begin_write().await?;
            notes::notify_stewards(
                &mut tx,
                &state.db,
                &member,
                &NewNotification {
                    account_id: 0,
                    kind: Kind::ProjectJoin,
                    actor: &from.uri,
                    actor_name: &from.handle(),
                    object: &from.uri,
                    link: &link,
                    summary: &summary,
                },
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// `Undo` of a Follow: the remote actor stops following.
pub async fn on_undo_follow(state: &AppState, inner: &Value, from: &RemoteActor) -> Result<()> {
    if !super::authority::own_activity(from, inner, "Undo Follow") {
        return Ok(());
    }
    let followee = inner.get("object").and_then(id_of).unwrap_or_default();
    remove(&state.db, &from.uri, followee).await?;
    Ok(())
}

/// `Undo` whose object is only the id of an earlier activity: if that was the sender's Follow,
/// the sender stops following.
pub async fn on_undo_by_id(state: &AppState, activity_id: &str, from: &RemoteActor) -> Result<()> {
    let done = sqlx::query("DELETE FROM follows WHERE follower = $1 AND activity_uri = $2")
        .bind(&from.uri)
        .bind(activity_id)
        .execute(state.db.writer())
        .await?;
    if done.rows_affected() == 0 {
        tracing::info!(actor = %from.uri, "undo of an unknown activity ignored");
    }
    Ok(())
}
