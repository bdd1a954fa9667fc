//! A project's task, note or file as one type: found at its address (or its tombstone when it
//! was deleted), served there like every federated object (see
//! [`crate::federation::object`]) with the document `objects` builds; and the lists of a
//! project's items that its pages, its API, its feeds and its backfill show.
//!
//! What an actor the moderators suspended wrote (a member of this space or a remote actor)
//! is left out of every list, for everyone, moderators too (the store leaves it out in its
//! query), and at its address it is there for the moderators only, as its posts are.

use serde_json::Value;

use super::model::{Deadline, Note, Project, ProjectFile, Task};
use super::{objects, service, store};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::object::{Audience, FederatedObject, Found, Tombstone};
use crate::federation::tombstones;
use crate::moderation::blocks;
use crate::state::AppState;

/// A task, a note or a file.
#[derive(Debug, Clone)]
pub enum Item {
    Task(Task),
    Note(Note),
    File(ProjectFile),
}

impl Item {
    pub fn uri(&self) -> &str {
        match self {
            Item::Task(t) => &t.uri,
            Item::Note(n) => &n.uri,
            Item::File(f) => &f.uri,
        }
    }

    pub fn author(&self) -> &str {
        match self {
            Item::Task(t) => &t.author,
            Item::Note(n) => &n.author,
            Item::File(f) => &f.author,
        }
    }

    /// The URI of its project.
    pub fn project(&self) -> &str {
        match self {
            Item::Task(t) => &t.project,
            Item::Note(n) => &n.project,
            Item::File(f) => &f.project,
        }
    }

    /// Its ActivityStreams type: a task is a `Page`, a note an `Article`, a file a `Document`.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Task(_) => "Page",
            Item::Note(_) => "Article",
            Item::File(_) => "Document",
        }
    }

    /// Its ActivityStreams document.
    pub fn document(&self) -> Value {
        match self {
            Item::Task(t) => objects::task(t),
            Item::Note(n) => objects::note(n),
            Item::File(f) => objects::file(f),
        }
    }
}

/// A project item as its address serves it: anyone sees it, and its row goes when it is
/// deleted (a tombstone is left, see [`at`]).
impl FederatedObject for Item {
    fn id(&self) -> &str {
        self.uri()
    }
    fn kind(&self) -> &str {
        Item::kind(self)
    }
    fn deleted_at(&self) -> Option<i64> {
        None
    }
    fn audience(&self) -> Audience {
        Audience::Public
    }
}

/// A project's tasks, notes and files, as its board and its API list them.
#[derive(Debug, Clone)]
pub struct Listed {
    pub tasks: Vec<Task>,
    pub notes: Vec<Note>,
    pub files: Vec<ProjectFile>,
}

/// The items of the project `project_uri` (local or remote), without what suspended actors
/// wrote.
pub async fn listed(state: &AppState, project_uri: &str) -> Result<Listed> {
    let hidden = blocks::suspended_list(state).await?;
    Ok(Listed {
        tasks: store::tasks_of(&state.db, project_uri, &hidden).await?,
        notes: store::notes_of(&state.db, project_uri, &hidden).await?,
        files: store::files_of(&state.db, project_uri, &hidden).await?,
    })
}

/// The due dates of the tasks assigned to the member `member_uri`, without the tasks
/// suspended actors wrote.
pub async fn deadlines_for_member(state: &AppState, member_uri: &str) -> Result<Vec<Deadline>> {
    let hidden = blocks::suspended_list(state).await?;
    store::deadlines_for_member(&state.db, member_uri, &hidden).await
}

/// The due dates of a project's tasks, without the tasks suspended actors wrote.
pub async fn deadlines_for_project(state: &AppState, project_uri: &str) -> Result<Vec<Deadline>> {
    let hidden = blocks::suspended_list(state).await?;
    store::deadlines_for_project(&state.db, project_uri, &hidden).await
}

/// `item` unless `reader` may not see it because a moderator suspended its author: such an
/// item is there for this space's moderators only.
pub async fn shown(state: &AppState, item: Item, reader: Option<&Account>) -> Result<Option<Item>> {
    if blocks::hidden_by_suspension(state, item.author(), reader).await? {
        return Ok(None);
    }
    Ok(Some(item))
}

/// The item at `uri`, whichever kind it is.
pub async fn by_uri(state: &AppState, uri: &str) -> Result<Option<Item>> {
    if let Some(t) = store::task_by_uri(&state.db, uri).await? {
        return Ok(Some(Item::Task(t)));
    }
    if let Some(n) = store::note_by_uri(&state.db, uri).await? {
        return Ok(Some(Item::Note(n)));
    }
    Ok(store::file_by_uri(&state.db, uri).await?.map(Item::File))
}

/// The item of the local project `handle` at `/{kind}/{token}` under it (`kind`: `tasks`,
/// `notes` or `files`) as `reader` may see it (missing when a moderator suspended its author
/// and `reader` is not a moderator), or the tombstone of one deleted there. 404 when there is
/// no such project.
pub async fn at(
    state: &AppState,
    reader: Option<&Account>,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<(Project, Found<Item>)> {
    let p = service::get(state, handle).await?;
    let uri = format!("{}/{kind}/{token}", service::uri_of(state, &p));
    if let Some(item) = by_uri(state, &uri).await? {
        let Some(item) = shown(state, item, reader).await? else {
            return Ok((p, Found::Missing));
        };
        let found = match (kind, item) {
            ("tasks", i @ Item::Task(_))
            | ("notes", i @ Item::Note(_))
            | ("files", i @ Item::File(_)) => Found::Live(i),
            _ => Found::Missing,
        };
        return Ok((p, found));
    }
    let found = match tombstones::find(&state.db, &uri).await? {
        Some((former_type, deleted_at)) => Found::Deleted(Tombstone {
            id: uri,
            former_type,
            deleted_at,
        }),
        None => Found::Missing,
    };
    Ok((p, found))
}

/// The live task, note or file at its local address as `reader` may see it (see [`at`]):
/// 410 when it was deleted, else 404 when there is none.
pub async fn live(
    state: &AppState,
    reader: Option<&Account>,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<(Project, Item)> {
    let (p, found) = at(state, reader, handle, kind, token).await?;
    Ok((p, found.live()?))
}

pub async fn task(
    state: &AppState,
    reader: Option<&Account>,
    handle: &str,
    token: &str,
) -> Result<(Project, Task)> {
    match live(state, reader, handle, "tasks", token).await? {
        (p, Item::Task(t)) => Ok((p, t)),
        _ => Err(Error::NotFound),
    }
}

pub async fn note(
    state: &AppState,
    reader: Option<&Account>,
    handle: &str,
    token: &str,
) -> Result<(Project, Note)> {
    match live(state, reader, handle, "notes", token).await? {
        (p, Item::Note(n)) => Ok((p, n)),
        _ => Err(Error::NotFound),
    }
}

pub async fn file(
    state: &AppState,
    reader: Option<&Account>,
    handle: &str,
    token: &str,
) -> Result<(Project, ProjectFile)> {
    match live(state, reader, handle, "files", token).await? {
        (p, Item::File(f)) => Ok((p, f)),
        _ => Err(Error::NotFound),
    }
}
