//! Finding the local actor an URI names: the space (once it is set up), a member, a company or
//! a project, each looked up in its feature's store. The floor asks through
//! [`crate::federation::actors::by_uri`], which calls [`lookup`] (installed in the floor's
//! context when the state is built), so features never call up here.

use crate::error::Result;
use crate::federation::actors::Found;
use crate::federation::local::LocalActor;
use crate::federation::remote::RemoteActor;
use crate::federation::urls::Urls;
use crate::federation::Context;
use crate::{accounts, companies, projects, spaces};

/// [`by_uri`] in the shape the floor keeps ([`crate::federation::actors::Lookup`]).
pub fn lookup<'a>(ctx: &'a Context, uri: &'a str) -> Found<'a> {
    Box::pin(by_uri(ctx, uri))
}

/// The local actor an URI names, if any.
pub async fn by_uri(ctx: &Context, uri: &str) -> Result<Option<LocalActor>> {
    let urls = Urls::new(&ctx.config);
    let base = urls.base();
    let Some(path) = uri.strip_prefix(base) else {
        return Ok(None);
    };
    if path.is_empty() || path == "/" {
        let set_up = matches!(spaces::store::name(&ctx.db).await, Ok(Some(_)));
        return Ok(set_up.then_some(LocalActor::Space));
    }
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("members"), Some(h), None) => Ok(accounts::store::by_handle(&ctx.db, h)
            .await?
            .map(|a| a.local_actor())),
        (Some("companies"), Some(h), None) => Ok(companies::store::by_handle(&ctx.db, h)
            .await?
            .map(|c| c.local_actor())),
        (Some("projects"), Some(h), None) => Ok(projects::store::by_handle(&ctx.db, h)
            .await?
            .map(|p| p.local_actor())),
        _ => Ok(None),
    }
}

/// How pages and the API print a local actor: the handle people type to find it, and its name.
/// Members, companies and projects are `@handle@domain`; the space is its domain (it is found
/// by WebFinger on the bare domain, FEP-d556), named by its own name.
pub async fn handle_and_name(ctx: &Context, actor: &LocalActor) -> Result<(String, String)> {
    let urls = Urls::new(&ctx.config);
    Ok(match actor {
        LocalActor::Space => {
            let name = crate::spaces::store::name(&ctx.db)
                .await?
                .unwrap_or_else(|| urls.domain().to_string());
            (urls.domain().to_string(), name)
        }
        LocalActor::Member(i) | LocalActor::Company(i) | LocalActor::Project(i) => {
            let name = if i.name.trim().is_empty() {
                format!("@{}", i.handle)
            } else {
                i.name.clone()
            };
            (format!("@{}@{}", i.handle, urls.domain()), name)
        }
    })
}

/// How pages and the API print a remote actor's handle: `@name@host`, except for a server's
/// own actor named after its host (a space, an instance actor), which is printed as the host.
pub fn remote_handle(actor: &RemoteActor) -> String {
    let bare_host = actor.host.split(':').next().unwrap_or_default();
    if actor.preferred_username.eq_ignore_ascii_case(bare_host) {
        actor.host.clone()
    } else {
        actor.handle()
    }
}
