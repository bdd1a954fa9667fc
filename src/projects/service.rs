//! The rules of projects: who creates and manages one, who joins (one click here, `Follow`
//! from elsewhere, approval when closed), who may write on the board, what a valid task, note
//! or file is. Every write that peers must learn about queues the group's `Announce` in the
//! same transaction. Tasks are in `service/tasks.rs`, notes and files in `service/notes.rs`;
//! both are re-exported here.

use serde::Deserialize;
use serde_json::Value;

use super::model::Project;
use super::{federate, objects, store};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::federation::{activities, delivery, follows, remote};
use crate::state::AppState;
use crate::storage::Tx;
use crate::validate::{line, text, FieldErrors, Handle};

mod notes;
mod tasks;

pub use notes::*;
pub use tasks::*;

pub const MAX_NAME: usize = 100;
pub const MAX_SUMMARY: usize = 2_000;
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_NOTE: usize = 100_000;
pub const MAX_ASSIGNEES: usize = 20;

/// What a member submits to create (or edit) a project.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub summary: String,
    /// "on" (or `true` in JSON) when joining needs approval.
    #[serde(default, deserialize_with = "flag")]
    pub closed: bool,
    /// Who owns it: "" (yourself) or `company:HANDLE`.
    #[serde(default, rename = "as")]
    pub as_actor: String,
}

/// A checkbox ("on") or a JSON boolean.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => matches!(s.as_str(), "on" | "true" | "1" | "yes"),
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    })
}

pub fn uri_of(state: &AppState, project: &Project) -> String {
    Urls::new(&state.config).project(&project.handle)
}

fn member_uri(state: &AppState, account: &Account) -> String {
    Urls::new(&state.config).member(&account.handle)
}

/// Any member creates a project, for themself or for a company they manage; they become its
/// first member.
pub async fn create(state: &AppState, by: &Account, form: &ProjectForm) -> Result<Project> {
    let urls = Urls::new(&state.config);
    let mut errors = FieldErrors::new();
    let handle = errors
        .check("handle", Handle::parse(&form.handle))
        .and_then(|h| {
            if h.as_str() == "new" {
                errors.add("handle", "is reserved; choose another");
                None
            } else {
                Some(h)
            }
        });
    let name = errors.check("name", line(&form.name, MAX_NAME, true));
    let summary = errors.check("summary", text(&form.summary, MAX_SUMMARY, false));
    let owner = match form.as_actor.trim() {
        "" | "me" => Some(by.local_actor()),
        other => match crate::posts::service::author_for(state, by, other).await {
            Ok(actor @ LocalActor::Company(_)) => Some(actor),
            _ => {
                errors.add("as", "is not a company you manage");
                None
            }
        },
    };
    errors.into_result()?;
    let (Some(handle), Some(name), Some(summary), Some(owner)) = (handle, name, summary, owner)
    else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated project missing"
        )));
    };
    let company_id = match &owner {
        LocalActor::Company(c) => Some(c.id),
        _ => None,
    };
    let keys = crate::federation::keys::generate().await?;
    let mut tx = state.db.begin_write().await?;
    // The handle is taken in the namespace members, companies and projects share, in the
    // transaction that creates the project: of a member and a project taking one handle at
    // once, one gets it and the other is told it is taken.
    crate::accounts::store::reserve_handle(&mut tx, &handle, "project").await?;
    store::insert(
        &mut tx,
        handle.as_str(),
        &name,
        &summary,
        form.closed,
        &owner.uri(&urls),
        company_id,
        by.id,
        &keys,
    )
    .await?;
    follows::record_tx(
        &mut tx,
        &urls.member(&by.handle),
        &urls.project(handle.as_str()),
        true,
        &activities::new_id(&urls),
    )
    .await?;
    tx.commit().await?;
    store::by_handle(&state.db, handle.as_str())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("project vanished after insert")))
}

pub async fn get(state: &AppState, handle: &str) -> Result<Project> {
    store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn is_manager(state: &AppState, project: &Project, account: &Account) -> Result<bool> {
    Ok(store::managers(&state.db, project)
        .await?
        .contains(&account.id))
}

/// The project, when `account` manages it; 403 otherwise.
pub async fn managed(state: &AppState, handle: &str, account: &Account) -> Result<Project> {
    let project = get(state, handle).await?;
    if !is_manager(state, &project, account).await? {
        return Err(Error::forbidden("Only the project's managers may do this."));
    }
    Ok(project)
}

/// Managers change the name, summary and whether joining needs approval.
pub async fn update(
    state: &AppState,
    handle: &str,
    by: &Account,
    form: &ProjectForm,
) -> Result<Project> {
    let project = managed(state, handle, by).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", line(&form.name, MAX_NAME, true));
    let summary = errors.check("summary", text(&form.summary, MAX_SUMMARY, false));
    errors.into_result()?;
    let (Some(name), Some(summary)) = (name, summary) else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated project missing"
        )));
    };
    let mut tx = state.db.begin_write().await?;
    store::update(&mut tx, project.id, &name, &summary, form.closed).await?;
    tx.commit().await?;
    let project = get(state, handle).await?;
    let doc = serde_json::to_value(objects::group(state, &project).await?)
        .map_err(anyhow::Error::from)?;
    crate::federation::outbound::actor_updated(state, &project.local_actor(), &doc).await?;
    Ok(project)
}

