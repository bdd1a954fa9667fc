//! The rules of events: who may organise, what a valid event is, publishing and editing
//! (with the activities that tell followers and participants, in the same transaction),
//! cancelling, deleting, who may see an event; RSVPs of local members to local and remote
//! events (`service/rsvp.rs`) and the notifications events send (`service/notify.rs`) sit
//! beside it and are re-exported here.

use rand::RngCore;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::model::{category, Event, EventVisibility, JoinMode, NewEvent, Status};
use super::{object, store, times};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::actors;
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::federation::{delivery, follows, html};
use crate::posts::access::{may_act_as, Viewer};
use crate::state::AppState;
use crate::storage::{now_ms, Tx};
use crate::validate::{self, FieldErrors};

mod notify;
mod rsvp;

pub use notify::{
    notify_local_participants, notify_organiser, notify_participants, organizer_deleted,
    remote_event_deleted,
};
pub use rsvp::{decide, invite, join, leave};

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
const MAX_CAPACITY: i64 = 1_000_000;

/// A number or a string (forms send text, scripts may send numbers or null).
fn loose<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        S(String),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(match Option::<Loose>::deserialize(d)? {
        None => String::new(),
        Some(Loose::S(s)) => s,
        Some(Loose::I(i)) => i.to_string(),
        Some(Loose::F(f)) => f.to_string(),
        Some(Loose::B(b)) => b.to_string(),
    })
}

/// What an organiser submits. Times are wall times in `timezone` (`2026-12-01T18:30`), or
/// RFC 3339 instants with an offset.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub place_name: String,
    #[serde(default)]
    pub street_address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub locality: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub online_url: String,
    /// Empty for no limit, else a whole number of at least 1.
    #[serde(default, deserialize_with = "loose")]
    pub capacity: String,
    #[serde(default)]
    pub join_mode: String,
    #[serde(default)]
    pub external_url: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub category: String,
    /// Who organises: "" (yourself), `company:HANDLE` or `space`.
    #[serde(default, rename = "as")]
    pub as_actor: String,
}

impl Draft {
    /// The draft that edits `event`.
    pub fn of(event: &Event) -> Draft {
        Draft {
            title: event.title.clone(),
            description: event.source.clone(),
            starts_at: times::input_value(event.starts_at, &event.timezone),
            ends_at: times::input_value(event.ends_at, &event.timezone),
            timezone: event.timezone.clone(),
            place_name: event.place_name.clone(),
            street_address: event.street_address.clone(),
            postal_code: event.postal_code.clone(),
            locality: event.locality.clone(),
            country: event.country.clone(),
            online_url: event.online_url.clone(),
            capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
            join_mode: event.join_mode.as_str().into(),
            external_url: event.external_url.clone(),
            visibility: event.visibility.as_str().into(),
            category: event.category.clone(),
            as_actor: String::new(),
        }
    }
}

