//! Rooms, desks and bookings inside one space: resources through the API, booking and its
//! rules (overlaps, opening hours, the past, length, how far ahead, who may book, clock
//! changes), weekly series all or nothing, seats, companies, cancelling, 50 concurrent
//! attempts at one slot, the feeds, the reminder and the pages.

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, eventually_exactly, TestApp, PASSWORD};

mod series;

/// A set-up space in `tz` with open registration; the admin's token.
async fn space(tz: &str) -> (TestApp, String) {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let r = app
        .send_json(
            Method::PATCH,
            Some(&admin),
            "/api/v1/space",
            &json!({"timezone": tz}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    (app, admin)
}

/// Makes a resource with `body` over sensible defaults; its id.
async fn resource(app: &TestApp, admin: &str, body: Value) -> i64 {
    let mut full = json!({"name": "Harbour room", "kind": "room", "max_days_ahead": 400});
    for (k, v) in body.as_object().expect("an object") {
        full[k] = v.clone();
    }
    let r = app.post_json(Some(admin), "/api/v1/resources", &full).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let v: Value = r.json().await.expect("json");
    v["id"].as_i64().expect("an id")
}

/// `days` from today (in UTC) at `hhmm`, as a wall time.
fn at(days: i64, hhmm: &str) -> String {
    format!("{}T{hhmm}", Utc::now().date_naive() + Duration::days(days))
}

async fn book(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    app.post_json(
        Some(token),
        &format!("/api/v1/resources/{id}/bookings"),
        &body,
    )
    .await
}

/// Cancels booking `id` as the holder of `token`.
async fn cancel(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.send_json(
        Method::DELETE,
        Some(token),
        &format!("/api/v1/bookings/{id}"),
        &json!({}),
    )
    .await
}

/// The next last Sunday of `month` (3: clocks go forward in Europe; 10: back) after today.
fn next_change(month: u32) -> NaiveDate {
    let today = Utc::now().date_naive();
    for year in [today.year(), today.year() + 1] {
        let mut d =
            NaiveDate::from_ymd_opt(year, month + 1, 1).expect("a date") - Duration::days(1);
        while d.weekday() != Weekday::Sun {
            d -= Duration::days(1);
        }
        if d > today + Duration::days(1) {
            return d;
        }
    }
    unreachable!("a change within two years")
}

#[tokio::test]
async fn administrators_make_resources_and_set_the_time_zone() {
    let (app, admin) = space("Europe/Lisbon").await;
    let ada = app.member("ada").await;
    let space: Value = app.get(None, "/api/v1/space").await.json().await.unwrap();
    assert_eq!(space["timezone"], "Europe/Lisbon");
    let r = app
        .send_json(
            Method::PATCH,
            Some(&admin),
            "/api/v1/space",
            &json!({"timezone": "Mars/Olympus"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("timezone")).await;

    let body = json!({"name": "Hot desks", "kind": "desk", "capacity": 6,
        "description": "By the windows.", "visitors": true, "amenities": ["screen", "lamp"],
        "location": "Floor 2", "opening_hours": {"mon": "08:00-19:00", "tue": "08:00-19:00"},
        "slot_minutes": 60, "min_minutes": 60, "max_minutes": 600, "max_days_ahead": 30,
        "price_member_day": "15", "price_visitor_day": "25.50", "currency": "eur"});
    let r = app.post_json(Some(&ada), "/api/v1/resources", &body).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "members cannot make resources"
    );
    let r = app
        .post_json(Some(&admin), "/api/v1/resources", &body)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["kind"], "desk");
    assert_eq!(made["capacity"], 6);
    assert_eq!(made["visitors"], true);
    assert_eq!(made["opening_hours"]["mon"], "08:00-19:00");
    assert_eq!(made["opening_hours"]["sun"], Value::Null);
    assert_eq!(made["currency"], "EUR");
    assert_eq!(made["price_visitor_day"], 2550);

    // Named desks: the seats are their number. Opening hours removed: any hour.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&admin),
            &format!("/api/v1/resources/{id}"),
            &json!({"seats": ["D1", "D2"], "opening_hours": null}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["capacity"], 2);
    assert_eq!(v["seats"], json!(["D1", "D2"]));
    assert_eq!(v["opening_hours"], Value::Null);
    assert_eq!(
        v["description"], "By the windows.",
        "absent fields keep their value"
    );

    // Bad input: every field named, nothing stored.
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/resources",
            &json!({"name": "", "kind": "castle", "capacity": 0, "slot_minutes": 7,
                    "opening_hours": {"mon": "19:00-08:00"}, "price_member_hour": "-1"}),
        )
        .await;
    let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "kind",
        "capacity",
        "slot_minutes",
        "hours_mon",
        "price_member_hour",
    ] {
        assert!(fields.contains(&f), "{f} not reported in {fields:?}");
    }
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/resources",
            &json!({"name": "x", "colour": "red"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;

    let list: Value = app
        .get(None, "/api/v1/resources")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let r = app
        .send_json(
            Method::DELETE,
            Some(&admin),
            &format!("/api/v1/resources/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(None, &format!("/api/v1/resources/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn members_book_and_overlaps_are_refused() {
    let (app, admin) = space("Europe/Lisbon").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let room = resource(
        &app,
        &admin,
        json!({"slot_minutes": 30, "max_minutes": 240}),
    )
    .await;
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(3, "10:00"), "ends_at": at(3, "11:00"), "note": "Planning"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let b: Value = r.json().await.unwrap();
    assert!(b["id"].as_i64().is_some());
    assert_eq!(b["booked_by"], "ada");
    assert_eq!(b["timezone"], "Europe/Lisbon");
    assert!(b["start_time"].as_str().unwrap().contains("T10:00:00"));

    // Overlapping: 409; back to back: fine; an explicit offset is read as such.
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(3, "10:30"), "ends_at": at(3, "11:30")}),
    )
    .await;
    assert_error(r, StatusCode::CONFLICT, None).await;
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(3, "11:00"), "ends_at": at(3, "12:00")}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let window: Value = app
        .get(
            None,
            &format!(
                "/api/v1/resources/{room}/bookings?from={}&to={}",
                at(3, "00:00"),
                at(4, "00:00")
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(window["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        window["items"][0]["booked_by"],
        Value::Null,
        "anonymous readers do not see who"
    );
    let default: Value = app
        .get(Some(&bob), &format!("/api/v1/resources/{room}/bookings"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        default["items"].as_array().unwrap().len(),
        2,
        "now → 7 days holds both"
    );

    // Mine, and cancelling: only the booker (or an admin); the slot is free again.
    let mine: Value = app
        .get(Some(&ada), "/api/v1/bookings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let id = b["id"].as_i64().unwrap();
    let r = cancel(&app, &bob, id).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = cancel(&app, &ada, id).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = cancel(&app, &ada, id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(3, "10:30"), "ends_at": at(3, "11:00")}),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the cancelled slot is free"
    );
    let r = app
        .post_json(
            None,
            &format!("/api/v1/resources/{room}/bookings"),
            &json!({"starts_at": at(3, "15:00"), "ends_at": at(3, "16:00")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn seats_named_desks_and_companies() {
    let (app, admin) = space("UTC").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cy = app.member("cy").await;
    // A pool of two seats: two overlapping bookings, not three.
    let pool = resource(
        &app,
        &admin,
        json!({"kind": "desk", "capacity": 2, "slot_minutes": 60, "min_minutes": 60}),
    )
    .await;
    for (who, status) in [(&ada, 201), (&bob, 201), (&cy, 409)] {
        let r = book(
            &app,
            who,
            pool,
            json!({"starts_at": at(2, "09:00"), "ends_at": at(2, "12:00")}),
        )
        .await;
        assert_eq!(r.status().as_u16(), status);
    }
    // Named desks: a taken desk is refused, another one is given.
    let named = resource(
        &app,
        &admin,
        json!({"kind": "desk", "seats": ["D1", "D2"], "slot_minutes": 60}),
    )
    .await;
    let r = book(
        &app,
        &ada,
        named,
        json!({"starts_at": at(2, "09:00"), "ends_at": at(2, "10:00"), "seat": "D1"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = book(
        &app,
        &bob,
        named,
        json!({"starts_at": at(2, "09:00"), "ends_at": at(2, "10:00"), "seat": "D1"}),
    )
    .await;
    assert_error(r, StatusCode::CONFLICT, None).await;
    let r = book(
        &app,
        &bob,
        named,
        json!({"starts_at": at(2, "09:00"), "ends_at": at(2, "10:00")}),
    )
    .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["seat"], "D2");
    let r = book(
        &app,
        &bob,
        named,
        json!({"starts_at": at(2, "09:00"), "ends_at": at(2, "10:00"), "seat": "D9"}),
    )
    .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("seat")).await;

    // A company owner books for the company; a plain member of it may not.
    app.chain().company(&ada, "acme", "Acme").await;
    let room = resource(&app, &admin, json!({"members": false})).await;
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(4, "10:00"), "ends_at": at(4, "11:00")}),
    )
    .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(4, "10:00"), "ends_at": at(4, "11:00"), "company": "acme"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["booker_kind"], "company");
    assert_eq!(v["company"], "acme");
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(4, "12:00"), "ends_at": at(4, "13:00"), "company": "acme"}),
    )
    .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
}

#[tokio::test]
async fn bad_times_are_refused_with_their_reason() {
    let (app, admin) = space("Europe/Berlin").await;
    let ada = app.member("ada").await;
    let week = json!({"mon": "08:00-18:00", "tue": "08:00-18:00", "wed": "08:00-18:00",
        "thu": "08:00-18:00", "fri": "08:00-18:00", "sat": "08:00-18:00"});
    let room = resource(
        &app,
        &admin,
        json!({"opening_hours": week, "slot_minutes": 30,
        "min_minutes": 30, "max_minutes": 120, "max_days_ahead": 30}),
    )
    .await;
    let mut day = Utc::now().date_naive() + Duration::days(3);
    while day.weekday() == Weekday::Sun {
        day += Duration::days(1);
    }
    let mut sunday = day;
    while sunday.weekday() != Weekday::Sun {
        sunday += Duration::days(1);
    }
    let cases = [
        (
            json!({"starts_at": format!("{day}T07:00"), "ends_at": format!("{day}T08:00")}),
            "starts_at",
            "opening hours",
        ),
        (
            json!({"starts_at": format!("{day}T17:30"), "ends_at": format!("{day}T18:30")}),
            "starts_at",
            "opening hours",
        ),
        (
            json!({"starts_at": format!("{sunday}T10:00"), "ends_at": format!("{sunday}T11:00")}),
            "starts_at",
            "closed",
        ),
        (
            json!({"starts_at": at(-2, "10:00"), "ends_at": at(-2, "11:00")}),
            "starts_at",
            "past",
        ),
        (
            json!({"starts_at": format!("{day}T09:00"), "ends_at": format!("{day}T12:00")}),
            "ends_at",
            "longest",
        ),
        (
            json!({"starts_at": format!("{day}T09:10"), "ends_at": format!("{day}T10:10")}),
            "starts_at",
            "slots",
        ),
        (
            json!({"starts_at": format!("{day}T10:00"), "ends_at": format!("{day}T09:00")}),
            "ends_at",
            "after",
        ),
        (
            json!({"starts_at": at(60, "10:00"), "ends_at": at(60, "11:00")}),
            "starts_at",
            "too far ahead",
        ),
        (
            json!({"starts_at": "tomorrow", "ends_at": ""}),
            "starts_at",
            "date",
        ),
    ];
    for (body, field, words) in cases {
        let r = book(&app, &ada, room, body.clone()).await;
        let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        assert!(e.to_string().contains(words), "{body}: {e}");
    }
    let mine: Value = app
        .get(Some(&ada), "/api/v1/bookings")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        mine["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );

    // Clock changes: a wall time that does not exist is 422; one that happens twice is the
    // earlier (summer time, +02:00).
    let any = resource(
        &app,
        &admin,
        json!({"slot_minutes": 30, "max_days_ahead": 400}),
    )
    .await;
    let spring = next_change(3);
    let r = book(
        &app,
        &ada,
        any,
        json!({"starts_at": format!("{spring}T02:30"), "ends_at": format!("{spring}T04:00")}),
    )
    .await;
    let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("starts_at")).await;
    assert!(e.to_string().contains("does not exist"), "{e}");
    let autumn = next_change(10);
    let r = book(
        &app,
        &ada,
        any,
        json!({"starts_at": format!("{autumn}T02:30"), "ends_at": format!("{autumn}T03:30")}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["start_time"], format!("{autumn}T02:30:00+02:00"));
    assert_eq!(
        v["ends_at"].as_i64().unwrap() - v["starts_at"].as_i64().unwrap(),
        2 * 3_600_000,
        "02:30 summer time to 03:30 winter time is two hours"
    );
}

#[tokio::test]
async fn weekly_series_are_all_or_nothing() {
    let (app, admin) = space("UTC").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let room = resource(
        &app,
        &admin,
        json!({"slot_minutes": 60, "max_days_ahead": 60}),
    )
    .await;
    // Bob holds the third week; Ada's four weeks are refused whole.
    let r = book(
        &app,
        &bob,
        room,
        json!({"starts_at": at(15, "10:00"), "ends_at": at(15, "11:00")}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(1, "10:00"), "ends_at": at(1, "11:00"), "repeat_weeks": 4}),
    )
    .await;
    let e = assert_error(r, StatusCode::CONFLICT, None).await;
    assert!(e.to_string().contains("week 3"), "{e}");
    let mine: Value = app
        .get(Some(&ada), "/api/v1/bookings")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        mine["items"].as_array().unwrap().is_empty(),
        "nothing stored half"
    );
    // Too far ahead for the last week: 422, nothing stored.
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(2, "12:00"), "ends_at": at(2, "13:00"), "repeat_weeks": 10}),
    )
    .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("starts_at")).await;
    // Another hour: all four.
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(1, "12:00"), "ends_at": at(1, "13:00"), "repeat_weeks": 4}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["occurrences"].as_array().unwrap().len(), 4);
    let mine: Value = app
        .get(Some(&ada), "/api/v1/bookings")
        .await
        .json()
        .await
        .unwrap();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items
        .iter()
        .all(|i| i["series"] == items[0]["series"] && i["series"] != ""));
}

