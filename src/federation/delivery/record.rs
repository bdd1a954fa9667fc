//! Recording outcomes, in groups. Each try's outcome goes to one writer task of the process
//! ([`Recorder`]), which takes every outcome waiting at that moment (up to [`MAX_GROUP`]) and
//! writes them in one transaction: for each, the row's new state if this process still holds its
//! lease, and the host's health. Delivered tries, most of any group, take two statements for
//! the whole group (their rows, then their hosts if healthy); other outcomes are written one by
//! one. The worker that sent the request waits until its outcome is
//! committed, as it did when each outcome was its own transaction, so a row is never claimed
//! again before its outcome is written.
//!
//! Nothing waits on a timer: at low load a group is one outcome. A fan-out to a thousand hosts
//! finishes a thousand requests within a few milliseconds of each other; their outcomes used to
//! be a thousand transactions queued behind the one SQLite writer, and are now a handful. When a
//! group's transaction fails as a whole, each of its outcomes is written on its own, so one bad
//! row never loses the others.

use std::collections::HashSet;

use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use super::store::{self, hosts, Claimed};
use super::{after_failure, backoff_ms, health, jittered, short, AfterFailure, Settings, JITTER};
use crate::error::Result;
use crate::federation::Context;
use crate::storage::{now_ms, Tx};

/// Outcomes written by one transaction, at most.
pub(super) const MAX_GROUP: usize = 256;

/// How one try ended.
#[derive(Debug)]
pub(super) enum Outcome {
    /// 2xx.
    Delivered(u16),
    /// Worth trying again later; counts against the host's health.
    Temporary { status: Option<u16>, error: String },
    /// The host answered with a final refusal (404, 410, 401, 403…): failed, but the host is up.
    Rejected { status: u16, error: String },
    /// Failed for good without an answer (an address we do not send to, a signer without key).
    Failed(String),
    /// The domain policy blocks the host: nothing was sent.
    Blocked,
    /// Our own trouble (the database): try again later, the host is not to blame.
    Internal(String),
}

/// What an outcome writes to its row.
struct Planned {
    state: &'static str,
    attempts: i64,
    next: i64,
    status: Option<u16>,
    error: Option<String>,
    delivered_at: Option<i64>,
}

/// How writing one outcome went: `None` when the lease was lost (the row is someone else's
/// now, or a block failed it), else whether the host answered again after failing.
type Written = Option<bool>;

struct Pending {
    item: Claimed,
    outcome: Outcome,
    done: oneshot::Sender<()>,
}

/// The handle to this process's writer of outcomes.
pub(super) struct Recorder {
    sender: mpsc::Sender<Pending>,
}

impl Recorder {
    /// Starts the writer; it ends when the recorder is dropped.
    pub(super) fn spawn(ctx: Context, settings: Settings, owner: String) -> Self {
        let (sender, rx) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(ctx, settings, owner, rx));
        Recorder { sender }
    }

    /// Writes the outcome of a try with the next group; returns once that group is committed
    /// (or failed: the row's lease then expires and the delivery is tried again).
    pub(super) async fn record(&self, item: Claimed, outcome: Outcome) {
        let (done, written) = oneshot::channel();
        let pending = Pending {
            item,
            outcome,
            done,
        };
        if self.sender.send(pending).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn run(ctx: Context, settings: Settings, owner: String, mut rx: mpsc::Receiver<Pending>) {
    let mut waiting: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut waiting, MAX_GROUP).await > 0 {
        let group: Vec<Pending> = std::mem::take(&mut waiting);
        write_group(&ctx, &settings, &owner, group).await;
    }
}

