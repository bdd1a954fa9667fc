//! Posts arriving from other servers: `Create`, `Update` and `Delete` of notes and articles,
//! and `Like`, `Announce` and their `Undo` on local posts, one handler each; the inbound
//! dispatcher (`crate::hub::dispatch`) chooses which. A post is kept only when someone
//! here wants it: a local actor follows its author, it names a local actor, or it answers
//! something we hold. Documents arrive typed (`crate::federation::wire`, addresses checked);
//! everything is checked and sanitised before it is stored; what fails is logged and dropped.

use super::model::{NewPost, Post, Visibility};
use super::store;
use super::targets;
use crate::error::Result;
use crate::federation::actors;
use crate::federation::link::RemoteUrl;
use crate::federation::local::LocalActor;
use crate::federation::remote::{sanitize_html, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{self, Activity, Link, Note, ObjectOrLink, AS_PUBLIC};
use crate::federation::{authority, fetch};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::now_ms;

/// Largest content accepted from a peer, in bytes of HTML.
pub const MAX_REMOTE_CONTENT: usize = 100_000;

/// A `Create` or `Update` of a note, article, page or question, `document` being the object
/// (embedded, or fetched from the author's server by the dispatcher).
pub async fn on_create(
    state: &AppState,
    document: &Note,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    receive_post(state, document, actor, update, Source::Delivered).await
}

/// A post a community (`group`) relayed, by its author `actor` (see [`super::groups`]): kept
/// like any post of the author's, and wanted here when a local actor follows the community.
pub async fn receive_relayed(
    state: &AppState,
    document: &Note,
    actor: &RemoteActor,
    update: bool,
    group: &str,
) -> Result<()> {
    receive_post(state, document, actor, update, Source::Relayed(group)).await
}

/// The same for an object that may be named by id only (a comment a project's group
/// announced): fetched from its origin then, and kept only when it is a post.
pub async fn on_create_named(
    state: &AppState,
    object: &ObjectOrLink<wire::Object>,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    let fetched;
    let document = match object {
        ObjectOrLink::Object(o) => o.as_ref(),
        ObjectOrLink::Link(uri) => match fetch::object(state, uri.as_str(), &actor.host).await {
            Some(o) => {
                fetched = o;
                &fetched
            }
            None => return Ok(()),
        },
    };
    match as_post(document) {
        Some(note) => receive_post(state, note, actor, update, Source::Delivered).await,
        None => Ok(()),
    }
}

/// The post at `uri`: held here, or else fetched (signed by this space) from the server its
/// address names and kept as its author's, as a delivered post is (so a member can like,
/// boost or answer a post of a server nobody here follows). `None` when it is not a post, is
/// on a blocked domain or on this server, or cannot be had.
pub async fn held_or_fetched(state: &AppState, uri: &str) -> Result<Option<Post>> {
    if let Some(post) = store::by_uri(&state.db, uri).await? {
        return Ok(Some(post));
    }
    let Ok(url) = RemoteUrl::parse(uri, state.config.dev_http) else {
        return Ok(None);
    };
    if url.authority() == state.config.domain
        || crate::federation::policy::decide(&state.db, url.authority()).await?
            == crate::federation::policy::Decision::Block
    {
        return Ok(None);
    }
    let Some(fetched) = fetch::object(state, url.as_str(), url.authority()).await else {
        return Ok(None);
    };
    let Some(note) = as_post(&fetched) else {
        return Ok(None);
    };
    let Some(author) = note.author() else {
        return Ok(None);
    };
    let actor = match crate::federation::remote::resolve(state, author.as_str(), false).await {
        Ok(actor) => actor,
        Err(e) => {
            tracing::info!(post = uri, error = %e, "the author of a fetched post could not be read");
            return Ok(None);
        }
    };
    receive_post(state, note, &actor, false, Source::Asked).await?;
    store::by_uri(&state.db, note.id.as_str()).await
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

/// A `Like` or an `EmojiReact` of a local post: a like, with its emoji when it has one (see
/// [`super::emoji`]).
pub async fn on_like(
    state: &AppState,
    activity: &Activity,
    post: &Post,
    actor: &RemoteActor,
) -> Result<()> {
    if super::emoji::is_refused(activity) {
        tracing::info!(activity = %activity.id, "an emoji reaction without an emoji was dropped");
        return Ok(());
    }
    react(state, activity, post, actor, Reaction::Like).await
}

/// An `Announce` (boost) of a local post; only public posts are boosted.
pub async fn on_announce(
    state: &AppState,
    activity: &Activity,
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
    pub fn stored(self) -> &'static str {
        match self {
            Reaction::Like => "like",
            Reaction::Announce => "announce",
        }
    }
}

async fn react(
    state: &AppState,
    activity: &Activity,
    post: &Post,
    actor: &RemoteActor,
    reaction: Reaction,
) -> Result<()> {
    let id = activity.id.as_str();
    let emoji = super::emoji::of(activity).unwrap_or_default();
    let mut tx = state.db.begin_write().await?;
    let new = store::add_reaction_with(&mut tx, post.id, &actor.uri, reaction.stored(), id, &emoji)
        .await?;
    if new {
        let reacted = format!("reacted {emoji} to your post");
        let (k, summary) = match reaction {
            Reaction::Like if !emoji.is_empty() => (Kind::Like, reacted.as_str()),
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
    inner: &Activity,
    actor: &RemoteActor,
    reaction: Reaction,
) -> Result<()> {
    if !authority::own_activity(actor, inner, "Undo") {
        return Ok(());
    }
    let inner_id = inner.id.as_str();
    let post = match inner.object_id() {
        Some(uri) => store::by_uri(&state.db, uri.as_str()).await?.map(|p| p.id),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    store::remove_reaction(&mut tx, &actor.uri, reaction.stored(), inner_id, post).await?;
    tx.commit().await?;
    Ok(())
}

/// The written post an object is, if it is of a type kept as a post (`Note`, `Article`,
/// `Page`, `Question`).
pub fn as_post(object: &wire::Object) -> Option<&Note> {
    object.as_note()
}

/// The addresses in `to`, `cc` and `audience`.
fn addresses(object: &Note) -> Vec<String> {
    let a = &object.address;
    let mut out: Vec<String> = [&a.to, &a.cc]
        .into_iter()
        .flatten()
        .flat_map(|list| list.0.iter())
        .chain(a.audience.as_ref().map(Link::get))
        .map(|u| u.as_str().to_string())
        .collect();
    out.truncate(500);
    out
}

fn text(v: Option<&str>, max: usize) -> String {
    let raw = v.unwrap_or_default();
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

fn time(v: Option<&String>) -> Option<i64> {
    v.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

/// Validates and stores (or updates) a remote post; logs and drops what fails. `via`: the
/// community that relayed it, if one did.
/// How a received post came here, which decides whether it is kept.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Delivered (or fetched for a delivery): kept when someone here follows its author, it
    /// names someone here or answers something held here.
    Delivered,
    /// Relayed by the community at this address: kept also when someone here follows it.
    Relayed(&'a str),
    /// Fetched because a member asked for it: kept.
    Asked,
}

async fn receive_post(
    state: &AppState,
    object: &Note,
    actor: &RemoteActor,
    update: bool,
    source: Source<'_>,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let id = &object.id;
    let uri = id.as_str();
    if id.authority() != actor.host {
        tracing::info!(post = uri, actor = %actor.uri, "a post from another host was dropped");
        return Ok(());
    }
    if object.author().map(RemoteUrl::as_str) != Some(actor.uri.as_str()) {
        tracing::info!(post = uri, actor = %actor.uri, "a post attributed to someone else was dropped");
        return Ok(());
    }
    let raw_content = object.content.as_deref().unwrap_or_default();
    if raw_content.len() > MAX_REMOTE_CONTENT {
        tracing::info!(
            post = uri,
            bytes = raw_content.len(),
            "an oversized post was dropped"
        );
        return Ok(());
    }
    let to = addresses(object);
    let followers = actor.followers.clone().unwrap_or_default();
    let visibility = if to.iter().any(|a| a == AS_PUBLIC) {
        Visibility::Public
    } else if !followers.is_empty() && to.contains(&followers) {
        Visibility::Followers
    } else {
        Visibility::Direct
    };
    let mut mentioned: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    // Mentions whose address the typed layer refused carry none, and are dropped.
    for t in object.tag.iter().flatten().take(100) {
        match t.kind.as_str() {
            "Mention" => {
                if let Some(href) = &t.href {
                    mentioned.push(href.as_str().to_string());
                }
            }
            "Hashtag" => {
                let name = t.name.as_deref().unwrap_or_default();
                let name = name.trim_start_matches('#').to_lowercase();
                if !name.is_empty() && name.chars().count() <= 100 && !tags.contains(&name) {
                    tags.push(name);
                }
            }
            _ => {}
        }
    }
    // A post answering something that is not an acceptable address never gets here: the typed
    // layer refuses the whole document.
    let in_reply_to = object
        .in_reply_to
        .as_ref()
        .map(|parent| parent.as_str().to_string());
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
        || store::followed_locally(&state.db, &actor.uri, &base).await?
        || match source {
            Source::Relayed(group) => store::followed_locally(&state.db, group, &base).await?,
            Source::Asked => true,
            Source::Delivered => false,
        };
    let existing = store::by_uri(&state.db, uri).await?;
    if !wanted && existing.is_none() {
        tracing::info!(post = uri, actor = %actor.uri, "a post nobody here follows was dropped");
        return Ok(());
    }
    // Cleaned only once kept: most posts of actors nobody here follows are dropped above.
    let content = sanitize_html(raw_content);
    let conversation = object
        .context
        .as_ref()
        .map(|c| c.as_str())
        .or(object.conversation.as_deref())
        .filter(|c| !c.is_empty() && c.len() <= 2000)
        .map(str::to_string)
        .or_else(|| target.as_ref().map(|t| t.conversation.clone()))
        .unwrap_or_else(|| uri.to_string());
    // A `Page` (a Lemmy post) has a title, as an article has.
    let kind = match object.kind.as_str() {
        "Article" | "Page" => "Article",
        _ => "Note",
    };
    let new = NewPost {
        uri: uri.to_string(),
        local: false,
        author: actor.uri.clone(),
        kind: kind.to_string(),
        name: text(object.name.as_deref(), 300),
        summary: text(object.summary.as_deref(), 500),
        content,
        source: String::new(),
        visibility,
        in_reply_to: in_reply_to.clone(),
        conversation,
        url: object.url.as_ref().unwrap_or(&Link(id.clone())).to_string(),
        published_at: time(object.published.as_ref()).unwrap_or_else(now_ms),
        audience: audience.clone(),
        tags,
    };
    // Pictures: typed, http(s) only, images only, a few at most.
    let pictures = super::media::received(object);
    let mut tx = state.db.begin_write().await?;
    match existing {
        Some(old) if !authority::is_owner(actor, &old.author, &old.uri, "Update") => {}
        Some(old) => {
            if !old.is_deleted() {
                let edited = time(object.updated.as_ref()).unwrap_or_else(now_ms);
                store::update(&mut tx, old.id, &new, edited).await?;
                super::media::keep_received(&mut tx, old.id, &pictures).await?;
            }
        }
        None => {
            if update {
                tracing::debug!(post = uri, "an update of an unknown post is stored as new");
            }
            let (id, inserted) = store::insert(&mut tx, &new).await?;
            if inserted {
                super::media::keep_received(&mut tx, id, &pictures).await?;
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
