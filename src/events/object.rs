//! A local event as ActivityStreams: an `Event` following FEP-8a8e and Mobilizon's terms (all
//! defined inline in the `@context`), with a readable `summary` and `content` so servers that
//! only show text (Mastodon) still give the date, the place and the link; and the activities
//! of RSVP: `Join`, `Leave`, and the organiser's `Accept` / `Reject`.

use serde_json::{json, Value};

use super::model::{Event, EventVisibility, JoinMode, Status};
use super::times;
use crate::federation::activities::new_id;
use crate::federation::html::escape;
use crate::federation::protocol::{context, datetime, AS_PUBLIC};
use crate::federation::urls::Urls;

/// FEP-8a8e's status values.
fn event_status(s: Status) -> &'static str {
    match s {
        Status::Confirmed => "https://w3id.org/fep/8a8e/EventScheduled",
        Status::Tentative => "https://w3id.org/fep/8a8e/EventTentative",
        Status::Cancelled => "https://w3id.org/fep/8a8e/EventCancelled",
    }
}

/// `to` and `cc` of an event (members-only events are never sent).
pub fn addressing(event: &Event, followers: &str) -> (Vec<String>, Vec<String>) {
    match event.visibility {
        EventVisibility::Public => (vec![AS_PUBLIC.to_string()], vec![followers.to_string()]),
        EventVisibility::Followers => (vec![followers.to_string()], Vec::new()),
        EventVisibility::Members => (Vec::new(), Vec::new()),
    }
}

/// The plain-text lines that say when, where and how to join.
pub fn readable_lines(event: &Event) -> Vec<String> {
    let mut lines = Vec::new();
    if event.is_cancelled() {
        lines.push("CANCELLED".to_string());
    }
    lines.push(format!(
        "When: {}",
        times::span(event.starts_at, event.ends_at, &event.timezone)
    ));
    if event.has_place() {
        lines.push(format!("Where: {}", event.place_line()));
    }
    if !event.online_url.is_empty() {
        lines.push(format!("Online: {}", event.online_url));
    }
    if let Some(left) = event.remaining() {
        lines.push(format!(
            "Seats: {left} of {} left",
            event.capacity.unwrap_or_default()
        ));
    }
    lines
}

/// The description followed by the when/where/online block, as HTML.
pub fn readable_content(event: &Event, description_html: &str) -> String {
    let mut html = String::new();
    if event.is_cancelled() {
        html.push_str("<p><strong>This event is cancelled.</strong></p>");
    }
    html.push_str(description_html);
    html.push_str("<p>");
    html.push_str(&format!(
        "When: {}",
        escape(&times::span(
            event.starts_at,
            event.ends_at,
            &event.timezone
        ))
    ));
    if event.has_place() {
        html.push_str(&format!("<br>Where: {}", escape(&event.place_line())));
    }
    if !event.online_url.is_empty() {
        html.push_str(&format!(
            "<br>Online: <a href=\"{0}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{0}</a>",
            escape(&event.online_url)
        ));
    }
    html.push_str("</p>");
    html.push_str(&format!(
        "<p><a href=\"{0}\">Details and RSVP: {0}</a></p>",
        escape(&event.uri)
    ));
    html
}

/// The object of a local event. `replies` are the URIs of its public comments.
pub fn event(event: &Event, followers: &str, replies: &[String]) -> Value {
    let (to, cc) = addressing(event, followers);
    let mut doc = json!({
        "@context": context(),
        "id": event.uri,
        "type": "Event",
        "name": event.title,
        "attributedTo": event.organizer,
        "summary": escape(&readable_lines(event).join(" · ")),
        "content": readable_content(event, &event.content),
        "mediaType": "text/html",
        "startTime": times::wire(event.starts_at, &event.timezone),
        "endTime": times::wire(event.ends_at, &event.timezone),
        "timezone": event.timezone,
        "published": datetime(event.published_at),
        "updated": datetime(event.updated_at),
        "url": event.uri,
        "to": to,
        "cc": cc,
        "category": event.category,
        "joinMode": event.join_mode.wire(),
        "participantCount": event.participant_count,
        "isOnline": !event.online_url.is_empty(),
        "anonymousParticipationEnabled": false,
        "commentsEnabled": true,
        "repliesModerationOption": "allow_all",
        "eventStatus": event_status(event.status),
        "ical:status": event.status.ical(),
        "replies": {
            "type": "Collection",
            "totalItems": replies.len(),
            "items": replies,
        },
    });
    if event.has_place() {
        let mut address = json!({ "type": "PostalAddress" });
        for (key, value) in [
            ("streetAddress", &event.street_address),
            ("postalCode", &event.postal_code),
            ("addressLocality", &event.locality),
            ("addressCountry", &event.country),
        ] {
            if !value.is_empty() {
                address[key] = json!(value);
            }
        }
        let name = if event.place_name.is_empty() {
            event.place_line()
        } else {
            event.place_name.clone()
        };
        doc["location"] = json!({ "type": "Place", "name": name, "address": address });
    }
    if !event.online_url.is_empty() {
        // Mobilizon reads the online address from a `Link` attachment named "Website".
        doc["attachment"] = json!([{
            "type": "Link",
            "name": "Website",
            "mediaType": "text/html",
            "href": event.online_url,
        }]);
    }
    if let Some(capacity) = event.capacity {
        doc["maximumAttendeeCapacity"] = json!(capacity);
        doc["remainingAttendeeCapacity"] = json!(event.remaining().unwrap_or_default());
    }
    if event.join_mode == JoinMode::External && !event.external_url.is_empty() {
        doc["externalParticipationUrl"] = json!(event.external_url);
    }
    doc
}

/// `Delete` of an event, carrying a `Tombstone`.
pub fn delete(urls: &Urls, event: &Event, to: Vec<String>, cc: Vec<String>) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Delete",
        "actor": event.organizer,
        "object": { "id": event.uri, "type": "Tombstone", "formerType": "Event" },
        "to": to,
        "cc": cc,
    })
}

/// `Join` or `Leave` of an event by a local member.
pub fn rsvp(id: &str, kind: &str, actor: &str, event: &Event) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": event.uri,
        "to": [event.organizer],
    })
}

/// The organiser's `Invite` of an actor to an event.
pub fn invite(id: &str, event: &Event, invitee: &str) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": "Invite",
        "actor": event.organizer,
        "object": event.uri,
        "target": invitee,
        "to": [invitee],
    })
}

/// The organiser's `Accept` or `Reject` of a `Join`, embedding it.
pub fn answer(urls: &Urls, accept: bool, event: &Event, participant: &str, join_id: &str) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": if accept { "Accept" } else { "Reject" },
        "actor": event.organizer,
        "object": {
            "id": join_id,
            "type": "Join",
            "actor": participant,
            "object": event.uri,
        },
        "to": [participant],
    })
}
