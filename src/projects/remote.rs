//! Working on a remote project from here: joining is a `Follow` of its group; taking a task is
//! an `Update` of the task (our copy, with the member added to its assignees) sent to the
//! group, which checks it, applies it and announces it back; comments are posts replying to
//! the task, addressed to the group.

use super::model::{Status, Task};
use super::{objects, service, store};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::federation::{delivery, remote};
use crate::state::AppState;
use crate::storage::now_ms;

/// A received task, with the group it belongs to, when the member has joined that group.
async fn joined_task(state: &AppState, by: &Account, uri: &str) -> Result<(Task, String)> {
    let task = store::task_by_uri(&state.db, uri)
        .await?
        .filter(|t| !t.local)
        .ok_or(Error::NotFound)?;
    let me = Urls::new(&state.config).member(&by.handle);
    if !store::is_member(&state.db, &task.project, &me).await? {
        return Err(Error::forbidden("Join the project first."));
    }
    let group = remote::by_uri(&state.db, &task.project)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((task, group.inbox))
}

/// Sends the group an `Update` of a remote task with the member among its assignees (and a
/// task still to do moved to doing). Our copy changes when the group announces it back.
pub async fn take(state: &AppState, by: &Account, uri: &str) -> Result<()> {
    let (task, inbox) = joined_task(state, by, uri).await?;
    let me = Urls::new(&state.config).member(&by.handle);
    let mut fields = service::fields_of(&task);
    if !fields.assignees.contains(&me) {
        fields.assignees.push(me.clone());
    }
    if fields.status == Status::Todo {
        fields.status = Status::Doing;
    }
    send_update(state, by, &task, &fields, &inbox).await
}

/// Sends the group an `Update` moving a remote task to another column.
pub async fn set_status(state: &AppState, by: &Account, uri: &str, status: &str) -> Result<()> {
    let (task, inbox) = joined_task(state, by, uri).await?;
    let mut fields = service::fields_of(&task);
    fields.status = Status::parse(status)
        .ok_or_else(|| Error::invalid("status", "must be todo, doing or done"))?;
    send_update(state, by, &task, &fields, &inbox).await
}

async fn send_update(
    state: &AppState,
    by: &Account,
    task: &Task,
    fields: &super::model::TaskFields,
    inbox: &str,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&by.handle);
    let changed = service::task_with(
        task.id,
        &task.uri,
        &task.project,
        false,
        &task.author,
        fields,
        task.created_at,
        now_ms(),
    );
    let activity = objects::activity(&urls, "Update", &me, &objects::task(&changed));
    let mut tx = state.db.begin_write().await?;
    delivery::publish(
        &mut tx,
        &activity,
        by.local_actor().key_ref(),
        true,
        &[inbox.to_string()],
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// Sends the group an `Update` of a remote task with new title, description, status,
/// priority and due date (its assignees stay as they are).
pub async fn edit_task(
    state: &AppState,
    by: &Account,
    uri: &str,
    form: &service::TaskForm,
) -> Result<()> {
    let (task, inbox) = joined_task(state, by, uri).await?;
    let mut fields = service::check_task_fields(form)?;
    fields.assignees = task.assignees.clone();
    send_update(state, by, &task, &fields, &inbox).await
}

/// Sends the group an `Update` of a remote note: a new revision, kept here when the group
/// announces it back.
pub async fn edit_note(
    state: &AppState,
    by: &Account,
    uri: &str,
    form: &service::NoteForm,
) -> Result<()> {
    let note = store::note_by_uri(&state.db, uri)
        .await?
        .filter(|n| !n.local)
        .ok_or(Error::NotFound)?;
    let urls = Urls::new(&state.config);
    let me = urls.member(&by.handle);
    if !store::is_member(&state.db, &note.project, &me).await? {
        return Err(Error::forbidden("Join the project first."));
    }
    let group = remote::by_uri(&state.db, &note.project)
        .await?
        .ok_or(Error::NotFound)?;
    let (title, body) = service::check_note(form)?;
    let changed = super::model::Note {
        title,
        body,
        revision: note.revision + 1,
        updated_at: now_ms(),
        ..note
    };
    let activity = objects::activity(&urls, "Update", &me, &objects::note(&changed));
    let mut tx = state.db.begin_write().await?;
    delivery::publish(
        &mut tx,
        &activity,
        by.local_actor().key_ref(),
        true,
        &[group.inbox],
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}
