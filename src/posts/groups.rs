//! Communities on other servers (FEP-1b12 groups: Lemmy communities and the like) that members
//! here follow. A community relays what its members post by `Announce`: of the author's
//! `Create`, `Update` or `Delete` of a `Page` (a Lemmy post, with its title in `name`) or a
//! `Note` (a comment, `inReplyTo` its post or another comment), embedded or named by id, or of
//! the post itself. A relayed post is kept as the author's post (it answers what it answers,
//! it is edited by its author only) and counted as the community's `Announce` of it, so it
//! shows in the home timeline of the community's followers and on the community's page here
//! (`/actors?uri=`).
//!
//! **Whose word counts.** The `Announce` is signed by the community; the activity inside is
//! not signed by its author. FEP-1b12 lets a group relay posts of any server, so the community
//! is trusted only to relay, never for the content:
//! - a post is taken as embedded only when the community's own server is the post's origin
//!   (the server that signed the `Announce` is the one that holds the post); any other post is
//!   fetched (signed by this space) from the server its id names, and that copy is the one kept;
//! - the announced activity's `actor` must be the post's `attributedTo`, and the author must be
//!   on the server of the post's id (an actor elsewhere does not own it), as for any post;
//! - a relayed `Delete` removes a post only when its origin no longer serves it (gone, or a
//!   `Tombstone`); otherwise the community merely stops relaying it (a moderator's removal):
//!   its `Announce` is taken back, so the post leaves the community's page and the timelines it
//!   brought it to.

use super::model::Post;
use super::{inbound, store};
use crate::error::Result;
use crate::federation::client::FetchError;
use crate::federation::fetch;
use crate::federation::link::RemoteUrl;
use crate::federation::remote::{self, instance_signer, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{self, Activity, ActivityKind, Note, ObjectOrLink};
use crate::state::AppState;

/// Whether a local actor follows the community `group` (so what it relays is wanted here).
pub async fn followed_here(state: &AppState, group: &str) -> Result<bool> {
    let base = format!("{}/", Urls::new(&state.config).base());
    store::followed_locally(&state.db, group, &base).await
}

/// An `Announce` by a community a local actor follows (the dispatcher checked that).
pub async fn on_announce(state: &AppState, announce: &Activity, group: &RemoteActor) -> Result<()> {
    let Some(object) = announce.object() else {
        return Ok(());
    };
    let inner = match object {
        ObjectOrLink::Object(o) => (**o).clone(),
        // Named by id: read from the server the id names.
        ObjectOrLink::Link(uri) => {
            match fetch::object(state, uri.as_str(), uri.authority()).await {
                Some(o) => o,
                None => return Ok(()),
            }
        }
    };
    let wire::Object::Activity(inner) = inner else {
        // The post itself, announced as a boost is.
        return match from_origin(state, object, group).await {
            Some(note) => keep(state, announce, group, &note, false).await,
            None => Ok(()),
        };
    };
    match inner.kind() {
        ActivityKind::Create | ActivityKind::Update => {
            let Some(object) = inner.object() else {
                return Ok(());
            };
            let Some(note) = from_origin(state, object, group).await else {
                return Ok(());
            };
            if note.author() != Some(inner.actor.get()) {
                tracing::info!(
                    post = %note.id,
                    actor = %inner.actor.get(),
                    group = %group.uri,
                    "refused: a relayed post attributed to someone other than the activity's actor"
                );
                return Ok(());
            }
            keep(
                state,
                announce,
                group,
                &note,
                inner.kind() == ActivityKind::Update,
            )
            .await
        }
        ActivityKind::Delete => deleted(state, &inner, group).await,
        _ => {
            tracing::info!(kind = %inner.kind_name, group = %group.uri, "a relayed activity not handled; ignored");
            Ok(())
        }
    }
}

/// The post `object` names, as its origin has it: an embedded copy when the community's own
/// server is the post's origin, else fetched from the server its id names; `None` (logged)
/// when it is not a post or cannot be had.
async fn from_origin(
    state: &AppState,
    object: &ObjectOrLink<wire::Object>,
    group: &RemoteActor,
) -> Option<Note> {
    let id: RemoteUrl = match object {
        ObjectOrLink::Link(u) => u.clone(),
        ObjectOrLink::Object(o) => o.id()?.clone(),
    };
    if let ObjectOrLink::Object(o) = object {
        if id.authority() == group.host {
            return inbound::as_post(o).cloned();
        }
    }
    let fetched = fetch::object(state, id.as_str(), id.authority()).await?;
    let note = inbound::as_post(&fetched).cloned();
    if note.is_none() {
        tracing::info!(object = %id, "a relayed object that is not a post was not kept");
    }
    note
}

/// Keeps a relayed post as its author's, and counts it as the community's `Announce`.
async fn keep(
    state: &AppState,
    announce: &Activity,
    group: &RemoteActor,
    note: &Note,
    update: bool,
) -> Result<()> {
    let Some(author_uri) = note.author() else {
        return Ok(());
    };
    let base = format!("{}/", Urls::new(&state.config).base());
    if author_uri.as_str().starts_with(&base) {
        // A post of ours, relayed back: we have it.
        return Ok(());
    }
    // What a suspended actor wrote does not come in by way of a community either.
    if crate::moderation::blocks::is_suspended(state, author_uri.as_str()).await? {
        tracing::info!(post = %note.id, author = %author_uri, "a relayed post of a suspended actor dropped");
        return Ok(());
    }
    if author_uri.authority() != note.id.authority() {
        tracing::info!(post = %note.id, author = %author_uri, "refused: a relayed post whose author is on another server");
        return Ok(());
    }
    let author = match remote::resolve(state, author_uri.as_str(), false).await {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(post = %note.id, author = %author_uri, error = %e, "the author of a relayed post could not be read");
            return Ok(());
        }
    };
    inbound::receive_relayed(state, note, &author, update, &group.uri).await?;
    let Some(post) = store::by_uri(&state.db, note.id.as_str()).await? else {
        return Ok(());
    };
    if post.local || post.is_deleted() || post.author != author.uri {
        return Ok(());
    }
    let mut tx = state.db.begin_write().await?;
    store::add_reaction(
        &mut tx,
        post.id,
        &group.uri,
        "announce",
        announce.id.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A relayed `Delete` of a post held here.
async fn deleted(state: &AppState, inner: &Activity, group: &RemoteActor) -> Result<()> {
    let Some(id) = inner.object_id() else {
        return Ok(());
    };
    let Some(post) = store::by_uri(&state.db, id.as_str()).await? else {
        return Ok(());
    };
    if post.local || post.is_deleted() {
        return Ok(());
    }
    // Asked before the write transaction opens: no network wait holds the writer.
    let gone = gone_at_origin(state, &post).await;
    let mut tx = state.db.begin_write().await?;
    if gone {
        store::mark_deleted(&mut tx, &post).await?;
    } else {
        // Removed from the community only: it stops relaying it.
        store::take_reaction(&mut tx, post.id, &group.uri, "announce").await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the post's origin says it is gone: 404 or 410, or a `Tombstone` in its place.
async fn gone_at_origin(state: &AppState, post: &Post) -> bool {
    let Ok(signer) = instance_signer(state).await else {
        return false;
    };
    match state.client.get_json(&post.uri, Some(&signer)).await {
        Err(FetchError::Status(404 | 410)) => true,
        Ok(doc) => matches!(
            wire::parse_value::<wire::Object>(&doc, state.config.dev_http),
            Ok(wire::Object::Tombstone(_))
        ),
        Err(_) => false,
    }
}
