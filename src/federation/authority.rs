//! Who may change what. An activity changes an object only when its actor (the one the inbox
//! verified the signature of) is the object's stored owner: the organiser of an event as stored
//! when it was first received, the author of a post, the group of a project's tasks, notes, files
//! and membership, the actor of an activity being undone, the actor itself for its deletion.
//! Owners are compared as whole actor URIs, never by host: on a shared server (Mastodon,
//! Mobilizon) anyone else there is a stranger. A refusal is logged here, once, and the caller
//! changes nothing (the inbox has already answered 202).

use super::remote::RemoteActor;
use super::wire::Activity;

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

/// Whether an `Undo` (or other wrapper) sent by `actor` embeds an activity of `actor`'s own: the
/// embedded activity's `actor` (which the typed layer requires) is the sender. Otherwise logs
/// the refusal. (An `Undo` naming the activity by id alone can only match the sender's own
/// records: see the callers.)
pub fn own_activity(actor: &RemoteActor, inner: &Activity, action: &str) -> bool {
    is_owner(actor, inner.actor.as_str(), inner.id.as_str(), action)
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
    fn an_undo_names_the_senders_own_activity() {
        let me = actor("https://gamma.example/users/me");
        let read = |doc: serde_json::Value| {
            crate::federation::wire::parse_value::<Activity>(&doc, false).unwrap()
        };
        let id = "https://gamma.example/a/1";
        let mine =
            read(json!({"id": id, "type": "Follow", "actor": "https://gamma.example/users/me"}));
        let mine_as_object = read(
            json!({"id": id, "type": "Like", "actor": {"id": "https://gamma.example/users/me"}}),
        );
        let theirs =
            read(json!({"id": id, "type": "Follow", "actor": "https://gamma.example/users/other"}));
        assert!(own_activity(&me, &mine, "Undo"));
        assert!(own_activity(&me, &mine_as_object, "Undo"));
        assert!(!own_activity(&me, &theirs, "Undo"));
    }
}
