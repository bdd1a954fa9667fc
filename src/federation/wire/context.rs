//! The `@context` of every document we send, the constants of the protocol, and dates as the
//! wire writes them.
//!
//! Every property we send must expand under JSON-LD, so terms outside ActivityStreams and the
//! security vocabulary are defined inline in [`context`], as Mastodon and Mobilizon do.

use serde_json::{json, Value};

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
            "fileSize": { "@id": "gh:fileSize", "@type": "xsd:integer" },
            "Reservation": "gh:Reservation",
            "Resource": "gh:Resource",
            "resource": { "@id": "gh:resource", "@type": "@id" },
            "resourceKind": "gh:resourceKind",
            "capacity": { "@id": "gh:capacity", "@type": "xsd:integer" },
            "slotMinutes": { "@id": "gh:slotMinutes", "@type": "xsd:integer" },
            "minMinutes": { "@id": "gh:minMinutes", "@type": "xsd:integer" },
            "maxMinutes": { "@id": "gh:maxMinutes", "@type": "xsd:integer" }
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
