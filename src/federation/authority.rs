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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actor(uri: &str) -> RemoteActor {
        RemoteActor {
            id: 1,
            uri: uri.to_string(),
            host: "gamma.example".into(),
            kind: "Person".into(),
            preferred_username: "someone".into(),
            name: String::new(),
            summary: String::new(),
            url: String::new(),
            icon_url: String::new(),
            inbox: format!("{uri}/inbox"),
            shared_inbox: None,
            followers: None,
            key_id: format!("{uri}#main-key"),
            public_key_pem: String::new(),
            manually_approves: false,
            discoverable: false,
            fetched_at: 0,
        }
    }

    #[test]
    fn only_the_very_owner_is_the_owner() {
        let organiser = "https://gamma.example/users/organiser";
        let event = "https://gamma.example/events/1";
        assert!(is_owner(&actor(organiser), organiser, event, "Update"));
        for stranger in [
            "https://gamma.example/users/stranger",
            "https://gamma.example/users/organiser/",
            "https://gamma.example/users/organiser#x",
            "http://gamma.example/users/organiser",
            "https://GAMMA.example/users/organiser",
        ] {
            assert!(
                !is_owner(&actor(stranger), organiser, event, "Update"),
                "{stranger}"
            );
        }
    }

    #[test]
    fn an_undo_names_the_senders_own_activity_or_none() {
        let me = actor("https://gamma.example/users/me");
        let mine = json!({"type": "Follow", "actor": "https://gamma.example/users/me"});
        let mine_as_object =
            json!({"type": "Like", "actor": {"id": "https://gamma.example/users/me"}});
        let unnamed = json!({"type": "Follow", "object": "https://alpha.example/members/ada"});
        let theirs = json!({"type": "Follow", "actor": "https://gamma.example/users/other"});
        assert!(own_activity(&me, &mine, "Undo"));
        assert!(own_activity(&me, &mine_as_object, "Undo"));
        assert!(own_activity(&me, &unnamed, "Undo"));
        assert!(!own_activity(&me, &theirs, "Undo"));
    }
}
