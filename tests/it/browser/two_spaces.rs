//! Two spaces, one browser: a member of beta follows a member of alpha from the network page,
//! reads her post on his home timeline, comments on it, and they exchange direct messages,
//! each on the pages of their own space. The instances are `alpha.test` and `beta.test`
//! (the browser maps `*.test` to loopback), so each keeps its own sign-in cookie.

use anyhow::Result;

use super::journey::{expect_text, sign_out, submit};
use super::webdriver::Browser;
use crate::federation::port_of;
use crate::support::{TestApp, PASSWORD};

const TEST: &str = "two_spaces_follow_post_comment_message_journey";

/// A space as the browser reaches it: by its own name.
pub(super) struct Space {
    pub(super) app: TestApp,
    pub(super) domain: String,
}

impl Space {
    pub(super) async fn start(name: &str) -> Space {
        let (app, _) = TestApp::spawn_named(name).await;
        let domain = format!("{name}.test:{}", port_of(&app));
        Space { app, domain }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.domain)
    }

    pub(super) fn handle(&self, handle: &str) -> String {
        format!("@{handle}@{}", self.domain)
    }
}

#[tokio::test]
async fn two_spaces_follow_post_comment_message_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, beta) = tokio::join!(Space::start("alpha"), Space::start("beta"));
    alpha.app.member("ada").await;
    beta.app.member("bob").await;
    super::run_scenario(TEST, &browser, journey(&alpha, &beta, &browser)).await;
}

pub(super) async fn sign_in(space: &Space, b: &Browser, login: &str) -> Result<()> {
    b.goto(&space.url("/login")).await?;
    b.fill("#login-form #login", login).await?;
    b.fill("#login-form #password", PASSWORD).await?;
    submit(b, "#login-form").await?;
    expect_text(b, ".account-nav .chip", &format!("@{login}")).await
}

async fn journey(alpha: &Space, beta: &Space, b: &Browser) -> Result<()> {
    // Bob, on beta, follows Ada on alpha from his network page.
    sign_in(beta, b, "bob").await?;
    b.goto(&beta.url("/network")).await?;
    b.fill("#follow-form [name=target]", &alpha.handle("ada"))
        .await?;
    submit(b, "#follow-form").await?;
    // The answer to the form (not a reload, which could cut the request short) lists her.
    expect_text(b, "#main", &alpha.handle("ada")).await?;

    // Ada, on alpha, posts from her home timeline.
    sign_in(alpha, b, "ada").await?;
    b.goto(&alpha.url("/home")).await?;
    b.fill(
        "#compose-form [name=text]",
        "Desk 12 is free all week, anyone from beta welcome #coworking",
    )
    .await?;
    submit(b, "#compose-form").await?;
    expect_text(b, "main", "Desk 12 is free all week").await?;

    // Bob finds it on his home timeline, opens it and comments.
    b.reload_until_text(&beta.url("/home"), "main", "Desk 12 is free all week")
        .await?;
    b.click("article.post footer a[href]").await?;
    expect_text(b, "main", "Desk 12 is free all week").await?;
    b.fill("#reply-form [name=text]", "I will take it on Tuesday!")
        .await?;
    submit(b, "#reply-form").await?;
    expect_text(b, "main", "I will take it on Tuesday!").await?;

    // Ada sees the comment under her post, and a notification of it.
    b.reload_until_text(&alpha.url("/notifications"), "main", "bob")
        .await?;
    b.reload_until_text(&alpha.url("/home"), "main", "1 reply")
        .await?;
    b.click("article.post footer a[href]").await?;
    expect_text(b, "main", "I will take it on Tuesday!").await?;

    exchange_messages(alpha, beta, b).await?;
    sign_out(b).await?;
    Ok(())
}

/// Bob, signed in on beta, writes to Ada privately; she, signed in on alpha, reads it and
/// answers; he reads the answer on beta.
pub(super) async fn exchange_messages(alpha: &Space, beta: &Space, b: &Browser) -> Result<()> {
    b.goto(&beta.url("/messages")).await?;
    b.fill("#message-form [name=to]", &alpha.handle("ada"))
        .await?;
    b.fill("#message-form [name=text]", "Lunch after, at the pier?")
        .await?;
    submit(b, "#message-form").await?;
    expect_text(b, "main", "Lunch after, at the pier?").await?;

    b.reload_until_text(&alpha.url("/messages"), "#conversations", "bob")
        .await?;
    b.click("#conversations a.conversation").await?;
    expect_text(b, "#messages", "Lunch after, at the pier?").await?;
    b.fill("#answer-form [name=text]", "Yes, at one.").await?;
    submit(b, "#answer-form").await?;
    expect_text(b, "#messages", "Yes, at one.").await?;

    b.goto(&beta.url("/messages")).await?;
    b.reload_until_text(&beta.url("/messages"), "#conversations", "ada")
        .await?;
    b.click("#conversations a.conversation").await?;
    // On the conversation's page (not still the list) before reloading it.
    b.wait_for_path("/messages/thread").await?;
    b.reload_until_text(&b.current_url().await?, "#messages", "Yes, at one.")
        .await?;
    Ok(())
}
