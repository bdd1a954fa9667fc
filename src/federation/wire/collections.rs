//! Collections and their pages: `Collection`, `OrderedCollection` and their `…Page`s, as
//! followers, outboxes, an event's replies and a group's moderators are published.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{lenient, lenient_list, type_name, Link, ObjectOrLink};
use super::objects::Object;
use crate::federation::link::RemoteUrl;

/// A collection or a page of one. Items are addresses or embedded objects; items that do not
/// read are skipped (at most [`super::common::MAX_ITEMS`] are read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Collection<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub id: Option<U>,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub total_items: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub items: Option<Vec<ObjectOrLink<Object<U>, U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub ordered_items: Option<Vec<ObjectOrLink<Object<U>, U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub first: Option<ObjectOrLink<Collection<U>, U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub next: Option<Link<U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub part_of: Option<Link<U>>,
}

impl<U> Collection<U> {
    /// An unordered collection listing `items` (addresses), with their count.
    pub fn of_links(items: Vec<U>) -> Self {
        Collection {
            context_ld: None,
            id: None,
            kind: "Collection".into(),
            total_items: Some(items.len() as u64),
            items: Some(items.into_iter().map(ObjectOrLink::Link).collect()),
            ordered_items: None,
            first: None,
            next: None,
            part_of: None,
        }
    }

    /// The items, ordered or not, of this page.
    pub fn entries(&self) -> impl Iterator<Item = &ObjectOrLink<Object<U>, U>> {
        self.items.iter().chain(self.ordered_items.iter()).flatten()
    }
}
