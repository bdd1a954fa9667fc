//! A project's task, note or file as one type: found at its address (or its tombstone when it
//! was deleted), served there like every federated object (see
//! [`crate::federation::object`]) with the document `objects` builds.

use serde_json::Value;

use super::model::{Note, Project, ProjectFile, Task};
use super::{objects, service, store};
use crate::error::{Error, Result};
use crate::federation::object::{Audience, FederatedObject, Found, Tombstone};
use crate::federation::tombstones;
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
/// `notes` or `files`), or the tombstone of one deleted there. 404 when there is no such
/// project.
pub async fn at(
    state: &AppState,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<(Project, Found<Item>)> {
    let p = service::get(state, handle).await?;
    let uri = format!("{}/{kind}/{token}", service::uri_of(state, &p));
    if let Some(item) = by_uri(state, &uri).await? {
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

/// The live task, note or file at its local address: 410 when it was deleted, else 404 when
/// there is none.
pub async fn live(
    state: &AppState,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<(Project, Item)> {
    let (p, found) = at(state, handle, kind, token).await?;
    Ok((p, found.live()?))
}

pub async fn task(state: &AppState, handle: &str, token: &str) -> Result<(Project, Task)> {
    match live(state, handle, "tasks", token).await? {
        (p, Item::Task(t)) => Ok((p, t)),
        _ => Err(Error::NotFound),
    }
}

pub async fn note(state: &AppState, handle: &str, token: &str) -> Result<(Project, Note)> {
    match live(state, handle, "notes", token).await? {
        (p, Item::Note(n)) => Ok((p, n)),
        _ => Err(Error::NotFound),
    }
}

pub async fn file(state: &AppState, handle: &str, token: &str) -> Result<(Project, ProjectFile)> {
    match live(state, handle, "files", token).await? {
        (p, Item::File(f)) => Ok((p, f)),
        _ => Err(Error::NotFound),
    }
}
