//! Local actors as the protocol knows them: the space, a member, a company or a project, each
//! by its identity (database id, handle, name, whether it approves followers) and the key that
//! signs for it. Features build one from their models (`Account::local_actor()` and the like);
//! finding the actor an URI names needs their stores, so that lookup is the composition
//! layer's, installed in the context (`crate::federation::actors`).

use std::sync::Arc;

use super::client::Signer;
use super::keys::{self, ActorKind, SPACE_ID};
use super::urls::Urls;
use super::Context;
use crate::error::{Error, Result};

/// Who a local member, company or project is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its row in its feature's table (accounts, companies, projects).
    pub id: i64,
    pub handle: String,
    /// What pages call it: a member's display name (or handle), a company's or project's name.
    pub name: String,
    /// Whether followers need approval (a closed project approves each join).
    pub locked: bool,
}

/// A local actor: its kind, and for all but the space, its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalActor {
    Space,
    Member(Identity),
    Company(Identity),
    Project(Identity),
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

    pub fn kind(&self) -> ActorKind {
        self.key_ref().0
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
            LocalActor::Member(i) | LocalActor::Company(i) | LocalActor::Project(i) => i.locked,
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

/// The key that signs for a local actor.
pub async fn signer(ctx: &Context, actor: &LocalActor) -> Result<Signer> {
    let (kind, id) = actor.key_ref();
    let key = keys::signing_key(&ctx.db, kind, id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("local actor without a key")))?;
    let urls = Urls::new(&ctx.config);
    Ok(Signer {
        key_id: urls.key_id(&actor.uri(&urls)),
        key: Arc::new(key),
    })
}
