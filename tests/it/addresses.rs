//! E-mail addresses against the real SMTP server the tests start: confirmation of new members
//! where the space asks for it (the gate refuses before, allows after; "send again" is
//! throttled), links that work once, dead and forged links, change of address (the old address
//! told, the new one confirmed), two accounts confirming one address at once, the setting
//! refused without mail, and the administrator's members page: vouching for an address and
//! resetting two-factor sign-in (audited).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use test_support::{MailServer, ReceivedMail};

use crate::support::{assert_error, csrf_from, TestApp, PASSWORD};

async fn require_verification(app: &TestApp, admin: &str, on: bool) -> reqwest::Response {
    app.send_json(
        Method::PATCH,
        Some(admin),
        "/api/v1/space",
        &json!({ "require_email_verification": on }),
    )
    .await
}

/// The path and token of a confirmation mail's link.
fn link_of(mail: &ReceivedMail) -> (String, String) {
    let link = mail
        .link("/email/confirm?token=")
        .unwrap_or_else(|| panic!("a confirmation link in {}", mail.body()));
    let token = link.split("token=").nth(1).expect("token").to_string();
    let path = link.splitn(4, '/').nth(3).expect("path").to_string();
    (format!("/{path}"), token)
}

async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(None, "/api/v1/email/confirm", &json!({ "token": token }))
        .await
}

