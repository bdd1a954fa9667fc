//! Writing posts: create (posts, comments and messages), edit and delete, each stored with the
//! activity that tells peers in one transaction, and the notifications it causes.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::access::may_act_as;
use super::compose::{self, Resolved};
use super::model::{NewPost, Post, Visibility};
use super::object::{self, Addressee};
use super::people::resolve_mention;
use super::store;
use super::targets::{self, ReplyTarget};
use crate::accounts::{session::random_token, Account};
use crate::error::{Error, Result};
use crate::federation::actors;
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::federation::{delivery, follows, remote};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::{now_ms, Tx};
use crate::validate::FieldErrors;

/// Longest post text, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest title and content warning.
pub const MAX_NAME: usize = 200;

/// What a member submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    #[serde(default, alias = "content")]
    pub text: String,
    /// A title makes the post an `Article`.
    #[serde(default)]
    pub name: String,
    /// A content warning (`summary`).
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// Recipients of a direct message (`@name@host` or addresses), besides mentions.
    #[serde(default)]
    pub to: Vec<String>,
    /// Who speaks: "" (yourself), `company:HANDLE` or `space`.
    #[serde(default, rename = "as")]
    pub as_actor: String,
    /// Pictures the writer uploaded for it (`POST /api/v1/media`), in order.
    #[serde(default)]
    pub media_ids: Vec<String>,
}

/// Who posts: the local actor it appears from.
pub async fn author_for(state: &AppState, account: &Account, as_actor: &str) -> Result<LocalActor> {
    let urls = Urls::new(&state.config);
    let actor = match as_actor.trim() {
        "" | "me" => return Ok(account.local_actor()),
        "space" => actors::by_uri(state, &urls.space()).await?,
        other => match other.strip_prefix("company:") {
            Some(h) => actors::by_uri(state, &urls.company(&h.trim().to_ascii_lowercase())).await?,
            None => None,
        },
    }
    .ok_or_else(|| Error::invalid("as", "is not a company or space you can post for"))?;
    if !may_act_as(state, account, &actor).await? {
        return Err(Error::invalid(
            "as",
            "is not a company or space you can post for",
        ));
    }
    Ok(actor)
}

struct Checked {
    text: String,
    name: String,
    summary: String,
    visibility: Visibility,
    target: Option<ReplyTarget>,
}

async fn check(state: &AppState, draft: &Draft) -> Result<Checked> {
    let mut errors = FieldErrors::new();
    let text = draft.text.trim().to_string();
    if text.is_empty() {
        errors.add("text", "is required");
    } else if text.chars().count() > MAX_TEXT {
        errors.add("text", format!("is longer than {MAX_TEXT} characters"));
    }
    let name = draft.name.trim().to_string();
    if name.chars().count() > MAX_NAME || name.contains('\n') {
        errors.add(
            "name",
            format!("must be one line of at most {MAX_NAME} characters"),
        );
    }
    let summary = draft.summary.trim().to_string();
    if summary.chars().count() > MAX_NAME || summary.contains('\n') {
        errors.add(
            "summary",
            format!("must be one line of at most {MAX_NAME} characters"),
        );
    }
    let mut visibility = Visibility::parse(&draft.visibility);
    if visibility.is_none() {
        errors.add("visibility", "must be public, followers, members or direct");
    }
    let mut target = None;
    if let Some(parent) = draft
        .in_reply_to
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        target = targets::find(state, parent).await?;
        match &target {
            None => errors.add("in_reply_to", "names nothing that can be answered here"),
            // A reply keeps the reach of what it answers unless the writer chose one.
            Some(t) if draft.visibility.trim().is_empty() => visibility = Some(t.visibility),
            Some(_) => {}
        }
    }
    errors.into_result().map_err(Error::Invalid)?;
    Ok(Checked {
        text,
        name,
        summary,
        visibility: visibility.unwrap_or(Visibility::Public),
        target,
    })
}

