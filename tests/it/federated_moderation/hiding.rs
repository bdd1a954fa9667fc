//! What the moderators' limits on remote actors and a member's own rules hide, as they arrive
//! from other servers: a suspended actor's activities are dropped at the dispatcher (its own
//! deletions still honoured) and what it wrote before is hidden from threads, the API, its
//! page and messages; a limited actor's follows wait for approval and it is kept out of public
//! views; a domain a member hides leaves their timelines; an organiser's block refuses a Join;
//! Flags from a blocked domain are refused and long comments are cut.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{act_on_report, file_report, flag, post, reports};
use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::support::{ahead, TestApp};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A `Create` of a `Note` by `name` of `peer` with `object` laid over its defaults (public).
fn note(peer: &FakePeer, name: &str, content: &str, object: Value) -> Value {
    let mut note = json!({
        "id": format!("{}/notes/{}", peer.base, rand_id()), "type": "Note",
        "attributedTo": peer.actor_named(name), "content": content,
        "to": [PUBLIC], "published": "2026-11-24T10:00:00Z"
    });
    for (k, v) in object.as_object().unwrap() {
        note[k] = v.clone();
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
        "actor": peer.actor_named(name), "object": note
    })
}

/// A public event of ada's, as the API takes it.
fn event_body() -> Value {
    json!({"title": "Standup", "description": "Daily.", "starts_at": ahead("06-01T18:00"),
        "ends_at": ahead("06-01T19:00"), "timezone": "Europe/Lisbon",
        "place_name": "Harbour Works", "street_address": "Rua do Cais 1",
        "postal_code": "1200-001", "locality": "Lisbon", "country": "Portugal",
        "category": "SCIENCE_TECH"})
}

/// Creates ada's public event; its address.
async fn new_event(alpha: &TestApp, ada: &str) -> String {
    let event = alpha
        .post_json(Some(ada), "/api/v1/events", &event_body())
        .await;
    assert_eq!(
        event.status(),
        StatusCode::CREATED,
        "{:?}",
        event.text().await
    );
    event.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string()
}

fn mention(whom: &str) -> Value {
    json!({"cc": [whom], "tag": [{"type": "Mention", "href": whom, "name": "@ada"}]})
}

async fn status(app: &TestApp, token: Option<&str>, path: &str) -> StatusCode {
    app.get(token, path).await.status()
}

async fn items(app: &TestApp, token: Option<&str>, path: &str) -> Vec<Value> {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let body: Value = r.json().await.unwrap();
    body["items"].as_array().cloned().unwrap_or_default()
}

/// The notifications of `token` about `actor`.
async fn notified_by(app: &TestApp, token: &str, actor: &str) -> usize {
    items(app, Some(token), "/api/v1/notifications")
        .await
        .iter()
        .filter(|n| n["actor"] == actor)
        .count()
}

