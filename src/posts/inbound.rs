//! Posts arriving from other servers: `Create`, `Update` and `Delete` of notes and articles,
//! and `Like`, `Announce` and their `Undo` on local posts, one handler each; the inbound
//! dispatcher (`crate::hub::dispatch`) chooses which. A post is kept only when someone
//! here wants it: a local actor follows its author, it names a local actor, or it answers
//! something we hold. Everything is checked and sanitised before it is stored; what fails is
//! logged and dropped.

use serde_json::Value;

use super::model::{NewPost, Post, Visibility};
use super::store;
use super::targets;
use crate::error::Result;
use crate::federation::actors;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::local::LocalActor;
use crate::federation::protocol::AS_PUBLIC;
use crate::federation::remote::{self, id_of, sanitize_html, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::{authority, policy};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::now_ms;

/// Largest content accepted from a peer, in bytes of HTML.
pub const MAX_REMOTE_CONTENT: usize = 100_000;
const POST_TYPES: &[&str] = &["Note", "Article", "Page", "Question"];

/// A `Create` or `Update` of a note, article, page or question, `document` being the object
/// (embedded, or fetched from the author's server by the dispatcher).
pub async fn on_create(
    state: &AppState,
    document: &Value,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    receive_post(state, document, actor, update).await
}

/// The same for an object that may be named by id only (a comment a project's group
/// announced): fetched from its origin then, and kept only when it is a post.
pub async fn on_create_named(
    state: &AppState,
    object: &Value,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    match object_document(state, object, actor).await {
        Some(document) if is_post(&document) => receive_post(state, &document, actor, update).await,
        _ => Ok(()),
    }
}

/// A `Delete` of a post held here: only its author deletes it.
pub async fn on_delete(state: &AppState, post: &Post, actor: &RemoteActor) -> Result<()> {
    if !authority::is_owner(actor, &post.author, &post.uri, "Delete") {
        return Ok(());
    }
    if !post.is_deleted() {
        let mut tx = state.db.begin_write().await?;
        store::mark_deleted(&mut tx, post).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A local post a `Like` or `Announce` names, if it may be reacted to (ours, not deleted).
pub async fn reactable(state: &AppState, uri: &str) -> Result<Option<Post>> {
    Ok(store::by_uri(&state.db, uri)
        .await?
        .filter(|p| p.local && !p.is_deleted()))
}

/// A `Like` of a local post.
pub async fn on_like(
    state: &AppState,
    activity: &Value,
    post: &Post,
    actor: &RemoteActor,
) -> Result<()> {
    react(state, activity, post, actor, Reaction::Like).await
}

/// An `Announce` (boost) of a local post; only public posts are boosted.
pub async fn on_announce(
    state: &AppState,
    activity: &Value,
    post: &Post,
    actor: &RemoteActor,
) -> Result<()> {
    if post.visibility != Visibility::Public {
        return Ok(());
    }
    react(state, activity, post, actor, Reaction::Announce).await
}

/// A reaction to a post: a like or a boost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    Like,
    Announce,
}

impl Reaction {
    fn stored(self) -> &'static str {
        match self {
            Reaction::Like => "like",
            Reaction::Announce => "announce",
        }
    }
}

async fn react(
    state: &AppState,
    activity: &Value,
    post: &Post,
    actor: &RemoteActor,
    reaction: Reaction,
) -> Result<()> {
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut tx = state.db.begin_write().await?;
    let new = store::add_reaction(&mut tx, post.id, &actor.uri, reaction.stored(), id).await?;
    if new {
        let (k, summary) = match reaction {
            Reaction::Like => (Kind::Like, "liked your post"),
            Reaction::Announce => (Kind::Announce, "shared your post"),
        };
        notify_author(
            state,
            &mut tx,
            &post.author,
            actor,
            k,
            &post.uri,
            &super::links::link_of(post),
            summary,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An `Undo` of the sender's own `Like` or `Announce` (`inner`).
pub async fn on_undo_reaction(
    state: &AppState,
    inner: &Value,
    actor: &RemoteActor,
    reaction: Reaction,
) -> Result<()> {
    if !authority::own_activity(actor, inner, "Undo") {
        return Ok(());
    }
    let inner_id = id_of(inner).unwrap_or_default();
    let post = match inner.get("object").and_then(id_of) {
        Some(uri) => store::by_uri(&state.db, uri).await?.map(|p| p.id),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    store::remove_reaction(&mut tx, &actor.uri, reaction.stored(), inner_id, post).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an object is of a type kept as a post.
pub fn is_post(object: &Value) -> bool {
    object
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| POST_TYPES.contains(&t))
}

/// The embedded object, or the document fetched from its origin when only its id was sent.
async fn object_document(state: &AppState, object: &Value, actor: &RemoteActor) -> Option<Value> {
    if object.is_object() {
        return Some(object.clone());
    }
    let uri = object.as_str()?;
    if policy::authority_of(uri).as_deref() != Some(actor.host.as_str()) {
        return None;
    }
    let signer = remote::instance_signer(state).await.ok()?;
    match state.client.get_json(uri, Some(&signer)).await {
        Ok(doc) if id_of(&doc) == Some(uri) => Some(doc),
        Ok(_) => None,
        Err(e) => {
            tracing::info!(object = uri, error = %e, "a post named by id could not be fetched");
            None
        }
    }
}

/// The addresses in `to`, `cc` and `audience` (each a string or a list).
fn addresses(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["to", "cc", "audience"] {
        match object.get(field) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(id_of).map(str::to_string))
            }
            _ => {}
        }
    }
    out.retain(|a| a.len() <= 2000);
    out.truncate(500);
    out
}

fn is_public(address: &str) -> bool {
    address == AS_PUBLIC || address == "as:Public" || address == "Public"
}

fn text(object: &Value, field: &str, max: usize) -> String {
    let raw = object
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default();
    // Titles and warnings are plain text: tags go, entities stay as written for the template to
    // escape.
    let mut out = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag && !c.is_control() => out.push(c),
            _ => {}
        }
    }
    out.trim().chars().take(max).collect()
}

