//! Blocks of local actors by remote actors: a received `Block` is recorded here (by the
//! composition layer, with the follows it ends) and taken back by its `Undo`. While a block
//! stands, [`crate::federation::delivery::publish`] does not queue the blocked actor's new
//! content (Create, Update, Announce, Like, Follow, Join) to the blocking actor's own inbox,
//! nor to its server's shared inbox when the activity is addressed to blocking actors alone (a
//! direct message); otherwise a shared inbox still gets what others there follow (its server
//! filters it, as Mastodon does).

pub mod store;

use serde_json::Value;

use crate::error::Result;
use crate::storage::Tx;

/// The inboxes `activity` (of kind `kind`, by the local actor `actor`) must not be queued to
/// because of the blocks of `actor` recorded here.
pub async fn withheld_inboxes(
    tx: &mut Tx,
    activity: &Value,
    kind: &str,
    actor: &str,
) -> Result<Vec<String>> {
    if !withheld(kind) {
        return Ok(Vec::new());
    }
    let blockers = store::blockers_tx(tx, actor).await?;
    if blockers.is_empty() {
        return Ok(Vec::new());
    }
    let audience: Vec<&str> = ["to", "cc"]
        .iter()
        .filter_map(|k| activity.get(*k))
        .flat_map(|v| match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    let only_blockers = !audience.is_empty()
        && audience
            .iter()
            .all(|a| blockers.iter().any(|b| b.actor == *a));
    let mut out = Vec::new();
    for b in blockers {
        out.push(b.inbox);
        if only_blockers && !b.shared_inbox.is_empty() {
            out.push(b.shared_inbox);
        }
    }
    Ok(out)
}

/// Activity kinds a block keeps from the blocking actor's inbox; answers and retractions
/// (Accept, Reject, Undo, Delete, Block, Flag) still go.
pub fn withheld(kind: &str) -> bool {
    matches!(
        kind,
        "Create" | "Update" | "Announce" | "Like" | "Follow" | "Join"
    )
}
