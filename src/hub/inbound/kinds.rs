//! What the dispatcher matches on: an inbound activity classified as (activity kind, object
//! kind), with what the classification found here (the local event, post or project it names).
//! [`super::classify`] builds it; [`crate::hub::dispatch`] routes it. Documents travel as the
//! typed values of `crate::federation::wire`, read once by the inbox processor.

use crate::events::model::{Event, Participant};
use crate::federation::wire::{self, Activity, Note};
use crate::posts::model::Post;
use crate::projects::model::Project;
use crate::visits::Visit;

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
    /// A report (`Flag`), whatever it names: its handler keeps what is ours.
    Flag,
    /// A `Block` of the local member with this handle.
    Block(String),
    /// A visitor's `Offer` of a `Reservation` of a local resource (visits across spaces).
    Offer(Box<wire::Reservation>),
    /// Any other combination; `object` is the object's type, if it has one.
    Unhandled {
        object: Option<String>,
    },
}

/// The object of a `Create` or `Update`.
#[derive(Debug)]
pub enum Object {
    /// A remote `Event` (the document, embedded or fetched).
    Event(Box<wire::Event>),
    /// A task, note or file of a remote project (`project`), sent outside its group's
    /// `Announce`.
    GroupItem { project: String },
    /// A member's task (`Page`) for a local project.
    Task(Project, Box<Note>),
    /// A member's note (`Article`) for a local project.
    ProjectNote(Project, Box<Note>),
    /// A member's comment (`Note`) on a local project's item.
    Comment(Project, Box<Note>),
    /// A note, article, page or question (the document, embedded or fetched).
    Post(Box<Note>),
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
    /// A local member's `Offer` of a visit to the sender's space.
    Visit(Box<Visit>),
    /// A local member's `Follow` (or anything else: the follows module finds out).
    Follow,
}

/// What an `Undo` takes back.
#[derive(Debug)]
pub enum Undone {
    /// A `Join` (embedded) of a local event.
    Join(Box<Event>, Box<Activity>),
    /// The sender's `Join` named by its id alone.
    JoinById(Participant),
    /// An embedded `Like`, `Announce` or `Follow`.
    Like(Box<Activity>),
    Announce(Box<Activity>),
    Follow(Box<Activity>),
    /// An embedded `Block` of the local member with this handle.
    Block(String),
    /// A visitor's embedded `Offer` (cancelling their visit here).
    Offer(Box<Activity>),
    /// The host space's embedded `Accept` of a local member's visit (the host cancels it).
    VisitAccept(Box<Visit>),
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
    /// What a community (a remote group that is not a project) a local actor follows relays:
    /// a post or comment, or its author's `Create`, `Update` or `Delete` of one.
    Relay,
}
