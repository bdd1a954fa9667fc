//! Actor documents: a member (`Person`), a company or the space (`Organization`), a project
//! (`Group`), and what other servers send (`Service`, `Application`, Lemmy's and Mobilizon's
//! `Group`s). One type both ways: [`Actor`] (addresses as `String`) is what the features build
//! and we serve; `Actor<RemoteUrl>` is what [`super::parse`] reads, where the addresses are
//! checked, optional properties a peer gets wrong are dropped and unknown ones are ignored.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{lenient, lenient_list, type_name, Link};
use super::context::context;
use crate::federation::urls::Urls;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct PublicKey<U = String> {
    pub id: U,
    /// Always set on what we send; some servers leave it out.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient_owner"
    )]
    pub owner: Option<U>,
    pub public_key_pem: String,
}

/// A key's `owner`: absent is fine, but one that is there must read (a refused address fails
/// the key, so a key cannot be passed off as anyone's).
fn lenient_owner<'de, D, U>(d: D) -> Result<Option<U>, D::Error>
where
    D: serde::Deserializer<'de>,
    U: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned"))]
pub struct Image<U = String> {
    /// `Image` when a server leaves it out.
    #[serde(
        rename = "type",
        default = "image_kind",
        deserialize_with = "type_name"
    )]
    pub kind: String,
    #[serde(
        rename = "mediaType",
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub media_type: Option<String>,
    pub url: Link<U>,
}

fn image_kind() -> String {
    "Image".into()
}

impl Image {
    pub fn new(url: String) -> Self {
        let media_type = if url.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        Image {
            kind: "Image".into(),
            media_type: Some(media_type.into()),
            url: Link(url),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Endpoints<U = String> {
    pub shared_inbox: U,
}

/// A profile field, as Mastodon shows it: a label and an HTML value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PropertyValue {
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

impl PropertyValue {
    pub fn new(name: &str, value_html: String) -> Self {
        PropertyValue {
            kind: "PropertyValue".into(),
            name: name.into(),
            value: value_html,
        }
    }
}

/// A hashtag: how members' and companies' skills travel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hashtag {
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    pub name: String,
}

impl Hashtag {
    pub fn new(name: String) -> Self {
        Hashtag {
            kind: "Hashtag".into(),
            name,
        }
    }
}

/// An actor document. `id` and `inbox` are required; a remote actor's other properties are
/// optional, and one that does not read (a refused address, a wrong type) counts as absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Actor<U = String> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub preferred_username: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub name: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub summary: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub url: Option<Link<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "first"
    )]
    pub icon: Option<Image<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "first"
    )]
    pub image: Option<Image<U>>,
    pub inbox: U,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub outbox: Option<Link<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub followers: Option<Link<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub following: Option<Link<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub endpoints: Option<Endpoints<U>>,
    /// Always set on what we send; absent when a remote actor's key does not read.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "first"
    )]
    pub public_key: Option<PublicKey<U>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub discoverable: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub indexable: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub manually_approves_followers: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub published: Option<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        deserialize_with = "list"
    )]
    pub attachment: Vec<PropertyValue>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        deserialize_with = "list"
    )]
    pub tag: Vec<Hashtag>,
    /// Company facets (Guildhall terms); absent on people.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub industry: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub company_size: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub hiring: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub open_to_collaborate: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub city: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub country: Option<String>,
    /// Skills as plain strings, beside the hashtags, so peers need not parse tag names.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        deserialize_with = "list"
    )]
    pub skills: Vec<String>,
    /// A project's owner (member or company); absent on other actors.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub attributed_to: Option<Link<U>>,
    /// A project's managers, as a collection (Lemmy's term for a community's moderators).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub moderators: Option<Link<U>>,
    /// FEP-8a8e: the actor's upcoming events, soonest first.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub upcoming_events: Option<Link<U>>,
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::<D, String>(d)?.unwrap_or_default())
}

/// One value, or the first of a list (Misskey and others may send a list of icons or keys);
/// absent when it does not read.
fn first<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
        one => one,
    };
    Ok(T::deserialize(v).ok())
}

fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(lenient_list(d)?.unwrap_or_default())
}

impl Actor {
    /// What every local actor shares: its id as its page, its collections under its id, the
    /// shared inbox and its key. Features fill in the rest.
    pub fn local(
        urls: &Urls,
        id: &str,
        kind: &str,
        username: &str,
        inbox: String,
        public_key_pem: String,
    ) -> Actor {
        Actor {
            context: Some(context()),
            id: id.to_string(),
            kind: kind.to_string(),
            preferred_username: username.to_string(),
            url: Some(Link(id.to_string())),
            inbox,
            outbox: Some(Link(urls.collection(id, "outbox"))),
            upcoming_events: Some(Link(urls.collection(id, "upcoming-events"))),
            followers: Some(Link(urls.collection(id, "followers"))),
            following: Some(Link(urls.collection(id, "following"))),
            endpoints: Some(Endpoints {
                shared_inbox: urls.shared_inbox(),
            }),
            public_key: Some(PublicKey {
                id: urls.key_id(id),
                owner: Some(id.to_string()),
                public_key_pem,
            }),
            ..Actor::default()
        }
    }
}
