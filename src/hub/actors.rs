//! Finding the local actor an URI names: the space (once it is set up), a member, a company or
//! a project, each looked up in its feature's store.

use crate::error::Result;
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::{accounts, companies, projects};

/// The local actor an URI names, if any.
pub async fn by_uri(state: &AppState, uri: &str) -> Result<Option<LocalActor>> {
    let urls = Urls::new(&state.config);
    let base = urls.base();
    let Some(path) = uri.strip_prefix(base) else {
        return Ok(None);
    };
    if path.is_empty() || path == "/" {
        return Ok(state.is_set_up().await.then_some(LocalActor::Space));
    }
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("members"), Some(h), None) => Ok(accounts::store::by_handle(&state.db, h)
            .await?
            .map(|a| a.local_actor())),
        (Some("companies"), Some(h), None) => Ok(companies::store::by_handle(&state.db, h)
            .await?
            .map(|c| c.local_actor())),
        (Some("projects"), Some(h), None) => Ok(projects::store::by_handle(&state.db, h)
            .await?
            .map(|p| p.local_actor())),
        _ => Ok(None),
    }
}
