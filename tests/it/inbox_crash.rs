//! The inbox's group commit survives a crash: a real `guildhall serve` process receives many
//! concurrent signed activities and is killed with SIGKILL while some are still in flight;
//! restarted on the same database, it holds every activity it answered 202.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Mutex;

use crate::federation::FakePeer;
use crate::support::fresh_database;

const ACTORS: [&str; 4] = ["ann", "bo", "cy", "di"];
/// Activities sent, all at once.
const SENT: usize = 240;
/// The process is killed as soon as this many were answered 202; the rest are in flight.
const KILL_AFTER: usize = 160;

/// A `guildhall serve` process on `port` and `database_url`.
fn serve(dir: &std::path::Path, port: u16, database_url: &str) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guildhall"));
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GUILDHALL_") {
            command.env_remove(key);
        }
    }
    command
        .arg("serve")
        .env("GUILDHALL_LISTEN", format!("127.0.0.1:{port}"))
        .env("GUILDHALL_DOMAIN", format!("alpha.test:{port}"))
        .env("GUILDHALL_DATABASE_URL", database_url)
        .env("GUILDHALL_DEV_HTTP", "true")
        .env("GUILDHALL_MEDIA_DIR", dir.join("media"))
        .env("GUILDHALL_RESOLVE", "gamma.test=127.0.0.1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start guildhall serve")
}

async fn wait_ready(http: &reqwest::Client, port: u16, child: &mut Child) {
    let health = format!("http://127.0.0.1:{port}/healthz");
    test_support::eventually(
        "the process to answer /healthz",
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(50),
        || {
            let exited = child.try_wait().expect("poll the process");
            assert!(exited.is_none(), "guildhall exited: {exited:?}");
            let request = http.get(&health).send();
            async move {
                match request.await {
                    Ok(r) if r.status() == StatusCode::OK => Some(()),
                    _ => None,
                }
            }
        },
    )
    .await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_activity_answered_202_survives_a_kill_during_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path()).await;
    let port = free_port();
    let domain = format!("alpha.test:{port}");
    let http = test_support::client_builder().build().unwrap();
    let mut child = serve(dir.path(), port, &database_url);
    wait_ready(&http, port, &mut child).await;
    test_support::Api::new("alpha", format!("http://127.0.0.1:{port}"), &http)
        .set_up("alpha")
        .await;

    let peer = Arc::new(FakePeer::start_with_actors(&ACTORS).await);
    // One activity per actor first, so the burst below finds their keys cached.
    for name in ACTORS {
        let id = format!(
            "{}/warm/{}",
            peer.actor_named(name),
            crate::federation::rand_id()
        );
        let (status, body) = post(&http, &peer, name, &domain, port, &id)
            .await
            .expect("an answer");
        assert_eq!(status, StatusCode::ACCEPTED, "warming {name}: {body}");
    }

    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let child = Arc::new(std::sync::Mutex::new(child));
    let mut sends = Vec::new();
    for n in 0..SENT {
        let (http, peer, domain, accepted, child) = (
            http.clone(),
            peer.clone(),
            domain.clone(),
            accepted.clone(),
            child.clone(),
        );
        sends.push(tokio::spawn(async move {
            let name = ACTORS[n % ACTORS.len()];
            let id = format!(
                "{}/burst/{n}-{}",
                peer.actor_named(name),
                crate::federation::rand_id()
            );
            if post(&http, &peer, name, &domain, port, &id)
                .await
                .map(|a| a.0)
                == Some(StatusCode::ACCEPTED)
            {
                let mut accepted = accepted.lock().await;
                accepted.push(id);
                if accepted.len() == KILL_AFTER {
                    // SIGKILL: no shutdown, while other requests are still being answered.
                    let _ = child.lock().unwrap().kill();
                }
            }
        }));
    }
    for send in sends {
        send.await.unwrap();
    }
    let mut child = Arc::try_unwrap(child).ok().unwrap().into_inner().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let accepted = accepted.lock().await.clone();
    assert!(
        accepted.len() >= KILL_AFTER,
        "only {} of {SENT} answered 202 before the kill",
        accepted.len()
    );

    // The same database, a new process: every activity answered 202 is there.
    let mut child = serve(dir.path(), port, &database_url);
    wait_ready(&http, port, &mut child).await;
    let db = guildhall::storage::Db::connect(&database_url)
        .await
        .unwrap();
    let mut missing = Vec::new();
    for id in &accepted {
        let stored = guildhall::federation::inbox::received_activity(&db, id)
            .await
            .unwrap();
        match stored {
            Some(body) if body["id"] == json!(id) => {}
            _ => missing.push(id.clone()),
        }
    }
    db.close().await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        missing.is_empty(),
        "{} of {} activities answered 202 are not stored: {missing:?}",
        missing.len(),
        accepted.len()
    );
}

/// A signed `Create` of a note on the actor's host, POSTed to the shared inbox; `None` when
/// the connection failed (the process was killed).
async fn post(
    http: &reqwest::Client,
    peer: &FakePeer,
    name: &str,
    domain: &str,
    port: u16,
    id: &str,
) -> Option<(StatusCode, String)> {
    let actor = peer.actor_named(name);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id, "type": "Create", "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": format!("{id}/note"), "type": "Note", "attributedTo": actor,
                   "content": "<p>A note.</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]},
    })
    .to_string();
    let headers = peer.signed_post_headers(name, domain, "/inbox", activity.as_bytes());
    let mut request = http
        .post(format!("http://127.0.0.1:{port}/inbox"))
        .body(activity);
    for (k, v) in headers.iter() {
        request = request.header(k.as_str(), v.as_bytes());
    }
    let response = request.send().await.ok()?;
    let status = response.status();
    Some((status, response.text().await.unwrap_or_default()))
}
