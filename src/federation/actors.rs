//! Finding the local actor an URI names (the space, a member, a company or a project). The
//! floor knows no feature, so it cannot read their tables: the composition layer hands it the
//! lookup when the state is built (`crate::hub::actors::lookup`, kept in [`Context`]), and
//! every feature asks here. So a feature that needs to know whether an URI is one of ours does
//! not call up into the hub.

use std::future::Future;
use std::pin::Pin;

use super::local::LocalActor;
use super::Context;
use crate::error::Result;

/// The future a [`Lookup`] returns.
pub type Found<'a> = Pin<Box<dyn Future<Output = Result<Option<LocalActor>>> + Send + 'a>>;

/// The lookup the composition layer installs: the local actor an URI names, if any.
pub type Lookup = for<'a> fn(&'a Context, &'a str) -> Found<'a>;

/// The local actor an URI names, if any.
pub async fn by_uri(ctx: &Context, uri: &str) -> Result<Option<LocalActor>> {
    (ctx.actors)(ctx, uri).await
}
