//! What the inbox does with a body before it stores an activity: the envelope (JSON, id, type,
//! actor, the actor's host), the same-host checks of the activity and its object, the typed
//! read its processing starts with, and the parsers it hands an embedded object to (an actor,
//! an event).
#![no_main]

use guildhall::events::inbound::parse_event;
use guildhall::federation::inbox;
use guildhall::federation::policy::authority_of;
use guildhall::federation::remote::{id_of, parse_actor, RemoteActor};
use guildhall::federation::wire::{self, Activity, Object};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = inbox::envelope(data) else {
        return;
    };
    assert!(!envelope.id.is_empty() && envelope.id.len() <= 2000);
    assert!(!envelope.actor_uri.is_empty() && envelope.actor_uri.len() <= 2000);
    let _ = authority_of(&envelope.id);
    // The sender as the signature check would have found it.
    let Some(host) = authority_of(&envelope.actor_uri) else {
        return;
    };
    let actor = RemoteActor {
        uri: envelope.actor_uri.clone(),
        host: host.clone(),
        ..Default::default()
    };
    let Some(object) = envelope.activity.get("object") else {
        return;
    };
    let _ = id_of(object).map(authority_of);
    // What the inbox processor reads once: the typed activity, its embedded event parsed.
    if let Ok(activity) = wire::parse_value::<Activity>(&envelope.activity, false) {
        if let Some(Object::Event(doc)) = activity.embedded() {
            if let Some(event) = parse_event(doc, &actor) {
                // An event is only taken from its own server.
                assert_eq!(authority_of(&event.uri).as_deref(), Some(host.as_str()));
                assert!(event.ends_at > event.starts_at);
            }
        }
    }
    match object.get("type").and_then(Value::as_str) {
        Some("Event") => {}
        Some(_) => {
            if let Some(id) = id_of(object) {
                if let Ok(parsed) = parse_actor(object, id, false) {
                    assert_eq!(authority_of(parsed.uri.as_str()), Some(parsed.host));
                }
            }
        }
        None => {}
    }
});