/// A manager removes a member. A member on another server is sent a `Reject` of its `Follow`
/// (as Mastodon removes a follower), so its server forgets the membership too.
pub async fn remove_member(
    state: &AppState,
    by: &Account,
    handle: &str,
    actor: &str,
) -> Result<()> {
    let project = managed(state, handle, by).await?;
    let urls = Urls::new(&state.config);
    let group = uri_of(state, &project);
    let membership = follows::get(&state.db, actor, &group)
        .await?
        .filter(follows::Follow::accepted)
        .ok_or(Error::NotFound)?;
    if !follows::remove(&state.db, actor, &group).await? {
        // Removed meanwhile by another manager, who sent the `Reject`.
        return Err(Error::NotFound);
    }
    if let Some(remote) = remote::by_uri(&state.db, actor).await? {
        let mut follow = activities::follow(&urls, actor, &group);
        follow["id"] = Value::String(membership.activity_uri.clone());
        let reject = activities::answer_follow(&urls, false, &group, &follow);
        follows::send(
            state,
            &project.local_actor(),
            &reject,
            false,
            std::slice::from_ref(&remote.inbox),
        )
        .await?;
    }
    Ok(())
}

/// 403 unless `account` is a member of `project`.
async fn require_member(state: &AppState, project_uri: &str, account: &Account) -> Result<()> {
    if !store::is_member(&state.db, project_uri, &member_uri(state, account)).await? {
        return Err(Error::forbidden("Join the project first."));
    }
    Ok(())
}

// --- deletion -------------------------------------------------------------------------------

/// The author of a task, note or file, or a manager, deletes it: its address answers 410 and
/// the group announces the `Delete`.
pub async fn delete_item(
    state: &AppState,
    by: &Account,
    project: &Project,
    uri: &str,
    author: &str,
    former_type: &str,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&by.handle);
    if author != me && !is_manager(state, project, by).await? {
        return Err(Error::forbidden(
            "Only its author or the project's managers may delete this.",
        ));
    }
    let mut tx = state.db.begin_write().await?;
    let media = delete_item_tx(state, &mut tx, project, uri, &me, former_type).await?;
    tx.commit().await?;
    if let Some(key) = media {
        state.media.delete(&key).await;
    }
    delivery::wake(state);
    Ok(())
}

/// Deletes an item of the local `project` inside the caller's transaction: its rows, a
/// tombstone at its address, and the group's `Announce` of the `Delete` by `actor` queued for
/// the members' servers. Returns the stored file's media key, for the caller to remove after
/// the commit.
async fn delete_item_tx(
    state: &AppState,
    tx: &mut Tx,
    project: &Project,
    uri: &str,
    actor: &str,
    former_type: &str,
) -> Result<Option<String>> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    let media = store::delete_item(tx, uri).await?;
    crate::federation::tombstones::insert(tx, uri, former_type).await?;
    let activity = objects::delete(&urls, actor, uri, former_type, &project_uri);
    federate::announce(state, tx, project, &activity).await?;
    Ok(media)
}

/// What a moderator's deletion of a project item did.
#[derive(Debug, Default)]
pub struct Deleted {
    /// Whether `uri` named an item held here (now deleted).
    pub found: bool,
    /// The stored file's media key, for the caller to remove after the commit.
    pub media: Option<String>,
}

/// A moderator deletes the task, note or file at `uri` inside their transaction (which also
/// writes the audit line). An item of a project of this space goes as its author's deletion
/// would: a tombstone at its address and the group's `Announce` of the `Delete` to the
/// members' servers (the caller wakes the delivery queue after commit). A copy of an item of
/// another server's project is removed from this space's store, and nothing is sent.
pub async fn delete_item_by_moderator_tx(
    state: &AppState,
    tx: &mut Tx,
    uri: &str,
) -> Result<Deleted> {
    let Some(item) = super::item::by_uri(state, uri).await? else {
        return Ok(Deleted::default());
    };
    // A project of this space is at `…/projects/{handle}`.
    let local = Urls::new(&state.config).project("");
    let project = match item.project().strip_prefix(&local) {
        Some(handle) if !handle.is_empty() && !handle.contains('/') => {
            store::by_handle(&state.db, handle).await?
        }
        _ => None,
    };
    let media = match project {
        Some(p) => delete_item_tx(state, tx, &p, uri, item.author(), item.kind()).await?,
        None => store::delete_item(tx, uri).await?,
    };
    Ok(Deleted { found: true, media })
}
