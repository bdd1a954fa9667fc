//! Direct messages between members of any instances, as conversations. A message is a post
//! with visibility `direct` (see `posts`): a `Note` addressed to its recipients only, delivered
//! to their inboxes alone, never in an outbox or on a public page, and served only to a signed
//! fetch by one of its addressees.

pub mod api;
pub mod web;

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

/// The conversations of `me` (an actor URI), most recent first.
pub async fn list(state: &AppState, me: &str, limit: i64) -> Result<Vec<Conversation>> {
    let rows: Vec<ConversationRow> = store::conversations(&state.db, me, limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(last) = store::by_id(&state.db, row.last_post_id).await? else {
            continue;
        };
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
