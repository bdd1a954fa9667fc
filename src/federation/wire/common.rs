//! The lenient building blocks of every wire document: one value or a list ([`OneOrMany`]), a
//! link or an embedded object ([`ObjectOrLink`], [`Link`]), addressing ([`Addressing`]), a
//! `source` written as text or as an object ([`Source`]), tags and attachments; and the
//! deserialisation of a [`RemoteUrl`], which applies the scheme rule of the parse in progress
//! (see the module documentation of [`super`]).

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::context::AS_PUBLIC;
use crate::federation::link::RemoteUrl;

/// The most items read from one list in a remote document; the rest are ignored.
pub const MAX_ITEMS: usize = 1000;

thread_local! {
    /// Whether the parse running on this thread admits plain `http` addresses.
    static ALLOW_HTTP: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a deserialisation) with plain `http` addresses admitted or not, restoring the
/// previous rule afterwards, even if `f` unwinds.
pub(super) fn with_http<R>(allow_http: bool, f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALLOW_HTTP.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(ALLOW_HTTP.with(|c| c.replace(allow_http)));
    f()
}

/// A remote address as a document field: parsed by [`RemoteUrl::parse`], with plain `http`
/// admitted only inside [`super::parse`] called with `allow_http` (https only elsewhere).
impl<'de> Deserialize<'de> for RemoteUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(d)?;
        let allow_http = ALLOW_HTTP.with(Cell::get);
        RemoteUrl::parse(&raw, allow_http).map_err(|e| {
            let shown: String = raw.chars().take(80).collect();
            D::Error::custom(format_args!("address {shown:?} {e}"))
        })
    }
}

fn from_value<T: DeserializeOwned, E: serde::de::Error>(v: Value) -> Result<T, E> {
    T::deserialize(v).map_err(E::custom)
}

/// The `type` of a document: a string, or the first string of a list (as some servers send
/// `["Note", "schema:Thing"]`). Empty when there is none.
pub fn type_of(v: &Value) -> &str {
    match v.get("type") {
        Some(Value::String(s)) => s,
        Some(Value::Array(items)) => items.iter().find_map(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

/// Deserialises a `type` property written as a string or a list of strings.
pub fn type_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match OneOrMany::<String>::deserialize(d)? {
        OneOrMany::One(s) => Ok(s),
        OneOrMany::Many(v) => v
            .into_iter()
            .next()
            .ok_or_else(|| D::Error::custom("empty type")),
    }
}

/// For optional properties a peer may get wrong: a value that does not read as `T` (a wrong
/// type, a refused address, `null`) is taken as absent rather than failing the document.
pub fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).ok())
}

/// Like [`lenient`] for lists: one value or a list, keeping the items that read as `T`.
pub fn lenient_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let items = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        one => vec![one],
    };
    Ok(Some(
        items
            .into_iter()
            .take(MAX_ITEMS)
            .filter_map(|i| T::deserialize(i).ok())
            .collect(),
    ))
}

/// Like [`lenient_list`], keeping the shape: one value stays [`OneOrMany::One`] (absent when it
/// does not read), a list keeps the items that read as `T`.
pub fn lenient_one_or_many<'de, D, T>(d: D) -> Result<Option<OneOrMany<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::Array(items) => Some(OneOrMany::Many(
            items
                .into_iter()
                .take(MAX_ITEMS)
                .filter_map(|i| T::deserialize(i).ok())
                .collect(),
        )),
        one => T::deserialize(one).ok().map(OneOrMany::One),
    })
}

/// A property that may hold one value or a list of them. Written back as it was built: a
/// single value stays single, a list stays a list (even of one).
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn first(&self) -> Option<&T> {
        match self {
            OneOrMany::One(t) => Some(t),
            OneOrMany::Many(v) => v.first(),
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t).iter(),
            OneOrMany::Many(v) => v.iter(),
        }
    }

    pub fn len(&self) -> usize {
        self.iter().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(v: Vec<T>) -> Self {
        OneOrMany::Many(v)
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(t) => t.serialize(s),
            OneOrMany::Many(v) => v.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .take(MAX_ITEMS)
                .map(from_value)
                .collect::<Result<Vec<T>, D::Error>>()
                .map(OneOrMany::Many),
            one => from_value(one).map(OneOrMany::One),
        }
    }
}

/// A reference to another document: its address, read from a string, from a `Link` (its
/// `href`) or an object (its `id`), or from a list of these (the first that reads; at most ten
/// are tried), as [`crate::federation::link::url_in`] does. Written as the bare address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link<U = RemoteUrl>(pub U);

impl<U> Link<U> {
    pub fn get(&self) -> &U {
        &self.0
    }
}

impl<U: AsRef<str>> Link<U> {
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

impl<U: fmt::Display> fmt::Display for Link<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<U: Serialize> Serialize for Link<U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, U: DeserializeOwned> Deserialize<'de> for Link<U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        link_in(Value::deserialize(d)?).map(Link)
    }
}

