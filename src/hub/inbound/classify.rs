//! Reading an inbound activity (typed: [`Activity`]) into an [`Inbound`]: its kind, its object's
//! kind, and, where the kind alone does not say whose it is, a look-up of what the object names
//! here (the local event a `Join` names, the post a `Like` names, the project a task is
//! addressed to…). An object named only by its id is fetched from the sender's server once,
//! here, for a `Create` or `Update`, and read by the same typed layer.
//!
//! The order of the look-ups is the precedence between features where two could claim the same
//! activity: an `Event` before a project's item before a post; the answer to a `Join` before the
//! answer to a `Follow`.

use crate::error::Result;
use crate::events::inbound as events;
use crate::federation::fetch;
use crate::federation::remote::RemoteActor;
use crate::federation::wire::{self, Activity, ActivityKind, ObjectOrLink};
use crate::hub::inbound::actor;
use crate::hub::inbound::kinds::{Announced, Answered, Deleted, Inbound, Liked, Object, Undone};
use crate::posts::inbound as posts;
use crate::projects::federate as projects;
use crate::state::AppState;

/// Classifies `activity`, sent by `actor`.
pub async fn classify(
    state: &AppState,
    activity: &Activity,
    actor: &RemoteActor,
) -> Result<Inbound> {
    let object_id = activity.object_id().map(|u| u.as_str());
    Ok(match activity.kind() {
        ActivityKind::Create => match created(state, activity, actor, false).await? {
            Some(o) => Inbound::Create(o),
            None => unhandled(activity),
        },
        ActivityKind::Update => match created(state, activity, actor, true).await? {
            Some(o) => Inbound::Update(o),
            None => unhandled(activity),
        },
        ActivityKind::Delete => match deleted(state, object_id, actor).await? {
            Some(d) => Inbound::Delete(d),
            None => unhandled(activity),
        },
        ActivityKind::Follow => Inbound::Follow,
        ActivityKind::Accept => Inbound::Accept(answered(state, activity).await?),
        ActivityKind::Reject => Inbound::Reject(answered(state, activity).await?),
        ActivityKind::Undo => match undone(state, activity, actor).await? {
            Some(u) => Inbound::Undo(u),
            None => unhandled(activity),
        },
        ActivityKind::Join => match events::local_event(state, object_id).await? {
            Some(event) => Inbound::Join(event),
            None => unhandled(activity),
        },
        ActivityKind::Leave => match events::local_event(state, object_id).await? {
            Some(event) => Inbound::Leave(event),
            None => unhandled(activity),
        },
        // An emoji reaction is a like with its emoji (`crate::posts::emoji`).
        ActivityKind::Like | ActivityKind::EmojiReact => match object_id {
            Some(uri) => match posts::reactable(state, uri).await? {
                Some(post) => Inbound::Like(Liked::Post(Box::new(post))),
                None => Inbound::Like(Liked::NotOurs),
            },
            None => unhandled(activity),
        },
        ActivityKind::Announce => match announced(state, activity, actor).await? {
            Some(a) => Inbound::Announce(a),
            None => unhandled(activity),
        },
        ActivityKind::Flag => Inbound::Flag,
        ActivityKind::Offer => match activity.embedded() {
            Some(wire::Object::Reservation(r)) => Inbound::Offer(r.clone()),
            _ => unhandled(activity),
        },
        ActivityKind::Block => match blocked_member(state, activity) {
            Some(handle) => Inbound::Block(handle),
            None => unhandled(activity),
        },
        _ => unhandled(activity),
    })
}

/// The handle of the local member a `Block` names. A `Block` with a `target` (Lemmy's ban
/// from a community or an instance) is not one account blocking another: not ours to act on.
fn blocked_member(state: &AppState, activity: &Activity) -> Option<String> {
    if activity.target.is_some() {
        return None;
    }
    let uri = activity.object_id()?.as_str();
    let urls = crate::federation::urls::Urls::new(&state.config);
    uri.strip_prefix(&format!("{}/members/", urls.base()))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .map(str::to_string)
}

