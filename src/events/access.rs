//! An event as its address serves it, and the one rule pages and the API share for showing
//! an event: who may see it is [`service::can_see`]; a deleted event answers 410.

use super::model::{Event, EventVisibility};
use super::{service, store};
use crate::error::{Error, Result};
use crate::federation::object::{Audience, FederatedObject};
use crate::posts::access::Viewer;
use crate::state::AppState;

/// A local event, as its address serves it (see [`crate::federation::object`]).
impl FederatedObject for Event {
    fn id(&self) -> &str {
        &self.uri
    }
    fn kind(&self) -> &str {
        "Event"
    }
    fn deleted_at(&self) -> Option<i64> {
        self.deleted_at
    }
    fn audience(&self) -> Audience {
        match self.visibility {
            EventVisibility::Public => Audience::Public,
            EventVisibility::Members => Audience::Members,
            EventVisibility::Followers => Audience::Restricted,
        }
    }
}

/// `event` if `viewer` may see it: 404 when it may not, 410 when it was deleted.
pub async fn shown(state: &AppState, event: Event, viewer: &Viewer) -> Result<Event> {
    if !service::can_see(state, &event, viewer).await? {
        return Err(Error::NotFound);
    }
    if event.is_deleted() {
        return Err(Error::Gone);
    }
    Ok(event)
}

/// The event at `uri` (local or received) if `viewer` may see it; see [`shown`].
pub async fn visible(state: &AppState, uri: &str, viewer: &Viewer) -> Result<Event> {
    let event = store::by_uri(&state.db, uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    shown(state, event, viewer).await
}
