//! Two-factor sign-in in a real browser: a member turns it on from the settings (QR code,
//! secret, first code, recovery codes), signs out and signs in again with a code; and a
//! recovery code opens the account once, never twice.

use anyhow::{ensure, Result};

use super::journey::{expect_text, sign_out, submit};
use super::webdriver::Browser;
use crate::support::{TestApp, ADMIN_PASSWORD, PASSWORD};
use crate::totp::{code, enrol, step_now};

const ENROL: &str = "enrol_totp_sign_out_sign_in_with_code_journey";
const RECOVERY: &str = "totp_recovery_code_works_once_journey";

#[tokio::test]
async fn enrol_totp_sign_out_sign_in_with_code_journey() {
    let Some(browser) = super::launch(ENROL).await else {
        return;
    };
    let (app, _) = TestApp::spawn_set_up().await;
    super::run_scenario(ENROL, &browser, enrol_journey(&app, &browser)).await;
}

async fn password_step(app: &TestApp, b: &Browser, login: &str, password: &str) -> Result<()> {
    b.goto(&app.url("/login")).await?;
    expect_text(b, "h1", "Sign in").await?;
    b.fill("#login-form #login", login).await?;
    b.fill("#login-form #password", password).await?;
    submit(b, "#login-form").await
}

async fn enrol_journey(app: &TestApp, b: &Browser) -> Result<()> {
    password_step(app, b, "boss", ADMIN_PASSWORD).await?;
    expect_text(b, ".account-nav .chip", "@boss").await?;

    // From the settings, set it up.
    b.goto(&app.url("/settings/profile")).await?;
    b.click("a[href=\"/settings/two-factor\"]").await?;
    b.wait_for_path("/settings/two-factor").await?;
    expect_text(b, "#two-factor-status", "off").await?;
    submit(b, "#setup-form").await?;
    b.find(".qr-code svg").await?;
    let secret: String = b.text("#totp-secret").await?.split_whitespace().collect();
    ensure!(secret.len() == 32, "the secret shown is {secret:?}");

    // The first code from the "app" turns it on and shows the recovery codes once.
    let step = step_now();
    b.fill("#confirm-form #code", &code(&secret, step)).await?;
    submit(b, "#confirm-form").await?;
    expect_text(b, "h1", "Two-factor sign-in is on").await?;
    let codes = b.find_all("#recovery-codes li").await?;
    ensure!(codes.len() == 10, "{} recovery codes shown", codes.len());
    b.click("#codes-saved").await?;
    b.wait_for_path("/settings/two-factor").await?;
    expect_text(b, "#two-factor-status", "on").await?;
    ensure!(
        b.try_find("#totp-secret").await?.is_none(),
        "the secret is still shown after enrolment"
    );

    sign_out(b).await?;

    // Signing in: the password, then a code.
    password_step(app, b, "boss", ADMIN_PASSWORD).await?;
    b.wait_for_path("/login/code").await?;
    expect_text(b, "h1", "Enter your code").await?;
    ensure!(
        b.find(".account-nav")
            .await?
            .text()
            .await?
            .contains("Sign in"),
        "signed in before the code"
    );
    b.fill("#code-form #code", &code(&secret, step + 1)).await?;
    submit(b, "#code-form").await?;
    expect_text(b, ".account-nav .chip", "@boss").await?;
    b.wait_for_path("/").await
}

#[tokio::test]
async fn totp_recovery_code_works_once_journey() {
    let Some(browser) = super::launch(RECOVERY).await else {
        return;
    };
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let (_, codes) = enrol(&app, &ada, step_now()).await;
    super::run_scenario(RECOVERY, &browser, recovery_journey(&app, &browser, &codes)).await;
}

async fn recovery_journey(app: &TestApp, b: &Browser, codes: &[String]) -> Result<()> {
    password_step(app, b, "ada", PASSWORD).await?;
    b.wait_for_path("/login/code").await?;
    b.fill("#code-form #code", &codes[0]).await?;
    submit(b, "#code-form").await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;
    sign_out(b).await?;

    // The same recovery code a second time: refused, still signed out.
    password_step(app, b, "ada", PASSWORD).await?;
    b.wait_for_path("/login/code").await?;
    b.fill("#code-form #code", &codes[0]).await?;
    submit(b, "#code-form").await?;
    expect_text(b, "#code-error", "wrong or was already used").await?;
    ensure!(
        b.find(".account-nav")
            .await?
            .text()
            .await?
            .contains("Sign in"),
        "a used recovery code signed in"
    );

    // Another one works, and the settings count what is left.
    b.fill("#code-form #code", &codes[1]).await?;
    submit(b, "#code-form").await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;
    b.goto(&app.url("/settings/two-factor")).await?;
    expect_text(b, "#codes-left", "8 of 10").await
}
