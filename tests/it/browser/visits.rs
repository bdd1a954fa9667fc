//! Visits across spaces in one browser: alpha's administrator trusts beta on the trusted
//! spaces page; Bob, on beta, looks alpha up on his visits page, asks for its desk for a
//! morning and sees it booked; alpha's administrator sees "…, member of beta … (beta.test:…)"
//! on the desk's day page; Bob cancels (with the confirmation) and alpha frees the slot.

use anyhow::{ensure, Context, Result};
use chrono::{Duration, Utc};
use serde_json::json;

use super::journey::{expect_text, sign_out, submit};
use super::two_spaces::{sign_in, Space};
use super::webdriver::Browser;
use crate::support::ADMIN_PASSWORD;

const TEST: &str = "visit_another_space_journey";

/// WebDriver's Tab key.
const TAB: &str = "\u{E004}";

#[tokio::test]
async fn visit_another_space_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, beta) = tokio::join!(Space::start("alpha"), Space::start("beta"));
    beta.app.member("bob").await;
    super::run_scenario(TEST, &browser, journey(&alpha, &beta, &browser)).await;
}

async fn journey(alpha: &Space, beta: &Space, b: &Browser) -> Result<()> {
    // The desk, made through the API by alpha's administrator.
    let admin = alpha.app.token("boss", ADMIN_PASSWORD).await;
    let r = alpha
        .app
        .post_json(
            Some(&admin),
            "/api/v1/resources",
            &json!({"name": "Harbour desk", "kind": "desk", "visitors": true}),
        )
        .await;
    ensure!(r.status().as_u16() == 201, "the desk was not made");
    let id = r.json::<serde_json::Value>().await?["id"]
        .as_i64()
        .context("the desk's id")?;

    // Alpha's administrator trusts beta, two days a month.
    b.goto(&alpha.url("/login")).await?;
    b.fill("#login-form #login", "boss").await?;
    b.fill("#login-form #password", ADMIN_PASSWORD).await?;
    submit(b, "#login-form").await?;
    expect_text(b, ".account-nav .chip", "@boss").await?;
    b.goto(&alpha.url("/admin")).await?;
    b.click("a[href=\"/admin/trusted-spaces\"]").await?;
    b.fill("#trusted-form #domain", &beta.domain).await?;
    let days = b.find("#trusted-form #visit_days_per_month").await?;
    days.clear().await?;
    days.send_keys("2").await?;
    submit(b, "#trusted-form").await?;
    b.wait_for_text(".notice", "Trusted").await?;
    expect_text(b, "#trusted-spaces", &beta.domain).await?;
    sign_out(b).await?;

    // Bob, on beta, looks alpha up and asks for the desk, 09:00 to 12:00 in three days.
    sign_in(beta, b, "bob").await?;
    b.goto(&beta.url("/visits")).await?;
    b.fill("#space-form #space", &alpha.domain).await?;
    submit(b, "#space-form").await?;
    expect_text(b, "#peer-resources", "Harbour desk").await?;
    let day = Utc::now().date_naive() + Duration::days(3);
    let typed = day.format("%m%d%Y").to_string();
    for (css, time, value) in [
        ("#starts-1", "0900AM", "09:00"),
        ("#ends-1", "1200PM", "12:00"),
    ] {
        let field = b.find(css).await?;
        field.click().await?;
        field.send_keys(&[typed.as_str(), time].join(TAB)).await?;
        let held = field.property("value").await?;
        ensure!(
            held == format!("{day}T{value}"),
            "`{css}` holds `{held}` after typing"
        );
    }
    submit(b, "#peer-resources li").await?;
    b.wait_for_text(".notice", "Asked").await?;
    b.reload_until_text(&beta.url("/visits"), "#my-visits", "Booked")
        .await?;
    expect_text(b, "#my-visits", "Harbour desk").await?;

    // Alpha's administrator sees who booked it.
    let page = alpha
        .app
        .signed_in("boss", ADMIN_PASSWORD)
        .await
        .get(alpha.app.url(&format!("/resources/{id}?day={day}")))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        page.contains(", member of ") && page.contains(&beta.domain),
        "the desk's page does not show the visitor"
    );

    // Bob cancels, after the confirmation; alpha frees the slot.
    b.click("#my-visits details.confirm summary").await?;
    submit(b, "#my-visits details.confirm form").await?;
    b.wait_for_text(".notice", "Cancelled your visit").await?;
    let path = format!("/api/v1/resources/{id}/bookings?from={day}T00:00&to={day}T23:59");
    crate::federation::eventually("the slot freed on alpha", || async {
        let v: serde_json::Value = alpha.app.get(Some(&admin), &path).await.json().await.ok()?;
        v["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
            .then_some(())
    })
    .await;
    Ok(())
}