fn link_in<U: DeserializeOwned, E: serde::de::Error>(v: Value) -> Result<U, E> {
    match v {
        Value::String(_) => from_value(v),
        Value::Object(mut o) => match o.remove("href").or_else(|| o.remove("id")) {
            Some(inner @ Value::String(_)) => from_value(inner),
            _ => Err(E::custom("a link without an href or id")),
        },
        Value::Array(items) => {
            let mut first_error = None;
            for item in items.into_iter().take(10).filter(|i| !i.is_array()) {
                match link_in(item) {
                    Ok(u) => return Ok(u),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            Err(first_error.unwrap_or_else(|| E::custom("an empty list of links")))
        }
        other => Err(E::custom(format_args!(
            "expected a link, found {}",
            kind_of(&other)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A property holding either the address of a document or the document itself.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectOrLink<T, U = RemoteUrl> {
    Link(U),
    Object(Box<T>),
}

impl<T, U> ObjectOrLink<T, U> {
    pub fn object(&self) -> Option<&T> {
        match self {
            ObjectOrLink::Object(o) => Some(o),
            ObjectOrLink::Link(_) => None,
        }
    }

    pub fn link(&self) -> Option<&U> {
        match self {
            ObjectOrLink::Link(u) => Some(u),
            ObjectOrLink::Object(_) => None,
        }
    }
}

impl<T: Serialize, U: Serialize> Serialize for ObjectOrLink<T, U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ObjectOrLink::Link(u) => u.serialize(s),
            ObjectOrLink::Object(o) => o.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned, U: DeserializeOwned> Deserialize<'de> for ObjectOrLink<T, U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            v @ Value::String(_) => from_value(v).map(ObjectOrLink::Link),
            v @ Value::Object(_) => from_value(v).map(|o| ObjectOrLink::Object(Box::new(o))),
            other => Err(D::Error::custom(format_args!(
                "expected an address or an object, found {}",
                kind_of(&other)
            ))),
        }
    }
}

/// Who a document is addressed to: addresses, one or a list. `Public` and `as:Public` (the
/// compact forms of the public collection) read as [`AS_PUBLIC`]; entries that are not
/// acceptable addresses are skipped rather than failing the document. Written as a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Audience<U = RemoteUrl>(pub Vec<U>);

impl<U> Default for Audience<U> {
    fn default() -> Self {
        Audience(Vec::new())
    }
}

impl<U: AsRef<str>> Audience<U> {
    pub fn is_public(&self) -> bool {
        self.0.iter().any(|u| u.as_ref() == AS_PUBLIC)
    }

    pub fn contains(&self, uri: &str) -> bool {
        self.0.iter().any(|u| u.as_ref() == uri)
    }
}

impl<U: Serialize> Serialize for Audience<U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, U: DeserializeOwned> Deserialize<'de> for Audience<U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = match Value::deserialize(d)? {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            one => vec![one],
        };
        Ok(Audience(
            items
                .into_iter()
                .take(MAX_ITEMS)
                .filter_map(|i| {
                    let i = match i.as_str() {
                        Some("Public" | "as:Public") => Value::String(AS_PUBLIC.into()),
                        _ => i,
                    };
                    link_in::<U, serde_json::Error>(i).ok()
                })
                .collect(),
        ))
    }
}

/// `to`, `cc`, `bto`, `bcc` and `audience`, flattened into every object and activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned"))]
pub struct Addressing<U = RemoteUrl> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Audience<U>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Audience<U>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bto: Option<Audience<U>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcc: Option<Audience<U>>,
    /// FEP-1b12: the group a document belongs to.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub audience: Option<Link<U>>,
}

impl<U> Default for Addressing<U> {
    fn default() -> Self {
        Addressing {
            to: None,
            cc: None,
            bto: None,
            bcc: None,
            audience: None,
        }
    }
}

impl<U> Addressing<U> {
    /// `to` and `cc` as given (both written, even when empty), nothing else.
    pub fn to_cc(to: Vec<U>, cc: Vec<U>) -> Self {
        Addressing {
            to: Some(Audience(to)),
            cc: Some(Audience(cc)),
            ..Addressing::default()
        }
    }

    /// Every addressee: `to`, `cc`, `bto`, `bcc` and `audience`.
    pub fn all(&self) -> impl Iterator<Item = &U> {
        [&self.to, &self.cc, &self.bto, &self.bcc]
            .into_iter()
            .flatten()
            .flat_map(|a| a.0.iter())
            .chain(self.audience.as_ref().map(Link::get))
    }
}

/// The text a document was written from: Mastodon and Guildhall send
/// `{ "content": …, "mediaType": … }`, Pleroma a bare string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl Source {
    pub fn plain(content: impl Into<String>) -> Self {
        Source {
            content: content.into(),
            media_type: Some("text/plain".into()),
        }
    }

    /// What a member wrote in markdown (posts, tasks, project notes).
    pub fn markdown(content: impl Into<String>) -> Self {
        Source {
            content: content.into(),
            media_type: Some("text/markdown".into()),
        }
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Written {
            #[serde(default, deserialize_with = "lenient")]
            content: Option<String>,
            #[serde(default, deserialize_with = "lenient")]
            media_type: Option<String>,
        }
        match Value::deserialize(d)? {
            Value::String(content) => Ok(Source {
                content,
                media_type: None,
            }),
            v => {
                let w: Written = from_value(v)?;
                Ok(Source {
                    content: w.content.unwrap_or_default(),
                    media_type: w.media_type,
                })
            }
        }
    }
}

/// A tag: a `Mention` (of an actor), a `Hashtag`, an `Emoji`… Written with the properties set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned"))]
pub struct Tag<U = RemoteUrl> {
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub href: Option<Link<U>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub name: Option<String>,
}

/// An attachment: a `Document`/`Image` (its `url`, with `mediaType`, alt text as `name`,
/// `width` and `height`), a `Link` (its `href`), a `PropertyValue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Attachment<U = RemoteUrl> {
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
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
    pub href: Option<Link<U>>,
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
    pub value: Option<String>,
    /// A picture's size in pixels (Mastodon, Misskey and Guildhall send it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub width: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub height: Option<u32>,
}