/// A draft checked field by field: every problem is reported at once, as 422.
pub fn check(draft: &Draft) -> Result<NewEvent> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", validate::line(&draft.title, MAX_TITLE, true));
    let description = errors.check(
        "description",
        validate::text(&draft.description, MAX_DESCRIPTION, false),
    );
    let tz_raw = if draft.timezone.trim().is_empty() {
        "UTC"
    } else {
        draft.timezone.trim()
    };
    let tz = times::zone(tz_raw);
    if tz.is_none() {
        errors.add(
            "timezone",
            "is not a time zone of the IANA database (like Europe/Lisbon)",
        );
    }
    let tz = tz.unwrap_or(chrono_tz::Tz::UTC);
    let starts = errors.check("starts_at", times::parse_local(&draft.starts_at, tz));
    let ends = errors.check("ends_at", times::parse_local(&draft.ends_at, tz));
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            errors.add("ends_at", "must be after the start");
        }
    }
    let mut place = Vec::new();
    for (field, raw) in [
        ("place_name", &draft.place_name),
        ("street_address", &draft.street_address),
        ("postal_code", &draft.postal_code),
        ("locality", &draft.locality),
        ("country", &draft.country),
    ] {
        place.push(
            errors
                .check(field, validate::line(raw, 200, false))
                .unwrap_or_default(),
        );
    }
    let online_url = errors.check("online_url", validate::web_url(&draft.online_url));
    let external_url = errors.check("external_url", validate::web_url(&draft.external_url));
    let capacity = match draft.capacity.trim() {
        "" => Some(None),
        raw => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_CAPACITY).contains(&n) => Some(Some(n)),
            Ok(n) if n < 1 => {
                errors.add(
                    "capacity",
                    "must be at least 1 (leave it empty for no limit)",
                );
                None
            }
            _ => {
                errors.add(
                    "capacity",
                    format!("must be a whole number from 1 to {MAX_CAPACITY}"),
                );
                None
            }
        },
    };
    let join_mode = JoinMode::parse(&draft.join_mode);
    if join_mode.is_none() {
        errors.add("join_mode", "must be free, approval, invite or external");
    }
    if join_mode == Some(JoinMode::External) && external_url.as_deref().is_some_and(str::is_empty) {
        errors.add(
            "external_url",
            "is required when registration happens elsewhere",
        );
    }
    let visibility = EventVisibility::parse(&draft.visibility);
    if visibility.is_none() {
        errors.add("visibility", "must be public, followers or members");
    }
    let category = category(&draft.category);
    if category.is_none() {
        errors.add("category", "is not one of the listed categories");
    }
    errors.into_result()?;
    let source = description.unwrap_or_default();
    let mut place = place.into_iter();
    Ok(NewEvent {
        uri: String::new(),
        local: true,
        organizer: String::new(),
        title: title.unwrap_or_default(),
        content: html::paragraphs(&source),
        source,
        starts_at: starts.unwrap_or_default(),
        ends_at: ends.unwrap_or_default(),
        timezone: tz.name().to_string(),
        place_name: place.next().unwrap_or_default(),
        street_address: place.next().unwrap_or_default(),
        postal_code: place.next().unwrap_or_default(),
        locality: place.next().unwrap_or_default(),
        country: place.next().unwrap_or_default(),
        online_url: online_url.unwrap_or_default(),
        capacity: capacity.flatten(),
        join_mode: join_mode.unwrap_or(JoinMode::Free),
        external_url: external_url.unwrap_or_default(),
        visibility: visibility.unwrap_or(EventVisibility::Public),
        category: category.unwrap_or("MEETING").to_string(),
        status: Status::Confirmed,
        participant_count: 0,
        url: String::new(),
        published_at: now_ms(),
    })
}

