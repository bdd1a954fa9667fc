//! Two spaces at work, one browser: Ada on alpha publishes an event with one seat and an open
//! project with a task; Bob on beta finds the event by its address and takes the seat, and a
//! member of gamma who asks after him is refused; Bob joins the project from beta, takes the task and
//! comments, and Ada sees both on alpha; Bob makes his private calendar feed, which a calendar
//! program reads with the event and the task's due date; and the two exchange messages.
//! Everything happens through the pages, except creating the members' accounts.

use std::net::SocketAddr;

use anyhow::{bail, ensure, Context, Result};

use super::journey::{expect_text, submit};
use super::two_spaces::{exchange_messages, sign_in, Space};
use super::webdriver::Browser;
use crate::events::ics_lines;
use crate::support::{ahead, future_year, long_day};

const TEST: &str = "two_spaces_event_project_calendar_journey";

/// WebDriver's Tab key.
const TAB: &str = "\u{E004}";

#[tokio::test]
async fn two_spaces_event_project_calendar_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, beta, gamma) = tokio::join!(
        Space::start("alpha"),
        Space::start("beta"),
        Space::start("gamma")
    );
    alpha.app.member("ada").await;
    beta.app.member("bob").await;
    gamma.app.member("cleo").await;
    super::run_scenario(TEST, &browser, journey(&alpha, &beta, &gamma, &browser)).await;
}

/// Types a date and time into a `datetime-local` field as a person does (month, day, year,
/// then hour, minute and AM/PM: the browser's English layout), and checks what it holds.
async fn type_datetime(b: &Browser, css: &str, keys: &[&str], expected: &str) -> Result<()> {
    let field = b.find(css).await?;
    field.click().await?;
    field.send_keys(&keys.join(TAB)).await?;
    let value = field.property("value").await?;
    ensure!(
        value == expected,
        "`{css}` holds `{value}` after typing, not `{expected}`"
    );
    Ok(())
}

/// Saves a screenshot of the current page under the system's temporary folder.
async fn screenshot(b: &Browser, name: &str) -> Result<()> {
    let png = b.screenshot().await?;
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, png).with_context(|| format!("write {}", path.display()))?;
    eprintln!("{TEST}: screenshot saved to {}", path.display());
    Ok(())
}

