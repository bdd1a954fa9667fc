//! What must not happen at the federation floor: private posts, messages and events leaving
//! for servers they are not addressed to; signed requests replayed from another host; keys that
//! do not verify; refusals retried, or retries given up too soon; activities processed forever.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row as _;

use crate::delivery::{
    all_in_state, assert_once, deliveries, eventually as eventually_within, host_health, inbox_for,
    publish, start, Receiver, QUICK,
};
use crate::federation::{eventually, port_of, FakePeer};
use crate::support::{eventually_exactly, TestApp};

/// The path of a URL on an instance.
fn path_of(uri: &str) -> String {
    url::Url::parse(uri).unwrap().path().to_string()
}

/// A wall time `days` from today, as the event form takes it.
fn in_days(days: i64, time: &str) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    format!("{}T{time}", day.format("%Y-%m-%d"))
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{what}: {body}");
    body
}

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    created(
        app.post_json(Some(token), "/api/v1/posts", &body).await,
        "a post",
    )
    .await
}

async fn message(app: &TestApp, token: &str, to: &str, text: &str) -> Value {
    created(
        app.post_json(
            Some(token),
            "/api/v1/messages",
            &json!({"to": [to], "text": text}),
        )
        .await,
        "a message",
    )
    .await
}

async fn event(app: &TestApp, token: &str, title: &str, visibility: &str) -> Value {
    created(
        app.post_json(
            Some(token),
            "/api/v1/events",
            &json!({
                "title": title,
                "description": "Upstairs.",
                "starts_at": in_days(30, "18:00"),
                "ends_at": in_days(30, "20:00"),
                "timezone": "Europe/Lisbon",
                "visibility": visibility,
            }),
        )
        .await,
        "an event",
    )
    .await
}

/// `peer` follows `actor` on `app`, and the follow is accepted.
async fn follow(app: &TestApp, domain: &str, peer: &FakePeer, actor: &str) {
    let accepts = peer.received_of("Accept").len();
    assert_eq!(
        peer.deliver(app, domain, "/inbox", &peer.follow(actor))
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the follow to be accepted", || async {
        (peer.received_of("Accept").len() > accepts).then_some(())
    })
    .await;
}

/// Every activity `peer` received, as text, with the ones that contain `marker`.
fn containing(peer: &FakePeer, marker: &str) -> Vec<Value> {
    peer.received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.to_string().contains(marker))
        .cloned()
        .collect()
}

// --- delivery-side privacy ---------------------------------------------------------------------

