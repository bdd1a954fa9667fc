//! The outbound delivery queue against a small receiving server written in the test: it
//! verifies our HTTP signatures, records activity ids, and can be made to fail or vanish.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use guildhall::federation::crypto::VerifyingKey;
use guildhall::federation::delivery;
use guildhall::federation::keys::{ActorKind, SPACE_ID};
use guildhall::federation::signatures;
use guildhall::federation::urls::Urls;
use guildhall::state::AppState;
use serde_json::{json, Value};
use sqlx::Row as _;

use crate::support::{self, csrf_from, eventually_exactly, Instance, ADMIN_PASSWORD};

const AS_JSON: &str = "application/activity+json";

// --- the receiving server ---------------------------------------------------------------------

/// What the receiver knows and has seen.
#[derive(Default)]
pub(crate) struct Inbox {
    /// Public keys by key id.
    keys: Mutex<HashMap<String, String>>,
    /// Statuses answered first, in order; then `status`.
    pub(crate) script: Mutex<VecDeque<u16>>,
    status: AtomicU16,
    /// Simulated processing time per request.
    pub(crate) delay_ms: AtomicU64,
    /// Ids of activities answered with 2xx, once per request.
    accepted: Mutex<Vec<String>>,
    /// Every request.
    hits: AtomicUsize,
    /// Requests whose signature did not verify, with the reason.
    bad_signatures: Mutex<Vec<String>>,
    /// Once set, requests are also counted apart, with their greatest concurrency.
    watching: std::sync::atomic::AtomicBool,
    watched_hits: AtomicUsize,
    watched_in_flight: AtomicUsize,
    watched_max_in_flight: AtomicUsize,
}

impl Inbox {
    fn new(key_id: &str, pem: &str) -> Arc<Inbox> {
        let inbox = Inbox::default();
        inbox.status.store(202, Ordering::SeqCst);
        inbox
            .keys
            .lock()
            .unwrap()
            .insert(key_id.to_string(), pem.to_string());
        Arc::new(inbox)
    }

    pub(crate) fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub(crate) fn script(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    pub(crate) fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub(crate) fn assert_signatures_valid(&self) {
        let bad = self.bad_signatures.lock().unwrap();
        assert!(bad.is_empty(), "requests with bad signatures: {bad:?}");
    }

    async fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> u16 {
        let verified = signatures::parse(method, uri, headers, body, "http", chrono::Utc::now())
            .map_err(|e| e.to_string())
            .and_then(|signed| {
                let pem = self
                    .keys
                    .lock()
                    .unwrap()
                    .get(signed.key_id())
                    .cloned()
                    .ok_or_else(|| format!("unknown key {}", signed.key_id()))?;
                let key = VerifyingKey::from_pem(&pem).map_err(|e| e.to_string())?;
                signed.verify(&key).map_err(|e| e.to_string())
            });
        if let Err(why) = verified {
            self.bad_signatures.lock().unwrap().push(why);
            return 401;
        }
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let status = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.status.load(Ordering::SeqCst));
        if (200..300).contains(&status) {
            let activity: Value = serde_json::from_slice(body).expect("a JSON body");
            let id = activity["id"].as_str().expect("an id").to_string();
            self.accepted.lock().unwrap().push(id);
        }
        status
    }
}