/// Resolves the mentions in the text (and the explicit recipients, which must all exist).
async fn addressees(
    state: &AppState,
    text: &str,
    to: &[String],
) -> Result<(Vec<Addressee>, HashMap<String, Resolved>)> {
    let mut resolved = HashMap::new();
    let mut out: Vec<Addressee> = Vec::new();
    for m in compose::mentions(text) {
        if let Some(r) = resolve_mention(state, &m).await {
            if !out.iter().any(|a| a.uri == r.uri) {
                out.push(Addressee {
                    uri: r.uri.clone(),
                    mention: Some(r.full.clone()),
                });
            }
            resolved.insert(m.written(), r);
        }
    }
    let mut errors = FieldErrors::new();
    for raw in to
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .take(compose::MAX_MENTIONS)
    {
        let found = if raw.starts_with("https://") || raw.starts_with("http://") {
            let urls = Urls::new(&state.config);
            match actors::by_uri(state, raw).await? {
                Some(a) => Some(a.uri(&urls)),
                None => remote::resolve(state, raw, false).await.ok().map(|a| a.uri),
            }
        } else {
            let acct = raw.trim_start_matches('@').to_ascii_lowercase();
            let m = match acct.split_once('@') {
                Some((n, h)) => compose::MentionText {
                    name: n.into(),
                    host: Some(h.into()),
                },
                None => compose::MentionText {
                    name: acct.clone(),
                    host: None,
                },
            };
            resolve_mention(state, &m).await.map(|r| r.uri)
        };
        match found {
            Some(uri) if !out.iter().any(|a| a.uri == uri) => {
                out.push(Addressee { uri, mention: None })
            }
            Some(_) => {}
            None => errors.add("to", format!("{raw} could not be found")),
        }
    }
    errors.into_result().map_err(Error::Invalid)?;
    Ok((out, resolved))
}

