//! The dispatcher and its per-host workers: finding hosts with due work, claiming rows under
//! a lease, sending them, and recording each outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinHandle, JoinSet};

use super::claim::Claimer;
use super::record::{Outcome, Recorder};
use super::store::{self, Claimed};
use super::{Settings, CACHE_MAX, CLEANUP_EVERY};
use crate::error::Result;
use crate::federation::client::{FetchError, Signer};
use crate::federation::crypto::SigningKey;
use crate::federation::keys::{self, ActorKind};
use crate::federation::policy::{self, Decision};
use crate::federation::urls::Urls;
use crate::federation::Context;

/// Starts the dispatcher; it runs until the returned handle is aborted (aborting it stops every
/// worker and abandons requests in flight; their leases expire).
pub fn spawn(ctx: Context) -> JoinHandle<()> {
    tokio::spawn(run(ctx))
}

/// What the workers of one process share.
struct Shared {
    ctx: Context,
    settings: Settings,
    urls: Urls,
    /// The process-wide limit of requests in flight.
    permits: Arc<Semaphore>,
    keys: Mutex<HashMap<(String, i64), Arc<SigningKey>>>,
    activities: Mutex<HashMap<i64, Arc<Outgoing>>>,
    /// The writer of outcomes, in groups.
    recorder: Recorder,
    /// The claimer of rows, in groups.
    claimer: Claimer,
}

/// An activity ready to send: its actor (for the key id) and its body.
struct Outgoing {
    actor: String,
    body: Vec<u8>,
}

struct Worker {
    task: AbortHandle,
    notify: Arc<Notify>,
}

