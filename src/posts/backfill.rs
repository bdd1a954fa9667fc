//! Backfill: when a remote actor accepts a member's follow, its recent public posts are read
//! from its outbox so its profile here and the member's home timeline are not empty. Bounded:
//! the outbox and its first page only (two signed fetches, each size-limited by the client),
//! at most [`MAX_ITEMS`] items, and only `Create` activities by that actor of a public `Note`
//! or `Article` embedded in them, each read by `federation::wire` and stored like any received
//! post (idempotent by id: a post already here is left as it is).

use super::inbound;
use super::model::Post;
use super::store;
use crate::error::Result;
use crate::federation::remote::{self, instance_signer, RemoteActor};
use crate::federation::wire::{self, ActivityKind, Collection, Object, ObjectOrLink, AS_PUBLIC};
use crate::state::AppState;

/// Most outbox items read.
pub const MAX_ITEMS: usize = 20;

/// Reads `actor`'s outbox and stores its recent public posts; returns how many were new.
/// Whatever fails (no outbox, a fetch, a document that does not read) is logged and ends the
/// backfill; it never fails the follow.
pub async fn from_outbox(state: &AppState, actor: &RemoteActor) -> Result<usize> {
    let Some(outbox) = remote::outbox_of(&state.db, &actor.uri).await? else {
        return Ok(0);
    };
    let Some(collection) = fetch_collection(state, &outbox, &actor.host).await else {
        return Ok(0);
    };
    // The items of the collection itself, else of its first page (embedded, or fetched once).
    let page = if collection.entries().next().is_some() {
        collection
    } else {
        match collection.first {
            Some(ObjectOrLink::Object(first)) => *first,
            Some(ObjectOrLink::Link(url)) => {
                match fetch_collection(state, url.as_str(), &actor.host).await {
                    Some(page) => page,
                    None => return Ok(0),
                }
            }
            None => return Ok(0),
        }
    };
    let mut stored = 0;
    for item in page.entries().take(MAX_ITEMS) {
        let ObjectOrLink::Object(object) = item else {
            continue;
        };
        let Object::Activity(activity) = object.as_ref() else {
            continue;
        };
        if activity.kind() != ActivityKind::Create || activity.actor.0.as_str() != actor.uri {
            continue;
        }
        let Some(note) = activity.embedded().and_then(Object::as_note) else {
            continue;
        };
        if !matches!(note.kind.as_str(), "Note" | "Article") || !is_public(note) {
            continue;
        }
        let before: Option<Post> = store::by_uri(&state.db, note.id.as_str()).await?;
        if before.is_some() {
            continue;
        }
        // The same checks as a pushed post: the author, the host, the size, sanitising.
        inbound::on_create(state, note, actor, false).await?;
        if store::by_uri(&state.db, note.id.as_str()).await?.is_some() {
            stored += 1;
        }
    }
    tracing::debug!(actor = %actor.uri, stored, "outbox backfill");
    Ok(stored)
}

fn is_public(note: &wire::Note) -> bool {
    let a = &note.address;
    [&a.to, &a.cc]
        .into_iter()
        .flatten()
        .flat_map(|list| list.0.iter())
        .any(|u| u.as_str() == AS_PUBLIC)
}

/// A collection or page at `url`, only on `host`, fetched signed by this space.
async fn fetch_collection(state: &AppState, url: &str, host: &str) -> Option<Collection> {
    if crate::federation::policy::authority_of(url).as_deref() != Some(host) {
        tracing::info!(url, "an outbox on another host was not read");
        return None;
    }
    let signer = instance_signer(state).await.ok()?;
    let doc = match state.client.get_json(url, Some(&signer)).await {
        Ok(doc) => doc,
        Err(e) => {
            tracing::info!(url, error = %e, "an outbox could not be fetched");
            return None;
        }
    };
    match wire::parse_value::<Collection>(&doc, state.config.dev_http) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::info!(url, error = %e, "an outbox does not read");
            None
        }
    }
}
