//! A local post as ActivityStreams: a `Note` (or `Article` when it has a title), addressed by
//! its visibility, with `Mention` and `Hashtag` tags and the `Create`, `Update` and `Delete`
//! activities that carry it.

use serde_json::{json, Value};

use super::model::{Post, Visibility};
use crate::federation::activities::{new_id, strip_context};
use crate::federation::protocol::{context, datetime, AS_PUBLIC};
use crate::federation::urls::Urls;

/// An addressee of a post: its URI, and `@name@host` when it was mentioned.
#[derive(Debug, Clone)]
pub struct Addressee {
    pub uri: String,
    pub mention: Option<String>,
}

/// `to` and `cc` for a post of `author` (whose followers collection is `followers`).
pub fn addressing(
    post: &Post,
    followers: &str,
    audience: &[Addressee],
) -> (Vec<String>, Vec<String>) {
    let named: Vec<String> = audience.iter().map(|a| a.uri.clone()).collect();
    match post.visibility {
        Visibility::Public => (
            vec![AS_PUBLIC.to_string()],
            std::iter::once(followers.to_string())
                .chain(named)
                .collect(),
        ),
        Visibility::Followers => (vec![followers.to_string()], named),
        Visibility::Direct => (named, Vec::new()),
        // Members-only posts never leave the instance; they name no one outside.
        Visibility::Members => (Vec::new(), Vec::new()),
    }
}

/// The object of a local post.
pub fn note(
    urls: &Urls,
    post: &Post,
    followers: &str,
    audience: &[Addressee],
    tags: &[String],
) -> Value {
    let (to, cc) = addressing(post, followers, audience);
    let mut tag: Vec<Value> = audience
        .iter()
        .filter_map(|a| {
            a.mention
                .as_ref()
                .map(|name| json!({ "type": "Mention", "href": a.uri, "name": name }))
        })
        .collect();
    tag.extend(tags.iter().map(|t| {
        json!({ "type": "Hashtag", "href": format!("{}/tags/{t}", urls.base()), "name": format!("#{t}") })
    }));
    let mut doc = json!({
        "@context": context(),
        "id": post.uri,
        "type": post.kind,
        "attributedTo": post.author,
        "content": post.content,
        "published": datetime(post.published_at),
        "url": post.uri,
        "to": to,
        "cc": cc,
        "context": post.conversation,
        "tag": tag,
        "sensitive": !post.summary.is_empty(),
    });
    if !post.source.is_empty() {
        doc["source"] = json!({ "content": post.source, "mediaType": "text/plain" });
    }
    if !post.name.is_empty() {
        doc["name"] = json!(post.name);
    }
    if !post.summary.is_empty() {
        doc["summary"] = json!(post.summary);
    }
    if let Some(parent) = &post.in_reply_to {
        doc["inReplyTo"] = json!(parent);
    }
    if let Some(edited) = post.edited_at {
        doc["updated"] = json!(datetime(edited));
    }
    doc
}

/// `Create` or `Update` of a post's object, addressed like the object.
pub fn wrap(urls: &Urls, kind: &str, object: &Value) -> Value {
    let mut activity = json!({
        "@context": context(),
        "id": new_id(urls),
        "type": kind,
        "actor": object["attributedTo"],
        "object": strip_context(object),
        "to": object["to"],
        "cc": object["cc"],
    });
    if kind == "Create" {
        activity["published"] = object["published"].clone();
    }
    activity
}

/// `Delete` of a post, carrying a `Tombstone`.
pub fn delete(urls: &Urls, post: &Post, to: Vec<String>, cc: Vec<String>) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Delete",
        "actor": post.author,
        "object": { "id": post.uri, "type": "Tombstone" },
        "to": to,
        "cc": cc,
    })
}
