//! The persistent outbound delivery queue.
//!
//! [`publish`] records an activity of a local actor in `activities` and one row per remote
//! inbox in `deliveries`, inside the caller's transaction: once that commits, the activity will
//! be delivered even if the process is killed a moment later. [`wake`] tells the dispatcher.
//!
//! [`spawn`] starts the dispatcher. It finds hosts with due deliveries (on a wake-up, or at
//! least every second) and runs one worker per remote host. A worker claims due rows of its
//! host with a lease (`lease_owner`, `lease_until`), sends them concurrently, and records each
//! outcome only while it still holds that lease. Every process sharing the database claims the
//! same way (`FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so a row is
//! sent by one process at a time; the rows of a process that dies keep their lease until it
//! expires, then anyone picks them up again.
//!
//! Outcomes:
//! - 2xx: `delivered`.
//! - A temporary failure (network trouble, 5xx, 408, 429): tried again after an exponential
//!   backoff with jitter ([`backoff_ms`]), until the delivery is older than the configured
//!   maximum age; a failure after that gives it up (`failed`).
//! - Any other answer (400, 401, 403, 404, 410…): `failed` at once, with the status.
//! - A host blocked by the domain policy: `failed` with `last_error = 'blocked'`, nothing sent.
//!   The policy is checked when sending, not when queueing, so a block decided after an activity
//!   was queued still holds it back.
//!
//! Host health lives in `delivery_hosts`. After `park_after` temporary failures in a row a host
//! is *parked*: its queued rows wait until `parked_until`. Then exactly one delivery goes out as
//! a probe (the claim moves `parked_until` forward while the probe is in flight, so no other
//! process probes too). If the host answers, it is reset and all its queued deliveries are due
//! at once; if not, it is parked again for twice as long (at most an hour). Any answer from a
//! host, even a 4xx for one inbox, proves it is up and resets its failure count.
//!
//! Finished rows keep `next_attempt_at` as the time they finished and `lease_owner` as the
//! process that last held them; they are deleted a week after finishing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row as _;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinHandle, JoinSet};

use super::client::{FetchError, Signer};
use super::crypto::SigningKey;
use super::keys::{self, ActorKind};
use super::policy::{self, Decision};
use super::urls::Urls;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::{now_ms, Db, Dialect, Tx};

/// How long a claim is held. Far longer than a request may take (the client gives up after
/// 20 s), so a live process never loses a lease it is using.
const LEASE_MS: i64 = 60_000;
/// The longest wait between two tries of a delivery, or two probes of a parked host (unless the
/// configured base is longer still).
pub const MAX_DELAY_MS: i64 = 3_600_000;
/// Jitter: each delay is scaled by a random factor in this range, so retries spread out.
const JITTER: (f64, f64) = (0.8, 1.2);
/// Hosts with due work looked at per round of the dispatcher.
const DISCOVER_LIMIT: i64 = 4096;
/// Finished deliveries are deleted this long after they finished.
const RETENTION_MS: i64 = 7 * 86_400_000;
const CLEANUP_EVERY: Duration = Duration::from_secs(600);
/// How long a policy decision is reused before asking the database again.
const POLICY_TTL: Duration = Duration::from_secs(10);
/// Entries kept in each in-memory cache (keys, activity bodies, policy decisions).
const CACHE_MAX: usize = 1024;
/// Longest error text stored.
const ERROR_MAX: usize = 300;

// ---------------------------------------------------------------------------------------------
// Settings and the retry schedule.

/// The delivery settings of one process (from [`Config`]).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Requests in flight at once in this process.
    pub total: usize,
    /// First retry delay; it doubles per failed try, up to [`MAX_DELAY_MS`].
    pub retry_base_ms: i64,
    /// A delivery that still fails after this age is given up.
    pub max_age_ms: i64,
    /// Consecutive temporary failures that park a host.
    pub park_after: i64,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Settings {
            per_host: config.delivery_per_host,
            total: config.delivery_total,
            retry_base_ms: config.delivery_retry_base_ms as i64,
            max_age_ms: config.delivery_max_age_hours as i64 * 3_600_000,
            park_after: i64::from(config.delivery_park_after),
        }
    }

    /// How often the dispatcher looks for due work without a wake-up: every second, or more
    /// often when retries are configured to be quicker than that (tests).
    fn poll(&self) -> Duration {
        Duration::from_millis((self.retry_base_ms / 2).clamp(50, 1000) as u64)
    }
}

