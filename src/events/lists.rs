//! The lists of events that pages, feeds (`.ics`), FEP-8a8e collections, the directory and the
//! API show, in one place: what an actor the moderators suspended (a member of this space or
//! a remote actor) organises is left out of every one of them, for everyone, moderators too,
//! as its posts leave every timeline. The store leaves them out in its query, so a list's
//! limit still holds. At its address such an event is for the moderators only
//! ([`super::service::can_see`]).

use super::model::Event;
use super::store;
use crate::error::Result;
use crate::moderation::blocks::suspended_list;
use crate::state::AppState;

/// See [`store::upcoming`].
pub async fn upcoming(state: &AppState, members: bool, limit: i64) -> Result<Vec<Event>> {
    let hidden = suspended_list(state).await?;
    store::upcoming(&state.db, &hidden, members, limit).await
}

/// See [`store::upcoming_local_public`].
pub async fn upcoming_local_public(state: &AppState, limit: i64, since: i64) -> Result<Vec<Event>> {
    let hidden = suspended_list(state).await?;
    store::upcoming_local_public(&state.db, &hidden, limit, since).await
}

/// See [`store::listable_local`].
pub async fn listable_local(state: &AppState, now: i64) -> Result<Vec<Event>> {
    let hidden = suspended_list(state).await?;
    store::listable_local(&state.db, &hidden, now).await
}

/// See [`store::upcoming_by`].
pub async fn upcoming_by(
    state: &AppState,
    organizer: &str,
    all: bool,
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    let hidden = suspended_list(state).await?;
    store::upcoming_by(&state.db, &hidden, organizer, all, limit, since).await
}

/// See [`store::upcoming_for`].
pub async fn upcoming_for(
    state: &AppState,
    actor: &str,
    all: bool,
    pending: bool,
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    let hidden = suspended_list(state).await?;
    store::upcoming_for(&state.db, &hidden, actor, all, pending, limit, since).await
}
