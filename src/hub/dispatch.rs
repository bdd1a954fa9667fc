//! The one inbound dispatcher. A stored activity, read once into the typed wire layer by the
//! inbox processor ([`crate::hub::inbound`]), is classified into an [`Inbound`] (its kind and
//! its object's kind, see [`classify`]), and one `match` hands it, typed, to the handler of the
//! feature that owns it. A combination nobody handles is logged once and ignored.
//!
//! An activity from a remote actor the moderators suspended is dropped here, once for every
//! feature, unless it only takes back what the actor did (see [`suspended_may`]).
//!
//! Adding an activity is one variant (classified in [`classify`]), one arm here and one handler
//! in the owning feature.

use serde_json::Value;

use crate::error::Result;
use crate::events::inbound as events;
use crate::federation::authority;
use crate::federation::remote::RemoteActor;
use crate::federation::wire::Activity;
use crate::hub::inbound::actor;
use crate::hub::inbound::classify::classify;
use crate::hub::inbound::kinds::{Announced, Answered, Deleted, Inbound, Liked, Object, Undone};
use crate::hub::{flags, follows, member_blocks};
use crate::moderation;
use crate::posts::inbound::{self as posts, Reaction};
use crate::projects::federate as projects;
use crate::state::AppState;
use crate::visits;

