//! A project in a real browser: a member creates one, puts a task on the board, a colleague
//! joins, takes the task and comments; the board shows it in "Doing".

use anyhow::Result;

use super::webdriver::Browser;
use crate::support::{TestApp, PASSWORD};

const TEST: &str = "project_board_journey";

#[tokio::test]
async fn project_board_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    app.member("ada").await;
    app.member("cy").await;
    super::run_scenario(TEST, &browser, journey(&app, &browser)).await;
}

async fn journey(app: &TestApp, b: &Browser) -> Result<()> {
    sign_in(app, b, "ada").await?;
    b.goto(&app.url("/projects")).await?;
    b.click("a[href=\"/projects/new\"]").await?;
    b.wait_for_path("/projects/new").await?;
    b.fill("#handle", "boat").await?;
    b.fill("#name", "Boat").await?;
    b.click("form[action=\"/projects/new\"] button[type=submit]")
        .await?;
    b.wait_for_path("/projects/boat").await?;
    b.wait_for_text(".notice", "The project is created").await?;
    b.fill("#task-form #title", "Sand the hull").await?;
    b.click("#task-form button[type=submit]").await?;
    b.wait_for_text(".notice", "The task is on the board.")
        .await?;
    sign_out(b).await?;

    sign_in(app, b, "cy").await?;
    b.goto(&app.url("/projects/boat")).await?;
    b.click("form[action=\"/projects/boat/join\"] button[type=submit]")
        .await?;
    b.wait_for_text(".notice", "You joined the project.")
        .await?;
    b.click("#column-todo .task a").await?;
    b.wait_for_text("h1", "Sand the hull").await?;
    b.click("form[action$=\"/take\"] button[type=submit]")
        .await?;
    b.wait_for_text(".notice", "The task is yours.").await?;
    b.wait_for_text("#assignees", "@cy").await?;
    b.fill("#reply-form #text", "Started on the port side")
        .await?;
    b.click("#reply-form button[type=submit]").await?;
    b.wait_for_text(".notice", "Posted.").await?;
    b.wait_for_text("#replies", "Started on the port side")
        .await?;
    b.goto(&app.url("/projects/boat")).await?;
    b.wait_for_text("#column-doing", "Sand the hull").await?;
    Ok(())
}

async fn sign_in(app: &TestApp, b: &Browser, login: &str) -> Result<()> {
    b.goto(&app.url("/login")).await?;
    b.fill("#login-form #login", login).await?;
    b.fill("#login-form #password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_for_text(".account-nav .chip", &format!("@{login}"))
        .await
}

async fn sign_out(b: &Browser) -> Result<()> {
    b.click(".account-nav form[action=\"/logout\"] button[type=submit]")
        .await?;
    b.wait_for_text(".notice", "You are signed out.").await
}