#[tokio::test]
async fn private_posts_messages_and_events_reach_only_their_addressees() {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let bob = alpha.member("bob").await;
    // The peer follows Ada and nobody else; another server follows nobody.
    let peer = FakePeer::start().await;
    let other = FakePeer::start().await;
    follow(
        &alpha,
        &domain,
        &peer,
        &format!("http://{domain}/members/ada"),
    )
    .await;

    // What must never leave this space, even though it names the peer or is by the author the
    // peer follows. `SECRET` marks all of it.
    post(
        &alpha,
        &ada,
        json!({"text": "SECRET members only", "visibility": "members", "to": [peer.actor()]}),
    )
    .await;
    event(&alpha, &ada, "SECRET members event", "members").await;
    message(&alpha, &ada, "@bob", "SECRET for Bob here").await;
    // Nor what is for someone else: Bob's followers (none remote), Bob's public posts (no
    // remote follower), a message to the other server.
    post(
        &alpha,
        &bob,
        json!({"text": "SECRET Bob's followers", "visibility": "followers"}),
    )
    .await;
    event(&alpha, &bob, "SECRET Bob's followers event", "followers").await;
    post(&alpha, &bob, json!({"text": "SECRET Bob in public"})).await;
    message(&alpha, &ada, &other.actor(), "FOR-OTHER a word").await;
    // What is for the peer: a message to it, Ada's followers-only event, and last Ada's public
    // post, the barrier.
    message(&alpha, &ada, &peer.actor(), "FOR-PEER message").await;
    event(&alpha, &ada, "FOR-PEER followers event", "followers").await;
    post(&alpha, &ada, json!({"text": "FOR-PEER public"})).await;

    eventually("the public post at the peer", || async {
        (!containing(&peer, "FOR-PEER public").is_empty()).then_some(())
    })
    .await;
    eventually("an empty delivery queue", || async {
        let overview: Value = alpha
            .get(Some(&admin), "/api/v1/admin/deliveries")
            .await
            .json()
            .await
            .ok()?;
        (overview["totals"]["queued"] == 0).then_some(())
    })
    .await;
    // The Accept, and the three addressed to it: nothing else, now or a moment later.
    eventually_exactly(4, "activities at the peer", || async {
        peer.received.lock().unwrap().len()
    })
    .await;
    eventually_exactly(1, "activities at the other server", || async {
        other.received.lock().unwrap().len()
    })
    .await;

    assert!(containing(&peer, "SECRET").is_empty());
    assert!(containing(&peer, "FOR-OTHER").is_empty());
    assert!(containing(&other, "SECRET").is_empty());
    assert!(containing(&other, "FOR-PEER").is_empty());
    for marker in [
        "FOR-PEER message",
        "FOR-PEER followers event",
        "FOR-PEER public",
    ] {
        let got = containing(&peer, marker);
        assert_eq!(got.len(), 1, "{marker}: {got:?}");
        assert_eq!(got[0]["type"], "Create", "{marker}");
    }
    let dm = &containing(&peer, "FOR-PEER message")[0];
    assert_eq!(dm["object"]["to"], json!([peer.actor()]));
    let to_other = &containing(&other, "FOR-OTHER")[0];
    assert_eq!(to_other["type"], "Create");
    assert_eq!(to_other["object"]["to"], json!([other.actor()]));
}

// --- signed requests ---------------------------------------------------------------------------

/// An instance where the peer follows Ada, who wrote a followers-only post; returns the
/// instance, its domain and the post's path.
async fn followers_only_post(peer: &FakePeer) -> (TestApp, String, String) {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    follow(
        &alpha,
        &domain,
        peer,
        &format!("http://{domain}/members/ada"),
    )
    .await;
    let p = post(
        &alpha,
        &ada,
        json!({"text": "desk 12 is free", "visibility": "followers"}),
    )
    .await;
    let path = path_of(p["uri"].as_str().unwrap());
    (alpha, domain, path)
}

#[tokio::test]
async fn a_signed_fetch_made_for_another_host_is_refused() {
    let peer = FakePeer::start().await;
    let (alpha, domain, path) = followers_only_post(&peer).await;
    let r = peer.get_signed(&alpha, &domain, &path, false).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The same follower's fetch, signed for another server and replayed here.
    for elsewhere in ["beta.test:1", "alpha.test:1", "beta.test"] {
        let r = peer.get_signed(&alpha, elsewhere, &path, false).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{elsewhere}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_and_an_unpublished_one_is_refused() {
    let peer = FakePeer::start().await;
    // The follow has the peer's first key cached here.
    let (alpha, domain, path) = followers_only_post(&peer).await;

    // The peer rotates its key: the cached one fails, the actor is fetched again, and the
    // activity is accepted and processed.
    peer.new_key(true);
    assert_eq!(
        peer.deliver(
            &alpha,
            &domain,
            "/inbox",
            &peer.follow(&format!("http://{domain}/members/boss"))
        )
        .await,
        StatusCode::ACCEPTED
    );
    eventually_exactly(2, "Accepts at the peer", || async {
        peer.received_of("Accept").len()
    })
    .await;
    // Signed fetches follow a rotation the same way.
    peer.new_key(true);
    let r = peer.get_signed(&alpha, &domain, &path, false).await;
    assert_eq!(r.status(), StatusCode::OK);

    // A key the actor's document does not publish verifies neither cached nor fetched again.
    peer.new_key(false);
    let space = peer.follow(&format!("http://{domain}/"));
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &space).await,
        StatusCode::UNAUTHORIZED
    );
    let r = peer.get_signed(&alpha, &domain, &path, false).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Nothing of the refused activity was processed.
    eventually_exactly(2, "Accepts at the peer", || async {
        peer.received_of("Accept").len()
    })
    .await;
}

