//! An `Event` as FEP-8a8e and Mobilizon write it: times with their zone, a `Place` with a
//! schema.org `PostalAddress`, join mode, capacity and status, online address as a `Link`
//! attachment. Guildhall sends these terms and reads them from Mobilizon, Gancio and peers.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::collections::Collection;
use super::common::{
    lenient, lenient_list, lenient_one_or_many, type_name, Addressing, Attachment, Link, OneOrMany,
    Tag,
};
use crate::federation::link::RemoteUrl;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Event<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<OneOrMany<Link<U>>>,
    /// Who sent it, when a server names no `attributedTo` (read only as the organiser then).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub actor: Option<Link<U>>,
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
    pub start_time: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub end_time: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub timezone: Option<String>,
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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub category: Option<String>,
    /// Mobilizon: `free`, `restricted`, `invite`, `external`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub join_mode: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub participant_count: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub is_online: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub anonymous_participation_enabled: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub comments_enabled: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub replies_moderation_option: Option<String>,
    /// FEP-8a8e: `https://w3id.org/fep/8a8e/EventScheduled` and its siblings.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub event_status: Option<String>,
    /// Mobilizon's status: `CONFIRMED`, `TENTATIVE`, `CANCELLED`.
    #[serde(
        rename = "ical:status",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub ical_status: Option<String>,
    /// A bare `status`, as some servers write it (the same values as the two above).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub status: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub replies: Option<Collection<U>>,
    /// One place or several (Mobilizon sends a `Place`; others a list with a
    /// `VirtualLocation`); items that do not read are skipped.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_one_or_many"
    )]
    pub location: Option<OneOrMany<Place<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub attachment: Option<Vec<Attachment<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_list"
    )]
    pub tag: Option<Vec<Tag<U>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub maximum_attendee_capacity: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub remaining_attendee_capacity: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub external_participation_url: Option<Link<U>>,
}

impl<U> Event<U> {
    /// An event with its id and nothing else, for builders to fill in.
    pub fn new(id: U) -> Self {
        Event {
            context_ld: None,
            id,
            kind: "Event".into(),
            name: None,
            attributed_to: None,
            actor: None,
            summary: None,
            content: None,
            media_type: None,
            start_time: None,
            end_time: None,
            timezone: None,
            published: None,
            updated: None,
            url: None,
            address: Addressing::default(),
            category: None,
            join_mode: None,
            participant_count: None,
            is_online: None,
            anonymous_participation_enabled: None,
            comments_enabled: None,
            replies_moderation_option: None,
            event_status: None,
            ical_status: None,
            status: None,
            replies: None,
            location: None,
            attachment: None,
            tag: None,
            maximum_attendee_capacity: None,
            remaining_attendee_capacity: None,
            external_participation_url: None,
        }
    }
}

/// Where an event happens: a `Place` with a name and a postal address (Mobilizon adds an id,
/// latitude and longitude, which are not read), or a `VirtualLocation` with its `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned"))]
pub struct Place<U = RemoteUrl> {
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
    pub address: Option<PostalAddress>,
    /// A `VirtualLocation`'s address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub url: Option<Link<U>>,
}

/// schema.org's `PostalAddress`; Mobilizon also sends `addressRegion`, not read. Some servers
/// write the address as a plain string, which reads as its `streetAddress`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_country: Option<String>,
}

impl<'de> Deserialize<'de> for PostalAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Written {
            #[serde(rename = "type", deserialize_with = "type_name")]
            kind: String,
            #[serde(default, deserialize_with = "lenient")]
            street_address: Option<String>,
            #[serde(default, deserialize_with = "lenient")]
            postal_code: Option<String>,
            #[serde(default, deserialize_with = "lenient")]
            address_locality: Option<String>,
            #[serde(default, deserialize_with = "lenient")]
            address_country: Option<String>,
        }
        match Value::deserialize(d)? {
            Value::String(street) => Ok(PostalAddress {
                kind: "PostalAddress".into(),
                street_address: Some(street),
                postal_code: None,
                address_locality: None,
                address_country: None,
            }),
            v => {
                let w = Written::deserialize(v).map_err(serde::de::Error::custom)?;
                Ok(PostalAddress {
                    kind: w.kind,
                    street_address: w.street_address,
                    postal_code: w.postal_code,
                    address_locality: w.address_locality,
                    address_country: w.address_country,
                })
            }
        }
    }
}
