//! Telling organisers and local participants what happened to an event.

use crate::accounts::Account;
use crate::error::Result;
use crate::events::model::{Event, RsvpState};
use crate::events::store;
use crate::federation::actors;
use crate::federation::urls::Urls;
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::Tx;

/// Tells the people behind the organiser about a new participant or request.
pub async fn notify_organiser(
    state: &AppState,
    tx: &mut Tx,
    event: &Event,
    who_uri: &str,
    who_name: &str,
    outcome: RsvpState,
) -> Result<()> {
    let Some(organizer) = actors::by_uri(state, &event.organizer).await? else {
        return Ok(());
    };
    let summary = match outcome {
        RsvpState::Accepted => format!("joined {}", event.title),
        RsvpState::Pending => format!("asked to join {}", event.title),
        RsvpState::Rejected => format!("could not join {} (full)", event.title),
    };
    notes::notify_stewards(
        tx,
        &state.db,
        &organizer,
        &NewNotification {
            account_id: 0,
            kind: Kind::Rsvp,
            actor: who_uri,
            actor_name: who_name,
            object: &event.uri,
            link: &event.link(),
            summary: &summary,
        },
    )
    .await?;
    Ok(())
}

/// Tells the local participants (seated or waiting) that an event changed.
pub async fn notify_participants(
    state: &AppState,
    tx: &mut Tx,
    by: &Account,
    event: &Event,
    what: &str,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let who = match actors::by_uri(state, &event.organizer).await? {
        Some(o) => o.label(),
        None => format!("@{}@{}", by.handle, urls.domain()),
    };
    notify_local_participants(state, tx, event, &event.organizer, &who, what).await
}

/// A remote event deleted by `actor` (its organiser): its local participants are told, then
/// it becomes a tombstone, inside the caller's transaction.
pub async fn remote_event_deleted(
    state: &AppState,
    tx: &mut Tx,
    event: &Event,
    actor: &str,
    actor_name: &str,
) -> Result<()> {
    notify_local_participants(state, tx, event, actor, actor_name, "deleted").await?;
    store::mark_deleted(tx, event.id).await
}

/// A remote actor deleted itself: the events it organised here go as its own `Delete` of
/// each would, inside the caller's transaction (each held first, as every seat change does).
pub async fn organizer_deleted(
    state: &AppState,
    tx: &mut Tx,
    organizer: &str,
    organizer_name: &str,
) -> Result<()> {
    for event in store::remote_events_of_for_update(tx, organizer).await? {
        remote_event_deleted(state, tx, &event, organizer, organizer_name).await?;
    }
    Ok(())
}

/// The same for an event whatever its origin, naming `actor` as the cause.
pub async fn notify_local_participants(
    state: &AppState,
    tx: &mut Tx,
    event: &Event,
    actor: &str,
    actor_name: &str,
    what: &str,
) -> Result<()> {
    let summary = format!("{what} {}", event.title);
    for p in store::participants(&state.db, event.id).await? {
        if p.state == RsvpState::Rejected {
            continue;
        }
        let Some(local_actor) = actors::by_uri(state, &p.actor).await? else {
            continue;
        };
        notes::notify_stewards(
            tx,
            &state.db,
            &local_actor,
            &NewNotification {
                account_id: 0,
                kind: Kind::EventUpdated,
                actor,
                actor_name,
                object: &event.uri,
                link: &event.link(),
                summary: &summary,
            },
        )
        .await?;
    }
    Ok(())
}
