//! Booking in a real browser: a member opens a room's week view, goes to next week, books a
//! free hour with one click, sees the cell become hers, and finds the booking in her private
//! calendar feed, read as a calendar program would.

use anyhow::{ensure, Context, Result};
use chrono::{Datelike, Duration, Utc};
use serde_json::json;

use super::webdriver::Browser;
use crate::support::{TestApp, PASSWORD};

const TEST: &str = "book_a_room_in_the_week_view_and_find_it_in_the_calendar_feed";

#[tokio::test]
async fn book_a_room_in_the_week_view_and_find_it_in_the_calendar_feed() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (app, admin) = TestApp::spawn_set_up().await;
    super::run_scenario(TEST, &browser, journey(&app, &admin, &browser)).await;
}

async fn journey(app: &TestApp, admin: &str, b: &Browser) -> Result<()> {
    app.open_registration(admin).await;
    app.member("ada").await;
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(admin),
            "/api/v1/space",
            &json!({"timezone": "Europe/Lisbon"}),
        )
        .await;
    ensure!(r.status().as_u16() == 200, "the time zone was not set");
    let r = app
        .post_json(
            Some(admin),
            "/api/v1/resources",
            &json!({"name": "Tejo room", "kind": "room", "slot_minutes": 60,
                    "location": "Ground floor"}),
        )
        .await;
    ensure!(r.status().as_u16() == 201, "the room was not made");
    let room: serde_json::Value = r.json().await?;
    let id = room["id"].as_i64().context("the room's id")?;

    // Ada signs in, finds the room from the home page and opens its week view.
    b.goto(&app.url("/login")).await?;
    b.fill("#login-form #login", "ada").await?;
    b.fill("#login-form #password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_for_text(".account-nav .chip", "@ada").await?;
    b.goto(&app.url("/")).await?;
    b.wait_for_text("#book-a-room", "Tejo room").await?;
    b.click("#book-a-room a[href^='/resources/']:not(.button)")
        .await?;
    b.wait_for_text("#resource h1", "Tejo room").await?;
    b.click("#week-view").await?;
    b.wait_for_path(&format!("/resources/{id}/week")).await?;
    b.click("a[aria-label=Later]").await?;

    // Next week's Monday at 10:00, one click.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Lisbon)
        .date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        + Duration::days(7);
    let slot = format!("{monday}T10:00");
    let cell = format!("button.bk-book[data-start='{slot}']");
    b.find(&cell).await?;
    b.click(&cell).await?;
    b.wait_for_text(".notice", "Booked: Tejo room").await?;
    b.find(&format!("td.mine[data-start='{slot}']"))
        .await
        .context("the cell is not hers")?;

    // Her bookings list it; her private feed carries it.
    b.goto(&app.url("/bookings")).await?;
    b.wait_for_text("#my-bookings", "Tejo room").await?;
    b.goto(&app.url("/settings/calendar")).await?;
    b.click("form[action='/settings/calendar'] button[type=submit]")
        .await?;
    let url = b.find("#feed-url").await?.property("value").await?;
    let path = &url[url.find("/calendar/").context("a feed address")?..];
    let ics = app.get(None, path).await.text().await?;
    ensure!(
        ics.contains("SUMMARY:Booked: Tejo room"),
        "the feed has no booking: {ics}"
    );
    ensure!(ics.contains("LOCATION:Ground floor"), "no location: {ics}");
    // 10:00 in Lisbon, in UTC.
    let start = chrono::NaiveDateTime::parse_from_str(&slot, "%Y-%m-%dT%H:%M")?
        .and_local_timezone(chrono_tz::Europe::Lisbon)
        .earliest()
        .context("a Lisbon time")?
        .with_timezone(&Utc);
    let stamp = format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ"));
    ensure!(ics.contains(&stamp), "no {stamp} in {ics}");
    Ok(())
}
