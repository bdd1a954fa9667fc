//! Events as lists show them (an event, its organiser, its time in its own zone, its link), for
//! the events pages and for the upcoming events on member, company and space pages.

use super::model::{Event, EventVisibility};
use super::{lists, times};
use crate::error::Result;
use crate::posts::people::{self, Person};
use crate::state::AppState;

/// An event as lists show it.
pub struct EventCard {
    pub event: Event,
    pub organizer: Person,
    pub when: String,
    pub link: String,
}

/// Presents events with their organisers looked up once.
pub async fn cards(state: &AppState, events: Vec<Event>) -> Result<Vec<EventCard>> {
    let uris = events.iter().map(|e| e.organizer.clone()).collect();
    let people = people::people(state, uris).await?;
    Ok(events
        .into_iter()
        .map(|event| EventCard {
            organizer: people
                .get(&event.organizer)
                .cloned()
                .unwrap_or_else(|| Person::unknown(&event.organizer)),
            when: times::short(event.starts_at, &event.timezone),
            link: event.link(),
            event,
        })
        .collect())
}

/// The upcoming events an actor's page shows (what it organises, public ones unless the
/// viewer is a member here), at most six.
pub async fn upcoming_of(state: &AppState, actor: &str, member: bool) -> Result<Vec<EventCard>> {
    let events =
        lists::upcoming_for(state, actor, false, false, 6, crate::storage::now_ms()).await?;
    let events = if member {
        let mut all = events;
        for e in lists::upcoming_by(state, actor, true, 6, crate::storage::now_ms()).await? {
            if e.visibility == EventVisibility::Members && !all.iter().any(|x| x.id == e.id) {
                all.push(e);
            }
        }
        all.sort_by_key(|e| e.starts_at);
        all
    } else {
        events
    };
    cards(state, events).await
}
