use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD, PASSWORD};

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn sign_up_validation_reports_every_field() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let r = app
        .post_json(
            None,
            "/api/v1/accounts",
            &json!({"handle": "1x", "email": "not-mail", "password": "short"}),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"password"),
        "{body}"
    );

    // Taken handle (the admin's) and taken e-mail.
    let r = app
        .post_json(
            None,
            "/api/v1/accounts",
            &json!({"handle": "Boss", "email": "BOSS@example.org", "password": PASSWORD}),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    assert!(body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["field"] == "email"));

    // Oversized fields.
    let r = app
        .post_json(None, "/api/v1/accounts", &json!({"handle": "ada", "email": "ada@example.org", "password": PASSWORD, "display_name": "x".repeat(500)}))
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("display_name")).await;

    // Malformed JSON and wrong content type.
    let r = app
        .api
        .post(app.url("/api/v1/accounts"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, None).await;
    let r = app
        .api
        .post(app.url("/api/v1/accounts"))
        .body("handle=ada")
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNSUPPORTED_MEDIA_TYPE, None).await;

    // Nothing was half-written: only the admin exists.
    let members: Value = app
        .get(Some(&admin), "/api/v1/members")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["total"], 1);
}

#[tokio::test]
async fn tokens_profile_and_password() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;

    let me: Value = app
        .get(Some(&ada), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["handle"], "ada");
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(
        me["discoverable"], false,
        "people are not listed by default"
    );

    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({
                "display_name": "Ada Lovelace",
                "bio": "Analytical engines.",
                "skills": ["Rust", "rust", "Mathematics"],
                "links": [{"label": "Site", "url": "https://ada.example"}],
                "discoverable": true
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let profile: Value = app
        .get(None, "/api/v1/members/ada")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["display_name"], "Ada Lovelace");
    assert_eq!(profile["skills"], json!(["Rust", "Mathematics"]));
    assert_eq!(profile["links"][0]["url"], "https://ada.example/");
    assert!(profile.get("email").is_none(), "e-mail is private");

    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({"links": [{"label": "x", "url": "javascript:alert(1)"}]}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("links")).await;
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({"unknown": 1}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;

    // Anonymous and bad tokens.
    assert_error(
        app.get(None, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    assert_error(
        app.get(Some("not-a-token"), "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    // Password change: wrong current password refused; success ends other sessions.
    let other = app.token("ada", PASSWORD).await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/me/password",
            &json!({"current_password": "wrong", "new_password": "new password 456"}),
        )
        .await;
    assert_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("current_password"),
    )
    .await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/me/password",
            &json!({"current_password": PASSWORD, "new_password": "new password 456"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(Some(&ada), "/api/v1/me").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(Some(&other), "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.token("ada", "new password 456").await;

    // Revoking the current token.
    let r = app
        .api
        .delete(app.url("/api/v1/tokens/current"))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(Some(&ada), "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn avatar_upload_checks_type_and_size() {
    let (app, admin) = TestApp::spawn_set_up().await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        reqwest::multipart::Form::new().part("file", part)
    };
    let r = app
        .api
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&admin)
        .multipart(upload(png_bytes(400, 300), "me.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = r.json().await.unwrap();
    let url = me["avatar_url"].as_str().unwrap().to_string();
    let img = app.get(None, &url).await;
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));

    // A text file named .png is refused by its content.
    let r = app
        .api
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&admin)
        .multipart(upload(b"hello".to_vec(), "fake.png"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    // Too large.
    let r = app
        .api
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&admin)
        .multipart(upload(vec![0u8; 9 * 1024 * 1024], "big.png"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::PAYLOAD_TOO_LARGE, None).await;
    // The old avatar is still in place after failures.
    let me: Value = app
        .get(Some(&admin), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["avatar_url"], url);
    // Path tricks do not escape the media folder.
    assert_eq!(
        app.get(None, "/media/avatars/..%2F..%2Fetc%2Fpasswd")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn web_sign_in_sign_out_and_profile_edit() {
    let (app, _) = TestApp::spawn_set_up().await;
    let browser = app.browser();

    // Anonymous edit → sign-in page, remembering where to go.
    let r = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fsettings%2Fprofile");

    let html = browser
        .get(app.url("/login?next=/settings/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "boss"),
            ("password", "wrong"),
            ("next", "/settings/profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("or password is wrong"));
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "boss"),
            ("password", ADMIN_PASSWORD),
            ("next", "/settings/profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings/profile");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gh_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    // Edit: hostile HTML is stored as text and escaped on display.
    let html = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let r = browser
        .post(app.url("/settings/profile"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "The Boss"),
            ("bio", "<script>alert(1)</script>"),
            ("skills", "Hosting, Events"),
            ("links", ""),
            ("discoverable", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = browser
        .get(app.url("/members/boss"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("Hosting"));

    // Invalid edit: 422 with the message next to the field.
    let r = browser
        .post(app.url("/settings/profile"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "x".repeat(200).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("id=\"display_name-error\""));

    // An open redirect is not possible through ?next=.
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "boss"),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");

    // Sign out ends the session.
    let r = browser
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    let (app, _) = TestApp::spawn_set_up().await;
    for _ in 0..5 {
        let r = app
            .post_json(
                None,
                "/api/v1/tokens",
                &json!({"login": "boss", "password": "guess"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app
        .post_json(
            None,
            "/api/v1/tokens",
            &json!({"login": "boss", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, None).await;
}

#[tokio::test]
async fn member_pages_list_and_show() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    app.member("ada").await;
    // A signed-in member of the space sees everyone.
    let list = app
        .get(Some(&admin), "/members")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("/members/ada") && list.contains("/members/boss"));
    assert_eq!(
        app.get(None, "/members/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
    let members: Value = app
        .get(Some(&admin), "/api/v1/members?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["total"], 2);
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
}

/// "List me in directories" is off by default: signed-out visitors do not see a member in
/// `/members`, on the home page or in `GET /api/v1/members` until they turn it on.
#[tokio::test]
async fn member_lists_honour_list_me_in_directories() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let anonymous_sees_ada = || async {
        let list = app.get(None, "/members").await.text().await.unwrap();
        let home = app.get(None, "/").await.text().await.unwrap();
        let api: Value = app.get(None, "/api/v1/members").await.json().await.unwrap();
        let in_api = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["handle"] == "ada");
        assert_eq!(list.contains("/members/ada"), in_api, "page and API agree");
        assert_eq!(home.contains("/members/ada"), in_api, "home and API agree");
        (in_api, api["total"].as_i64().unwrap())
    };
    let (shown, total) = anonymous_sees_ada().await;
    assert!(!shown, "not listed by default");
    assert_eq!(total, 0, "nobody chose to be listed yet");
    // Signed in, a member of the space sees her.
    let signed_in: Value = app
        .get(Some(&admin), "/api/v1/members")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed_in["total"], 2);
    // She turns the switch on: now everyone sees her, and only her.
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({"discoverable": true}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let (shown, total) = anonymous_sees_ada().await;
    assert!(shown, "listed once she chose it");
    assert_eq!(total, 1);
    // Her profile page stays reachable by its address either way.
    assert_eq!(
        app.get(None, "/members/boss").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn guessing_ones_own_password_is_throttled_too() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    for _ in 0..5 {
        let r = app
            .post_json(
                Some(&ada),
                "/api/v1/me/password",
                &json!({"current_password": "guess", "new_password": "new password 456"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/me",
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, None).await;
    // The account is still there.
    assert_eq!(
        app.get(Some(&ada), "/api/v1/me").await.status(),
        StatusCode::OK
    );
}
