//! Visits across spaces between real processes: a member of beta books a desk on alpha; an
//! overlapping booking by another beta member is refused; alpha refuses visitors from a space
//! it does not trust (gamma); a cancellation on beta frees the slot on alpha; the monthly quota
//! holds.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use test_support::in_days;

use crate::harness::{eventually, Instance, SOON};

/// Asks `host` for desk `id` from `guest` as `token`; waits for the answer; the visit.
async fn visit(
    guest: &Instance,
    token: &str,
    host: &Instance,
    id: i64,
    from: &str,
    to: &str,
) -> Value {
    let (status, v) = guest
        .post(
            Some(token),
            "/api/v1/visits",
            &json!({"space": host.domain, "resource": id.to_string(), "starts_at": from, "ends_at": to}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let vid = v["id"].as_i64().expect("an id");
    eventually(&format!("the answer to visit {vid}"), SOON, || async {
        let (_, list) = guest.get(Some(token), "/api/v1/visits").await;
        list["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|v| v["id"] == vid && v["state"] != "pending")
                    .cloned()
            })
            .ok_or_else(|| format!("{list}"))
    })
    .await
}

/// How many confirmed bookings desk `id` on `alpha` holds in the next 40 days.
async fn held(alpha: &Instance, id: i64) -> usize {
    let path = format!(
        "/api/v1/resources/{id}/bookings?from={}&to={}",
        &in_days(0, "00:00")[..16],
        &in_days(40, "00:00")[..16]
    );
    let (_, v) = alpha.get(Some(&alpha.admin), &path).await;
    v["items"].as_array().map(Vec::len).unwrap_or_default()
}

#[tokio::test]
async fn a_member_of_beta_books_a_desk_on_alpha_within_trust_and_quota() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let (status, desk) = alpha
        .post(
            Some(&alpha.admin),
            "/api/v1/resources",
            &json!({"name": "Window desk", "kind": "desk", "visitors": true, "max_days_ahead": 400}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{desk}");
    let id = desk["id"].as_i64().expect("an id");
    let (status, body) = alpha
        .call(
            Method::PUT,
            Some(&alpha.admin),
            &format!("/api/v1/admin/trusted-spaces/{}", beta.domain),
            Some(&json!({"visit_days_per_month": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A member of beta books the desk.
    let ada = beta.member("ada").await;
    let (from, to) = (in_days(3, "09:00"), in_days(3, "17:00"));
    let v = visit(&beta, &ada, &alpha, id, &from, &to).await;
    assert_eq!(v["state"], "accepted", "{v}");
    assert_eq!(held(&alpha, id).await, 1);

    // Another member of beta, overlapping: refused.
    let bob = beta.member("bob").await;
    let refused = visit(
        &beta,
        &bob,
        &alpha,
        id,
        &in_days(3, "10:00"),
        &in_days(3, "11:00"),
    )
    .await;
    assert_eq!(refused["state"], "rejected", "{refused}");

    // Gamma is not trusted.
    let carol = gamma.member("carol").await;
    let untrusted = visit(
        &gamma,
        &carol,
        &alpha,
        id,
        &in_days(5, "10:00"),
        &in_days(5, "11:00"),
    )
    .await;
    assert_eq!(untrusted["state"], "rejected", "{untrusted}");
    assert!(
        untrusted["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("does not take visitors"),
        "{untrusted}"
    );

    // Ada cancels on beta: alpha frees the slot, and Bob gets it.
    let (status, body) = beta
        .call(
            Method::DELETE,
            Some(&ada),
            &format!("/api/v1/visits/{}", v["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the slot freed on alpha", SOON, || async {
        match held(&alpha, id).await {
            0 => Ok(()),
            n => Err(format!("{n} held")),
        }
    })
    .await;
    let again = visit(
        &beta,
        &bob,
        &alpha,
        id,
        &in_days(3, "10:00"),
        &in_days(3, "11:00"),
    )
    .await;
    assert_eq!(again["state"], "accepted", "{again}");

    // One visit day a month: Bob's second day in that month is refused.
    let second = visit(
        &beta,
        &bob,
        &alpha,
        id,
        &in_days(3, "12:00"),
        &in_days(3, "13:00"),
    )
    .await;
    assert_eq!(
        second["state"], "accepted",
        "the same day counts once: {second}"
    );
    let other_day = if in_days(4, "00:00")[..7] == in_days(3, "00:00")[..7] {
        4
    } else {
        2
    };
    let over = visit(
        &beta,
        &bob,
        &alpha,
        id,
        &in_days(other_day, "10:00"),
        &in_days(other_day, "11:00"),
    )
    .await;
    assert_eq!(over["state"], "rejected", "{over}");
    assert!(
        over["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("visit days"),
        "{over}"
    );
    assert_eq!(held(&alpha, id).await, 2);
}

/// The review path: alpha's staff review beta's visits; a member of beta asks, the request
/// waits on alpha until an administrator accepts it through the API, and beta then shows the
/// visit accepted and notifies the member.
#[tokio::test]
async fn alpha_staff_review_a_visit_from_beta_and_beta_hears_the_answer() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let (status, desk) = alpha
        .post(
            Some(&alpha.admin),
            "/api/v1/resources",
            &json!({"name": "Quiet desk", "kind": "desk", "visitors": true, "max_days_ahead": 400}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{desk}");
    let id = desk["id"].as_i64().expect("an id");
    let (status, body) = alpha
        .call(
            Method::PUT,
            Some(&alpha.admin),
            &format!("/api/v1/admin/trusted-spaces/{}", beta.domain),
            Some(&json!({"visit_days_per_month": 4, "review_visits": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let ada = beta.member("ada").await;
    let (status, v) = beta
        .post(
            Some(&ada),
            "/api/v1/visits",
            &json!({"space": alpha.domain, "resource": id.to_string(),
                    "starts_at": in_days(4, "09:00"), "ends_at": in_days(4, "12:00")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let vid = v["id"].as_i64().expect("an id");
    let request = eventually("the request pending on alpha", SOON, || async {
        let (_, list) = alpha
            .get(Some(&alpha.admin), "/api/v1/admin/visits?state=pending")
            .await;
        list["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
            .ok_or_else(|| format!("{list}"))
    })
    .await;
    assert_eq!(held(&alpha, id).await, 0, "nothing booked before review");
    let (status, done) = alpha
        .post(
            Some(&alpha.admin),
            &format!("/api/v1/admin/visits/{}/accept", request["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(held(&alpha, id).await, 1);

    eventually("the visit accepted on beta", SOON, || async {
        let (_, list) = beta.get(Some(&ada), "/api/v1/visits").await;
        list["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|v| v["id"] == vid && v["state"] == "accepted")
                    .cloned()
            })
            .ok_or_else(|| format!("{list}"))
    })
    .await;
    let (_, notes) = beta.get(Some(&ada), "/api/v1/notifications").await;
    assert!(
        notes["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|n| n["kind"] == "visit_accepted")),
        "{notes}"
    );
}
