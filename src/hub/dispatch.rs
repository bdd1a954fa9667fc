//! The one inbound dispatcher. A stored activity is read once into an [`Inbound`] (its kind and
//! its object's kind, see [`classify`]), and one `match` hands it to the handler of the feature
//! that owns it. A combination nobody handles is logged once and ignored.
//!
//! Adding an activity is one variant (classified in [`classify`]), one arm here and one handler
//! in the owning feature.

use serde_json::Value;

use crate::error::Result;
use crate::events::inbound as events;
use crate::events::model::{Event, Participant};
use crate::federation::authority;
use crate::federation::remote::{self, id_of};
use crate::hub::follows;
use crate::hub::inbound::actor;
use crate::hub::inbound::classify::classify;
use crate::posts::inbound::{self as posts, Reaction};
use crate::posts::model::Post;
use crate::projects::federate as projects;
use crate::projects::model::Project;
use crate::state::AppState;

/// An inbound activity, classified: (activity kind, object kind), with what the classification
/// found here.
#[derive(Debug)]
pub enum Inbound {
    Create(Object),
    Update(Object),
    Delete(Deleted),
    Follow,
    Accept(Answered),
    Reject(Answered),
    Undo(Undone),
    /// A `Join` of a local event.
    Join(Event),
    /// A `Leave` of a local event.
    Leave(Event),
    Like(Liked),
    Announce(Announced),
    /// Any other combination; `object` is the object's type, if it has one.
    Unhandled {
        object: Option<String>,
    },
}

/// The object of a `Create` or `Update`.
#[derive(Debug)]
pub enum Object {
    /// A remote `Event` (the document, embedded or fetched).
    Event(Value),
    /// A task, note or file of a remote project (`project`), sent outside its group's
    /// `Announce`.
    GroupItem { project: String },
    /// A member's task (`Page`) for a local project.
    Task(Project),
    /// A member's note (`Article`) for a local project.
    ProjectNote(Project),
    /// A member's comment (`Note`) on a local project's item.
    Comment(Project),
    /// A note, article, page or question (the document, embedded or fetched).
    Post(Value),
    /// The sender itself (an `Update` only).
    Actor,
}

/// What a `Delete` names.
#[derive(Debug)]
pub enum Deleted {
    /// An event held here (local or a remote copy).
    Event(Event),
    /// An item of a remote project, sent outside its group's `Announce`.
    GroupItem { project: String },
    /// A post held here.
    Post(Post),
    /// The sender itself.
    Actor,
    /// Another actor known here (its URI).
    OtherActor(String),
}

/// What an `Accept` or `Reject` answers.
#[derive(Debug)]
pub enum Answered {
    /// A `Join` (a local member's of a remote event, or the invitation of someone to a local
    /// event).
    Join(Participant),
    /// A local member's `Follow` (or anything else: the follows module finds out).
    Follow,
}

/// What an `Undo` takes back.
#[derive(Debug)]
pub enum Undone {
    /// The sender's `Join` of a local event.
    Join(Box<Event>),
    /// The sender's `Join` named by its id alone.
    JoinById(Participant),
    Like,
    Announce,
    Follow,
    /// An activity named by its id alone that is not a known `Join`: the sender's `Follow`
    /// with that id, if any.
    FollowById(String),
}

/// What a `Like` names.
#[derive(Debug)]
pub enum Liked {
    /// A local post.
    Post(Box<Post>),
    /// Anything else: likes of what is not ours are not tracked.
    NotOurs,
}

/// What an `Announce` shares.
#[derive(Debug)]
pub enum Announced {
    /// A local post, boosted.
    Post(Box<Post>),
    /// An activity of a remote project a local member joined, for its members.
    ToMembers,
}

