//! A local event as ActivityStreams: an `Event` following FEP-8a8e and Mobilizon's terms (all
//! defined inline in the `@context`), with a readable `summary` and `content` so servers that
//! only show text (Mastodon) still give the date, the place and the link; and the activities
//! of RSVP: `Join`, `Leave`, and the organiser's `Accept` / `Reject`.

use serde_json::Value;

use super::model::{Event, EventVisibility, JoinMode, Status};
use super::times;
use crate::federation::activities::new_id;
use crate::federation::html::escape;
use crate::federation::urls::Urls;
use crate::federation::wire::{
    self, datetime, document, Activity, ActivityKind, Addressing, Attachment, Audience, Collection,
    Link, Object, ObjectOrLink, OneOrMany, Place, PostalAddress, Tombstone, AS_PUBLIC,
};

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
    let location = event.has_place().then(|| {
        let field = |v: &String| (!v.is_empty()).then(|| v.clone());
        let name = if event.place_name.is_empty() {
            event.place_line()
        } else {
            event.place_name.clone()
        };
        Place {
            kind: "Place".into(),
            name: Some(name),
            address: Some(PostalAddress {
                kind: "PostalAddress".into(),
                street_address: field(&event.street_address),
                postal_code: field(&event.postal_code),
                address_locality: field(&event.locality),
                address_country: field(&event.country),
            }),
            url: None,
        }
    });
    // Mobilizon reads the online address from a `Link` attachment named "Website".
    let website = (!event.online_url.is_empty()).then(|| {
        vec![Attachment {
            kind: "Link".into(),
            name: Some("Website".into()),
            media_type: Some("text/html".into()),
            href: Some(Link(event.online_url.clone())),
            url: None,
            value: None,
            width: None,
            height: None,
        }]
    });
    let external = event.join_mode == JoinMode::External && !event.external_url.is_empty();
    let doc = wire::Event {
        name: Some(event.title.clone()),
        attributed_to: Some(OneOrMany::One(Link(event.organizer.clone()))),
        summary: Some(escape(&readable_lines(event).join(" · "))),
        content: Some(readable_content(event, &event.content)),
        media_type: Some("text/html".into()),
        start_time: Some(times::wire(event.starts_at, &event.timezone)),
        end_time: Some(times::wire(event.ends_at, &event.timezone)),
        timezone: Some(event.timezone.clone()),
        published: Some(datetime(event.published_at)),
        updated: Some(datetime(event.updated_at)),
        url: Some(Link(event.uri.clone())),
        address: Addressing::to_cc(to, cc),
        category: Some(event.category.clone()),
        join_mode: Some(event.join_mode.wire().into()),
        participant_count: Some(event.participant_count),
        is_online: Some(!event.online_url.is_empty()),
        anonymous_participation_enabled: Some(false),
        comments_enabled: Some(true),
        replies_moderation_option: Some("allow_all".into()),
        event_status: Some(event_status(event.status).into()),
        ical_status: Some(event.status.ical().into()),
        replies: Some(Collection::of_links(replies.to_vec())),
        location: location.map(OneOrMany::One),
        attachment: website,
        maximum_attendee_capacity: event.capacity,
        remaining_attendee_capacity: event
            .capacity
            .map(|_| event.remaining().unwrap_or_default()),
        external_participation_url: external.then(|| Link(event.external_url.clone())),
        ..wire::Event::new(event.uri.clone())
    };
    document(&doc)
}

/// `Delete` of an event, carrying a `Tombstone`.
pub fn delete(urls: &Urls, event: &Event, to: Vec<String>, cc: Vec<String>) -> Value {
    let tombstone = Tombstone::new(event.uri.clone(), Some("Event"));
    let mut activity = Activity::new(
        ActivityKind::Delete,
        new_id(urls),
        event.organizer.clone(),
        ObjectOrLink::Object(Box::new(Object::Tombstone(tombstone))),
    );
    activity.address = Addressing::to_cc(to, cc);
    document(&activity)
}

/// `Join` or `Leave` of an event by a local member.
pub fn rsvp(id: &str, kind: &str, actor: &str, event: &Event) -> Value {
    let mut activity = Activity::new(
        ActivityKind::Join,
        id.to_string(),
        actor.to_string(),
        ObjectOrLink::Link(event.uri.clone()),
    );
    activity.kind_name = kind.to_string();
    activity.address.to = Some(Audience(vec![event.organizer.clone()]));
    document(&activity)
}

/// The organiser's `Invite` of an actor to an event.
pub fn invite(id: &str, event: &Event, invitee: &str) -> Value {
    let mut activity = Activity::new(
        ActivityKind::Invite,
        id.to_string(),
        event.organizer.clone(),
        ObjectOrLink::Link(event.uri.clone()),
    );
    activity.target = Some(ObjectOrLink::Link(invitee.to_string()));
    activity.address.to = Some(Audience(vec![invitee.to_string()]));
    document(&activity)
}

/// The organiser's `Accept` or `Reject` of a `Join`, embedding it.
pub fn answer(urls: &Urls, accept: bool, event: &Event, participant: &str, join_id: &str) -> Value {
    let join = Activity::new(
        ActivityKind::Join,
        join_id.to_string(),
        participant.to_string(),
        ObjectOrLink::Link(event.uri.clone()),
    );
    let kind = if accept {
        ActivityKind::Accept
    } else {
        ActivityKind::Reject
    };
    let mut activity = Activity::new(
        kind,
        new_id(urls),
        event.organizer.clone(),
        ObjectOrLink::Object(Box::new(Object::Activity(Box::new(join)))),
    );
    activity.address.to = Some(Audience(vec![participant.to_string()]));
    document(&activity)
}
