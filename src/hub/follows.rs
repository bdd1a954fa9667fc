//! The rules of following, in both directions: local members follow remote (or local) actors;
//! remote actors follow local members, companies, projects and the space. What happens on a
//! Follow (accepted at once, pending for a locked actor or from a limited one, rejected from an
//! actor the member blocked), on its Accept, Reject or Undo: the
//! notifications to the people behind the actor, a new project member's backfill, a followed
//! space learnt by the directory. The `follows` table itself is the floor's
//! (`crate::federation::follows`); every state change a peer must learn about is published
//! through the delivery queue.

use serde::Serialize;
use serde_json::Value;

use super::actors;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::follows::{self, Follow};
use crate::federation::local::{Identity, LocalActor};
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::Activity;
use crate::federation::{activities, authority, delivery, remote_blocks};
use crate::moderation::model::ActorLimit;
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::Tx;
use crate::{directory, moderation, projects, spaces};

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
        let new =
            follows::record_tx(&mut tx, &me, &uri, accepted, &activities::new_id(&urls)).await?;
        if new {
            let name = format!("@{}@{}", member.handle, urls.domain());
            notify_follow(&mut tx, state, &local_target, &me, &name, accepted).await?;
        }
        tx.commit().await?;
        let f = follows::get(&state.db, &me, &uri)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("follow vanished after insert")))?;
        let (handle, name) = actors::handle_and_name(state, &local_target).await?;
        return Ok(Followed {
            handle,
            name,
            uri,
            state: f.state,
        });
    }
    let remote = remote::resolve_handle_or_url(state, target).await?;
    // Its Follow would not be delivered (see `federation::remote_blocks`): say so now.
    if remote_blocks::store::blocks(&state.db, &remote.uri, &me).await? {
        return Err(Error::forbidden(
            "You cannot follow this account: it has blocked you.",
        ));
    }
    // Following someone makes their space known to the directory.
    directory::peers::learn_from_follow(state, &remote.host).await;
    let activity = activities::follow(&urls, &me, &remote.uri);
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    let existing = follows::get(&state.db, &me, &remote.uri).await?;
    if existing.as_ref().is_some_and(Follow::accepted) {
        return Ok(followed(&remote, "accepted"));
    }
    // The follow and its Follow activity are written together: no request without a record,
    // no record without a request.
    let mut tx = state.db.begin_write().await?;
    follows::record_tx(&mut tx, &me, &remote.uri, false, &id).await?;
    delivery::publish(
        &mut tx,
        &activity,
        member.local_actor().key_ref(),
        false,
        std::slice::from_ref(&remote.inbox),
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    let f = follows::get(&state.db, &me, &remote.uri)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("follow vanished after insert")))?;
    Ok(followed(&remote, &f.state))
}

fn followed(remote: &RemoteActor, state: &str) -> Followed {
    Followed {
        uri: remote.uri.clone(),
        handle: actors::remote_handle(remote),
        name: remote.display_name().to_string(),
        state: state.to_string(),
    }
}

async fn local_target(state: &AppState, urls: &Urls, target: &str) -> Result<Option<LocalActor>> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return actors::by_uri(state, target).await;
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
    if name == spaces::actor::username(urls) {
        return actors::by_uri(state, &urls.space()).await;
    }
    if let Some(found) = actors::by_uri(state, &urls.member(&name)).await? {
        return Ok(Some(found));
    }
    actors::by_uri(state, &urls.company(&name)).await
}

