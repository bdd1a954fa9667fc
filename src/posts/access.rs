//! Who may read a post: anyone for public ones; this space's members for members-only ones;
//! the author's followers and the people it names for followers-only ones; only the people it
//! names for direct messages. The people behind a local author (a company's admins, the
//! space's admins) always may. Nobody but the moderators reads a suspended actor's posts.

use super::model::{Post, Visibility};
use super::store;
use crate::accounts::Account;
use crate::error::Error;
use crate::error::Result;
use crate::federation::actors;
use crate::federation::follows;
use crate::federation::local::LocalActor;
use crate::federation::object::{Audience, FederatedObject};
use crate::federation::remote::RemoteActor;
use crate::federation::urls::Urls;
use crate::state::AppState;

/// Who is looking.
#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    Member(Account),
    /// A server that signed its fetch for one of its actors.
    Remote(RemoteActor),
}

impl Viewer {
    pub fn uri(&self, urls: &Urls) -> Option<String> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Member(a) => Some(urls.member(&a.handle)),
            Viewer::Remote(r) => Some(r.uri.clone()),
        }
    }
}

impl From<Option<RemoteActor>> for Viewer {
    /// The reader of a fetch: the actor that signed it, or anonymous.
    fn from(signer: Option<RemoteActor>) -> Self {
        signer.map(Viewer::Remote).unwrap_or(Viewer::Anonymous)
    }
}

impl From<Option<Account>> for Viewer {
    /// The reader of a page: the signed-in member, or anonymous.
    fn from(member: Option<Account>) -> Self {
        member.map(Viewer::Member).unwrap_or(Viewer::Anonymous)
    }
}

/// A local post, as its address serves it (see [`crate::federation::object`]).
impl FederatedObject for Post {
    fn id(&self) -> &str {
        &self.uri
    }
    fn kind(&self) -> &str {
        &self.kind
    }
    fn deleted_at(&self) -> Option<i64> {
        self.deleted_at
    }
    fn audience(&self) -> Audience {
        match self.visibility {
            Visibility::Public => Audience::Public,
            Visibility::Members => Audience::Members,
            Visibility::Followers | Visibility::Direct => Audience::Restricted,
        }
    }
}

/// The post at `uri` as `viewer` may read it: 404 when it may not (or there is none), 410 when
/// it was deleted.
pub async fn readable(state: &AppState, uri: &str, viewer: &Viewer) -> Result<Post> {
    let post = store::by_uri(&state.db, uri)
        .await?
        .ok_or(Error::NotFound)?;
    if !can_read(state, &post, viewer).await? {
        return Err(Error::NotFound);
    }
    if post.is_deleted() {
        return Err(Error::Gone);
    }
    Ok(post)
}

/// Whether `account` may speak as (or act for) the local actor `author`.
pub async fn may_act_as(state: &AppState, account: &Account, author: &LocalActor) -> Result<bool> {
    Ok(match author {
        LocalActor::Member(a) => a.id == account.id,
        LocalActor::Space => account.is_admin,
        other => crate::notifications::store::stewards(&state.db, other)
            .await?
            .contains(&account.id),
    })
}

/// Whether `viewer` may read `post`. What a suspended actor (a member of this space or a
/// remote actor) wrote is read by this space's moderators only.
pub async fn can_read(state: &AppState, post: &Post, viewer: &Viewer) -> Result<bool> {
    let reader = match viewer {
        Viewer::Member(a) => Some(a),
        _ => None,
    };
    if crate::moderation::blocks::hidden_by_suspension(state, &post.author, reader).await? {
        return Ok(false);
    }
    if post.visibility == Visibility::Public {
        return Ok(true);
    }
    let urls = Urls::new(&state.config);
    let Some(me) = viewer.uri(&urls) else {
        return Ok(false);
    };
    if post.author == me {
        return Ok(true);
    }
    if let Viewer::Member(account) = viewer {
        if post.local {
            if let Some(author) = actors::by_uri(state, &post.author).await? {
                if !matches!(author, LocalActor::Member(_))
                    && may_act_as(state, account, &author).await?
                {
                    return Ok(true);
                }
            }
        }
    }
    match post.visibility {
        Visibility::Public => Ok(true),
        Visibility::Members => Ok(matches!(viewer, Viewer::Member(_))),
        Visibility::Followers => {
            if store::in_audience(&state.db, post.id, &me).await? {
                return Ok(true);
            }
            Ok(follows::get(&state.db, &me, &post.author)
                .await?
                .is_some_and(|f| f.accepted()))
        }
        Visibility::Direct => store::in_audience(&state.db, post.id, &me).await,
    }
}
