//! Telling followers about an actor's own changes: profile updates and deletion.

use serde_json::Value;

use super::activities;
use super::follows;
use super::local::LocalActor;
use super::urls::Urls;
use crate::app::AppState;
use crate::error::Result;

/// Sends `Update` with the actor's new document to every server with a follower.
pub async fn actor_updated(state: &AppState, actor: &LocalActor, document: &Value) -> Result<()> {
    let urls = Urls::new(&state.config);
    let uri = actor.uri(&urls);
    let inboxes = follows::follower_inboxes(&state.db, &uri).await?;
    let activity = activities::update_actor(&urls, document, &urls.collection(&uri, "followers"));
    // Kept in the outbox even without followers, so the history is complete.
    follows::send(state, actor, &activity, true, &inboxes).await
}

/// Sends `Delete` of the actor to every server with a follower; returns after queueing.
pub async fn actor_deleted(state: &AppState, actor: &LocalActor) -> Result<()> {
    let urls = Urls::new(&state.config);
    let uri = actor.uri(&urls);
    let inboxes = follows::follower_inboxes(&state.db, &uri).await?;
    let activity = activities::delete_actor(&urls, &uri, &urls.collection(&uri, "followers"));
    follows::send(state, actor, &activity, true, &inboxes).await
}