/// The delay after the `failures`-th failure in a row (1-based), before jitter:
/// `base · 2^(failures-1)`, at most [`MAX_DELAY_MS`] (or `base` when that is longer).
pub fn backoff_ms(base_ms: i64, failures: i64) -> i64 {
    let cap = MAX_DELAY_MS.max(base_ms);
    let doublings = (failures - 1).clamp(0, 32) as u32;
    base_ms.saturating_mul(1_i64 << doublings).min(cap)
}

fn jittered(ms: i64) -> i64 {
    (ms as f64 * rand::thread_rng().gen_range(JITTER.0..=JITTER.1)) as i64
}

/// What happens to a delivery after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (Unix milliseconds).
    RetryAt(i64),
    /// Older than the maximum age: give up.
    GiveUp,
}

/// Decides after the `attempts`-th try (1-based) of a delivery made at `created_at` failed
/// temporarily at `now`. `jitter` scales the delay (1.0 for none). A delivery is given up only by
/// a failure *after* its maximum age, so a host that comes back within that age always gets it.
pub fn after_failure(
    settings: &Settings,
    created_at: i64,
    attempts: i64,
    now: i64,
    jitter: f64,
) -> AfterFailure {
    if now - created_at >= settings.max_age_ms {
        AfterFailure::GiveUp
    } else {
        let delay = backoff_ms(settings.retry_base_ms, attempts) as f64 * jitter;
        AfterFailure::RetryAt(now + delay as i64)
    }
}

// ---------------------------------------------------------------------------------------------
// Queueing.

/// `host` or `host:port` of a URL (the port only when it is not the scheme's default), lower
/// case: the unit of delivery workers and host health. In development, two instances on one
/// address but different ports are different hosts.
pub fn authority(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

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

    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO activities (uri, actor, kind, public, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uri) DO NOTHING RETURNING id",
    )
    .bind(uri)
    .bind(actor)
    .bind(kind)
    .bind(i64::from(public))
    .bind(&body)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let activity_id = match inserted {
        Some(id) => id,
        None => {
            sqlx::query_scalar("SELECT id FROM activities WHERE uri = $1")
                .bind(uri)
                .fetch_one(&mut **tx)
                .await?
        }
    };

    let mut seen = HashSet::new();
    let mut hosts = HashSet::new();
    for inbox in inboxes.iter().map(|i| i.trim()) {
        if !seen.insert(inbox) {
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
        if hosts.insert(host.clone()) {
            sqlx::query(
                "INSERT INTO delivery_hosts (host) VALUES ($1) ON CONFLICT (host) DO NOTHING",
            )
            .bind(&host)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO deliveries (activity_id, inbox, host, signer_kind, signer_id, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (activity_id, inbox) DO NOTHING",
        )
        .bind(activity_id)
        .bind(inbox)
        .bind(&host)
        .bind(signer.0.as_str())
        .bind(signer.1)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(activity_id)
}

/// After the caller commits: wakes the dispatcher so new deliveries go out now.
pub fn wake(state: &AppState) {
    state.delivery_wakeup.notify_one();
}

// ---------------------------------------------------------------------------------------------
// The dispatcher and its per-host workers.

/// Starts the dispatcher; it runs until the returned handle is aborted (aborting it stops every
/// worker and abandons requests in flight; their leases expire).
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(run(state))
}

/// What the workers of one process share.
struct Shared {
    state: AppState,
    settings: Settings,
    /// This dispatcher's name in `lease_owner`: process id and a random part.
    owner: String,
    urls: Urls,
    /// The process-wide limit of requests in flight.
    permits: Arc<Semaphore>,
    keys: Mutex<HashMap<(String, i64), Arc<SigningKey>>>,
    activities: Mutex<HashMap<i64, Arc<Outgoing>>>,
    decisions: Mutex<HashMap<String, (Decision, Instant)>>,
}

/// An activity ready to send: its actor (for the key id) and its body.
struct Outgoing {
    actor: String,
    body: Vec<u8>,
}

/// A claimed delivery.
#[derive(Debug)]
struct Claimed {
    id: i64,
    activity_id: i64,
    inbox: String,
    host: String,
    signer_kind: String,
    signer_id: i64,
    attempts: i64,
    created_at: i64,
    /// The lease taken; the outcome is recorded only while the row still carries it.
    lease_until: i64,
    /// The one delivery let through to a parked host.
    probe: bool,
}

struct Worker {
    task: AbortHandle,
    notify: Arc<Notify>,
}

async fn run(state: AppState) {
    let settings = Settings::from_config(&state.config);
    let owner = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
    tracing::info!(
        owner,
        per_host = settings.per_host,
        total = settings.total,
        "delivery dispatcher started"
    );
    let shared = Arc::new(Shared {
        urls: Urls::new(&state.config),
        permits: Arc::new(Semaphore::new(settings.total)),
        keys: Mutex::new(HashMap::new()),
        activities: Mutex::new(HashMap::new()),
        decisions: Mutex::new(HashMap::new()),
        state,
        settings,
        owner,
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
            match cleanup(&shared.state.db).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "old finished deliveries removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot remove old deliveries"),
            }
        }

        match due_hosts(&shared.state.db).await {
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
            _ = shared.state.delivery_wakeup.notified() => {}
            _ = tokio::time::sleep(shared.settings.poll()) => {}
        }
    }
}

