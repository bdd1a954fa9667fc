//! Wire types: the JSON-LD documents Guildhall sends and reads. No database access here; the
//! features build these from their own models (`accounts::actor`, `companies::actor`,
//! `spaces::actor`).
//!
//! Every property we send must expand under JSON-LD, so terms outside ActivityStreams and the
//! security vocabulary are defined inline in [`context`], as Mastodon and Mobilizon do.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::urls::Urls;

pub const AS_PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The namespace of Guildhall's own terms.
pub const GUILDHALL_NS: &str = "https://w3id.org/guildhall#";

/// The `@context` of every document we serve.
pub fn context() -> Value {
    let mut ctx = json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "Hashtag": "as:Hashtag",
            "sensitive": "as:sensitive",
            "gh": GUILDHALL_NS,
            "industry": "gh:industry",
            "companySize": "gh:companySize",
            "hiring": { "@id": "gh:hiring", "@type": "xsd:boolean" },
            "openToCollaborate": { "@id": "gh:openToCollaborate", "@type": "xsd:boolean" },
            "city": "gh:city",
            "country": "gh:country",
            "skills": "gh:skills",
            "directoryKind": "gh:directoryKind",
            "spaceName": "gh:spaceName",
            "lemmy": "https://join-lemmy.org/ns#",
            "moderators": { "@id": "lemmy:moderators", "@type": "@id" },
            "taskStatus": "gh:taskStatus",
            "priority": "gh:priority",
            "assignees": { "@id": "gh:assignees", "@type": "@id" },
            "dueDate": { "@id": "gh:dueDate", "@type": "xsd:date" },
            "revision": { "@id": "gh:revision", "@type": "xsd:integer" },
            "fileSize": { "@id": "gh:fileSize", "@type": "xsd:integer" }
        }
    ]);
    if let Some(terms) = ctx.get_mut(2).and_then(Value::as_object_mut) {
        if let Value::Object(events) = event_terms() {
            terms.extend(events);
        }
    }
    ctx
}

/// Events: FEP-8a8e and Mobilizon's terms, with schema.org's place and capacity.
fn event_terms() -> Value {
    json!({
        "mz": "https://joinmobilizon.org/ns#",
        "pt": "https://joinpeertube.org/ns#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "fep8a8e": "https://w3id.org/fep/8a8e/",
        "upcomingEvents": { "@id": "fep8a8e:upcomingEvents", "@type": "@id" },
        "timezone": { "@id": "mz:timezone", "@type": "schema:Text" },
        "joinMode": "mz:joinMode",
        "participantCount": { "@id": "mz:participantCount", "@type": "xsd:integer" },
        "isOnline": { "@id": "mz:isOnline", "@type": "xsd:boolean" },
        "anonymousParticipationEnabled": { "@id": "mz:anonymousParticipationEnabled", "@type": "xsd:boolean" },
        "externalParticipationUrl": { "@id": "mz:externalParticipationUrl", "@type": "@id" },
        "repliesModerationOption": "mz:repliesModerationOption",
        "commentsEnabled": { "@id": "pt:commentsEnabled", "@type": "xsd:boolean" },
        "category": "schema:category",
        "maximumAttendeeCapacity": { "@id": "schema:maximumAttendeeCapacity", "@type": "xsd:integer" },
        "remainingAttendeeCapacity": { "@id": "schema:remainingAttendeeCapacity", "@type": "xsd:integer" },
        "eventStatus": { "@id": "fep8a8e:eventStatus", "@type": "@id" },
        "PostalAddress": "schema:PostalAddress",
        "address": "schema:address",
        "streetAddress": "schema:streetAddress",
        "postalCode": "schema:postalCode",
        "addressLocality": "schema:addressLocality",
        "addressCountry": "schema:addressCountry"
    })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Image {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    pub url: String,
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
            url,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: String,
}

/// A profile field, as Mastodon shows it: a label and an HTML value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PropertyValue {
    #[serde(rename = "type")]
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
    #[serde(rename = "type")]
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

/// An actor document: a member (`Person`), a company or the space (`Organization`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub icon: Option<Image>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<Image>,
    pub inbox: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub outbox: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub followers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub following: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discoverable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub indexable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub manually_approves_followers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub attachment: Vec<PropertyValue>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tag: Vec<Hashtag>,
    /// Company facets (Guildhall terms); absent on people.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub industry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub company_size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hiring: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub open_to_collaborate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub country: Option<String>,
    /// Skills as plain strings, beside the hashtags, so peers need not parse tag names.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub skills: Vec<String>,
    /// A project's owner (member or company); absent on other actors.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attributed_to: Option<String>,
    /// A project's managers, as a collection (Lemmy's term for a community's moderators).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub moderators: Option<String>,
    /// FEP-8a8e: the actor's upcoming events, soonest first.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub upcoming_events: Option<String>,
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
            url: Some(id.to_string()),
            inbox,
            outbox: Some(urls.collection(id, "outbox")),
            upcoming_events: Some(urls.collection(id, "upcoming-events")),
            followers: Some(urls.collection(id, "followers")),
            following: Some(urls.collection(id, "following")),
            endpoints: Some(Endpoints {
                shared_inbox: urls.shared_inbox(),
            }),
            public_key: PublicKey {
                id: urls.key_id(id),
                owner: id.to_string(),
                public_key_pem,
            },
            ..Actor::default()
        }
    }
}

/// Milliseconds since the epoch as an `xsd:dateTime` (`2026-11-24T01:19:01Z`).
pub fn datetime(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(datetime(1_795_000_000_000), "2026-11-18T11:06:40Z");
    }
}
