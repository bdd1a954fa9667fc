//! Activities: one [`Activity`] document whose `type` names its [`ActivityKind`], with an
//! `actor`, an `object` (an address or an embedded [`Object`], one or a list: Mastodon's `Flag`
//! names several), an optional `target` and the usual addressing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{lenient, type_name, Addressing, Link, ObjectOrLink, OneOrMany};
use super::objects::{Object, ObjectKind};
use crate::federation::link::RemoteUrl;

/// The activities Guildhall sends or reads, and those it is ready to read (`Flag`, `Block`,
/// `Move`, `Add`, `Remove`), `Offer` (a visitor's reservation) and `EmojiReact`; [`ActivityKind::Other`] for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    Follow,
    Accept,
    Reject,
    Undo,
    Create,
    Update,
    Delete,
    Like,
    Announce,
    Join,
    Leave,
    Invite,
    Flag,
    Block,
    Move,
    Add,
    Remove,
    Offer,
    /// An emoji reaction (Pleroma, Akkoma): `content` is the emoji.
    EmojiReact,
    Other,
}

impl ActivityKind {
    const ALL: [ActivityKind; 19] = [
        ActivityKind::Follow,
        ActivityKind::Accept,
        ActivityKind::Reject,
        ActivityKind::Undo,
        ActivityKind::Create,
        ActivityKind::Update,
        ActivityKind::Delete,
        ActivityKind::Like,
        ActivityKind::Announce,
        ActivityKind::Join,
        ActivityKind::Leave,
        ActivityKind::Invite,
        ActivityKind::Flag,
        ActivityKind::Block,
        ActivityKind::Move,
        ActivityKind::Add,
        ActivityKind::Remove,
        ActivityKind::Offer,
        ActivityKind::EmojiReact,
    ];

    /// The `type` this kind is written as (`Other` has none of its own).
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Follow => "Follow",
            ActivityKind::Accept => "Accept",
            ActivityKind::Reject => "Reject",
            ActivityKind::Undo => "Undo",
            ActivityKind::Create => "Create",
            ActivityKind::Update => "Update",
            ActivityKind::Delete => "Delete",
            ActivityKind::Like => "Like",
            ActivityKind::Announce => "Announce",
            ActivityKind::Join => "Join",
            ActivityKind::Leave => "Leave",
            ActivityKind::Invite => "Invite",
            ActivityKind::Flag => "Flag",
            ActivityKind::Block => "Block",
            ActivityKind::Move => "Move",
            ActivityKind::Add => "Add",
            ActivityKind::Remove => "Remove",
            ActivityKind::Offer => "Offer",
            ActivityKind::EmojiReact => "EmojiReact",
            ActivityKind::Other => "",
        }
    }

    /// The kind a `type` names, if it is one listed here.
    pub fn from_type(t: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == t)
    }
}

/// An activity. What we send is built with [`Activity::new`] and written with `serde`; what
/// arrives is read by [`super::parse`]. Unknown properties (a Linked Data `signature`,
/// Pleroma's `state`, Lemmy's `removeData`) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Activity<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    /// The `type` as written; see [`Activity::kind`].
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind_name: String,
    pub actor: Link<U>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<OneOrMany<ObjectOrLink<Object<U>, U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub target: Option<ObjectOrLink<Object<U>, U>>,
    #[serde(flatten)]
    pub address: Addressing<U>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub published: Option<String>,
    /// A report's comment (`Flag`), a reaction's emoji (`EmojiReact`, `Like` from Misskey).
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
    pub summary: Option<String>,
    /// Misskey's reaction on a `Like`.
    #[serde(
        rename = "_misskey_reaction",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub misskey_reaction: Option<String>,
}

impl<U> Activity<U> {
    /// An activity of `kind` by `actor` about `object`, not yet addressed.
    pub fn new(kind: ActivityKind, id: U, actor: U, object: ObjectOrLink<Object<U>, U>) -> Self {
        Activity {
            context_ld: None,
            id,
            kind_name: kind.as_str().into(),
            actor: Link(actor),
            object: Some(OneOrMany::One(object)),
            target: None,
            address: Addressing::default(),
            published: None,
            content: None,
            summary: None,
            misskey_reaction: None,
        }
    }

    pub fn kind(&self) -> ActivityKind {
        ActivityKind::from_type(&self.kind_name).unwrap_or(ActivityKind::Other)
    }

    /// The object, or the first of them.
    pub fn object(&self) -> Option<&ObjectOrLink<Object<U>, U>> {
        self.object.as_ref()?.first()
    }

    /// The embedded object (the first), if the object is not only an address.
    pub fn embedded(&self) -> Option<&Object<U>> {
        self.object()?.object()
    }

    /// The embedded activity (the Follow of an Accept, the Like of an Undo, the Create a group
    /// announces), if the object is one.
    pub fn embedded_activity(&self) -> Option<&Activity<U>> {
        match self.embedded()? {
            Object::Activity(a) => Some(a),
            _ => None,
        }
    }

    /// What the object is: an embedded object's kind, or [`ObjectKind::Link`] for an address
    /// (also when there is none).
    pub fn object_kind(&self) -> ObjectKind {
        match self.object() {
            Some(ObjectOrLink::Object(o)) => o.kind(),
            _ => ObjectKind::Link,
        }
    }

    /// The object's address: the link, or the embedded object's id.
    pub fn object_id(&self) -> Option<&U> {
        match self.object()? {
            ObjectOrLink::Link(u) => Some(u),
            ObjectOrLink::Object(o) => o.id(),
        }
    }
}
