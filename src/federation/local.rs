//! Local actors by URI: the space, a member, a company or a project, with the key that signs for them.

use std::sync::Arc;

use super::client::Signer;
use super::keys::{self, ActorKind, SPACE_ID};
use super::urls::Urls;
use crate::accounts::{self, Account};
use crate::companies::{self, Company};
use crate::error::{Error, Result};
use crate::projects::{self, Project};
use crate::state::AppState;

#[derive(Debug, Clone)]
pub enum LocalActor {
    Space,
    Member(Account),
    Company(Company),
    Project(Project),
}

impl LocalActor {
    pub fn uri(&self, urls: &Urls) -> String {
        match self {
            LocalActor::Space => urls.space(),
            LocalActor::Member(a) => urls.member(&a.handle),
            LocalActor::Company(c) => urls.company(&c.handle),
            LocalActor::Project(p) => urls.project(&p.handle),
        }
    }

    pub fn key_ref(&self) -> (ActorKind, i64) {
        match self {
            LocalActor::Space => (ActorKind::Space, SPACE_ID),
            LocalActor::Member(a) => (ActorKind::Member, a.id),
            LocalActor::Company(c) => (ActorKind::Company, c.id),
            LocalActor::Project(p) => (ActorKind::Project, p.id),
        }
    }

    /// Whether followers need approval.
    pub fn locked(&self) -> bool {
        match self {
            LocalActor::Space => false,
            LocalActor::Member(a) => a.locked,
            LocalActor::Company(c) => c.locked,
            // A closed project approves each join.
            LocalActor::Project(p) => p.closed,
        }
    }

    /// `@handle` or the space's name, for pages.
    pub fn label(&self) -> String {
        match self {
            LocalActor::Space => "the space".into(),
            LocalActor::Member(a) => format!("@{}", a.handle),
            LocalActor::Company(c) => format!("@{}", c.handle),
            LocalActor::Project(p) => format!("the project {}", p.name),
        }
    }
}

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
            .map(LocalActor::Member)),
        (Some("companies"), Some(h), None) => Ok(companies::store::by_handle(&state.db, h)
            .await?
            .map(LocalActor::Company)),
        (Some("projects"), Some(h), None) => Ok(projects::store::by_handle(&state.db, h)
            .await?
            .map(LocalActor::Project)),
        _ => Ok(None),
    }
}

/// The key that signs for a local actor.
pub async fn signer(state: &AppState, actor: &LocalActor) -> Result<Signer> {
    let (kind, id) = actor.key_ref();
    let key = keys::signing_key(&state.db, kind, id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("local actor without a key")))?;
    let urls = Urls::new(&state.config);
    Ok(Signer {
        key_id: urls.key_id(&actor.uri(&urls)),
        key: Arc::new(key),
    })
}
