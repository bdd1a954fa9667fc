//! Moderation as it federates: a `Flag` as Mastodon sends it lands in the queue; a forwarded
//! report reaches the reported account's server; a member's block of a remote actor sends
//! `Block` and `Undo`; a remote `Block` ends follows both ways and holds back deliveries until
//! its `Undo`; a blocked actor's Follow is rejected; a suspension goes out as `Delete` and its
//! lifting as `Update`; the inboxes turn a flood from one host or one actor away with 429; a
//! limited remote actor leaves the directory until the limit is lifted.

mod deleting;
mod hiding;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::support::TestApp;

/// Files a report as `token`; returns its id.
async fn file_report(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app.post_json(Some(token), "/api/v1/reports", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// A moderator's action on report `id`.
async fn act_on_report(app: &TestApp, admin: &str, id: i64, action: &str, reason: &str) {
    let r = app
        .post_json(
            Some(admin),
            &format!("/api/v1/admin/reports/{id}/actions"),
            &json!({ "action": action, "reason": reason }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}

async fn reports(app: &TestApp, admin: &str) -> Vec<Value> {
    let r = app
        .get(Some(admin), "/api/v1/admin/reports?state=all")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["items"].as_array().cloned().unwrap_or_default()
}

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    app.post_text(token, text).await
}

fn flag(peer: &FakePeer, objects: Value, comment: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/{}", peer.base, rand_id()),
        "type": "Flag",
        "actor": peer.actor(),
        "content": comment,
        "object": objects,
    })
}

#[tokio::test]
async fn a_mastodon_flag_lands_in_the_queue_and_one_about_others_objects_is_refused() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let spam = post(&alpha, &ada, "Cheap watches, today only").await;
    let peer = FakePeer::start().await;
    let peer_host = peer.base.trim_start_matches("http://").to_string();

    // Naming only what is not ours (the peer's own account, another server's post): refused.
    let elsewhere = json!([peer.actor(), "https://elsewhere.example/posts/1"]);
    let status = peer
        .deliver(
            &alpha,
            &domain,
            "/inbox",
            &flag(&peer, elsewhere, "not yours"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // As Mastodon sends it: the account, its posts (one not ours), the comment.
    let objects = json!([ada_uri, spam, "https://elsewhere.example/posts/2"]);
    let status = peer
        .deliver(
            &alpha,
            &domain,
            "/inbox",
            &flag(&peer, objects, "Spam in the coworking channel"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let items = eventually("the Flag to reach the queue", || async {
        let items = reports(&alpha, &admin).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    // The first Flag was processed before the second and stored nothing.
    assert_eq!(items.len(), 1, "{items:?}");
    let report = &items[0];
    assert_eq!(report["origin"], peer_host);
    assert_eq!(report["target"], ada_uri);
    assert_eq!(report["objects"], json!([spam]));
    assert_eq!(report["comment"], "Spam in the coworking channel");
    assert_eq!(report["state"], "open");
    assert!(report["reporter"].is_null());
    // The administrator is told of it, by the remote actor that sent it; ada (reported, not
    // staff) is not.
    let told: Value = alpha
        .get(Some(&admin), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    let told: Vec<&Value> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "report")
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0]["link"],
        format!("/admin/reports/{}", report["id"].as_i64().unwrap())
    );
    assert_eq!(told[0]["actor"], peer.actor());
    assert_eq!(told[0]["object"], ada_uri);
    assert!(
        told[0]["summary"].as_str().unwrap().contains("@ada"),
        "{told:?}"
    );
    let ada_told: Value = alpha
        .get(Some(&ada), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        ada_told["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "report"),
        "{ada_told}"
    );
}

#[tokio::test]
async fn a_forwarded_report_reaches_the_reported_accounts_server() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let beta_domain = format!("beta.test:{}", port_of(&beta));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let ada_uri = format!("http://{alpha_domain}/members/ada");

    // Bob follows ada, so her post reaches beta.
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": format!("@ada@{alpha_domain}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    eventually("the follow to be accepted", || async {
        let list: Value = beta
            .get(Some(&bob), "/api/v1/following")
            .await
            .json()
            .await
            .ok()?;
        let accepted = list["items"]
            .as_array()?
            .iter()
            .any(|f| f["uri"] == ada_uri && f["state"] == "accepted");
        accepted.then_some(())
    })
    .await;
    let spam = post(&alpha, &ada, "Cheap watches, today only").await;
    eventually("the post to reach beta", || async {
        let feed: Value = beta
            .get(Some(&bob), "/api/v1/timelines/home")
            .await
            .json()
            .await
            .ok()?;
        let there = feed["items"].as_array()?.iter().any(|p| p["uri"] == spam);
        there.then_some(())
    })
    .await;

    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/reports",
            &json!({"target": ada_uri, "objects": [spam], "category": "spam",
                    "comment": "Selling watches", "forward": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);

    let items = eventually("the forwarded report to reach alpha", || async {
        let items = reports(&alpha, &alpha_admin).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["origin"], beta_domain);
    assert_eq!(items[0]["target"], ada_uri);
    assert_eq!(items[0]["objects"], json!([spam]));
    assert_eq!(items[0]["comment"], "Selling watches");
    // The reporter stays on beta.
    assert!(items[0]["reporter"].is_null());
}

#[tokio::test]
async fn blocking_a_remote_actor_sends_block_and_undo() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let peer_host = peer.base.trim_start_matches("http://").to_string();

    // The same block twice at once: one is new, and only it queues a `Block`.
    let body = json!({"target": peer.actor()});
    let (a, b) = tokio::join!(
        alpha.post_json(Some(&ada), "/api/v1/blocks", &body),
        alpha.post_json(Some(&ada), "/api/v1/blocks", &body),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
    let block = eventually("the Block to arrive", || async {
        peer.received_of("Block").into_iter().next()
    })
    .await;
    assert_eq!(block["actor"], ada_uri);
    assert_eq!(block["object"], peer.actor());

    let target: String = url::form_urlencoded::byte_serialize(peer.actor().as_bytes()).collect();
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/blocks?target={target}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let undo = eventually("the Undo to arrive", || async {
        peer.received_of("Undo").into_iter().next()
    })
    .await;
    assert_eq!(undo["actor"], ada_uri);
    assert_eq!(undo["object"]["type"], "Block");
    assert_eq!(undo["object"]["id"], block["id"]);
    assert_eq!(undo["object"]["object"], peer.actor());
    // Everything queued for the peer went out: one Block, one Undo.
    let delivered = eventually("the queue for the peer to empty", || async {
        let overview: Value = alpha
            .get(Some(&admin), "/api/v1/admin/deliveries")
            .await
            .json()
            .await
            .ok()?;
        let entry = overview["hosts"]
            .as_array()?
            .iter()
            .find(|h| h["host"] == peer_host)?
            .clone();
        (entry["queued"] == 0).then_some(entry["delivered"].clone())
    })
    .await;
    assert_eq!(delivered, 2);
    assert_eq!(peer.received_of("Block").len(), 1);
    // A second undo finds nothing to take back and sends nothing more.
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/blocks?target={target}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_remote_block_ends_follows_both_ways() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;

    // The peer follows ada; ada follows the peer.
    let status = peer
        .deliver(&alpha, &domain, "/inbox", &peer.follow(&ada_uri))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let followers = || async {
        let doc: Value = alpha
            .api
            .get(alpha.url("/members/ada/followers"))
            .header("accept", crate::federation::AS_JSON)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        doc["totalItems"].as_i64()
    };
    let following = || async {
        let list: Value = alpha
            .get(Some(&ada), "/api/v1/following")
            .await
            .json()
            .await
            .ok()?;
        Some(list["items"].as_array()?.len())
    };
    eventually("the peer's follow to be recorded", || async {
        (followers().await == Some(1)).then_some(())
    })
    .await;
    assert_eq!(following().await, Some(1));

    let block = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/blocks/{}", peer.base, rand_id()),
        "type": "Block", "actor": peer.actor(), "object": ada_uri,
    });
    let status = peer.deliver(&alpha, &domain, "/inbox", &block).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually("the follows to end", || async {
        (followers().await == Some(0) && following().await == Some(0)).then_some(())
    })
    .await;

    // While the block stands, ada cannot follow the peer again, and her message to it is not
    // delivered.
    let follow_again = || async {
        alpha
            .post_json(
                Some(&ada),
                "/api/v1/follows",
                &json!({"target": peer.actor()}),
            )
            .await
            .status()
    };
    assert_eq!(follow_again().await, StatusCode::FORBIDDEN);
    let message = |text: &'static str| {
        let alpha = &alpha;
        let ada = ada.clone();
        let to = peer.actor();
        async move {
            let r = alpha
                .post_json(
                    Some(&ada),
                    "/api/v1/messages",
                    &json!({"to": [to], "text": text}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        }
    };
    message("Are you there?").await;

    // Its Undo (the Block embedded) lifts it: ada may follow again, and messages go out.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo/{}", peer.base, rand_id()),
        "type": "Undo", "actor": peer.actor(), "object": block,
    });
    let status = peer.deliver(&alpha, &domain, "/inbox", &undo).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually("the block to be lifted", || async {
        (follow_again().await == StatusCode::CREATED).then_some(())
    })
    .await;
    message("Hello again").await;
    let creates = eventually("the second message to arrive", || async {
        let creates = peer.received_of("Create");
        (!creates.is_empty()).then_some(creates)
    })
    .await;
    // The message written during the block was never queued: only the second one arrived.
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert!(creates[0]["object"]["content"]
        .as_str()
        .is_some_and(|c| c.contains("Hello again")));
}

#[tokio::test]
async fn a_blocked_actors_follow_is_rejected_and_an_undo_by_id_lifts_a_remote_block() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;

    // Ada blocks the peer: its Follow of her is answered with a Reject, not an Accept.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/blocks",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let follow = peer.follow(&ada_uri);
    let status = peer.deliver(&alpha, &domain, "/inbox", &follow).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reject = eventually("the Reject to arrive", || async {
        peer.received_of("Reject").into_iter().next()
    })
    .await;
    assert_eq!(reject["actor"], ada_uri);
    assert_eq!(reject["object"]["id"], follow["id"]);
    assert!(peer.received_of("Accept").is_empty());
    let followers: Value = alpha
        .api
        .get(alpha.url("/members/ada/followers"))
        .header("accept", crate::federation::AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 0);

    // The peer blocks ada in return; an Undo naming only the Block's id lifts it.
    let block_id = format!("{}/blocks/{}", peer.base, rand_id());
    let block = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": block_id, "type": "Block", "actor": peer.actor(), "object": ada_uri,
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &block).await,
        StatusCode::ACCEPTED
    );
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!(
                "/api/v1/blocks?target={}",
                url::form_urlencoded::byte_serialize(peer.actor().as_bytes()).collect::<String>()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let follow_status = || async {
        alpha
            .post_json(
                Some(&ada),
                "/api/v1/follows",
                &json!({"target": peer.actor()}),
            )
            .await
            .status()
    };
    eventually("the peer's block to be recorded", || async {
        (follow_status().await == StatusCode::FORBIDDEN).then_some(())
    })
    .await;
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo/{}", peer.base, rand_id()),
        "type": "Undo", "actor": peer.actor(), "object": block_id,
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &undo).await,
        StatusCode::ACCEPTED
    );
    eventually("the block to be lifted by its id", || async {
        (follow_status().await == StatusCode::CREATED).then_some(())
    })
    .await;
}