fn unhandled(activity: &Activity) -> Inbound {
    Inbound::Unhandled {
        object: activity
            .embedded()
            .and_then(wire::Object::type_name)
            .map(str::to_string),
    }
}

/// The object of a `Create` or `Update`.
async fn created(
    state: &AppState,
    activity: &Activity,
    actor: &RemoteActor,
    update: bool,
) -> Result<Option<Object>> {
    let document = document(state, activity.object(), actor).await;
    if let Some(wire::Object::Event(event)) = &document {
        return Ok(Some(Object::Event(event.clone())));
    }
    let id = activity.object_id().map(|u| u.as_str());
    if let Some(id) = id {
        if let Some(project) = projects::project_of_item(state, id).await? {
            if projects::is_remote_project(state, &project) {
                return Ok(Some(Object::GroupItem { project }));
            }
        }
    }
    // Contributions to a local project come embedded (the group announces them as sent).
    if let Some(note) = activity.embedded().and_then(wire::Object::as_note) {
        if let Some(project) = projects::local_project_of(state, note).await? {
            let note = Box::new(note.clone());
            return Ok(match activity.embedded() {
                Some(wire::Object::Page(_)) => Some(Object::Task(project, note)),
                Some(wire::Object::Article(_)) => Some(Object::ProjectNote(project, note)),
                Some(wire::Object::Note(_)) => Some(Object::Comment(project, note)),
                _ => None,
            });
        }
    }
    if let Some(note) = document.as_ref().and_then(posts::as_post) {
        return Ok(Some(Object::Post(Box::new(note.clone()))));
    }
    if update && id == Some(actor.uri.as_str()) {
        return Ok(Some(Object::Actor));
    }
    Ok(None)
}

/// The embedded object, or the document fetched (signed by this space) from the sender's
/// server when only its id was sent, read by the typed layer; `None` (logged) when that cannot
/// be had.
async fn document(
    state: &AppState,
    object: Option<&ObjectOrLink<wire::Object>>,
    actor: &RemoteActor,
) -> Option<wire::Object> {
    match object? {
        ObjectOrLink::Object(o) => Some((**o).clone()),
        ObjectOrLink::Link(uri) => fetch::object(state, uri.as_str(), &actor.host).await,
    }
}

/// What a `Delete` names.
async fn deleted(
    state: &AppState,
    uri: Option<&str>,
    actor: &RemoteActor,
) -> Result<Option<Deleted>> {
    let Some(uri) = uri else {
        return Ok(None);
    };
    if let Some(event) = events::event(state, uri).await? {
        return Ok(Some(Deleted::Event(event)));
    }
    if let Some(project) = projects::project_of_item(state, uri).await? {
        if projects::is_remote_project(state, &project) {
            return Ok(Some(Deleted::GroupItem { project }));
        }
    }
    if let Some(post) = crate::posts::store::by_uri(&state.db, uri).await? {
        return Ok(Some(Deleted::Post(post)));
    }
    if uri == actor.uri {
        return Ok(Some(Deleted::Actor));
    }
    if actor::is_known(state, uri).await? {
        return Ok(Some(Deleted::OtherActor(uri.to_string())));
    }
    Ok(None)
}

/// What an `Accept` or `Reject` answers: a visit's `Offer` or a `Join` known here, else a
/// `Follow`.
async fn answered(state: &AppState, activity: &Activity) -> Result<Answered> {
    if let Some(visit) = crate::visits::guest::answered(state, activity).await? {
        return Ok(Answered::Visit(Box::new(visit)));
    }
    Ok(match events::answered_join(state, activity).await? {
        Some(participant) => Answered::Join(participant),
        None => Answered::Follow,
    })
}

