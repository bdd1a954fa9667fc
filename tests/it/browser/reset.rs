//! Forgot password, in a real browser: the sign-in page's link, the request form, the mail at a
//! real SMTP server, its link, a new password, and the member signed in with it.

use anyhow::{Context, Result};

use super::journey::{expect_text, sign_out, submit};
use super::webdriver::Browser;
use crate::support::{TestApp, PASSWORD};
use test_support::MailServer;

const TEST: &str = "forgot_password_mail_new_password_journey";
const NEW_PASSWORD: &str = "a fresh password 2468";

#[tokio::test]
async fn forgot_password_mail_new_password_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    super::run_scenario(TEST, &browser, journey(&app, &smtp, &browser)).await;
}

async fn journey(app: &TestApp, smtp: &MailServer, b: &Browser) -> Result<()> {
    b.goto(&app.url("/login")).await?;
    expect_text(b, "h1", "Sign in").await?;
    b.click("#forgot-password").await?;
    b.wait_for_path("/password-reset").await?;
    expect_text(b, "h1", "Forgot your password?").await?;
    b.fill("#reset-request-form #email", "ada@example.org")
        .await?;
    submit(b, "#reset-request-form").await?;
    expect_text(b, "#reset-sent", "on its way").await?;

    let mail = smtp.wait_for("ada@example.org", 1).await;
    let link = mail
        .link("/password-reset/confirm?token=")
        .context("no reset link in the mail")?;
    let path = format!("/{}", link.splitn(4, '/').nth(3).context("a path")?);
    b.goto(&app.url(&path)).await?;
    expect_text(b, "h1", "Choose a new password").await?;
    b.fill("#reset-confirm-form #password", NEW_PASSWORD)
        .await?;
    submit(b, "#reset-confirm-form").await?;
    b.wait_for_text(".notice", "Your password is changed")
        .await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;

    // The old password no longer works; the new one does.
    sign_out(b).await?;
    b.goto(&app.url("/login")).await?;
    b.fill("#login-form #login", "ada").await?;
    b.fill("#login-form #password", PASSWORD).await?;
    submit(b, "#login-form").await?;
    expect_text(b, "#login-form", "wrong").await?;
    b.fill("#login-form #password", NEW_PASSWORD).await?;
    submit(b, "#login-form").await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;

    // The link worked once.
    b.goto(&app.url(&path)).await?;
    expect_text(b, "#reset-dead-link", "used, expired or unknown").await
}