#[tokio::test]
async fn a_suspended_remote_actor_is_dropped_at_the_inbox_and_hidden_everywhere() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start_with_actors(&["bad", "good"]).await;
    let bad = peer.actor_named("bad");
    let good = peer.actor_named("good");
    let ada_post = post(&alpha, &ada, "Coffee at ten?").await;
    let deliver = |activity: Value, as_: &'static str| {
        let (alpha, peer, domain) = (&alpha, &peer, domain.clone());
        async move {
            let s = peer
                .deliver_as(as_, alpha, &domain, "/inbox", &activity)
                .await;
            assert_eq!(s, StatusCode::ACCEPTED);
        }
    };

    // Before the suspension: a mention and a public reply, both received.
    let early = note(&peer, "bad", "Hello @ada", mention(&ada_uri));
    let early_id = early["object"]["id"].as_str().unwrap().to_string();
    deliver(early, "bad").await;
    let reply = note(
        &peer,
        "bad",
        "Spam reply",
        json!({"inReplyTo": ada_post, "cc": [ada_uri]}),
    );
    let reply_id = reply["object"]["id"].as_str().unwrap().to_string();
    deliver(reply, "bad").await;
    let replies_path = format!("/api/v1/replies?uri={}", encode(&ada_post));
    eventually("the reply in the thread", || async {
        (items(&alpha, Some(&ada), &replies_path).await.len() == 1).then_some(())
    })
    .await;
    eventually("the mention notified", || async {
        (notified_by(&alpha, &ada, &bad).await >= 1).then_some(())
    })
    .await;
    let notified_before = notified_by(&alpha, &ada, &bad).await;

    let id = file_report(
        &alpha,
        &ada,
        json!({"target": bad, "category": "spam", "comment": "Spam replies"}),
    )
    .await;
    act_on_report(&alpha, &admin, id, "suspend", "spam").await;

    // What it wrote before is gone for members and anonymous readers, not for moderators.
    assert!(items(&alpha, Some(&ada), &replies_path).await.is_empty());
    assert!(items(&alpha, None, &replies_path).await.is_empty());
    // Moderators too: out of every thread, reachable by its address.
    assert!(items(&alpha, Some(&admin), &replies_path).await.is_empty());
    let page = alpha
        .get(
            Some(&ada),
            &format!("/posts/{}", ada_post.rsplit('/').next().unwrap()),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Coffee at ten?") && !page.contains("Spam reply"));
    let reply_api = format!("/api/v1/posts?uri={}", encode(&reply_id));
    assert_eq!(
        status(&alpha, Some(&ada), &reply_api).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&alpha, Some(&admin), &reply_api).await,
        StatusCode::OK
    );
    let thread = format!("/thread?uri={}", encode(&reply_id));
    assert_eq!(
        status(&alpha, Some(&ada), &thread).await,
        StatusCode::NOT_FOUND
    );
    let profile = format!("/actors?uri={}", encode(&bad));
    assert_eq!(
        status(&alpha, Some(&ada), &profile).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(&alpha, None, &profile).await, StatusCode::NOT_FOUND);
    assert_eq!(status(&alpha, Some(&admin), &profile).await, StatusCode::OK);

    // What it sends now is dropped: a mention, a message, a like, a boost, a join.
    deliver(note(&peer, "bad", "Again @ada", mention(&ada_uri)), "bad").await;
    deliver(
        note(&peer, "bad", "Secret offer", json!({"to": [ada_uri]})),
        "bad",
    )
    .await;
    for kind in ["Like", "Announce"] {
        let reaction = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/r/{}", peer.base, rand_id()), "type": kind, "actor": bad,
            "object": ada_post, "to": [PUBLIC]});
        deliver(reaction, "bad").await;
    }
    let event_uri = new_event(&alpha, &ada).await;
    let join = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/joins/{}", peer.base, rand_id()), "type": "Join", "actor": bad,
        "object": event_uri});
    deliver(join, "bad").await;
    // A marker from its neighbour: once it is in, everything before it was processed.
    deliver(
        note(&peer, "good", "Marker @ada", mention(&ada_uri)),
        "good",
    )
    .await;
    eventually("the marker notified", || async {
        (notified_by(&alpha, &ada, &good).await == 1).then_some(())
    })
    .await;
    // What it caused before has left ada's notifications too (until the suspension is
    // lifted, below: then only those come back).
    assert_eq!(notified_by(&alpha, &ada, &bad).await, 0);
    let token = ada_post.rsplit('/').next().unwrap();
    let p: Value = alpha
        .get(None, &format!("/api/v1/posts/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&p["likes_count"], &p["announces_count"]),
        (&json!(0), &json!(0))
    );
    let conversations = alpha.get(Some(&ada), "/api/v1/conversations").await;
    assert!(!conversations.text().await.unwrap().contains("Secret offer"));
    assert!(peer.received_of("Accept").is_empty() && peer.received_of("Reject").is_empty());

    // Taking back its own things is still honoured: its Delete of the early mention.
    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/delete/{}", peer.base, rand_id()), "type": "Delete", "actor": bad,
        "object": {"id": early_id, "type": "Tombstone"}});
    deliver(delete, "bad").await;
    let early_api = format!("/api/v1/posts?uri={}", encode(&early_id));
    eventually("the deletion honoured", || async {
        (status(&alpha, Some(&admin), &early_api).await == StatusCode::GONE).then_some(())
    })
    .await;

    // Lifted: its earlier notifications return, and nothing it sent meanwhile was kept.
    act_on_report(&alpha, &admin, id, "unsuspend", "appeal").await;
    assert_eq!(notified_by(&alpha, &ada, &bad).await, notified_before);
}