// --- the inbox processor -----------------------------------------------------------------------

#[tokio::test]
async fn an_activity_that_keeps_failing_is_given_up_after_five_attempts() {
    use guildhall::hub::inbound as inbox;
    let (app, _, _dir) = start(&[]).await;
    let db = app.state.db.clone();
    // A stored activity whose processing fails every time (a body the processor cannot read).
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at) \
         VALUES ($1, $2, 'Create', '{not json', $3) RETURNING id",
    )
    .bind("https://gamma.example/activities/broken")
    .bind("https://gamma.example/actor")
    .bind(guildhall::storage::now_ms())
    .fetch_one(db.writer())
    .await
    .unwrap();
    let row = |id: i64| {
        let db = db.clone();
        async move {
            let r = sqlx::query(
                "SELECT attempts, error, processed_at FROM inbox_activities WHERE id = $1",
            )
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap();
            (
                r.get::<i64, _>("attempts"),
                r.get::<Option<String>, _>("error"),
                r.get::<Option<i64>, _>("processed_at"),
            )
        }
    };

    for attempt in 1..=5 {
        if attempt > 1 {
            // Its retry is due now rather than in 30 s × attempts; the error is cleared so the
            // next one recorded is this attempt's.
            sqlx::query(
                "UPDATE inbox_activities SET lease_until = 0, error = NULL \
                 WHERE id = $1 AND attempts = $2 AND processed_at IS NULL",
            )
            .bind(id)
            .bind(attempt - 1)
            .execute(db.writer())
            .await
            .unwrap();
        }
        // The background processor may take it first; either way it is tried once.
        inbox::process_batch(&app.state).await.unwrap();
        let (_, _, processed) = eventually_within(20, "the attempt to be recorded", || async {
            let (attempts, error, processed) = row(id).await;
            (attempts == attempt && error.is_some()).then_some((attempts, error, processed))
        })
        .await;
        assert_eq!(processed.is_some(), attempt == 5, "attempt {attempt}");
    }

    // Given up: made due again, it is not taken again.
    sqlx::query("UPDATE inbox_activities SET lease_until = 0 WHERE id = $1")
        .bind(id)
        .execute(db.writer())
        .await
        .unwrap();
    assert_eq!(inbox::process_batch(&app.state).await.unwrap(), 0);
    eventually_exactly(5, "attempts", || async { row(id).await.0 as usize }).await;
}

#[tokio::test]
async fn an_activity_that_does_not_read_is_dropped_at_once() {
    use guildhall::hub::inbound as inbox;
    let (app, _, _dir) = start(&[]).await;
    let db = app.state.db.clone();
    // JSON with an id, type and actor (what the inbox checks before storing), whose embedded
    // object's id is no web address: the typed read refuses it.
    let body = json!({
        "id": "https://gamma.example/activities/hostile", "type": "Create",
        "actor": "https://gamma.example/actor",
        "object": {"id": "javascript:alert(1)", "type": "Note", "content": "hi"}
    });
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at) \
         VALUES ($1, $2, 'Create', $3, $4) RETURNING id",
    )
    .bind("https://gamma.example/activities/hostile")
    .bind("https://gamma.example/actor")
    .bind(body.to_string())
    .bind(guildhall::storage::now_ms())
    .fetch_one(db.writer())
    .await
    .unwrap();
    let row = || {
        let db = db.clone();
        async move {
            let r = sqlx::query(
                "SELECT attempts, error, processed_at FROM inbox_activities WHERE id = $1",
            )
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap();
            (
                r.get::<i64, _>("attempts"),
                r.get::<Option<String>, _>("error"),
                r.get::<Option<i64>, _>("processed_at"),
            )
        }
    };
    // The background processor may take it first; either way it is read once and done.
    inbox::process_batch(&app.state).await.unwrap();
    let (attempts, error) = eventually("the activity to be dropped", || async {
        let (attempts, error, processed) = row().await;
        processed.map(|_| (attempts, error))
    })
    .await;
    assert_eq!((attempts, error), (1, None), "dropped on its first attempt");
    // Made due again, it is not taken again.
    sqlx::query("UPDATE inbox_activities SET lease_until = 0 WHERE id = $1")
        .bind(id)
        .execute(db.writer())
        .await
        .unwrap();
    assert_eq!(inbox::process_batch(&app.state).await.unwrap(), 0);
    assert_eq!(row().await.0, 1);
}

