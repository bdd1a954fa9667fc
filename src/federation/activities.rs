//! Builders for the activities Guildhall sends: Follow, Accept, Reject, Undo, Update, Delete,
//! Block, Flag,
//! written from the typed [`Activity`] of [`super::wire`]. Each gets a fresh id under
//! `/activities/`. An activity we embed (the Follow answered, the activity undone, the actor
//! document updated) is passed as JSON and embedded as it is, less its `@context`.

use serde_json::{json, Value};

use super::ids::random_token;
use super::urls::Urls;
use super::wire::{
    document, Activity, ActivityKind, Addressing, Audience, Object, ObjectOrLink, OneOrMany,
    AS_PUBLIC,
};

pub fn new_id(urls: &Urls) -> String {
    format!("{}/activities/{}", urls.base(), random_token())
}

/// An activity of ours with a fresh id.
fn ours(
    urls: &Urls,
    kind: ActivityKind,
    actor: &str,
    object: ObjectOrLink<Object<String>, String>,
) -> Activity<String> {
    Activity::new(kind, new_id(urls), actor.to_string(), object)
}

/// A document embedded as received, less its `@context`.
fn verbatim(v: &Value) -> ObjectOrLink<Object<String>, String> {
    ObjectOrLink::Object(Box::new(Object::Other(strip_context(v))))
}

/// Public, and to `followers`.
fn public(followers: &str) -> Addressing<String> {
    Addressing::to_cc(vec![AS_PUBLIC.to_string()], vec![followers.to_string()])
}

pub fn follow(urls: &Urls, actor: &str, object: &str) -> Value {
    let mut a = ours(
        urls,
        ActivityKind::Follow,
        actor,
        ObjectOrLink::Link(object.to_string()),
    );
    a.address.to = Some(Audience(vec![object.to_string()]));
    document(&a)
}

/// Accept or Reject of a follow request, embedding the original Follow as peers expect.
pub fn answer_follow(urls: &Urls, accept: bool, actor: &str, follow: &Value) -> Value {
    let kind = if accept {
        ActivityKind::Accept
    } else {
        ActivityKind::Reject
    };
    let a = ours(urls, kind, actor, verbatim(follow));
    let mut doc = document(&a);
    // To the follower, its `actor` written as the Follow had it (an address, or an object).
    let follower = follow.get("actor").cloned().unwrap_or(Value::Null);
    doc["to"] = json!([follower]);
    doc
}

pub fn undo(urls: &Urls, actor: &str, activity: &Value, to: &[String]) -> Value {
    let mut a = ours(urls, ActivityKind::Undo, actor, verbatim(activity));
    a.address.to = Some(Audience(to.to_vec()));
    document(&a)
}

/// Update of an actor's own profile, public, to its followers.
pub fn update_actor(urls: &Urls, actor_doc: &Value, followers: &str) -> Value {
    let actor = actor_doc
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut a = ours(urls, ActivityKind::Update, actor, verbatim(actor_doc));
    a.address = public(followers);
    document(&a)
}

/// Delete of an actor by itself.
pub fn delete_actor(urls: &Urls, actor: &str, followers: &str) -> Value {
    let mut a = ours(
        urls,
        ActivityKind::Delete,
        actor,
        ObjectOrLink::Link(actor.to_string()),
    );
    a.address = public(followers);
    document(&a)
}

/// A member's `Block` of a remote actor, addressed to it, as Mastodon sends it. `id` is the
/// block's own address (kept so its `Undo` can name it).
pub fn block(id: &str, actor: &str, object: &str) -> Value {
    let mut a = Activity::new(
        ActivityKind::Block,
        id.to_string(),
        actor.to_string(),
        ObjectOrLink::Link(object.to_string()),
    );
    a.address.to = Some(Audience(vec![object.to_string()]));
    document(&a)
}