#[tokio::test]
async fn fifty_concurrent_attempts_at_one_slot_give_one_booking() {
    let (app, admin) = space("UTC").await;
    let room = resource(&app, &admin, json!({"slot_minutes": 60})).await;
    let desks = resource(
        &app,
        &admin,
        json!({"kind": "desk", "capacity": 3, "slot_minutes": 60}),
    )
    .await;
    let mut tokens = Vec::new();
    for i in 0..10 {
        tokens.push(app.member(&format!("m{i}")).await);
    }
    for (id, seats) in [(room, 1), (desks, 3)] {
        let mut tasks = Vec::new();
        for i in 0..50 {
            let client = app.api.clone();
            let url = app.url(&format!("/api/v1/resources/{id}/bookings"));
            let token = tokens[i % tokens.len()].clone();
            // Overlapping but different spans, so no two requests are the same.
            let (s, e) = if i % 2 == 0 {
                ("10:00", "12:00")
            } else {
                ("11:00", "13:00")
            };
            let body = json!({"starts_at": at(5, s), "ends_at": at(5, e)});
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent")
                    .status()
            }));
        }
        let mut created = 0;
        for t in tasks {
            match t.await.expect("task").as_u16() {
                201 => created += 1,
                409 => {}
                other => panic!("unexpected status {other}"),
            }
        }
        // 11:00–12:00 is in every span, so the seats bound the bookings.
        assert_eq!(created, seats, "resource {id}");
        let v: Value = app
            .get(
                Some(&tokens[0]),
                &format!(
                    "/api/v1/resources/{id}/bookings?from={}&to={}",
                    at(5, "00:00"),
                    at(6, "00:00")
                ),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), seats);
    }
}