/// A member stops following an actor (or withdraws a pending request).
pub async fn unfollow(state: &AppState, member: &Account, target_uri: &str) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&member.handle);
    let existing = follows::get(&state.db, &me, target_uri)
        .await?
        .ok_or(Error::NotFound)?;
    // The removal and the Undo are written together.
    let mut tx = state.db.begin_write().await?;
    follows::remove_tx(&mut tx, &me, target_uri).await?;
    if let Some(remote) = remote::by_uri(&state.db, target_uri).await? {
        let mut original = activities::follow(&urls, &me, target_uri);
        original["id"] = Value::String(existing.activity_uri.clone());
        let undo = activities::undo(&urls, &me, &original, std::slice::from_ref(&remote.uri));
        delivery::publish(
            &mut tx,
            &undo,
            member.local_actor().key_ref(),
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
    let pending = follows::get(&state.db, follower, &my_uri)
        .await?
        .filter(|f| !f.accepted())
        .ok_or(Error::NotFound)?;
    if !follows::answer_pending(&state.db, follower, &my_uri, accept).await? {
        // Answered meanwhile (or withdrawn): this answer has nothing left to decide.
        return Err(Error::NotFound);
    }
    if let Some(remote) = remote::by_uri(&state.db, follower).await? {
        let follow = crate::federation::inbox::received_activity(&state.db, &pending.activity_uri)
            .await?
            .unwrap_or_else(|| {
                let mut f = activities::follow(&urls, follower, &my_uri);
                f["id"] = Value::String(pending.activity_uri.clone());
                f
            });
        let answer = activities::answer_follow(&urls, accept, &my_uri, &follow);
        follows::send(
            state,
            me,
            &answer,
            false,
            std::slice::from_ref(&remote.inbox),
        )
        .await?;
        if let (true, LocalActor::Project(project)) = (accept, me) {
            backfill(state, project, &remote).await?;
        }
    }
    Ok(())
}

// --- inbound --------------------------------------------------------------------------------

/// `Follow` from a remote actor to a local one. `raw` is the Follow as received, echoed in the
/// `Accept` unchanged.
pub async fn on_follow(
    state: &AppState,
    activity: &Activity,
    raw: &Value,
    from: &RemoteActor,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let object = activity.object_id().map(|u| u.as_str()).unwrap_or_default();
    let Some(target) = actors::by_uri(state, object).await? else {
        tracing::info!(object, "follow of an unknown local actor ignored");
        return Ok(());
    };
    let activity_uri = activity.id.as_str();
    let followee = target.uri(&urls);
    // A member who blocked the follower, or a moderator who suspended it, refuses it outright
    // (as Mastodon does); a follower a moderator limited waits for approval even of an
    // unlocked actor.
    let limit = moderation::blocks::limit_of(state, &from.uri).await?;
    let blocked = match moderation::blocks::ensure_not_blocked(
        state,
        &[followee.as_str()],
        &from.uri,
    )
    .await
    {
        Ok(()) => false,
        Err(Error::Forbidden(_)) => true,
        Err(e) => return Err(e),
    };
    if blocked || limit == Some(ActorLimit::Suspend) {
        tracing::info!(actor = %from.uri, followee, "follow from a blocked or suspended actor rejected");
        let answer = activities::answer_follow(&urls, false, &followee, raw);
        return follows::send(
            state,
            &target,
            &answer,
            false,
            std::slice::from_ref(&from.inbox),
        )
        .await;
    }
    let limited = limit == Some(ActorLimit::Limit);
    // What the follow was, the follow as it is now and the notification, in one transaction:
    // the follower is never listed before the people behind the target are told, and a
    // repeated Follow racing the first is told apart from it.
    let mut tx = state.db.begin_write().await?;
    let before = follows::state_for_update_tx(&mut tx, &from.uri, &followee).await?;
    let was_accepted = before.as_deref() == Some("accepted");
    let accepted = (!target.locked() && !limited) || was_accepted;
    follows::record_tx(&mut tx, &from.uri, &followee, accepted, activity_uri).await?;
    if before.is_none() || (accepted && !was_accepted) {
        notify_follow(&mut tx, state, &target, &from.uri, &from.handle(), accepted).await?;
    }
    tx.commit().await?;
    if accepted {
        let answer = activities::answer_follow(&urls, true, &target.uri(&urls), raw);
        follows::send(
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
                backfill(state, project, from).await?;
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
    activity: &Activity,
    from: &RemoteActor,
    accepted: bool,
) -> Result<()> {
    let follow_id = activity.object_id().map(|u| u.as_str()).unwrap_or_default();
    // The follow this answers: by the Follow's id, or by the embedded Follow's actor.
    let by_id = if follow_id.is_empty() {
        None
    } else {
        follows::by_activity(&state.db, follow_id, &from.uri).await?
    };
    let follow = match by_id {
        Some(f) => Some(f),
        None => match activity.embedded_activity() {
            Some(follow) => follows::get(&state.db, follow.actor.as_str(), &from.uri).await?,
            None => None,
        },
    };
    let Some(follow) = follow else {
        tracing::info!(actor = %from.uri, "answer to an unknown follow ignored");
        return Ok(());
    };
    if accepted {
        follows::set_accepted(&state.db, &follow.follower, &follow.followee).await?;
        // A newly followed person, company or space: its recent public posts are read from its
        // outbox, in the background (a project's group sends its own backfill).
        if !follow.accepted() && from.kind != "Group" {
            let (state, actor) = (state.clone(), from.clone());
            tokio::spawn(async move {
                if let Err(e) = crate::posts::backfill::from_outbox(&state, &actor).await {
                    tracing::warn!(actor = %actor.uri, error = %e, "outbox backfill failed");
                }
            });
        }
    } else {
        follows::remove(&state.db, &follow.follower, &follow.followee).await?;
    }
    // A group elsewhere (a project of another space or a community) answered a request to
    // join it: the member hears about it. Both are a `Follow` of a `Group`; its page here leads
    // to both what it relays and, for a project, its board.
    if from.kind == "Group" && !follow.accepted() {
        if let Some(member) = actors::by_uri(state, &follow.follower).await? {
            let summary = if accepted {
                format!("accepted your request to join {}", from.display_name())
            } else {
                format!("declined your request to join {}", from.display_name())
            };
            let link = format!(
                "/actors?uri={}",
                crate::federation::urls::urlencode(&from.uri)
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
pub async fn on_undo_follow(state: &AppState, inner: &Activity, from: &RemoteActor) -> Result<()> {
    if !authority::own_activity(from, inner, "Undo Follow") {
        return Ok(());
    }
    let followee = inner.object_id().map(|u| u.as_str()).unwrap_or_default();
    follows::remove(&state.db, &from.uri, followee).await?;
    Ok(())
}

/// `Undo` whose object is only the id of an earlier activity: if that was the sender's Follow,
/// the sender stops following.
pub async fn on_undo_by_id(state: &AppState, activity_id: &str, from: &RemoteActor) -> Result<()> {
    if !follows::remove_by_activity(&state.db, &from.uri, activity_id).await? {
        tracing::info!(actor = %from.uri, "undo of an unknown activity ignored");
    }
    Ok(())
}

/// A new member of a project gets what the project already holds.
async fn backfill(state: &AppState, project: &Identity, member: &RemoteActor) -> Result<()> {
    match projects::store::by_handle(&state.db, &project.handle).await? {
        Some(project) => projects::federate::backfill(state, &project, member).await,
        None => Ok(()),
    }
}