async fn receive(
    State(inbox): State<Arc<Inbox>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    inbox.hits.fetch_add(1, Ordering::SeqCst);
    let watched = inbox.watching.load(Ordering::SeqCst);
    if watched {
        inbox.watched_hits.fetch_add(1, Ordering::SeqCst);
        let now = inbox.watched_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        inbox.watched_max_in_flight.fetch_max(now, Ordering::SeqCst);
    }
    let status = inbox.check(&method, &uri, &headers, &body).await;
    if watched {
        inbox.watched_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    StatusCode::from_u16(status).unwrap()
}

/// A running receiver; stops when dropped.
pub(crate) struct Receiver {
    pub(crate) port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub(crate) async fn start(inbox: Arc<Inbox>) -> Receiver {
        Self::start_on(0, inbox).await
    }

    async fn start_on(port: u16, inbox: Arc<Inbox>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the receiver");
        let port = listener.local_addr().unwrap().port();
        let app = Router::new()
            .route("/inbox", post(receive))
            .with_state(inbox);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { port, task }
    }

    pub(crate) fn inbox_url(&self) -> String {
        inbox_url(self.port)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn inbox_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/inbox")
}

/// A port nothing listens on (for now).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// --- the instance -----------------------------------------------------------------------------

/// A set-up instance on a fresh database; returns it, the admin's token and the folder that
/// holds a SQLite database (keep it while the database is in use).
pub(crate) async fn start(extra: &[(&str, &str)]) -> (Instance, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = support::fresh_database(dir.path()).await;
    let instance = Instance::start(&url, extra).await;
    let r = instance
        .app
        .post_json(
            None,
            "/api/v1/setup",
            &json!({
                "name": "Harbour Works",
                "admin_handle": "boss",
                "admin_email": "boss@example.org",
                "admin_password": ADMIN_PASSWORD,
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = instance.app.token("boss", ADMIN_PASSWORD).await;
    (instance, token, dir)
}

fn database_url(instance: &Instance) -> String {
    instance.state.config.database_url.clone()
}

/// A receiver's inbox that knows the space's public key.
pub(crate) async fn inbox_for(instance: &Instance) -> Arc<Inbox> {
    let actor: Value = instance
        .app
        .api
        .get(instance.app.url("/"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Inbox::new(
        actor["publicKey"]["id"].as_str().unwrap(),
        actor["publicKey"]["publicKeyPem"].as_str().unwrap(),
    )
}

/// Publishes `n` activities of the space to `inboxes` in one transaction; returns their ids.
pub(crate) async fn publish(state: &AppState, n: usize, inboxes: &[String]) -> Vec<String> {
    let urls = Urls::new(&state.config);
    let mut tx = state.db.begin_write().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = format!(
            "{}/activities/test-{:016x}",
            urls.base(),
            rand::random::<u64>()
        );
        let activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Create",
            "actor": urls.space(),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"id": format!("{id}/note"), "type": "Note", "content": "Open day on Friday."},
        });
        delivery::publish(
            &mut tx,
            &activity,
            (ActorKind::Space, SPACE_ID),
            true,
            inboxes,
        )
        .await
        .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    delivery::wake(state);
    ids
}

#[derive(Debug, Clone)]
pub(crate) struct DeliveryRow {
    pub(crate) id: i64,
    pub(crate) inbox: String,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) last_status: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_until: i64,
    pub(crate) delivered_at: Option<i64>,
}

pub(crate) async fn deliveries(state: &AppState) -> Vec<DeliveryRow> {
    sqlx::query(
        "SELECT id, inbox, state, attempts, last_status, last_error, lease_owner, lease_until, \
         delivered_at FROM deliveries ORDER BY id",
    )
    .fetch_all(state.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| DeliveryRow {
        id: r.get("id"),
        inbox: r.get("inbox"),
        state: r.get("state"),
        attempts: r.get("attempts"),
        last_status: r.get("last_status"),
        last_error: r.get("last_error"),
        lease_owner: r.get("lease_owner"),
        lease_until: r.get("lease_until"),
        delivered_at: r.get("delivered_at"),
    })
    .collect()
}

/// `(consecutive_failures, parked_until)` of a host.
pub(crate) async fn host_health(state: &AppState, host: &str) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT consecutive_failures, parked_until FROM delivery_hosts WHERE host = $1",
    )
    .bind(host)
    .fetch_one(state.db.pool())
    .await
    .unwrap();
    (row.get("consecutive_failures"), row.get("parked_until"))
}

/// Polls `check` until it returns `Some`, for at most `secs` seconds.
pub(crate) async fn eventually<T, F, Fut>(secs: u64, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    test_support::eventually(
        what,
        Duration::from_secs(secs),
        Duration::from_millis(20),
        check,
    )
    .await
}

pub(crate) async fn all_in_state(
    state: &AppState,
    wanted: &str,
    count: usize,
) -> Option<Vec<DeliveryRow>> {
    let rows = deliveries(state).await;
    (rows.len() == count && rows.iter().all(|r| r.state == wanted)).then_some(rows)
}

/// Asserts every id arrived exactly once, and nothing more while the receiver is watched for
/// a moment longer (a duplicate sent late fails).
pub(crate) async fn assert_once(inbox: &Inbox, ids: &[String]) {
    eventually_exactly(ids.len(), "activities accepted by the receiver", || async {
        inbox.accepted().len()
    })
    .await;
    let got = inbox.accepted();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &got {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    for id in ids {
        assert_eq!(counts.get(id.as_str()), Some(&1), "{id} in {got:?}");
    }
    assert_eq!(got.len(), ids.len(), "{got:?}");
}

pub(crate) const QUICK: (&str, &str) = ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "50");

// --- scenarios --------------------------------------------------------------------------------

#[tokio::test]
async fn an_activity_is_delivered_once_with_a_valid_signature() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let inbox = inbox_for(&app).await;
    let receiver = Receiver::start(inbox.clone()).await;
    let target = receiver.inbox_url();
    let ids = publish(
        &app.state,
        1,
        &[
            target.clone(),
            format!(" {target} "),
            target.clone(),
            // Our own domain is not delivered to over HTTP.
            "http://localhost:8080/inbox".into(),
            "http://localhost:8080/members/ada/inbox".into(),
            "not an address".into(),
        ],
    )
    .await;

    let rows = eventually(20, "the delivery", || {
        all_in_state(&app.state, "delivered", 1)
    })
    .await;
    assert_eq!(rows[0].inbox, target);
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_status, Some(202));
    assert!(rows[0].delivered_at.is_some());
    assert_eq!(rows[0].lease_until, 0, "the lease is released");
    assert_once(&inbox, &ids).await;
    eventually_exactly(1, "requests", || async { inbox.hits() }).await;
    inbox.assert_signatures_valid();

    // The activity is recorded for the outbox.
    let row = sqlx::query("SELECT actor, kind, public, body FROM activities WHERE uri = $1")
        .bind(&ids[0])
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("actor"), "http://localhost:8080/");
    assert_eq!(row.get::<String, _>("kind"), "Create");
    assert_eq!(row.get::<i64, _>("public"), 1);
    let body: Value = serde_json::from_str(&row.get::<String, _>("body")).unwrap();
    assert_eq!(body["id"], ids[0]);

    // Publishing the same activity again adds nothing for inboxes it already had.
    let mut tx = app.state.db.begin_write().await.unwrap();
    let activity = json!({"id": ids[0], "type": "Create", "actor": "http://localhost:8080/"});
    delivery::publish(
        &mut tx,
        &activity,
        (ActorKind::Space, SPACE_ID),
        true,
        std::slice::from_ref(&target),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(deliveries(&app.state).await.len(), 1);

    // An activity without an id is a programming error, refused.
    let mut tx = app.state.db.begin_write().await.unwrap();
    assert!(delivery::publish(
        &mut tx,
        &json!({"type": "Create", "actor": "http://localhost:8080/"}),
        (ActorKind::Space, SPACE_ID),
        true,
        &[],
    )
    .await
    .is_err());
}

