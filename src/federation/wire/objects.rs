//! Objects: `Note`, `Article`, `Page` and `Question` (one shape, [`Note`]), `Document`,
//! `Image`, `Video` and `Audio` ([`Document`]), `Tombstone`; and the [`Object`] enum that an
//! activity's `object` holds, chosen by `type`.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::activities::Activity;
use super::actors::Actor;
use super::collections::Collection;
use super::common::{
    lenient, lenient_list, type_name, type_of, Addressing, Attachment, Link, OneOrMany, Source, Tag,
};
use super::event::Event;
use super::reservation::Reservation;
use crate::federation::link::RemoteUrl;

/// A written post: Mastodon's and Misskey's `Note`, a titled `Article`, Lemmy's `Page` (and
/// Guildhall's tasks, with their terms), a poll (`Question`, read as its text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Note<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<OneOrMany<Link<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub summary: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub content: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub media_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub source: Option<Source>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub published: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub updated: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub url: Option<Link<U>>,
    #[serde(flatten)]
    pub address: Addressing<U>,
    /// The conversation (Pleroma, Guildhall) or the group (FEP-1b12) it belongs to.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub context: Option<Link<U>>,
    /// Mastodon's (and Pleroma's) conversation: an opaque identifier (often a `tag:` URI, not
    /// an address), so kept as text and never linked.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub conversation: Option<String>,
    /// What it answers. Not lenient: an answer to something that is not an acceptable address
    /// fails the document rather than reading as a post that answers nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Link<U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub tag: Option<Vec<Tag<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub attachment: Option<Vec<Attachment<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub sensitive: Option<bool>,
    /// A task's status, priority, assignees and due date; a note's revision (Guildhall terms).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub task_status: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub priority: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub assignees: Option<Vec<U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub due_date: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub revision: Option<i64>,
}

impl<U> Note<U> {
    /// A note of `kind` with its id and nothing else, for builders to fill in.
    pub fn new(kind: &str, id: U) -> Self {
        Note {
            context_ld: None,
            id,
            kind: kind.into(),
            attributed_to: None,
            name: None,
            summary: None,
            content: None,
            media_type: None,
            source: None,
            published: None,
            updated: None,
            url: None,
            address: Addressing::default(),
            context: None,
            conversation: None,
            in_reply_to: None,
            tag: None,
            attachment: None,
            sensitive: None,
            task_status: None,
            priority: None,
            assignees: None,
            due_date: None,
            revision: None,
        }
    }

    /// The author: the first `attributedTo`.
    pub fn author(&self) -> Option<&U> {
        self.attributed_to.as_ref()?.first().map(Link::get)
    }
}

/// A file: `Document` (a project's files, Mobilizon's banners), `Image`, `Video`, `Audio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Document<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<OneOrMany<Link<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub media_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub file_size: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub url: Option<Link<U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub content: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub published: Option<String>,
    #[serde(flatten)]
    pub address: Addressing<U>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub context: Option<Link<U>>,
}

/// What stands where a deleted object was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Tombstone<U = RemoteUrl> {
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub former_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub deleted: Option<String>,
}

impl<U> Tombstone<U> {
    pub fn new(id: U, former_type: Option<&str>) -> Self {
        Tombstone {
            id,
            kind: "Tombstone".into(),
            former_type: former_type.map(Into::into),
            deleted: None,
        }
    }
}

/// What kind of object an activity is about, for the dispatcher's `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Note,
    Article,
    Page,
    Question,
    Event,
    Document,
    Image,
    Person,
    Group,
    Organization,
    Service,
    Application,
    Tombstone,
    Collection,
    Reservation,
    /// An embedded activity (the Follow of an Accept, the Like of an Undo…).
    Activity(super::activities::ActivityKind),
    /// Only an address: what it names is known after a lookup or a fetch.
    Link,
    Other,
}

/// An embedded object, chosen by its `type`. A known type that does not read (a refused id, a
/// missing required property) fails the document; an unknown type is kept as received.
#[derive(Debug, Clone, PartialEq)]
pub enum Object<U = RemoteUrl> {
    Note(Note<U>),
    Article(Note<U>),
    Page(Note<U>),
    Question(Note<U>),
    Event(Box<Event<U>>),
    Document(Document<U>),
    Image(Document<U>),
    Person(Box<Actor<U>>),
    Group(Box<Actor<U>>),
    Organization(Box<Actor<U>>),
    Service(Box<Actor<U>>),
    Application(Box<Actor<U>>),
    Tombstone(Tombstone<U>),
    Collection(Box<Collection<U>>),
    Activity(Box<Activity<U>>),
    /// A visitor's reservation of a resource of a host space (the object of an `Offer`).
    Reservation(Box<Reservation<U>>),
    /// An object of a type Guildhall does not read, or a document relayed as received (a
    /// member's activity a group announces): written back unchanged.
    Other(Value),
}

