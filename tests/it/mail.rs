//! Outgoing mail against a real SMTP server the tests start (`test_support::MailServer`):
//! password reset end to end, no enumeration, dead tokens, the single use of a token under
//! racing requests, mail queued while the SMTP server is down (and across a restart), header
//! injection, mail off (the page and the log), invitations, notification mails and digests,
//! their settings (API and form), and reports mailed to moderators. `tls.rs`: STARTTLS, TLS from
//! the start, a private CA and AUTH; `notify.rs`: messages, RSVP answers and task assignments
//! mailed at once or never.

mod notify;
mod tls;

use reqwest::StatusCode;
use serde_json::json;
use test_support::{smtp_url, MailServer, ReceivedMail};

use crate::support::{
    assert_error, csrf_from, fresh_database, Instance, Logs, TestApp, MAIL_FROM, PASSWORD,
};

const NEW_PASSWORD: &str = "a brand new password 456";

async fn request_reset(app: &TestApp, email: &str) -> StatusCode {
    app.post_json(None, "/api/v1/password-reset", &json!({"email": email}))
        .await
        .status()
}

/// Sets a new password through the API with a mailed token.
async fn confirm_reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        None,
        "/api/v1/password-reset/confirm",
        &json!({"token": token, "password": password}),
    )
    .await
}

/// The token of a reset mail's link.
fn token_of(mail: &ReceivedMail) -> (String, String) {
    let link = mail
        .link("/password-reset/confirm?token=")
        .unwrap_or_else(|| panic!("a reset link in {}", mail.body()));
    let token = link.split("token=").nth(1).expect("token").to_string();
    let path = link.splitn(4, '/').nth(3).expect("path").to_string();
    (format!("/{path}"), token)
}