#[tokio::test]
async fn temporary_failures_are_retried_until_delivered() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let inbox = inbox_for(&app).await;
    inbox.script(&[503, 500, 429]);
    let receiver = Receiver::start(inbox.clone()).await;
    let ids = publish(&app.state, 1, &[receiver.inbox_url()]).await;

    let rows = eventually(20, "the delivery", || {
        all_in_state(&app.state, "delivered", 1)
    })
    .await;
    assert_eq!(rows[0].attempts, 4);
    assert_eq!(rows[0].last_status, Some(202));
    assert_eq!(rows[0].last_error, None);
    eventually_exactly(4, "requests", || async { inbox.hits() }).await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();
    let host = format!("127.0.0.1:{}", receiver.port);
    assert_eq!(
        host_health(&app.state, &host).await,
        (0, 0),
        "success resets the host"
    );
}

#[tokio::test]
async fn a_host_that_is_down_gets_its_deliveries_when_it_comes_back() {
    // Parking is kept out of the way here; it has its own test.
    let (app, _, _dir) = start(&[QUICK, ("GUILDHALL_DELIVERY_PARK_AFTER", "100")]).await;
    let inbox = inbox_for(&app).await;
    let port = closed_port();
    let ids = publish(&app.state, 2, &[inbox_url(port)]).await;

    let rows = eventually(20, "failed attempts", || async {
        let rows = deliveries(&app.state).await;
        rows.iter().all(|r| r.attempts >= 2).then_some(rows)
    })
    .await;
    for row in &rows {
        assert_eq!(row.state, "queued");
        assert_eq!(row.last_status, None);
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("could not be reached")),
            "{row:?}"
        );
    }
    let _receiver = Receiver::start_on(port, inbox.clone()).await;
    eventually(20, "the deliveries", || {
        all_in_state(&app.state, "delivered", 2)
    })
    .await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();
}

