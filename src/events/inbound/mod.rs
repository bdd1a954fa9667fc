//! Events and RSVPs arriving from other servers:
//!
//! - `Join` of a local event → `Accept` (a seat was free), pending (the organiser approves), or
//!   `Reject` (full, cancelled, over, by invitation, registration elsewhere, or not visible to
//!   the sender); a repeated `Join` changes nothing and is answered again;
//! - `Leave` (or `Undo` of the `Join`) frees the seat;
//! - `Accept` / `Reject` of a `Join` a local member sent to a remote event;
//! - `Create` / `Update` / `Delete` of remote `Event`s: kept when someone here follows the
//!   organiser, takes part, or looked the event up; checked and sanitised before storage, and
//!   what fails is logged and dropped (the document is read in [`parse`]).
//!
//! One handler per activity; the inbound dispatcher (`crate::hub::dispatch`) chooses which,
//! with the look-ups here ([`local_event`], [`joined_by`], [`answered_join`]). Activities and
//! events arrive as the typed documents of `crate::federation::wire`.

use serde_json::Value;

use super::model::{Event, EventVisibility, JoinMode, Participant, RsvpState};
use super::{object, service, store};
use crate::error::{Error, Result};
use crate::federation::actors;
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{self, Activity, ActivityKind};
use crate::federation::{authority, delivery, fetch, follows, policy};
use crate::state::AppState;
use crate::storage::now_ms;

mod parse;

use parse::attributed_to;
pub use parse::parse_event;

/// Largest description accepted from a peer, in bytes of HTML.
pub const MAX_REMOTE_CONTENT: usize = 100_000;

/// The local event `uri` names, if any.
pub async fn local_event(state: &AppState, uri: Option<&str>) -> Result<Option<Event>> {
    let Some(uri) = uri else { return Ok(None) };
    Ok(store::by_uri(&state.db, uri).await?.filter(|e| e.local))
}

/// The event `uri` names, local or a remote copy, if any.
pub async fn event(state: &AppState, uri: &str) -> Result<Option<Event>> {
    store::by_uri(&state.db, uri).await
}

/// An `Undo` of the sender's own `Join` (`inner`) of a local event: the seat is freed.
pub async fn on_undo_join(
    state: &AppState,
    inner: &Activity,
    from: &RemoteActor,
    event: &Event,
) -> Result<()> {
    if authority::own_activity(from, inner, "Undo Join") {
        on_leave(state, from, event).await?;
    }
    Ok(())
}

/// The sender's own participation whose `Join` had the id `join_id` (some servers undo by the
/// Join's id alone).
pub async fn joined_by(
    state: &AppState,
    join_id: &str,
    from: &RemoteActor,
) -> Result<Option<Participant>> {
    Ok(store::participant_by_join(&state.db, join_id)
        .await?
        .filter(|p| p.actor == from.uri))
}

/// An `Undo` naming only the id of the sender's `Join` ([`joined_by`]): the seat of a local
/// event is freed.
pub async fn on_undo_join_by_id(
    state: &AppState,
    joined: &Participant,
    from: &RemoteActor,
) -> Result<()> {
    let mut tx = state.db.begin_write().await?;
    let Some(event) = store::by_id_tx(&mut tx, joined.event_id).await? else {
        return Ok(());
    };
    drop(tx);
    if event.local {
        on_leave(state, from, &event).await?;
    }
    Ok(())
}

/// A `Create` or `Update` of a remote `Event` (`document`, embedded or fetched by the
/// dispatcher).
pub async fn on_create(
    state: &AppState,
    document: &wire::Event,
    actor: &RemoteActor,
) -> Result<()> {
    receive_event(state, document, actor, false).await
}