/// Publishes a new post (or comment, or message) from `author`, written by `by`.
pub async fn create(
    state: &AppState,
    by: &Account,
    author: &LocalActor,
    draft: &Draft,
) -> Result<Post> {
    let urls = Urls::new(&state.config);
    let checked = check(state, draft).await?;
    let media_ids = super::media::check_ids(&draft.media_ids)?;
    let (mut audience, resolved) = addressees(state, &checked.text, &draft.to).await?;
    let author_uri = author.uri(&urls);
    // A reply goes to the author of what it answers and stays in its conversation; a reply to
    // a message is a message.
    let mut visibility = checked.visibility;
    if let Some(t) = &checked.target {
        if t.visibility == Visibility::Direct {
            visibility = Visibility::Direct;
        }
        let mut reach = vec![t.author.clone()];
        if visibility == Visibility::Direct {
            reach.extend(t.audience.iter().cloned());
        }
        // A comment on a project's task, note or file is addressed to the project's group.
        reach.extend(t.group.iter().cloned());
        for uri in reach {
            if uri != author_uri && !audience.iter().any(|a| a.uri == uri) {
                audience.push(Addressee { uri, mention: None });
            }
        }
    }
    audience.retain(|a| a.uri != author_uri);
    // Whoever blocked the author hears nothing from them: no comments on their posts, no
    // messages (the writer as well as the actor it posts as).
    let writer = urls.member(&by.handle);
    let mut owners: Vec<&str> = Vec::new();
    if let Some(t) = &checked.target {
        owners.push(t.author.as_str());
    }
    if visibility == Visibility::Direct {
        owners.extend(audience.iter().map(|a| a.uri.as_str()));
    }
    for actor in [author_uri.as_str(), writer.as_str()] {
        crate::moderation::blocks::ensure_not_blocked(state, &owners, actor).await?;
    }
    if visibility == Visibility::Direct && audience.is_empty() {
        return Err(Error::invalid(
            "to",
            "a direct message needs at least one recipient",
        ));
    }
    let uri = urls.post(&random_token());
    let conversation = match &checked.target {
        Some(t) => t.conversation.clone(),
        None if visibility == Visibility::Direct => {
            format!("{}/conversations/{}", urls.base(), random_token())
        }
        None => uri.clone(),
    };
    let new = NewPost {
        uri: uri.clone(),
        local: true,
        author: author_uri.clone(),
        kind: if checked.name.is_empty() {
            "Note"
        } else {
            "Article"
        }
        .to_string(),
        content: compose::render(&checked.text, &resolved, urls.base()),
        source: checked.text.clone(),
        name: checked.name,
        summary: checked.summary,
        visibility,
        in_reply_to: checked.target.as_ref().map(|t| t.uri.clone()),
        conversation,
        url: uri.clone(),
        published_at: now_ms(),
        audience: audience
            .iter()
            .map(|a| (a.uri.clone(), a.mention.is_some()))
            .collect(),
        tags: compose::hashtags(&checked.text),
    };

    let mut tx = state.db.begin_write().await?;
    let (id, _) = store::insert(&mut tx, &new).await?;
    let post = store::by_uri_tx(&mut tx, &uri)
        .await?
        .ok_or(Error::NotFound)?;
    debug_assert_eq!(post.id, id);
    // Taking the pictures is one conditional statement each: if another post took one first,
    // this post is not written at all.
    super::media::attach(&mut tx, by.id, id, &media_ids).await?;
    let activity = publish(
        state, &mut tx, author, &post, &audience, &new.tags, "Create",
    )
    .await?;
    // A comment in a local project: the project's group shares it with every member.
    if let (Some(group), Some(activity)) = (
        checked.target.as_ref().and_then(|t| t.group.as_deref()),
        activity.as_ref(),
    ) {
        if let Some(LocalActor::Project(project)) = actors::by_uri(state, group).await? {
            if let Some(project) =
                crate::projects::store::by_handle(&state.db, &project.handle).await?
            {
                crate::projects::federate::announce(state, &mut tx, &project, activity).await?;
            }
        }
    }
    notify_audience(
        state,
        &mut tx,
        by,
        author,
        &post,
        &audience,
        checked.target.as_ref(),
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(post)
}

/// Queues `Create`/`Update` of a post to everyone who should have it; returns the activity
/// (none for members-only posts, which never leave).
async fn publish(
    state: &AppState,
    tx: &mut Tx,
    author: &LocalActor,
    post: &Post,
    audience: &[Addressee],
    tags: &[String],
    kind: &str,
) -> Result<Option<Value>> {
    if post.visibility == Visibility::Members {
        return Ok(None);
    }
    let urls = Urls::new(&state.config);
    let followers = urls.collection(&post.author, "followers");
    let media = crate::posts::store::media::of_post_tx(tx, post.id).await?;
    let note = object::note(&urls, post, &followers, audience, tags, &media);
    let activity = object::wrap(&urls, kind, &note);
    let inboxes = inboxes(state, post, audience).await?;
    delivery::publish(
        tx,
        &activity,
        author.key_ref(),
        post.visibility == Visibility::Public,
        &inboxes,
    )
    .await?;
    Ok(Some(activity))
}

/// Where a post goes: the author's followers (unless it is a message) and every remote actor it
/// names.
async fn inboxes(state: &AppState, post: &Post, audience: &[Addressee]) -> Result<Vec<String>> {
    let mut out = if post.visibility == Visibility::Direct {
        Vec::new()
    } else {
        follows::follower_inboxes(&state.db, &post.author).await?
    };
    for a in audience {
        if let Some(r) = remote::by_uri(&state.db, &a.uri).await? {
            out.push(r.delivery_inbox().to_string());
        }
    }
    Ok(out)
}

/// Tells local people named by a post, and the author of what it answers.
async fn notify_audience(
    state: &AppState,
    tx: &mut Tx,
    by: &Account,
    author: &LocalActor,
    post: &Post,
    audience: &[Addressee],
    target: Option<&ReplyTarget>,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let link = super::links::link_of(post);
    let who = match author {
        LocalActor::Member(_) => format!("@{}@{}", by.handle, urls.domain()),
        other => other.label(),
    };
    let mut told = vec![by.id];
    for a in audience {
        let Some(actor) = actors::by_uri(state, &a.uri).await? else {
            continue;
        };
        // A comment addressed to a project's group is not a mention of its managers.
        if matches!(actor, LocalActor::Project(_)) {
            continue;
        }
        let (kind, summary) = if post.visibility == Visibility::Direct {
            (Kind::Message, "sent you a message".to_string())
        } else if target.is_some_and(|t| t.author == a.uri) {
            (Kind::Reply, "replied to you".to_string())
        } else {
            (Kind::Mention, "mentioned you".to_string())
        };
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
                    actor: &post.author,
                    actor_name: &who,
                    object: &post.uri,
                    link: &link,
                    summary: &summary,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The local post at `uri` that `by` may change, with the actor it appears from.
pub async fn editable(state: &AppState, by: &Account, uri: &str) -> Result<(Post, LocalActor)> {
    let post = store::by_uri(&state.db, uri)
        .await?
        .filter(|p| p.local && !p.is_deleted())
        .ok_or(Error::NotFound)?;
    let author = actors::by_uri(state, &post.author)
        .await?
        .ok_or(Error::NotFound)?;
    if !may_act_as(state, by, &author).await? {
        return Err(Error::forbidden("Only its author can change this post."));
    }
    Ok((post, author))
}

/// Edits the text (and title, content warning) of a local post; peers get an `Update`.
pub async fn edit(state: &AppState, by: &Account, uri: &str, draft: &Draft) -> Result<Post> {
    let urls = Urls::new(&state.config);
    let (post, author) = editable(state, by, uri).await?;
    let mut draft = draft.clone();
    draft.visibility = post.visibility.as_str().to_string();
    draft.in_reply_to = None;
    let checked = check(state, &draft).await?;
    let (mut audience, resolved) = addressees(state, &checked.text, &[]).await?;
    // Whoever the post reached stays addressed: an edit must not orphan a recipient.
    for (uri, _) in store::audience(&state.db, post.id).await? {
        if !audience.iter().any(|a| a.uri == uri) {
            audience.push(Addressee { uri, mention: None });
        }
    }
    audience.retain(|a| a.uri != post.author);
    let new = NewPost {
        content: compose::render(&checked.text, &resolved, urls.base()),
        source: checked.text.clone(),
        name: checked.name,
        summary: checked.summary,
        audience: audience
            .iter()
            .map(|a| (a.uri.clone(), a.mention.is_some()))
            .collect(),
        tags: compose::hashtags(&checked.text),
        uri: post.uri.clone(),
        local: true,
        author: post.author.clone(),
        kind: post.kind.clone(),
        visibility: post.visibility,
        in_reply_to: post.in_reply_to.clone(),
        conversation: post.conversation.clone(),
        url: post.url.clone(),
        published_at: post.published_at,
    };
    let mut tx = state.db.begin_write().await?;
    store::update(&mut tx, post.id, &new, now_ms()).await?;
    let updated = store::by_uri_tx(&mut tx, &post.uri)
        .await?
        .ok_or(Error::NotFound)?;
    publish(
        state, &mut tx, &author, &updated, &audience, &new.tags, "Update",
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(updated)
}

/// Deletes a local post; peers that had it get a `Delete`, and its address answers 410.
pub async fn delete(state: &AppState, by: &Account, uri: &str) -> Result<()> {
    let (post, author) = editable(state, by, uri).await?;
    let mut tx = state.db.begin_write().await?;
    delete_tx(state, &mut tx, &post, &author).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// Deletes a post inside the caller's transaction (a moderator's, which also writes the
/// audit line). A local post goes as its author's deletion would, queueing its `Delete`
/// (the caller wakes the delivery queue after commit); a post received from another server
/// is removed from this space's store as its author's `Delete` would remove it, and nothing
/// is sent. `false` when `uri` names no live post held here.
pub async fn delete_by_moderator_tx(state: &AppState, tx: &mut Tx, uri: &str) -> Result<bool> {
    let Some(post) = store::by_uri(&state.db, uri)
        .await?
        .filter(|p| !p.is_deleted())
    else {
        return Ok(false);
    };
    if !post.local {
        super::media::forget(state, tx, post.id).await?;
        store::mark_deleted(tx, &post).await?;
        return Ok(true);
    }
    let author = actors::by_uri(state, &post.author)
        .await?
        .ok_or(Error::NotFound)?;
    delete_tx(state, tx, &post, &author).await?;
    Ok(true)
}

async fn delete_tx(state: &AppState, tx: &mut Tx, post: &Post, author: &LocalActor) -> Result<()> {
    let urls = Urls::new(&state.config);
    let audience: Vec<Addressee> = store::audience(&state.db, post.id)
        .await?
        .into_iter()
        .map(|(uri, _)| Addressee { uri, mention: None })
        .collect();
    let inboxes = inboxes(state, post, &audience).await?;
    let followers = urls.collection(&post.author, "followers");
    let (to, cc) = object::addressing(post, &followers, &audience);
    let activity = object::delete(&urls, post, to, cc);
    // The files of its pictures go first (the rows name them), then the post's content.
    super::media::forget(state, tx, post.id).await?;
    store::mark_deleted(tx, post).await?;
    if post.visibility != Visibility::Members {
        delivery::publish(
            tx,
            &activity,
            author.key_ref(),
            post.visibility == Visibility::Public,
            &inboxes,
        )
        .await?;
    }
    Ok(())
}

/// The object of a local post as served to peers.
pub async fn document(state: &AppState, post: &Post) -> Result<Value> {
    let urls = Urls::new(&state.config);
    let followers = urls.collection(&post.author, "followers");
    let audience: Vec<Addressee> = store::audience(&state.db, post.id)
        .await?
        .into_iter()
        .map(|(uri, mentioned)| Addressee {
            mention: mentioned.then(|| uri.clone()),
            uri,
        })
        .collect();
    let mut named = Vec::new();
    let uris = audience.iter().map(|a| a.uri.clone()).collect();
    let people = super::people::people(state, uris).await?;
    for a in audience {
        let mention = a.mention.as_ref().map(|_| {
            people
                .get(&a.uri)
                .map(|p| p.handle.clone())
                .unwrap_or_else(|| a.uri.clone())
        });
        named.push(Addressee {
            uri: a.uri,
            mention,
        });
    }
    let tags = store::tags(&state.db, post.id).await?;
    let media = store::media::of_posts(&state.db, &[post.id]).await?;
    Ok(object::note(&urls, post, &followers, &named, &tags, &media))
}
