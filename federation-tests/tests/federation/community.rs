//! A community on another server, served by the second independent peer: `peer-apf/`, a
//! program built on `activitypub_federation` (the library Lemmy uses) that serves a `Group`
//! with WebFinger, accepts follows through the library's own inbox (signature checks
//! included) and announces its author's `Page`s as Lemmy does. Run as `lemmy.test:<port>`.
//!
//! Whether it runs follows the Fedify peer's rule (`GUILDHALL_FEDERATION_PEER`, see
//! `peer.rs`): `required` makes a missing peer binary a failure (CI builds it first, see
//! .ci/run); otherwise its absence is said loudly and the test passes without it. The binary
//! is `peer-apf/target/debug/peer-apf`, or the path in `GUILDHALL_PEER_APF`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{client, encode, eventually, free_port, kill, log_tail, Instance, SOON};
use crate::peer::GATE_VARIABLE;

const START_DEADLINE: Duration = Duration::from_secs(30);

fn binary() -> PathBuf {
    match std::env::var_os("GUILDHALL_PEER_APF") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peer-apf/target/debug/peer-apf"),
    }
}

/// The running community peer.
struct Community {
    port: u16,
    http: reqwest::Client,
    log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Community {
    /// Starts the peer, or `None` (said loudly) when it is not built and not required.
    async fn start(test: &str) -> Option<Community> {
        let path = binary();
        if !path.is_file() {
            let why = format!(
                "the community peer is not built ({}); run `cargo build --manifest-path federation-tests/peer-apf/Cargo.toml`",
                path.display()
            );
            if std::env::var(GATE_VARIABLE).is_ok_and(|v| v.trim() == "required") {
                panic!("{GATE_VARIABLE}=required, but {why}");
            }
            let banner = "!".repeat(78);
            let _ = writeln!(
                std::io::stderr().lock(),
                "\n{banner}\n!!! {test}: skipped: {why}.\n{banner}"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary folder");
        let log = dir.path().join("peer-apf.log");
        let out = std::fs::File::create(&log).expect("the peer's log");
        let err = out.try_clone().expect("clone the log file");
        let port = free_port();
        let child = Command::new(&path)
            .env("PEER_PORT", port.to_string())
            .env("PEER_HOST", "lemmy.test")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start the community peer");
        let mut peer = Community {
            port,
            http: client(),
            log,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = peer.child.try_wait().expect("poll the peer") {
                panic!(
                    "the community peer exited with {status}:\n{}",
                    log_tail(&peer.log)
                );
            }
            if let Ok(r) = peer.http.get(peer.control("health")).send().await {
                if r.status() == StatusCode::OK {
                    return Some(peer);
                }
            }
            assert!(
                Instant::now() < deadline,
                "the community peer did not answer within {START_DEADLINE:?}:\n{}",
                log_tail(&peer.log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn control(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/_control/{path}", self.port)
    }

    fn origin(&self) -> String {
        format!("http://lemmy.test:{}", self.port)
    }

    /// What the peer's inbox accepted, and who follows the community.
    async fn state(&self) -> Result<Value, String> {
        let r = self
            .http
            .get(self.control("state"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        r.json().await.map_err(|e| e.to_string())
    }

    /// The author posts in the community, which announces it to its followers; returns the
    /// post's id and how many inboxes it was delivered to.
    async fn publish(&self, title: &str, content: &str) -> (String, u64) {
        let r = self
            .http
            .post(self.control("post"))
            .json(&json!({"title": title, "content": content}))
            .send()
            .await
            .expect("the peer answers");
        let status = r.status();
        let body: Value = r.json().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::OK,
            "publishing through the peer: {body}"
        );
        (
            body["id"].as_str().expect("a post id").to_string(),
            body["delivered"].as_u64().unwrap_or_default(),
        )
    }
}

impl Drop for Community {
    fn drop(&mut self) {
        kill(&mut self.child);
        if std::thread::panicking() {
            eprintln!(
                "\n----- log of the community peer -----\n{}\n----- end -----",
                log_tail(&self.log)
            );
        }
    }
}

#[tokio::test]
async fn a_member_follows_a_community_built_on_lemmys_library_and_sees_its_posts() {
    let test = "a_member_follows_a_community_built_on_lemmys_library_and_sees_its_posts";
    let Some(peer) = Community::start(test).await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    let group = format!("{}/c/community", peer.origin());

    // Ada follows the community by its handle (WebFinger); the library's inbox verifies her
    // server's signature and the community accepts.
    let handle = format!("@community@lemmy.test:{}", peer.port);
    alpha.follow(&ada, &handle).await;
    alpha.wait_following(&ada, &group, "accepted").await;
    let state = peer.state().await.unwrap();
    assert_eq!(
        state["followers"],
        json!([alpha.member_uri("ada")]),
        "{state}"
    );

    // The author posts; the community announces it; it reaches Ada's home, marked as the
    // community's, with its title, and the community's page here.
    let (post, delivered) = peer
        .publish("Harbour clean-up on Saturday", "<p>Bring gloves.</p>")
        .await;
    assert_eq!(delivered, 1);
    let home = eventually("the announced post in Ada's home", SOON, || async {
        let (status, home) = alpha.get(Some(&ada), "/api/v1/timelines/home").await;
        if status != StatusCode::OK {
            return Err(format!("{status} {home}"));
        }
        let found = home["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["uri"] == post.as_str()).cloned());
        found.ok_or_else(|| home.to_string())
    })
    .await;
    assert_eq!(home["name"], "Harbour clean-up on Saturday", "{home}");
    assert!(
        home["content"].as_str().unwrap().contains("Bring gloves."),
        "{home}"
    );
    assert_eq!(
        home["author"],
        format!("{}/u/author", peer.origin()),
        "{home}"
    );
    assert_eq!(home["boosted_by"]["uri"], group.as_str(), "{home}");
    let (status, page) = alpha
        .get(
            None,
            &format!("/api/v1/timelines/actor?uri={}", encode(&group)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["uri"], post.as_str(), "{page}");
}
