//! The first journey through the pages, in a real browser: a new space is set up, opens its
//! doors, a member joins, the admin creates a company and invites her, and she accepts.

use anyhow::{ensure, Result};

use super::webdriver::Browser;
use crate::support::{TestApp, ADMIN_PASSWORD, PASSWORD};

const TEST: &str = "setup_signup_company_invitation_journey";

#[tokio::test]
async fn setup_signup_company_invitation_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let app = TestApp::spawn().await;
    super::run_scenario(TEST, &browser, journey(&app, &browser)).await;
}

async fn journey(app: &TestApp, b: &Browser) -> Result<()> {
    // An empty instance leads to the setup page.
    b.goto(&app.url("/")).await?;
    b.wait_for_path("/setup").await?;
    expect_text(b, "h1", "Welcome to Guildhall").await?;

    // Set the space up; its first administrator is signed in on the admin page.
    b.fill("#setup-form #name", "Harbour Works").await?;
    b.fill("#setup-form #city", "Lisbon").await?;
    b.fill("#setup-form #country", "PT").await?;
    b.fill("#setup-form #admin_display_name", "Bea Boss")
        .await?;
    b.fill("#setup-form #admin_handle", "boss").await?;
    b.fill("#setup-form #admin_email", "boss@example.org")
        .await?;
    b.fill("#setup-form #admin_password", ADMIN_PASSWORD)
        .await?;
    submit(b, "#setup-form").await?;
    b.wait_for_path("/admin").await?;
    b.wait_for_text(".notice", "Your space is ready").await?;
    expect_text(b, "h1", "Space settings").await?;
    expect_text(b, ".account-nav .chip", "@boss").await?;

    // Open registration to everyone.
    b.click("#admin-form #mode-open").await?;
    submit(b, "#admin-form").await?;
    b.wait_for_text(".notice", "Settings saved.").await?;
    ensure!(
        b.find("#admin-form #mode-open")
            .await?
            .is_selected()
            .await?,
        "registration mode is not shown as open after saving"
    );

    sign_out(b).await?;

    // A second member joins through the sign-up page.
    b.goto(&app.url("/signup")).await?;
    expect_text(b, "h1", "Join Harbour Works").await?;
    b.fill("#signup-form #display_name", "Ada Lovelace").await?;
    b.fill("#signup-form #handle", "ada").await?;
    b.fill("#signup-form #email", "ada@example.org").await?;
    b.fill("#signup-form #password", PASSWORD).await?;
    submit(b, "#signup-form").await?;
    b.wait_for_path("/settings/profile").await?;
    b.wait_for_text(".notice", "Welcome!").await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;

    sign_out(b).await?;

    // The admin signs in and creates a company.
    sign_in(app, b, "boss", ADMIN_PASSWORD).await?;
    b.goto(&app.url("/companies/new")).await?;
    expect_text(b, "h1", "Create a company").await?;
    b.fill("#company-form [name=handle]", "lighthouse").await?;
    b.fill("#company-form [name=name]", "Lighthouse Labs")
        .await?;
    b.fill(
        "#company-form [name=description]",
        "We build tools for harbour logistics.",
    )
    .await?;
    b.fill("#company-form [name=industry]", "Software").await?;
    b.fill("#company-form [name=skills]", "rust, design")
        .await?;
    b.fill("#company-form [name=city]", "Lisbon").await?;
    b.fill("#company-form [name=country]", "PT").await?;
    b.select("#company-form select[name=size]", "2-10").await?;
    b.click("#company-form [name=hiring]").await?;
    submit(b, "#company-form").await?;
    b.wait_for_path("/companies/lighthouse").await?;
    b.wait_for_text(".notice", "Lighthouse Labs is created.")
        .await?;
    let heading = b.text("#company h1").await?;
    ensure!(
        heading == "Lighthouse Labs",
        "company heading is {heading:?}"
    );
    expect_text(b, "#company .tags", "Hiring").await?;
    expect_text(b, "#members", "@boss · Owner").await?;

    // From its members page, the admin invites ada as a member.
    b.click("#company #manage-members").await?;
    b.wait_for_path("/companies/lighthouse/members").await?;
    expect_text(b, "h1", "Members of Lighthouse Labs").await?;
    b.fill("#invite-form [name=member]", "ada").await?;
    b.select("#invite-form select[name=role]", "member").await?;
    submit(b, "#invite-form").await?;
    b.wait_for_text(".notice", "@ada is invited.").await?;
    expect_text(b, "#pending-invites", "@ada as Member").await?;

    sign_out(b).await?;

    // Ada signs in, finds the invitation on the home page and accepts it.
    sign_in(app, b, "ada", PASSWORD).await?;
    b.goto(&app.url("/")).await?;
    expect_text(
        b,
        "#invitations",
        "Lighthouse Labs invites you to join as Member.",
    )
    .await?;
    b.click("#invitations form[action$=\"/accept\"] button[type=submit]")
        .await?;

    // She lands on the company's page, which lists her among its members.
    b.wait_for_path("/companies/lighthouse").await?;
    b.wait_for_text(
        ".notice",
        "Welcome to Lighthouse Labs! You are now a member.",
    )
    .await?;
    expect_text(b, "#company .handle", "You are member").await?;
    expect_text(b, "#members", "Ada Lovelace").await?;
    expect_text(b, "#members", "@ada · Member").await?;

    // The invitation is gone from her home page.
    b.goto(&app.url("/")).await?;
    expect_text(b, "main", "Your companies").await?;
    ensure!(
        b.try_find("#invitations").await?.is_none(),
        "the accepted invitation is still offered on the home page"
    );
    Ok(())
}

/// Submits the form matching `form` with its submit button.
pub(super) async fn submit(b: &Browser, form: &str) -> Result<()> {
    b.click(&format!("{form} button[type=submit]")).await
}

/// Waits for `needle` in the element matching `css`.
pub(super) async fn expect_text(b: &Browser, css: &str, needle: &str) -> Result<()> {
    b.wait_for_text(css, needle).await
}

pub(super) async fn sign_out(b: &Browser) -> Result<()> {
    b.click(".account-nav form[action=\"/logout\"] button[type=submit]")
        .await?;
    b.wait_for_text(".notice", "You are signed out.").await?;
    expect_text(b, ".account-nav", "Sign in").await
}

async fn sign_in(app: &TestApp, b: &Browser, login: &str, password: &str) -> Result<()> {
    b.goto(&app.url("/login")).await?;
    expect_text(b, "h1", "Sign in").await?;
    b.fill("#login-form #login", login).await?;
    b.fill("#login-form #password", password).await?;
    submit(b, "#login-form").await?;
    expect_text(b, ".account-nav .chip", &format!("@{login}")).await
}