#[tokio::test]
async fn a_limited_remote_actor_waits_for_approval_and_stays_out_of_public_views() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let ada_post = post(&alpha, &ada, "Who is in today?").await;

    // Known here by its first mention; then limited.
    let first = note(
        &peer,
        "",
        "Hi @ada #cowork",
        json!({"cc": [ada_uri], "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"},
            {"type": "Hashtag", "name": "#cowork", "href": "https://gamma.test/tags/cowork"}]}),
    );
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &first).await,
        StatusCode::ACCEPTED
    );
    eventually("the first mention", || async {
        (items(&alpha, None, "/api/v1/tags/cowork").await.len() == 1).then_some(())
    })
    .await;
    let id = file_report(
        &alpha,
        &admin,
        json!({"target": peer.actor(), "category": "spam", "comment": "Noisy"}),
    )
    .await;
    act_on_report(&alpha, &admin, id, "limit", "noisy").await;

    // Its follow of an unlocked member waits for approval: no Accept goes out.
    let follow = peer.follow(&ada_uri);
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &follow).await,
        StatusCode::ACCEPTED
    );
    let reply = note(
        &peer,
        "",
        "A reply",
        json!({"inReplyTo": ada_post, "cc": [ada_uri]}),
    );
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &reply).await,
        StatusCode::ACCEPTED
    );
    let replies_path = format!("/api/v1/replies?uri={}", encode(&ada_post));
    eventually("the reply in the thread", || async {
        (items(&alpha, Some(&ada), &replies_path).await.len() == 1).then_some(())
    })
    .await;
    let requests = items(&alpha, Some(&ada), "/api/v1/followers").await;
    assert!(
        requests
            .iter()
            .any(|f| f["uri"] == peer.actor() && f["state"] == "pending"),
        "{requests:?}"
    );
    assert!(peer.received_of("Accept").is_empty());

    // Kept out of public views: tag pages (for members too), anonymous threads, its page
    // for anonymous readers; members still see its reply and its page.
    assert!(items(&alpha, None, "/api/v1/tags/cowork").await.is_empty());
    assert!(items(&alpha, Some(&ada), "/api/v1/tags/cowork")
        .await
        .is_empty());
    assert!(items(&alpha, None, &replies_path).await.is_empty());
    let profile = format!("/actors?uri={}", encode(&peer.actor()));
    assert_eq!(status(&alpha, None, &profile).await, StatusCode::NOT_FOUND);
    assert_eq!(status(&alpha, Some(&ada), &profile).await, StatusCode::OK);

    // Lifted: public again.
    act_on_report(&alpha, &admin, id, "unlimit", "calmer").await;
    assert_eq!(items(&alpha, None, "/api/v1/tags/cowork").await.len(), 1);
    assert_eq!(items(&alpha, None, &replies_path).await.len(), 1);
}

#[tokio::test]
async fn a_hidden_domain_leaves_timelines_and_an_organisers_block_refuses_a_join() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let hello = note(&peer, "", "Hello from gamma @ada", mention(&ada_uri));
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &hello).await,
        StatusCode::ACCEPTED
    );
    let home = || async {
        let r = alpha.get(Some(&ada), "/api/v1/timelines/home").await;
        r.text().await.unwrap()
    };
    eventually("the mention in the home timeline", || async {
        home().await.contains("Hello from gamma").then_some(())
    })
    .await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/domain_blocks",
            &json!({"domain": "gamma.test"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    assert!(!home().await.contains("Hello from gamma"));
    let page = alpha.get(Some(&ada), "/home").await.text().await.unwrap();
    assert!(!page.contains("Hello from gamma"));

    // The organiser blocks the peer: its Join of her event is answered with a Reject.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/blocks",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let event_uri = new_event(&alpha, &ada).await;
    let join = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/joins/{}", peer.base, rand_id()), "type": "Join",
        "actor": peer.actor(), "object": event_uri});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &join).await,
        StatusCode::ACCEPTED
    );
    let reject = eventually("the Reject", || async {
        peer.received_of("Reject").into_iter().next()
    })
    .await;
    assert_eq!(reject["object"]["id"], join["id"]);
    assert!(peer.received_of("Accept").is_empty());
    let token = event_uri.rsplit('/').next().unwrap();
    let e: Value = alpha
        .get(None, &format!("/api/v1/events/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["participant_count"], 0, "{e}");
}

#[tokio::test]
async fn a_long_flag_comment_is_cut_and_a_flag_from_a_blocked_domain_is_refused() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let _ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let long = "é".repeat(5000);
    let status = peer
        .deliver(
            &alpha,
            &domain,
            "/inbox",
            &flag(&peer, json!([ada_uri]), &long),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let items = eventually("the Flag in the queue", || async {
        let items = reports(&alpha, &admin).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    let comment = items[0]["comment"].as_str().unwrap();
    assert_eq!(comment.chars().count(), 1000);
    assert!(comment.chars().all(|c| c == 'é'));

    // Its domain blocked, the next Flag is refused at the inbox and nothing is stored.
    let r = alpha
        .post_json(
            Some(&admin),
            "/api/v1/admin/domains",
            &json!({"domain": "gamma.test", "policy": "block"}),
        )
        .await;
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let status = peer
        .deliver(
            &alpha,
            &domain,
            "/inbox",
            &flag(&peer, json!([ada_uri]), "again"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(reports(&alpha, &admin).await.len(), 1);
}

#[tokio::test]
async fn a_flag_from_a_domain_whose_reports_are_rejected_is_dropped_with_a_log_line() {
    let logs = crate::support::Logs::capture();
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let _ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    // A Mastodon list that keeps talking to the peer's domain but takes no reports from it.
    let r = alpha
        .api
        .post(alpha.url("/api/v1/admin/domains/import"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\ngamma.test,noop,false,true,,false\n")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let status = peer
        .deliver(
            &alpha,
            &domain,
            "/inbox",
            &flag(
                &peer,
                json!([ada_uri]),
                "from a domain we do not hear reports from",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "the domain is not blocked");
    eventually("the Flag dropped with a log line", || async {
        logs.text()
            .contains("a Flag from a domain whose reports are rejected was dropped")
            .then_some(())
    })
    .await;
    assert!(reports(&alpha, &admin).await.is_empty());
}
