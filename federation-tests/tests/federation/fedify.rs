//! Guildhall and an ActivityPub server it did not write: the Fedify peer (`peer.rs`).
//!
//! Fedify signs with RFC 9421 first and falls back to draft-cavage only when the receiver
//! answers 4xx (double-knocking); Guildhall signs with draft-cavage. The peer records the
//! scheme of every request it makes and receives, so the tests can tell that each side
//! verified the other's own scheme on the first try.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{ahead, eventually, Instance, SOON};
use crate::peer::Peer;

const RFC9421: &str = "rfc9421";
const CAVAGE: &str = "draft-cavage-http-signatures-12";

/// Milliseconds since the Unix epoch, as Guildhall's timestamps.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64
}

fn list<'a>(state: &'a Value, key: &str) -> Vec<&'a Value> {
    state[key]
        .as_array()
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

/// Waits until the peer's follow `follow_id` has been accepted by `actor`; returns the peer's
/// state at that moment.
async fn wait_accepted(peer: &Peer, follow_id: &str, actor: &str) -> Value {
    eventually("the peer to receive the Accept", SOON, || async {
        let state = peer.state().await?;
        let accepted = list(&state, "received")
            .iter()
            .any(|a| a["type"] == "Accept" && a["actor"] == actor && a["object"] == follow_id);
        if accepted && state["following"][follow_id]["state"] == "accepted" {
            Ok(state)
        } else {
            Err(state.to_string())
        }
    })
    .await
}

#[tokio::test]
async fn the_fedify_peer_follows_a_company_with_signatures_verified_both_ways() {
    let Some(peer) =
        Peer::start("the_fedify_peer_follows_a_company_with_signatures_verified_both_ways").await
    else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");

    let follow_id = peer.follow(&company).await;
    let state = wait_accepted(&peer, &follow_id, &company).await;

    // Guildhall verified Fedify's RFC 9421 signature on the first knock: one POST to alpha,
    // answered 202, and no draft-cavage retry.
    let to_alpha: Vec<_> = list(&state, "outbound")
        .into_iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&alpha.url("/")))
        })
        .collect();
    assert_eq!(to_alpha.len(), 1, "{to_alpha:?}");
    assert_eq!(to_alpha[0]["scheme"], "rfc9421", "{to_alpha:?}");
    assert_eq!(to_alpha[0]["status"], 202, "{to_alpha:?}");
    assert_eq!(to_alpha[0]["url"], alpha.url("/companies/tidewater/inbox"));

    // Fedify verified Guildhall's draft-cavage signature on the Accept (only verified
    // activities reach `received`, checked above).
    let accepts: Vec<_> = list(&state, "inbound")
        .into_iter()
        .filter(|r| r["type"] == "Accept")
        .collect();
    assert_eq!(accepts.len(), 1, "{accepts:?}");
    assert_eq!(accepts[0]["scheme"], "draft-cavage", "{accepts:?}");
    assert_eq!(accepts[0]["status"], 202, "{accepts:?}");

    assert_eq!(
        alpha.followers_page("/companies/tidewater").await,
        Ok(vec![peer.actor()])
    );
    // Alpha cached the peer as Fedify describes it.
    let (status, actor) = alpha.lookup(&ada, &peer.actor()).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{actor}");
    assert_eq!(actor["kind"], "Person");
    assert_eq!(actor["name"], "Fedify peer");
    assert_eq!(actor["shared_inbox"], format!("{}/inbox", peer.origin));

    // Fedify's Undo of the Follow ends it.
    peer.unfollow(&follow_id).await;
    eventually("the Undo to reach alpha", SOON, || async {
        match alpha.followers_total("/companies/tidewater").await? {
            0 => Ok(()),
            n => Err(n.to_string()),
        }
    })
    .await;
}

#[tokio::test]
async fn a_company_update_reaches_the_fedify_peer() {
    let Some(peer) = Peer::start("a_company_update_reaches_the_fedify_peer").await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let follow_id = peer.follow(&company).await;
    wait_accepted(&peer, &follow_id, &company).await;

    // There are no posts in Guildhall yet; a profile Update is what a follower receives today
    // and stands in for them.
    let (status, body) = alpha
        .patch(
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"name": "Tidewater Studio"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let state = eventually("the Update at the peer", SOON, || async {
        let state = peer.state().await?;
        let got = list(&state, "received")
            .iter()
            .any(|a| a["type"] == "Update" && a["actor"] == company && a["object"] == company);
        if got {
            Ok(state)
        } else {
            Err(state.to_string())
        }
    })
    .await;
    // To the shared inbox the peer advertises, signed and verified.
    let updates: Vec<_> = list(&state, "inbound")
        .into_iter()
        .filter(|r| r["type"] == "Update")
        .collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["path"], "/inbox");
    assert_eq!(updates[0]["scheme"], "draft-cavage");
    assert_eq!(updates[0]["status"], 202);
}

