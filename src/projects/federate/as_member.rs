//! As a member's server: the `Announce`s of a remote project a local member joined are
//! unwrapped and its tasks, notes, files and comments kept, so the project can be shown and
//! worked on from here. One function per kind of object.

use serde_json::{json, Value};

use super::{
    addresses, body_text, checked_id, notify_assigned, plain, project_of_item, task_fields,
};
use crate::error::Result;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::policy;
use crate::federation::remote::{self, id_of, RemoteActor};
use crate::federation::urls::Urls;
use crate::projects::service::{task_with, MAX_NOTE, MAX_TITLE};
use crate::projects::store;
use crate::state::AppState;
use crate::storage::now_ms;

/// An `Announce` from a remote group a local member joined ([`super::joined_here`]): keeps
/// the task, note, file or comment it carries, or removes the item its `Delete` names. Objects
/// on the group's own server are taken as embedded (the group signed the announce); others are
/// fetched from their origin by the posts module.
pub async fn on_group_announce(
    state: &AppState,
    announce: &Value,
    group: &RemoteActor,
) -> Result<()> {
    let inner = announce.get("object").unwrap_or(&Value::Null);
    let inner_kind = inner
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if inner_kind == "Delete" {
        return deleted(state, inner, group).await;
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
    let item = Item {
        group,
        object,
        id,
        author,
        author_uri,
    };
    match kind {
        "Page" if object.get("taskStatus").is_none() => {
            // A community post (Lemmy sends `Page`s too), not a task: not kept as one.
            tracing::info!(
                object = id,
                "an announced page that is not a task was not kept"
            );
            Ok(())
        }
        "Page" => task(state, &item).await,
        "Article" => note(state, &item).await,
        "Document" => file(state, &item).await,
        "Note" => comment(state, &item, inner, on_group_host).await,
        other => {
            tracing::info!(
                kind = other,
                "an announced object of an unknown type was not kept"
            );
            Ok(())
        }
    }
}

/// An announced object, checked: its group, the object, its id, its author and the announced
/// activity's actor.
struct Item<'a> {
    group: &'a RemoteActor,
    object: &'a Value,
    id: &'a str,
    author: &'a str,
    author_uri: &'a str,
}

/// The group's `Delete` of an item: only copies of this group's items, and only ids on its
/// own server.
async fn deleted(state: &AppState, inner: &Value, group: &RemoteActor) -> Result<()> {
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
    Ok(())
}

/// A task (a `Page` with a `taskStatus`).
async fn task(state: &AppState, item: &Item<'_>) -> Result<()> {
    let Item {
        group,
        object,
        id,
        author,
        author_uri,
    } = *item;
    let Some(fields) = task_fields(object, state.config.dev_http) else {
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
                store::insert_task(&mut tx, id, &group.uri, false, author, &fields, now).await?;
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
    Ok(())
}

/// A note (an `Article`).
async fn note(state: &AppState, item: &Item<'_>) -> Result<()> {
    let Item {
        group,
        object,
        id,
        author,
        author_uri,
    } = *item;
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
    Ok(())
}

/// A file (a `Document`) whose download address is on the group's server.
async fn file(state: &AppState, item: &Item<'_>) -> Result<()> {
    let Item {
        group,
        object,
        id,
        author,
        ..
    } = *item;
    if store::file_by_uri(&state.db, id).await?.is_some() {
        return Ok(());
    }
    // Shown and offered for download as a local upload's name is: no path, controls or
    // direction overrides.
    let name = crate::projects::files::clean_name(&plain(object, "name", 200));
    let url = object
        .get("url")
        .and_then(|u| link::url_in(u, state.config.dev_http));
    let media_type = plain(object, "mediaType", 100);
    let size = object.get("fileSize").and_then(Value::as_i64).unwrap_or(0);
    let Some(url) = url.filter(|u| u.authority() == group.host) else {
        tracing::info!(
            file = id,
            "an announced file without a download address on the group's server was dropped"
        );
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
    Ok(())
}

/// A comment (a `Note`): the posts module checks and stores it as the author's post. Embedded
/// when it is on the group's server, otherwise fetched from its origin.
async fn comment(
    state: &AppState,
    item: &Item<'_>,
    inner: &Value,
    on_group_host: bool,
) -> Result<()> {
    let Item { id, author_uri, .. } = *item;
    let author = match remote::resolve(state, author_uri, false).await {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(actor = author_uri, error = %e, "the author of an announced comment could not be resolved");
            return Ok(());
        }
    };
    let named = json!(id);
    let object = if on_group_host { item.object } else { &named };
    let update = inner.get("type").and_then(Value::as_str) == Some("Update");
    crate::posts::inbound::on_create_named(state, object, &author, update).await?;
    Ok(())
}