/// Hosts that have deliveries due and unclaimed and are not parked. One short index read per
/// known host (`deliveries_host_due`), however long the queues are. (The unary `+` keeps
/// SQLite from reading `deliveries_host_leased` instead; it changes nothing on PostgreSQL.)
async fn due_hosts(db: &Db) -> Result<Vec<String>> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "SELECT h.host FROM delivery_hosts h WHERE h.parked_until <= $1 AND EXISTS (\
         SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state = 'queued' \
         AND d.next_attempt_at <= $1 AND +d.lease_until < $1) \
         LIMIT $2",
    )
    .bind(now)
    .bind(DISCOVER_LIMIT)
    .fetch_all(db.pool())
    .await?)
}

/// Deletes deliveries that finished more than [`RETENTION_MS`] ago.
async fn cleanup(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM deliveries WHERE state <> 'queued' AND next_attempt_at < $1")
            .bind(now_ms() - RETENTION_MS)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
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
                match claim(&shared, &host, permits.len()).await {
                    Ok(batch) => {
                        more = batch.len() == permits.len() && !batch.iter().any(|c| c.probe);
                        for item in batch {
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

/// Claims up to `n` due deliveries of `host` for this process. A parked host whose time has
/// come yields one delivery, marked as the probe; a parked host otherwise yields nothing. The
/// number of rows leased for a host (by any process) stays within `per_host`.
async fn claim(shared: &Shared, host: &str, n: usize) -> Result<Vec<Claimed>> {
    let db = &shared.state.db;
    let settings = &shared.settings;
    let now = now_ms();
    let lease_until = now + LEASE_MS;
    let mut tx = db.begin_write().await?;

    // A parked host whose time has come: take the probe, and hold the host parked while it is
    // in flight so nobody else probes too.
    let probe = sqlx::query(
        "UPDATE delivery_hosts SET parked_until = $1 \
         WHERE host = $2 AND consecutive_failures >= $3 AND parked_until <= $4",
    )
    .bind(lease_until)
    .bind(host)
    .bind(settings.park_after)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    let limit = if probe {
        1
    } else {
        let parked: Option<i64> = sqlx::query_scalar(
            "SELECT parked_until FROM delivery_hosts WHERE host = $1 AND consecutive_failures >= $2",
        )
        .bind(host)
        .bind(settings.park_after)
        .fetch_optional(&mut *tx)
        .await?;
        let busy: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE host = $1 AND state = 'queued' AND lease_until >= $2",
        )
        .bind(host)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let room = settings.per_host as i64 - busy;
        if parked.is_some() || room <= 0 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        room.min(n as i64)
    };

    let sql = format!(
        "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM deliveries WHERE host = $3 AND state = 'queued' \
         AND next_attempt_at <= $4 AND +lease_until < $4 \
         ORDER BY next_attempt_at, id LIMIT $5{}) \
         RETURNING id, activity_id, inbox, signer_kind, signer_id, attempts, created_at",
        db.dialect().skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(&shared.owner)
        .bind(lease_until)
        .bind(host)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() {
        // Also undoes the probe mark: there was nothing to probe with.
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    tx.commit().await?;
    if probe {
        tracing::info!(host, "probing a parked host");
    }
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("id")?,
                activity_id: row.try_get("activity_id")?,
                inbox: row.try_get("inbox")?,
                host: host.to_string(),
                signer_kind: row.try_get("signer_kind")?,
                signer_id: row.try_get("signer_id")?,
                attempts: row.try_get("attempts")?,
                created_at: row.try_get("created_at")?,
                lease_until,
                probe,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// How one try ended.
#[derive(Debug)]
enum Outcome {
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

/// Sends one claimed delivery and records how it went.
async fn deliver(shared: Arc<Shared>, item: Claimed, _permit: OwnedSemaphorePermit) {
    let outcome = attempt(&shared, &item).await;
    tracing::debug!(
        id = item.id,
        inbox = item.inbox,
        ?outcome,
        probe = item.probe,
        "delivery attempt"
    );
    if let Err(e) = record(&shared, &item, &outcome).await {
        tracing::warn!(id = item.id, error = %e, "cannot record a delivery outcome");
    }
}

async fn attempt(shared: &Shared, item: &Claimed) -> Outcome {
    match shared.decision(&item.host).await {
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
        .state
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
    async fn decision(&self, host: &str) -> Result<Decision> {
        {
            let cache = self.decisions.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((decision, at)) = cache.get(host) {
                if at.elapsed() < POLICY_TTL {
                    return Ok(*decision);
                }
            }
        }
        let decision = policy::decide(&self.state.db, host).await?;
        let mut cache = self.decisions.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(host.to_string(), (decision, Instant::now()));
        Ok(decision)
    }

    async fn activity(&self, id: i64) -> Result<Option<Arc<Outgoing>>> {
        if let Some(a) = self
            .activities
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(Some(a.clone()));
        }
        let row = sqlx::query("SELECT actor, body FROM activities WHERE id = $1")
            .bind(id)
            .fetch_optional(self.state.db.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let outgoing = Arc::new(Outgoing {
            actor: row.try_get("actor")?,
            body: row.try_get::<String, _>("body")?.into_bytes(),
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
        let Some(key) = keys::signing_key(&self.state.db, kind, id).await? else {
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

fn short(text: &str) -> String {
    text.chars().take(ERROR_MAX).collect()
}

/// Writes the outcome of a try, if this process still holds the row's lease, and updates the
/// host's health in the same transaction.
async fn record(shared: &Shared, item: &Claimed, outcome: &Outcome) -> Result<()> {
    let settings = &shared.settings;
    let metrics = &shared.state.metrics;
    let now = now_ms();
    let attempts = match outcome {
        Outcome::Blocked | Outcome::Internal(_) => item.attempts,
        _ => item.attempts + 1,
    };
    // (state, next_attempt_at, last_status, last_error, delivered_at)
    let (state, next, status, error, delivered_at): (&str, i64, Option<u16>, Option<String>, _) =
        match outcome {
            Outcome::Delivered(status) => ("delivered", now, Some(*status), None, Some(now)),
            Outcome::Temporary { status, error } => {
                match after_failure(
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
                }
            }
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

    let dialect = shared.state.db.dialect();
    let mut tx = shared.state.db.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE deliveries SET state = $1, attempts = $2, next_attempt_at = $3, lease_until = 0, \
         last_status = $4, last_error = $5, delivered_at = $6 \
         WHERE id = $7 AND lease_owner = $8 AND lease_until = $9",
    )
    .bind(state)
    .bind(attempts)
    .bind(next)
    .bind(status.map(i64::from))
    .bind(&error)
    .bind(delivered_at)
    .bind(item.id)
    .bind(&shared.owner)
    .bind(item.lease_until)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        // The lease expired and the row is someone else's now (or a block failed it).
        tx.rollback().await?;
        tracing::debug!(id = item.id, "delivery lease lost; outcome dropped");
        return Ok(());
    }

    let mut woke_host = false;
    match outcome {
        Outcome::Delivered(_) => {
            woke_host = host_answered(&mut tx, dialect, &item.host, now, true).await?
        }
        Outcome::Rejected { .. } => {
            woke_host = host_answered(&mut tx, dialect, &item.host, now, false).await?
        }
        Outcome::Temporary { error, .. } => {
            host_failed(&mut tx, dialect, settings, item, now, error).await?;
        }
        Outcome::Failed(_) | Outcome::Blocked | Outcome::Internal(_) => {
            if item.probe {
                // Nothing was learnt about the host: let the next probe go at once.
                sqlx::query(
                    "UPDATE delivery_hosts SET parked_until = $1 WHERE host = $2 AND parked_until = $3",
                )
                .bind(now)
                .bind(&item.host)
                .bind(item.lease_until)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;

    match outcome {
        Outcome::Delivered(_) => metrics.count_delivery("delivered"),
        Outcome::Internal(_) => metrics.count_delivery("retry"),
        Outcome::Temporary { .. } if state == "queued" => {
            metrics.count_delivery("retry");
            metrics.count_delivery_failure(&item.host);
        }
        Outcome::Blocked => metrics.count_delivery("failed"),
        _ => {
            metrics.count_delivery("failed");
            metrics.count_delivery_failure(&item.host);
        }
    }
    if state == "failed" {
        tracing::info!(inbox = item.inbox, error = ?error, "delivery failed");
    }
    if woke_host {
        tracing::info!(
            host = item.host,
            "host answers again; its deliveries resume"
        );
        shared.state.delivery_wakeup.notify_one();
    }
    Ok(())
}

/// Makes sure a host has its health row. [`publish`] creates it with the first delivery (the
/// dispatcher finds work through it); this covers rows queued some other way.
async fn ensure_host(tx: &mut Tx, host: &str) -> Result<()> {
    sqlx::query("INSERT INTO delivery_hosts (host) VALUES ($1) ON CONFLICT (host) DO NOTHING")
        .bind(host)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// Bulk changes to a host's queued rows below skip rows that are in flight (`lease_until`) or,
// on PostgreSQL, locked by another transaction at this moment (being claimed, or failed by a
// domain block): waiting for those while holding the host's row could deadlock, and their own
// outcome settles them anyway.

/// The host answered: reset its health. If it had been failing, its queued deliveries are due
/// now; returns whether that happened.
async fn host_answered(
    tx: &mut Tx,
    dialect: Dialect,
    host: &str,
    now: i64,
    success: bool,
) -> Result<bool> {
    let recovered = sqlx::query(
        "UPDATE delivery_hosts SET consecutive_failures = 0, parked_until = 0 \
         WHERE host = $1 AND (consecutive_failures > 0 OR parked_until > 0)",
    )
    .bind(host)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    if success {
        let touched = sqlx::query("UPDATE delivery_hosts SET last_success_at = $1 WHERE host = $2")
            .bind(now)
            .bind(host)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if touched == 0 {
            ensure_host(tx, host).await?;
            sqlx::query("UPDATE delivery_hosts SET last_success_at = $1 WHERE host = $2")
                .bind(now)
                .bind(host)
                .execute(&mut **tx)
                .await?;
        }
    }
    if recovered {
        // Rows in flight elsewhere are left alone (their own outcome decides them).
        sqlx::query(&format!(
            "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
             WHERE host = $2 AND state = 'queued' AND next_attempt_at > $1 AND lease_until < $1{})",
            dialect.skip_locked()
        ))
        .bind(now)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    }
    Ok(recovered)
}

/// A temporary failure: count it against the host, and park the host when it has failed
/// `park_after` times in a row (or when its probe failed). Failures of requests that were
/// already in flight when the host was parked are not counted again.
async fn host_failed(
    tx: &mut Tx,
    dialect: Dialect,
    settings: &Settings,
    item: &Claimed,
    now: i64,
    error: &str,
) -> Result<()> {
    let host = item.host.as_str();
    let error = short(error);
    ensure_host(tx, host).await?;
    let failures: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE delivery_hosts SET consecutive_failures = consecutive_failures + 1, \
         last_failure_at = $1, last_error = $2 WHERE host = $3{} RETURNING consecutive_failures",
        if item.probe {
            ""
        } else {
            " AND parked_until <= $1"
        }
    ))
    .bind(now)
    .bind(&error)
    .bind(host)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(failures) = failures else {
        // Already parked: only note the error.
        sqlx::query(
            "UPDATE delivery_hosts SET last_failure_at = $1, last_error = $2 WHERE host = $3",
        )
        .bind(now)
        .bind(&error)
        .bind(host)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    if failures < settings.park_after {
        return Ok(());
    }

    // Park: once for the base delay, then twice as long after each failed probe.
    let level = failures - settings.park_after + 1;
    let until = now + jittered(backoff_ms(settings.retry_base_ms, level));
    sqlx::query("UPDATE delivery_hosts SET parked_until = $1 WHERE host = $2")
        .bind(until)
        .bind(host)
        .execute(&mut **tx)
        .await?;
    // Its queued rows wait for the probe (rows in flight are left to their own outcome).
    sqlx::query(&format!(
        "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
         WHERE host = $2 AND state = 'queued' AND next_attempt_at < $1 AND lease_until < $3{})",
        dialect.skip_locked()
    ))
    .bind(until)
    .bind(host)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    // Rows older than the maximum age have now failed after it: give them up.
    let expired = sqlx::query(&format!(
        "UPDATE deliveries SET state = 'failed', next_attempt_at = $1, last_error = $2 \
         WHERE id IN (SELECT id FROM deliveries WHERE host = $3 AND state = 'queued' \
         AND created_at <= $4 AND lease_until < $1{})",
        dialect.skip_locked()
    ))
    .bind(now)
    .bind(short(&format!("gave up: host unreachable ({error})")))
    .bind(host)
    .bind(now - settings.max_age_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    tracing::warn!(
        host,
        failures,
        parked_for_ms = until - now,
        expired,
        error,
        "delivery host parked"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What administrators see.

/// Delivery state of one remote host.
#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub host: String,
    pub queued: i64,
    pub failed: i64,
    pub delivered: i64,
    pub consecutive_failures: i64,
    /// Whether the host is parked (waiting for `parked_until`, or for its probe).
    pub parked: bool,
    /// When the next probe may go (Unix milliseconds), while parked.
    pub parked_until: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Counts over every host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub queued: i64,
    pub failed: i64,
    pub delivered: i64,
    pub hosts: i64,
    pub parked_hosts: i64,
}

/// Totals and the hosts most in need of attention (parked first, then by queue length), at
/// most `limit` of them.
pub async fn overview(state: &AppState, limit: i64) -> Result<(Totals, Vec<HostStatus>)> {
    let db = &state.db;
    let park_after = i64::from(state.config.delivery_park_after);
    let rows = sqlx::query(
        "SELECT h.host, h.consecutive_failures, h.parked_until, h.last_success_at, \
         h.last_failure_at, h.last_error, COALESCE(c.queued, 0) AS queued, \
         COALESCE(c.failed, 0) AS failed, COALESCE(c.delivered, 0) AS delivered \
         FROM delivery_hosts h LEFT JOIN (SELECT host, \
           SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued, \
           SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed, \
           SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered \
           FROM deliveries GROUP BY host) c ON c.host = h.host \
         ORDER BY CASE WHEN h.consecutive_failures >= $1 THEN 0 ELSE 1 END, \
           COALESCE(c.queued, 0) DESC, h.consecutive_failures DESC, h.host \
         LIMIT $2",
    )
    .bind(park_after)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut hosts = Vec::with_capacity(rows.len());
    for row in &rows {
        let consecutive_failures: i64 = row.try_get("consecutive_failures")?;
        let parked_until: i64 = row.try_get("parked_until")?;
        let parked = consecutive_failures >= park_after;
        hosts.push(HostStatus {
            host: row.try_get("host")?,
            queued: row.try_get("queued")?,
            failed: row.try_get("failed")?,
            delivered: row.try_get("delivered")?,
            consecutive_failures,
            parked,
            parked_until: parked.then_some(parked_until),
            last_success_at: row.try_get("last_success_at")?,
            last_failure_at: row.try_get("last_failure_at")?,
            last_error: row.try_get("last_error")?,
        });
    }
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
         COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
         COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered \
         FROM deliveries",
    )
    .fetch_one(db.pool())
    .await?;
    let host_row = sqlx::query(
        "SELECT COUNT(*) AS hosts, \
         COALESCE(SUM(CASE WHEN consecutive_failures >= $1 THEN 1 ELSE 0 END), 0) AS parked \
         FROM delivery_hosts",
    )
    .bind(park_after)
    .fetch_one(db.pool())
    .await?;
    let totals = Totals {
        queued: row.try_get("queued")?,
        failed: row.try_get("failed")?,
        delivered: row.try_get("delivered")?,
        hosts: host_row.try_get("hosts")?,
        parked_hosts: host_row.try_get("parked")?,
    };
    Ok((totals, hosts))
}

/// Queued deliveries of the `limit` busiest hosts, and the number of parked hosts (for the
/// metrics).
pub async fn queue_depths(state: &AppState, limit: usize) -> Result<(Vec<(String, i64)>, i64)> {
    let rows = sqlx::query(
        "SELECT host, COUNT(*) AS queued FROM deliveries WHERE state = 'queued' \
         GROUP BY host ORDER BY queued DESC, host LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(state.db.pool())
    .await?;
    let depths = rows
        .iter()
        .map(|r| Ok((r.try_get("host")?, r.try_get("queued")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let parked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM delivery_hosts WHERE consecutive_failures >= $1")
            .bind(i64::from(state.config.delivery_park_after))
            .fetch_one(state.db.pool())
            .await?;
    Ok((depths, parked))
}

/// "Retry now" for a host: a parked host gets its probe at once, and every queued delivery to it
/// that waits for a retry is due now. Returns the number of queued deliveries, or `None` for a
/// host we never delivered to.
pub async fn retry_host(state: &AppState, host: &str) -> Result<Option<i64>> {
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let known = sqlx::query("UPDATE delivery_hosts SET parked_until = 0 WHERE host = $1")
        .bind(host)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !known {
        tx.rollback().await?;
        return Ok(None);
    }
    sqlx::query(&format!(
        "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries \
         WHERE host = $2 AND state = 'queued' AND next_attempt_at > $1 AND lease_until < $1{})",
        state.db.dialect().skip_locked()
    ))
    .bind(now)
    .bind(host)
    .execute(&mut *tx)
    .await?;
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE host = $1 AND state = 'queued'")
            .bind(host)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    tracing::info!(
        host,
        queued,
        "deliveries to host retried by an administrator"
    );
    wake(state);
    Ok(Some(queued))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn defaults() -> Settings {
        Settings::from_config(
            &Config::from_sources(&Default::default(), &Default::default()).unwrap(),
        )
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(30_000, 1), 30_000);
        assert_eq!(backoff_ms(30_000, 2), 60_000);
        assert_eq!(backoff_ms(30_000, 5), 480_000);
        assert_eq!(backoff_ms(30_000, 8), HOUR);
        assert_eq!(backoff_ms(30_000, 1000), HOUR);
        assert_eq!(
            backoff_ms(50, 0),
            50,
            "a zero count is treated as the first"
        );
        // A base longer than the cap is used as it is.
        assert_eq!(backoff_ms(2 * HOUR, 3), 2 * HOUR);
    }

    /// Replays a delivery against a host that is down for `down_ms` from the moment the
    /// delivery is made, with the worst jitter; returns when it arrived, or `None` if it was
    /// given up.
    fn replay(settings: &Settings, down_ms: i64, jitter: f64) -> Option<i64> {
        let created = 1_000_000;
        let mut now = created;
        let mut attempts = 0;
        loop {
            attempts += 1;
            if now - created >= down_ms {
                return Some(now);
            }
            match after_failure(settings, created, attempts, now, jitter) {
                AfterFailure::RetryAt(at) => {
                    assert!(at > now);
                    assert!(at - now <= (HOUR as f64 * JITTER.1) as i64 + 1);
                    now = at;
                }
                AfterFailure::GiveUp => return None,
            }
        }
    }

    #[test]
    fn two_days_of_downtime_are_covered() {
        let settings = defaults();
        for jitter in [JITTER.0, 1.0, JITTER.1] {
            let arrived = replay(&settings, 48 * HOUR, jitter).expect("delivered");
            // Within a retry interval of the host coming back.
            assert!(arrived - 1_000_000 <= 48 * HOUR + (HOUR as f64 * JITTER.1) as i64 + 1);
        }
        // Even with the shortest maximum age allowed by the configuration.
        let shortest = Settings {
            max_age_ms: 48 * HOUR,
            ..settings
        };
        assert!(replay(&shortest, 48 * HOUR - 1, JITTER.1).is_some());
        // A week-long outage outlasts the default maximum age.
        assert_eq!(replay(&settings, 8 * 24 * HOUR, 1.0), None);
    }

    #[test]
    fn gives_up_only_after_the_maximum_age() {
        let s = defaults();
        assert!(matches!(
            after_failure(&s, 0, 40, 7 * 24 * HOUR - 1, 1.0),
            AfterFailure::RetryAt(_)
        ));
        assert_eq!(
            after_failure(&s, 0, 40, 7 * 24 * HOUR, 1.0),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(&s, 0, 1, 10, 1.0),
            AfterFailure::RetryAt(10 + 30_000)
        );
    }

    #[test]
    fn parked_hosts_are_probed_at_least_hourly() {
        let s = defaults();
        // Level 1 is the first park; each failed probe goes one level up.
        let delays: Vec<i64> = (1..=12).map(|l| backoff_ms(s.retry_base_ms, l)).collect();
        assert_eq!(delays[0], 30_000);
        assert!(delays.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*delays.last().unwrap(), HOUR);
    }

    #[test]
    fn poll_interval_is_bounded() {
        let mut s = defaults();
        assert_eq!(s.poll(), Duration::from_secs(1));
        s.retry_base_ms = 10;
        assert_eq!(s.poll(), Duration::from_millis(50));
    }

    #[test]
    fn authorities() {
        assert_eq!(
            authority("https://Mastodon.Example/inbox").as_deref(),
            Some("mastodon.example")
        );
        assert_eq!(
            authority("https://mastodon.example:443/inbox").as_deref(),
            Some("mastodon.example")
        );
        assert_eq!(
            authority("http://127.0.0.1:8081/inbox").as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(authority("not a url"), None);
        assert_eq!(authority("mailto:a@b.example"), None);
    }
}