#[tokio::test]
async fn a_company_deletion_reaches_the_fedify_peer() {
    let Some(peer) = Peer::start("a_company_deletion_reaches_the_fedify_peer").await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let follow_id = peer.follow(&company).await;
    wait_accepted(&peer, &follow_id, &company).await;

    let (status, body) = alpha
        .call(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/companies/tidewater",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Signed with the deleted company's key, which Fedify still verifies.
    eventually("the Delete at the peer", SOON, || async {
        let state = peer.state().await?;
        let got = list(&state, "received")
            .iter()
            .any(|a| a["type"] == "Delete" && a["actor"] == company && a["object"] == company);
        if got {
            Ok(())
        } else {
            Err(state.to_string())
        }
    })
    .await;
    assert_eq!(
        alpha.followers_total("/companies/tidewater").await.ok(),
        None
    );
}

#[tokio::test]
async fn a_member_follows_the_fedify_peer_by_handle() {
    let Some(peer) = Peer::start("a_member_follows_the_fedify_peer_by_handle").await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;

    // WebFinger served by Fedify, then the actor document.
    let (status, actor) = alpha.lookup(&ada, &peer.handle()).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{actor}");
    assert_eq!(actor["uri"], peer.actor());
    assert_eq!(actor["preferred_username"], "peer");

    let (status, followed) = alpha
        .post(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.handle()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{followed}");
    assert_eq!(followed["uri"], peer.actor());
    let entry = alpha.wait_following(&ada, &peer.actor(), "accepted").await;
    assert_eq!(entry["name"], "Fedify peer");

    let state = peer.state().await.unwrap();
    let follows: Vec<_> = list(&state, "received")
        .into_iter()
        .filter(|a| a["type"] == "Follow")
        .collect();
    assert_eq!(follows.len(), 1, "{follows:?}");
    assert_eq!(follows[0]["actor"], alpha.member_uri("ada"));
    assert_eq!(follows[0]["object"], peer.actor());
    // The Accept went to ada's inbox with an RFC 9421 signature, accepted on the first try.
    let to_alpha: Vec<_> = list(&state, "outbound")
        .into_iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&alpha.url("/")))
        })
        .collect();
    assert_eq!(to_alpha.len(), 1, "{to_alpha:?}");
    assert_eq!(to_alpha[0]["url"], alpha.url("/members/ada/inbox"));
    assert_eq!(to_alpha[0]["scheme"], "rfc9421");
    assert_eq!(to_alpha[0]["status"], 202);

    // Unfollowing sends an Undo of that same Follow, which Fedify verifies and takes.
    let follow_id = follows[0]["id"].as_str().expect("a follow id").to_string();
    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/unfollow",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    eventually("the Undo at the peer", SOON, || async {
        let state = peer.state().await?;
        let undone = list(&state, "received").iter().any(|a| {
            a["type"] == "Undo" && a["actor"] == alpha.member_uri("ada") && a["object"] == follow_id
        });
        if undone {
            Ok(())
        } else {
            Err(state.to_string())
        }
    })
    .await;
}

#[tokio::test]
async fn requests_signed_by_fedify_are_refused_when_tampered_or_stale() {
    let Some(peer) =
        Peer::start("requests_signed_by_fedify_are_refused_when_tampered_or_stale").await
    else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let inbox = alpha.url("/inbox");
    let follow = |id: String| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Follow",
            "actor": peer.actor(),
            "object": alpha.url("/"),
        })
    };
    let now = Duration::ZERO;
    let stale = Duration::from_secs(13 * 3600);
    for spec in [RFC9421, CAVAGE] {
        for (tamper, age, expected) in [
            ("body", now, StatusCode::UNAUTHORIZED),
            ("signature", now, StatusCode::UNAUTHORIZED),
            ("none", stale, StatusCode::UNAUTHORIZED),
            ("none", now, StatusCode::ACCEPTED),
        ] {
            let status = peer
                .signed_post(&inbox, &follow(peer.new_id()), spec, tamper, age)
                .await;
            assert_eq!(
                status,
                expected,
                "{spec}, tampered: {tamper}, signed {}s ago",
                age.as_secs()
            );
        }
    }
}