/// Outcomes arriving together are written together (deliveries in one statement, their healthy
/// hosts in another, the rest row by row): each row and each host still ends as its own answer
/// says. One host answers 202, one 410, one 503 and one that was failing answers 202 again.
#[tokio::test]
async fn outcomes_written_together_each_keep_their_own_answer() {
    let (app, _, _dir) = start(&[("GUILDHALL_DELIVERY_RETRY_BASE_MS", "60000")]).await;
    let answers = [202u16, 410, 503, 202];
    let mut receivers = Vec::new();
    for status in answers {
        let inbox = inbox_for(&app).await;
        inbox.answer(status);
        receivers.push((Receiver::start(inbox.clone()).await, inbox));
    }
    let host = |i: usize| format!("127.0.0.1:{}", receivers[i].0.port);
    // The last host had failed twice before (not parked): its answer resets it.
    sqlx::query(
        "INSERT INTO delivery_hosts (host, consecutive_failures, last_error) VALUES ($1, 2, 'down')",
    )
    .bind(host(3))
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let targets: Vec<String> = receivers.iter().map(|(r, _)| r.inbox_url()).collect();
    publish(&app.state, 2, &targets).await;

    let rows = eventually(20, "every first answer recorded", || async {
        let rows = deliveries(&app.state).await;
        (rows.len() == 8 && rows.iter().all(|r| r.attempts == 1 && r.lease_until == 0))
            .then_some(rows)
    })
    .await;
    for (i, status) in answers.iter().enumerate() {
        let mine: Vec<&DeliveryRow> = rows.iter().filter(|r| r.inbox == targets[i]).collect();
        assert_eq!(mine.len(), 2, "{rows:?}");
        for row in mine {
            assert_eq!(row.last_status, Some(i64::from(*status)), "{row:?}");
            match status {
                202 => {
                    assert_eq!(row.state, "delivered", "{row:?}");
                    assert!(row.delivered_at.is_some_and(|t| t > 0), "{row:?}");
                    assert_eq!(row.last_error, None);
                }
                410 => assert_eq!(row.state, "failed", "{row:?}"),
                _ => {
                    assert_eq!(row.state, "queued", "{row:?}");
                    assert!(row.last_error.is_some(), "{row:?}");
                }
            }
        }
    }
    assert_eq!(host_health(&app.state, &host(0)).await, (0, 0));
    assert_eq!(
        host_health(&app.state, &host(1)).await.0,
        0,
        "410 is an answer"
    );
    assert_eq!(host_health(&app.state, &host(2)).await.0, 2, "two 503s");
    assert_eq!(
        host_health(&app.state, &host(3)).await,
        (0, 0),
        "reset by its answer"
    );
    for i in [0, 3] {
        let noted: i64 =
            sqlx::query_scalar("SELECT last_success_at FROM delivery_hosts WHERE host = $1")
                .bind(host(i))
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert!(noted > 0, "host {i}'s success noted");
    }
    for (_, inbox) in &receivers {
        inbox.assert_signatures_valid();
    }
}

