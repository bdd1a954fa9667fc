//! Direct messages between members of any instances, as conversations. A message is a post
//! with visibility `direct` (see `posts`): a `Note` addressed to its recipients only, delivered
//! to their inboxes alone, never in an outbox or on a public page, and served only to a signed
//! fetch by one of its addressees.

pub mod api;
pub mod web;

use std::collections::HashSet;

use crate::error::Result;
use crate::posts::people::{people, Person};
use crate::posts::store::{self, ConversationRow};
use crate::posts::Post;
use crate::state::AppState;

/// A conversation as its participant sees it in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Conversation {
    pub id: String,
    pub with: Vec<Person>,
    pub last: Post,
    pub messages: i64,
    /// The local page of the conversation.
    pub link: String,
}

/// The conversations of the member `account_id` (`me`, its actor URI), most recent first; a
/// conversation whose last message is from an actor the member blocked (or the moderators
/// suspended) is not listed.
pub async fn list(
    state: &AppState,
    me: &str,
    account_id: i64,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let rows: Vec<ConversationRow> = store::conversations(&state.db, me, limit).await?;
    let blocked = blocked(state, account_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(last) = store::by_id(&state.db, row.last_post_id).await? else {
            continue;
        };
        if blocked.contains(&last.author) {
            continue;
        }
        let mut uris: Vec<String> = store::audience(&state.db, last.id)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        uris.push(last.author.clone());
        uris.retain(|u| u != me);
        uris.dedup();
        let found = people(state, uris.clone()).await?;
        out.push(Conversation {
            link: link(&row.conversation),
            id: row.conversation,
            with: uris.iter().filter_map(|u| found.get(u).cloned()).collect(),
            last,
            messages: row.messages,
        });
    }
    Ok(out)
}

pub fn link(conversation: &str) -> String {
    crate::posts::links::link_for("", crate::posts::Visibility::Direct, conversation)
}

/// The actors the member `account_id` blocked, and the actors the moderators suspended: their
/// messages are not shown to the member.
pub async fn blocked(state: &AppState, account_id: i64) -> Result<HashSet<String>> {
    use crate::moderation::model::BlockKind;
    let mut out = crate::moderation::blocks::suspended_actors(state).await?;
    out.extend(
        crate::moderation::store::list_blocks(&state.db, account_id, BlockKind::Block)
            .await?
            .into_iter()
            .map(|b| b.target),
    );
    Ok(out)
}

/// A conversation's messages without those of actors the member `account_id` blocked or the
/// moderators suspended.
pub async fn without_blocked(
    state: &AppState,
    account_id: i64,
    mut posts: Vec<Post>,
) -> Result<Vec<Post>> {
    let blocked = blocked(state, account_id).await?;
    posts.retain(|p| !blocked.contains(&p.author));
    Ok(posts)
}