#[tokio::test]
async fn a_sender_killed_mid_queue_delivers_every_activity_exactly_once() {
    let Some(mut peer) =
        Peer::start("a_sender_killed_mid_queue_delivers_every_activity_exactly_once").await
    else {
        return;
    };
    let mut alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let follow_id = peer.follow(&company).await;
    wait_accepted(&peer, &follow_id, &company).await;
    let peer_host = format!("peer.test:{}", peer.port);

    // The receiver goes away; thirty profile updates queue up (one Update each).
    peer.stop().await;
    const UPDATES: usize = 30;
    for n in 1..=UPDATES {
        let (status, body) = alpha
            .patch(
                Some(&ada),
                "/api/v1/companies/tidewater",
                &json!({"name": format!("Tidewater {n}")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "update {n}: {body}");
    }
    // Wait for a moment with everything queued and the host parked between two probes: no
    // request is in flight then, so the crash leaves no claimed row behind. (A row claimed by
    // a dead process waits a minute for its lease to expire; tests/it/delivery.rs covers that.)
    eventually("the updates queued, the host parked", SOON, || async {
        let host = alpha.delivery_host(&peer_host).await?;
        let next_probe_in = host["parked_until"].as_i64().map(|t| t - now_ms());
        let between_probes = next_probe_in.is_some_and(|ms| (300..50_000).contains(&ms));
        if host["queued"] == UPDATES && host["parked"] == true && between_probes {
            Ok(())
        } else {
            Err(host.to_string())
        }
    })
    .await;

    // The sender dies without any shutdown, with everything still queued.
    alpha.kill();
    peer.restart().await;
    alpha.restart().await;

    let state = eventually(
        "every Update at the peer",
        Duration::from_secs(30),
        || async {
            let state = peer.state().await?;
            let arrived = list(&state, "inbound")
                .iter()
                .filter(|r| r["type"] == "Update" && r["status"].as_u64().is_some_and(|s| s < 300))
                .count();
            if arrived >= UPDATES {
                Ok(state)
            } else {
                Err(format!("{arrived} of {UPDATES} so far"))
            }
        },
    )
    .await;

    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in list(&state, "inbound") {
        if r["type"] == "Update" && r["status"].as_u64().is_some_and(|s| s < 300) {
            *seen
                .entry(r["id"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert_eq!(seen.len(), UPDATES, "distinct Update ids: {seen:?}");
    let verified = list(&state, "received")
        .iter()
        .filter(|a| a["type"] == "Update" && a["actor"] == company)
        .count();
    assert_eq!(verified, UPDATES, "Updates that passed Fedify's checks");

    let host = eventually("alpha's queue to the peer to drain", SOON, || async {
        let host = alpha.delivery_host(&peer_host).await?;
        if host["queued"] == 0 {
            Ok(host)
        } else {
            Err(host.to_string())
        }
    })
    .await;
    // The Accept of the peer's follow, then the thirty Updates.
    assert_eq!(host["delivered"], UPDATES + 1, "{host}");
    assert_eq!(host["failed"], 0, "{host}");
}

#[tokio::test]
async fn the_fedify_peer_receives_a_public_event() {
    let Some(peer) = Peer::start("the_fedify_peer_receives_a_public_event").await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let follow_id = peer.follow(&company).await;
    wait_accepted(&peer, &follow_id, &company).await;

    let (status, event) = alpha
        .post(
            Some(&ada),
            "/api/v1/events",
            &json!({
                "as": "company:tidewater",
                "title": "Open studio",
                "starts_at": ahead("06-01T18:00"),
                "ends_at": ahead("06-01T20:00"),
                "timezone": "Europe/Lisbon",
                "place_name": "Harbour Works",
                "locality": "Lisbon",
                "online_url": "https://meet.example/studio",
                "capacity": 30,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let uri = event["uri"].as_str().unwrap().to_string();

    // Fedify verified the signature and parsed the Create of the Event.
    eventually("the Create at the peer", SOON, || async {
        let state = peer.state().await?;
        let got = list(&state, "received")
            .iter()
            .any(|a| a["type"] == "Create" && a["actor"] == company && a["object"] == uri);
        if got {
            Ok(())
        } else {
            Err(state.to_string())
        }
    })
    .await;
}
