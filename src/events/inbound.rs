//! Events and RSVPs arriving from other servers:
//!
//! - `Join` of a local event → `Accept` (a seat was free), pending (the organiser approves), or
//!   `Reject` (full, cancelled, over, by invitation, registration elsewhere, or not visible to
//!   the sender); a repeated `Join` changes nothing and is answered again;
//! - `Leave` (or `Undo` of the `Join`) frees the seat;
//! - `Accept` / `Reject` of a `Join` a local member sent to a remote event;
//! - `Create` / `Update` / `Delete` of remote `Event`s: kept when someone here follows the
//!   organiser, takes part, or looked the event up; checked and sanitised before storage, and
//!   what fails is logged and dropped.

use serde_json::Value;

use super::model::{category, Event, EventVisibility, JoinMode, NewEvent, RsvpState, Status};
use super::{object, service, store, times};
use crate::error::{Error, Result};
use crate::federation::authority;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::policy;
use crate::federation::protocol::AS_PUBLIC;
use crate::federation::remote::{self, id_of, sanitize_html, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::{delivery, follows};
use crate::hub::actors;
use crate::state::AppState;
use crate::storage::now_ms;

/// Largest description accepted from a peer, in bytes of HTML.
pub const MAX_REMOTE_CONTENT: usize = 100_000;

/// Takes the activities this module owns; `Ok(false)` for anything else.
pub async fn handle(state: &AppState, activity: &Value, actor: &RemoteActor) -> Result<bool> {
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = activity.get("object").unwrap_or(&Value::Null);
    match kind {
        "Join" => {
            let Some(event) = local_event(state, id_of(object)).await? else {
                return Ok(false);
            };
            on_join(state, activity, actor, &event).await?;
            Ok(true)
        }
        "Leave" => {
            let Some(event) = local_event(state, id_of(object)).await? else {
                return Ok(false);
            };
            on_leave(state, actor, &event).await?;
            Ok(true)
        }
        "Undo" if object.get("type").and_then(Value::as_str) == Some("Join") => {
            let Some(event) = local_event(state, object.get("object").and_then(id_of)).await?
            else {
                return Ok(false);
            };
            if authority::own_activity(actor, object, "Undo Join") {
                on_leave(state, actor, &event).await?;
            }
            Ok(true)
        }
        // Some servers undo by the Join's id alone.
        "Undo" if object.is_string() => {
            let Some(p) = store::participant_by_join(&state.db, object.as_str().unwrap_or(""))
                .await?
                .filter(|p| p.actor == actor.uri)
            else {
                return Ok(false);
            };
            let mut tx = state.db.begin_write().await?;
            let Some(event) = store::by_id_tx(&mut tx, p.event_id).await? else {
                return Ok(true);
            };
            drop(tx);
            if event.local {
                on_leave(state, actor, &event).await?;
            }
            Ok(true)
        }
        "Accept" | "Reject" => on_answer(state, object, actor, kind == "Accept").await,
        "Create" | "Update" => {
            let doc = match object {
                Value::Object(_) => object.clone(),
                Value::String(uri) if !uri.is_empty() => {
                    match fetch_event(state, uri, &actor.host).await {
                        Some(doc) => doc,
                        None => return Ok(false),
                    }
                }
                _ => return Ok(false),
            };
            if doc.get("type").and_then(Value::as_str) != Some("Event") {
                return Ok(false);
            }
            receive_event(state, &doc, actor, false).await?;
            Ok(true)
        }
        "Delete" => {
            let Some(uri) = id_of(object) else {
                return Ok(false);
            };
            let Some(event) = store::by_uri(&state.db, uri).await? else {
                return Ok(false);
            };
            if !authority::is_owner(actor, &event.organizer, uri, "Delete") {
                return Ok(true);
            }
            if !event.is_deleted() {
                let mut tx = state.db.begin_write().await?;
                service::remote_event_deleted(state, &mut tx, &event, &actor.uri, &actor.handle())
                    .await?;
                tx.commit().await?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn local_event(state: &AppState, uri: Option<&str>) -> Result<Option<Event>> {
    let Some(uri) = uri else { return Ok(None) };
    Ok(store::by_uri(&state.db, uri).await?.filter(|e| e.local))
}

/// A remote actor asks for a seat.
async fn on_join(
    state: &AppState,
    activity: &Value,
    from: &RemoteActor,
    event: &Event,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let join_id = activity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(organizer) = actors::by_uri(state, &event.organizer).await? else {
        return Ok(());
    };
    let reply = |accept: bool| object::answer(&urls, accept, event, &from.uri, &join_id);
    let send = |answer: Value| {
        let organizer = organizer.clone();
        let inbox = from.inbox.clone();
        async move {
            follows::send(
                state,
                &organizer,
                &answer,
                false,
                std::slice::from_ref(&inbox),
            )
            .await
        }
    };
    let visible = match event.visibility {
        EventVisibility::Public => true,
        EventVisibility::Members => false,
        EventVisibility::Followers => follows::get(&state.db, &from.uri, &event.organizer)
            .await?
            .is_some_and(|f| f.accepted()),
    };
    let refusal = if event.is_deleted() || !visible {
        Some("not visible to the sender")
    } else if event.is_cancelled() {
        Some("cancelled")
    } else if event.ends_at < now_ms() {
        Some("over")
    } else if event.join_mode == JoinMode::External {
        Some("registration happens elsewhere")
    } else {
        None
    };
    let invited = store::participant(&state.db, event.id, &from.uri)
        .await?
        .filter(|p| p.state == RsvpState::Pending && p.join_uri.starts_with(urls.base()));
    let refusal = match refusal {
        None if event.join_mode == JoinMode::Invite && invited.is_none() => {
            Some("by invitation only")
        }
        other => other,
    };
    if let Some(why) = refusal {
        tracing::info!(event = %event.uri, actor = %from.uri, why, "join refused");
        return send(reply(false)).await;
    }
    let mut tx = state.db.begin_write().await?;
    store::lock(&mut tx, event.id).await?;
    if let Some(p) = store::participant_tx(&mut tx, event.id, &from.uri).await? {
        match p.state {
            // A repeat: the same answer again, nothing counted twice.
            RsvpState::Accepted => {
                drop(tx);
                return send(reply(true)).await;
            }
            RsvpState::Pending if invited.is_none() => return Ok(()),
            RsvpState::Pending => {}
            RsvpState::Rejected => {}
        }
    }
    let outcome = if event.join_mode == JoinMode::Approval && invited.is_none() {
        RsvpState::Pending
    } else if store::take_seat(&mut tx, event.id).await? {
        RsvpState::Accepted
    } else {
        drop(tx);
        tracing::info!(event = %event.uri, actor = %from.uri, "join refused: the event is full");
        return send(reply(false)).await;
    };
    store::put_participant(&mut tx, event.id, &from.uri, outcome, &join_id).await?;
    if outcome == RsvpState::Accepted {
        delivery::publish(
            &mut tx,
            &reply(true),
            organizer.key_ref(),
            false,
            std::slice::from_ref(&from.inbox),
        )
        .await?;
    }
    service::notify_organiser(state, &mut tx, event, &from.uri, &from.handle(), outcome).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// A remote participant leaves.
async fn on_leave(state: &AppState, from: &RemoteActor, event: &Event) -> Result<()> {
    let mut tx = state.db.begin_write().await?;
    store::lock(&mut tx, event.id).await?;
    store::withdraw(&mut tx, event.id, &from.uri).await?;
    tx.commit().await?;
    Ok(())
}

/// A remote organiser answers a local member's `Join`.
async fn on_answer(
    state: &AppState,
    object: &Value,
    from: &RemoteActor,
    accepted: bool,
) -> Result<bool> {
    let urls = Urls::new(&state.config);
    let base = format!("{}/", urls.base());
    let mut found = None;
    if let Some(join_id) = id_of(object).filter(|id| id.starts_with(&base)) {
        found = store::participant_by_join(&state.db, join_id).await?;
    }
    if found.is_none() && object.get("type").and_then(Value::as_str) == Some("Join") {
        if let (Some(member), Some(event_uri)) = (
            object.get("actor").and_then(id_of),
            object.get("object").and_then(id_of),
        ) {
            if let Some(event) = store::by_uri(&state.db, event_uri).await? {
                found = store::participant(&state.db, event.id, member).await?;
            }
        }
    }
    let Some(p) = found else {
        return Ok(false);
    };
    let mut tx = state.db.begin_write().await?;
    let Some(event) = store::lock(&mut tx, p.event_id).await? else {
        return Ok(true);
    };
    // The participation as it is now that the event is held (another answer may have come).
    let Some(p) = store::participant_by_id_tx(&mut tx, p.id).await? else {
        return Ok(true);
    };
    // The answer of someone we invited to a local event.
    if event.local {
        if !authority::is_owner(from, &p.actor, &p.join_uri, "answer an invitation")
            || p.state != RsvpState::Pending
        {
            return Ok(true);
        }
        if !accepted {
            store::withdraw(&mut tx, event.id, &p.actor).await?;
        } else if store::take_seat(&mut tx, event.id).await? {
            store::set_participant_state(&mut tx, p.id, RsvpState::Accepted).await?;
            service::notify_organiser(
                state,
                &mut tx,
                &event,
                &from.uri,
                &from.handle(),
                RsvpState::Accepted,
            )
            .await?;
        } else {
            tracing::info!(event = %event.uri, actor = %from.uri, "an accepted invitation found the event full");
            store::set_participant_state(&mut tx, p.id, RsvpState::Rejected).await?;
        }
        tx.commit().await?;
        return Ok(true);
    }
    if !authority::is_owner(from, &event.organizer, &event.uri, "answer a Join") {
        return Ok(true);
    }
    let state_now = if accepted {
        RsvpState::Accepted
    } else {
        RsvpState::Rejected
    };
    store::set_participant_state(&mut tx, p.id, state_now).await?;
    // Our copy counts the seat too, until the organiser's next copy of the event says better.
    if accepted && p.state != RsvpState::Accepted {
        store::take_seat(&mut tx, event.id).await?;
    } else if !accepted && p.state == RsvpState::Accepted {
        store::release_seat(&mut tx, event.id).await?;
    }
    if let Some(member) = actors::by_uri(state, &p.actor).await? {
        let summary = if accepted {
            format!("accepted you at {}", event.title)
        } else {
            format!("declined your request for {}", event.title)
        };
        crate::notifications::store::notify_stewards(
            &mut tx,
            &state.db,
            &member,
            &crate::notifications::NewNotification {
                account_id: 0,
                kind: crate::notifications::Kind::Rsvp,
                actor: &from.uri,
                actor_name: &from.handle(),
                object: &event.uri,
                link: &event.link(),
                summary: &summary,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The document at `uri` on `host`, fetched signed by this space.
async fn fetch_event(state: &AppState, uri: &str, host: &str) -> Option<Value> {
    if policy::authority_of(uri).as_deref() != Some(host) {
        return None;
    }
    let signer = remote::instance_signer(state).await.ok()?;
    match state.client.get_json(uri, Some(&signer)).await {
        Ok(doc) if id_of(&doc) == Some(uri) => Some(doc),
        Ok(_) => None,
        Err(e) => {
            tracing::info!(object = uri, error = %e, "an object named by id could not be fetched");
            None
        }
    }
}

/// Looks an event up by its address (a member pasted it): fetched from its server, checked,
/// stored, and returned.
pub async fn lookup(state: &AppState, uri: &str) -> Result<Event> {
    let uri = uri.trim();
    if let Some(e) = store::by_uri(&state.db, uri).await? {
        if !e.is_deleted() {
            return Ok(e);
        }
    }
    let not_event = || Error::invalid("url", "is not the address of an event we can read");
    let host = policy::authority_of(uri).ok_or_else(not_event)?;
    if host == Urls::new(&state.config).domain() {
        return Err(not_event());
    }
    let doc = fetch_event(state, uri, &host).await.ok_or_else(not_event)?;
    if doc.get("type").and_then(Value::as_str) != Some("Event") {
        return Err(not_event());
    }
    let organizer = attributed_to(&doc).ok_or_else(not_event)?;
    if policy::authority_of(organizer).as_deref() != Some(host.as_str()) {
        return Err(not_event());
    }
    let actor = remote::resolve(state, organizer, false).await?;
    receive_event(state, &doc, &actor, true).await?;
    store::by_uri(&state.db, uri).await?.ok_or_else(not_event)
}

fn attributed_to(doc: &Value) -> Option<&str> {
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

/// Validates and stores (or updates) a remote event; logs and drops what fails. `wanted`
/// marks an event a member looked up on purpose.
async fn receive_event(
    state: &AppState,
    doc: &Value,
    actor: &RemoteActor,
    wanted: bool,
) -> Result<()> {
    let Some(new) = parse_event(doc, actor, state.config.dev_http) else {
        return Ok(());
    };
    let urls = Urls::new(&state.config);
    let existing = store::by_uri(&state.db, &new.uri).await?;
    let base = format!("{}/", urls.base());
    let followed = crate::posts::store::followed_locally(&state.db, &actor.uri, &base).await?
        || crate::posts::store::followed_locally(&state.db, &new.organizer, &base).await?;
    if existing.is_none() && !wanted && !followed {
        tracing::info!(event = %new.uri, actor = %actor.uri, "an event nobody here follows was dropped");
        return Ok(());
    }
    let mut tx = state.db.begin_write().await?;
    match existing {
        Some(old) if !authority::is_owner(actor, &old.organizer, &old.uri, "Update") => {}
        Some(old) if old.is_deleted() => {}
        Some(old) => {
            store::update(&mut tx, old.id, &new).await?;
            let updated = store::by_id_tx(&mut tx, old.id)
                .await?
                .ok_or(Error::NotFound)?;
            let what = if updated.is_cancelled() && !old.is_cancelled() {
                "cancelled"
            } else {
                "updated"
            };
            service::notify_local_participants(
                state,
                &mut tx,
                &updated,
                &actor.uri,
                &actor.handle(),
                what,
            )
            .await?;
        }
        None => {
            store::insert(&mut tx, &new).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