/// What a stored activity does here; `actor_uri` is the verified sender.
pub async fn handle(state: &AppState, activity: &Value, actor_uri: &str) -> Result<()> {
    let Some(actor) = remote::by_uri(&state.db, actor_uri).await? else {
        return Ok(());
    };
    let inbound = classify(state, activity, &actor).await?;
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = activity.get("object").unwrap_or(&Value::Null);
    let actor = &actor;
    match inbound {
        Inbound::Create(Object::Event(doc)) | Inbound::Update(Object::Event(doc)) => {
            events::on_create(state, &doc, actor).await
        }
        Inbound::Create(Object::GroupItem { project })
        | Inbound::Update(Object::GroupItem { project })
        | Inbound::Delete(Deleted::GroupItem { project }) => {
            let id = id_of(object).unwrap_or_default();
            projects::on_item_outside_announce(actor, &project, id, kind);
            Ok(())
        }
        Inbound::Create(Object::Task(project)) | Inbound::Update(Object::Task(project)) => {
            projects::on_task(state, &project, activity, object, actor).await
        }
        Inbound::Create(Object::ProjectNote(project))
        | Inbound::Update(Object::ProjectNote(project)) => {
            projects::on_note(state, &project, activity, object, actor).await
        }
        Inbound::Create(Object::Comment(project)) => {
            projects::on_comment(state, &project, activity, object, actor, false).await
        }
        Inbound::Update(Object::Comment(project)) => {
            projects::on_comment(state, &project, activity, object, actor, true).await
        }
        Inbound::Create(Object::Post(doc)) => posts::on_create(state, &doc, actor, false).await,
        Inbound::Update(Object::Post(doc)) => posts::on_create(state, &doc, actor, true).await,
        Inbound::Update(Object::Actor) => actor::updated(state, &actor.uri).await,
        Inbound::Delete(Deleted::Event(event)) => events::on_delete(state, &event, actor).await,
        Inbound::Delete(Deleted::Post(post)) => posts::on_delete(state, &post, actor).await,
        Inbound::Delete(Deleted::Actor) => actor::deleted(state, &actor.uri).await,
        // An actor we know, deleted by someone else: only an actor deletes itself.
        Inbound::Delete(Deleted::OtherActor(target)) => {
            authority::is_owner(actor, &target, &target, "Delete");
            Ok(())
        }
        Inbound::Follow => follows::on_follow(state, activity, actor).await,
        Inbound::Accept(Answered::Join(p)) => events::on_answer(state, &p, actor, true).await,
        Inbound::Reject(Answered::Join(p)) => events::on_answer(state, &p, actor, false).await,
        Inbound::Accept(Answered::Follow) => follows::on_answer(state, activity, actor, true).await,
        Inbound::Reject(Answered::Follow) => {
            follows::on_answer(state, activity, actor, false).await
        }
        Inbound::Undo(Undone::Join(event)) => {
            events::on_undo_join(state, object, actor, &event).await
        }
        Inbound::Undo(Undone::JoinById(p)) => events::on_undo_join_by_id(state, &p, actor).await,
        Inbound::Undo(Undone::Like) => {
            posts::on_undo_reaction(state, object, actor, Reaction::Like).await
        }
        Inbound::Undo(Undone::Announce) => {
            posts::on_undo_reaction(state, object, actor, Reaction::Announce).await
        }
        Inbound::Undo(Undone::Follow) => follows::on_undo_follow(state, object, actor).await,
        Inbound::Undo(Undone::FollowById(id)) => follows::on_undo_by_id(state, &id, actor).await,
        Inbound::Join(event) => events::on_join(state, activity, actor, &event).await,
        Inbound::Leave(event) => events::on_leave(state, actor, &event).await,
        Inbound::Like(Liked::Post(post)) => posts::on_like(state, activity, &post, actor).await,
        Inbound::Like(Liked::NotOurs) => Ok(()),
        Inbound::Announce(Announced::Post(post)) => {
            posts::on_announce(state, activity, &post, actor).await
        }
        Inbound::Announce(Announced::ToMembers) => {
            projects::on_group_announce(state, activity, actor).await
        }
        // An actor is refreshed on its own `Update` only.
        Inbound::Create(Object::Actor) => unhandled(kind, Some("an actor"), &actor.uri),
        Inbound::Unhandled { object } => unhandled(kind, object.as_deref(), &actor.uri),
    }
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
