//! Projects between servers (FEP-1b12). As the group ([`as_group`]): members' `Create`/`Update`
//! of tasks, notes and comments addressed to a local project are checked (the sender must be a
//! member), stored, and `Announce`d by the group to every member's server. As a member's server
//! ([`as_member`]): the `Announce`s of a remote project a local member joined are unwrapped and
//! its tasks, notes, files and comments kept, so the project can be shown and worked on from
//! here. Here: the group's announces and backfill, the look-ups the inbound dispatcher
//! (`crate::hub::dispatch`) routes with, and the reading of project objects (typed documents of
//! `crate::federation::wire`, their addresses already checked).

pub mod as_group;
pub mod as_member;

pub use as_group::{on_comment, on_note, on_task};
pub use as_member::on_group_announce;

use serde_json::Value;

use super::model::{Priority, Project, Status, Task, TaskFields};
use super::service::{due_date, MAX_DESCRIPTION, MAX_TITLE};
use super::{objects, store};
use crate::error::Result;
use crate::federation::actors;
use crate::federation::keys::ActorKind;
use crate::federation::local::LocalActor;
use crate::federation::remote::{sanitize_html, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{Activity, Addressing, Link, Note};
use crate::federation::{authority, delivery, follows};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::Tx;

/// Queues the group's `Announce` of `activity` (as the member sent it) to every member's server
/// (one delivery per shared inbox), inside the caller's transaction.
pub async fn announce(
    state: &AppState,
    tx: &mut Tx,
    project: &Project,
    activity: &Value,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let group = urls.project(&project.handle);
    let inboxes = follows::follower_inboxes(&state.db, &group).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let announce = objects::announce(&urls, &group, activity);
    delivery::publish(
        tx,
        &announce,
        (ActorKind::Project, project.id),
        true,
        &inboxes,
    )
    .await?;
    Ok(())
}

/// How many of each kind of item a new member's server is sent when it joins.
const BACKFILL: usize = 100;

/// A new remote member's server gets the project's current tasks, notes and files (the most
/// recent [`BACKFILL`] of each), each as the group's `Announce` of a `Create` by its author, so
/// the board it shows is complete from the start.
pub async fn backfill(state: &AppState, project: &Project, member: &RemoteActor) -> Result<()> {
    let urls = Urls::new(&state.config);
    let group = urls.project(&project.handle);
    let mut docs: Vec<(String, Value)> = Vec::new();
    // What suspended actors wrote is not sent (see `item::listed`).
    let super::item::Listed {
        mut tasks,
        notes,
        files,
    } = super::item::listed(state, &group).await?;
    tasks.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
    for t in tasks.iter().filter(|t| t.local).take(BACKFILL) {
        docs.push((t.author.clone(), objects::task(t)));
    }
    for n in notes.iter().filter(|n| n.local).take(BACKFILL) {
        docs.push((n.author.clone(), objects::note(n)));
    }
    for f in files.iter().filter(|f| f.local).take(BACKFILL) {
        docs.push((f.author.clone(), objects::file(f)));
    }
    if docs.is_empty() {
        return Ok(());
    }
    let inbox = vec![member.delivery_inbox().to_string()];
    let mut tx = state.db.begin_write().await?;
    for (author, doc) in docs.iter().rev() {
        let create = objects::activity(&urls, "Create", author, doc);
        let announce = objects::announce(&urls, &group, &create);
        delivery::publish(
            &mut tx,
            &announce,
            (ActorKind::Project, project.id),
            true,
            &inbox,
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// Whether a local member joined (or asked to join) a remote group.
pub async fn joined_here(state: &AppState, group: &str) -> Result<bool> {
    let prefix = format!("{}/", Urls::new(&state.config).base());
    Ok(store::members(&state.db, group)
        .await?
        .iter()
        .chain(store::pending(&state.db, group).await?.iter())
        .any(|m| m.starts_with(&prefix)))
}

/// A `Create`, `Update` or `Delete` (`kind`) of an item of a remote project (`project`), sent
/// directly rather than in its group's `Announce`: a remote project's task, note or file changes
/// only through its group's `Announce`s, so anyone's word on it, directly, is refused (and
/// logged once more when it came from the group itself).
pub fn on_item_outside_announce(actor: &RemoteActor, project: &str, id: &str, kind: &str) {
    if authority::is_owner(actor, project, id, kind) {
        tracing::info!(
            object = id,
            "a group's item sent outside an Announce was not kept"
        );
    }
}

/// Whether `project` (the URI of a project an item belongs to) is a project of another server.
pub fn is_remote_project(state: &AppState, project: &str) -> bool {
    !project.starts_with(&format!("{}/", Urls::new(&state.config).base()))
}

/// Every address in `audience`, `context`, `to` and `cc` (of an object: `context` is the one
/// of a [`Note`] or a file).
pub(super) fn addresses<'a>(
    address: &'a Addressing,
    context: Option<&'a Link>,
) -> impl Iterator<Item = &'a str> {
    address
        .audience
        .iter()
        .chain(context)
        .map(|l| l.as_str())
        .chain(
            [&address.to, &address.cc]
                .into_iter()
                .flatten()
                .flat_map(|list| list.0.iter().map(|u| u.as_str())),
        )
        .take(100)
}

/// The local project an object is addressed to, or whose task, note or file it answers.
pub async fn local_project_of(state: &AppState, object: &Note) -> Result<Option<Project>> {
    let urls = Urls::new(&state.config);
    let mut candidates: Vec<String> = addresses(&object.address, object.context.as_ref())
        .map(str::to_string)
        .collect();
    if let Some(parent) = &object.in_reply_to {
        if let Some(project) = project_of_item(state, parent.as_str()).await? {
            candidates.insert(0, project);
        }
    }
    let prefix = format!("{}/projects/", urls.base());
    for c in candidates.iter().filter(|c| c.starts_with(&prefix)) {
        if let Some(LocalActor::Project(p)) = actors::by_uri(state, c).await? {
            return store::by_handle(&state.db, &p.handle).await;
        }
    }
    Ok(None)
}

/// The project URI of a task, note or file known here.
pub async fn project_of_item(state: &AppState, uri: &str) -> Result<Option<String>> {
    store::item_project(&state.db, uri).await
}

/// Plain text: tags and control characters (but new lines) taken out, at most `max` characters.
pub(super) fn plain(raw: Option<&str>, max: usize) -> String {
    let raw = raw.unwrap_or_default();
    let mut out = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag && (!c.is_control() || c == '\n') => out.push(c),
            _ => {}
        }
    }
    out.trim().chars().take(max).collect()
}

