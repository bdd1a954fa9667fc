//! Visits across spaces, between named instances over real HTTP: trusted spaces, a peer's
//! resources, a member of beta booking a desk on alpha (accepted, refused when taken, when the
//! space is not trusted, when the monthly quota is used), cancellations both ways, the quota
//! under concurrent requests, and an `Offer` signed by someone other than the visitor.

use chrono::{Datelike, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::federation::{eventually, port_of, FakePeer};
use crate::support::{assert_error, TestApp, ADMIN_PASSWORD, PASSWORD};

mod review;

/// `days` from today (UTC) at `hhmm`, with the UTC offset: both spaces read it alike.
fn at(days: i64, hhmm: &str) -> String {
    format!(
        "{}T{hhmm}:00Z",
        Utc::now().date_naive() + Duration::days(days)
    )
}

fn domain(app: &TestApp, name: &str) -> String {
    format!("{name}.test:{}", port_of(app))
}

/// A desk on `app` open to visitors, one seat; its id.
async fn desk(app: &TestApp, admin: &str, name: &str) -> i64 {
    let r = app
        .post_json(
            Some(admin),
            "/api/v1/resources",
            &json!({"name": name, "kind": "desk", "visitors": true, "max_days_ahead": 400}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn trust(app: &TestApp, admin: &str, domain: &str, days: i64) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        Some(admin),
        &format!("/api/v1/admin/trusted-spaces/{domain}"),
        &json!({"visit_days_per_month": days}),
    )
    .await
}

/// Asks `space` for resource `id` from `app` as `token`; the visit as answered (pending).
async fn ask(app: &TestApp, token: &str, space: &str, id: i64, from: &str, to: &str) -> Value {
    let r = app
        .post_json(
            Some(token),
            "/api/v1/visits",
            &json!({"space": space, "resource": id.to_string(), "starts_at": from, "ends_at": to}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["state"], "pending", "{v}");
    v
}

/// Waits until visit `id` of `token` on `app` is no longer pending; the visit.
async fn answered(app: &TestApp, token: &str, id: i64) -> Value {
    eventually(&format!("the answer to visit {id}"), || async {
        let list: Value = app
            .get(Some(token), "/api/v1/visits")
            .await
            .json()
            .await
            .ok()?;
        list["items"]
            .as_array()?
            .iter()
            .find(|v| v["id"] == id && v["state"] != "pending")
            .cloned()
    })
    .await
}

/// The visit `id` once it has `state`.
async fn wait_state(app: &TestApp, token: &str, id: i64, state: &str) -> Value {
    eventually(&format!("visit {id} {state}"), || async {
        let list: Value = app
            .get(Some(token), "/api/v1/visits")
            .await
            .json()
            .await
            .ok()?;
        list["items"]
            .as_array()?
            .iter()
            .find(|v| v["id"] == id && v["state"] == state)
            .cloned()
    })
    .await
}

/// The confirmed bookings of resource `id` in the next days, as the admin sees them.
async fn bookings_of(app: &TestApp, admin: &str, id: i64) -> Vec<Value> {
    let path = format!(
        "/api/v1/resources/{id}/bookings?from={}&to={}",
        &at(0, "00:00")[..16],
        &at(60, "00:00")[..16]
    );
    let v: Value = app.get(Some(admin), &path).await.json().await.unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_member_of_beta_books_a_desk_on_alpha_and_cancellations_travel_both_ways() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let (alpha_d, beta_d) = (domain(&alpha, "alpha"), domain(&beta, "beta"));
    let id = desk(&alpha, &alpha_admin, "Window desk").await;
    // A desk visitors may not book is not listed for them.
    let r = alpha
        .post_json(
            Some(&alpha_admin),
            "/api/v1/resources",
            &json!({"name": "Members only", "kind": "desk", "max_days_ahead": 400}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let r = trust(&alpha, &alpha_admin, &beta_d, 5).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = trust(&alpha, &alpha_admin, &beta_d, 6).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = alpha
        .get(
            Some(&alpha_admin),
            &format!("/api/v1/admin/trusted-spaces/{beta_d}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["visit_days_per_month"], 6, "{t}");

    let ada = beta.member("ada").await;
    let bob = beta.member("bob").await;
    let list: Value = beta
        .get(
            Some(&ada),
            &format!("/api/v1/spaces/resources?space={alpha_d}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["name"], "Window desk");
    assert_eq!(list["space"]["domain"], alpha_d.as_str());

    // Ada books; alpha accepts; alpha's staff see who she is.
    let (from, to) = (at(3, "09:00"), at(3, "17:00"));
    let visit = ask(&beta, &ada, &alpha_d, id, &from, &to).await;
    let vid = visit["id"].as_i64().unwrap();
    let done = answered(&beta, &ada, vid).await;
    assert_eq!(done["state"], "accepted", "{done}");
    let held = bookings_of(&alpha, &alpha_admin, id).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["booker_kind"], "visitor");
    let label = held[0]["visitor_label"].as_str().unwrap();
    assert!(
        label.contains(", member of ") && label.ends_with(&format!("({beta_d})")),
        "{label}"
    );
    // Alpha's administrators see her on the desk's day page; beta shows the visit on Ada's
    // pages.
    let boss = alpha.signed_in("boss", ADMIN_PASSWORD).await;
    let day = &from[..10];
    let page = boss
        .get(alpha.url(&format!("/resources/{id}?day={day}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(", member of "), "{page}");
    let ada_browser = beta.signed_in("ada", PASSWORD).await;
    for path in ["/visits", "/bookings"] {
        let page = ada_browser
            .get(beta.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Window desk"), "{path}: {page}");
    }

    // Bob's overlapping request is refused with the reason.
    let other = ask(&beta, &bob, &alpha_d, id, &at(3, "12:00"), &at(3, "13:00")).await;
    let other = answered(&beta, &bob, other["id"].as_i64().unwrap()).await;
    assert_eq!(other["state"], "rejected", "{other}");
    assert!(
        other["reason"].as_str().unwrap().contains("already booked"),
        "{other}"
    );

    // Ada cancels on beta: the slot is free again on alpha, and Bob gets it.
    let r = beta
        .send_json(
            Method::DELETE,
            Some(&ada),
            &format!("/api/v1/visits/{vid}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the slot freed on alpha", || async {
        bookings_of(&alpha, &alpha_admin, id)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    let again = ask(&beta, &bob, &alpha_d, id, &at(3, "12:00"), &at(3, "13:00")).await;
    let again_id = again["id"].as_i64().unwrap();
    assert_eq!(answered(&beta, &bob, again_id).await["state"], "accepted");

    // Alpha's staff cancel Bob's booking: beta shows his visit cancelled.
    let held = bookings_of(&alpha, &alpha_admin, id).await;
    assert_eq!(held.len(), 1);
    let r = alpha
        .send_json(
            Method::DELETE,
            Some(&alpha_admin),
            &format!("/api/v1/bookings/{}", held[0]["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cancelled = wait_state(&beta, &bob, again_id, "cancelled").await;
    assert!(!cancelled["reason"].as_str().unwrap().is_empty());

    // Once the space is no longer trusted, its members are refused.
    let r = alpha
        .send_json(
            Method::DELETE,
            Some(&alpha_admin),
            &format!("/api/v1/admin/trusted-spaces/{beta_d}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let refused = ask(&beta, &ada, &alpha_d, id, &at(4, "09:00"), &at(4, "10:00")).await;
    let refused = answered(&beta, &ada, refused["id"].as_i64().unwrap()).await;
    assert_eq!(refused["state"], "rejected");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("does not take visitors"),
        "{refused}"
    );
    assert!(bookings_of(&alpha, &alpha_admin, id).await.is_empty());
}

#[tokio::test]
async fn the_monthly_quota_holds_under_concurrent_requests() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let (alpha_d, beta_d) = (domain(&alpha, "alpha"), domain(&beta, "beta"));
    let id = desk(&alpha, &alpha_admin, "Quiet desk").await;
    assert_eq!(
        trust(&alpha, &alpha_admin, &beta_d, 2).await.status(),
        StatusCode::CREATED
    );
    let ada = beta.member("ada").await;
    // Four different days of one month, asked at once: exactly two are booked. The days are
    // the first of next month, so they always fall in one month.
    let today = Utc::now().date_naive();
    let next_month = today
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap();
    let first = (next_month - today).num_days();
    let span = |d: i64| (at(first + d, "09:00"), at(first + d, "12:00"));
    let (s0, s1, s2, s3) = (span(0), span(1), span(2), span(3));
    let (a, b, c, d) = tokio::join!(
        ask(&beta, &ada, &alpha_d, id, &s0.0, &s0.1),
        ask(&beta, &ada, &alpha_d, id, &s1.0, &s1.1),
        ask(&beta, &ada, &alpha_d, id, &s2.0, &s2.1),
        ask(&beta, &ada, &alpha_d, id, &s3.0, &s3.1),
    );
    let asked: Vec<i64> = [a, b, c, d]
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    let mut states = Vec::new();
    for v in &asked {
        states.push(answered(&beta, &ada, *v).await);
    }
    let accepted = states.iter().filter(|v| v["state"] == "accepted").count();
    assert_eq!(accepted, 2, "{states:?}");
    let refused: Vec<&Value> = states.iter().filter(|v| v["state"] == "rejected").collect();
    assert_eq!(refused.len(), 2);
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("visit days"),
        "{refused:?}"
    );
    assert_eq!(bookings_of(&alpha, &alpha_admin, id).await.len(), 2);
}

#[tokio::test]
async fn visits_refuse_bad_input_and_offers_from_someone_else() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let alpha_d = domain(&alpha, "alpha");
    let id = desk(&alpha, &alpha_admin, "Desk").await;
    // Administrators only; a quota from 0 to 31.
    let ada = alpha.member("ada").await;
    let r = trust(&alpha, &ada, "beta.example", 3).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = trust(&alpha, &alpha_admin, "beta.example", 40).await;
    assert_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("visit_days_per_month"),
    )
    .await;
    let r = trust(&alpha, &alpha_admin, "https:%2F%2Fbeta.example", 3).await;
    assert!(r.status().is_client_error());
    let r = alpha
        .send_json(
            Method::PUT,
            Some(&alpha_admin),
            "/api/v1/admin/trusted-spaces/beta.example",
            &json!({}),
        )
        .await;
    assert_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("visit_days_per_month"),
    )
    .await;
    // Asking one's own space, or no space, is a clear error.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/visits",
            &json!({"space": alpha_d, "resource": id.to_string(), "starts_at": at(2, "09:00"), "ends_at": at(2, "10:00")}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("space")).await;
    let r = alpha
        .post_json(Some(&ada), "/api/v1/visits", &json!({"resource": "1"}))
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("space")).await;

    // A peer whose space is trusted: mallory offers a reservation in ada's name.
    let peer = FakePeer::start_with_actors(&["mallory", "ada"]).await;
    let peer_d = peer.base.trim_start_matches("http://").to_string();
    assert_eq!(
        trust(&alpha, &alpha_admin, &peer_d, 5).await.status(),
        StatusCode::CREATED
    );
    let offer = |actor: &str, visitor: &str, n: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/offers/{n}", peer.base),
            "type": "Offer",
            "actor": actor,
            "to": [format!("http://{alpha_d}/")],
            "object": {
                "id": format!("{}/reservations/{n}", peer.base),
                "type": "Reservation",
                "attributedTo": visitor,
                "resource": format!("http://{alpha_d}/resources/{id}"),
                "startTime": at(2, "09:00"),
                "endTime": at(2, "10:00"),
            }
        })
    };
    let forged = offer(&peer.actor_named("mallory"), &peer.actor_named("ada"), "1");
    let status = peer
        .deliver_as("mallory", &alpha, &alpha_d, "/inbox", &forged)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reject = eventually("the Reject of the forged Offer", || async {
        peer.received_of("Reject").into_iter().next()
    })
    .await;
    assert!(
        reject["summary"].as_str().unwrap().contains("other than"),
        "{reject}"
    );
    assert!(bookings_of(&alpha, &alpha_admin, id).await.is_empty());

    // Her own offer is booked.
    let own = offer(
        &peer.actor_named("mallory"),
        &peer.actor_named("mallory"),
        "2",
    );
    peer.deliver_as("mallory", &alpha, &alpha_d, "/inbox", &own)
        .await;
    eventually("the Accept", || async {
        peer.received_of("Accept").into_iter().next()
    })
    .await;
    let held = bookings_of(&alpha, &alpha_admin, id).await;
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0]["visitor_actor"],
        peer.actor_named("mallory").as_str()
    );
}

#[tokio::test]
async fn a_resource_open_to_visitors_reads_as_activitystreams() {
    let (alpha, alpha_admin) = TestApp::spawn_named("alpha").await;
    let alpha_d = domain(&alpha, "alpha");
    let open = desk(&alpha, &alpha_admin, "Open desk").await;
    let r = alpha
        .post_json(
            Some(&alpha_admin),
            "/api/v1/resources",
            &json!({"name": "Members only", "kind": "room"}),
        )
        .await;
    let closed = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let fetch = |id: i64| {
        alpha
            .api
            .get(alpha.url(&format!("/resources/{id}")))
            .header("Accept", crate::federation::AS_JSON)
            .send()
    };
    let r = fetch(open).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/activity+json"));
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["type"], "Resource", "{doc}");
    assert_eq!(doc["id"], format!("http://{alpha_d}/resources/{open}"));
    assert_eq!(doc["name"], "Open desk");
    assert!(
        doc["@context"].is_array() || doc["@context"].is_object(),
        "{doc}"
    );
    // The same resource as the list for visitors shows it.
    let list: Value = alpha
        .api
        .get(alpha.url("/visitors/resources"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut listed = list["orderedItems"][0].clone();
    listed["@context"] = doc["@context"].clone();
    assert_eq!(listed, doc);
    // Not open to visitors, or not there: 404. Browsers still get the page.
    assert_eq!(fetch(closed).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        fetch(closed + 100).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let page = alpha.get(None, &format!("/resources/{closed}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Members only"));
}
