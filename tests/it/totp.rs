//! Two-factor sign-in: enrolment, the second step of signing in (right, wrong and replayed
//! codes), recovery codes, throttling, API tokens, and the staff requirement. Codes are
//! computed from the secret with the same crate the server uses.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::support::{
    assert_error, csrf_from, fresh_database, Instance, TestApp, ADMIN_PASSWORD, PASSWORD,
};

fn generator(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "test".into()).unwrap()
}

/// The step of now, fixed once per test so its codes follow one another.
pub(crate) fn step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

pub(crate) fn code(secret: &str, step: u64) -> String {
    generator(secret).generate(step * 30)
}

/// Enrols the holder of `token` through the API with a code of `step`; returns the secret and
/// the recovery codes.
pub(crate) async fn enrol(app: &TestApp, token: &str, step: u64) -> (String, Vec<String>) {
    let r = app
        .post_json(Some(token), "/api/v1/me/totp", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            Some(token),
            "/api/v1/me/totp/confirm",
            &json!({"code": code(&secret, step)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

/// Signs in with the password through the form; the answer must lead to the code page.
async fn password_step(app: &TestApp, login: &str, password: &str) -> Client {
    let browser = app.browser();
    let r = app.submit_sign_in(&browser, login, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap();
    assert_eq!(to, "/login/code?next=%2F");
    browser
}

async fn submit_code(app: &TestApp, browser: &Client, code: &str) -> reqwest::Response {
    let page = browser.get(app.url("/login/code")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    browser
        .post(app.url("/login/code"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("code", code),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

async fn is_signed_in(app: &TestApp, browser: &Client) -> bool {
    let r = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    r.status() == StatusCode::OK
}

async fn status(app: &TestApp, token: &str) -> Value {
    app.get(Some(token), "/api/v1/me/totp")
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn enrolment_shows_a_qr_code_then_never_the_secret_again() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    assert_eq!(status(&app, &ada).await["enabled"], false);

    // The page: a QR code as inline SVG, and the secret for typing.
    let browser = app.signed_in("ada", PASSWORD).await;
    let html = browser
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"setup-form\""));
    let r = browser
        .post(app.url("/settings/two-factor/setup"))
        .form(&[("csrf", csrf_from(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = browser
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg role=\"img\""), "no QR code");
    assert!(!html.contains("<?xml") && !html.contains("style="));
    let marker = "id=\"totp-secret\">";
    let start = html.find(marker).unwrap() + marker.len();
    let secret: String = html[start..html[start..].find('<').unwrap() + start]
        .split_whitespace()
        .collect();
    assert_eq!(secret.len(), 32);

    // A wrong code does not turn it on.
    let step = step_now();
    let wrong = if code(&secret, step) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = browser
        .post(app.url("/settings/two-factor/confirm"))
        .form(&[("csrf", csrf_from(&html).as_str()), ("code", wrong)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(&app, &ada).await["enabled"], false);

    // The right one does, and shows ten recovery codes once.
    let r = browser
        .post(app.url("/settings/two-factor/confirm"))
        .form(&[
            ("csrf", csrf_from(&html).as_str()),
            ("code", &code(&secret, step)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let shown = r.text().await.unwrap();
    assert!(shown.contains("Two-factor sign-in is on"));
    assert_eq!(shown.matches("<li><code>").count(), 10);
    let s = status(&app, &ada).await;
    assert_eq!(s["enabled"], true);
    assert_eq!(s["recovery_codes_left"], 10);

    // From now on neither the page nor the API shows the secret.
    let html = browser
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&secret[..8]) && !html.contains("<svg"));
    assert!(html.contains("10 of 10 recovery codes left"));
    let r = app
        .post_json(Some(&ada), "/api/v1/me/totp", &json!({}))
        .await;
    assert_error(r, StatusCode::CONFLICT, None).await;

    // The API enrolment gives an otpauth URI for the same parameters.
    let bob = app.member("bob").await;
    let r = app
        .post_json(Some(&bob), "/api/v1/me/totp", &json!({}))
        .await;
    let body: Value = r.json().await.unwrap();
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Harbour%20Works:%40bob?secret="),
        "{uri}"
    );
    assert!(uri.contains(body["secret"].as_str().unwrap()));
    let r = app
        .post_json(Some(&bob), "/api/v1/me/totp/confirm", &json!({}))
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("code")).await;
}

#[tokio::test]
async fn sign_in_asks_a_fresh_right_code_before_any_session() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let step = step_now();
    let (secret, _) = enrol(&app, &ada, step).await;

    let browser = password_step(&app, "ada", PASSWORD).await;
    // The password alone opened no session.
    assert!(!is_signed_in(&app, &browser).await);

    // A wrong code, then the code already used to enrol (replay): refused, still no session.
    let wrong = if code(&secret, step + 1) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let r = submit_code(&app, &browser, wrong).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Code is wrong or was already used"));
    let r = submit_code(&app, &browser, &code(&secret, step)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!is_signed_in(&app, &browser).await);

    // The next step's code (one step of skew) signs in.
    let r = submit_code(&app, &browser, &code(&secret, step + 1)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    assert!(is_signed_in(&app, &browser).await);

    // The challenge ended with it: the code page sends back to the password.
    let r = browser.get(app.url("/login/code")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    // Nor is the same code accepted at another sign-in.
    let other = password_step(&app, "ada", PASSWORD).await;
    let r = submit_code(&app, &other, &code(&secret, step + 1)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!is_signed_in(&app, &other).await);

    // Without the challenge cookie, a code leads nowhere.
    let stranger = app.browser();
    let html = stranger
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = stranger
        .post(app.url("/login/code"))
        .form(&[("csrf", csrf_from(&html).as_str()), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let (_, codes) = enrol(&app, &ada, step_now()).await;
    assert_eq!(codes.len(), 10);

    let browser = password_step(&app, "ada", PASSWORD).await;
    // Typed loosely: upper case, spaces for the dash.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let r = submit_code(&app, &browser, &typed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app, &browser).await);
    assert_eq!(status(&app, &ada).await["recovery_codes_left"], 9);

    let again = password_step(&app, "ada", PASSWORD).await;
    let r = submit_code(&app, &again, &codes[3]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!is_signed_in(&app, &again).await);
    let r = submit_code(&app, &again, &codes[4]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app, &again).await);
    assert_eq!(status(&app, &ada).await["recovery_codes_left"], 8);

    // New codes replace the old ones.
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/me/totp/recovery-codes",
            &json!({"code": codes[5]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(status(&app, &ada).await["recovery_codes_left"], 10);
    let third = password_step(&app, "ada", PASSWORD).await;
    let r = submit_code(&app, &third, &codes[6]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = submit_code(&app, &third, fresh["recovery_codes"][0].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let step = step_now();
    let (secret, _) = enrol(&app, &ada, step).await;
    let right = code(&secret, step + 1);
    let wrong = if right == "999999" {
        "888888"
    } else {
        "999999"
    };

    let browser = password_step(&app, "ada", PASSWORD).await;
    for _ in 0..5 {
        let r = submit_code(&app, &browser, wrong).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right code waits.
    let r = submit_code(&app, &browser, &right).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900);
    assert!(!is_signed_in(&app, &browser).await);
    // The address is throttled too: not even a token with the right password and code.
    let r = app
        .post_json(
            None,
            "/api/v1/tokens",
            &json!({"login": "ada", "password": PASSWORD, "code": right}),
        )
        .await;
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, None).await;
}

#[tokio::test]
async fn creating_an_api_token_needs_a_code_when_it_is_on() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let step = step_now();
    let (secret, codes) = enrol(&app, &ada, step).await;

    let ask = |code: Option<&str>| {
        let mut body = json!({"login": "ada", "password": PASSWORD, "label": "script"});
        if let Some(c) = code {
            body["code"] = json!(c);
        }
        let app = &app;
        async move { app.post_json(None, "/api/v1/tokens", &body).await }
    };
    let body = assert_error(
        ask(None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("code"),
    )
    .await;
    assert!(
        body.to_string().contains("two-factor sign-in is on"),
        "{body}"
    );
    let wrong = if code(&secret, step + 1) == "000001" {
        "000002"
    } else {
        "000001"
    };
    assert_error(
        ask(Some(wrong)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("code"),
    )
    .await;
    // The code used to enrol is spent.
    assert_error(
        ask(Some(&code(&secret, step))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("code"),
    )
    .await;
    let r = ask(Some(&code(&secret, step + 1))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token: Value = r.json().await.unwrap();
    assert_eq!(
        app.get(token["token"].as_str(), "/api/v1/me")
            .await
            .status(),
        StatusCode::OK
    );
    // A recovery code does as well.
    assert_eq!(ask(Some(&codes[0])).await.status(), StatusCode::CREATED);

    // Turning it off asks for a code; then a password suffices again.
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/me/totp",
            &json!({}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("code")).await;
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/me/totp",
            &json!({"code": codes[1]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&app, &ada).await["enabled"], false);
    assert_eq!(ask(None).await.status(), StatusCode::CREATED);
    // And the web sign-in needs no second step.
    let browser = app.browser();
    let r = app.submit_sign_in(&browser, "ada", PASSWORD).await;
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn staff_without_two_factor_can_only_enrol_where_it_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let instance = Instance::start(&fresh_database(dir.path()).await, &[]).await;
    let app = &instance.app;
    let boss = app.set_up_space(json!({"name": "Harbour Works"})).await;
    app.open_registration(&boss).await;
    let ada = app.member("ada").await;
    // A second administrator, made as the command line does.
    let signup = guildhall::accounts::register::SignupForm {
        handle: "cleo".into(),
        email: "cleo@example.org".into(),
        password: PASSWORD.into(),
        display_name: "Cleo".into(),
        invite: None,
    }
    .validate()
    .unwrap();
    guildhall::accounts::register::create_account(&instance.state.db, &signup, true)
        .await
        .unwrap();
    let cleo = app.token("cleo", PASSWORD).await;

    // Only with two-factor sign-in on one's own account may it be required.
    let require = |token: String, on: bool| async move {
        app.send_json(
            reqwest::Method::PUT,
            Some(&token),
            "/api/v1/admin/two-factor",
            &json!({"require_2fa_for_staff": on}),
        )
        .await
    };
    let r = require(boss.clone(), true).await;
    assert_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("require_2fa_for_staff"),
    )
    .await;
    assert_eq!(
        require(ada.clone(), true).await.status(),
        StatusCode::FORBIDDEN
    );
    let step = step_now();
    let (boss_secret, _) = enrol(app, &boss, step).await;
    let r = require(boss.clone(), true).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["require_2fa_for_staff"],
        true
    );

    // Cleo, an administrator without it: the API refuses everything but enrolment...
    let r = app.get(Some(&cleo), "/api/v1/members").await;
    let body = assert_error(r, StatusCode::FORBIDDEN, None).await;
    assert!(body["error"].as_str().unwrap().contains("/api/v1/me/totp"));
    assert_eq!(status(app, &cleo).await["required"], true);
    // ...and every page leads to the enrolment page.
    let browser = app.signed_in("cleo", PASSWORD).await;
    for path in ["/", "/admin", "/members", "/settings/profile"] {
        let r = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/settings/two-factor", "{path}");
    }
    let page = browser
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("requires two-factor sign-in of its staff"));
    // Members and enrolled administrators carry on.
    assert_eq!(
        app.get(Some(&ada), "/api/v1/members").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(Some(&boss), "/api/v1/members").await.status(),
        StatusCode::OK
    );
    // An administrator cannot turn it off while it is required.
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&boss),
            "/api/v1/me/totp",
            &json!({"code": code(&boss_secret, step + 1)}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;

    // Once cleo enrols, she is free.
    enrol(app, &cleo, step_now()).await;
    assert_eq!(
        app.get(Some(&cleo), "/api/v1/members").await.status(),
        StatusCode::OK
    );
    let r = browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The admin page shows the setting on.
    assert!(r.text().await.unwrap().contains("id=\"require_2fa_for_staff\" name=\"require_2fa_for_staff\" type=\"checkbox\" value=\"on\" checked"));
    let _ = ADMIN_PASSWORD;
}

#[tokio::test]
async fn a_moderator_is_held_to_the_staff_requirement() {
    let dir = tempfile::tempdir().unwrap();
    let instance = Instance::start(&fresh_database(dir.path()).await, &[]).await;
    let app = &instance.app;
    let boss = app.set_up_space(json!({"name": "Harbour Works"})).await;
    app.open_registration(&boss).await;
    let ada = app.member("ada").await;
    let mo = app.member("mo").await;
    // The moderator role, given as the command line gives it.
    guildhall::admin::users::set_role(&instance.state.db, "mo", "moderator")
        .await
        .unwrap();
    enrol(app, &boss, step_now()).await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            Some(&boss),
            "/api/v1/admin/two-factor",
            &json!({"require_2fa_for_staff": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The moderator can do nothing but enrol: not even the moderation queue.
    assert_eq!(status(app, &mo).await["required"], true);
    for path in ["/api/v1/admin/reports", "/api/v1/members"] {
        let r = app.get(Some(&mo), path).await;
        let body = assert_error(r, StatusCode::FORBIDDEN, None).await;
        assert!(
            body["error"].as_str().unwrap().contains("/api/v1/me/totp"),
            "{path}: {body}"
        );
    }
    let browser = app.signed_in("mo", PASSWORD).await;
    for path in ["/", "/admin/reports", "/settings/profile"] {
        let r = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/settings/two-factor", "{path}");
    }
    // A plain member is not staff and carries on without it.
    assert_eq!(status(app, &ada).await["required"], false);
    assert_eq!(
        app.get(Some(&ada), "/api/v1/members").await.status(),
        StatusCode::OK
    );

    // Once enrolled, the moderator works the queue, and cannot turn it off while required.
    let step = step_now();
    let (secret, _) = enrol(app, &mo, step).await;
    assert_eq!(
        app.get(Some(&mo), "/api/v1/admin/reports").await.status(),
        StatusCode::OK
    );
    let r = browser.get(app.url("/admin/reports")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&mo),
            "/api/v1/me/totp",
            &json!({"code": code(&secret, step + 1)}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    assert_eq!(status(app, &mo).await["enabled"], true);
}

/// Requests `n` API tokens at once for ada with the same `code` (each request on its own
/// task); returns how many were made, and checks every other answer is a refusal (a wrong or
/// used code, or throttled).
async fn tokens_at_once(app: &TestApp, code: &str, n: usize) -> usize {
    let body = json!({"login": "ada", "password": PASSWORD, "code": code});
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = app.api.clone();
            let url = app.url("/api/v1/tokens");
            let body = body.clone();
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => made += 1,
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected answer {other}"),
        }
    }
    made
}

#[tokio::test]
async fn a_code_sent_many_times_at_once_is_accepted_once() {
    // A recovery code.
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let step = step_now();
    let (secret, codes) = enrol(&app, &ada, step).await;
    assert_eq!(tokens_at_once(&app, &codes[0], 8).await, 1);
    assert_eq!(status(&app, &ada).await["recovery_codes_left"], 9);
    drop(app);

    // A TOTP code, on an instance whose throttle has counted nothing yet.
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let (secret2, _) = enrol(&app, &ada, step).await;
    assert_ne!(secret, secret2);
    assert_eq!(tokens_at_once(&app, &code(&secret2, step + 1), 8).await, 1);
}