/// A short random path segment for a new event.
fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Publishes a new event organised by `organizer` (the member, a company they manage, or the
/// space for an admin); followers get a `Create`.
pub async fn create(
    state: &AppState,
    by: &Account,
    organizer: &LocalActor,
    draft: &Draft,
) -> Result<Event> {
    let urls = Urls::new(&state.config);
    let mut new = check(draft)?;
    new.uri = format!("{}/events/{}", urls.base(), new_token());
    new.url = new.uri.clone();
    new.organizer = organizer.uri(&urls);
    let mut tx = state.db.begin_write().await?;
    store::insert(&mut tx, &new).await?;
    let event = store::by_uri_tx(&mut tx, &new.uri)
        .await?
        .ok_or(Error::NotFound)?;
    publish(state, &mut tx, organizer, &event, "Create", &[]).await?;
    tx.commit().await?;
    delivery::wake(state);
    tracing::info!(event = %event.uri, by = by.id, "event published");
    Ok(event)
}

/// Queues `Create` or `Update` of a local event to the organiser's followers and `extra`
/// inboxes (participants). Members-only events stay here.
async fn publish(
    state: &AppState,
    tx: &mut Tx,
    organizer: &LocalActor,
    event: &Event,
    kind: &str,
    extra: &[String],
) -> Result<()> {
    if event.visibility == EventVisibility::Members {
        return Ok(());
    }
    let doc = document(state, event).await?;
    let activity = crate::posts::object::wrap(&Urls::new(&state.config), kind, &doc);
    let mut inboxes = follows::follower_inboxes(&state.db, &event.organizer).await?;
    inboxes.extend(extra.iter().cloned());
    delivery::publish(
        tx,
        &activity,
        organizer.key_ref(),
        event.visibility == EventVisibility::Public,
        &inboxes,
    )
    .await?;
    Ok(())
}

/// The document of a local event as served to peers.
pub async fn document(state: &AppState, event: &Event) -> Result<Value> {
    let urls = Urls::new(&state.config);
    let followers = urls.collection(&event.organizer, "followers");
    let replies: Vec<String> = crate::posts::store::replies(&state.db, &event.uri, 50)
        .await?
        .into_iter()
        .filter(|p| p.visibility == crate::posts::Visibility::Public && !p.is_deleted())
        .map(|p| p.uri)
        .collect();
    Ok(object::event(event, &followers, &replies))
}

/// The local event at `uri` that `by` may change, with its organiser.
pub async fn editable(state: &AppState, by: &Account, uri: &str) -> Result<(Event, LocalActor)> {
    let event = store::by_uri(&state.db, uri)
        .await?
        .filter(|e| e.local && !e.is_deleted())
        .ok_or(Error::NotFound)?;
    let organizer = actors::by_uri(state, &event.organizer)
        .await?
        .ok_or(Error::NotFound)?;
    if !may_act_as(state, by, &organizer).await? {
        return Err(Error::forbidden(
            "Only its organisers can change this event.",
        ));
    }
    Ok((event, organizer))
}

/// Edits a local event; followers and participants get an `Update`, local participants a
/// notification.
pub async fn edit(state: &AppState, by: &Account, uri: &str, draft: &Draft) -> Result<Event> {
    let (event, organizer) = editable(state, by, uri).await?;
    let mut draft = draft.clone();
    // Who may see it was promised to those who joined; it does not change.
    draft.visibility = event.visibility.as_str().into();
    let mut new = check(&draft)?;
    new.uri = event.uri.clone();
    new.url = event.url.clone();
    new.organizer = event.organizer.clone();
    new.published_at = event.published_at;
    let extra = store::participant_inboxes(&state.db, event.id).await?;
    let mut tx = state.db.begin_write().await?;
    // The seats taken as they are now, not as they were read: a join racing this edit is
    // either counted here or finds the new capacity.
    let event = store::lock(&mut tx, event.id)
        .await?
        .filter(|e| !e.is_deleted())
        .ok_or(Error::NotFound)?;
    if let Some(c) = new.capacity {
        if c < event.participant_count {
            return Err(Error::invalid(
                "capacity",
                format!(
                    "cannot be below the {} people who already have a seat",
                    event.participant_count
                ),
            ));
        }
    }
    new.status = event.status;
    store::update(&mut tx, event.id, &new).await?;
    let updated = store::by_id_tx(&mut tx, event.id)
        .await?
        .ok_or(Error::NotFound)?;
    publish(state, &mut tx, &organizer, &updated, "Update", &extra).await?;
    notify_participants(state, &mut tx, by, &updated, "updated").await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(updated)
}

/// Cancels a local event: it stays visible, marked cancelled (`Update` with `ical:status`
/// CANCELLED, as Mobilizon does).
pub async fn cancel(state: &AppState, by: &Account, uri: &str) -> Result<Event> {
    let (event, organizer) = editable(state, by, uri).await?;
    if event.is_cancelled() {
        return Ok(event);
    }
    let extra = store::participant_inboxes(&state.db, event.id).await?;
    let mut tx = state.db.begin_write().await?;
    store::set_status(&mut tx, event.id, Status::Cancelled).await?;
    let updated = store::by_id_tx(&mut tx, event.id)
        .await?
        .ok_or(Error::NotFound)?;
    publish(state, &mut tx, &organizer, &updated, "Update", &extra).await?;
    notify_participants(state, &mut tx, by, &updated, "cancelled").await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(updated)
}

/// Deletes a local event: peers get a `Delete`, its address answers 410.
pub async fn delete(state: &AppState, by: &Account, uri: &str) -> Result<()> {
    let (event, organizer) = editable(state, by, uri).await?;
    let mut tx = state.db.begin_write().await?;
    delete_tx(state, &mut tx, by, &event, &organizer).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// A moderator deletes an event inside their transaction (which also writes the audit line).
/// A local event goes as its organiser's deletion would (the caller wakes the delivery queue
/// after commit); an event received from another server is removed from this space's store
/// as its organiser's `Delete` would remove it (its participants here are told), and nothing
/// is sent. `false` when `uri` names no live event held here.
pub async fn delete_by_moderator_tx(
    state: &AppState,
    tx: &mut Tx,
    by: &Account,
    uri: &str,
) -> Result<bool> {
    let Some(event) = store::by_uri(&state.db, uri)
        .await?
        .filter(|e| !e.is_deleted())
    else {
        return Ok(false);
    };
    if !event.local {
        let moderator = Urls::new(&state.config).member(&by.handle);
        remote_event_deleted(state, tx, &event, &moderator, &by.handle).await?;
        return Ok(true);
    }
    let organizer = actors::by_uri(state, &event.organizer)
        .await?
        .ok_or(Error::NotFound)?;
    delete_tx(state, tx, by, &event, &organizer).await?;
    Ok(true)
}

async fn delete_tx(
    state: &AppState,
    tx: &mut Tx,
    by: &Account,
    event: &Event,
    organizer: &LocalActor,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let mut inboxes = store::participant_inboxes(&state.db, event.id).await?;
    inboxes.extend(follows::follower_inboxes(&state.db, &event.organizer).await?);
    let followers = urls.collection(&event.organizer, "followers");
    let (to, cc) = object::addressing(event, &followers);
    let activity = object::delete(&urls, event, to, cc);
    notify_participants(state, tx, by, event, "deleted").await?;
    store::mark_deleted(tx, event.id).await?;
    if event.visibility != EventVisibility::Members {
        delivery::publish(
            tx,
            &activity,
            organizer.key_ref(),
            event.visibility == EventVisibility::Public,
            &inboxes,
        )
        .await?;
    }
    Ok(())
}

// --- who may see -------------------------------------------------------------------------------

/// Whether `viewer` may see `event`. A suspended organiser's events are seen by this space's
/// moderators only.
pub async fn can_see(state: &AppState, event: &Event, viewer: &Viewer) -> Result<bool> {
    let reader = match viewer {
        Viewer::Member(a) => Some(a),
        _ => None,
    };
    if crate::moderation::blocks::hidden_by_suspension(state, &event.organizer, reader).await? {
        return Ok(false);
    }
    if event.visibility == EventVisibility::Public {
        return Ok(true);
    }
    let urls = Urls::new(&state.config);
    if event.visibility == EventVisibility::Members {
        return Ok(event.local && matches!(viewer, Viewer::Member(_)));
    }
    let Some(me) = viewer.uri(&urls) else {
        return Ok(false);
    };
    if event.organizer == me {
        return Ok(true);
    }
    if let Viewer::Member(account) = viewer {
        if let Some(organizer) = actors::by_uri(state, &event.organizer).await? {
            if may_act_as(state, account, &organizer).await? {
                return Ok(true);
            }
        }
    }
    if store::participant(&state.db, event.id, &me)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    Ok(follows::get(&state.db, &me, &event.organizer)
        .await?
        .is_some_and(|f| f.accepted()))
}

/// Whether `account` organises `event` (as itself, or for a company or the space it runs).
pub async fn organises(state: &AppState, account: &Account, event: &Event) -> Result<bool> {
    if !event.local {
        return Ok(false);
    }
    match actors::by_uri(state, &event.organizer).await? {
        Some(organizer) => may_act_as(state, account, &organizer).await,
        None => Ok(false),
    }
}