// --- delivery answers --------------------------------------------------------------------------

#[tokio::test]
async fn refusals_401_403_404_are_final() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let mut receivers = Vec::new();
    for status in [401, 403, 404] {
        let inbox = inbox_for(&app).await;
        inbox.answer(status);
        let receiver = Receiver::start(inbox.clone()).await;
        receivers.push((status, inbox, receiver));
    }
    let targets: Vec<String> = receivers.iter().map(|(_, _, r)| r.inbox_url()).collect();
    publish(&app.state, 1, &targets).await;

    let rows =
        eventually_within(20, "the refusals", || all_in_state(&app.state, "failed", 3)).await;
    // One request each, and no retry later.
    eventually_exactly(3, "requests", || async {
        receivers.iter().map(|(_, inbox, _)| inbox.hits()).sum()
    })
    .await;
    for (status, inbox, receiver) in &receivers {
        let row = rows
            .iter()
            .find(|r| r.inbox == receiver.inbox_url())
            .unwrap();
        assert_eq!(row.last_status, Some(i64::from(*status)), "{row:?}");
        assert_eq!(row.attempts, 1, "{row:?}");
        assert_eq!(inbox.hits(), 1, "{status}");
        assert!(inbox.accepted().is_empty());
        inbox.assert_signatures_valid();
        // The host answered: it is not counted as failing.
        let host = format!("127.0.0.1:{}", receiver.port);
        assert_eq!(host_health(&app.state, &host).await, (0, 0), "{status}");
    }
}

#[tokio::test]
async fn timeouts_408_and_rate_limits_429_are_retried() {
    let (app, _, _dir) = start(&[QUICK]).await;
    let inbox = inbox_for(&app).await;
    inbox.script(&[408, 429, 408, 429]);
    let receiver = Receiver::start(inbox.clone()).await;
    let ids = publish(&app.state, 1, &[receiver.inbox_url()]).await;

    let rows = eventually_within(20, "the delivery", || {
        all_in_state(&app.state, "delivered", 1)
    })
    .await;
    assert_eq!(rows[0].attempts, 5);
    assert_eq!(rows[0].last_status, Some(202));
    eventually_exactly(5, "requests", || async { inbox.hits() }).await;
    assert_once(&inbox, &ids).await;
    inbox.assert_signatures_valid();
}

