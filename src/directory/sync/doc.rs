//! The directory's documents as a peer sends them, as strict `serde` types: a collection page
//! that keeps its items raw ([`PageDoc`]), so that one bad item is refused alone, and the item
//! itself ([`EntryDoc`], also read from an actor document fetched or pushed), whose every
//! property has its type: a property of the wrong type (`skills: "Rust"`, `hiring: "yes"`)
//! refuses the item, naming the property. Only addresses a page merely links (`url`, `icon`,
//! `next`) are lenient: one that is not a web address counts as absent.

use serde::de::{Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::MAX_ITEMS_PER_PAGE;
use crate::federation::link::RemoteUrl;
use crate::federation::wire::common::{lenient, type_name};
use crate::federation::wire::Link;

/// Skills an entry may list.
pub const MAX_SKILLS: usize = 50;

/// A page of a peer's directory (or a collection holding its items): its type, its items as
/// received, and the address of the next page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDoc {
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, deserialize_with = "bounded_items")]
    pub ordered_items: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "bounded_items")]
    pub items: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "lenient")]
    pub next: Option<Link<RemoteUrl>>,
}

/// What an item is before it is read whole: a `Tombstone` needs nothing else.
#[derive(Debug, Deserialize)]
pub struct ItemHead {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
}

/// An entry of a peer's directory, or an actor document read as one. Text is still the peer's
/// (HTML to sanitise, lengths to clip); dates are Unix milliseconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryDoc {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default)]
    pub directory_kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<Link<RemoteUrl>>,
    #[serde(default, deserialize_with = "icon")]
    pub icon: Option<RemoteUrl>,
    #[serde(default, deserialize_with = "skills")]
    pub skills: Option<Vec<String>>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub space_name: Option<String>,
    #[serde(default)]
    pub hiring: Option<bool>,
    #[serde(default)]
    pub open_to_collaborate: Option<bool>,
    #[serde(default)]
    pub discoverable: Option<bool>,
    #[serde(default)]
    pub indexable: Option<bool>,
    #[serde(default, deserialize_with = "date")]
    pub start_time: Option<i64>,
    #[serde(default, deserialize_with = "date")]
    pub end_time: Option<i64>,
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

/// The picture's address: an `Image` (its `url`), an address, or the first of a list of them;
/// absent when it is not a web address.
fn icon<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RemoteUrl>, D::Error> {
    let first = match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
        one => one,
    };
    let target = match first {
        Value::Object(mut o) if o.contains_key("url") => o.remove("url").unwrap_or(Value::Null),
        other => other,
    };
    Ok(Link::<RemoteUrl>::deserialize(target).ok().map(|l| l.0))
}
