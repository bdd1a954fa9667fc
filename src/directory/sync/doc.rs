//! The directory's documents as a peer sends them, as strict `serde` types: a collection page
//! that keeps its items raw ([`PageDoc`]), so that one bad item is refused alone, and the item
//! itself ([`EntryDoc`], also read from an actor document fetched or pushed), whose every
//! property has its type: a property of the wrong type (`skills: "Rust"`, `hiring: "yes"`)
//! refuses the item, naming the property. Only addresses a page merely links (`url`, `icon`,
//! `next`) are lenient: one that is not a web address counts as absent.
//!
//! This space publishes its own directory with the same types (`directory::publish`), with
//! `String` addresses where the reader holds [`RemoteUrl`]s, so what it sends is what it reads.

use serde::de::{DeserializeOwned, Error as _, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::MAX_ITEMS_PER_PAGE;
use crate::federation::link::RemoteUrl;
use crate::federation::wire::common::{lenient, type_name};
use crate::federation::wire::Link;

/// Skills an entry may list.
pub const MAX_SKILLS: usize = 50;

/// The directory collection itself (`GET /directory` without a cursor): its first page, as
/// an address or embedded. A collection that holds its items (`orderedItems`) is read as a
/// page ([`PageDoc`]) instead.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionDoc {
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_items: Option<i64>,
    /// Whether it holds its items (`orderedItems` present, whatever its value).
    #[serde(
        rename = "orderedItems",
        default,
        deserialize_with = "present",
        skip_serializing
    )]
    pub holds_items: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<First>,
}

/// A collection's `first`: the page's address, the page itself, or something else (which
/// leaves the collection without a first page).
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum First {
    Address(String),
    Page(Map<String, Value>),
    Other(Value),
}

/// A page of a peer's directory (or a collection holding its items): its type, its items as
/// received, and the address of the next page. `U` is the type of addresses: [`RemoteUrl`]
/// read, `String` sent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct PageDoc<U = RemoteUrl> {
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub part_of: Option<String>,
    #[serde(
        default,
        deserialize_with = "bounded_items",
        skip_serializing_if = "Option::is_none"
    )]
    pub ordered_items: Option<Vec<Value>>,
    #[serde(
        default,
        deserialize_with = "bounded_items",
        skip_serializing_if = "Option::is_none"
    )]
    pub items: Option<Vec<Value>>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<Link<U>>,
}

/// What an item is before it is read whole: a `Tombstone` needs nothing else.
#[derive(Debug, Deserialize)]
pub struct ItemHead {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
}

/// A removed entry, as a page lists it: read by its [`ItemHead`] (the rest is for people).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneDoc {
    pub id: String,
    /// `Tombstone`.
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient")]
    pub former_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_date",
        serialize_with = "date_out"
    )]
    pub deleted: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient_date",
        serialize_with = "date_out"
    )]
    pub updated: Option<i64>,
}

/// An entry of a peer's directory, or an actor document read as one. Text is still the peer's
/// (HTML to sanitise, lengths to clip); dates are Unix milliseconds. `U` is the type of
/// addresses: [`RemoteUrl`] read, `String` sent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct EntryDoc<U = RemoteUrl> {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Link<U>>,
    #[serde(
        default,
        deserialize_with = "icon",
        serialize_with = "image",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<U>,
    #[serde(
        default,
        deserialize_with = "skills",
        skip_serializing_if = "Option::is_none"
    )]
    pub skills: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hiring: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_to_collaborate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "date",
        serialize_with = "date_out",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<i64>,
    #[serde(
        default,
        deserialize_with = "date",
        serialize_with = "date_out",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<i64>,
    /// When it last changed; only people read it, so a bad value counts as absent.
    #[serde(
        default,
        deserialize_with = "lenient_date",
        serialize_with = "date_out",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<i64>,
}

/// A list of at most [`MAX_ITEMS_PER_PAGE`] items, refused as soon as it holds more (the rest
/// is not copied).
fn bounded_items<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Value>>, D::Error> {
    struct Bounded;
    impl<'de> Visitor<'de> for Bounded {
        type Value = Option<Vec<Value>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of items")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<Value>()? {
                if items.len() == MAX_ITEMS_PER_PAGE {
                    return Err(A::Error::custom(format_args!(
                        "more than {MAX_ITEMS_PER_PAGE} items"
                    )));
                }
                items.push(item);
            }
            Ok(Some(items))
        }
    }
    d.deserialize_any(Bounded)
}

/// A list of at most [`MAX_SKILLS`] texts.
fn skills<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let list = Option::<Vec<String>>::deserialize(d)?;
    if list.as_ref().is_some_and(|l| l.len() > MAX_SKILLS) {
        return Err(D::Error::custom(format_args!(
            "more than {MAX_SKILLS} skills"
        )));
    }
    Ok(list)
}

/// An RFC 3339 date as Unix milliseconds.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.timestamp_millis())
                .map_err(|_| D::Error::custom("not an RFC 3339 date"))
        })
        .transpose()
}

/// A property that is there, whatever its value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// An RFC 3339 date as Unix milliseconds, absent when it is not one.
fn lenient_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(date(Value::deserialize(d)?).ok().flatten())
}

/// Unix milliseconds written as an RFC 3339 date (the `null` of an absent one is never written:
/// the fields skip it).
fn date_out<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&crate::federation::wire::context::datetime(*ms)),
        None => s.serialize_none(),
    }
}

/// A picture's address written as an `Image`.
fn image<U: Serialize, S: Serializer>(url: &Option<U>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Image<'a, U> {
        #[serde(rename = "type")]
        kind: &'static str,
        url: &'a U,
    }
    match url {
        Some(url) => Image { kind: "Image", url }.serialize(s),
        None => s.serialize_none(),
    }
}

/// The picture's address: an `Image` (its `url`), an address, or the first of a list of them;
/// absent when it is not a web address.
fn icon<'de, D: Deserializer<'de>, U: DeserializeOwned>(d: D) -> Result<Option<U>, D::Error> {
    let first = match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
        one => one,
    };
    let target = match first {
        Value::Object(mut o) if o.contains_key("url") => o.remove("url").unwrap_or(Value::Null),
        other => other,
    };
    Ok(Link::<U>::deserialize(target).ok().map(|l| l.0))
}
