//! Builders for the activities Guildhall sends: Follow, Accept, Reject, Undo, Update, Delete.
//! Each gets a fresh id under `/activities/`.

use serde_json::{json, Value};

use super::ids::random_token;
use super::protocol::{context, AS_PUBLIC};
use super::urls::Urls;

pub fn new_id(urls: &Urls) -> String {
    format!("{}/activities/{}", urls.base(), random_token())
}

pub fn follow(urls: &Urls, actor: &str, object: &str) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Follow",
        "actor": actor,
        "object": object,
        "to": [object],
    })
}

/// Accept or Reject of a follow request, embedding the original Follow as peers expect.
pub fn answer_follow(urls: &Urls, accept: bool, actor: &str, follow: &Value) -> Value {
    let follower = follow.get("actor").cloned().unwrap_or(Value::Null);
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": if accept { "Accept" } else { "Reject" },
        "actor": actor,
        "object": strip_context(follow),
        "to": [follower],
    })
}

pub fn undo(urls: &Urls, actor: &str, activity: &Value, to: &[String]) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Undo",
        "actor": actor,
        "object": strip_context(activity),
        "to": to,
    })
}

/// Update of an actor's own profile, public, to its followers.
pub fn update_actor(urls: &Urls, actor_doc: &Value, followers: &str) -> Value {
    let actor = actor_doc.get("id").cloned().unwrap_or(Value::Null);
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Update",
        "actor": actor,
        "object": strip_context(actor_doc),
        "to": [AS_PUBLIC],
        "cc": [followers],
    })
}

/// Delete of an actor by itself.
pub fn delete_actor(urls: &Urls, actor: &str, followers: &str) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Delete",
        "actor": actor,
        "object": actor,
        "to": [AS_PUBLIC],
        "cc": [followers],
    })
}

/// A copy of a document without its `@context`, for embedding.
pub fn strip_context(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}