async fn journey(alpha: &Space, beta: &Space, gamma: &Space, b: &Browser) -> Result<()> {
    // Ada, on alpha, publishes an event with a single seat.
    sign_in(alpha, b, "ada").await?;
    b.goto(&alpha.url("/events")).await?;
    b.click("a[href=\"/events/new\"]").await?;
    b.wait_for_path("/events/new").await?;
    b.fill("#event-form #title", "Harbour hack night").await?;
    b.fill(
        "#event-form #description",
        "One desk, one night of hacking.",
    )
    .await?;
    type_datetime(
        b,
        "#event-form #starts_at",
        &[&format!("0601{}", future_year()), "0600PM"],
        &ahead("06-01T18:00"),
    )
    .await?;
    type_datetime(
        b,
        "#event-form #ends_at",
        &[&format!("0601{}", future_year()), "1000PM"],
        &ahead("06-01T22:00"),
    )
    .await?;
    b.fill("#event-form #timezone", "Europe/Lisbon").await?;
    b.fill("#event-form #place_name", "Harbour Works").await?;
    b.fill("#event-form #locality", "Lisbon").await?;
    b.fill("#event-form #capacity", "1").await?;
    b.select("#event-form #join_mode", "free").await?;
    b.select("#event-form #visibility", "public").await?;
    submit(b, "#event-form").await?;
    b.wait_for_text(".notice", "Event published.").await?;
    expect_text(b, "#event-seats", "0 going of 1").await?;
    // The address she shares is the one in her address bar.
    let event_address = b.current_url().await?;
    let event_uri = b.find("#event").await?.attribute("data-uri").await?;
    ensure!(
        event_uri == event_address,
        "the event's address {event_address} is not its id {event_uri}"
    );

    // Cleo, on gamma, is sent the address and opens it there: one seat, free.
    sign_in(gamma, b, "cleo").await?;
    b.goto(&gamma.url("/events")).await?;
    b.fill("#event-lookup [name=url]", &event_address).await?;
    submit(b, "#event-lookup").await?;
    b.wait_for_text("#event h1", "Harbour hack night").await?;
    expect_text(b, "#event-seats", "0 going of 1").await?;
    let cleos_event_page = b.current_url().await?;

    // Ada starts an open project and puts a task with a due date on its board.
    b.goto(&alpha.url("/projects")).await?;
    b.click("a[href=\"/projects/new\"]").await?;
    b.wait_for_path("/projects/new").await?;
    b.fill("#handle", "boat").await?;
    b.fill("#name", "Boat").await?;
    b.click("form[action=\"/projects/new\"] button[type=submit]")
        .await?;
    b.wait_for_path("/projects/boat").await?;
    b.wait_for_text(".notice", "The project is created").await?;
    b.fill("#task-form #title", "Sand the hull").await?;
    let due = b.find("#task-form #due_on").await?;
    due.click().await?;
    due.send_keys(&format!("0530{}", future_year())).await?;
    let typed = due.property("value").await?;
    ensure!(typed == ahead("05-30"), "the due date holds `{typed}`");
    submit(b, "#task-form").await?;
    b.wait_for_text(".notice", "The task is on the board.")
        .await?;
    b.wait_for_text("h1", "Sand the hull").await?;
    expect_text(b, "main", &format!("due {}", ahead("05-30"))).await?;
    let task_uri = b
        .find("section[data-uri]")
        .await?
        .attribute("data-uri")
        .await?;
    b.goto(&alpha.url("/projects/boat")).await?;
    expect_text(b, "#column-todo", &format!("due {}", ahead("05-30"))).await?;

    // Bob, on beta, looks the event up by its address and takes the seat.
    sign_in(beta, b, "bob").await?;
    b.goto(&beta.url("/events")).await?;
    b.fill("#event-lookup [name=url]", &event_address).await?;
    submit(b, "#event-lookup").await?;
    b.wait_for_text("#event h1", "Harbour hack night").await?;
    expect_text(
        b,
        "#event-when",
        &format!("{}, 18:00–22:00 (Europe/Lisbon)", long_day("06-01")),
    )
    .await?;
    b.click("#rsvp-join").await?;
    b.wait_for_text(".notice", "Asked to join").await?;
    let bobs_event_page = b.current_url().await?;
    b.reload_until_text(&bobs_event_page, "#rsvp-state", "You are going.")
        .await?;
    expect_text(b, "#event-seats", "1 going of 1 (full)").await?;
    expect_text(b, "#participants", "bob").await?;
    screenshot(b, "guildhall-two-spaces-event.png").await?;
    // Alpha counts him in the one seat.
    b.reload_until_text(&event_address, "#participants", "bob")
        .await?;
    expect_text(b, "#event-seats", "1 going of 1 (full)").await?;

    // Cleo, who had the page open, asks for a seat after all: alpha refuses, the event is full.
    b.goto(&cleos_event_page).await?;
    b.click("#rsvp-join").await?;
    b.wait_for_text(".notice", "Asked to join").await?;
    b.reload_until_text(
        &cleos_event_page,
        "#rsvp-state",
        "Your request was declined.",
    )
    .await?;
    b.reload_until_text(
        &gamma.url("/notifications"),
        "main",
        "declined your request for Harbour hack night",
    )
    .await?;

    // Bob joins Ada's project from beta, takes the task and comments on it.
    b.goto(&beta.url("/projects")).await?;
    b.fill("#target", &format!("@boat@{}", alpha.domain))
        .await?;
    submit(b, "form[action=\"/projects/remote/join\"]").await?;
    b.wait_for_text(".notice", "Your request to join is sent")
        .await?;
    let remote_board = b.current_url().await?;
    b.reload_until_text(&remote_board, ".profile-head .tag", "Member")
        .await?;
    b.reload_until_text(&remote_board, "#column-todo", "Sand the hull")
        .await?;
    expect_text(b, "#column-todo", &format!("due {}", ahead("05-30"))).await?;
    b.click("#column-todo form[action=\"/projects/remote/take\"] button[type=submit]")
        .await?;
    b.wait_for_text(".notice", "Sent to the project").await?;
    let remote_task = b.current_url().await?;
    b.reload_until_text(&remote_task, "#assignees", "bob")
        .await?;
    b.fill("#reply-form [name=text]", "Started on the port side")
        .await?;
    submit(b, "#reply-form").await?;
    b.wait_for_text("#replies", "Started on the port side")
        .await?;
    // His board on beta shows the task being done, by him.
    b.reload_until_text(&remote_board, "#column-doing", "Sand the hull")
        .await?;
    screenshot(b, "guildhall-two-spaces-remote-board.png").await?;

    // Ada, on alpha, sees him on the task and his comment under it.
    b.goto(&alpha.url("/projects/boat")).await?;
    b.click(".board .task a").await?;
    b.wait_for_text("h1", "Sand the hull").await?;
    let task_page = b.current_url().await?;
    b.reload_until_text(&task_page, "#assignees", &beta.handle("bob"))
        .await?;
    b.reload_until_text(&task_page, "#replies", "Started on the port side")
        .await?;

    // Bob makes his private calendar feed on beta.
    b.goto(&beta.url("/events")).await?;
    b.click("a[href=\"/settings/calendar\"]").await?;
    b.wait_for_path("/settings/calendar").await?;
    expect_text(b, "main", "You have no feed address yet.").await?;
    b.click("form[action=\"/settings/calendar\"] button[type=submit]")
        .await?;
    let feed = b.find("#feed-url").await?.property("value").await?;
    ensure!(
        feed.starts_with(&beta.url("/calendar/")),
        "the feed address is {feed}"
    );

    // A calendar program subscribed to it reads the event and the task's due date.
    let client = reqwest::Client::builder()
        .resolve("beta.test", SocketAddr::from(([127, 0, 0, 1], 0)))
        .build()?;
    let r = client.get(&feed).send().await?;
    if r.status() != reqwest::StatusCode::OK {
        bail!("the feed answered {}", r.status());
    }
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    ensure!(
        content_type.starts_with("text/calendar"),
        "the feed is {content_type}"
    );
    let lines = ics_lines(&r.text().await?);
    let block = |uid: &str| -> Result<Vec<String>> {
        let at = lines
            .iter()
            .position(|l| l == &format!("UID:{uid}"))
            .with_context(|| format!("UID:{uid} in {lines:#?}"))?;
        let start = lines[..at]
            .iter()
            .rposition(|l| l == "BEGIN:VEVENT")
            .context("BEGIN:VEVENT")?;
        let end = at
            + lines[at..]
                .iter()
                .position(|l| l == "END:VEVENT")
                .context("END:VEVENT")?;
        Ok(lines[start..=end].to_vec())
    };
    let event = block(&event_uri)?;
    for expected in [
        "SUMMARY:Harbour hack night",
        // 18:00 and 22:00 in Lisbon in June are 17:00 and 21:00 UTC.
        &format!("DTSTART:{}0601T170000Z", future_year()),
        &format!("DTEND:{}0601T210000Z", future_year()),
        "LOCATION:Harbour Works\\, Lisbon",
        "STATUS:CONFIRMED",
    ] {
        ensure!(
            event.iter().any(|l| l == expected),
            "{expected} in the event {event:#?}"
        );
    }
    let task = block(&task_uri)?;
    for expected in [
        "SUMMARY:Due: Sand the hull (Boat)",
        &format!("DTSTART;VALUE=DATE:{}0530", future_year()),
        &format!("DTEND;VALUE=DATE:{}0531", future_year()),
    ] {
        ensure!(
            task.iter().any(|l| l == expected),
            "{expected} in the task {task:#?}"
        );
    }

    // Bob writes to Ada from beta; she reads it on alpha and answers.
    exchange_messages(alpha, beta, b).await?;
    Ok(())
}
