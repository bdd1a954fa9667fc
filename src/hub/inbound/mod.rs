//! Processing what the inbox stored: the floor's inbox (`crate::federation::inbox`) receives,
//! verifies and stores activities; this processor claims them from its queue in batches,
//! reads a batch's senders at once (see [`process_batch`]), reads each activity once
//! into the typed wire layer ([`crate::federation::wire::Activity`]), has it classified
//! ([`classify`]) and routed ([`crate::hub::dispatch`]) to the feature that owns it, and records
//! the outcome (retried with a back-off, given up after five attempts). A document that does
//! not read as an activity (a refused address, a required property missing) is logged once and
//! dropped: trying it again would not change it. The body as received goes to the dispatcher
//! too, only to be relayed or echoed unchanged (a group's `Announce` of a member's activity,
//! the `Follow` an `Accept` carries).

pub mod actor;
pub mod classify;
pub mod kinds;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::federation::remote::{self, RemoteActor};
use crate::federation::{inbox, wire};
use crate::state::AppState;

/// Starts the processor of stored activities.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match process_batch(&state).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbox processing failed"),
            }
            let _ =
                tokio::time::timeout(Duration::from_secs(1), state.inbox_wakeup.notified()).await;
        }
    })
}

/// Claims and processes up to 50 stored activities; returns how many. Their senders are read
/// in one statement (a sender's later activities in the batch read it again). Their outcomes are
/// recorded together at the end, the processed rows in one statement (a crash before that only
/// means they are processed again once their lease ends, as a crash mid-activity would).
pub async fn process_batch(state: &AppState) -> Result<usize> {
    let claimed = inbox::claim(state).await?;
    let mut senders = senders(state, &claimed).await;
    let mut done = Vec::with_capacity(claimed.len());
    let mut failed = Vec::new();
    for stored in &claimed {
        let id = stored.id;
        let outcome = match serde_json::from_str::<Value>(&stored.body) {
            // Not JSON: not a body the inbox stored (it checks that first), so a failure like
            // any other, tried again and given up.
            Err(e) => Err(Error::BadRequest(e.to_string())),
            Ok(raw) => match wire::parse_value::<wire::Activity>(&raw, state.config.dev_http) {
                Err(e) => {
                    tracing::warn!(activity = id, actor = %stored.actor, error = %e, "an activity that does not read was dropped");
                    Ok(())
                }
                Ok(activity) => {
                    // Each activity in a task of its own: a handler that panicked on some
                    // input would otherwise end this processor for good (and the activity,
                    // retried after a restart, end it again). A panic counts as a failed
                    // attempt.
                    let task_state = state.clone();
                    let uri = stored.actor.clone();
                    // A sender's first activity of the batch uses the batch's read of it; its
                    // later ones read it again, as an earlier one may have changed it (an
                    // `Update` or `Delete` of itself).
                    let read = senders.remove(&uri);
                    tokio::spawn(async move {
                        let actor = match read {
                            Some(actor) => actor,
                            None => match remote::by_uri(&task_state.db, &uri).await? {
                                Some(actor) => actor,
                                // No longer known here (deleted meanwhile): nothing to do.
                                None => return Ok(()),
                            },
                        };
                        crate::hub::dispatch::handle(&task_state, &activity, &raw, &actor).await
                    })
                    .await
                    .unwrap_or_else(|e| {
                        Err(Error::Internal(anyhow::anyhow!(
                            "processing the activity panicked: {e}"
                        )))
                    })
                }
            },
        };
        match outcome {
            Ok(()) => done.push(id),
            Err(e) => failed.push((id, stored.attempts, e)),
        }
    }
    inbox::record_done(state, &done).await?;
    for (id, attempts, e) in &failed {
        inbox::record_failure(state, *id, *attempts, e).await?;
    }
    Ok(claimed.len())
}

/// The known senders of a claimed batch, read in one statement instead of one per activity. A
/// failed read leaves each activity to read its sender itself.
async fn senders(state: &AppState, claimed: &[inbox::Stored]) -> HashMap<String, RemoteActor> {
    let mut uris: Vec<&str> = claimed.iter().map(|s| s.actor.as_str()).collect();
    uris.sort_unstable();
    uris.dedup();
    match remote::by_uris(&state.db, &uris).await {
        Ok(actors) => actors.into_iter().map(|a| (a.uri.clone(), a)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reading the senders of a batch failed");
            HashMap::new()
        }
    }
}
