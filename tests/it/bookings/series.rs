//! Cancelling a whole weekly series: through the API (`?series=all`) and from "My bookings"
//! (a button behind a confirmation); only occurrences still to come are cancelled.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{at, book, resource, space};
use crate::support::{assert_error, csrf_from, TestApp, PASSWORD};

async fn cancel_series(app: &TestApp, token: &str, id: i64, series: &str) -> reqwest::Response {
    app.send_json(
        Method::DELETE,
        Some(token),
        &format!("/api/v1/bookings/{id}?series={series}"),
        &json!({}),
    )
    .await
}

/// The caller's bookings as (id, state), in order.
async fn mine(app: &TestApp, token: &str) -> Vec<(i64, String)> {
    let v: Value = app
        .get(Some(token), "/api/v1/bookings")
        .await
        .json()
        .await
        .unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_i64().unwrap(),
                b["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_weekly_series_is_cancelled_from_now_on_and_nothing_else() {
    let (app, admin) = space("UTC").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let room = resource(&app, &admin, json!({"slot_minutes": 60})).await;
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(1, "10:00"), "ends_at": at(1, "11:00"), "repeat_weeks": 4}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let series: Value = r.json().await.unwrap();
    let ids: Vec<i64> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    // A single booking of Ada's, outside the series, and a series of Bob's.
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(2, "10:00"), "ends_at": at(2, "11:00")}),
    )
    .await;
    let single = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(3, "10:00"), "ends_at": at(3, "11:00"), "repeat_weeks": 2}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The first occurrence is under way (moved into the past as time would have).
    let now = chrono::Utc::now().timestamp_millis();
    sqlx::query("UPDATE bookings SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(ids[0])
        .bind(now - 600_000)
        .bind(now + 3_000_000)
        .execute(app.db.writer())
        .await
        .unwrap();

    // Bob may not; a bad value and a booking outside a series are clear errors.
    let r = cancel_series(&app, &bob, ids[1], "all").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = cancel_series(&app, &ada, ids[1], "some").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("series")).await;
    let r = cancel_series(&app, &ada, single, "all").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("series")).await;

    // Named by any of its occurrences: the three to come are cancelled.
    let r = cancel_series(&app, &ada, ids[2], "all").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["cancelled"], 3);
    let states = mine(&app, &ada).await;
    let state_of = |id: i64| {
        states
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.as_str())
            .unwrap()
            .to_string()
    };
    assert_eq!(state_of(ids[0]), "confirmed", "under way: kept");
    for id in &ids[1..] {
        assert_eq!(state_of(*id), "cancelled");
    }
    assert_eq!(state_of(single), "confirmed");
    assert!(mine(&app, &bob).await.iter().all(|(_, s)| s == "confirmed"));
    // The freed slot is bookable again.
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(8, "10:00"), "ends_at": at(8, "11:00")}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Nothing left to cancel: 409.
    let r = cancel_series(&app, &ada, ids[1], "all").await;
    assert_error(r, StatusCode::CONFLICT, None).await;
}

#[tokio::test]
async fn my_bookings_page_cancels_a_series_after_a_confirmation() {
    let (app, admin) = space("UTC").await;
    let ada = app.member("ada").await;
    let room = resource(&app, &admin, json!({"name": "Studio", "slot_minutes": 60})).await;
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(1, "09:00"), "ends_at": at(1, "10:00"), "repeat_weeks": 3}),
    )
    .await;
    let first = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let browser = app.signed_in("ada", PASSWORD).await;
    let html = browser
        .get(app.url("/bookings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Cancel the series") && html.contains("Yes, cancel the series"),
        "{html}"
    );
    let r = browser
        .post(app.url(&format!("/bookings/{first}/cancel")))
        .form(&[("csrf", csrf_from(&html).as_str()), ("series", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = browser
        .get(app.url("/bookings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Cancelled 3 coming bookings"), "{html}");
    assert!(mine(&app, &ada).await.iter().all(|(_, s)| s == "cancelled"));
}
