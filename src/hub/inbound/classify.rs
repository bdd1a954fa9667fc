//! Reading an inbound activity once into an [`Inbound`]: its type, its object's type, and,
//! where the type alone does not say whose it is, a look-up of what the object names here (the
//! local event a `Join` names, the post a `Like` names, the project a task is addressed to…).
//! An object named only by its id is fetched from the sender's server once, here, for a
//! `Create` or `Update`.
//!
//! The order of the look-ups is the precedence between features where two could claim the same
//! activity: an `Event` before a project's item before a post; the answer to a `Join` before the
//! answer to a `Follow`.

use serde_json::Value;

use crate::error::Result;
use crate::events::inbound as events;
use crate::federation::policy;
use crate::federation::remote::{self, id_of, RemoteActor};
use crate::hub::inbound::actor;
use crate::hub::inbound::kinds::{Announced, Answered, Deleted, Inbound, Liked, Object, Undone};
use crate::posts::inbound as posts;
use crate::projects::federate as projects;
use crate::state::AppState;

/// Classifies `activity`, sent by `actor`.
pub async fn classify(state: &AppState, activity: &Value, actor: &RemoteActor) -> Result<Inbound> {
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = activity.get("object").unwrap_or(&Value::Null);
    Ok(match kind {
        "Create" => match created(state, object, actor, false).await? {
            Some(o) => Inbound::Create(o),
            None => unhandled(object),
        },
        "Update" => match created(state, object, actor, true).await? {
            Some(o) => Inbound::Update(o),
            None => unhandled(object),
        },
        "Delete" => match deleted(state, object, actor).await? {
            Some(d) => Inbound::Delete(d),
            None => unhandled(object),
        },
        "Follow" => Inbound::Follow,
        "Accept" => Inbound::Accept(answered(state, object).await?),
        "Reject" => Inbound::Reject(answered(state, object).await?),
        "Undo" => match undone(state, object, actor).await? {
            Some(u) => Inbound::Undo(u),
            None => unhandled(object),
        },
        "Join" => match events::local_event(state, id_of(object)).await? {
            Some(event) => Inbound::Join(event),
            None => unhandled(object),
        },
        "Leave" => match events::local_event(state, id_of(object)).await? {
            Some(event) => Inbound::Leave(event),
            None => unhandled(object),
        },
        "Like" => match id_of(object) {
            Some(uri) => match posts::reactable(state, uri).await? {
                Some(post) => Inbound::Like(Liked::Post(Box::new(post))),
                None => Inbound::Like(Liked::NotOurs),
            },
            None => unhandled(object),
        },
        "Announce" => match announced(state, object, actor).await? {
            Some(a) => Inbound::Announce(a),
            None => unhandled(object),
        },
        _ => unhandled(object),
    })
}

fn unhandled(object: &Value) -> Inbound {
    Inbound::Unhandled {
        object: object
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// The object of a `Create` or `Update`.
async fn created(
    state: &AppState,
    object: &Value,
    actor: &RemoteActor,
    update: bool,
) -> Result<Option<Object>> {
    let document = document(state, object, actor).await;
    let type_of = |d: &Value| d.get("type").and_then(Value::as_str).map(str::to_string);
    if let Some(doc) = document
        .as_ref()
        .filter(|d| type_of(d).as_deref() == Some("Event"))
    {
        return Ok(Some(Object::Event(doc.clone())));
    }
    let id = id_of(object);
    if let Some(id) = id {
        if let Some(project) = projects::project_of_item(state, id).await? {
            if projects::is_remote_project(state, &project) {
                return Ok(Some(Object::GroupItem { project }));
            }
        }
    }
    // Contributions to a local project come embedded (the group announces them as sent).
    if object.is_object() {
        if let Some(project) = projects::local_project_of(state, object).await? {
            return Ok(match object.get("type").and_then(Value::as_str) {
                Some("Page") => Some(Object::Task(project)),
                Some("Article") => Some(Object::ProjectNote(project)),
                Some("Note") => Some(Object::Comment(project)),
                _ => None,
            });
        }
    }
    if let Some(doc) = document.filter(posts::is_post) {
        return Ok(Some(Object::Post(doc)));
    }
    if update && id == Some(actor.uri.as_str()) {
        return Ok(Some(Object::Actor));
    }
    Ok(None)
}

/// The embedded object, or the document fetched (signed by this space) from the sender's
/// server when only its id was sent; `None` (logged) when that cannot be had.
async fn document(state: &AppState, object: &Value, actor: &RemoteActor) -> Option<Value> {
    if object.is_object() {
        return Some(object.clone());
    }
    let uri = object.as_str()?;
    if policy::authority_of(uri).as_deref() != Some(actor.host.as_str()) {
        return None;
    }
    let signer = remote::instance_signer(state).await.ok()?;
    match state.client.get_json(uri, Some(&signer)).await {
        Ok(doc) if id_of(&doc) == Some(uri) => Some(doc),
        Ok(_) => None,
        Err(e) => {
            tracing::info!(object = uri, error = %e, "an object named by id could not be fetched");
            None
        }
    }
}

/// What a `Delete` names.
async fn deleted(state: &AppState, object: &Value, actor: &RemoteActor) -> Result<Option<Deleted>> {
    let Some(uri) = id_of(object) else {
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

/// What an `Accept` or `Reject` answers: a `Join` known here, else a `Follow`.
async fn answered(state: &AppState, object: &Value) -> Result<Answered> {
    Ok(match events::answered_join(state, object).await? {
        Some(participant) => Answered::Join(participant),
        None => Answered::Follow,
    })
}

/// What an `Undo` takes back.
async fn undone(state: &AppState, object: &Value, actor: &RemoteActor) -> Result<Option<Undone>> {
    if let Some(id) = object.as_str() {
        // Some servers undo by the activity's id alone: only the sender's own Join or Follow
        // with that id can match.
        return Ok(Some(match events::joined_by(state, id, actor).await? {
            Some(participant) => Undone::JoinById(participant),
            None => Undone::FollowById(id.to_string()),
        }));
    }
    Ok(match object.get("type").and_then(Value::as_str) {
        Some("Join") => events::local_event(state, object.get("object").and_then(id_of))
            .await?
            .map(|event| Undone::Join(Box::new(event))),
        Some("Like") => Some(Undone::Like),
        Some("Announce") => Some(Undone::Announce),
        Some("Follow") => Some(Undone::Follow),
        _ => None,
    })
}

/// What an `Announce` shares: a remote project's activity for its members here, or a local
/// post.
async fn announced(
    state: &AppState,
    object: &Value,
    actor: &RemoteActor,
) -> Result<Option<Announced>> {
    // A pending join counts: the group's first announces may overtake its Accept.
    if actor.kind == "Group" && projects::joined_here(state, &actor.uri).await? {
        return Ok(Some(Announced::ToMembers));
    }
    let Some(uri) = id_of(object) else {
        return Ok(None);
    };
    // Boosts of posts that are not ours are not tracked.
    Ok(posts::reactable(state, uri)
        .await?
        .map(|post| Announced::Post(Box::new(post))))
}