#[tokio::test]
async fn suspending_a_member_sends_delete_and_lifting_it_sends_update() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let _ada = alpha.member("ada").await;
    let cy = alpha.member("cy").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &peer.follow(&ada_uri))
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the peer's follow to be accepted", || async {
        peer.received_of("Accept").into_iter().next()
    })
    .await;

    let id = file_report(
        &alpha,
        &cy,
        json!({"target": ada_uri, "category": "abuse", "comment": "Rude"}),
    )
    .await;
    let act = |action: &'static str| act_on_report(&alpha, &admin, id, action, "abuse");
    act("suspend").await;
    let delete = eventually("the Delete to arrive", || async {
        peer.received_of("Delete").into_iter().next()
    })
    .await;
    assert_eq!(delete["actor"], ada_uri);
    assert_eq!(delete["object"], ada_uri);
    // A second suspension changes nothing and sends nothing more.
    act("suspend").await;

    act("unsuspend").await;
    let update = eventually("the Update to arrive", || async {
        peer.received_of("Update").into_iter().next()
    })
    .await;
    assert_eq!(update["actor"], ada_uri);
    assert_eq!(update["object"]["id"], ada_uri);
    assert_eq!(update["object"]["type"], "Person");
    assert_eq!(peer.received_of("Delete").len(), 1);
}

