//! The independent peer: `peer-fedify/peer.mjs`, an ActivityPub server built on Fedify, run
//! with Node.js as `peer.test:<port>`.
//!
//! Whether the peer tests run is decided by [`Peer::start`] from `GUILDHALL_FEDERATION_PEER`:
//! - `required`: they must run; a missing `node` or missing npm packages fail the test (CI).
//! - unset or empty: they run when `node` (20 or newer) is installed and `npm ci` was run in
//!   `federation-tests/peer-fedify`; otherwise each prints a loud "skipped" line and passes, so
//!   `cargo test --workspace` works on a machine without Node.js.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::harness::{self, client, free_port, kill, log_tail, terminate};

pub const GATE_VARIABLE: &str = "GUILDHALL_FEDERATION_PEER";
const START_DEADLINE: Duration = Duration::from_secs(30);

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peer-fedify")
}

/// Why the peer cannot run here, if it cannot.
fn missing() -> Option<String> {
    let version = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    let version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => return Some("`node` (Node.js 20 or newer) is not installed".into()),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Some(format!(
            "Node.js {version} is too old; 20 or newer is needed"
        ));
    }
    if !peer_dir()
        .join("node_modules/@fedify/fedify/package.json")
        .is_file()
    {
        return Some(
            "the peer's npm packages are not installed; run `npm ci` in federation-tests/peer-fedify"
                .into(),
        );
    }
    None
}

/// Whether the peer tests must run (`true`) or may be skipped when the peer cannot run.
fn required() -> bool {
    match std::env::var(GATE_VARIABLE) {
        Err(std::env::VarError::NotPresent) => false,
        Ok(v) if v.trim().is_empty() => false,
        Ok(v) if v.trim() == "required" => true,
        Ok(v) => panic!(
            "{GATE_VARIABLE}={v:?} is not understood: leave it unset, or set it to \"required\""
        ),
        Err(e) => panic!("{GATE_VARIABLE} is not readable: {e}"),
    }
}

/// Whether Node.js and the peer's packages are here. When they are not, panics if they are
/// required, else prints a loud "skipped" banner for `test` and returns `false`.
pub fn node_ready(test: &str) -> bool {
    let Some(why) = missing() else {
        return true;
    };
    if required() {
        panic!("{GATE_VARIABLE}=required, but the Fedify peer cannot run: {why}");
    }
    // Straight to the process's stderr: the test harness swallows the output of a passing test.
    let banner = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n{banner}\n!!! {test}: skipped: the Fedify peer cannot run: {why}.\n\
         !!! Set {GATE_VARIABLE}=required to make this a failure instead (CI does).\n{banner}"
    );
    false
}

/// The folder of the Node.js tools (the peer and the JSON-LD checker).
pub fn tools_dir() -> PathBuf {
    peer_dir()
}

