//! Wire types: the ActivityStreams documents Guildhall sends and reads, as `serde` types. No
//! database access here; the features build these from their own models.
//!
//! - [`context`]: the `@context` we send (every custom term defined inline), constants, dates.
//! - [`common`]: the lenient pieces ([`OneOrMany`], [`ObjectOrLink`], [`Link`], [`Audience`],
//!   [`Addressing`], [`Source`], [`Tag`], [`Attachment`]).
//! - [`activities`]: [`Activity`] and [`ActivityKind`]; [`objects`]: [`Object`] (chosen by
//!   `type`), [`Note`], [`Document`], [`Tombstone`]; [`event`]: [`Event`]; [`actors`]:
//!   [`Actor`]; [`collections`]: [`Collection`]; [`reservation`]: [`Reservation`],
//!   [`Resource`], [`ResourceList`] (visits across spaces).
//!
//! **One type both ways.** Each document type is generic over the type of its addresses, `U`.
//! What we send uses `String` (our own addresses, already trusted; [`Actor`] defaults to it);
//! what we read uses [`RemoteUrl`](crate::federation::link::RemoteUrl) (the default of the other types), so an address in a typed
//! document has passed [`RemoteUrl::parse`](crate::federation::link::RemoteUrl::parse): a `javascript:` id fails the document with an error
//! naming it. Builders serialise the `String` form with `serde_json::to_value`, which writes
//! the same JSON the `json!` builders wrote.
//!
//! **Reading is tolerant** of what real servers send (see the fixtures under
//! `tests/fixtures/wire/`): one value or a list, a link or an embedded object, `type` as a list,
//! unknown properties ignored, optional properties missing or `null`. An optional property that
//! does not read (a refused address in `url`, a number where text belongs) counts as absent;
//! required ones (`id`, `type`, an activity's `actor`, an actor's `inbox`), the ids of
//! embedded objects of known types, and the addresses whose refusal would change what a
//! document means (`attributedTo`, a note's `inReplyTo`) fail the document. Inbound activities
//! are read here once, by the inbox processor of the composition layer. An object of an unknown type is kept as
//! received ([`Object::Other`]).
//!
//! **Why [`activities`], [`objects`], [`collections`] and [`event`] name one another.** The
//! documents nest that way: an activity's object is an [`Object`], which may itself be an
//! activity (an `Announce` of a `Create`), an actor, an event or a collection; a collection's
//! items are [`Object`]s; an [`Event`] carries its replies as a [`Collection`]. The types are
//! mutually recursive, so no shared module can break the circle ([`common`] already holds
//! every piece that is not recursive); one file for all four would pass 1,000 lines. The
//! circle stays, inside `wire/` only.
//!
//! **Plain `http`.** Whether `http://` addresses are admitted depends on the configuration
//! (`dev_http`), which `serde` cannot see. [`parse`] takes it as `allow_http` and holds it, for
//! the time of the (synchronous) deserialisation, in a thread-local that the `Deserialize` of
//! [`RemoteUrl`](crate::federation::link::RemoteUrl) reads; deserialising a [`RemoteUrl`](crate::federation::link::RemoteUrl) anywhere else admits `https` only.

pub mod activities;
pub mod actors;
pub mod collections;
pub mod common;
pub mod context;
pub mod event;
pub mod objects;
pub mod reservation;

#[cfg(test)]
mod tests;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use activities::{Activity, ActivityKind};
pub use actors::{Actor, Endpoints, Hashtag, Image, PropertyValue, PublicKey};
pub use collections::Collection;
pub use common::{
    Addressing, Attachment, Audience, Link, ObjectOrLink, OneOrMany, Source, Tag, MAX_ITEMS,
};
pub use context::{context, datetime, ACTIVITY_JSON, AS_PUBLIC, GUILDHALL_NS};
pub use event::{Event, Place, PostalAddress};
pub use objects::{Document, Note, Object, ObjectKind, Tombstone};
pub use reservation::{Reservation, Resource, ResourceList};

/// Why a document was refused: the JSON error, with the property at fault when `serde` names
/// it (`Note: address "javascript:alert(1)" is not an https address at line 1 column 40`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable document: {0}")]
pub struct WireError(pub String);

/// Reads a document of type `T` (an [`Activity`], an [`Object`], an `Actor<RemoteUrl>`…)
/// from the bytes a peer sent. `allow_http`: the configuration's `dev_http`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], allow_http: bool) -> Result<T, WireError> {
    common::with_http(allow_http, || serde_json::from_slice(bytes))
        .map_err(|e| WireError(e.to_string()))
}

/// Like [`parse`], from a document already read as JSON.
pub fn parse_value<T: DeserializeOwned>(doc: &Value, allow_http: bool) -> Result<T, WireError> {
    common::with_http(allow_http, || T::deserialize(doc)).map_err(|e| WireError(e.to_string()))
}

/// Like [`parse_value`], naming the property at fault in the error (`skills: invalid type:
/// string "Rust", expected a sequence`): for strict documents whose refusal a peer is told of or
/// an operator reads in the log.
pub fn parse_value_at<T: DeserializeOwned>(doc: &Value, allow_http: bool) -> Result<T, WireError> {
    common::with_http(allow_http, || serde_path_to_error::deserialize(doc))
        .map_err(|e| WireError(e.to_string()))
}

/// An inbound activity, as the inbox receives it.
pub fn parse_activity(bytes: &[u8], allow_http: bool) -> Result<Activity, WireError> {
    parse(bytes, allow_http)
}

/// What the dispatcher matches on: the activity's kind and its object's.
pub fn classify<U>(activity: &Activity<U>) -> (ActivityKind, ObjectKind) {
    (activity.kind(), activity.object_kind())
}

/// A document we send, as JSON, carrying our [`context()`]. (Writing these types cannot fail:
/// every map key is a string.)
pub fn document<T: Serialize>(doc: &T) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("@context".into(), context());
    }
    v
}