#[tokio::test]
async fn bookings_reach_the_feeds_and_a_reminder_comes() {
    let (app, admin) = space("UTC").await;
    let ada = app.member("ada").await;
    let room = resource(
        &app,
        &admin,
        json!({"name": "Lighthouse", "slot_minutes": 5, "min_minutes": 5, "location": "Floor 3"}),
    )
    .await;
    // Starting within the next half hour: the reminder job tells Ada.
    let now = Utc::now();
    let start_min = (now.timestamp() / 300 + 2) * 300;
    let start = chrono::DateTime::from_timestamp(start_min, 0).unwrap();
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let r = book(
        &app,
        &ada,
        room,
        json!({"starts_at": fmt(start), "ends_at": fmt(start + Duration::minutes(30))}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let later = book(
        &app,
        &ada,
        room,
        json!({"starts_at": at(2, "10:00"), "ends_at": at(2, "11:00")}),
    )
    .await;
    let later: Value = later.json().await.unwrap();

    eventually_exactly(1, "the booking reminder", || async {
        let v: Value = app
            .get(Some(&ada), "/api/v1/notifications")
            .await
            .json()
            .await
            .unwrap();
        v["items"]
            .as_array()
            .map(|a| a.iter().filter(|n| n["kind"] == "booking_soon").count())
            .unwrap_or(0)
    })
    .await;

    // The resource's feed: both, without who.
    let r = app
        .get(None, &format!("/resources/{room}/calendar.ics"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = r.text().await.unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(ics.contains("SUMMARY:Booked: Lighthouse") && !ics.contains("ada"));

    // Ada's private feed holds them; cancelled, it says so.
    let r = app
        .post_json(Some(&ada), "/api/v1/calendar/feed", &json!({}))
        .await;
    let feed: Value = r.json().await.unwrap();
    let url = feed["url"].as_str().expect("a feed address").to_string();
    let id = later["id"].as_i64().unwrap();
    cancel(&app, &ada, id).await;
    let path = &url[url.find("/calendar/").expect("a feed path")..];
    let ics = app.get(None, path).await.text().await.unwrap();
    assert_eq!(
        ics.matches("SUMMARY:Booked: Lighthouse").count(),
        2,
        "{ics}"
    );
    assert!(ics.contains("STATUS:CANCELLED"));
    assert!(ics.contains("LOCATION:Floor 3"));
}

#[tokio::test]
async fn pages_book_from_the_week_view_and_cancel() {
    let (app, admin) = space("UTC").await;
    app.member("ada").await;
    let room = resource(
        &app,
        &admin,
        json!({"name": "Boardroom", "slot_minutes": 60}),
    )
    .await;
    let home = app.get(None, "/").await.text().await.unwrap();
    assert!(home.contains("Book a room") && home.contains("Boardroom"));

    let browser = app.signed_in("ada", PASSWORD).await;
    let day = Utc::now().date_naive() + Duration::days(7);
    let page = browser
        .get(app.url(&format!("/resources/{room}/week?day={day}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let slot = format!("{day}T10:00");
    assert!(
        html.contains(&format!("data-start=\"{slot}\"")),
        "the week grid offers 10:00"
    );
    let r = browser
        .post(app.url(&format!("/resources/{room}/book")))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("starts_at", slot.as_str()),
            ("ends_at", &format!("{day}T11:00")),
            ("back", &format!("/resources/{room}/week?day={day}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = browser
        .get(app.url(&format!("/resources/{room}/week?day={day}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Booked: Boardroom"), "the notice says so");
    assert!(html.contains("bk-cell mine"), "the cell is hers");

    let mine = browser
        .get(app.url("/bookings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Boardroom") && mine.contains("Yes, cancel it"));
    let id: i64 = mine
        .split("data-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("an id");
    let r = browser
        .post(app.url(&format!("/bookings/{id}/cancel")))
        .form(&[("csrf", csrf_from(&mine).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mine = browser
        .get(app.url("/bookings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Cancelled your booking") && mine.contains("<s>Boardroom"));

    // The administrator's form: a bad value comes back with its message.
    let admin_browser = app.signed_in("boss", crate::support::ADMIN_PASSWORD).await;
    let form = admin_browser
        .get(app.url("/resources/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = admin_browser
        .post(app.url("/resources/new"))
        .form(&[
            ("csrf", csrf_from(&form).as_str()),
            ("kind", "room"),
            ("name", "Nook"),
            ("capacity", "1"),
            ("hours_mon", "9 to 5"),
            ("slot_minutes", "30"),
            ("min_minutes", "30"),
            ("max_minutes", "120"),
            ("max_days_ahead", "30"),
            ("members", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Monday must look like 08:00-18:00"));

    // The space's time zone on the settings page (the value is HTML-escaped: `/` stays).
    let settings = admin_browser
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("id=\"timezone\""));
    let r = admin_browser
        .post(app.url("/admin"))
        .form(&[
            ("csrf", csrf_from(&settings).as_str()),
            ("name", "Harbour Works"),
            ("registration_mode", "open"),
            ("timezone", "Europe/Paris"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let space: Value = app.get(None, "/api/v1/space").await.json().await.unwrap();
    assert_eq!(space["timezone"], "Europe/Paris");
}
