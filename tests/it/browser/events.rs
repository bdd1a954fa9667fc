//! Events in a real browser, across two instances: a member of beta finds an event of alpha
//! by its address, joins it, is seated by alpha, and comments; the page links its calendar.

use std::time::Duration;

use anyhow::{ensure, Result};
use serde_json::json;

use super::webdriver::Browser;
use crate::support::{ahead, long_day, TestApp, PASSWORD};

const TEST: &str = "a_member_of_another_space_joins_an_event_in_the_browser";

#[tokio::test]
async fn a_member_of_another_space_joins_an_event_in_the_browser() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    super::run_scenario(TEST, &browser, journey(&alpha, &beta, &browser)).await;
}

async fn journey(alpha: &TestApp, beta: &TestApp, b: &Browser) -> Result<()> {
    let ada = alpha.member("ada").await;
    beta.member("bob").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events",
            &json!({"title": "Harbour hack night", "starts_at": ahead("06-01T18:00"),
                    "ends_at": ahead("06-01T22:00"), "timezone": "Europe/Lisbon",
                    "place_name": "Harbour Works", "locality": "Lisbon", "capacity": 10}),
        )
        .await;
    ensure!(r.status().as_u16() == 201, "the event was not created");
    let event: serde_json::Value = r.json().await?;
    let uri = event["uri"].as_str().unwrap_or_default().to_string();

    // Bob signs in at beta and looks the event up by its address.
    b.goto(&beta.url("/login")).await?;
    b.fill("#login-form #login", "bob").await?;
    b.fill("#login-form #password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_for_text(".account-nav .chip", "@bob").await?;
    b.goto(&beta.url("/events")).await?;
    b.fill("#event-lookup [name=url]", &uri).await?;
    b.click("#event-lookup button[type=submit]").await?;
    b.wait_for_text("#event h1", "Harbour hack night").await?;
    b.wait_for_text(
        "#event-when",
        &format!("{}, 18:00–22:00 (Europe/Lisbon)", long_day("06-01")),
    )
    .await?;

    // He joins: beta sends Join, alpha answers Accept, and the page says he is going.
    b.click("#rsvp-join").await?;
    b.wait_for_text(".notice", "Asked to join").await?;
    let page = b.current_url().await?;
    b.wait_until("the seat from alpha", Duration::from_secs(20), || async {
        b.goto(&page).await?;
        Ok(match b.try_find("#rsvp-state").await? {
            Some(e) => e.text().await?.contains("You are going."),
            None => false,
        })
    })
    .await?;

    // He comments from beta.
    b.fill("#reply-form [name=text]", "Count me in!").await?;
    b.click("#reply-form button[type=submit]").await?;
    b.wait_for_text("#replies", "Count me in!").await?;

    // At alpha, the event page lists him and his comment, and links its calendar.
    b.goto(&format!(
        "{}{}",
        alpha.base,
        event["link"].as_str().unwrap_or("/")
    ))
    .await?;
    b.wait_until("bob at alpha", Duration::from_secs(20), || async {
        b.goto(&b.current_url().await?).await?;
        let going = b.text("#participants").await?;
        let replies = b.text("#replies").await?;
        Ok(going.contains("bob") && replies.contains("Count me in!"))
    })
    .await?;
    let source = b.source().await?;
    ensure!(
        source.contains("type=\"text/calendar\""),
        "the event page does not link its calendar"
    );
    Ok(())
}
