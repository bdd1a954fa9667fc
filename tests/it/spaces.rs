use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD};

#[tokio::test]
async fn an_empty_instance_leads_to_setup() {
    let app = TestApp::spawn().await;
    let r = app.get(None, "/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/setup");
    let r = app.get(None, "/setup").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Welcome to Guildhall"));
}

#[tokio::test]
async fn setup_in_the_browser_creates_space_and_admin_then_closes() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let html = browser
        .get(app.url("/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);

    // Invalid input: 422 with messages next to the fields, nothing stored.
    let r = browser
        .post(app.url("/setup"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", ""),
            ("admin_handle", "x"),
            ("admin_email", "nope"),
            ("admin_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for id in [
        "name-error",
        "admin_handle-error",
        "admin_email-error",
        "admin_password-error",
    ] {
        assert!(html.contains(id), "missing {id}");
    }
    assert_eq!(
        app.get(None, "/api/v1/space").await.status(),
        StatusCode::NOT_FOUND
    );

    let r = browser
        .post(app.url("/setup"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Harbour Works"),
            ("city", "Lisbon"),
            ("country", "pt"),
            ("admin_handle", "boss"),
            ("admin_email", "boss@example.org"),
            ("admin_password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin");
    // Signed in as the admin straight away.
    let html = browser
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Space settings"));
    assert!(html.contains("@boss"));

    let space: Value = app.get(None, "/api/v1/space").await.json().await.unwrap();
    assert_eq!(space["name"], "Harbour Works");
    assert_eq!(space["country"], "PT");
    assert_eq!(space["registration_mode"], "invite");

    // Setup happens once.
    let r = app.get(None, "/setup").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = app
        .post_json(None, "/api/v1/setup", &json!({"name": "Other", "admin_handle": "eve", "admin_email": "eve@example.org", "admin_password": ADMIN_PASSWORD}))
        .await;
    assert_error(again, StatusCode::CONFLICT, None).await;
}

#[tokio::test]
async fn forms_without_csrf_token_are_refused() {
    let (app, _) = TestApp::spawn_set_up().await;
    let browser = app.browser();
    // No cookie at all.
    let r = browser
        .post(app.url("/login"))
        .form(&[("login", "boss"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("did not come from this site"));
    // Cookie, but a wrong token.
    browser.get(app.url("/login")).send().await.unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", "x".repeat(43).as_str()),
            ("login", "boss"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_settings_and_invite_links() {
    let (app, admin) = TestApp::spawn_set_up().await;
    // Invite-only by default: sign-up without invite is refused.
    let r = app
        .post_json(
            None,
            "/api/v1/accounts",
            &json!({"handle": "ada", "email": "ada@example.org", "password": "ada password 1"}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;

    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/invites",
            &json!({"max_uses": 1, "days": 3}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let invite: Value = r.json().await.unwrap();
    let code = invite["code"].as_str().unwrap().to_string();
    assert!(invite["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/signup?invite={code}")));

    let signup = json!({"handle": "ada", "email": "ada@example.org", "password": "ada password 1", "invite": code});
    assert_eq!(
        app.post_json(None, "/api/v1/accounts", &signup)
            .await
            .status(),
        StatusCode::CREATED
    );
    // Used up.
    let again = json!({"handle": "bob", "email": "bob@example.org", "password": "bob password 1", "invite": code});
    assert_error(
        app.post_json(None, "/api/v1/accounts", &again).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invite"),
    )
    .await;
    // Bob was not half-created: his handle is still free.
    assert_eq!(
        app.get(None, "/api/v1/members/bob").await.status(),
        StatusCode::NOT_FOUND
    );

    // Closed: nobody signs up, even with an invite.
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&admin),
            "/api/v1/space",
            &json!({"registration_mode": "closed"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(Some(&admin), "/api/v1/admin/invites", &json!({}))
        .await;
    let code2 = r.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let closed = json!({"handle": "bob", "email": "bob@example.org", "password": "bob password 1", "invite": code2});
    assert_error(
        app.post_json(None, "/api/v1/accounts", &closed).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    // Bad settings.
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&admin),
            "/api/v1/space",
            &json!({"registration_mode": "sometimes", "website": "javascript:x"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("website")).await;
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/invites",
            &json!({"max_uses": 0}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("max_uses")).await;

    // Members are not admins.
    let ada = app.token("ada", "ada password 1").await;
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/space",
            &json!({"name": "Mine"}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    let r = app.get(None, "/api/v1/admin/invites").await;
    assert_error(r, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn health_metrics_and_error_pages() {
    let (app, _) = TestApp::spawn_set_up().await;
    let r = app.get(None, "/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    app.get(None, "/members").await;
    let metrics = app.get(None, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("guildhall_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/members\""));
    assert!(metrics.contains("guildhall_members 1"));

    let r = app.get(None, "/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("Page not found"));

    let r = app.get(None, "/api/v1/no/such/thing").await;
    assert_error(r, StatusCode::NOT_FOUND, None).await;
}