/// What a stored activity does here; `actor` is the verified sender as known here (read by the
/// processor). `raw` is the body as received, read by no handler: it is only relayed (a
/// group's `Announce` of a member's activity) or echoed (the `Follow` an `Accept` carries)
/// unchanged.
pub async fn handle(
    state: &AppState,
    activity: &Activity,
    raw: &Value,
    actor: &RemoteActor,
) -> Result<()> {
    let kind = activity.kind_name.as_str();
    if !suspended_may(kind) && moderation::blocks::is_suspended(state, &actor.uri).await? {
        tracing::info!(
            kind,
            actor = %actor.uri,
            "activity from a suspended actor dropped"
        );
        return Ok(());
    }
    let inbound = classify(state, activity, actor).await?;
    match inbound {
        Inbound::Create(Object::Event(doc)) | Inbound::Update(Object::Event(doc)) => {
            events::on_create(state, &doc, actor).await
        }
        Inbound::Create(Object::GroupItem { project })
        | Inbound::Update(Object::GroupItem { project })
        | Inbound::Delete(Deleted::GroupItem { project }) => {
            let id = activity.object_id().map(|u| u.as_str()).unwrap_or_default();
            projects::on_item_outside_announce(actor, &project, id, kind);
            Ok(())
        }
        Inbound::Create(Object::Task(project, task))
        | Inbound::Update(Object::Task(project, task)) => {
            projects::on_task(state, &project, raw, &task, actor).await
        }
        Inbound::Create(Object::ProjectNote(project, note))
        | Inbound::Update(Object::ProjectNote(project, note)) => {
            projects::on_note(state, &project, raw, &note, actor).await
        }
        Inbound::Create(Object::Comment(project, note)) => {
            projects::on_comment(state, &project, activity, raw, &note, actor, false).await
        }
        Inbound::Update(Object::Comment(project, note)) => {
            projects::on_comment(state, &project, activity, raw, &note, actor, true).await
        }
        Inbound::Create(Object::Post(doc)) => posts::on_create(state, &doc, actor, false).await,
        Inbound::Update(Object::Post(doc)) => posts::on_create(state, &doc, actor, true).await,
        Inbound::Update(Object::Actor) => actor::updated(state, &actor.uri).await,
        Inbound::Delete(Deleted::Event(event)) => events::on_delete(state, &event, actor).await,
        Inbound::Delete(Deleted::Post(post)) => posts::on_delete(state, &post, actor).await,
        Inbound::Delete(Deleted::Actor) => actor::deleted(state, actor).await,
        // An actor we know, deleted by someone else: only an actor deletes itself.
        Inbound::Delete(Deleted::OtherActor(target)) => {
            authority::is_owner(actor, &target, &target, "Delete");
            Ok(())
        }
        Inbound::Follow => follows::on_follow(state, activity, raw, actor).await,
        Inbound::Accept(Answered::Join(p)) => events::on_answer(state, &p, actor, true).await,
        Inbound::Reject(Answered::Join(p)) => events::on_answer(state, &p, actor, false).await,
        Inbound::Accept(Answered::Follow) => follows::on_answer(state, activity, actor, true).await,
        Inbound::Reject(Answered::Follow) => {
            follows::on_answer(state, activity, actor, false).await
        }
        Inbound::Undo(Undone::Join(event, join)) => {
            events::on_undo_join(state, &join, actor, &event).await
        }
        Inbound::Undo(Undone::JoinById(p)) => events::on_undo_join_by_id(state, &p, actor).await,
        Inbound::Undo(Undone::Like(like)) => {
            posts::on_undo_reaction(state, &like, actor, Reaction::Like).await
        }
        Inbound::Undo(Undone::Announce(boost)) => {
            posts::on_undo_reaction(state, &boost, actor, Reaction::Announce).await
        }
        Inbound::Undo(Undone::Follow(follow)) => {
            follows::on_undo_follow(state, &follow, actor).await
        }
        Inbound::Undo(Undone::FollowById(id)) => {
            // An id alone may name the sender's Block as well as its Follow.
            if member_blocks::on_undo_block_by_id(state, &id, actor).await? {
                return Ok(());
            }
            follows::on_undo_by_id(state, &id, actor).await
        }
        Inbound::Join(event) => events::on_join(state, activity, actor, &event).await,
        Inbound::Leave(event) => events::on_leave(state, actor, &event).await,
        Inbound::Like(Liked::Post(post)) => posts::on_like(state, activity, &post, actor).await,
        Inbound::Like(Liked::NotOurs) => Ok(()),
        Inbound::Announce(Announced::Post(post)) => {
            posts::on_announce(state, activity, &post, actor).await
        }
        Inbound::Announce(Announced::Relay) => {
            crate::posts::groups::on_announce(state, activity, actor).await
        }
        Inbound::Announce(Announced::ToMembers) => {
            projects::on_group_announce(state, activity, actor).await
        }
        Inbound::Flag => flags::on_flag(state, activity, actor).await,
        Inbound::Offer(reservation) => {
            visits::host::on_offer(state, activity, &reservation, actor).await
        }
        Inbound::Accept(Answered::Visit(v)) => {
            visits::guest::on_answer(state, &v, activity, actor, true).await
        }
        Inbound::Reject(Answered::Visit(v)) => {
            visits::guest::on_answer(state, &v, activity, actor, false).await
        }
        Inbound::Undo(Undone::Offer(offer)) => {
            visits::host::on_undo_offer(state, &offer, actor).await
        }
        Inbound::Undo(Undone::VisitAccept(v)) => {
            visits::guest::on_host_undo(state, &v, activity, actor).await
        }
        Inbound::Block(member) => member_blocks::on_block(state, activity, &member, actor).await,
        Inbound::Undo(Undone::Block(member)) => {
            member_blocks::on_undo_block(state, &member, actor).await
        }
        // An actor is refreshed on its own `Update` only.
        Inbound::Create(Object::Actor) => unhandled(kind, Some("an actor"), &actor.uri),
        Inbound::Unhandled { object } => unhandled(kind, object.as_deref(), &actor.uri),
    }
}

/// What a remote actor a moderator suspended may still do here: take back its own things
/// (`Delete` of its objects or of itself, `Undo` of its likes, boosts, follows, joins and
/// blocks), and `Follow`, which the follow rules answer with a `Reject`
/// ([`follows::on_follow`]). Everything else it sends is dropped before it is read further
/// (nothing fetched, stored, shown or notified), with one log line.
fn suspended_may(kind: &str) -> bool {
    matches!(kind, "Delete" | "Undo" | "Follow")
}

/// A combination nobody handles: logged once, ignored.
fn unhandled(kind: &str, object: Option<&str>, actor: &str) -> Result<()> {
    tracing::info!(
        kind,
        object = object.unwrap_or_default(),
        actor,
        "activity type not handled yet; ignored"
    );
    Ok(())
}