#[tokio::test]
async fn gone_inboxes_fail_without_retries() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let inbox = inbox_for(&app).await;
    inbox.answer(410);
    let receiver = Receiver::start(inbox.clone()).await;
    publish(&app.state, 1, &[receiver.inbox_url()]).await;

    let rows = eventually(20, "the failure", || all_in_state(&app.state, "failed", 1)).await;
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_status, Some(410));
    eventually_exactly(1, "requests", || async { inbox.hits() }).await;
    assert!(inbox.accepted().is_empty());
    // The host answered, so it is not counted as failing.
    let host = format!("127.0.0.1:{}", receiver.port);
    assert_eq!(host_health(&app.state, &host).await.0, 0);
}

#[tokio::test]
async fn blocked_hosts_get_nothing() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let inbox = inbox_for(&app).await;
    let receiver = Receiver::start(inbox.clone()).await;
    sqlx::query(
        "INSERT INTO domain_policies (domain, policy, reason, created_at) \
         VALUES ('127.0.0.1', 'block', '', 0)",
    )
    .execute(app.state.db.pool())
    .await
    .unwrap();
    publish(&app.state, 1, &[receiver.inbox_url()]).await;

    let rows = eventually(20, "the refusal", || all_in_state(&app.state, "failed", 1)).await;
    assert_eq!(rows[0].last_error.as_deref(), Some("blocked"));
    assert_eq!(rows[0].attempts, 0);
    eventually_exactly(0, "requests", || async { inbox.hits() }).await;
}

#[tokio::test]
async fn failing_hosts_are_parked_and_probed_one_delivery_at_a_time() {
    let (app, _, _dir) = start(&[
        ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "100"),
        ("GUILDHALL_DELIVERY_PARK_AFTER", "3"),
    ])
    .await;
    let inbox = inbox_for(&app).await;
    inbox.answer(503);
    // Requests take a moment, so requests sent together overlap at the receiver.
    inbox.delay_ms.store(30, Ordering::SeqCst);
    let receiver = Receiver::start(inbox.clone()).await;
    let host = format!("127.0.0.1:{}", receiver.port);
    let ids = publish(&app.state, 5, &[receiver.inbox_url()]).await;

    eventually(20, "the host to be parked", || async {
        let (failures, parked_until) = host_health(&app.state, &host).await;
        (failures >= 3 && parked_until > 0).then_some(())
    })
    .await;
    // From now on only probes reach the host: one at a time.
    inbox.watching.store(true, Ordering::SeqCst);
    eventually(20, "two failed probes", || async {
        let (failures, _) = host_health(&app.state, &host).await;
        (inbox.watched_hits.load(Ordering::SeqCst) >= 2 && failures >= 5).then_some(())
    })
    .await;
    assert_eq!(inbox.watched_max_in_flight.load(Ordering::SeqCst), 1);
    let queued = deliveries(&app.state).await;
    assert!(queued.iter().all(|r| r.state == "queued"), "{queued:?}");

    // The host recovers: the next probe succeeds and everything else follows.
    inbox.delay_ms.store(0, Ordering::SeqCst);
    inbox.answer(202);
    eventually(20, "every delivery", || {
        all_in_state(&app.state, "delivered", 5)
    })
    .await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();
    assert_eq!(host_health(&app.state, &host).await, (0, 0));
}