/// Writes one group, then counts, logs and answers each of its outcomes.
async fn write_group(ctx: &Context, settings: &Settings, owner: &str, mut group: Vec<Pending>) {
    // Hosts' health rows in name order, as claims lock them (`store::claim_group`), so the
    // two never wait for each other in a circle on PostgreSQL.
    group.sort_by(|a, b| a.item.host.cmp(&b.item.host));
    let now = now_ms();
    let planned: Vec<Planned> = group
        .iter()
        .map(|p| plan(settings, &p.item, &p.outcome, now))
        .collect();
    let all: Vec<usize> = (0..group.len()).collect();
    let written: Vec<Option<Written>> = match write(
        ctx, settings, owner, &group, &planned, &all, now,
    )
    .await
    {
        Ok(written) => written.into_iter().map(Some).collect(),
        Err(e) => {
            if group.len() > 1 {
                tracing::warn!(outcomes = group.len(), error = %e, "recording a group of delivery outcomes failed; recording each on its own");
            }
            let mut one_by_one = Vec::with_capacity(group.len());
            for i in 0..group.len() {
                match write(ctx, settings, owner, &group, &planned, &[i], now).await {
                    Ok(mut w) => one_by_one.push(w.pop()),
                    Err(e) => {
                        tracing::warn!(id = group[i].item.id, error = %e, "cannot record a delivery outcome");
                        one_by_one.push(None);
                    }
                }
            }
            one_by_one
        }
    };
    let mut wake = false;
    for ((pending, plan), written) in group.into_iter().zip(&planned).zip(written) {
        match written {
            Some(Some(woke_host)) => {
                after(ctx, &pending.item, &pending.outcome, plan);
                if woke_host {
                    tracing::info!(
                        host = pending.item.host,
                        "host answers again; its deliveries resume"
                    );
                    wake = true;
                }
            }
            Some(None) => {
                tracing::debug!(id = pending.item.id, "delivery lease lost; outcome dropped")
            }
            None => {}
        }
        let _ = pending.done.send(());
    }
    if wake {
        ctx.delivery_wakeup.notify_one();
    }
}

/// The row's new state after `outcome`.
fn plan(settings: &Settings, item: &Claimed, outcome: &Outcome, now: i64) -> Planned {
    let attempts = match outcome {
        Outcome::Blocked | Outcome::Internal(_) => item.attempts,
        _ => item.attempts + 1,
    };
    let (state, next, status, error, delivered_at) = match outcome {
        Outcome::Delivered(status) => ("delivered", now, Some(*status), None, Some(now)),
        Outcome::Temporary { status, error } => match after_failure(
            settings,
            item.created_at,
            attempts,
            now,
            rand::thread_rng().gen_range(JITTER.0..=JITTER.1),
        ) {
            AfterFailure::RetryAt(at) => ("queued", at, *status, Some(short(error)), None),
            AfterFailure::GiveUp => (
                "failed",
                now,
                *status,
                Some(short(&format!("gave up after {attempts} tries: {error}"))),
                None,
            ),
        },
        Outcome::Rejected { status, error } => {
            ("failed", now, Some(*status), Some(short(error)), None)
        }
        Outcome::Failed(error) => ("failed", now, None, Some(short(error)), None),
        Outcome::Blocked => ("failed", now, None, Some("blocked".to_string()), None),
        Outcome::Internal(error) => (
            "queued",
            now + jittered(backoff_ms(settings.retry_base_ms, 1)),
            None,
            Some(short(error)),
            None,
        ),
    };
    Planned {
        state,
        attempts,
        next,
        status,
        error,
        delivered_at,
    }
}

/// Writes the outcomes `which` of a group in one transaction. Deliveries (the bulk of a
/// fan-out) are written together: one statement for their rows, one for their hosts' health
/// when the hosts are healthy; every other outcome row by row. On PostgreSQL the hosts' rows
/// are locked first, in name order, as claims lock them.
async fn write(
    ctx: &Context,
    settings: &Settings,
    owner: &str,
    group: &[Pending],
    planned: &[Planned],
    which: &[usize],
    now: i64,
) -> Result<Vec<Written>> {
    let mut tx = ctx.db.begin_write().await?;
    let mut hosts: Vec<&str> = which.iter().map(|&i| group[i].item.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    store::lock_hosts(&mut tx, &ctx.db, &hosts).await?;
    let mut written: Vec<Written> = vec![None; which.len()];
    let delivered: Vec<(usize, u16)> = which
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| match group[i].outcome {
            Outcome::Delivered(status) => Some((k, status)),
            _ => None,
        })
        .collect();
    write_delivered(
        &mut tx,
        ctx,
        owner,
        group,
        which,
        &delivered,
        &mut written,
        now,
    )
    .await?;
    for (k, &i) in which.iter().enumerate() {
        if !matches!(group[i].outcome, Outcome::Delivered(_)) {
            written[k] =
                write_one(&mut tx, ctx, settings, owner, &group[i], &planned[i], now).await?;
        }
    }
    tx.commit().await?;
    Ok(written)
}