impl<U> Object<U> {
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Note(_) => ObjectKind::Note,
            Object::Article(_) => ObjectKind::Article,
            Object::Page(_) => ObjectKind::Page,
            Object::Question(_) => ObjectKind::Question,
            Object::Event(_) => ObjectKind::Event,
            Object::Document(_) => ObjectKind::Document,
            Object::Image(_) => ObjectKind::Image,
            Object::Person(_) => ObjectKind::Person,
            Object::Group(_) => ObjectKind::Group,
            Object::Organization(_) => ObjectKind::Organization,
            Object::Service(_) => ObjectKind::Service,
            Object::Application(_) => ObjectKind::Application,
            Object::Tombstone(_) => ObjectKind::Tombstone,
            Object::Collection(_) => ObjectKind::Collection,
            Object::Activity(a) => ObjectKind::Activity(a.kind()),
            Object::Reservation(_) => ObjectKind::Reservation,
            Object::Other(_) => ObjectKind::Other,
        }
    }

    /// The `type` as written (the first, when a list); `None` for an unknown type without one.
    pub fn type_name(&self) -> Option<&str> {
        Some(match self {
            Object::Note(n) | Object::Article(n) | Object::Page(n) | Object::Question(n) => &n.kind,
            Object::Event(e) => &e.kind,
            Object::Document(d) | Object::Image(d) => &d.kind,
            Object::Person(a)
            | Object::Group(a)
            | Object::Organization(a)
            | Object::Service(a)
            | Object::Application(a) => &a.kind,
            Object::Tombstone(t) => &t.kind,
            Object::Collection(c) => &c.kind,
            Object::Activity(a) => &a.kind_name,
            Object::Reservation(r) => &r.kind,
            Object::Other(v) => return Some(type_of(v)).filter(|t| !t.is_empty()),
        })
    }

    /// A written post's fields (`Note`, `Article`, `Page`, `Question`).
    pub fn as_note(&self) -> Option<&Note<U>> {
        match self {
            Object::Note(n) | Object::Article(n) | Object::Page(n) | Object::Question(n) => Some(n),
            _ => None,
        }
    }

    /// The object's id (`None` for an unknown type without a string `id`, or a collection
    /// without one).
    pub fn id(&self) -> Option<&U> {
        match self {
            Object::Note(n) | Object::Article(n) | Object::Page(n) | Object::Question(n) => {
                Some(&n.id)
            }
            Object::Event(e) => Some(&e.id),
            Object::Document(d) | Object::Image(d) => Some(&d.id),
            Object::Person(a)
            | Object::Group(a)
            | Object::Organization(a)
            | Object::Service(a)
            | Object::Application(a) => Some(&a.id),
            Object::Tombstone(t) => Some(&t.id),
            Object::Collection(c) => c.id.as_ref(),
            Object::Activity(a) => Some(&a.id),
            Object::Reservation(r) => Some(&r.id),
            Object::Other(_) => None,
        }
    }
}

impl<U: Serialize> Serialize for Object<U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::Note(n) | Object::Article(n) | Object::Page(n) | Object::Question(n) => {
                n.serialize(s)
            }
            Object::Event(e) => e.serialize(s),
            Object::Document(d) | Object::Image(d) => d.serialize(s),
            Object::Person(a)
            | Object::Group(a)
            | Object::Organization(a)
            | Object::Service(a)
            | Object::Application(a) => a.serialize(s),
            Object::Tombstone(t) => t.serialize(s),
            Object::Collection(c) => c.serialize(s),
            Object::Activity(a) => a.serialize(s),
            Object::Reservation(r) => r.serialize(s),
            Object::Other(v) => v.serialize(s),
        }
    }
}

impl<'de, U: DeserializeOwned> Deserialize<'de> for Object<U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if !v.is_object() {
            return Err(D::Error::custom("expected an object"));
        }
        let kind = type_of(&v).to_string();
        fn read<T: DeserializeOwned, E: serde::de::Error>(v: Value, kind: &str) -> Result<T, E> {
            T::deserialize(v).map_err(|e| E::custom(format_args!("{kind}: {e}")))
        }
        Ok(match kind.as_str() {
            "Note" => Object::Note(read(v, &kind)?),
            "Article" => Object::Article(read(v, &kind)?),
            "Page" => Object::Page(read(v, &kind)?),
            "Question" => Object::Question(read(v, &kind)?),
            "Event" => Object::Event(Box::new(read(v, &kind)?)),
            "Document" | "Video" | "Audio" => Object::Document(read(v, &kind)?),
            "Image" => Object::Image(read(v, &kind)?),
            "Person" => Object::Person(Box::new(read(v, &kind)?)),
            "Group" => Object::Group(Box::new(read(v, &kind)?)),
            "Organization" => Object::Organization(Box::new(read(v, &kind)?)),
            "Service" => Object::Service(Box::new(read(v, &kind)?)),
            "Application" => Object::Application(Box::new(read(v, &kind)?)),
            "Tombstone" => Object::Tombstone(read(v, &kind)?),
            "Reservation" => Object::Reservation(Box::new(read(v, &kind)?)),
            "Collection" | "OrderedCollection" | "CollectionPage" | "OrderedCollectionPage" => {
                Object::Collection(Box::new(read(v, &kind)?))
            }
            k if super::activities::ActivityKind::from_type(k).is_some() => {
                Object::Activity(Box::new(read(v, &kind)?))
            }
            _ => Object::Other(v),
        })
    }
}
