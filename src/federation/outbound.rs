//! Telling followers about an actor's own changes: profile updates and deletion.

use serde_json::Value;

use super::activities;
use super::delivery;
use super::follows;
use super::local::LocalActor;
use super::urls::Urls;
use super::Context;
use crate::error::Result;
use crate::storage::Tx;

/// Sends `Update` with the actor's new document to every server with a follower.
pub async fn actor_updated(ctx: &Context, actor: &LocalActor, document: &Value) -> Result<()> {
    let urls = Urls::new(&ctx.config);
    let uri = actor.uri(&urls);
    let inboxes = follows::follower_inboxes(&ctx.db, &uri).await?;
    let activity = activities::update_actor(&urls, document, &urls.collection(&uri, "followers"));
    // Kept in the outbox even without followers, so the history is complete.
    follows::send(ctx, actor, &activity, true, &inboxes).await
}

/// Queues `Delete` of the actor to every server with a follower, in the caller's transaction
/// (the one that deletes the actor), so followers are told exactly when the deletion happens.
/// Call [`delivery::wake`] after committing.
pub async fn queue_actor_deleted(ctx: &Context, tx: &mut Tx, actor: &LocalActor) -> Result<()> {
    let urls = Urls::new(&ctx.config);
    let uri = actor.uri(&urls);
    let inboxes = follows::follower_inboxes(&ctx.db, &uri).await?;
    let activity = activities::delete_actor(&urls, &uri, &urls.collection(&uri, "followers"));
    delivery::publish(tx, &activity, actor.key_ref(), true, &inboxes).await?;
    Ok(())
}
