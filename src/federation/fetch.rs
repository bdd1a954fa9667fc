//! Fetching a document another server named by id only (the object of a `Create`, an event a
//! member looked up, a comment a group announced): fetched signed by this space, from the
//! server the id is on, and read by the typed wire layer like everything that arrives.

use super::remote::instance_signer;
use super::wire::{self, Object};
use super::Context;

/// The object at `uri`, only when `uri` is on `host` (the server whose word it is) and the
/// document there has `uri` as its id; `None`, logged, otherwise.
pub async fn object(ctx: &Context, uri: &str, host: &str) -> Option<Object> {
    if super::policy::authority_of(uri).as_deref() != Some(host) {
        return None;
    }
    let signer = instance_signer(ctx).await.ok()?;
    let doc = match ctx.client.get_json(uri, Some(&signer)).await {
        Ok(doc) => doc,
        Err(e) => {
            tracing::info!(object = uri, error = %e, "an object named by id could not be fetched");
            return None;
        }
    };
    match wire::parse_value::<Object>(&doc, ctx.config.dev_http) {
        Ok(o) if o.id().map(|id| id.as_str()) == Some(uri) => Some(o),
        Ok(_) => {
            tracing::info!(object = uri, "a document fetched by id names another id");
            None
        }
        Err(e) => {
            tracing::info!(object = uri, error = %e, "an object fetched by id does not read");
            None
        }
    }
}