/// A signed `Like` from `peer` of something of its own: stored and ignored, so only the
/// inbox's limits decide its status.
fn like(peer: &FakePeer) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/{}", peer.base, rand_id()),
        "type": "Like", "actor": peer.actor(),
        "object": format!("{}/notes/1", peer.base),
    })
}

#[tokio::test]
async fn an_inbox_flood_from_one_host_gets_429_and_other_hosts_are_unaffected() {
    let (alpha, _) =
        TestApp::spawn_named_with("alpha", &[("GUILDHALL_INBOX_RATE_HOST", "3")]).await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let flood = FakePeer::start().await;
    let calm = FakePeer::start().await;
    for _ in 0..3 {
        assert_eq!(
            flood
                .deliver(&alpha, &domain, "/inbox", &like(&flood))
                .await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        flood
            .deliver(&alpha, &domain, "/inbox", &like(&flood))
            .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The host is counted by the signature's key id before anything is verified: an unsigned
    // copy naming the same key is turned away as cheaply, with the time to wait.
    let r = alpha
        .api
        .post(alpha.url("/inbox"))
        .header("content-type", crate::federation::AS_JSON)
        .header(
            "signature",
            format!(
                "keyId=\"{}#main-key\",algorithm=\"rsa-sha256\",headers=\"date\",signature=\"AAAA\"",
                flood.actor()
            ),
        )
        .body(like(&flood).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another server is not held back.
    for _ in 0..3 {
        assert_eq!(
            calm.deliver(&alpha, &domain, "/inbox", &like(&calm)).await,
            StatusCode::ACCEPTED
        );
    }
}

#[tokio::test]
async fn an_inbox_flood_from_one_actor_gets_429_and_its_neighbours_are_unaffected() {
    let (alpha, _) =
        TestApp::spawn_named_with("alpha", &[("GUILDHALL_INBOX_RATE_ACTOR", "2")]).await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let peer = FakePeer::start_with_actors(&["loud", "quiet"]).await;
    let like_as = |name: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/{}", peer.base, rand_id()),
            "type": "Like", "actor": peer.actor_named(name),
            "object": format!("{}/notes/1", peer.base),
        })
    };
    for _ in 0..2 {
        assert_eq!(
            peer.deliver_as("loud", &alpha, &domain, "/inbox", &like_as("loud"))
                .await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        peer.deliver_as("loud", &alpha, &domain, "/inbox", &like_as("loud"))
            .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        peer.deliver_as("quiet", &alpha, &domain, "/inbox", &like_as("quiet"))
            .await,
        StatusCode::ACCEPTED
    );
}

/// A remote actor the moderators limit leaves the directory at once, stays out when its
/// space publishes it again, and comes back when the limit is lifted.
#[tokio::test]
async fn a_limited_remote_actor_leaves_the_directory_until_the_limit_is_lifted() {
    let sync = [("GUILDHALL_DIRECTORY_SYNC_SECS", "1")];
    let (alpha, admin) = TestApp::spawn_named_with("alpha", &sync).await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let beta_domain = format!("beta.test:{}", port_of(&beta));
    let bob = beta.member("bob").await;
    let cleo = beta.member("cleo").await;
    let bob_uri = format!("http://{beta_domain}/members/bob");
    let listed = |token: String, name: &'static str| {
        let beta = &beta;
        async move {
            let r = beta
                .send_json(
                    reqwest::Method::PATCH,
                    Some(&token),
                    "/api/v1/me",
                    &json!({"display_name": name, "discoverable": true}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
        }
    };
    let total = |q: &'static str| {
        let alpha = &alpha;
        async move {
            let r = alpha.get(None, &format!("/api/v1/directory?q={q}")).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["total"].as_i64().unwrap()
        }
    };
    listed(bob.clone(), "Bob Watchseller").await;
    let r = alpha
        .post_json(
            Some(&admin),
            "/api/v1/peers",
            &json!({"domain": beta_domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    eventually("bob in alpha's directory", || async {
        (total("watchseller").await == 1).then_some(())
    })
    .await;

    let id = file_report(
        &alpha,
        &admin,
        json!({"target": bob_uri, "category": "spam", "comment": "Sells watches"}),
    )
    .await;
    let act = |action: &'static str| act_on_report(&alpha, &admin, id, action, "spam");
    act("limit").await;
    assert_eq!(
        total("watchseller").await,
        0,
        "gone in the limiting transaction"
    );

    // Beta publishes bob again (an edit), then cleo: once cleo is in, the pull has read bob's
    // change too, and refused it.
    listed(bob.clone(), "Bob Watchseller Again").await;
    listed(cleo.clone(), "Cleo Clockmaker").await;
    eventually("cleo in alpha's directory", || async {
        (total("clockmaker").await == 1).then_some(())
    })
    .await;
    assert_eq!(total("watchseller").await, 0, "kept out while limited");

    act("unlimit").await;
    eventually("bob back once the limit is lifted", || async {
        (total("watchseller").await == 1).then_some(())
    })
    .await;
}