fn time(object: &Value, field: &str) -> Option<i64> {
    object
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

/// Validates and stores (or updates) a remote post; logs and drops what fails.
async fn receive_post(
    state: &AppState,
    object: &Value,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let dev_http = state.config.dev_http;
    let Some(raw_id) = object.get("id").and_then(Value::as_str) else {
        tracing::info!(actor = %actor.uri, "a post without an id was dropped");
        return Ok(());
    };
    let id = match RemoteUrl::parse(raw_id, dev_http) {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(actor = %actor.uri, host = %actor.host, error = %e, "a post whose id is not an https address was refused");
            return Ok(());
        }
    };
    let uri = id.as_str();
    if id.authority() != actor.host {
        tracing::info!(post = uri, actor = %actor.uri, "a post from another host was dropped");
        return Ok(());
    }
    let author = object.get("attributedTo").and_then(|a| match a {
        Value::Array(items) => items.first().and_then(id_of),
        other => id_of(other),
    });
    if author != Some(actor.uri.as_str()) {
        tracing::info!(post = uri, actor = %actor.uri, "a post attributed to someone else was dropped");
        return Ok(());
    }
    let raw_content = object
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if raw_content.len() > MAX_REMOTE_CONTENT {
        tracing::info!(
            post = uri,
            bytes = raw_content.len(),
            "an oversized post was dropped"
        );
        return Ok(());
    }
    let content = sanitize_html(raw_content);
    let to = addresses(object);
    let followers = actor.followers.clone().unwrap_or_default();
    let visibility = if to.iter().any(|a| is_public(a)) {
        Visibility::Public
    } else if !followers.is_empty() && to.contains(&followers) {
        Visibility::Followers
    } else {
        Visibility::Direct
    };
    let mut mentioned: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    if let Some(Value::Array(items)) = object.get("tag") {
        for t in items.iter().take(100) {
            match t.get("type").and_then(Value::as_str) {
                Some("Mention") => match t
                    .get("href")
                    .and_then(Value::as_str)
                    .map(|h| RemoteUrl::parse(h, dev_http))
                {
                    Some(Ok(href)) => mentioned.push(href.into_string()),
                    Some(Err(e)) => {
                        tracing::warn!(post = uri, error = %e, "a mention's address was dropped")
                    }
                    None => {}
                },
                Some("Hashtag") => {
                    let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                    let name = name.trim_start_matches('#').to_lowercase();
                    if !name.is_empty() && name.chars().count() <= 100 && !tags.contains(&name) {
                        tags.push(name);
                    }
                }
                _ => {}
            }
        }
    }
    let in_reply_to = match object
        .get("inReplyTo")
        .and_then(id_of)
        .map(|u| RemoteUrl::parse(u, dev_http))
    {
        Some(Ok(parent)) => Some(parent.into_string()),
        Some(Err(e)) => {
            tracing::warn!(post = uri, error = %e, "a post answering something that is not an https address was refused");
            return Ok(());
        }
        None => None,
    };
    let target = match &in_reply_to {
        Some(parent) => targets::find(state, parent).await?,
        None => None,
    };
    // Everyone named who is local; only those are recorded as audience (with mentions kept).
    let base = format!("{}/", urls.base());
    let mut audience: Vec<(String, bool)> = Vec::new();
    for a in to.iter().chain(mentioned.iter()) {
        if (a.starts_with(&base) || a == urls.base()) && !audience.iter().any(|(u, _)| u == a) {
            audience.push((a.clone(), mentioned.contains(a)));
        }
    }
    let wanted = !audience.is_empty()
        || target.is_some()
        || store::followed_locally(&state.db, &actor.uri, &base).await?;
    let existing = store::by_uri(&state.db, uri).await?;
    if !wanted && existing.is_none() {
        tracing::info!(post = uri, actor = %actor.uri, "a post nobody here follows was dropped");
        return Ok(());
    }
    let conversation = object
        .get("context")
        .or_else(|| object.get("conversation"))
        .and_then(id_of)
        .filter(|c| c.len() <= 2000)
        .map(str::to_string)
        .or_else(|| target.as_ref().map(|t| t.conversation.clone()))
        .unwrap_or_else(|| uri.to_string());
    let kind = match object.get("type").and_then(Value::as_str) {
        Some("Article") => "Article",
        _ => "Note",
    };
    let new = NewPost {
        uri: uri.to_string(),
        local: false,
        author: actor.uri.clone(),
        kind: kind.to_string(),
        name: text(object, "name", 300),
        summary: text(object, "summary", 500),
        content,
        source: String::new(),
        visibility,
        in_reply_to: in_reply_to.clone(),
        conversation,
        url: object
            .get("url")
            .and_then(|u| link::url_in(u, dev_http))
            .unwrap_or_else(|| id.clone())
            .into_string(),
        published_at: time(object, "published").unwrap_or_else(now_ms),
        audience: audience.clone(),
        tags,
    };
    let mut tx = state.db.begin_write().await?;
    match existing {
        Some(old) if !authority::is_owner(actor, &old.author, &old.uri, "Update") => {}
        Some(old) => {
            if !old.is_deleted() {
                let edited = time(object, "updated").unwrap_or_else(now_ms);
                store::update(&mut tx, old.id, &new, edited).await?;
            }
        }
        None => {
            if update {
                tracing::debug!(post = uri, "an update of an unknown post is stored as new");
            }
            let (_, inserted) = store::insert(&mut tx, &new).await?;
            if inserted {
                notify_received(state, &mut tx, &new, actor, target.as_ref()).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Notifications for a newly received post: messages, mentions and replies to local authors.
async fn notify_received(
    state: &AppState,
    tx: &mut crate::storage::Tx,
    post: &NewPost,
    from: &RemoteActor,
    target: Option<&targets::ReplyTarget>,
) -> Result<()> {
    let link = super::links::link_for(&post.uri, post.visibility, &post.conversation);
    let mut told: Vec<i64> = Vec::new();
    let mut named: Vec<(&str, Kind, &str)> = post
        .audience
        .iter()
        .map(|(uri, mentioned)| {
            if post.visibility == Visibility::Direct {
                (uri.as_str(), Kind::Message, "sent you a message")
            } else if *mentioned {
                (uri.as_str(), Kind::Mention, "mentioned you")
            } else {
                (uri.as_str(), Kind::Mention, "wrote to you")
            }
        })
        .collect();
    if let Some(t) = target {
        named.retain(|(u, _, _)| *u != t.author);
        named.push((t.author.as_str(), Kind::Reply, "replied to you"));
    }
    let handle = from.handle();
    for (uri, kind, summary) in named {
        let Some(actor) = actors::by_uri(state, uri).await? else {
            continue;
        };
        if matches!(actor, LocalActor::Space | LocalActor::Project(_)) && kind != Kind::Reply {
            continue;
        }
        for account_id in notes::stewards(&state.db, &actor).await? {
            if told.contains(&account_id) {
                continue;
            }
            told.push(account_id);
            notes::notify(
                tx,
                &NewNotification {
                    account_id,
                    kind,
                    actor: &from.uri,
                    actor_name: &handle,
                    object: &post.uri,
                    link: &link,
                    summary,
                },
            )
            .await?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn notify_author(
    state: &AppState,
    tx: &mut crate::storage::Tx,
    author: &str,
    from: &RemoteActor,
    kind: Kind,
    object: &str,
    link: &str,
    summary: &str,
) -> Result<()> {
    let Some(actor) = actors::by_uri(state, author).await? else {
        return Ok(());
    };
    let handle = from.handle();
    for account_id in notes::stewards(&state.db, &actor).await? {
        notes::notify(
            tx,
            &NewNotification {
                account_id,
                kind,
                actor: &from.uri,
                actor_name: &handle,
                object,
                link,
                summary,
            },
        )
        .await?;
    }
    Ok(())
}
