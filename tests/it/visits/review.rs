//! Visits reviewed by staff: a trusted space marked "review visits" has its members' requests
//! kept pending on the host until an administrator accepts (seat and quota checked again) or
//! rejects them; the answer reaches the guest space, whose member is notified (accepted,
//! refused with the reason, cancelled by the host); two staff accepting at once send one answer.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{answered, ask, at, bookings_of, desk, domain, wait_state};
use crate::federation::{eventually, FakePeer};
use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD};

async fn trust_reviewed(app: &TestApp, admin: &str, domain: &str) {
    let r = app
        .send_json(
            Method::PUT,
            Some(admin),
            &format!("/api/v1/admin/trusted-spaces/{domain}"),
            &json!({"visit_days_per_month": 10, "review_visits": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["review_visits"], true, "{t}");
}

/// The requests in `state` on the host, as its admin sees them.
async fn requests(app: &TestApp, admin: &str, state: &str) -> Vec<Value> {
    let v: Value = app
        .get(Some(admin), &format!("/api/v1/admin/visits?state={state}"))
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until the host holds `n` requests in `state`; them.
async fn wait_requests(app: &TestApp, admin: &str, state: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {state} requests"), || async {
        let items = requests(app, admin, state).await;
        (items.len() == n).then_some(items)
    })
    .await
}

/// Waits for a notification of `kind` to the holder of `token`; it.
async fn notification(app: &TestApp, token: &str, kind: &str) -> Value {
    eventually(&format!("a {kind} notification"), || async {
        let v: Value = app
            .get(Some(token), "/api/v1/notifications")
            .await
            .json()
            .await
            .ok()?;
        v["items"]
            .as_array()?
            .iter()
            .find(|n| n["kind"] == kind)
            .cloned()
    })
    .await
}

async fn accept(app: &TestApp, admin: &str, id: i64) -> reqwest::Response {
    app.post_json(
        Some(admin),
        &format!("/api/v1/admin/visits/{id}/accept"),
        &json!({}),
    )
    .await
}

async fn reject(app: &TestApp, admin: &str, id: i64, reason: &str) -> reqwest::Response {
    app.post_json(
        Some(admin),
        &format!("/api/v1/admin/visits/{id}/reject"),
        &json!({"reason": reason}),
    )
    .await
}

#[tokio::test]
async fn reviewed_visits_wait_for_staff_and_the_member_hears_every_answer() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let (alpha_d, beta_d) = (domain(&alpha, "alpha"), domain(&beta, "beta"));
    let id = desk(&alpha, &alpha_admin, "Corner desk").await;
    trust_reviewed(&alpha, &alpha_admin, &beta_d).await;
    let ada = beta.member("ada").await;
    let carl = alpha.member("carl").await;

    // Ada asks: alpha keeps the request, books nothing, answers nothing yet.
    let (from, to) = (at(5, "09:00"), at(5, "12:00"));
    let first = ask(&beta, &ada, &alpha_d, id, &from, &to).await;
    let first_id = first["id"].as_i64().unwrap();
    let pending = wait_requests(&alpha, &alpha_admin, "pending", 1).await;
    let label = pending[0]["visitor_label"].as_str().unwrap();
    assert!(label.contains(", member of "), "{label}");
    assert_eq!(pending[0]["resource_name"], "Corner desk");
    assert!(bookings_of(&alpha, &alpha_admin, id).await.is_empty());
    let told = notification(&alpha, &alpha_admin, "visit_request").await;
    assert_eq!(told["link"], "/admin/visits");
    let mine: Value = beta
        .get(Some(&ada), "/api/v1/visits")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["state"], "pending");

    // Staff see it on their page, with Accept and a confirmed Reject.
    let boss = alpha.signed_in("boss", ADMIN_PASSWORD).await;
    let page = boss
        .get(alpha.url("/admin/visits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(label) && page.contains("Yes, reject it"),
        "{page}"
    );

    // A member of alpha takes the desk meanwhile: accepting now is refused and the request
    // stays pending; staff reject it with a reason, which reaches Ada.
    let r = alpha
        .post_json(
            Some(&carl),
            &format!("/api/v1/resources/{id}/bookings"),
            &json!({"starts_at": at(5, "10:00"), "ends_at": at(5, "11:00")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let rid = pending[0]["id"].as_i64().unwrap();
    let e = assert_error(
        accept(&alpha, &alpha_admin, rid).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(e.to_string().contains("already booked"), "{e}");
    assert_eq!(requests(&alpha, &alpha_admin, "pending").await.len(), 1);
    let too_long = "x".repeat(301);
    assert_error(
        reject(&alpha, &alpha_admin, rid, &too_long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    let r = reject(&alpha, &alpha_admin, rid, "The desk is taken that morning.").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "rejected");
    let refused = wait_state(&beta, &ada, first_id, "rejected").await;
    assert_eq!(refused["reason"], "The desk is taken that morning.");
    let n = notification(&beta, &ada, "visit_rejected").await;
    assert!(
        n["summary"]
            .as_str()
            .unwrap()
            .contains("taken that morning"),
        "{n}"
    );
    assert_error(
        reject(&alpha, &alpha_admin, rid, "again").await,
        StatusCode::CONFLICT,
        None,
    )
    .await;

    // Another day: staff accept from the page; Ada's visit is booked and she is told.
    let second = ask(&beta, &ada, &alpha_d, id, &at(6, "09:00"), &at(6, "12:00")).await;
    let second_id = second["id"].as_i64().unwrap();
    let pending = wait_requests(&alpha, &alpha_admin, "pending", 1).await;
    let rid = pending[0]["id"].as_i64().unwrap();
    let page = boss
        .get(alpha.url("/admin/visits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = boss
        .post(alpha.url(&format!("/admin/visits/{rid}/accept")))
        .form(&[("csrf", csrf_from(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(answered(&beta, &ada, second_id).await["state"], "accepted");
    let n = notification(&beta, &ada, "visit_accepted").await;
    assert!(
        n["summary"].as_str().unwrap().contains("Corner desk"),
        "{n}"
    );
    let held: Vec<Value> = bookings_of(&alpha, &alpha_admin, id)
        .await
        .into_iter()
        .filter(|b| b["booker_kind"] == "visitor")
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    let done = requests(&alpha, &alpha_admin, "accepted").await;
    assert_eq!(done[0]["booking"], held[0]["id"]);

    // Alpha's staff cancel the booking: Ada is told.
    let r = alpha
        .send_json(
            Method::DELETE,
            Some(&alpha_admin),
            &format!("/api/v1/bookings/{}", held[0]["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    wait_state(&beta, &ada, second_id, "cancelled").await;
    notification(&beta, &ada, "visit_cancelled").await;
    let page = beta
        .signed_in("ada", crate::support::PASSWORD)
        .await
        .get(beta.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Your visit is booked") && page.contains("cancelled"),
        "{page}"
    );

    // A request Ada withdraws before review is cancelled on alpha.
    let third = ask(&beta, &ada, &alpha_d, id, &at(7, "09:00"), &at(7, "10:00")).await;
    wait_requests(&alpha, &alpha_admin, "pending", 1).await;
    let r = beta
        .send_json(
            Method::DELETE,
            Some(&ada),
            &format!("/api/v1/visits/{}", third["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    wait_requests(&alpha, &alpha_admin, "cancelled", 1).await;
    assert!(requests(&alpha, &alpha_admin, "pending").await.is_empty());
}

#[tokio::test]
async fn staff_accepting_at_once_book_once_and_send_one_answer() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let alpha_d = domain(&alpha, "alpha");
    let id = desk(&alpha, &alpha_admin, "Desk").await;
    let peer = FakePeer::start_with_actors(&["ada"]).await;
    let peer_d = peer.base.trim_start_matches("http://").to_string();
    trust_reviewed(&alpha, &alpha_admin, &peer_d).await;
    let offer = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/offers/1", peer.base),
        "type": "Offer",
        "actor": peer.actor_named("ada"),
        "to": [format!("http://{alpha_d}/")],
        "object": {
            "id": format!("{}/reservations/1", peer.base),
            "type": "Reservation",
            "attributedTo": peer.actor_named("ada"),
            "resource": format!("http://{alpha_d}/resources/{id}"),
            "startTime": at(2, "09:00"),
            "endTime": at(2, "10:00"),
        }
    });
    let status = peer
        .deliver_as("ada", &alpha, &alpha_d, "/inbox", &offer)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let pending = wait_requests(&alpha, &alpha_admin, "pending", 1).await;
    let rid = pending[0]["id"].as_i64().unwrap();
    // The same Offer again keeps one request.
    peer.deliver_as("ada", &alpha, &alpha_d, "/inbox", &offer)
        .await;

    // Not for members; unknown ids and filters are clear errors.
    let carl = alpha.member("carl").await;
    assert_eq!(
        accept(&alpha, &carl, rid).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        accept(&alpha, &alpha_admin, rid + 1000).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = alpha
        .get(Some(&alpha_admin), "/api/v1/admin/visits?state=maybe")
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("state")).await;

    // Eight staff requests at once: one books and answers, the others are told it was
    // answered.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = alpha.api.clone();
        let url = alpha.url(&format!("/api/v1/admin/visits/{rid}/accept"));
        let token = alpha_admin.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .expect("sent")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("joined"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
    assert_error(
        reject(&alpha, &alpha_admin, rid, "late").await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    eventually("the Accept", || async {
        peer.received_of("Accept").into_iter().next()
    })
    .await;
    assert_eq!(bookings_of(&alpha, &alpha_admin, id).await.len(), 1);
    assert_eq!(requests(&alpha, &alpha_admin, "all").await.len(), 1);
    // The host queued exactly one answer (the answer is queued in the transaction that
    // accepts), and the peer got one Accept and no Reject.
    let queued: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id \
         WHERE a.kind IN ('Accept', 'Reject')",
    )
    .fetch_one(alpha.db.writer())
    .await
    .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(peer.received_of("Accept").len(), 1);
    assert!(peer.received_of("Reject").is_empty());
}
