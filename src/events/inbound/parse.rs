//! Reading a remote `Event` document: every field checked (addresses, times, sizes) and
//! sanitised before anything is stored, from the typed document the wire layer read (its
//! addresses already checked). Pure, so it can be fuzzed.

use super::MAX_REMOTE_CONTENT;
use crate::events::model::{category, EventVisibility, JoinMode, NewEvent, Status};
use crate::events::times;
use crate::federation::link::RemoteUrl;
use crate::federation::remote::{sanitize_html, RemoteActor};
use crate::federation::wire::{self, Link};
use crate::storage::now_ms;

/// The organiser an event names: its `attributedTo` (the first, when a list), else its `actor`.
pub(super) fn attributed_to(doc: &wire::Event) -> Option<&RemoteUrl> {
    doc.attributed_to
        .as_ref()
        .and_then(|a| a.first())
        .or(doc.actor.as_ref())
        .map(Link::get)
}

/// Plain text of a field: tags dropped, control characters dropped, at most `max` characters.
fn plain(v: Option<&str>, max: usize) -> String {
    let raw = v.unwrap_or_default();
    let mut out = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag && !c.is_control() => out.push(c),
            _ => {}
        }
    }
    out.trim().chars().take(max).collect()
}

/// A checked address (the typed layer checked it), or the empty string.
fn web_url(v: Option<&Link>) -> String {
    v.map(|l| l.as_str().to_string()).unwrap_or_default()
}

fn time(v: Option<&String>) -> Option<i64> {
    v.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
        .filter(|ms| (0..=253_402_300_799_000).contains(ms))
}

/// Parses a remote `Event` sent by `actor`; `None` (logged) when it is not acceptable. The
/// typed layer has checked every address in it already.
pub fn parse_event(doc: &wire::Event, actor: &RemoteActor) -> Option<NewEvent> {
    let id = &doc.id;
    let uri = id.as_str();
    let drop = |why: &str| {
        tracing::info!(event = uri, actor = %actor.uri, why, "a remote event was dropped");
        None
    };
    if id.authority() != actor.host {
        return drop("its id is on another host");
    }
    // The organiser (`attributedTo`) may be another actor of the sender's server: Mobilizon
    // sends a group's events from the person who organises them.
    let organizer = match attributed_to(doc) {
        Some(o) if o.authority() == actor.host => o.as_str().to_string(),
        _ => return drop("attributed to someone on another server"),
    };
    let raw_content = doc.content.as_deref().unwrap_or_default();
    if raw_content.len() > MAX_REMOTE_CONTENT {
        return drop("oversized description");
    }
    let title = plain(doc.name.as_deref(), 300);
    if title.is_empty() {
        return drop("no name");
    }
    let Some(starts_at) = time(doc.start_time.as_ref()) else {
        return drop("no readable startTime");
    };
    let ends_at = match &doc.end_time {
        None => starts_at + 3_600_000,
        other => match time(other.as_ref()) {
            Some(e) if e > starts_at => e,
            _ => return drop("endTime missing its sense"),
        },
    };
    let timezone = doc
        .timezone
        .as_deref()
        .and_then(times::zone)
        .map(|tz| tz.name().to_string())
        .unwrap_or_else(|| "UTC".to_string());
    let (mut place_name, mut street, mut postal, mut locality, mut country) = Default::default();
    let mut online_url = String::new();
    for loc in doc.location.iter().flat_map(|l| l.iter()).take(10) {
        match loc.kind.as_str() {
            "VirtualLocation" if online_url.is_empty() => online_url = web_url(loc.url.as_ref()),
            "Place" if place_name == String::new() && street == String::new() => {
                place_name = plain(loc.name.as_deref(), 200);
                if let Some(a) = &loc.address {
                    street = plain(a.street_address.as_deref(), 200);
                    postal = plain(a.postal_code.as_deref(), 40);
                    locality = plain(a.address_locality.as_deref(), 200);
                    country = plain(a.address_country.as_deref(), 100);
                }
            }
            _ => {}
        }
    }
    if online_url.is_empty() {
        if let Some(link) = doc
            .attachment
            .iter()
            .flatten()
            .take(20)
            .find(|a| a.kind == "Link" && a.name.as_deref() == Some("Website"))
        {
            online_url = web_url(link.href.as_ref());
        }
    }
    let capacity = doc
        .maximum_attendee_capacity
        .filter(|c| (1..=10_000_000).contains(c));
    let participant_count = doc.participant_count.unwrap_or(0).clamp(0, 10_000_000);
    let join_mode = match doc.join_mode.as_deref() {
        None => JoinMode::Free,
        Some("none") => JoinMode::Invite,
        Some(m) => JoinMode::parse(m).unwrap_or(JoinMode::Invite),
    };
    let status = [&doc.event_status, &doc.ical_status, &doc.status]
        .into_iter()
        .flatten()
        .find_map(|s| Status::parse(s.rsplit(['/', '#']).next().unwrap_or(s)))
        .unwrap_or(Status::Confirmed);
    let public = [&doc.address.to, &doc.address.cc]
        .into_iter()
        .flatten()
        .any(|a| a.is_public());
    Some(NewEvent {
        uri: uri.to_string(),
        local: false,
        organizer,
        title,
        source: String::new(),
        content: sanitize_html(raw_content),
        starts_at,
        ends_at,
        timezone,
        place_name,
        street_address: street,
        postal_code: postal,
        locality,
        country,
        online_url,
        capacity,
        join_mode,
        external_url: web_url(doc.external_participation_url.as_ref()),
        visibility: if public {
            EventVisibility::Public
        } else {
            EventVisibility::Followers
        },
        category: doc
            .category
            .as_deref()
            .and_then(category)
            .unwrap_or("MEETING")
            .to_string(),
        status,
        participant_count,
        url: {
            let u = web_url(doc.url.as_ref());
            if u.is_empty() {
                uri.to_string()
            } else {
                u
            }
        },
        published_at: time(doc.published.as_ref()).unwrap_or_else(now_ms),
    })
}
