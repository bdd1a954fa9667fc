//! Who may change what. An activity changes an object only when its actor (the one the inbox
//! verified the signature of) is the object's stored owner: the organiser of an event as stored
//! when it was first received, the author of a post, the group of a project's tasks, notes, files
//! and membership, the actor of an activity being undone, the actor itself for its deletion.
//! Owners are compared as whole actor URIs, never by host: on a shared server (Mastodon,
//! Mobilizon) anyone else there is a stranger. A refusal is logged here, once, and the caller
//! changes nothing (the inbox has already answered 202).

use serde_json::Value;

use super::remote::{id_of, RemoteActor};

/// Whether `actor` is `owner`, the stored owner of `object`; otherwise logs the refused `action`.
pub fn is_owner(actor: &RemoteActor, owner: &str, object: &str, action: &str) -> bool {
    if actor.uri == owner {
        return true;
    }
    tracing::info!(
        actor = %actor.uri,
        owner,
        object,
        action,
        "refused: the actor does not own the object"
    );
    false
}

/// Whether an `Undo` (or other wrapper) sent by `actor` names an activity of `actor`'s own: the
/// embedded activity's `actor` is the sender, or it names none (then only the sender's own
/// records can match). Otherwise logs the refusal.
pub fn own_activity(actor: &RemoteActor, inner: &Value, action: &str) -> bool {
    match inner.get("actor").and_then(id_of) {
        None => true,
        Some(owner) => is_owner(actor, owner, id_of(inner).unwrap_or_default(), action),
    }
}
