//! Processing what the inbox stored: the floor's inbox (`crate::federation::inbox`) receives,
//! verifies and stores activities; this processor claims them from its queue, reads each once
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

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
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

/// Senders whose activities are processed at the same time, at most.
const CONCURRENT_SENDERS: usize = 8;
/// While the inbox wrote a group of accepted activities this recently, it is taking a burst:
/// the processor then works on one sender at a time, leaving the cores to the requests other
/// servers are waiting on, and catches up at full width once the burst is over.
const BURST: Duration = Duration::from_millis(250);

/// Claims and processes up to 50 stored activities; returns how many. Each sender's activities
/// are processed one after another, in the order received (a `Create` before its `Delete`, a
/// `Follow` before its `Undo`); up to [`CONCURRENT_SENDERS`] senders at a time (one during a
/// burst, see [`BURST`]), so that one activity's waits on the database overlap another's work. What different servers send was
/// never ordered between them, so no handler relies on an order across senders. The outcomes
/// are recorded together at the end, the processed rows in one statement (a crash before that
/// only means they are processed again once their lease ends, as a crash mid-activity would).
pub async fn process_batch(state: &AppState) -> Result<usize> {
    let claimed = inbox::claim(state).await?;
    let count = claimed.len();
    let mut senders: Vec<Vec<inbox::Stored>> = Vec::new();
    for stored in claimed {
        match senders.iter_mut().find(|g| g[0].actor == stored.actor) {
            Some(group) => group.push(stored),
            None => senders.push(vec![stored]),
        }
    }
    let width = if state.inbox_commit.wrote_within(BURST) {
        1
    } else {
        CONCURRENT_SENDERS
    };
    let mut waiting = senders.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut done = Vec::with_capacity(count);
    let mut failed = Vec::new();
    loop {
        while running.len() < width {
            let Some(group) = waiting.next() else { break };
            let state = state.clone();
            running.spawn(async move {
                let mut outcomes = Vec::with_capacity(group.len());
                for stored in group {
                    let outcome = process_one(&state, &stored).await;
                    outcomes.push((stored, outcome));
                }
                outcomes
            });
        }
        let Some(finished) = running.join_next().await else {
            break;
        };
        // A sender's task only awaits each activity's own task, which catches its panics.
        for (stored, outcome) in finished.map_err(|e| Error::Internal(e.into()))? {
            match outcome {
                Ok(()) => done.push(stored.id),
                Err(e) => failed.push((stored.id, stored.attempts, e)),
            }
        }
    }
    done.sort_unstable();
    inbox::record_done(state, &done).await?;
    for (id, attempts, e) in &failed {
        inbox::record_failure(state, *id, *attempts, e).await?;
    }
    Ok(count)
}

/// Reads and handles one stored activity.
async fn process_one(state: &AppState, stored: &inbox::Stored) -> Result<()> {
    let raw = match serde_json::from_str::<Value>(&stored.body) {
        Ok(raw) => raw,
        // Not JSON: not a body the inbox stored (it checks that first), so a failure like any
        // other, tried again and given up.
        Err(e) => return Err(Error::BadRequest(e.to_string())),
    };
    let activity = match wire::parse_value::<wire::Activity>(&raw, state.config.dev_http) {
        Ok(activity) => activity,
        Err(e) => {
            tracing::warn!(activity = stored.id, actor = %stored.actor, error = %e, "an activity that does not read was dropped");
            return Ok(());
        }
    };
    // Each activity in a task of its own: a handler that panicked on some input would otherwise
    // end this processor for good (and the activity, retried after a restart, end it again). A
    // panic counts as a failed attempt.
    let task_state = state.clone();
    let actor = stored.actor.clone();
    tokio::spawn(
        async move { crate::hub::dispatch::handle(&task_state, &activity, &raw, &actor).await },
    )
    .await
    .unwrap_or_else(|e| {
        Err(Error::Internal(anyhow::anyhow!(
            "processing the activity panicked: {e}"
        )))
    })
}
