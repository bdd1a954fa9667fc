//! Who may do what in a project, as pages and the API ask it: whether someone manages it, is
//! a member or asked to be one, and may delete an item.

use super::item::Item;
use super::model::Project;
use super::{service, store};
use crate::accounts::Account;
use crate::error::Result;
use crate::federation::follows;
use crate::federation::urls::Urls;
use crate::state::AppState;

/// Whether `account` (when signed in) manages `project`.
pub async fn manages(
    state: &AppState,
    project: &Project,
    account: Option<&Account>,
) -> Result<bool> {
    match account {
        Some(a) => service::is_manager(state, project, a).await,
        None => Ok(false),
    }
}

/// The actor URI of a signed-in member.
pub fn member_uri(state: &AppState, account: Option<&Account>) -> Option<String> {
    account.map(|a| Urls::new(&state.config).member(&a.handle))
}

/// The state of `me`'s request to join the project at `project_uri` (local or remote):
/// "accepted", "pending", or "" when none (or when not signed in).
pub async fn membership(state: &AppState, me: Option<&str>, project_uri: &str) -> Result<String> {
    Ok(match me {
        Some(me) => follows::get(&state.db, me, project_uri)
            .await?
            .map(|f| f.state)
            .unwrap_or_default(),
        None => String::new(),
    })
}

/// Whether `me` is a member of the project at `project_uri`.
pub async fn is_member(state: &AppState, project_uri: &str, me: Option<&str>) -> Result<bool> {
    match me {
        Some(m) => store::is_member(&state.db, project_uri, m).await,
        None => Ok(false),
    }
}

/// The local project `uri` names, if any.
async fn local_project(state: &AppState, uri: &str) -> Result<Option<Project>> {
    let prefix = format!("{}/projects/", Urls::new(&state.config).base());
    match uri.strip_prefix(&prefix) {
        Some(handle) if !handle.contains('/') => store::by_handle(&state.db, handle).await,
        _ => Ok(None),
    }
}

/// Whether `account` may delete `item`: its author or a manager of its project, for an item
/// this server holds in a local project.
pub async fn may_delete(state: &AppState, account: Option<&Account>, item: &Item) -> Result<bool> {
    let urls = Urls::new(&state.config);
    let local = |u: &str| u.starts_with(&format!("{}/", urls.base()));
    if !local(item.project()) || !local(item.uri()) {
        return Ok(false);
    }
    let Some(account) = account else {
        return Ok(false);
    };
    if urls.member(&account.handle) == item.author() {
        return Ok(true);
    }
    match local_project(state, item.project()).await? {
        Some(p) => service::is_manager(state, &p, account).await,
        None => Ok(false),
    }
}
