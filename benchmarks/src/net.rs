//! The rest of the fediverse, played by the harness: one small axum application served on
//! many loopback ports is every remote actor (documents and keys) and every receiver of
//! deliveries, recording what arrives and when.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use guildhall::federation::crypto::SigningKey;
use serde_json::{json, Value};

use crate::Res;

// --- the remote side: actors and receivers ------------------------------------------------------

pub(crate) struct Key {
    pub(crate) signer: SigningKey,
    pub(crate) public_pem: String,
}

/// Something a receiver got in an inbox.
pub(crate) struct Arrival {
    pub(crate) host: String,
    pub(crate) kind: String,
    pub(crate) actor: String,
    pub(crate) at: Instant,
}

pub(crate) struct NetState {
    pub(crate) keys: Vec<Key>,
    /// Answer delay per listening port.
    pub(crate) delays: Mutex<HashMap<u16, Duration>>,
    pub(crate) arrivals: Mutex<Vec<Arrival>>,
    /// While `false`, inbox POSTs are held (not answered) until it turns `true` again: lets a
    /// backlog build up in the sender's queue.
    pub(crate) gate: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
pub(crate) struct Net(Arc<NetState>);

impl Net {
    pub(crate) fn new(keys: Vec<Key>) -> Net {
        Net(Arc::new(NetState {
            keys,
            delays: Mutex::new(HashMap::new()),
            arrivals: Mutex::new(Vec::new()),
            gate: tokio::sync::watch::Sender::new(true),
        }))
    }

    /// Starts one more listener on a free loopback port, answering inbox POSTs after `delay`.
    pub(crate) async fn listen(&self, delay: Duration) -> Res<u16> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind a receiver: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        self.0.delays.lock().unwrap().insert(port, delay);
        let app = Router::new()
            .route("/actors/{n}", get(load_actor))
            .route("/actor", get(host_actor))
            .route("/inbox", post(inbox))
            .route("/actor/inbox", post(inbox))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(port)
    }

    /// Inbox POSTs wait unanswered from now on, so a backlog builds up in the sender's queue.
    pub(crate) fn hold_answers(&self) {
        self.0.gate.send_replace(false);
    }

    /// Answers the held inbox POSTs and every later one.
    pub(crate) fn release_answers(&self) {
        self.0.gate.send_replace(true);
    }

    /// The key of actor `i` (keys are shared round-robin when there are more actors than keys).
    pub(crate) fn key(&self, i: usize) -> &Key {
        &self.0.keys[i % self.0.keys.len()]
    }

    /// Distinct hosts that received an activity of `kind` from `actor`, and the last arrival.
    pub(crate) fn received(&self, kind: &str, actor: &str) -> (usize, usize, Option<Instant>) {
        let arrivals = self.0.arrivals.lock().unwrap();
        let mut hosts = HashSet::new();
        let mut count = 0;
        let mut last = None;
        for a in arrivals
            .iter()
            .filter(|a| a.kind == kind && a.actor == actor)
        {
            hosts.insert(a.host.as_str());
            count += 1;
            last = Some(last.map_or(a.at, |l: Instant| l.max(a.at)));
        }
        (hosts.len(), count, last)
    }
}

pub(crate) fn host_header(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn port_of(host: &str) -> u16 {
    host.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn actor_doc(uri: &str, host: &str, public_pem: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": "bench",
        "inbox": format!("{uri}/inbox"),
        "outbox": format!("{uri}/outbox"),
        "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
        "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": public_pem},
    })
}

pub(crate) fn as_json(doc: Value) -> Response {
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// `GET /actors/{n}` on `load.test`: the inbox load's actors.
pub(crate) async fn load_actor(
    State(net): State<Net>,
    UrlPath(n): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let host = host_header(&headers);
    let uri = format!("http://{host}/actors/{n}");
    as_json(actor_doc(&uri, &host, &net.key(n).public_pem))
}

/// `GET /actor` on `hN.test`: one actor per receiving host.
pub(crate) async fn host_actor(State(net): State<Net>, headers: HeaderMap) -> Response {
    let host = host_header(&headers);
    let uri = format!("http://{host}/actor");
    as_json(actor_doc(
        &uri,
        &host,
        &net.key(port_of(&host) as usize).public_pem,
    ))
}

pub(crate) async fn inbox(State(net): State<Net>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut gate = net.0.gate.subscribe();
    let _ = gate.wait_for(|open| *open).await;
    let host = host_header(&headers);
    let delay = net
        .0
        .delays
        .lock()
        .unwrap()
        .get(&port_of(&host))
        .copied()
        .unwrap_or_default();
    if !delay.is_zero() {
        // Simulated network and processing latency of a remote server, not a wait.
        tokio::time::sleep(delay).await;
    }
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    net.0.arrivals.lock().unwrap().push(Arrival {
        host,
        kind: doc["type"].as_str().unwrap_or_default().to_string(),
        actor: doc["actor"].as_str().unwrap_or_default().to_string(),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}