async fn my_email(app: &TestApp, token: &str) -> Value {
    let r = app.get(Some(token), "/api/v1/me/email").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// A write every member may make once confirmed: a profile edit.
async fn edit_bio(app: &TestApp, token: &str) -> reqwest::Response {
    app.send_json(
        Method::PATCH,
        Some(token),
        "/api/v1/me",
        &json!({ "bio": "Typesetter." }),
    )
    .await
}

#[tokio::test]
async fn new_members_confirm_their_address_before_they_act() {
    let smtp = MailServer::start();
    let (app, admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let r = require_verification(&app, &admin, true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let space: Value = r.json().await.unwrap();
    assert_eq!(space["require_email_verification"], true);

    // Who joined before is not held back.
    let ada = app.token("ada", PASSWORD).await;
    assert_eq!(edit_bio(&app, &ada).await.status(), StatusCode::OK);

    // A newcomer signs up through the API and is mailed a link.
    let cleo = app.member("cleo").await;
    let mail = smtp.wait_for("cleo@example.org", 1).await;
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Confirm your e-mail address")
    );
    let (path, token) = link_of(&mail);
    let state = my_email(&app, &cleo).await;
    assert_eq!(state["verified"], false);
    assert_eq!(state["must_confirm"], true);

    // Reading works, writing is refused with a clear message.
    assert_eq!(
        app.get(Some(&cleo), "/api/v1/me").await.status(),
        StatusCode::OK
    );
    let refused = assert_error(edit_bio(&app, &cleo).await, StatusCode::FORBIDDEN, None).await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("Confirm your e-mail address"),
        "{refused}"
    );
    let r = app
        .post_json(
            Some(&cleo),
            "/api/v1/companies",
            &json!({"handle": "cleoco", "name": "Cleo Co"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // "Send again" within the minute is throttled.
    let r = app
        .post_json(Some(&cleo), "/api/v1/me/email/resend", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // In the browser: a banner on every page, and a page form is led to the e-mail settings.
    let browser = app.signed_in("cleo", PASSWORD).await;
    let home = browser.get(app.url("/")).send().await.unwrap();
    let html = home.text().await.unwrap();
    assert!(html.contains("confirm-email-banner"), "{html}");
    let csrf = csrf_from(&html);
    let r = browser
        .post(app.url("/settings/profile"))
        .form(&[("csrf", csrf.as_str()), ("display_name", "Cleo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings/email");
    let settings = browser
        .get(app.url("/settings/email"))
        .send()
        .await
        .unwrap();
    let html = settings.text().await.unwrap();
    assert!(
        html.contains("email-resend-form") && html.contains("Confirm your e-mail address first")
    );

    // The link's page says what it does; one click confirms.
    let page = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("email-confirm-form") && html.contains("cleo@example.org"));
    let r = browser
        .post(app.url("/email/confirm"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(my_email(&app, &cleo).await["verified"], true);
    assert_eq!(edit_bio(&app, &cleo).await.status(), StatusCode::OK);
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert!(!home.text().await.unwrap().contains("confirm-email-banner"));

    // The link worked once.
    assert_error(
        confirm(&app, &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("token"),
    )
    .await;
    let page = app.get(None, &path).await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("email-dead-link"));
}

#[tokio::test]
async fn dead_and_forged_links_change_nothing() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    for token in ["", "forged-token", &"x".repeat(500)] {
        assert_error(
            confirm(&app, token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("token"),
        )
        .await;
    }
    let page = app.get(None, "/email/confirm?token=forged").await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("email-dead-link"));
    // The form (with the CSRF token of any page) says the same, and nothing is injected.
    let browser = app.browser();
    let html = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/email/confirm"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("token", "forged\r\nBcc: x@example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("email-dead-link"));

    // A change whose link expired (the row made to expire) changes nothing.
    let ada = app.token("ada", PASSWORD).await;
    let r = app
        .send_json(
            Method::PUT,
            Some(&ada),
            "/api/v1/me/email",
            &json!({"email": "ada.late@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, token) = link_of(&smtp.wait_for("ada.late@example.org", 1).await);
    sqlx::query("UPDATE email_tokens SET expires_at = 1")
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_error(
        confirm(&app, &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("token"),
    )
    .await;
    let state = my_email(&app, &ada).await;
    assert_eq!(state["email"], "ada@example.org");
    assert_eq!(state["pending"], Value::Null);
}

#[tokio::test]
async fn change_of_address_is_confirmed_at_the_new_address() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    app.member("bea").await;
    let ada = app.token("ada", PASSWORD).await;
    let change = |body: Value| {
        let app = &app;
        let ada = ada.clone();
        async move {
            app.send_json(Method::PUT, Some(&ada), "/api/v1/me/email", &body)
                .await
        }
    };
    // The current password is required; another member's address and nonsense are refused.
    let r = change(json!({"email": "ada@studio.example", "password": "wrong password 1"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("password")).await;
    let r = change(json!({"email": "Bea@Example.org", "password": PASSWORD})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    let r =
        change(json!({"email": "ada@studio.example\r\nBcc: x@example.org", "password": PASSWORD}))
            .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;

    let r = change(json!({"email": "Ada@Studio.example", "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["pending"], "ada@studio.example");
    // The new address gets the link; the old one a notice without a link.
    let (_, token) = link_of(&smtp.wait_for("ada@studio.example", 1).await);
    let notice = smtp.wait_for("ada@example.org", 1).await;
    let text = notice.body();
    assert!(text.contains("ada@studio.example"), "{text}");
    assert!(notice.link("/email/confirm").is_none(), "{text}");
    // Until the link is opened, nothing changed.
    let state = my_email(&app, &ada).await;
    assert_eq!(state["email"], "ada@example.org");
    assert_eq!(state["pending"], "ada@studio.example");

    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["email"], "ada@studio.example");
    let state = my_email(&app, &ada).await;
    assert_eq!(state["email"], "ada@studio.example");
    assert_eq!(state["verified"], true);
    assert_eq!(state["pending"], Value::Null);
    // Signing in by the new address works, by the old one no longer.
    app.token("ada@studio.example", PASSWORD).await;
    let r = app
        .post_json(
            None,
            "/api/v1/tokens",
            &json!({"login": "ada@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(
        confirm(&app, &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("token"),
    )
    .await;

    // The settings page shows the address and a labelled form.
    let browser = app.signed_in("ada", PASSWORD).await;
    let html = browser
        .get(app.url("/settings/email"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("ada@studio.example") && html.contains("email-change-form"));
    assert!(html.contains("<label for=\"email\">") && html.contains("<label for=\"password\">"));
}

#[tokio::test]
async fn two_accounts_confirming_one_address_at_once_one_wins() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    app.member("bea").await;
    let ada = app.token("ada", PASSWORD).await;
    let bea = app.token("bea", PASSWORD).await;
    for who in [&ada, &bea] {
        let r = app
            .send_json(
                Method::PUT,
                Some(who),
                "/api/v1/me/email",
                &json!({"email": "desk@shared.example", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let (_, first) = link_of(&smtp.wait_for("desk@shared.example", 1).await);
    let (_, second) = link_of(&smtp.wait_for("desk@shared.example", 2).await);
    let (a, b) = tokio::join!(confirm(&app, &first), confirm(&app, &second));
    let mut statuses = vec![a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]
    );
    let loser = if a.status() == StatusCode::OK { b } else { a };
    let body = assert_error(loser, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    assert!(body.to_string().contains("another account"), "{body}");
    // Exactly one account has the address; the other kept its own.
    let emails = [
        my_email(&app, &ada).await["email"].clone(),
        my_email(&app, &bea).await["email"].clone(),
    ];
    let shared = emails
        .iter()
        .filter(|e| *e == "desk@shared.example")
        .count();
    assert_eq!(shared, 1, "{emails:?}");
    assert!(
        emails.contains(&json!("ada@example.org")) || emails.contains(&json!("bea@example.org"))
    );
}

#[tokio::test]
async fn the_setting_needs_mail() {
    let (app, admin) = TestApp::spawn_set_up().await;
    let r = require_verification(&app, &admin, true).await;
    assert_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("require_email_verification"),
    )
    .await;
    let space: Value = app.get(None, "/api/v1/space").await.json().await.unwrap();
    assert_eq!(space["require_email_verification"], false);
    // Turning it off is always fine.
    assert_eq!(
        require_verification(&app, &admin, false).await.status(),
        StatusCode::OK
    );
    let browser = app.signed_in("boss", test_support::ADMIN_PASSWORD).await;
    let html = browser
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("email-verification-off"));
    let r = browser
        .post(app.url("/admin/email-verification"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("require_email_verification", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("sends no mail"));
}

#[tokio::test]
async fn administrators_vouch_for_addresses_and_reset_two_factor() {
    let smtp = MailServer::start();
    let (app, admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    assert_eq!(
        require_verification(&app, &admin, true).await.status(),
        StatusCode::OK
    );
    let cleo = app.member("cleo").await;
    assert_eq!(edit_bio(&app, &cleo).await.status(), StatusCode::FORBIDDEN);
    let ada = app.token("ada", PASSWORD).await;
    // Members may not; the administrator may.
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/admin/members/cleo/email-verified",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/members/cleo/email-verified",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(edit_bio(&app, &cleo).await.status(), StatusCode::OK);
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/members/cleo/email-verified",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Ada turns two-factor sign-in on; a password alone no longer gives a token.
    let step = crate::totp::step_now();
    crate::totp::enrol(&app, &ada, step).await;
    let login = json!({"login": "ada", "password": PASSWORD});
    let r = app.post_json(None, "/api/v1/tokens", &login).await;
    assert_ne!(r.status(), StatusCode::CREATED);

    // The members page shows it, with a confirmation before the reset.
    let browser = app.signed_in("boss", test_support::ADMIN_PASSWORD).await;
    let html = browser
        .get(app.url("/admin/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("/admin/members/ada/totp/reset"), "{html}");
    assert!(html.contains("details class=\"confirm\""));
    let r = browser
        .post(app.url("/admin/members/ada/totp/reset"))
        .form(&[("csrf", csrf_from(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post_json(None, "/api/v1/tokens", &login).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Through the API: nothing to reset now; an unknown member is 404; members may not.
    let reset = |token: String, handle: &'static str| {
        let app = &app;
        async move {
            app.send_json(
                Method::DELETE,
                Some(&token),
                &format!("/api/v1/admin/members/{handle}/totp"),
                &json!({}),
            )
            .await
            .status()
        }
    };
    assert_eq!(reset(admin.clone(), "ada").await, StatusCode::CONFLICT);
    assert_eq!(reset(admin.clone(), "nobody").await, StatusCode::NOT_FOUND);
    assert_eq!(reset(ada.clone(), "ada").await, StatusCode::FORBIDDEN);
    crate::totp::enrol(&app, &ada, step + 1).await;
    assert_eq!(reset(admin.clone(), "ada").await, StatusCode::NO_CONTENT);

    // Both resets and the vouching are in the audit log.
    let log: Value = app
        .get(Some(&admin), "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    let items = log["items"].as_array().unwrap();
    let count = |action: &str, target: &str| {
        items
            .iter()
            .filter(|i| i["action"] == action && i["target"] == target && i["moderator"] == "boss")
            .count()
    };
    assert_eq!(count("reset_totp", "@ada"), 2, "{log}");
    assert_eq!(count("confirm_email", "@cleo"), 1, "{log}");
}
