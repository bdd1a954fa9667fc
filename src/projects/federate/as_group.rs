//! As the group: a member's `Create`/`Update` of a task (`Page`), a note (`Article`) or a comment
//! (`Note`) addressed to a local project is checked (the sender must be a member), stored, and
//! `Announce`d by the group to every member's server. One handler per kind of object. The
//! object arrives typed; the activity is also handed over as received (`raw`), which the group
//! relays unchanged and nothing reads.

use serde_json::Value;

use super::{announce, body_text, is_public, notify_assigned, plain, task_fields};
use crate::error::Result;
use crate::federation::remote::RemoteActor;
use crate::federation::urls::Urls;
use crate::federation::wire::{Activity, Note};
use crate::federation::{delivery, policy};
use crate::projects::model::Project;
use crate::projects::service::{task_with, MAX_NOTE, MAX_TITLE};
use crate::projects::store;
use crate::state::AppState;
use crate::storage::now_ms;

/// The project's URI, when the sender is a member; `None` (logged) otherwise.
async fn contribution(
    state: &AppState,
    project: &Project,
    actor: &RemoteActor,
) -> Result<Option<String>> {
    let urls = Urls::new(&state.config);
    let group = urls.project(&project.handle);
    if !store::is_member(&state.db, &group, &actor.uri).await? {
        tracing::info!(actor = %actor.uri, project = %group, "a contribution from a non-member was dropped");
        return Ok(None);
    }
    Ok(Some(group))
}

/// A member's task (a `Page`) for a local project.
pub async fn on_task(
    state: &AppState,
    project: &Project,
    raw: &Value,
    object: &Note,
    actor: &RemoteActor,
) -> Result<()> {
    let Some(group) = contribution(state, project, actor).await? else {
        return Ok(());
    };
    let id = object.id.as_str();
    let Some(fields) = task_fields(object) else {
        tracing::info!(task = id, "an invalid task was dropped");
        return Ok(());
    };
    let members = store::members(&state.db, &group).await?;
    if let Some(outsider) = fields.assignees.iter().find(|a| !members.contains(a)) {
        tracing::info!(
            task = id,
            outsider,
            "a task assigned to a non-member was dropped"
        );
        return Ok(());
    }
    // Read under the task's row lock: the assignees before, and so who is newly
    // assigned, are the ones this update replaces.
    let mut tx = state.db.begin_write().await?;
    let existing = store::task_by_uri_for_update(&mut tx, id).await?;
    let task = match &existing {
        Some(t) if t.project != group => {
            tracing::info!(task = id, "an update of another project's task was dropped");
            return Ok(());
        }
        Some(t) => {
            store::update_task(&mut tx, t.id, &fields).await?;
            task_with(
                t.id,
                id,
                &group,
                t.local,
                &t.author,
                &fields,
                t.created_at,
                now_ms(),
            )
        }
        None => {
            if policy::authority_of(id).as_deref() != Some(actor.host.as_str()) {
                tracing::info!(task = id, "a new task from another host was dropped");
                return Ok(());
            }
            let now = now_ms();
            let new_id =
                store::insert_task(&mut tx, id, &group, false, &actor.uri, &fields, now).await?;
            task_with(new_id, id, &group, false, &actor.uri, &fields, now, now)
        }
    };
    let before = existing.map(|t| t.assignees).unwrap_or_default();
    notify_assigned(state, &mut tx, &task, &before, &actor.uri, &actor.handle()).await?;
    announce(state, &mut tx, project, raw).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// A member's note (an `Article`) for a local project.
pub async fn on_note(
    state: &AppState,
    project: &Project,
    raw: &Value,
    object: &Note,
    actor: &RemoteActor,
) -> Result<()> {
    let Some(group) = contribution(state, project, actor).await? else {
        return Ok(());
    };
    let id = object.id.as_str();
    let title = plain(object.name.as_deref(), MAX_TITLE + 1);
    let Some(body) = body_text(object, MAX_NOTE) else {
        return Ok(());
    };
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Ok(());
    }
    let existing = store::note_by_uri(&state.db, id).await?;
    let mut tx = state.db.begin_write().await?;
    match existing {
        Some(n) if n.project != group => return Ok(()),
        Some(n) => {
            store::revise_note(&mut tx, &n, &actor.uri, &title, &body).await?;
        }
        None => {
            if policy::authority_of(id).as_deref() != Some(actor.host.as_str()) {
                return Ok(());
            }
            store::insert_note(
                &mut tx,
                id,
                &group,
                false,
                &actor.uri,
                &title,
                &body,
                now_ms(),
            )
            .await?;
        }
    }
    announce(state, &mut tx, project, raw).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// A member's comment (a `Note`) on a local project's item: stored as a post by the posts
/// module (which checks it), then announced when it is public and was kept.
pub async fn on_comment(
    state: &AppState,
    project: &Project,
    activity: &Activity,
    raw: &Value,
    object: &Note,
    actor: &RemoteActor,
    update: bool,
) -> Result<()> {
    if contribution(state, project, actor).await?.is_none() {
        return Ok(());
    }
    let id = object.id.as_str();
    crate::posts::inbound::on_create(state, object, actor, update).await?;
    let kept = crate::posts::store::by_uri(&state.db, id)
        .await?
        .is_some_and(|p| p.author == actor.uri);
    if kept && is_public(activity) {
        let mut tx = state.db.begin_write().await?;
        announce(state, &mut tx, project, raw).await?;
        tx.commit().await?;
    }
    if kept {
        delivery::wake(state);
    }
    Ok(())
}