/// A report forwarded as Mastodon sends it: a `Flag` from the space actor whose object is the
/// reported actor followed by the reported objects, the comment as `content`.
pub fn flag(urls: &Urls, space: &str, target: &str, objects: &[String], comment: &str) -> Value {
    let mut a = ours(
        urls,
        ActivityKind::Flag,
        space,
        ObjectOrLink::Link(target.to_string()),
    );
    let mut named = vec![ObjectOrLink::Link(target.to_string())];
    named.extend(
        objects
            .iter()
            .filter(|o| *o != target)
            .map(|o| ObjectOrLink::Link(o.clone())),
    );
    a.object = Some(OneOrMany::Many(named));
    a.content = Some(comment.to_string());
    a.address.to = Some(Audience(vec![target.to_string()]));
    document(&a)
}

/// A copy of a document without its `@context`, for embedding.
pub fn strip_context(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::Config;
    use crate::federation::wire::context;

    fn urls() -> Urls {
        let env: BTreeMap<String, String> = [("GUILDHALL_DOMAIN", "harbour.example")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Urls::new(&Config::from_sources(&BTreeMap::new(), &env).unwrap())
    }

    /// The fresh id the builder gave, checked for its shape.
    fn id_of(doc: &Value) -> Value {
        let id = doc["id"].as_str().unwrap();
        assert!(id.starts_with("https://harbour.example/activities/"));
        json!(id)
    }

    const ME: &str = "https://harbour.example/members/ada";
    const PEER: &str = "https://peer.example/users/bo";

    // Each builder writes what the `json!` builders it replaced wrote.

    #[test]
    fn follow_and_undo() {
        let f = follow(&urls(), ME, PEER);
        assert_eq!(
            f,
            json!({
                "@context": context(), "id": id_of(&f), "type": "Follow",
                "actor": ME, "object": PEER, "to": [PEER],
            })
        );
        let u = undo(&urls(), ME, &f, &[PEER.to_string()]);
        assert_eq!(
            u,
            json!({
                "@context": context(), "id": id_of(&u), "type": "Undo",
                "actor": ME, "object": strip_context(&f), "to": [PEER],
            })
        );
    }

    #[test]
    fn answers_embed_the_follow_as_received() {
        let received = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://peer.example/f/1", "type": "Follow", "actor": PEER, "object": ME,
            "state": "pending",
        });
        for (accept, kind) in [(true, "Accept"), (false, "Reject")] {
            let a = answer_follow(&urls(), accept, ME, &received);
            assert_eq!(
                a,
                json!({
                    "@context": context(), "id": id_of(&a), "type": kind,
                    "actor": ME, "object": strip_context(&received), "to": [PEER],
                })
            );
        }
        // An actor written as an object is addressed as written.
        let mut odd = received.clone();
        odd["actor"] = json!({ "id": PEER, "type": "Person" });
        let a = answer_follow(&urls(), true, ME, &odd);
        assert_eq!(a["to"], json!([odd["actor"]]));
    }

    #[test]
    fn actor_update_and_delete() {
        let followers = format!("{ME}/followers");
        let doc = json!({ "@context": context(), "id": ME, "type": "Person", "name": "Ada" });
        let u = update_actor(&urls(), &doc, &followers);
        assert_eq!(
            u,
            json!({
                "@context": context(), "id": id_of(&u), "type": "Update", "actor": ME,
                "object": strip_context(&doc), "to": [AS_PUBLIC], "cc": [followers],
            })
        );
        let d = delete_actor(&urls(), ME, &followers);
        assert_eq!(
            d,
            json!({
                "@context": context(), "id": id_of(&d), "type": "Delete", "actor": ME,
                "object": ME, "to": [AS_PUBLIC], "cc": [followers],
            })
        );
    }

    #[test]
    fn block_and_flag_as_mastodon_sends_them() {
        let id = format!("{ME}#blocks/1");
        let b = block(&id, ME, PEER);
        assert_eq!(
            b,
            json!({
                "@context": context(), "id": id, "type": "Block", "actor": ME,
                "object": PEER, "to": [PEER],
            })
        );
        let space = "https://harbour.example/";
        let post = "https://peer.example/statuses/1".to_string();
        // The target is named once, first; the comment is the content.
        let f = flag(
            &urls(),
            space,
            PEER,
            &[PEER.to_string(), post.clone()],
            "spam",
        );
        assert_eq!(
            f,
            json!({
                "@context": context(), "id": id_of(&f), "type": "Flag", "actor": space,
                "object": [PEER, post], "content": "spam", "to": [PEER],
            })
        );
    }
}
