//! As a member's server: the `Announce`s of a remote project a local member joined are
//! unwrapped and its tasks, notes, files and comments kept, so the project can be shown and
//! worked on from here. One function per kind of object. The announced activity is read by the
//! typed layer with the `Announce` (an embedded [`Activity`]), its addresses already checked.

use super::{addresses, body_text, notify_assigned, plain, project_of_item, task_fields};
use crate::error::Result;
use crate::federation::link::RemoteUrl;
use crate::federation::policy;
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{Activity, ActivityKind, Document, Note, Object, ObjectOrLink};
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
    announce: &Activity,
    group: &RemoteActor,
) -> Result<()> {
    let Some(inner) = announce.embedded_activity() else {
        tracing::info!(group = %group.uri, "an announce of no embedded activity not kept");
        return Ok(());
    };
    match inner.kind() {
        ActivityKind::Delete => return deleted(state, inner, group).await,
        ActivityKind::Create | ActivityKind::Update => {}
        _ => {
            tracing::info!(kind = %inner.kind_name, group = %group.uri, "announced activity not kept");
            return Ok(());
        }
    }
    // Only an embedded object is kept (an address alone names no kind of item).
    let Some(object) = inner.embedded() else {
        return Ok(());
    };
    let Some(object_id) = object.id() else {
        return Ok(());
    };
    let id = object_id.as_str();
    // Who wrote it (its `attributedTo`, else the activity's actor): linked on the board, so
    // only a web address, which the typed layer checked.
    let author_uri = inner.actor.as_str();
    let attributed = match object {
        Object::Document(d) | Object::Image(d) => d.attributed_to.as_ref(),
        o => o.as_note().and_then(|n| n.attributed_to.as_ref()),
    };
    let author = attributed
        .and_then(|a| a.first())
        .map(|a| a.as_str())
        .unwrap_or(author_uri);
    let urls = Urls::new(&state.config);
    let is_comment = matches!(object, Object::Note(_));
    if author_uri.starts_with(&format!("{}/", urls.base())) && is_comment {
        // Our own member's comment, announced back: we have it.
        return Ok(());
    }
    let on_group_host = policy::authority_of(id).as_deref() == Some(group.host.as_str());
    if !is_comment && !on_group_host {
        tracing::info!(
            object = id,
            "an announced object from another host was not kept"
        );
        return Ok(());
    }
    let addressed = |a| addresses(a, context_of(object)).any(|a| a == group.uri);
    if !is_comment && !address_of(object).is_some_and(addressed) {
        tracing::info!(
            object = id,
            "an announced object of another group was not kept"
        );
        return Ok(());
    }
    let item = Item {
        group,
        id,
        author,
        author_uri,
    };
    match object {
        Object::Page(page) if page.task_status.is_none() => {
            // A community post (Lemmy sends `Page`s too), not a task: not kept as one.
            tracing::info!(
                object = id,
                "an announced page that is not a task was not kept"
            );
            Ok(())
        }
        Object::Page(page) => task(state, &item, page).await,
        Object::Article(article) => note(state, &item, article).await,
        Object::Document(doc) if doc.kind == "Document" => file(state, &item, doc).await,
        Object::Note(_) => comment(state, &item, inner, on_group_host).await,
        other => {
            tracing::info!(
                kind = other.type_name().unwrap_or_default(),
                "an announced object of an unknown type was not kept"
            );
            Ok(())
        }
    }
}

/// The addressing of a written post or a file.
fn address_of(object: &Object) -> Option<&crate::federation::wire::Addressing> {
    match object {
        Object::Document(d) | Object::Image(d) => Some(&d.address),
        o => o.as_note().map(|n| &n.address),
    }
}

/// The `context` of a written post or a file (FEP-1b12: the group it belongs to).
fn context_of(object: &Object) -> Option<&crate::federation::wire::Link> {
    match object {
        Object::Document(d) | Object::Image(d) => d.context.as_ref(),
        o => o.as_note().and_then(|n| n.context.as_ref()),
    }
}

/// An announced object, checked: its group, its id, its author and the announced activity's
/// actor.
struct Item<'a> {
    group: &'a RemoteActor,
    id: &'a str,
    author: &'a str,
    author_uri: &'a str,
}

/// The group's `Delete` of an item: only copies of this group's items, and only ids on its
/// own server.
async fn deleted(state: &AppState, inner: &Activity, group: &RemoteActor) -> Result<()> {
    let Some(id) = inner.object_id().map(RemoteUrl::as_str) else {
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
async fn task(state: &AppState, item: &Item<'_>, object: &Note) -> Result<()> {
    let Item {
        group,
        id,
        author,
        author_uri,
    } = *item;
    let Some(fields) = task_fields(object) else {
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
async fn note(state: &AppState, item: &Item<'_>, object: &Note) -> Result<()> {
    let Item {
        group,
        id,
        author,
        author_uri,
    } = *item;
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
async fn file(state: &AppState, item: &Item<'_>, object: &Document) -> Result<()> {
    let Item {
        group, id, author, ..
    } = *item;
    if store::file_by_uri(&state.db, id).await?.is_some() {
        return Ok(());
    }
    // Shown and offered for download as a local upload's name is: no path, controls or
    // direction overrides.
    let name = crate::projects::files::clean_name(&plain(object.name.as_deref(), 200));
    let media_type = plain(object.media_type.as_deref(), 100);
    let size = object.file_size.unwrap_or(0);
    let Some(url) = object
        .url
        .as_ref()
        .map(|u| u.get())
        .filter(|u| u.authority() == group.host)
    else {
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
    inner: &Activity,
    on_group_host: bool,
) -> Result<()> {
    let Item { author_uri, .. } = *item;
    let author = match remote::resolve(state, author_uri, false).await {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(actor = author_uri, error = %e, "the author of an announced comment could not be resolved");
            return Ok(());
        }
    };
    let by_id;
    let object = match (inner.object(), inner.object_id()) {
        (Some(embedded), _) if on_group_host => embedded,
        (_, Some(id)) => {
            by_id = ObjectOrLink::Link(id.clone());
            &by_id
        }
        _ => return Ok(()),
    };
    let update = inner.kind() == ActivityKind::Update;
    crate::posts::inbound::on_create_named(state, object, &author, update).await?;
    Ok(())
}