#[tokio::test]
async fn password_reset_end_to_end() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    // Two ways ada is signed in: a browser session and an API token.
    let old_browser = app.signed_in("ada", PASSWORD).await;
    let old_token = app.token("ada", PASSWORD).await;

    assert_eq!(
        request_reset(&app, "Ada@Example.org").await,
        StatusCode::ACCEPTED
    );
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert_eq!(mail.to, vec!["ada@example.org".to_string()]);
    let from = mail.header("From").expect("From");
    assert!(
        from.contains("Harbour Works") && from.contains("hello@harbour.example"),
        "{from}"
    );
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your password")
    );
    assert!(mail
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
    let body = mail.body();
    assert!(
        body.contains("@ada") && body.contains("Harbour Works"),
        "{body}"
    );
    let (path, token) = token_of(&mail);
    assert!(path.starts_with("/password-reset/confirm?token="));

    // The link's page asks for the new password; a weak one is refused and keeps the link.
    let browser = app.browser();
    let page = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("reset-confirm-form"));
    let csrf = csrf_from(&html);
    let weak = browser
        .post(app.url("/password-reset/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", &token),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = browser
        .post(app.url("/password-reset/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", &token),
            ("password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    // Signed in with the new password at once…
    let me = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // …and every other session and token is over.
    let old = old_browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(Some(&old_token), "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.token("ada", NEW_PASSWORD).await;
    let r = app
        .post_json(
            None,
            "/api/v1/tokens",
            &json!({"login": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The link works once.
    let again = app.get(None, &path).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("reset-dead-link"));
    let r = confirm_reset(&app, &token, "yet another password 789").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("token")).await;
    app.token("ada", NEW_PASSWORD).await;
}

#[tokio::test]
async fn unknown_address_is_accepted_and_mails_nothing() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    assert_eq!(
        request_reset(&app, "nobody@example.org").await,
        StatusCode::ACCEPTED
    );
    // The stand-in work done for an unknown address stores nothing.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let r = app
        .post_json(
            None,
            "/api/v1/password-reset",
            &json!({"email": "not an address"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    // A known address afterwards: once its mail is in, the queue has been worked through.
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    smtp.wait_for("ada@example.org", 1).await;
    assert!(smtp.received_by("nobody@example.org").is_empty());
    assert_eq!(smtp.received().len(), 1);
    // The page answers the same for both.
    let browser = app.browser();
    for email in ["nobody@example.org", "ada@example.org"] {
        let html = browser
            .get(app.url("/password-reset"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = browser
            .post(app.url("/password-reset"))
            .form(&[("csrf", csrf_from(&html).as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("reset-sent"));
    }
}

#[tokio::test]
async fn reset_requests_are_throttled() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    for _ in 0..5 {
        assert_eq!(
            request_reset(&app, "ada@example.org").await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // An unknown address is counted the same way (no enumeration through the throttle).
    for _ in 0..5 {
        request_reset(&app, "ghost@example.org").await;
    }
    assert_eq!(
        request_reset(&app, "ghost@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    for token in ["", "forged-token", &"x".repeat(500)] {
        let r = confirm_reset(&app, token, NEW_PASSWORD).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("token")).await;
    }
    let page = app.get(None, "/password-reset/confirm?token=forged").await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("reset-dead-link"));

    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let (_, token) = token_of(&smtp.wait_for("ada@example.org", 1).await);
    // An hour later (the row made to expire), the link is dead and nothing changed.
    sqlx::query("UPDATE password_resets SET expires_at = 1")
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = confirm_reset(&app, &token, NEW_PASSWORD).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("token")).await;
    app.token("ada", PASSWORD).await;
}

#[tokio::test]
async fn racing_confirms_use_a_token_once() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let (_, token) = token_of(&smtp.wait_for("ada@example.org", 1).await);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = app.api.clone();
        let url = app.url("/api/v1/password-reset/confirm");
        let body = json!({"token": token, "password": format!("racing password number {i}")});
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("request")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let ok = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((ok, refused), (1, 7), "{statuses:?}");
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_arrives_when_it_is_up() {
    let port = MailServer::reserve();
    let url = smtp_url(port);
    let (app, admin) =
        TestApp::spawn_with_mail(&url, &[("GUILDHALL_MAIL_RETRY_BASE_MS", "100")]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    // The administrator sees it failing.
    let boss = app.signed_in("boss", crate::support::ADMIN_PASSWORD).await;
    test_support::eventually(
        "the failure on the mail page",
        std::time::Duration::from_secs(20),
        std::time::Duration::from_millis(100),
        || async {
            let html = boss
                .get(app.url("/admin/mail"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if html.contains("mail-problem") && html.contains("ada@example.org") {
                Ok(())
            } else {
                Err("no failure listed yet".to_string())
            }
        },
    )
    .await;
    let _ = admin;
    // The server comes up: the queued mail arrives, once.
    let smtp = MailServer::start_on(port);
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert!(mail.link("/password-reset/confirm?token=").is_some());
    test_support::eventually_exactly(1, "mails to ada", || async {
        smtp.received_by("ada@example.org").len()
    })
    .await;
    let html = boss
        .get(app.url("/admin/mail"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("No mail has failed."), "{html}");
}

#[tokio::test]
async fn no_header_injection_from_subjects_or_recipients() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let rendered = guildhall::mail::Letter::new("Hello\r\nBcc: victim@evil.example\r\nX-Evil: yes")
        .paragraph("body")
        .render("Harbour Works\r\nX-Space: injected");
    guildhall::mail::store::enqueue(&app.db, "ada@example.org", "test", &rendered)
        .await
        .unwrap();
    // A recipient with a line break is refused for good, not sent.
    guildhall::mail::store::enqueue(
        &app.db,
        "ada@example.org\r\nBcc: victim@evil.example",
        "test",
        &rendered,
    )
    .await
    .unwrap();
    app.post_json(
        None,
        "/api/v1/password-reset",
        &json!({"email": "ada@example.org"}),
    )
    .await;
    let mail = smtp.wait_for("ada@example.org", 1).await;
    let names: Vec<String> = mail
        .headers()
        .into_iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n == "bcc" || n == "x-evil" || n == "x-space"),
        "{names:?}"
    );
    assert_eq!(mail.to, vec!["ada@example.org".to_string()]);
    smtp.wait_for("ada@example.org", 2).await;
    assert!(smtp.received_by("victim@evil.example").is_empty());
    assert!(smtp.received().iter().all(|m| m.to.len() == 1));
}

#[tokio::test]
async fn mail_off_is_said_and_nothing_breaks() {
    let logs = Logs::capture();
    let (app, _admin) = TestApp::spawn_set_up().await;
    // The log says so at start-up, with what to set.
    let log = logs.text();
    let line = log
        .lines()
        .find(|l| l.contains("mail is off"))
        .unwrap_or_else(|| panic!("no line about mail in {log}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(
        line.contains("GUILDHALL_SMTP_URL") && line.contains("GUILDHALL_MAIL_FROM"),
        "{line}"
    );
    assert!(!log.contains("mail is on"), "{log}");
    assert_eq!(
        request_reset(&app, "boss@example.org").await,
        StatusCode::ACCEPTED
    );
    let boss = app.signed_in("boss", crate::support::ADMIN_PASSWORD).await;
    let html = boss
        .get(app.url("/admin/mail"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("mail-off"), "{html}");
    let page = app.get(None, "/password-reset").await.text().await.unwrap();
    assert!(page.contains("reset-mail-off"));
    let login = app.get(None, "/login").await.text().await.unwrap();
    assert!(login.contains("href=\"/password-reset\""));
    // Members cannot see the mail page.
    app.open_registration(&_admin).await;
    app.member("ada").await;
    let ada = app.signed_in("ada", PASSWORD).await;
    let r = ada.get(app.url("/admin/mail")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invitations_are_mailed() {
    let smtp = MailServer::start();
    let (app, admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    // A space invitation mailed by the administrator; its link opens sign-up.
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/invites",
            &json!({"email": "newcomer@example.org", "days": 3}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: serde_json::Value = r.json().await.unwrap();
    assert_eq!(made["mailed"], true);
    let mail = smtp.wait_for("newcomer@example.org", 1).await;
    assert!(mail.header("Subject").unwrap().contains("Harbour Works"));
    let link = mail.link("/signup?invite=").expect("an invite link");
    assert_eq!(link, made["url"].as_str().unwrap());
    let path = format!("/{}", link.splitn(4, '/').nth(3).unwrap());
    let page = app.get(None, &path).await.text().await.unwrap();
    assert!(page.contains(made["code"].as_str().unwrap()));
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/invites",
            &json!({"email": "nope"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;

    // A company invitation reaches the invited member's address.
    let api = test_support::Api::new(app.base.as_str(), app.base.as_str(), &app.api);
    api.company(&admin, "lighthouse", "Lighthouse Labs").await;
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/companies/lighthouse/invites",
            &json!({"member": "ada", "role": "member"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You are invited to join Lighthouse Labs")
    );
    assert!(mail.body().contains("Accept or decline"));

    // An event invitation too, with the event's link.
    let ada = app.token("ada", PASSWORD).await;
    app.member("bob").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/events",
            &json!({
                "title": "Rust & coffee",
                "description": "Bring a laptop.",
                "starts_at": test_support::ahead("06-01T18:00"),
                "ends_at": test_support::ahead("06-01T20:30"),
                "timezone": "Europe/Lisbon",
                "join_mode": "invite",
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let event: serde_json::Value = r.json().await.unwrap();
    let token = event["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{token}/invite"),
            &json!({"who": "@bob"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let mail = smtp.wait_for("bob@example.org", 1).await;
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You are invited to Rust & coffee")
    );
    assert!(
        mail.link(&format!("/events/{token}")).is_some(),
        "{}",
        mail.body()
    );
}

#[tokio::test]
async fn invitation_mails_honour_the_member_settings() {
    let smtp = MailServer::start();
    let (app, admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let bob = app.member("bob").await;
    let settings = "/api/v1/me/notification-settings";
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(got["invitations"], "immediate");
    // Invitations are mailed at once or never: no digest holds them.
    let r = app
        .send_json(
            reqwest::Method::PUT,
            Some(&bob),
            settings,
            &json!({"invitations": "digest"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("invitations")).await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            Some(&bob),
            settings,
            &json!({"invitations": "never"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let api = test_support::Api::new(app.base.as_str(), app.base.as_str(), &app.api);
    let invite = |slug: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .post_json(
                    Some(&admin),
                    &format!("/api/v1/companies/{slug}/invites"),
                    &json!({"member": "bob", "role": "member"}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    };
    api.company(&admin, "lighthouse", "Lighthouse Labs").await;
    api.company(&admin, "dockside", "Dockside Studio").await;
    // Invited while invitations are `never`: the invitation stands, no mail is sent.
    invite("lighthouse").await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            Some(&bob),
            settings,
            &json!({"invitations": "immediate"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    invite("dockside").await;
    // The queue is sent in order, so the first mail bob gets is the second invitation's.
    let mail = smtp.wait_for("bob@example.org", 1).await;
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You are invited to join Dockside Studio")
    );
    // It can be stopped like a notification, by link or by one click.
    assert!(mail
        .link("/unsubscribe?")
        .is_some_and(|l| l.contains("t=invitations")));
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(header.contains("t=invitations"), "{header}");
    test_support::eventually_exactly(1, "mails to bob", || async {
        smtp.received_by("bob@example.org").len()
    })
    .await;
}

#[tokio::test]
async fn notification_mails_settings_and_unsubscribe() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let ada = app.token("ada", PASSWORD).await;
    let bob = app.member("bob").await;
    let settings = "/api/v1/me/notification-settings";
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(got["mentions"], "immediate");
    assert_eq!(got["follows"], "digest");
    for bad in [json!({"bogus": "never"}), json!({"messages": "sometimes"})] {
        let r = app
            .send_json(reqwest::Method::PUT, Some(&bob), settings, &bad)
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .send_json(
            reqwest::Method::PUT,
            Some(&bob),
            settings,
            &json!({"tasks": "digest"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (got["tasks"].as_str(), got["mentions"].as_str()),
        (Some("digest"), Some("immediate"))
    );

    // A mention reaches bob by mail at once, with a link to stop such mails.
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "Lunch, @bob?"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mail = smtp.wait_for("bob@example.org", 1).await;
    assert!(
        mail.body().contains("Lunch") || mail.body().contains("mentioned"),
        "{}",
        mail.body()
    );
    let stop = mail.link("/unsubscribe?").expect("an unsubscribe link");
    let stop_path = format!("/{}", stop.splitn(4, '/').nth(3).unwrap());
    assert!(stop_path.contains("t=mentions"));

    // Opening the link changes nothing by itself; its form does, without signing in.
    let browser = app.browser();
    let page = browser.get(app.url(&stop_path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(got["mentions"], "immediate");
    let query: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(stop_path.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let forged = browser
        .get(app.url(&format!("/unsubscribe?a={}&t=mentions&s=00", query["a"])))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = browser
        .post(app.url("/unsubscribe"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("a", &query["a"]),
            ("t", &query["t"]),
            ("s", &query["s"]),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("unsubscribe-done"));
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(got["mentions"], "never");
    // The next mention is not mailed.
    app.post_json(
        Some(&ada),
        "/api/v1/posts",
        &json!({"text": "Coffee, @bob?"}),
    )
    .await;
    test_support::eventually_exactly(1, "mails to bob", || async {
        smtp.received_by("bob@example.org").len()
    })
    .await;
    // The settings page shows the choice.
    let bob_browser = app.signed_in("bob", PASSWORD).await;
    let html = bob_browser
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"mentions-never\" name=\"mentions\" value=\"never\" checked"));
}

#[tokio::test]
async fn one_click_list_unsubscribe() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let ada = app.token("ada", PASSWORD).await;
    let bob = app.member("bob").await;
    let settings = "/api/v1/me/notification-settings";
    app.post_json(Some(&ada), "/api/v1/posts", &json!({"text": "Tea, @bob?"}))
        .await;
    let mail = smtp.wait_for("bob@example.org", 1).await;
    // RFC 2369 and RFC 8058 headers: the signed one-click URL, in angle brackets.
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let url = header
        .strip_prefix('<')
        .and_then(|h| h.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{header}"));
    let path = format!("/{}", url.splitn(4, '/').nth(3).unwrap());
    assert!(path.starts_with("/api/v1/unsubscribe?") && path.contains("t=mentions"));

    // A GET (a client that opens the URL) leads to the page that asks, and changes nothing.
    let r = app.browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/unsubscribe?") && to.contains("t=mentions"),
        "{to}"
    );

    // Another body, a forged signature: 422, nothing changed.
    let client = reqwest::Client::new();
    let post = |path: String, body: &'static str| {
        client
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = post(path.clone(), "List-Unsubscribe=Yes").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (base, _) = path.split_once("&s=").unwrap();
    let forged = format!("{base}&s=0123456789abcdef0123456789abcdef");
    let r = post(forged, "List-Unsubscribe=One-Click").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(got["mentions"], "immediate");

    // The one-click POST needs no sign-in and no CSRF token, even from a browser that holds
    // a session (the signature is the authority).
    let bob_browser = app.signed_in("bob", PASSWORD).await;
    let r = bob_browser
        .post(app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let got: serde_json::Value = app.get(Some(&bob), settings).await.json().await.unwrap();
    assert_eq!(
        (got["mentions"].as_str(), got["messages"].as_str()),
        (Some("never"), Some("immediate"))
    );
    // Done twice is still fine.
    let r = post(path, "List-Unsubscribe=One-Click").await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Mails that are not notifications carry no such header.
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let reset = smtp.wait_for("ada@example.org", 1).await;
    assert!(reset.header("List-Unsubscribe").is_none());
}

#[tokio::test]
async fn notifications_come_in_a_digest() {
    let smtp = MailServer::start();
    let (app, _admin) =
        TestApp::spawn_with_mail(&smtp.url(), &[("GUILDHALL_NOTIFICATION_DIGEST_SECS", "1")]).await;
    let bob = app.member("bob").await;
    let carol = app.member("carol").await;
    // Follows are in the digest by default.
    let api = test_support::Api::new(app.base.as_str(), app.base.as_str(), &app.api);
    api.follow(&bob, "@ada").await;
    api.follow(&carol, "@ada").await;
    let mail = smtp.wait_for("ada@example.org", 1).await;
    let subject = mail.header("Subject").unwrap();
    assert!(subject.starts_with("Your digest:"), "{subject}");
    let body = mail.body();
    assert!(body.contains("/notifications"), "{body}");
    let stop = mail.link("/unsubscribe?").expect("an unsubscribe link");
    assert!(stop.contains("t=all"));
    // Every follow is in exactly one digest, once: two follow lines in all of ada's digests
    // (and no more after a further digest round), one by bob and one by carol.
    let follow_lines = || {
        smtp.received_by("ada@example.org")
            .iter()
            .flat_map(|m| {
                text_part(m)
                    .lines()
                    .filter(|l| l.contains(" followed "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<String>>()
    };
    test_support::eventually_exactly(2, "follow lines in ada's digests", || async {
        follow_lines().len()
    })
    .await;
    let lines = follow_lines();
    for who in ["bob", "carol"] {
        assert_eq!(
            lines.iter().filter(|l| l.contains(who)).count(),
            1,
            "{who}: {lines:?}"
        );
    }
}

/// The plain-text part of a multipart mail (what comes before its HTML part).
fn text_part(mail: &ReceivedMail) -> String {
    let body = mail.body();
    match body.find("Content-Type: text/html") {
        Some(at) => body[..at].to_string(),
        None => body,
    }
}

#[tokio::test]
async fn a_reset_still_asks_a_member_with_two_factor_for_a_code() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let token = app.token("ada", PASSWORD).await;
    crate::totp::enrol(&app, &token, crate::totp::step_now()).await;

    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let mail = smtp.wait_for("ada@example.org", 1).await;
    let (path, token) = token_of(&mail);
    let browser = app.browser();
    let html = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let done = browser
        .post(app.url("/password-reset/confirm"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("token", &token),
            ("password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    // The password is changed, but the mailbox is not the second factor: the code step follows
    // and no session exists yet.
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let to = done.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/login/code"), "{to}");
    let me = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::SEE_OTHER);
    let code_page = browser.get(app.url("/login/code")).send().await.unwrap();
    assert_eq!(code_page.status(), StatusCode::OK);
}

#[tokio::test]
async fn mail_queued_before_a_restart_is_sent_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let port = MailServer::reserve();
    let url = smtp_url(port);
    let mail_config = [
        ("GUILDHALL_SMTP_URL", url.as_str()),
        ("GUILDHALL_MAIL_FROM", MAIL_FROM),
        // Long enough that the stop below cannot fall into a second attempt.
        ("GUILDHALL_MAIL_RETRY_BASE_MS", "4000"),
    ];
    let first = Instance::start(&db, &mail_config).await;
    let admin = first
        .app
        .set_up_space(json!({"name": "Harbour Works"}))
        .await;
    first.app.open_registration(&admin).await;
    first.app.member("ada").await;
    assert_eq!(
        request_reset(&first.app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    // The SMTP server is down: the first attempt fails and is recorded.
    let state_db = first.state.db.clone();
    test_support::eventually(
        "the failed first attempt",
        std::time::Duration::from_secs(20),
        std::time::Duration::from_millis(20),
        || async {
            let problems = guildhall::mail::store::problems(&state_db, 10)
                .await
                .unwrap();
            match problems.first() {
                Some(p) if p.attempts >= 1 => Ok(()),
                _ => Err(format!("{problems:?}")),
            }
        },
    )
    .await;
    first.stop().await;
    // Stopped between attempts (read through a connection of the test's own, the instance's
    // pool is closed): the mail waits in the queue, neither sent nor given up, its next
    // attempt still ahead, so no attempt was in flight at the stop.
    let inspect = guildhall::storage::Db::connect(&db).await.unwrap();
    let problems = guildhall::mail::store::problems(&inspect, 10)
        .await
        .unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].recipient, "ada@example.org");
    assert_eq!(problems[0].attempts, 1, "{problems:?}");
    assert!(!problems[0].given_up);
    assert!(
        problems[0].next_attempt_at > guildhall::storage::now_ms(),
        "{problems:?}"
    );
    inspect.close().await;

    // The server comes up and the instance starts again on the same database: the mail
    // arrives, once, with its link.
    let smtp = MailServer::start_on(port);
    let second = Instance::start(&db, &mail_config).await;
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert!(mail.link("/password-reset/confirm?token=").is_some());
    test_support::eventually_exactly(1, "mails to ada", || async {
        smtp.received_by("ada@example.org").len()
    })
    .await;
    let summary = guildhall::mail::store::summary(&second.state.db)
        .await
        .unwrap();
    assert_eq!((summary.queued, summary.failed), (0, 0));
    second.stop().await;
}

#[tokio::test]
async fn the_mail_settings_form_saves_choices() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let ada = app.token("ada", PASSWORD).await;
    let settings = "/api/v1/me/notification-settings";
    let browser = app.signed_in("ada", PASSWORD).await;
    let page = |browser: reqwest::Client| {
        let url = app.url("/settings/notifications");
        async move { browser.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(browser.clone()).await;
    assert!(html.contains("notification-settings-form"));
    let csrf = csrf_from(&html);
    let r = browser
        .post(app.url("/settings/notifications"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("mentions", "never"),
            ("follows", "immediate"),
            ("invitations", "never"),
            ("rsvp", "digest"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings/notifications");
    let got: serde_json::Value = app.get(Some(&ada), settings).await.json().await.unwrap();
    assert_eq!(
        (
            got["mentions"].as_str(),
            got["follows"].as_str(),
            got["invitations"].as_str(),
            got["rsvp"].as_str(),
            got["messages"].as_str(),
        ),
        (
            Some("never"),
            Some("immediate"),
            Some("never"),
            Some("digest"),
            Some("immediate")
        )
    );
    let html = page(browser.clone()).await;
    assert!(html.contains("id=\"mentions-never\" name=\"mentions\" value=\"never\" checked"));
    assert!(html.contains("id=\"follows-immediate\" name=\"follows\" value=\"immediate\" checked"));

    // A choice a topic does not offer, or an unknown topic: refused, and nothing changes (not
    // even the valid choice sent with it).
    for bad in [("invitations", "digest"), ("bogus", "never")] {
        let r = browser
            .post(app.url("/settings/notifications"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("mentions", "immediate"),
                (bad.0, bad.1),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    // Without its CSRF token the form is refused.
    let r = browser
        .post(app.url("/settings/notifications"))
        .form(&[("mentions", "immediate")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let got: serde_json::Value = app.get(Some(&ada), settings).await.json().await.unwrap();
    assert_eq!(got["mentions"], "never");
    // Signed out, the page and the form lead to sign-in.
    let r = app
        .browser()
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_report_is_mailed_to_moderators_and_no_plain_member_hears_of_it() {
    let smtp = MailServer::start();
    let (app, admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let ada = app.token("ada", PASSWORD).await;
    let bob = app.member("bob").await;
    let carol = app.member("carol").await;
    let mo = app.member("mo").await;
    guildhall::admin::users::set_role(&app.db, "mo", "moderator")
        .await
        .unwrap();

    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@bob", "category": "spam", "comment": "Selling watches"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let link = format!("/admin/reports/{id}");

    // The moderator and the administrator are mailed at once, with the report's link.
    for to in ["mo@example.org", "boss@example.org"] {
        let mail = smtp.wait_for(to, 1).await;
        let subject = mail.header("Subject").unwrap();
        assert!(
            subject.contains("@ada") && subject.contains("reported @bob"),
            "{subject}"
        );
        assert!(mail.link(&link).is_some(), "{}", mail.body());
        assert!(mail
            .link("/unsubscribe?")
            .is_some_and(|l| l.contains("t=reports")));
    }
    // Each has one `report` notification; the reporter, the reported member and a plain
    // member have none, and are mailed nothing.
    let reports_of = |token: String| {
        let app = &app;
        async move {
            let list: serde_json::Value = app
                .get(Some(&token), "/api/v1/notifications")
                .await
                .json()
                .await
                .unwrap();
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "report")
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    for token in [&mo, &admin] {
        let told = reports_of(token.clone()).await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0]["link"], link);
        assert!(told[0]["actor"].as_str().unwrap().ends_with("/members/ada"));
    }
    for token in [&ada, &bob, &carol] {
        assert!(reports_of(token.clone()).await.is_empty());
    }
    test_support::eventually_exactly(0, "mails to members who are not staff", || async {
        ["ada", "bob", "carol"]
            .iter()
            .map(|h| smtp.received_by(&format!("{h}@example.org")).len())
            .sum()
    })
    .await;

    // The notifications page shows it with its link; the mail settings page offers the
    // "Reports" topic to the moderator only.
    let mo_browser = app.signed_in("mo", PASSWORD).await;
    let html = mo_browser
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-kind=\"report\""), "{html}");
    assert!(html.contains("reported @bob"), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let settings_of = |browser: reqwest::Client| {
        let url = app.url("/settings/notifications");
        async move { browser.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(settings_of(mo_browser.clone())
        .await
        .contains("name=\"reports\""));
    let carol_browser = app.signed_in("carol", PASSWORD).await;
    let html = settings_of(carol_browser).await;
    assert!(html.contains("name=\"mentions\"") && !html.contains("name=\"reports\""));

    // A moderator who files a report is not told of their own; the administrator is.
    let r = app
        .post_json(
            Some(&mo),
            "/api/v1/reports",
            &json!({"target": "@carol", "category": "abuse"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    smtp.wait_for("boss@example.org", 2).await;
    assert_eq!(reports_of(admin.clone()).await.len(), 2);
    assert_eq!(reports_of(mo.clone()).await.len(), 1);
    assert_eq!(smtp.received_by("mo@example.org").len(), 1);
}
