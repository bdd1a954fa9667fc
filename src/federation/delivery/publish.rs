//! Queueing: an activity of a local actor and its deliveries, recorded in the caller's
//! transaction, and the wake-up of the dispatcher after the commit.

use std::collections::HashSet;

use serde_json::Value;

use super::{authority, health, store};
use crate::error::{Error, Result};
use crate::federation::keys::ActorKind;
use crate::federation::remote_blocks;
use crate::federation::Context;
use crate::storage::{now_ms, Tx};

/// Records an activity published by a local actor and queues its deliveries, in the caller's
/// transaction. `activity` needs string `id`, `type` and `actor`; `signer` is the local actor
/// whose key signs the requests (the activity's actor). `inboxes` should already be collapsed
/// to shared inboxes; repeats are dropped, as are inboxes on our own domain (the actor's) and
/// addresses that are not URLs. Publishing the same activity id again keeps the first body and
/// only adds inboxes it did not have. Returns the id of the `activities` row. Call [`wake`] after
/// the commit.
pub async fn publish(
    tx: &mut Tx,
    activity: &Value,
    signer: (ActorKind, i64),
    public: bool,
    inboxes: &[String],
) -> Result<i64> {
    let field = |name: &str| -> Result<&str> {
        activity
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::Internal(anyhow::anyhow!(
                    "an activity to publish needs a string `{name}`"
                ))
            })
    };
    let uri = field("id")?;
    let kind = field("type")?;
    let actor = field("actor")?;
    let own = authority(actor);
    let body = serde_json::to_string(activity).map_err(anyhow::Error::from)?;
    let now = now_ms();

    let activity_id = store::insert_activity(tx, uri, actor, kind, public, &body, now).await?;

    // Actors who block the sender get none of its new content in their own inbox.
    let withheld = remote_blocks::withheld_inboxes(tx, activity, kind, actor).await?;
    let mut seen = HashSet::new();
    let mut targets: Vec<(&str, String)> = Vec::new();
    for inbox in inboxes.iter().map(|i| i.trim()) {
        if !seen.insert(inbox) || withheld.iter().any(|w| w == inbox) {
            continue;
        }
        let Some(host) = authority(inbox) else {
            tracing::warn!(
                inbox,
                activity = uri,
                "not queueing a delivery to a non-URL"
            );
            continue;
        };
        if own.as_deref() == Some(host.as_str()) {
            continue;
        }
        targets.push((inbox, host));
    }
    // Every host's health row, then every delivery: a statement per thousand, not two per
    // inbox (a fan-out to a thousand hosts was two thousand statements in this transaction).
    health::ensure_hosts(tx, targets.iter().map(|(_, h)| h.as_str()).collect()).await?;
    let targets: Vec<(&str, &str)> = targets.iter().map(|(i, h)| (*i, h.as_str())).collect();
    store::queue(tx, activity_id, &targets, signer, now).await?;
    Ok(activity_id)
}

/// After the caller commits: wakes the dispatcher so new deliveries go out now.
pub fn wake(ctx: &Context) {
    ctx.delivery_wakeup.notify_one();
}