#[tokio::test]
async fn administrators_see_the_queue_and_retry_a_parked_host() {
    // Long delays: only the administrator's retry brings the host back soon.
    let (app, admin, _dir) = start(&[
        ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "600000"),
        ("GUILDHALL_DELIVERY_PARK_AFTER", "1"),
    ])
    .await;
    let inbox = inbox_for(&app).await;
    inbox.answer(503);
    let receiver = Receiver::start(inbox.clone()).await;
    let host = format!("127.0.0.1:{}", receiver.port);
    let ids = publish(&app.state, 2, &[receiver.inbox_url()]).await;
    eventually(20, "the host to be parked", || async {
        let rows = deliveries(&app.state).await;
        let settled = rows.iter().all(|r| r.attempts == 1 && r.lease_until == 0);
        (settled && host_health(&app.state, &host).await.1 > 0).then_some(())
    })
    .await;

    // JSON, for administrators only.
    let r = app.app.get(None, "/api/v1/admin/deliveries").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let overview: Value = app
        .app
        .get(Some(&admin), "/api/v1/admin/deliveries")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["totals"]["queued"], 2);
    assert_eq!(overview["totals"]["parked_hosts"], 1);
    let entry = &overview["hosts"][0];
    assert_eq!(entry["host"], host);
    assert_eq!(entry["queued"], 2);
    assert_eq!(entry["delivered"], 0);
    assert_eq!(entry["parked"], true);
    assert!(entry["consecutive_failures"].as_i64().unwrap() >= 1);
    assert!(entry["parked_until"].as_i64().unwrap() > 0);
    assert!(entry["last_error"].as_str().unwrap().contains("503"));

    // Metrics.
    let metrics = app.app.get(None, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!("guildhall_delivery_queue{{host=\"{host}\"}} 2")),
        "{metrics}"
    );
    assert!(
        metrics.contains("guildhall_delivery_parked_hosts 1"),
        "{metrics}"
    );
    // Nothing was received: the inbox's queue is empty.
    for empty in ["guildhall_inbox_queue 0", "guildhall_inbox_retrying 0"] {
        assert!(metrics.contains(empty), "{empty}: {metrics}");
    }
    assert!(
        metrics.contains(&format!(
            "guildhall_delivery_failures_total{{host=\"{host}\"}} 2"
        )),
        "{metrics}"
    );

    // The page, and its retry button.
    let browser = app.app.browser();
    let login_page = browser
        .get(app.app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.app.url("/login"))
        .form(&[
            ("csrf", csrf_from(&login_page).as_str()),
            ("login", "boss"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = browser
        .get(app.app.url("/admin/deliveries"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("data-host=\"{host}\"")), "{html}");
    assert!(html.contains("parked"), "{html}");
    assert!(html.contains("the remote server answered 503"), "{html}");
    assert!(html.contains(&format!("action=\"/admin/deliveries/{host}/retry\"")));

    inbox.answer(202);
    let r = browser
        .post(app.app.url(&format!("/admin/deliveries/{host}/retry")))
        .form(&[("csrf", csrf_from(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    eventually(20, "the deliveries", || {
        all_in_state(&app.state, "delivered", 2)
    })
    .await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();

    // A host we never delivered to.
    let r = app
        .app
        .post_json(
            Some(&admin),
            "/api/v1/admin/deliveries/nowhere.example/retry",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn queued_deliveries_survive_a_restart_and_abandoned_leases_expire() {
    // The first process retries only after ten minutes, so nothing is in flight when it stops.
    let (first, admin, _dir) = start(&[("GUILDHALL_DELIVERY_RETRY_BASE_MS", "600000")]).await;
    let inbox = inbox_for(&first).await;
    let port = closed_port();
    let host = format!("127.0.0.1:{port}");
    let ids = publish(&first.state, 3, &[inbox_url(port)]).await;
    eventually(20, "the first attempts", || async {
        let rows = deliveries(&first.state).await;
        rows.iter()
            .all(|r| r.attempts == 1 && r.lease_until == 0)
            .then_some(())
    })
    .await;
    let url = database_url(&first);
    first.stop().await;

    // A process killed in the middle of a send leaves its lease behind.
    let abandoned_until;
    {
        let db = guildhall::storage::Db::connect(&url).await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM deliveries")
            .fetch_one(db.pool())
            .await
            .unwrap();
        abandoned_until = guildhall::storage::now_ms() + 1500;
        sqlx::query(
            "UPDATE deliveries SET lease_owner = 'killed', lease_until = $1, next_attempt_at = 0 \
             WHERE id = $2",
        )
        .bind(abandoned_until)
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
        db.close().await;
    }

    let second = Instance::start(&url, &[QUICK]).await;
    let _receiver = Receiver::start_on(port, inbox.clone()).await;
    // The others wait for their retry time; an administrator says "now".
    let r = second
        .app
        .post_json(
            Some(&admin),
            &format!("/api/v1/admin/deliveries/{host}/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["queued"], 3);

    let rows = eventually(20, "every delivery", || {
        all_in_state(&second.state, "delivered", 3)
    })
    .await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();
    let taken_over = rows.iter().min_by_key(|r| r.id).unwrap();
    assert!(
        taken_over.delivered_at.unwrap() >= abandoned_until,
        "the abandoned row waited for its lease to expire"
    );
    assert_ne!(taken_over.lease_owner.as_deref(), Some("killed"));
}

#[tokio::test]
async fn two_processes_share_the_queue_without_sending_twice() {
    // Each process sends at most two at a time; each host takes two at a time (over both
    // processes), so neither process can take all the work.
    let settings = [
        QUICK,
        ("GUILDHALL_DELIVERY_PER_HOST", "2"),
        ("GUILDHALL_DELIVERY_TOTAL", "2"),
    ];
    let (first, _, _dir) = start(&settings).await;
    let second = Instance::start(&database_url(&first), &settings).await;
    let inbox = inbox_for(&first).await;
    inbox.delay_ms.store(10, Ordering::SeqCst);
    let mut receivers = Vec::new();
    for _ in 0..4 {
        receivers.push(Receiver::start(inbox.clone()).await);
    }
    let targets: Vec<String> = receivers.iter().map(Receiver::inbox_url).collect();
    let ids = publish(&first.state, 50, &targets).await;
    delivery::wake(&second.state);

    let rows = eventually(90, "200 deliveries", || {
        all_in_state(&first.state, "delivered", 200)
    })
    .await;
    inbox.assert_signatures_valid();
    // Each activity reached each of the four hosts exactly once, and nothing came later.
    eventually_exactly(200, "activities accepted by the receivers", || async {
        inbox.accepted().len()
    })
    .await;
    let got = inbox.accepted();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &got {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    assert!(ids.iter().all(|id| counts.get(id.as_str()) == Some(&4)));
    assert_eq!(inbox.hits(), 200);
    let owners: HashSet<String> = rows.iter().filter_map(|r| r.lease_owner.clone()).collect();
    assert_eq!(owners.len(), 2, "both processes delivered: {owners:?}");
    assert!(rows.iter().all(|r| r.attempts == 1));
    drop(second);
}

/// Claims are taken for many hosts at once (one transaction per group of waiting workers): with
/// two processes claiming side by side for a dozen hosts, each host still never has more than
/// its limit in flight, every delivery arrives exactly once, and both processes take part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_claims_keep_each_host_within_its_limit_across_processes() {
    let settings = [
        QUICK,
        ("GUILDHALL_DELIVERY_PER_HOST", "2"),
        ("GUILDHALL_DELIVERY_TOTAL", "6"),
    ];
    let (first, _, _dir) = start(&settings).await;
    let second = Instance::start(&database_url(&first), &settings).await;
    let mut inboxes = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..12 {
        let inbox = inbox_for(&first).await;
        inbox.delay_ms.store(15, Ordering::SeqCst);
        inbox.watching.store(true, Ordering::SeqCst);
        receivers.push(Receiver::start(inbox.clone()).await);
        inboxes.push(inbox);
    }
    let targets: Vec<String> = receivers.iter().map(Receiver::inbox_url).collect();
    let ids = publish(&first.state, 6, &targets).await;
    delivery::wake(&second.state);

    let rows = eventually(90, "72 deliveries", || {
        all_in_state(&first.state, "delivered", 72)
    })
    .await;
    for inbox in &inboxes {
        inbox.assert_signatures_valid();
        assert_once(inbox, &ids).await;
        let most = inbox.watched_max_in_flight.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} in flight at one host");
    }
    assert!(rows.iter().all(|r| r.attempts == 1));
    let owners: HashSet<String> = rows.iter().filter_map(|r| r.lease_owner.clone()).collect();
    assert_eq!(owners.len(), 2, "both processes delivered: {owners:?}");
    drop(second);
}

// --- inbox housekeeping -----------------------------------------------------------------------

/// Pruning drops processed inbox activities older than a month, batch after batch, but keeps a
/// Follow still waiting for a locked actor's answer (its body goes back in the Accept or
/// Reject) and what came in recently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_the_inbox_keeps_follows_still_pending_and_recent_activities() {
    use guildhall::federation::{follows, inbox};
    let (instance, _, _dir) = start(&[]).await;
    let state = &instance.state;
    let now = guildhall::storage::now_ms();
    let old = now - inbox::KEEP_PROCESSED_MS - 86_400_000;
    let peer = "https://gamma.test/users/ann";
    let pending = "https://gamma.test/activities/follow-pending";
    let answered = "https://gamma.test/activities/follow-answered";
    let recent = "https://gamma.test/activities/recent";
    // More old rows than one batch of the prune, the two Follows among them.
    let mut rows: Vec<(String, i64)> = (0..620)
        .map(|i| (format!("https://gamma.test/activities/old-{i}"), old))
        .collect();
    rows.push((pending.into(), old));
    rows.push((answered.into(), old));
    rows.push((recent.into(), now));
    let mut tx = state.db.begin_write().await.unwrap();
    for (uri, at) in &rows {
        sqlx::query(
            "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at, \
             processed_at) VALUES ($1, $2, 'Follow', '{}', $3, $3)",
        )
        .bind(uri)
        .bind(peer)
        .bind(*at)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let boss = Urls::new(&state.config).member("boss");
    follows::store::record_tx(&mut tx, peer, &boss, false, pending)
        .await
        .unwrap();
    follows::store::record_tx(
        &mut tx,
        "https://gamma.test/users/bo",
        &boss,
        true,
        answered,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    inbox::prune(&state.db).await.unwrap();
    let left: Vec<String> =
        sqlx::query_scalar("SELECT activity_uri FROM inbox_activities ORDER BY activity_uri")
            .fetch_all(state.db.pool())
            .await
            .unwrap();
    assert_eq!(left, vec![pending.to_string(), recent.to_string()]);
    // Once the Follow is answered, its body goes too.
    assert!(follows::store::answer_pending(&state.db, peer, &boss, true)
        .await
        .unwrap());
    inbox::prune(&state.db).await.unwrap();
    let left: Vec<String> =
        sqlx::query_scalar("SELECT activity_uri FROM inbox_activities ORDER BY activity_uri")
            .fetch_all(state.db.pool())
            .await
            .unwrap();
    assert_eq!(left, vec![recent.to_string()]);
}
