//! Projects between servers (FEP-1b12). As the group: members' `Create`/`Update` of tasks,
//! notes and comments addressed to a local project are checked (the sender must be a member),
//! stored, and `Announce`d by the group to every member's server. As a member's server: the
//! `Announce`s of a remote project a local member joined are unwrapped and its tasks, notes,
//! files and comments kept, so the project can be shown and worked on from here.

use serde_json::{json, Value};

use super::model::{Priority, Project, Status, Task, TaskFields};
use super::service::{due_date, task_with, MAX_DESCRIPTION, MAX_NOTE, MAX_TITLE};
use super::{objects, store};
use crate::error::Result;
use crate::federation::keys::ActorKind;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::local::LocalActor;
use crate::federation::protocol::AS_PUBLIC;
use crate::federation::remote::{self, id_of, sanitize_html, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::{authority, delivery, follows, policy};
use crate::hub::actors;
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::{now_ms, Tx};

/// Queues the group's `Announce` of `activity` to every member's server (one delivery per
/// shared inbox), inside the caller's transaction.
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
    let mut tasks = store::tasks_of(&state.db, &group).await?;
    tasks.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
    for t in tasks.iter().filter(|t| t.local).take(BACKFILL) {
        docs.push((t.author.clone(), objects::task(t)));
    }
    for n in store::notes_of(&state.db, &group)
        .await?
        .iter()
        .filter(|n| n.local)
        .take(BACKFILL)
    {
        docs.push((n.author.clone(), objects::note(n)));
    }
    for f in store::files_of(&state.db, &group)
        .await?
        .iter()
        .filter(|f| f.local)
        .take(BACKFILL)
    {
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
async fn joined_here(state: &AppState, group: &str) -> Result<bool> {
    let prefix = format!("{}/", Urls::new(&state.config).base());
    Ok(store::members(&state.db, group)
        .await?
        .iter()
        .chain(store::pending(&state.db, group).await?.iter())
        .any(|m| m.starts_with(&prefix)))
}

/// Takes the activities this module owns; `Ok(false)` for anything else.
pub async fn handle(state: &AppState, activity: &Value, actor: &RemoteActor) -> Result<bool> {
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if matches!(kind, "Create" | "Update" | "Delete") {
        if let Some(id) = activity.get("object").and_then(id_of) {
            if let Some(project) = project_of_item(state, id).await? {
                let local = format!("{}/", Urls::new(&state.config).base());
                if !project.starts_with(&local) {
                    // A remote project's task, note or file changes only through its group's
                    // `Announce`s; anyone else's word on it, directly, is refused.
                    if authority::is_owner(actor, &project, id, kind) {
                        tracing::info!(
                            object = id,
                            "a group's item sent outside an Announce was not kept"
                        );
                    }
                    return Ok(true);
                }
            }
        }
    }
    match kind {
        "Create" | "Update" => {
            let object = activity.get("object").unwrap_or(&Value::Null);
            if !object.is_object() {
                return Ok(false);
            }
            let Some(project) = local_project_of(state, object).await? else {
                return Ok(false);
            };
            to_group(state, &project, activity, object, actor).await?;
            Ok(true)
        }
        "Announce" if actor.kind == "Group" => {
            // A pending join counts: the group's first announces may overtake its Accept.
            if !joined_here(state, &actor.uri).await? {
                // Nobody here joined this group: not ours (a boost of a post, perhaps).
                return Ok(false);
            }
            from_group(state, activity, actor).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Every address in `to`, `cc`, `audience` and `context`.
fn addresses(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["audience", "context", "to", "cc"] {
        match object.get(field) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(id_of).map(str::to_string))
            }
            _ => {}
        }
    }
    out.truncate(100);
    out
}

/// The local project an object is addressed to, or whose task, note or file it answers.
async fn local_project_of(state: &AppState, object: &Value) -> Result<Option<Project>> {
    let urls = Urls::new(&state.config);
    let mut candidates = addresses(object);
    if let Some(parent) = object.get("inReplyTo").and_then(id_of) {
        if let Some(project) = project_of_item(state, parent).await? {
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
    if let Some(t) = store::task_by_uri(&state.db, uri).await? {
        return Ok(Some(t.project));
    }
    if let Some(n) = store::note_by_uri(&state.db, uri).await? {
        return Ok(Some(n.project));
    }
    Ok(store::file_by_uri(&state.db, uri).await?.map(|f| f.project))
}

fn plain(object: &Value, field: &str, max: usize) -> String {
    let raw = object
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default();
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
fn body_text(object: &Value, max: usize) -> Option<String> {
    let source = object.get("source");
    let text = match source
        .and_then(|s| s.get("content"))
        .and_then(Value::as_str)
    {
        Some(s)
            if source
                .and_then(|s| s.get("mediaType"))
                .and_then(Value::as_str)
                .is_none_or(|m| m.starts_with("text/plain") || m.starts_with("text/markdown")) =>
        {
            s.to_string()
        }
        _ => {
            let html = object
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if html.len() > max * 4 {
                return None;
            }
            let clean = sanitize_html(&html.replace("</p>", "</p>\n\n"));
            plain(&json!({ "c": clean }), "c", max)
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

/// A task's fields from a `Page`; `None` (logged) when something is invalid.
fn task_fields(object: &Value, dev_http: bool) -> Option<TaskFields> {
    let title = plain(object, "name", MAX_TITLE + 1);
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return None;
    }
    let description = body_text(object, MAX_DESCRIPTION)?;
    let status = Status::parse(
        object
            .get("taskStatus")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )?;
    let priority = Priority::parse(
        object
            .get("priority")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )?;
    let due_on = due_date(
        object
            .get("dueDate")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .ok()?;
    let named: Vec<&str> = match object.get("assignees") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) if items.len() <= super::service::MAX_ASSIGNEES => {
            items.iter().filter_map(id_of).collect()
        }
        Some(_) => return None,
    };
    let assignees = named
        .into_iter()
        .filter_map(|a| match RemoteUrl::parse(a, dev_http) {
            Ok(a) => Some(a.into_string()),
            Err(e) => {
                tracing::warn!(error = %e, "an assignee that is not an https address was dropped");
                None
            }
        })
        .collect();
    Some(TaskFields {
        title,
        description,
        status,
        priority,
        due_on,
        assignees,
    })
}

/// The id of a project object, which must be a [`RemoteUrl`]; `None` (logged) otherwise.
fn checked_id(object: &Value, dev_http: bool, from: &str) -> Option<RemoteUrl> {
    match RemoteUrl::parse(id_of(object)?, dev_http) {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(actor = from, error = %e, "a project object whose id is not an https address was refused");
            None
        }
    }
}

fn is_public(activity: &Value) -> bool {
    addresses(activity)
        .iter()
        .any(|a| a == AS_PUBLIC || a == "as:Public" || a == "Public")
}

// --- as the group ---------------------------------------------------------------------------

/// A member's `Create`/`Update` addressed to a local project: checked, stored, announced.
async fn to_group(
    state: &AppState,
    project: &Project,
    activity: &Value,
    object: &Value,
    actor: &RemoteActor,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let group = urls.project(&project.handle);
    if !store::is_member(&state.db, &group, &actor.uri).await? {
        tracing::info!(actor = %actor.uri, project = %group, "a contribution from a non-member was dropped");
        return Ok(());
    }
    let dev_http = state.config.dev_http;
    let Some(object_id) = checked_id(object, dev_http, &actor.uri) else {
        return Ok(());
    };
    let id = object_id.as_str();
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let stored = match kind {
        "Page" => {
            let Some(fields) = task_fields(object, dev_http) else {
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
                        store::insert_task(&mut tx, id, &group, false, &actor.uri, &fields, now)
                            .await?;
                    task_with(new_id, id, &group, false, &actor.uri, &fields, now, now)
                }
            };
            let before = existing.map(|t| t.assignees).unwrap_or_default();
            notify_assigned(state, &mut tx, &task, &before, &actor.uri, &actor.handle()).await?;
            announce(state, &mut tx, project, activity).await?;
            tx.commit().await?;
            true
        }
        "Article" => {
            let title = plain(object, "name", MAX_TITLE + 1);
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
            announce(state, &mut tx, project, activity).await?;
            tx.commit().await?;
            true
        }
        "Note" => {
            // A comment: stored as a post by the posts module (which checks it), then
            // announced when it is public and was kept.
            crate::posts::inbound::handle(state, activity, actor).await?;
            let kept = crate::posts::store::by_uri(&state.db, id)
                .await?
                .is_some_and(|p| p.author == actor.uri);
            if kept && is_public(activity) {
                let mut tx = state.db.begin_write().await?;
                announce(state, &mut tx, project, activity).await?;
                tx.commit().await?;
            }
            kept
        }
        other => {
            tracing::info!(kind = other, "an unsupported project object was dropped");
            false
        }
    };
    if stored {
        delivery::wake(state);
    }
    Ok(())
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

// --- as a member's server -------------------------------------------------------------------

/// An `Announce` from a remote group a local member joined: keeps the task, note, file or
/// comment it carries. Objects on the group's own server are taken as embedded (the group
/// signed the announce); others are fetched from their origin by the posts module.
async fn from_group(state: &AppState, announce: &Value, group: &RemoteActor) -> Result<()> {
    let inner = announce.get("object").unwrap_or(&Value::Null);
    let inner_kind = inner
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if inner_kind == "Delete" {
        // Only copies of this group's items, and only ids on its own server.
        let Some(id) = inner.get("object").and_then(id_of) else {
            return Ok(());
        };
        if policy::authority_of(id).as_deref() == Some(group.host.as_str())
            && project_of_item(state, id).await?.as_deref() == Some(group.uri.as_str())
        {
            let mut tx = state.db.begin_write().await?;
            store::delete_item(&mut tx, id).await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    if !matches!(inner_kind, "Create" | "Update") {
        tracing::info!(kind = inner_kind, group = %group.uri, "announced activity not kept");
        return Ok(());
    }
    let object = inner.get("object").unwrap_or(&Value::Null);
    let dev_http = state.config.dev_http;
    let Some(object_id) = checked_id(object, dev_http, &group.uri) else {
        return Ok(());
    };
    let id = object_id.as_str();
    // Who wrote it (its `attributedTo`, else the activity's actor): linked on the board, so
    // only a web address is taken.
    let named = |v: Option<&Value>| match v.and_then(id_of).map(|a| RemoteUrl::parse(a, dev_http)) {
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            tracing::warn!(object = id, group = %group.uri, error = %e, "an announced object whose author is not an https address was refused");
            None
        }
        None => None,
    };
    let Some(actor_url) = named(inner.get("actor")) else {
        return Ok(());
    };
    let author_uri = actor_url.as_str();
    let attributed = object
        .get("attributedTo")
        .map(|a| match a {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        })
        .filter(|a| !a.is_null());
    let author = match attributed {
        None => actor_url.clone(),
        given => match named(given) {
            Some(a) => a,
            None => return Ok(()),
        },
    };
    let author = author.as_str();
    let urls = Urls::new(&state.config);
    if author_uri.starts_with(&format!("{}/", urls.base()))
        && object.get("type").and_then(Value::as_str) == Some("Note")
    {
        // Our own member's comment, announced back: we have it.
        return Ok(());
    }
    let on_group_host = policy::authority_of(id).as_deref() == Some(group.host.as_str());
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "Note" && !on_group_host {
        tracing::info!(
            object = id,
            "an announced object from another host was not kept"
        );
        return Ok(());
    }
    if kind != "Note" && !addresses(object).contains(&group.uri) {
        tracing::info!(
            object = id,
            "an announced object of another group was not kept"
        );
        return Ok(());
    }
    match kind {
        "Page" if object.get("taskStatus").is_none() => {
            // A community post (Lemmy sends `Page`s too), not a task: not kept as one.
            tracing::info!(
                object = id,
                "an announced page that is not a task was not kept"
            );
        }
        "Page" => {
            let Some(fields) = task_fields(object, dev_http) else {
                tracing::info!(task = id, "an invalid announced task was dropped");
                return Ok(());
            };
            // Read under the task's row lock: the assignees before, and so who is newly
            // assigned, are the ones this update replaces.
            let mut tx = state.db.begin_write().await?;
            let existing = store::task_by_uri_for_update(&mut tx, id).await?;
            let task = match &existing {
                Some(t) if t.local || t.project != group.uri => return Ok(()),
                Some(t) => {
                    store::update_task(&mut tx, t.id, &fields).await?;
                    task_with(
                        t.id,
                        id,
                        &group.uri,
                        false,
                        &t.author,
                        &fields,
                        t.created_at,
                        now_ms(),
                    )
                }
                None => {
                    let now = now_ms();
                    let new_id =
                        store::insert_task(&mut tx, id, &group.uri, false, author, &fields, now)
                            .await?;
                    task_with(new_id, id, &group.uri, false, author, &fields, now, now)
                }
            };
            let before = existing.map(|t| t.assignees).unwrap_or_default();
            let by = remote::by_uri(&state.db, author_uri)
                .await?
                .map(|a| a.handle())
                .unwrap_or_else(|| author_uri.to_string());
            notify_assigned(state, &mut tx, &task, &before, author_uri, &by).await?;
            tx.commit().await?;
        }
        "Article" => {
            let title = plain(object, "name", MAX_TITLE + 1);
            let Some(body) = body_text(object, MAX_NOTE) else {
                return Ok(());
            };
            if title.is_empty() || title.chars().count() > MAX_TITLE {
                return Ok(());
            }
            let existing = store::note_by_uri(&state.db, id).await?;
            let mut tx = state.db.begin_write().await?;
            match existing {
                Some(n) if n.local || n.project != group.uri => return Ok(()),
                Some(n) => {
                    store::revise_note(&mut tx, &n, author_uri, &title, &body).await?;
                }
                None => {
                    store::insert_note(
                        &mut tx,
                        id,
                        &group.uri,
                        false,
                        author,
                        &title,
                        &body,
                        now_ms(),
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        "Document" => {
            if store::file_by_uri(&state.db, id).await?.is_some() {
                return Ok(());
            }
            // Shown and offered for download as a local upload's name is: no path, controls or
            // direction overrides.
            let name = super::files::clean_name(&plain(object, "name", 200));
            let url = object.get("url").and_then(|u| link::url_in(u, dev_http));
            let media_type = plain(object, "mediaType", 100);
            let size = object.get("fileSize").and_then(Value::as_i64).unwrap_or(0);
            let Some(url) = url.filter(|u| u.authority() == group.host) else {
                tracing::info!(file = id, "an announced file without a download address on the group's server was dropped");
                return Ok(());
            };
            if name.is_empty() {
                return Ok(());
            }
            let mut tx = state.db.begin_write().await?;
            store::insert_file(
                &mut tx,
                id,
                &group.uri,
                false,
                author,
                &name,
                &media_type,
                size,
                "",
                url.as_str(),
                now_ms(),
            )
            .await?;
            tx.commit().await?;
        }
        "Note" => {
            // A comment: the posts module checks and stores it as the author's post. Embedded
            // when it is on the group's server, otherwise fetched from its origin.
            let author = match remote::resolve(state, author_uri, false).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::info!(actor = author_uri, error = %e, "the author of an announced comment could not be resolved");
                    return Ok(());
                }
            };
            let mut activity = inner.clone();
            if !on_group_host {
                activity["object"] = json!(id);
            }
            crate::posts::inbound::handle(state, &activity, &author).await?;
        }
        other => {
            tracing::info!(
                kind = other,
                "an announced object of an unknown type was not kept"
            );
        }
    }
    Ok(())
}