async fn run(ctx: Context) {
    let settings = Settings::from_config(&ctx.config);
    let owner = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
    tracing::info!(
        owner,
        per_host = settings.per_host,
        total = settings.total,
        "delivery dispatcher started"
    );
    let shared = Arc::new(Shared {
        urls: Urls::new(&ctx.config),
        permits: Arc::new(Semaphore::new(settings.total)),
        keys: Mutex::new(HashMap::new()),
        activities: Mutex::new(HashMap::new()),
        recorder: Recorder::spawn(ctx.clone(), settings, owner.clone()),
        claimer: Claimer::spawn(ctx.clone(), settings, owner),
        ctx,
        settings,
    });
    let mut workers: HashMap<String, Worker> = HashMap::new();
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut last_cleanup: Option<Instant> = None;
    loop {
        while let Some(done) = tasks.try_join_next() {
            if let Err(e) = done {
                if e.is_panic() {
                    tracing::error!(error = %e, "a delivery worker panicked");
                }
            }
        }
        workers.retain(|_, w| !w.task.is_finished());

        if last_cleanup.is_none_or(|t| t.elapsed() >= CLEANUP_EVERY) {
            last_cleanup = Some(Instant::now());
            match store::cleanup(&shared.ctx.db).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "old finished deliveries removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot remove old deliveries"),
            }
        }

        match store::due_hosts(&shared.ctx.db).await {
            Ok(hosts) => {
                for host in hosts {
                    match workers.get(&host) {
                        Some(worker) => worker.notify.notify_one(),
                        None => {
                            let notify = Arc::new(Notify::new());
                            let task = tasks.spawn(host_worker(
                                shared.clone(),
                                host.clone(),
                                notify.clone(),
                            ));
                            workers.insert(host, Worker { task, notify });
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the delivery queue"),
        }

        tokio::select! {
            _ = shared.ctx.delivery_wakeup.notified() => {}
            _ = tokio::time::sleep(shared.settings.poll()) => {}
        }
    }
}

/// One host's worker: keeps up to `per_host` requests in flight while the host has due rows,
/// and ends when it has nothing left to do (the dispatcher starts it again when there is).
async fn host_worker(shared: Arc<Shared>, host: String, notify: Arc<Notify>) {
    let per_host = shared.settings.per_host;
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // Whether a claim may find more: at the start, after a wake-up, or when the last claim
    // got all it asked for.
    let mut more = true;
    loop {
        if more && in_flight.len() < per_host {
            more = false;
            let want = per_host - in_flight.len();
            let mut permits: Vec<OwnedSemaphorePermit> = Vec::with_capacity(want);
            while permits.len() < want {
                match shared.permits.clone().try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
            if permits.is_empty() {
                if in_flight.is_empty() {
                    // The process is at its limit: wait for a free slot.
                    match shared.permits.clone().acquire_owned().await {
                        Ok(permit) => permits.push(permit),
                        Err(_) => return,
                    }
                } else {
                    // Try again when one of ours finishes.
                    more = true;
                }
            }
            if !permits.is_empty() {
                match shared.claimer.claim(&host, permits.len()).await {
                    Ok(claimed) => {
                        more = claimed.more;
                        for item in claimed.rows {
                            let Some(permit) = permits.pop() else { break };
                            in_flight.spawn(deliver(shared.clone(), item, permit));
                        }
                    }
                    Err(e) => tracing::warn!(host, error = %e, "cannot claim deliveries"),
                }
            }
        }
        if in_flight.is_empty() {
            return;
        }
        tokio::select! {
            _ = in_flight.join_next() => {}
            _ = notify.notified() => more = true,
        }
    }
}

/// Sends one claimed delivery and records how it went (with the outcomes of other deliveries
/// that finished meanwhile: `record.rs`).
async fn deliver(shared: Arc<Shared>, item: Claimed, _permit: OwnedSemaphorePermit) {
    let outcome = attempt(&shared, &item).await;
    tracing::debug!(
        id = item.id,
        inbox = item.inbox,
        ?outcome,
        probe = item.probe,
        "delivery attempt"
    );
    shared.recorder.record(item, outcome).await;
}

async fn attempt(shared: &Shared, item: &Claimed) -> Outcome {
    match policy::decide_cached(&shared.ctx, &item.host).await {
        Ok(Decision::Block) => return Outcome::Blocked,
        Ok(_) => {}
        Err(e) => return Outcome::Internal(format!("domain policy: {e}")),
    }
    let activity = match shared.activity(item.activity_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Outcome::Failed("the activity no longer exists".into()),
        Err(e) => return Outcome::Internal(format!("activity: {e}")),
    };
    let key = match shared.key(&item.signer_kind, item.signer_id).await {
        Ok(Some(k)) => k,
        Ok(None) => return Outcome::Failed("the signing actor has no key".into()),
        Err(e) => return Outcome::Internal(format!("signing key: {e}")),
    };
    let signer = Signer {
        key_id: shared.urls.key_id(&activity.actor),
        key,
    };
    match shared
        .ctx
        .client
        .post_activity(&item.inbox, &activity.body, &signer)
        .await
    {
        Ok(status) => Outcome::Delivered(status),
        Err(e) => {
            let status = match &e {
                FetchError::Status(s) => Some(*s),
                _ => None,
            };
            if e.is_temporary() {
                Outcome::Temporary {
                    status,
                    error: e.to_string(),
                }
            } else if let Some(status) = status {
                Outcome::Rejected {
                    status,
                    error: e.to_string(),
                }
            } else {
                Outcome::Failed(e.to_string())
            }
        }
    }
}

impl Shared {
    async fn activity(&self, id: i64) -> Result<Option<Arc<Outgoing>>> {
        if let Some(a) = self
            .activities
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(Some(a.clone()));
        }
        let Some((actor, body)) = store::activity(&self.ctx.db, id).await? else {
            return Ok(None);
        };
        let outgoing = Arc::new(Outgoing {
            actor,
            body: body.into_bytes(),
        });
        let mut cache = self.activities.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(id, outgoing.clone());
        Ok(Some(outgoing))
    }

    async fn key(&self, kind: &str, id: i64) -> Result<Option<Arc<SigningKey>>> {
        let cache_key = (kind.to_string(), id);
        if let Some(k) = self
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&cache_key)
        {
            return Ok(Some(k.clone()));
        }
        let kind = match kind {
            "space" => ActorKind::Space,
            "member" => ActorKind::Member,
            "company" => ActorKind::Company,
            "project" => ActorKind::Project,
            _ => return Ok(None),
        };
        let Some(key) = keys::signing_key(&self.ctx.db, kind, id).await? else {
            return Ok(None);
        };
        let key = Arc::new(key);
        let mut cache = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(cache_key, key.clone());
        Ok(Some(key))
    }
}
