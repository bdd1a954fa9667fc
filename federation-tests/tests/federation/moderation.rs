//! Moderation between whole processes: a member's block of a member of another space (the
//! follow refused, mentions and messages not shown), a report forwarded to the reported
//! account's space, a remote actor suspended there, and a `Flag` from the Fedify peer.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{eventually, Instance, SOON};
use crate::peer::Peer;

/// Publishes a post through the API; returns its `uri`.
async fn publish(instance: &Instance, token: &str, text: &str) -> String {
    let (status, post) = instance
        .post(Some(token), "/api/v1/posts", &json!({ "text": text }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["uri"].as_str().expect("a post uri").to_string()
}

/// Waits until `path` (read with `token`) mentions `needle`.
async fn wait_for(instance: &Instance, token: &str, path: &str, needle: &str, what: &str) {
    eventually(what, SOON, || async {
        let (_, body) = instance
            .try_call(Method::GET, Some(token), path, None)
            .await?;
        if body.to_string().contains(needle) {
            Ok(())
        } else {
            Err(body.to_string())
        }
    })
    .await
}

/// The reports of an instance's queue, all states.
async fn reports(instance: &Instance) -> Result<Vec<Value>, String> {
    let (status, body) = instance
        .try_call(
            Method::GET,
            Some(&instance.admin),
            "/api/v1/admin/reports?state=all",
            None,
        )
        .await?;
    if status != StatusCode::OK {
        return Err(format!("{status} {body}"));
    }
    Ok(body["items"].as_array().cloned().unwrap_or_default())
}

#[tokio::test]
async fn a_member_who_blocks_a_remote_member_refuses_its_follow_and_hears_nothing_from_it() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let carl = beta.member("carl").await;

    let (status, body) = beta
        .post(
            Some(&bob),
            "/api/v1/blocks",
            &json!({ "target": alpha.handle("ada") }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Ada's follow is refused: by beta (a Reject) while the Block is on its way, by alpha
    // itself (403) once it has arrived.
    eventually("ada's follow of bob to be refused", SOON, || async {
        let (status, body) = alpha
            .try_call(
                Method::POST,
                Some(&ada),
                "/api/v1/follows",
                Some(&json!({ "target": beta.handle("bob") })),
            )
            .await?;
        if status == StatusCode::FORBIDDEN {
            Ok(())
        } else {
            Err(format!("{status} {body}"))
        }
    })
    .await;
    assert_eq!(beta.followers_total("/members/bob").await, Ok(0));

    // A post mentioning both, and a message to both: carl has them, bob has neither.
    let mention = "standup at ten, bring the plans";
    let text = format!("{} {} {mention}", beta.handle("bob"), beta.handle("carl"));
    let mentioned = publish(&alpha, &ada, &text).await;
    let message = "lunch on the roof?";
    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/messages",
            &json!({"to": [beta.handle("bob"), beta.handle("carl")], "text": message}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_for(
        &beta,
        &carl,
        "/api/v1/notifications",
        &mentioned,
        "carl's mention",
    )
    .await;
    wait_for(
        &beta,
        &carl,
        "/api/v1/conversations",
        message,
        "carl's message",
    )
    .await;
    let (_, notes) = beta.get(Some(&bob), "/api/v1/notifications").await;
    assert!(!notes.to_string().contains(&mentioned), "{notes}");
    let (_, conversations) = beta.get(Some(&bob), "/api/v1/conversations").await;
    assert!(
        !conversations.to_string().contains(message),
        "{conversations}"
    );
}

#[tokio::test]
async fn a_forwarded_report_reaches_alpha_and_alpha_suspends_a_remote_actor() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let ada_uri = alpha.member_uri("ada");
    let bob_uri = beta.member_uri("bob");

    // Bob reads ada's post on beta and reports it, forwarded.
    beta.follow(&bob, &alpha.handle("ada")).await;
    beta.wait_following(&bob, &ada_uri, "accepted").await;
    let spam = publish(&alpha, &ada, "Cheap watches, today only").await;
    wait_for(
        &beta,
        &bob,
        "/api/v1/timelines/home",
        &spam,
        "ada's post on beta",
    )
    .await;
    let (status, body) = beta
        .post(
            Some(&bob),
            "/api/v1/reports",
            &json!({"target": ada_uri, "objects": [spam], "category": "spam",
                    "comment": "Selling watches", "forward": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let forwarded = eventually("the forwarded report in alpha's queue", SOON, || async {
        let items = reports(&alpha).await?;
        items
            .into_iter()
            .find(|r| r["origin"] == beta.domain)
            .ok_or_else(|| "not yet".to_string())
    })
    .await;
    assert_eq!(forwarded["target"], ada_uri);
    assert_eq!(forwarded["objects"], json!([spam]));
    assert_eq!(forwarded["comment"], "Selling watches");
    assert!(forwarded["reporter"].is_null(), "{forwarded}");

    // Ada follows bob and sees his post; she reports him here, and alpha suspends him.
    alpha.follow(&ada, &beta.handle("bob")).await;
    alpha.wait_following(&ada, &bob_uri, "accepted").await;
    let pitch = publish(&beta, &bob, "Buy my course on coworking").await;
    wait_for(
        &alpha,
        &ada,
        "/api/v1/timelines/home",
        &pitch,
        "bob's post on alpha",
    )
    .await;
    let (status, report) = alpha
        .post(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": bob_uri, "objects": [pitch], "category": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let id = report["id"].as_i64().expect("a report id");
    let (status, outcome) = alpha
        .post(
            Some(&alpha.admin),
            &format!("/api/v1/admin/reports/{id}/actions"),
            &json!({"action": "suspend", "reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");

    // His content is gone from alpha and the follow has ended.
    let (_, home) = alpha.get(Some(&ada), "/api/v1/timelines/home").await;
    assert!(!home.to_string().contains(&pitch), "{home}");
    let (_, feed) = alpha.get(None, "/api/v1/timelines/space").await;
    assert!(!feed.to_string().contains(&pitch), "{feed}");
    assert_eq!(alpha.following_entry(&ada, &bob_uri).await, Ok(None));
    let (_, audit) = alpha.get(Some(&alpha.admin), "/api/v1/admin/audit").await;
    assert!(
        audit["items"].as_array().is_some_and(|items| items
            .iter()
            .any(|l| l["action"] == "suspend" && l["target"] == bob_uri)),
        "{audit}"
    );
}

#[tokio::test]
async fn a_flag_from_the_fedify_peer_lands_in_the_queue() {
    let Some(peer) = Peer::start("a_flag_from_the_fedify_peer_lands_in_the_queue").await else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    let ada_uri = alpha.member_uri("ada");
    let spam = publish(&alpha, &ada, "Cheap watches, today only").await;

    // As Mastodon and Fedify apps send a report: the account and its post, the comment.
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(),
        "type": "Flag",
        "actor": peer.actor(),
        "object": [ada_uri, spam],
        "content": "Spam from the peer",
    });
    let status = peer
        .signed_post(
            &alpha.url("/inbox"),
            &flag,
            "rfc9421",
            "none",
            std::time::Duration::ZERO,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let report = eventually("the peer's Flag in the queue", SOON, || async {
        reports(&alpha)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| "no report yet".to_string())
    })
    .await;
    assert_eq!(report["origin"], format!("peer.test:{}", peer.port));
    assert_eq!(report["target"], ada_uri);
    assert_eq!(report["objects"], json!([spam]));
    assert_eq!(report["comment"], "Spam from the peer");
    assert_eq!(report["state"], "open");
}