/// A `Delete` of an event held here: only its organiser deletes it.
pub async fn on_delete(state: &AppState, event: &Event, actor: &RemoteActor) -> Result<()> {
    if !authority::is_owner(actor, &event.organizer, &event.uri, "Delete") {
        return Ok(());
    }
    if !event.is_deleted() {
        let mut tx = state.db.begin_write().await?;
        service::remote_event_deleted(state, &mut tx, event, &actor.uri, &actor.handle()).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A remote actor asks for a seat.
pub async fn on_join(
    state: &AppState,
    activity: &Activity,
    from: &RemoteActor,
    event: &Event,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let join_id = activity.id.to_string();
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
        // As a local RSVP: an organiser who blocked the sender refuses its Join.
        None => match crate::moderation::blocks::ensure_not_blocked(
            state,
            &[event.organizer.as_str()],
            &from.uri,
        )
        .await
        {
            Ok(()) => None,
            Err(Error::Forbidden(_)) => Some("the organiser blocked the sender"),
            Err(e) => return Err(e),
        },
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
pub async fn on_leave(state: &AppState, from: &RemoteActor, event: &Event) -> Result<()> {
    let mut tx = state.db.begin_write().await?;
    store::lock(&mut tx, event.id).await?;
    store::withdraw(&mut tx, event.id, &from.uri).await?;
    tx.commit().await?;
    Ok(())
}

/// The participation an `Accept` or `Reject` (`answer`) answers, if it is one: found by the
/// `Join`'s id (ours), or by the embedded `Join`'s actor and event.
pub async fn answered_join(state: &AppState, answer: &Activity) -> Result<Option<Participant>> {
    let urls = Urls::new(&state.config);
    let base = format!("{}/", urls.base());
    let mut found = None;
    if let Some(join_id) = answer
        .object_id()
        .map(|id| id.as_str())
        .filter(|id| id.starts_with(&base))
    {
        found = store::participant_by_join(&state.db, join_id).await?;
    }
    if let (None, Some(join)) = (&found, answer.embedded_activity()) {
        if let (ActivityKind::Join, Some(event_uri)) = (join.kind(), join.object_id()) {
            if let Some(event) = store::by_uri(&state.db, event_uri.as_str()).await? {
                found = store::participant(&state.db, event.id, join.actor.as_str()).await?;
            }
        }
    }
    Ok(found)
}

/// An answer to a `Join` ([`answered_join`]): a remote organiser answers a local member's
/// `Join`, or someone invited to a local event answers the invitation.
pub async fn on_answer(
    state: &AppState,
    p: &Participant,
    from: &RemoteActor,
    accepted: bool,
) -> Result<()> {
    let mut tx = state.db.begin_write().await?;
    let Some(event) = store::lock(&mut tx, p.event_id).await? else {
        return Ok(());
    };
    // The participation as it is now that the event is held (another answer may have come).
    let Some(p) = store::participant_by_id_tx(&mut tx, p.id).await? else {
        return Ok(());
    };
    // The answer of someone we invited to a local event.
    if event.local {
        if !authority::is_owner(from, &p.actor, &p.join_uri, "answer an invitation")
            || p.state != RsvpState::Pending
        {
            return Ok(());
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
        return Ok(());
    }
    if !authority::is_owner(from, &event.organizer, &event.uri, "answer a Join") {
        return Ok(());
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
    Ok(())
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
    let Some(wire::Object::Event(doc)) = fetch::object(state, uri, &host).await else {
        return Err(not_event());
    };
    let organizer = attributed_to(&doc).ok_or_else(not_event)?;
    if organizer.authority() != host {
        return Err(not_event());
    }
    let actor = remote::resolve(state, organizer.as_str(), false).await?;
    receive_event(state, &doc, &actor, true).await?;
    store::by_uri(&state.db, uri).await?.ok_or_else(not_event)
}

/// Validates and stores (or updates) a remote event; logs and drops what fails. `wanted`
/// marks an event a member looked up on purpose.
async fn receive_event(
    state: &AppState,
    doc: &wire::Event,
    actor: &RemoteActor,
    wanted: bool,
) -> Result<()> {
    let Some(new) = parse_event(doc, actor) else {
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
