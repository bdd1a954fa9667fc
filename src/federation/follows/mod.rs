//! Follows between actors as the protocol knows them: the `follows` table ([`store`], whose
//! functions are re-exported here) and publishing an activity from a local actor to a set of
//! inboxes. What a Follow, an Accept, a Reject or an Undo does here (auto-accept or pending,
//! notifications, a project's backfill) is the composition layer's: `crate::hub::follows`.

pub mod store;

pub use store::*;

use serde_json::Value;

use super::delivery;
use super::local::LocalActor;
use super::Context;
use crate::error::Result;

/// Publishes one activity from a local actor to the given inboxes.
pub async fn send(
    ctx: &Context,
    from: &LocalActor,
    activity: &Value,
    public: bool,
    inboxes: &[String],
) -> Result<()> {
    let mut tx = ctx.db.begin_write().await?;
    delivery::publish(&mut tx, activity, from.key_ref(), public, inboxes).await?;
    tx.commit().await?;
    // What `delivery::wake` does, from the floor's context.
    ctx.delivery_wakeup.notify_one();
    Ok(())
}
