//! A local post as ActivityStreams: a `Note` (or `Article` when it has a title), addressed by
//! its visibility, with `Mention` and `Hashtag` tags, its pictures as `Image` attachments, and the `Create`, `Update` and `Delete`
//! activities that carry it.

use serde_json::Value;

use super::model::{Post, Visibility};
use super::store::media::Media;
use crate::federation::activities::{new_id, strip_context};
use crate::federation::urls::Urls;
use crate::federation::wire::{
    datetime, document, Activity, ActivityKind, Addressing, Link, Note, Object, ObjectOrLink,
    OneOrMany, Source, Tag, Tombstone, AS_PUBLIC,
};

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
    media: &[Media],
) -> Value {
    let (to, cc) = addressing(post, followers, audience);
    let mut tag: Vec<Tag<String>> = audience
        .iter()
        .filter_map(|a| {
            a.mention.as_ref().map(|name| Tag {
                kind: "Mention".into(),
                href: Some(Link(a.uri.clone())),
                name: Some(name.clone()),
            })
        })
        .collect();
    tag.extend(tags.iter().map(|t| Tag {
        kind: "Hashtag".into(),
        href: Some(Link(format!("{}/tags/{t}", urls.base()))),
        name: Some(format!("#{t}")),
    }));
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    let note = Note {
        attributed_to: Some(OneOrMany::One(Link(post.author.clone()))),
        content: Some(post.content.clone()),
        published: Some(datetime(post.published_at)),
        url: Some(Link(post.uri.clone())),
        address: Addressing::to_cc(to, cc),
        context: Some(Link(post.conversation.clone())),
        tag: Some(tag),
        sensitive: Some(!post.summary.is_empty()),
        source: (!post.source.is_empty()).then(|| Source::markdown(&post.source)),
        name: some(&post.name),
        summary: some(&post.summary),
        in_reply_to: post.in_reply_to.clone().map(Link),
        updated: post.edited_at.map(datetime),
        attachment: super::media::attachments(urls, media),
        ..Note::new(&post.kind, post.uri.clone())
    };
    document(&note)
}

/// `Create` or `Update` of a post's object, addressed like the object (which is embedded as
/// it is, less its `@context`).
pub fn wrap(urls: &Urls, kind: &str, object: &Value) -> Value {
    let actor = object["attributedTo"].as_str().unwrap_or_default();
    let mut activity = Activity::new(
        ActivityKind::Create,
        new_id(urls),
        actor.to_string(),
        ObjectOrLink::Object(Box::new(Object::Other(strip_context(object)))),
    );
    activity.kind_name = kind.to_string();
    activity.address = Addressing::to_cc(addressees(&object["to"]), addressees(&object["cc"]));
    if kind == "Create" {
        activity.published = object["published"].as_str().map(Into::into);
    }
    document(&activity)
}

/// The addresses of a `to` or `cc` we wrote.
fn addressees(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(Into::into).collect())
        .unwrap_or_default()
}

/// `Delete` of a post, carrying a `Tombstone`.
pub fn delete(urls: &Urls, post: &Post, to: Vec<String>, cc: Vec<String>) -> Value {
    let mut activity = Activity::new(
        ActivityKind::Delete,
        new_id(urls),
        post.author.clone(),
        ObjectOrLink::Object(Box::new(Object::Tombstone(Tombstone::new(
            post.uri.clone(),
            None,
        )))),
    );
    activity.address = Addressing::to_cc(to, cc);
    document(&activity)
}
