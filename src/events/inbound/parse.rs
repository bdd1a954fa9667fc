//! Reading a remote `Event` document: every field checked (addresses, times, sizes) and
//! sanitised before anything is stored. Pure, so it can be fuzzed.

use serde_json::Value;

use super::MAX_REMOTE_CONTENT;
use crate::events::model::{category, EventVisibility, JoinMode, NewEvent, Status};
use crate::events::times;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::protocol::AS_PUBLIC;
use crate::federation::remote::{id_of, sanitize_html, RemoteActor};
use crate::storage::now_ms;

/// The organiser an event names: its `attributedTo` (the first, when a list), else its `actor`.
pub(super) fn attributed_to(doc: &Value) -> Option<&str> {
    doc.get("attributedTo")
        .and_then(|a| match a {
            Value::Array(items) => items.first().and_then(id_of),
            other => id_of(other),
        })
        .or_else(|| doc.get("actor").and_then(id_of))
}

/// Plain text of a field: tags dropped, control characters dropped, at most `max` characters.
fn plain(v: Option<&Value>, max: usize) -> String {
    let raw = v.and_then(Value::as_str).unwrap_or_default();
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

/// A checked address from a field, or the empty string.
fn web_url(v: Option<&Value>, dev_http: bool) -> String {
    v.and_then(|u| link::url_in(u, dev_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_default()
}

fn time(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
        .filter(|ms| (0..=253_402_300_799_000).contains(ms))
}

fn addresses(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["to", "cc"] {
        match object.get(field) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(id_of).map(str::to_string))
            }
            _ => {}
        }
    }
    out
}

/// Parses a remote `Event` sent by `actor`; `None` (logged) when it is not acceptable.
pub fn parse_event(doc: &Value, actor: &RemoteActor, dev_http: bool) -> Option<NewEvent> {
    let raw_id = doc.get("id").and_then(Value::as_str)?;
    let id = match RemoteUrl::parse(raw_id, dev_http) {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(actor = %actor.uri, host = %actor.host, error = %e, "a remote event whose id is not an https address was refused");
            return None;
        }
    };
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
    let organizer = match attributed_to(doc).map(|o| RemoteUrl::parse(o, dev_http)) {
        Some(Ok(o)) if o.authority() == actor.host => o.into_string(),
        Some(Err(e)) => {
            tracing::warn!(event = uri, actor = %actor.uri, error = %e, "a remote event attributed to something that is not an https address was refused");
            return None;
        }
        _ => return drop("attributed to someone on another server"),
    };
    let raw_content = doc
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if raw_content.len() > MAX_REMOTE_CONTENT {
        return drop("oversized description");
    }
    let title = plain(doc.get("name"), 300);
    if title.is_empty() {
        return drop("no name");
    }
    let Some(starts_at) = time(doc.get("startTime")) else {
        return drop("no readable startTime");
    };
    let ends_at = match doc.get("endTime") {
        None | Some(Value::Null) => starts_at + 3_600_000,
        other => match time(other) {
            Some(e) if e > starts_at => e,
            _ => return drop("endTime missing its sense"),
        },
    };
    let timezone = doc
        .get("timezone")
        .and_then(Value::as_str)
        .and_then(times::zone)
        .map(|tz| tz.name().to_string())
        .unwrap_or_else(|| "UTC".to_string());
    let (mut place_name, mut street, mut postal, mut locality, mut country) = Default::default();
    let mut online_url = String::new();
    let locations: Vec<&Value> = match doc.get("location") {
        Some(Value::Array(items)) => items.iter().take(10).collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    for loc in locations {
        match loc.get("type").and_then(Value::as_str) {
            Some("VirtualLocation") if online_url.is_empty() => {
                online_url = web_url(loc.get("url"), dev_http)
            }
            Some("Place") if place_name == String::new() && street == String::new() => {
                place_name = plain(loc.get("name"), 200);
                match loc.get("address") {
                    Some(Value::String(_)) => street = plain(loc.get("address"), 200),
                    Some(a @ Value::Object(_)) => {
                        street = plain(a.get("streetAddress"), 200);
                        postal = plain(a.get("postalCode"), 40);
                        locality = plain(a.get("addressLocality"), 200);
                        country = plain(a.get("addressCountry"), 100);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if online_url.is_empty() {
        if let Some(Value::Array(items)) = doc.get("attachment") {
            if let Some(link) = items.iter().take(20).find(|a| {
                a.get("type").and_then(Value::as_str) == Some("Link")
                    && a.get("name").and_then(Value::as_str) == Some("Website")
            }) {
                online_url = web_url(link.get("href"), dev_http);
            }
        }
    }
    let capacity = doc
        .get("maximumAttendeeCapacity")
        .and_then(Value::as_i64)
        .filter(|c| (1..=10_000_000).contains(c));
    let participant_count = doc
        .get("participantCount")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, 10_000_000);
    let join_mode = match doc.get("joinMode").and_then(Value::as_str) {
        None => JoinMode::Free,
        Some("none") => JoinMode::Invite,
        Some(m) => JoinMode::parse(m).unwrap_or(JoinMode::Invite),
    };
    let status = ["eventStatus", "ical:status", "status"]
        .iter()
        .filter_map(|k| doc.get(*k).and_then(Value::as_str))
        .find_map(|s| Status::parse(s.rsplit(['/', '#']).next().unwrap_or(s)))
        .unwrap_or(Status::Confirmed);
    let to = addresses(doc);
    let public = to
        .iter()
        .any(|a| a == AS_PUBLIC || a == "as:Public" || a == "Public");
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
        external_url: web_url(doc.get("externalParticipationUrl"), dev_http),
        visibility: if public {
            EventVisibility::Public
        } else {
            EventVisibility::Followers
        },
        category: doc
            .get("category")
            .and_then(Value::as_str)
            .and_then(category)
            .unwrap_or("MEETING")
            .to_string(),
        status,
        participant_count,
        url: {
            let u = web_url(doc.get("url"), dev_http);
            if u.is_empty() {
                uri.to_string()
            } else {
                u
            }
        },
        published_at: time(doc.get("published")).unwrap_or_else(now_ms),
    })
}