/// The delivered tries among `which` (`delivered`: their positions in `which` and the status
/// each receiver answered): their rows in one statement, then their hosts' health, in one
/// statement for the healthy hosts.
#[allow(clippy::too_many_arguments)]
async fn write_delivered(
    tx: &mut Tx,
    ctx: &Context,
    owner: &str,
    group: &[Pending],
    which: &[usize],
    delivered: &[(usize, u16)],
    written: &mut [Written],
    now: i64,
) -> Result<()> {
    let rows: Vec<store::Delivered> = delivered
        .iter()
        .map(|&(k, status)| {
            let item = &group[which[k]].item;
            store::Delivered {
                id: item.id,
                lease_until: item.lease_until,
                attempts: item.attempts + 1,
                status,
            }
        })
        .collect();
    let finished: HashSet<i64> = store::finish_delivered(tx, owner, &rows, now)
        .await?
        .into_iter()
        .collect();
    let done: Vec<usize> = delivered
        .iter()
        .map(|&(k, _)| k)
        .filter(|&k| finished.contains(&group[which[k]].item.id))
        .collect();
    let mut hosts: Vec<&str> = done
        .iter()
        .map(|&k| group[which[k]].item.host.as_str())
        .collect();
    hosts.dedup();
    let healthy: HashSet<String> = hosts::note_success_if_healthy(tx, &hosts, now)
        .await?
        .into_iter()
        .collect();
    let dialect = ctx.db.dialect();
    for k in done {
        let host = &group[which[k]].item.host;
        written[k] = Some(if healthy.contains(host) {
            false
        } else {
            // A failing or parked host (or one without a health row) answered: its health is
            // reset once; the next delivery to it in this group finds it healthy.
            health::host_answered(tx, dialect, host, now, true).await?
        });
    }
    Ok(())
}

/// The row's new state, if this process still holds its lease, and the host's health.
async fn write_one(
    tx: &mut Tx,
    ctx: &Context,
    settings: &Settings,
    owner: &str,
    pending: &Pending,
    plan: &Planned,
    now: i64,
) -> Result<Written> {
    let item = &pending.item;
    let updated = store::finish(
        tx,
        item,
        owner,
        plan.state,
        plan.attempts,
        plan.next,
        plan.status,
        &plan.error,
        plan.delivered_at,
    )
    .await?;
    if !updated {
        return Ok(None);
    }
    let dialect = ctx.db.dialect();
    let woke_host = match &pending.outcome {
        // (`write` sends delivered tries through `write_delivered`; a lone one is written
        // the same way here.)
        Outcome::Delivered(_) | Outcome::Rejected { .. } => {
            let success = matches!(pending.outcome, Outcome::Delivered(_));
            health::host_answered(tx, dialect, &item.host, now, success).await?
        }
        Outcome::Temporary { error, .. } => {
            health::host_failed(tx, dialect, settings, item, now, error).await?;
            false
        }
        Outcome::Failed(_) | Outcome::Blocked | Outcome::Internal(_) => {
            if item.probe {
                // Nothing was learnt about the host: let the next probe go at once.
                health::release_probe(tx, &item.host, now, item.lease_until).await?;
            }
            false
        }
    };
    Ok(Some(woke_host))
}

/// Counts and logs a written outcome.
fn after(ctx: &Context, item: &Claimed, outcome: &Outcome, plan: &Planned) {
    let metrics = &ctx.metrics;
    match outcome {
        Outcome::Delivered(_) => metrics.count_delivery("delivered"),
        Outcome::Internal(_) => metrics.count_delivery("retry"),
        Outcome::Temporary { .. } if plan.state == "queued" => {
            metrics.count_delivery("retry");
            metrics.count_delivery_failure(&item.host);
        }
        Outcome::Blocked => metrics.count_delivery("failed"),
        _ => {
            metrics.count_delivery("failed");
            metrics.count_delivery_failure(&item.host);
        }
    }
    if plan.state == "failed" {
        tracing::info!(inbox = item.inbox, error = ?plan.error, "delivery failed");
    }
}