/// A running peer process.
pub struct Peer {
    pub port: u16,
    /// `http://peer.test:PORT`.
    pub origin: String,
    http: Client,
    log: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Peer {
    /// Starts the peer for `test`, or returns `None` (after saying so loudly on stderr) when
    /// the peer cannot run here and is not required. Call it before starting instances.
    pub async fn start(test: &str) -> Option<Peer> {
        if !node_ready(test) {
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut peer = Peer {
            port: 0,
            origin: String::new(),
            http: client(),
            log: dir.path().join("peer.log"),
            child: None,
            _dir: dir,
        };
        let mut attempt = 1;
        loop {
            peer.port = free_port();
            peer.origin = format!("http://peer.test:{}", peer.port);
            match peer.launch().await {
                Ok(()) => return Some(peer),
                Err(e) if e.contains("EADDRINUSE") && attempt < 3 => attempt += 1,
                Err(e) => panic!("the Fedify peer did not start: {e}"),
            }
        }
    }

    async fn launch(&mut self) -> Result<(), String> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the peer's log");
        let err = out.try_clone().expect("clone the log file");
        let child = Command::new("node")
            .arg("peer.mjs")
            .current_dir(peer_dir())
            .env("PEER_PORT", self.port.to_string())
            .env("PEER_HOST", "peer.test")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run node: {e}"))?;
        self.child = Some(child);
        let health = format!("http://127.0.0.1:{}/_control/health", self.port);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let child = self.child.as_mut().expect("a started process");
            if let Some(status) = child.try_wait().expect("poll the peer") {
                self.child = None;
                return Err(format!(
                    "exited with {status}; its log:\n{}",
                    log_tail(&self.log)
                ));
            }
            if let Ok(r) = self.http.get(&health).send().await {
                if r.status() == StatusCode::OK {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                if let Some(mut child) = self.child.take() {
                    kill(&mut child);
                }
                return Err(format!(
                    "no answer within {START_DEADLINE:?}; its log:\n{}",
                    log_tail(&self.log)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The peer's actor: `http://peer.test:PORT/users/peer`.
    pub fn actor(&self) -> String {
        format!("{}/users/peer", self.origin)
    }

    /// `@peer@peer.test:PORT`, served by Fedify's WebFinger.
    pub fn handle(&self) -> String {
        format!("@peer@peer.test:{}", self.port)
    }

    /// Stops the peer (SIGTERM) and waits for it to exit.
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("the peer is running");
        terminate(&mut child, "the Fedify peer").await;
    }

    /// Starts the peer again on the same port (with a fresh memory: new key, nothing
    /// received).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the peer first");
        if let Err(e) = self.launch().await {
            panic!("the Fedify peer did not restart: {e}");
        }
    }

    async fn control(&self, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}/_control/{path}", self.port);
        let request = match body {
            Some(b) => self.http.post(&url).json(b),
            None => self.http.get(&url),
        };
        let response = request
            .send()
            .await
            .map_err(|e| format!("peer {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status != StatusCode::OK {
            return Err(format!("peer {path}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("peer {path}: {e}: {text}"))
    }

    /// What the peer saw and did: `inbound` (every request to an inbox with the status Fedify
    /// answered), `received` (activities that passed Fedify's checks), `outbound` (its POSTs
    /// with the signature scheme and the receiver's status), `following`.
    pub async fn state(&self) -> Result<Value, String> {
        self.control("state", None).await
    }

    /// Makes the peer follow `target` (an actor URI); returns the Follow's id.
    pub async fn follow(&self, target: &str) -> String {
        let answer = self
            .control("follow", Some(&json!({"target": target})))
            .await
            .unwrap_or_else(|e| panic!("the peer could not follow {target}: {e}"));
        answer["id"].as_str().expect("a follow id").to_string()
    }

    /// Makes the peer undo its follow `follow_id`.
    pub async fn unfollow(&self, follow_id: &str) {
        self.control("unfollow", Some(&json!({"id": follow_id})))
            .await
            .unwrap_or_else(|e| panic!("the peer could not undo {follow_id}: {e}"));
    }

    /// Has the peer sign `activity` with Fedify's signer (`spec`: `rfc9421` or
    /// `draft-cavage-http-signatures-12`), dated `age` ago, spoil it as `tamper` says (`none`,
    /// `body`, `signature`) and POST it to `inbox`. Returns the receiver's status.
    pub async fn signed_post(
        &self,
        inbox: &str,
        activity: &Value,
        spec: &str,
        tamper: &str,
        age: Duration,
    ) -> StatusCode {
        let answer = self
            .control(
                "signed-post",
                Some(&json!({
                    "inbox": inbox,
                    "activity": activity,
                    "spec": spec,
                    "tamper": tamper,
                    "age_seconds": age.as_secs(),
                })),
            )
            .await
            .unwrap_or_else(|e| panic!("signed POST through the peer: {e}"));
        let status = answer["status"].as_u64().expect("a status") as u16;
        StatusCode::from_u16(status).expect("an HTTP status")
    }

    /// Has the peer GET `url` with a signature of its own (`spec` as for [`Peer::signed_post`]),
    /// as a server fetching an object for one of its users. Returns the status and the body.
    pub async fn signed_get(&self, url: &str, spec: &str) -> (StatusCode, String) {
        let answer = self
            .control("signed-get", Some(&json!({"url": url, "spec": spec})))
            .await
            .unwrap_or_else(|e| panic!("signed GET through the peer: {e}"));
        let status = answer["status"].as_u64().expect("a status") as u16;
        (
            StatusCode::from_u16(status).expect("an HTTP status"),
            answer["body"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// A new activity id on the peer's host.
    pub fn new_id(&self) -> String {
        format!("{}/users/peer/tests/{}", self.origin, harness::random_hex())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
        if std::thread::panicking() {
            eprintln!(
                "\n----- log of the Fedify peer ({}) -----\n{}\n----- end of the peer's log -----",
                self.origin,
                log_tail(&self.log)
            );
        }
    }
}