#[tokio::test]
async fn a_parked_hosts_probe_answered_with_a_refusal_brings_the_host_back() {
    // One request at a time, so the third request is the probe of the parked host.
    let (app, _, _dir) = start(&[
        ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "1000"),
        ("GUILDHALL_DELIVERY_PARK_AFTER", "2"),
        ("GUILDHALL_DELIVERY_PER_HOST", "1"),
    ])
    .await;
    let inbox = inbox_for(&app).await;
    inbox.script(&[503, 503, 404]);
    let receiver = Receiver::start(inbox.clone()).await;
    let host = format!("127.0.0.1:{}", receiver.port);
    let ids = publish(&app.state, 3, &[receiver.inbox_url()]).await;

    eventually_within(20, "the host to be parked", || async {
        let (failures, parked_until) = host_health(&app.state, &host).await;
        (failures >= 2 && parked_until > 0).then_some(())
    })
    .await;
    // The probe is refused for its inbox (404): the host answers, so it is reset and the other
    // deliveries go at once, as docs/federation.md says; the refused one is not retried.
    let rows = eventually_within(20, "every delivery settled", || async {
        let rows = deliveries(&app.state).await;
        rows.iter().all(|r| r.state != "queued").then_some(rows)
    })
    .await;
    let failed: Vec<_> = rows.iter().filter(|r| r.state == "failed").collect();
    assert_eq!(failed.len(), 1, "{rows:?}");
    assert_eq!(failed[0].last_status, Some(404));
    assert_eq!(rows.iter().filter(|r| r.state == "delivered").count(), 2);
    assert_eq!(host_health(&app.state, &host).await, (0, 0));
    // 503, 503, the probe, then the two others: nothing more.
    eventually_exactly(5, "requests", || async { inbox.hits() }).await;
    let accepted = inbox.accepted();
    assert_eq!(accepted.len(), 2);
    assert_ne!(accepted[0], accepted[1]);
    assert!(accepted.iter().all(|id| ids.contains(id)));
    inbox.assert_signatures_valid();
}

/// The processor reads the senders of a claimed batch at once; a sender's later activity in
/// the same batch still sees what its earlier one did: after its own `Delete` (the actor gone
/// here), its `Create` of a post to a member is not kept.
#[tokio::test]
async fn a_later_activity_of_a_batch_sees_its_senders_earlier_one() {
    let (alpha, _admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    alpha.member("ada").await;
    let ada = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let actor = peer.actor();
    let create = |n: u32| {
        json!({
            "id": format!("{}/activities/create-{n}", peer.base), "type": "Create",
            "actor": actor, "to": [ada],
            "object": {"id": format!("{}/notes/{n}", peer.base), "type": "Note",
                       "attributedTo": actor, "to": [ada], "content": format!("note {n}")}
        })
    };
    let held = |n: u32| {
        let db = alpha.db.clone();
        let uri = format!("{}/notes/{n}", peer.base);
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM posts WHERE uri = $1")
                .bind(uri)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    // Delivered (the inbox learns the actor), a post to a member is kept.
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &create(1)).await,
        StatusCode::ACCEPTED
    );
    eventually("the first post", || async {
        (held(1).await == 1).then_some(())
    })
    .await;

    // Its Delete of itself and then a Create, stored together: one batch.
    let delete = json!({
        "id": format!("{}/activities/delete", peer.base), "type": "Delete",
        "actor": actor, "object": actor
    });
    let now = guildhall::storage::now_ms();
    sqlx::query(
        "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at) \
         VALUES ($1, $2, 'Delete', $3, $4), ($5, $2, 'Create', $6, $4)",
    )
    .bind(delete["id"].as_str().unwrap())
    .bind(&actor)
    .bind(delete.to_string())
    .bind(now)
    .bind(create(2)["id"].as_str().unwrap())
    .bind(create(2).to_string())
    .execute(alpha.db.writer())
    .await
    .unwrap();
    eventually("both processed", || async {
        let waiting: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbox_activities WHERE processed_at IS NULL")
                .fetch_one(alpha.db.pool())
                .await
                .unwrap();
        (waiting == 0).then_some(())
    })
    .await;
    let deleted: Option<i64> =
        sqlx::query_scalar("SELECT deleted_at FROM remote_actors WHERE uri = $1")
            .bind(&actor)
            .fetch_one(alpha.db.pool())
            .await
            .unwrap();
    assert!(deleted.is_some(), "the actor deleted itself");
    assert_eq!(held(2).await, 0, "nothing kept from a deleted actor");
}
