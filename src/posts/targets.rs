//! What a comment may answer: a post (local or received), or another feature's local object
//! (an event, a task, a note, a file). Replying to something that does not exist is refused.

use super::model::Visibility;
use super::store;
use crate::error::Result;
use crate::state::AppState;

/// The object a reply answers, as far as replying needs it.
#[derive(Debug, Clone)]
pub struct ReplyTarget {
    pub uri: String,
    /// Who wrote it (gets the reply, and a notification when local).
    pub author: String,
    pub conversation: String,
    pub visibility: Visibility,
    /// A local page to send readers back to.
    pub link: String,
    /// Who else it was addressed to (a reply to a message reaches all of them).
    pub audience: Vec<String>,
    /// The group it belongs to (a project's task, note or file): a reply is addressed to it,
    /// and the group shares it with its members.
    pub group: Option<String>,
}

/// The reply target at `uri`, if there is one this viewer could see.
pub async fn find(state: &AppState, uri: &str) -> Result<Option<ReplyTarget>> {
    if let Some(post) = store::by_uri(&state.db, uri).await? {
        if post.is_deleted() {
            return Ok(None);
        }
        let audience = store::audience(&state.db, post.id)
            .await?
            .into_iter()
            .map(|(uri, _)| uri)
            .collect();
        return Ok(Some(ReplyTarget {
            audience,
            link: super::links::link_of(&post),
            uri: post.uri,
            author: post.author,
            conversation: post.conversation,
            visibility: post.visibility,
            group: None,
        }));
    }
    if let Some(event) = crate::events::store::by_uri(&state.db, uri).await? {
        if event.is_deleted() {
            return Ok(None);
        }
        return Ok(Some(ReplyTarget {
            link: event.link(),
            visibility: event.visibility.post_visibility(),
            conversation: event.uri.clone(),
            author: event.organizer,
            uri: event.uri,
            audience: Vec::new(),
            group: None,
        }));
    }
    project_item(state, uri).await
}

/// A task, note or file of a project (local, or received from a project a member joined).
/// Their comments are public, like the project's board; each item is its own thread.
async fn project_item(state: &AppState, uri: &str) -> Result<Option<ReplyTarget>> {
    use crate::projects::store as projects;
    let (author, project) = if let Some(t) = projects::task_by_uri(&state.db, uri).await? {
        (t.author, t.project)
    } else if let Some(n) = projects::note_by_uri(&state.db, uri).await? {
        (n.author, n.project)
    } else if let Some(f) = projects::file_by_uri(&state.db, uri).await? {
        (f.author, f.project)
    } else {
        return Ok(None);
    };
    Ok(Some(ReplyTarget {
        uri: uri.to_string(),
        author,
        conversation: uri.to_string(),
        visibility: Visibility::Public,
        link: crate::projects::service::local_link(state, uri),
        audience: Vec::new(),
        group: Some(project),
    }))
}