/// What an `Undo` takes back.
async fn undone(
    state: &AppState,
    activity: &Activity,
    actor: &RemoteActor,
) -> Result<Option<Undone>> {
    let inner = match activity.object() {
        None => return Ok(None),
        // Some servers undo by the activity's id alone: only the sender's own Join or Follow
        // with that id can match.
        Some(ObjectOrLink::Link(id)) => {
            return Ok(Some(
                match events::joined_by(state, id.as_str(), actor).await? {
                    Some(participant) => Undone::JoinById(participant),
                    None => Undone::FollowById(id.to_string()),
                },
            ));
        }
        Some(ObjectOrLink::Object(_)) => match activity.embedded_activity() {
            Some(inner) => inner,
            None => return Ok(None),
        },
    };
    let boxed = || Box::new(inner.clone());
    Ok(match inner.kind() {
        ActivityKind::Join => events::local_event(state, inner.object_id().map(|u| u.as_str()))
            .await?
            .map(|event| Undone::Join(Box::new(event), boxed())),
        ActivityKind::Like | ActivityKind::EmojiReact => Some(Undone::Like(boxed())),
        ActivityKind::Announce => Some(Undone::Announce(boxed())),
        ActivityKind::Follow => Some(Undone::Follow(boxed())),
        ActivityKind::Block => blocked_member(state, inner).map(Undone::Block),
        ActivityKind::Offer => Some(Undone::Offer(boxed())),
        ActivityKind::Accept => crate::visits::guest::answered(state, inner)
            .await?
            .map(|v| Undone::VisitAccept(Box::new(v))),
        _ => None,
    })
}

/// What an `Announce` shares: a remote project's activity for its members here, a local
/// post, or what a community a local actor follows relays.
async fn announced(
    state: &AppState,
    activity: &Activity,
    actor: &RemoteActor,
) -> Result<Option<Announced>> {
    let uri = activity.object_id().map(|u| u.as_str());
    // A pending join counts: the group's first announces may overtake its Accept. Following a
    // project elsewhere and following a community are the same `Follow` of a `Group`: what is
    // announced says which it is.
    if actor.kind == "Group" && projects::joined_here(state, &actor.uri).await? {
        return Ok(Some(if community_post(state, activity).await? {
            Announced::Relay
        } else {
            Announced::ToMembers
        }));
    }
    let Some(uri) = uri else {
        return Ok(None);
    };
    if let Some(post) = posts::reactable(state, uri).await? {
        return Ok(Some(Announced::Post(Box::new(post))));
    }
    // Boosts of posts that are not ours are not tracked, but a community's are what it relays.
    if actor.kind == "Group" && crate::posts::groups::followed_here(state, &actor.uri).await? {
        return Ok(Some(Announced::Relay));
    }
    Ok(None)
}

/// Whether what a followed group announces is a community's post or comment rather than an item
/// of a project elsewhere: a post announced as itself or named by id (a project's group embeds
/// its items), a `Page` that is no task (Lemmy's posts), a `Note` that neither answers a project's
/// item nor has the group as its `context` (Lemmy's comments), a `Delete` of what is not a
/// project's item.
async fn community_post(state: &AppState, announce: &Activity) -> Result<bool> {
    let Some(inner) = announce.embedded_activity() else {
        return Ok(true);
    };
    let group = announce.actor.as_str();
    match inner.kind() {
        ActivityKind::Create | ActivityKind::Update => Ok(match inner.embedded() {
            None => true,
            Some(wire::Object::Page(page)) => page.task_status.is_none(),
            Some(wire::Object::Note(note)) => {
                let in_project = match &note.in_reply_to {
                    Some(parent) => projects::project_of_item(state, parent.as_str())
                        .await?
                        .is_some(),
                    None => false,
                };
                !in_project && note.context.as_ref().map(|c| c.as_str()) != Some(group)
            }
            Some(_) => false,
        }),
        ActivityKind::Delete => Ok(match inner.object_id() {
            Some(id) => projects::project_of_item(state, id.as_str())
                .await?
                .is_none(),
            None => false,
        }),
        _ => Ok(false),
    }
}
