//! The periodic job that tells members their booking starts soon: every few seconds it looks
//! for confirmed bookings starting within [`LEAD_MS`] that were not reminded yet, marks each
//! one (a conditional update, so two processes on one database remind once) and records the
//! notification in the same transaction.

use std::time::Duration;

use super::store;
use crate::error::Result;
use crate::notifications::store::{notify, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::now_ms;

/// How long before the start a member is told.
pub const LEAD_MS: i64 = 30 * 60_000;
const EVERY: Duration = Duration::from_secs(5);

/// Starts the job; it runs until aborted.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %e, "booking reminders failed");
            }
        }
    })
}

/// One pass; returns how many members were told.
pub async fn run_once(state: &AppState) -> Result<usize> {
    let now = now_ms();
    let due = store::due_reminders(&state.db, now, now + LEAD_MS).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let space = crate::federation::urls::Urls::new(&state.config).space();
    let space_name = crate::spaces::store::name(&state.db)
        .await?
        .unwrap_or_default();
    let mut told = 0;
    for b in due {
        let Some(account_id) = b.account_id else {
            continue;
        };
        let mut tx = state.db.begin_write().await?;
        if store::mark_reminded(&mut tx, b.id).await? {
            let summary = format!(
                "Your booking of {} starts soon: {}",
                b.resource_name,
                crate::events::times::span(b.starts_at, b.ends_at, &tz)
            );
            notify(
                &mut tx,
                &NewNotification {
                    account_id,
                    kind: Kind::BookingSoon,
                    actor: &space,
                    actor_name: &space_name,
                    object: "",
                    link: "/bookings",
                    summary: &summary,
                },
            )
            .await?;
            told += 1;
        }
        tx.commit().await?;
    }
    Ok(told)
}