/// The plain text of an object: its `source` when that is plain text, else its content with
/// the markup taken out (sanitised first).
pub(super) fn body_text(object: &Note, max: usize) -> Option<String> {
    let text = match &object.source {
        Some(source)
            if !source.content.is_empty()
                && source.media_type.as_deref().is_none_or(|m| {
                    m.starts_with("text/plain") || m.starts_with("text/markdown")
                }) =>
        {
            source.content.clone()
        }
        _ => {
            let html = object.content.as_deref().unwrap_or_default();
            if html.len() > max * 4 {
                return None;
            }
            let clean = sanitize_html(&html.replace("</p>", "</p>\n\n"));
            plain(Some(&clean), max)
        }
    };
    if text.chars().count() > max {
        return None;
    }
    Some(
        text.chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
            .collect(),
    )
}

/// A task's fields from a `Page`; `None` (logged) when something is invalid. Assignees whose
/// address the typed layer refused are not among them.
pub(super) fn task_fields(object: &Note) -> Option<TaskFields> {
    let title = plain(object.name.as_deref(), MAX_TITLE + 1);
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return None;
    }
    let description = body_text(object, MAX_DESCRIPTION)?;
    let status = Status::parse(object.task_status.as_deref().unwrap_or_default())?;
    let priority = Priority::parse(object.priority.as_deref().unwrap_or_default())?;
    let due_on = due_date(object.due_date.as_deref().unwrap_or_default()).ok()?;
    let named = object.assignees.as_deref().unwrap_or_default();
    if named.len() > super::service::MAX_ASSIGNEES {
        return None;
    }
    let assignees = named.iter().map(|a| a.as_str().to_string()).collect();
    Some(TaskFields {
        title,
        description,
        status,
        priority,
        due_on,
        assignees,
    })
}

/// Whether an activity is addressed to the public.
pub(super) fn is_public(activity: &Activity) -> bool {
    let a = &activity.address;
    [&a.to, &a.cc].into_iter().flatten().any(|l| l.is_public())
}

/// Tells local assignees newly named on a task.
pub(super) async fn notify_assigned(
    state: &AppState,
    tx: &mut Tx,
    task: &Task,
    before: &[String],
    by_uri: &str,
    by_name: &str,
) -> Result<()> {
    let summary = format!("assigned you: {}", task.title);
    let link = super::service::local_link(state, &task.uri);
    for uri in task.assignees.iter().filter(|a| !before.contains(a)) {
        if uri == by_uri {
            continue;
        }
        let Some(actor) = actors::by_uri(state, uri).await? else {
            continue;
        };
        for account_id in notes::stewards(&state.db, &actor).await? {
            notes::notify(
                tx,
                &NewNotification {
                    account_id,
                    kind: Kind::TaskAssigned,
                    actor: by_uri,
                    actor_name: by_name,
                    object: &task.uri,
                    link: &link,
                    summary: &summary,
                },
            )
            .await?;
        }
    }
    Ok(())
}
