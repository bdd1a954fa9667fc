//! What a remote actor's own `Update` or `Delete` of itself does here: a cross-feature
//! reaction, so it sits above the features.

use crate::error::Result;
use crate::federation::remote::RemoteActor;
use crate::federation::{follows, remote};
use crate::state::AppState;

/// A remote actor updated itself: its document is fetched from the origin (rather than the
/// embedded copy trusted), then its directory entry refreshed.
pub async fn updated(state: &AppState, uri: &str) -> Result<()> {
    match remote::fetch(state, uri).await {
        Ok(_) => crate::directory::sync::on_actor_updated(state, uri).await,
        Err(e) => {
            tracing::info!(actor = uri, error = %e, "actor update could not be fetched");
            Ok(())
        }
    }
}

/// A remote actor deleted itself: everything it left here goes in one transaction (Mastodon
/// does the same): its posts and comments become tombstones, and so do the events it
/// organised (their local participants told), its likes, boosts, RSVPs and follows go, and
/// the actor is marked deleted; then its directory entry. `actor` is the sender as the
/// processor read it.
pub async fn deleted(state: &AppState, actor: &RemoteActor) -> Result<()> {
    let (uri, name) = (actor.uri.as_str(), actor.handle());
    let mut tx = state.db.begin_write().await?;
    remote::mark_deleted_tx(&mut tx, uri).await?;
    crate::posts::store::remove_author_tx(&mut tx, uri).await?;
    crate::events::service::organizer_deleted(state, &mut tx, uri, &name).await?;
    crate::events::store::remove_actor_tx(&mut tx, uri).await?;
    follows::remove_actor_tx(&mut tx, uri).await?;
    tx.commit().await?;
    state.signers.forget(uri);
    crate::directory::sync::on_actor_deleted(state, uri).await
}

/// Whether `uri` names an actor known here, remote or local.
pub async fn is_known(state: &AppState, uri: &str) -> Result<bool> {
    Ok(remote::by_uri(&state.db, uri).await?.is_some()
        || crate::hub::actors::by_uri(state, uri).await?.is_some())
}
