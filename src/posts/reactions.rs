//! Likes and boosts by this space's members, on local and received posts: one per member, post
//! and kind (a second like is a no-op: one conditional insert), counted with the reactions
//! received from other servers. A remote post's author gets the `Like` or `Announce`; a boost
//! also goes to the booster's followers; unliking and unboosting send the `Undo` of the activity
//! that made it, to the same inboxes. The row and its activity are written in one transaction.

use serde_json::Value;

use super::access::{readable, Viewer};
use super::inbound::Reaction;
use super::model::{Post, Visibility};
use super::store;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::activities::{self, new_id};
use crate::federation::urls::Urls;
use crate::federation::wire::{
    document, Activity, ActivityKind, Addressing, ObjectOrLink, AS_PUBLIC,
};
use crate::federation::{actors, delivery, follows, remote};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::Tx;

/// Likes or boosts (`on`), or takes back (`!on`), the post at `uri` as `account`; returns the
/// post with its new counts; a post not held here is fetched from its server first. 404 when
/// the member may not read it (or it cannot be had), 410 when
/// it was deleted, 422 when a post that is not public is boosted.
pub async fn set(
    state: &AppState,
    account: &Account,
    uri: &str,
    reaction: Reaction,
    on: bool,
) -> Result<Post> {
    let urls = Urls::new(&state.config);
    let uri = uri.trim();
    if on {
        // A post not met here yet (a link from elsewhere) is fetched first.
        super::inbound::held_or_fetched(state, uri).await?;
    }
    let post = readable(state, uri, &Viewer::Member(account.clone())).await?;
    if on && reaction == Reaction::Announce && post.visibility != Visibility::Public {
        return Err(Error::invalid("uri", "only public posts can be boosted"));
    }
    let me = urls.member(&account.handle);
    if on {
        crate::moderation::blocks::ensure_not_blocked(state, &[post.author.as_str()], &me).await?;
    }
    let mut tx = state.db.begin_write().await?;
    if on {
        let id = new_id(&urls);
        if store::add_reaction(&mut tx, post.id, &me, reaction.stored(), &id).await? {
            let activity = build(&urls, &me, &post, reaction, &id);
            send(state, &mut tx, account, &post, reaction, &activity).await?;
            if post.local {
                notify(state, &mut tx, account, &me, &post, reaction).await?;
            }
        }
    } else if let Some(id) = store::take_reaction(&mut tx, post.id, &me, reaction.stored()).await? {
        let activity = build(&urls, &me, &post, reaction, &id);
        let undo = activities::undo(
            &urls,
            &me,
            &activity,
            &recipients(&urls, &me, &post, reaction),
        );
        send(state, &mut tx, account, &post, reaction, &undo).await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    store::by_id(&state.db, post.id)
        .await?
        .ok_or(Error::NotFound)
}

/// Whom a like or boost is addressed to: a like to the author; a boost publicly, to the author
/// and the booster's followers.
fn recipients(urls: &Urls, me: &str, post: &Post, reaction: Reaction) -> Vec<String> {
    match reaction {
        Reaction::Like => vec![post.author.clone()],
        Reaction::Announce => vec![
            AS_PUBLIC.to_string(),
            post.author.clone(),
            urls.collection(me, "followers"),
        ],
    }
}

/// The `Like` or `Announce` of `post` by `me`, with the id `id` (a new one, or the stored one
/// of a reaction being undone).
pub fn build(urls: &Urls, me: &str, post: &Post, reaction: Reaction, id: &str) -> Value {
    let kind = match reaction {
        Reaction::Like => ActivityKind::Like,
        Reaction::Announce => ActivityKind::Announce,
    };
    let mut a: Activity<String> = Activity::new(
        kind,
        id.to_string(),
        me.to_string(),
        ObjectOrLink::Link(post.uri.clone()),
    );
    a.address = match reaction {
        Reaction::Like => Addressing::to_cc(vec![post.author.clone()], Vec::new()),
        Reaction::Announce => Addressing::to_cc(
            vec![AS_PUBLIC.to_string()],
            vec![post.author.clone(), urls.collection(me, "followers")],
        ),
    };
    a.published = Some(crate::federation::wire::datetime(crate::storage::now_ms()));
    document(&a)
}

/// Queues an activity to the remote author of the post and, for a boost, to the booster's
/// followers elsewhere.
async fn send(
    state: &AppState,
    tx: &mut Tx,
    account: &Account,
    post: &Post,
    reaction: Reaction,
    activity: &Value,
) -> Result<()> {
    let mut inboxes = Vec::new();
    if !post.local {
        if let Some(author) = remote::by_uri(&state.db, &post.author).await? {
            inboxes.push(author.delivery_inbox().to_string());
        }
    }
    if reaction == Reaction::Announce {
        let me = Urls::new(&state.config).member(&account.handle);
        inboxes.extend(follows::follower_inboxes(&state.db, &me).await?);
    }
    inboxes.sort();
    inboxes.dedup();
    if inboxes.is_empty() {
        return Ok(());
    }
    delivery::publish(
        tx,
        activity,
        account.local_actor().key_ref(),
        reaction == Reaction::Announce,
        &inboxes,
    )
    .await?;
    Ok(())
}

/// Tells the people behind a local post's author that a member liked or boosted it.
async fn notify(
    state: &AppState,
    tx: &mut Tx,
    account: &Account,
    me: &str,
    post: &Post,
    reaction: Reaction,
) -> Result<()> {
    let Some(author) = actors::by_uri(state, &post.author).await? else {
        return Ok(());
    };
    let urls = Urls::new(&state.config);
    let who = format!("@{}@{}", account.handle, urls.domain());
    let (kind, summary) = match reaction {
        Reaction::Like => (Kind::Like, "liked your post"),
        Reaction::Announce => (Kind::Announce, "shared your post"),
    };
    let link = super::links::link_of(post);
    for account_id in notes::stewards(&state.db, &author).await? {
        if account_id == account.id {
            continue;
        }
        notes::notify(
            tx,
            &NewNotification {
                account_id,
                kind,
                actor: me,
                actor_name: &who,
                object: &post.uri,
                link: &link,
                summary,
            },
        )
        .await?;
    }
    Ok(())
}
