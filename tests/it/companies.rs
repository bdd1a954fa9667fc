use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD, PASSWORD};

/// A PNG with transparency, so the stored logo stays a PNG.
fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgba8(w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn upload(bytes: Vec<u8>, name: &'static str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
    reqwest::multipart::Form::new().part("file", part)
}

/// An instance with open sign-up, its admin `boss` and a member `ada`: (app, boss, ada).
async fn space_with_ada() -> (TestApp, String, String) {
    let (app, boss) = TestApp::spawn_set_up().await;
    app.open_registration(&boss).await;
    let ada = app.member("ada").await;
    (app, boss, ada)
}

/// Creates `handle` through the API as the holder of `token`.
async fn create_company(app: &TestApp, token: &str, handle: &str, name: &str) -> Value {
    let r = app
        .post_json(
            Some(token),
            "/api/v1/companies",
            &json!({"handle": handle, "name": name}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "creating {handle}");
    r.json().await.unwrap()
}

async fn company_total(app: &TestApp) -> i64 {
    let list: Value = app
        .get(None, "/api/v1/companies")
        .await
        .json()
        .await
        .unwrap();
    list["total"].as_i64().unwrap()
}

/// The role of `member` in `company`, or None.
async fn role_in(app: &TestApp, company: &str, member: &str) -> Option<String> {
    let c: Value = app
        .get(None, &format!("/api/v1/companies/{company}"))
        .await
        .json()
        .await
        .unwrap();
    c["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["handle"] == member)
        .map(|m| m["role"].as_str().unwrap().to_string())
}

/// Invites `member` with `role`; returns the invitation.
async fn invite(app: &TestApp, inviter: &str, company: &str, member: &str, role: &str) -> Value {
    let r = app
        .post_json(
            Some(inviter),
            &format!("/api/v1/companies/{company}/invites"),
            &json!({"member": member, "role": role}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// Invites `member` and has them accept; returns nothing, asserts every step.
async fn invite_and_accept(
    app: &TestApp,
    inviter: &str,
    company: &str,
    member: &str,
    role: &str,
    member_token: &str,
) {
    let invite = invite(app, inviter, company, member, role).await;
    let r = app
        .post_json(
            Some(member_token),
            &format!("/api/v1/invitations/{}/accept", invite["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// A browser signed in through the sign-in form.
async fn signed_in_browser(app: &TestApp, login: &str, password: &str) -> Client {
    app.signed_in(login, password).await
}

async fn page(browser: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = browser.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn creating_a_company_through_the_api_makes_the_creator_its_owner() {
    let (app, boss) = TestApp::spawn_set_up().await;
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({
                "handle": "Lighthouse",
                "name": "Lighthouse Labs",
                "description": "We build tools.\nAnd we test them.",
                "industry": "Software",
                "skills": ["Rust", "rust", "Design"],
                "city": "Lisbon",
                "country": "pt",
                "website": "https://lighthouse.example",
                "size": "2-10",
                "hiring": true
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/companies/lighthouse");
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["handle"], "lighthouse");
    assert_eq!(c["name"], "Lighthouse Labs");
    assert_eq!(c["skills"], json!(["Rust", "Design"]));
    assert_eq!(c["country"], "PT");
    assert_eq!(c["website"], "https://lighthouse.example/");
    assert_eq!(c["hiring"], true);
    assert_eq!(c["open_to_collaborate"], false);
    assert_eq!(
        c["discoverable"], true,
        "listed in directories unless switched off"
    );
    assert_eq!(c["logo_url"], Value::Null);
    assert!(c.get("logo_key").is_none());
    assert_eq!(c["members"].as_array().unwrap().len(), 1);
    assert_eq!(c["members"][0]["handle"], "boss");
    assert_eq!(c["members"][0]["role"], "owner");

    // Skills may also be comma-separated text; flags are booleans.
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({"handle": "quay", "name": "Quay Studio", "skills": "Print, Web ,print", "discoverable": false, "open_to_collaborate": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["skills"], json!(["Print", "Web"]));
    assert_eq!(c["discoverable"], false);
    assert_eq!(c["open_to_collaborate"], true);

    // Listed, paged and sorted by name; visible on the creator's account.
    let list: Value = app
        .get(None, "/api/v1/companies")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["handle"], "lighthouse");
    assert_eq!(list["items"][1]["handle"], "quay");
    let list: Value = app
        .get(None, "/api/v1/companies?limit=1&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["handle"], "quay");
    let me: Value = app
        .get(Some(&boss), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["companies"][0],
        json!({"handle": "lighthouse", "name": "Lighthouse Labs", "role": "owner"})
    );

    // Read back by handle, in any case; unknown handles are 404.
    let c: Value = app
        .get(None, "/api/v1/companies/LIGHTHOUSE")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["description"], "We build tools.\nAnd we test them.");
    assert_error(
        app.get(None, "/api/v1/companies/nobody").await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let members: Value = app
        .get(None, "/api/v1/companies/lighthouse/members")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["total"], 1);
    assert_eq!(members["items"][0]["role"], "owner");
}

#[tokio::test]
async fn taken_handles_and_invalid_fields_are_refused_and_nothing_is_half_written() {
    let (app, boss, _ada) = space_with_ada().await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    assert_eq!(company_total(&app).await, 1);

    // A handle taken by a company, or by a member: handles are shared.
    for taken in ["lighthouse", "LightHouse", "boss", "ada"] {
        let r = app
            .post_json(
                Some(&boss),
                "/api/v1/companies",
                &json!({"handle": taken, "name": "Another"}),
            )
            .await;
        let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
        assert!(
            body["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("taken"),
            "{body}"
        );
    }
    // Reserved handles, including the path of the creation page.
    for reserved in ["new", "admin", "companies"] {
        let r = app
            .post_json(
                Some(&boss),
                "/api/v1/companies",
                &json!({"handle": reserved, "name": "Another"}),
            )
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    }

    // Every invalid field is reported at once.
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({
                "handle": "9lives",
                "name": "",
                "country": "Portugal",
                "website": "javascript:alert(1)",
                "size": "huge",
                "skills": ["<script>"],
                "industry": "x".repeat(81),
            }),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "handle", "name", "country", "website", "size", "skills", "industry",
    ] {
        assert!(fields.contains(&f), "expected an error for {f}: {body}");
    }

    // A taken handle is reported together with the other mistakes.
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({"handle": "boss", "name": ""}),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "name"),
        "{body}"
    );

    // Wrong shapes: unknown fields and flags that are not booleans.
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({"handle": "ok_name", "name": "Ok", "owner": "ada"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({"handle": "ok_name", "name": "Ok", "hiring": "yes"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;

    // Nothing half-written: no company, and the handle of the failed attempts is still free.
    assert_eq!(company_total(&app).await, 1);
    create_company(&app, &boss, "ok_name", "Ok").await;
    assert_eq!(company_total(&app).await, 2);
}

#[tokio::test]
async fn anonymous_visitors_cannot_create_companies() {
    let (app, _) = TestApp::spawn_set_up().await;
    let r = app
        .post_json(
            None,
            "/api/v1/companies",
            &json!({"handle": "lighthouse", "name": "Lighthouse Labs"}),
        )
        .await;
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"guildhall\""
    );
    assert_error(r, StatusCode::UNAUTHORIZED, None).await;
    let r = app
        .post_json(
            Some("not-a-token"),
            "/api/v1/companies",
            &json!({"handle": "lighthouse", "name": "Lighthouse Labs"}),
        )
        .await;
    assert_error(r, StatusCode::UNAUTHORIZED, None).await;

    // Pages send anonymous visitors to the sign-in page, remembering where they were going.
    let browser = app.browser();
    let r = browser.get(app.url("/companies/new")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fcompanies%2Fnew");
    let (status, html) = page(&browser, &app, "/companies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("href=\"/companies/new\" id=\"create-company\""));
    let csrf = csrf_from(&page(&browser, &app, "/login").await.1);
    let r = browser
        .post(app.url("/companies/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("handle", "lighthouse"),
            ("name", "Lighthouse Labs"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert_eq!(company_total(&app).await, 0);
}

#[tokio::test]
async fn only_owners_and_admins_edit_a_company() {
    let (app, boss, ada) = space_with_ada().await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;

    // API: another member may not edit, upload a logo or see the pending invitations.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            "/api/v1/companies/lighthouse",
            &json!({"name": "Mine now"}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    // Not even to learn that a field would be invalid.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            "/api/v1/companies/lighthouse",
            &json!({"name": ""}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    let r = app
        .api
        .put(app.url("/api/v1/companies/lighthouse/logo"))
        .bearer_auth(&ada)
        .multipart(upload(png_bytes(64, 64), "logo.png"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    assert_error(
        app.get(Some(&ada), "/api/v1/companies/lighthouse/invites")
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            "/api/v1/companies/nowhere",
            &json!({"name": "X"}),
        )
        .await;
    assert_error(r, StatusCode::NOT_FOUND, None).await;
    let r = app
        .send_json(
            Method::PATCH,
            None,
            "/api/v1/companies/lighthouse",
            &json!({"name": "X"}),
        )
        .await;
    assert_error(r, StatusCode::UNAUTHORIZED, None).await;

    // HTML: the edit page and its form answer 403 with an error page.
    let browser = signed_in_browser(&app, "ada", PASSWORD).await;
    let (status, html) = page(&browser, &app, "/companies/lighthouse/edit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Only the owners and admins"), "{html}");
    let (_, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert!(
        !html.contains("/companies/lighthouse/edit"),
        "no edit link for outsiders"
    );
    let csrf = csrf_from(&html);
    let r = browser
        .post(app.url("/companies/lighthouse/edit"))
        .form(&[("csrf", csrf.as_str()), ("name", "Mine now")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["name"], "Lighthouse Labs");

    // Once ada is an admin she may edit.
    invite_and_accept(&app, &boss, "lighthouse", "ada", "admin", &ada).await;
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            "/api/v1/companies/lighthouse",
            &json!({"industry": "Software"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = page(&browser, &app, "/companies/lighthouse/edit").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn patch_changes_only_the_fields_it_names() {
    let (app, boss) = TestApp::spawn_set_up().await;
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies",
            &json!({"handle": "lighthouse", "name": "Lighthouse Labs", "city": "Lisbon", "country": "PT",
                    "skills": "Rust", "website": "https://lighthouse.example", "size": "2-10"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/companies/lighthouse",
            &json!({"hiring": true, "skills": ["Go", "Rust"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["hiring"], true);
    assert_eq!(c["skills"], json!(["Go", "Rust"]));
    assert_eq!(c["name"], "Lighthouse Labs");
    assert_eq!(c["city"], "Lisbon");
    assert_eq!(c["website"], "https://lighthouse.example/");
    assert_eq!(c["size"], "2-10");
    assert_eq!(c["discoverable"], true);
    assert_eq!(c["members"][0]["handle"], "boss");

    // An empty string clears a field; the same handle may be sent back unchanged.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/companies/lighthouse",
            &json!({"website": "", "handle": "lighthouse", "discoverable": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["website"], "");
    assert_eq!(c["discoverable"], false);
    assert_eq!(c["hiring"], true);

    // Invalid values are refused with their field, and nothing changes.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/companies/lighthouse",
            &json!({"name": " ", "country": "PRT", "city": "Porto"}),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("name")).await;
    assert!(body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["field"] == "country"));
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/companies/lighthouse",
            &json!({"handle": "beacon"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["name"], "Lighthouse Labs");
    assert_eq!(c["city"], "Lisbon");
    assert_eq!(
        app.get(None, "/api/v1/companies/beacon").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn logo_upload_checks_type_and_size() {
    let (app, boss) = TestApp::spawn_set_up().await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    let put = |form: reqwest::multipart::Form| {
        app.api
            .put(app.url("/api/v1/companies/lighthouse/logo"))
            .bearer_auth(&boss)
            .multipart(form)
            .send()
    };

    let r = put(upload(png_bytes(300, 200), "logo.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    let url = c["logo_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/media/logos/"), "{url}");
    let img = app.get(None, &url).await;
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/png");
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (200, 200),
        "cropped square"
    );

    // A text file, whatever its name, is refused by its content.
    let r = put(upload(b"just some text".to_vec(), "logo.png"))
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    // No file at all.
    let r = put(reqwest::multipart::Form::new().text("other", "x"))
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    // Over 5 MB.
    let r = put(upload(vec![0u8; 6 * 1024 * 1024], "big.png"))
        .await
        .unwrap();
    assert_error(r, StatusCode::PAYLOAD_TOO_LARGE, None).await;

    // Failures leave the logo in place.
    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["logo_url"], url.as_str());

    // A new logo replaces the old file.
    let r = put(upload(png_bytes(40, 40), "small.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_ne!(c["logo_url"], url.as_str());
    assert_eq!(app.get(None, &url).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invitations_are_accepted_declined_and_cancelled() {
    let (app, boss, ada) = space_with_ada().await;
    let bob = app.member("bob").await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    let invites = "/api/v1/companies/lighthouse/invites";

    let r = app
        .post_json(Some(&boss), invites, &json!({"member": "@Ada"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let invite: Value = r.json().await.unwrap();
    assert_eq!(invite["member_handle"], "ada");
    assert_eq!(invite["company_handle"], "lighthouse");
    assert_eq!(invite["role"], "member");

    // Inviting twice, someone unknown, or with a role one may not give, is refused.
    assert_error(
        app.post_json(Some(&boss), invites, &json!({"member": "ada"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("member"),
    )
    .await;
    assert_error(
        app.post_json(Some(&boss), invites, &json!({"member": "nobody"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("member"),
    )
    .await;
    assert_error(
        app.post_json(Some(&boss), invites, &json!({"member": ""}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("member"),
    )
    .await;
    assert_error(
        app.post_json(
            Some(&boss),
            invites,
            &json!({"member": "bob", "role": "owner"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("role"),
    )
    .await;
    assert_error(
        app.post_json(
            Some(&boss),
            invites,
            &json!({"member": "bob", "role": "chief"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("role"),
    )
    .await;
    assert_error(
        app.post_json(Some(&bob), invites, &json!({"member": "bob"}))
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_error(
        app.post_json(
            Some(&boss),
            "/api/v1/companies/nowhere/invites",
            &json!({"member": "bob"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // The company sees it pending; ada sees it among her invitations.
    let pending: Value = app.get(Some(&boss), invites).await.json().await.unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    let mine: Value = app
        .get(Some(&ada), "/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], invite["id"]);
    assert_eq!(mine[0]["company_name"], "Lighthouse Labs");
    let none: Value = app
        .get(Some(&bob), "/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]));
    assert_error(
        app.get(None, "/api/v1/invitations").await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    // Only the invited member may answer.
    let accept = format!("/api/v1/invitations/{}/accept", invite["id"]);
    assert_error(
        app.post_json(Some(&bob), &accept, &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let r = app.post_json(Some(&ada), &accept, &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["handle"], "lighthouse");
    assert_eq!(
        role_in(&app, "lighthouse", "ada").await.as_deref(),
        Some("member")
    );
    assert_eq!(
        app.get(Some(&ada), "/api/v1/invitations")
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
    // An answered invitation is gone; a member is not invited again.
    assert_error(
        app.post_json(Some(&ada), &accept, &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_error(
        app.post_json(Some(&boss), invites, &json!({"member": "ada"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("member"),
    )
    .await;

    // Bob declines.
    let r = app
        .post_json(
            Some(&boss),
            invites,
            &json!({"member": "bob", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].clone();
    let r = app
        .post_json(
            Some(&bob),
            &format!("/api/v1/invitations/{id}/decline"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(role_in(&app, "lighthouse", "bob").await, None);
    assert_eq!(
        app.get(Some(&boss), invites)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );

    // The company withdraws an invitation; the invitee no longer sees it.
    let r = app
        .post_json(Some(&boss), invites, &json!({"member": "bob"}))
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].clone();
    let cancel = format!("{invites}/{id}");
    // A plain member may not withdraw it.
    assert_error(
        app.send_json(Method::DELETE, Some(&ada), &cancel, &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let r = app
        .send_json(Method::DELETE, Some(&boss), &cancel, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(Some(&bob), "/api/v1/invitations")
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
    assert_error(
        app.send_json(Method::DELETE, Some(&boss), &cancel, &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let r = app
        .post_json(
            Some(&bob),
            &format!("/api/v1/invitations/{id}/accept"),
            &json!({}),
        )
        .await;
    assert_error(r, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn leaving_removing_and_changing_roles_keep_an_owner() {
    let (app, boss, ada) = space_with_ada().await;
    let cleo = app.member("cleo").await;
    let dan = app.member("dan").await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    invite_and_accept(&app, &boss, "lighthouse", "ada", "member", &ada).await;
    invite_and_accept(&app, &boss, "lighthouse", "cleo", "admin", &cleo).await;
    invite_and_accept(&app, &boss, "lighthouse", "dan", "member", &dan).await;
    let members: Value = app
        .get(None, "/api/v1/companies/lighthouse/members")
        .await
        .json()
        .await
        .unwrap();
    let order: Vec<&str> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["handle"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["boss", "cleo", "ada", "dan"],
        "owners, then admins, then members"
    );

    // The last owner cannot leave.
    let leave = "/api/v1/companies/lighthouse/leave";
    assert_error(
        app.post_json(Some(&boss), leave, &json!({})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // A member leaves; leaving twice is a conflict.
    assert_eq!(
        app.post_json(Some(&ada), leave, &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(role_in(&app, "lighthouse", "ada").await, None);
    assert_error(
        app.post_json(Some(&ada), leave, &json!({})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;

    // An admin cannot remove an owner, nor change roles; a member cannot remove anyone.
    let member = |h: &str| format!("/api/v1/companies/lighthouse/members/{h}");
    assert_error(
        app.send_json(Method::DELETE, Some(&cleo), &member("boss"), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_error(
        app.send_json(
            Method::PATCH,
            Some(&cleo),
            &member("dan"),
            &json!({"role": "admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_error(
        app.send_json(Method::DELETE, Some(&dan), &member("cleo"), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_eq!(
        role_in(&app, "lighthouse", "boss").await.as_deref(),
        Some("owner")
    );

    // An admin removes a plain member.
    assert_eq!(
        app.send_json(Method::DELETE, Some(&cleo), &member("dan"), &json!({}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(role_in(&app, "lighthouse", "dan").await, None);
    assert_error(
        app.send_json(Method::DELETE, Some(&cleo), &member("dan"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_error(
        app.send_json(Method::DELETE, Some(&cleo), &member("nobody"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // The only owner cannot step down; an unknown role is a field error.
    assert_error(
        app.send_json(
            Method::PATCH,
            Some(&boss),
            &member("boss"),
            &json!({"role": "member"}),
        )
        .await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert_error(
        app.send_json(
            Method::PATCH,
            Some(&boss),
            &member("cleo"),
            &json!({"role": "king"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("role"),
    )
    .await;

    // The owner makes cleo an owner, then may leave.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            &member("cleo"),
            &json!({"role": "owner"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["handle"], "cleo");
    assert_eq!(m["role"], "owner");
    assert_eq!(
        app.post_json(Some(&boss), leave, &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(role_in(&app, "lighthouse", "boss").await, None);
    // The new owner edits; the former owner no longer may.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/companies/lighthouse",
            &json!({"hiring": true}),
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    let r = app
        .send_json(
            Method::PATCH,
            Some(&cleo),
            "/api/v1/companies/lighthouse",
            &json!({"hiring": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_create_a_company_and_invite_a_member() {
    let (app, _boss, ada) = space_with_ada().await;
    app.member("bob").await;
    let browser = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;

    let (status, html) = page(&browser, &app, "/companies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"create-company\""));

    let (status, html) = page(&browser, &app, "/companies/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"company-form\""));
    assert!(html.contains(
        "id=\"discoverable\" name=\"discoverable\" type=\"checkbox\" value=\"on\" checked"
    ));
    for option in ["value=\"2-10\"", "value=\"1000+\""] {
        assert!(html.contains(option), "size select offers {option}");
    }
    let csrf = csrf_from(&html);

    // Invalid: shown again with status 422, messages next to the fields, input kept.
    let r = browser
        .post(app.url("/companies/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("handle", "ada"),
            ("name", ""),
            ("description", "Kept <b>text</b>"),
            ("website", "ftp://x.example"),
            ("hiring", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for id in ["handle-error", "name-error", "website-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "missing {id}");
    }
    assert!(html.contains("Handle is already taken"));
    assert!(html.contains("Kept &#60;b&#62;text&#60;/b&#62;"));
    assert!(html.contains("id=\"hiring\" name=\"hiring\" type=\"checkbox\" value=\"on\" checked"));
    assert!(
        !html.contains(
            "id=\"discoverable\" name=\"discoverable\" type=\"checkbox\" value=\"on\" checked"
        ),
        "unchecked stays unchecked"
    );
    assert_eq!(company_total(&app).await, 0);

    // Without the CSRF field: refused.
    let r = browser
        .post(app.url("/companies/new"))
        .form(&[("handle", "lighthouse"), ("name", "Lighthouse Labs")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(company_total(&app).await, 0);

    let r = browser
        .post(app.url("/companies/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("handle", "lighthouse"),
            ("name", "Lighthouse Labs"),
            ("description", "Tools for harbours."),
            ("industry", "Software"),
            ("skills", "rust, design"),
            ("city", "Lisbon"),
            ("country", "pt"),
            ("website", "https://lighthouse.example"),
            ("size", "2-10"),
            ("hiring", "on"),
            ("discoverable", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/companies/lighthouse");

    let (status, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Lighthouse Labs</h1>"));
    assert!(
        html.contains("Lighthouse Labs is created."),
        "the notice is shown once"
    );
    assert!(html.contains("@lighthouse"));
    assert!(html.contains("Lisbon, PT"));
    assert!(html.contains("2-10 people"));
    assert!(html.contains("rel=\"nofollow noopener\""));
    assert!(html.contains("<li class=\"tag ok\">Hiring</li>"));
    assert!(html.contains("id=\"edit-company\"") && html.contains("id=\"manage-members\""));
    assert!(html.contains("id=\"leave-form\""));
    let (_, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert!(!html.contains("Lighthouse Labs is created."));
    let (_, html) = page(&browser, &app, "/companies").await;
    assert!(html.contains("href=\"/companies/lighthouse\""));

    // Edit with an invalid value: 422 next to the field, then a valid save.
    let (status, html) = page(&browser, &app, "/companies/lighthouse/edit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Lighthouse Labs\""));
    assert!(html.contains("<option value=\"2-10\" selected>"));
    assert!(html.contains(&format!(
        "action=\"/companies/lighthouse/logo?csrf={csrf}\""
    )));
    let r = browser
        .post(app.url("/companies/lighthouse/edit"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Lighthouse Labs"),
            ("country", "Portugal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"country-error\""));
    let r = browser
        .post(app.url("/companies/lighthouse/edit"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Lighthouse Labs"),
            ("description", "Line one\nLine two"),
            ("open_to_collaborate", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["open_to_collaborate"], true);
    assert_eq!(c["hiring"], false, "an unchecked box switches the flag off");
    assert_eq!(c["discoverable"], false);

    // Logo upload from the page: the token travels in the query string.
    let r = browser
        .post(app.url(&format!("/companies/lighthouse/logo?csrf={csrf}")))
        .multipart(upload(b"not an image".to_vec(), "logo.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"file-error\""));
    let r = browser
        .post(app.url("/companies/lighthouse/logo"))
        .multipart(upload(png_bytes(64, 64), "logo.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token, no upload");
    let r = browser
        .post(app.url(&format!("/companies/lighthouse/logo?csrf={csrf}")))
        .multipart(upload(png_bytes(64, 64), "logo.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    let logo = c["logo_url"].as_str().unwrap().to_string();
    let (_, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert!(html.contains(&format!("src=\"{logo}\"")));

    // The members page: invite errors appear next to their fields.
    let (status, html) = page(&browser, &app, "/companies/lighthouse/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"invite-form\""));
    let r = browser
        .post(app.url("/companies/lighthouse/members/invite"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("member", "nobody"),
            ("role", "member"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"member-error\""));
    assert!(html.contains("value=\"nobody\""));
    let r = browser
        .post(app.url("/companies/lighthouse/members/invite"))
        .form(&[("csrf", csrf.as_str()), ("member", "bob"), ("role", "boss")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"role-error\""));

    for who in ["ada", "bob"] {
        let r = browser
            .post(app.url("/companies/lighthouse/members/invite"))
            .form(&[("csrf", csrf.as_str()), ("member", who), ("role", "member")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/companies/lighthouse/members");
    }
    let (_, html) = page(&browser, &app, "/companies/lighthouse/members").await;
    assert!(html.contains("@bob is invited."));
    assert!(html.contains("id=\"pending-invites\""));
    assert!(html.contains("@ada</a> as Member"));

    // The owner withdraws bob's invitation from the page.
    let pending: Value = app
        .get(
            Some(&app.token("boss", ADMIN_PASSWORD).await),
            "/api/v1/companies/lighthouse/invites",
        )
        .await
        .json()
        .await
        .unwrap();
    let bob_invite = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["member_handle"] == "bob")
        .unwrap()["id"]
        .clone();
    let r = browser
        .post(app.url(&format!(
            "/companies/lighthouse/invites/{bob_invite}/cancel"
        )))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Ada accepts from her home page and lands on the company page as a member.
    let ada_browser = signed_in_browser(&app, "ada", PASSWORD).await;
    let (_, home) = page(&ada_browser, &app, "/").await;
    assert!(home.contains("Lighthouse Labs</a> invites you to join as Member."));
    let invite_id = app
        .get(Some(&ada), "/api/v1/invitations")
        .await
        .json::<Value>()
        .await
        .unwrap()[0]["id"]
        .clone();
    let ada_csrf = csrf_from(&home);
    let r = ada_browser
        .post(app.url(&format!("/invitations/{invite_id}/accept")))
        .form(&[("csrf", ada_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/companies/lighthouse");
    let (_, html) = page(&ada_browser, &app, "/companies/lighthouse").await;
    assert!(html.contains("Welcome to Lighthouse Labs!"));
    assert!(html.contains("You are member"));
    assert!(!html.contains("id=\"edit-company\""));
    assert_eq!(
        role_in(&app, "lighthouse", "ada").await.as_deref(),
        Some("member")
    );

    // A plain member sees the members page without the management forms.
    let (status, html) = page(&ada_browser, &app, "/companies/lighthouse/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"invite-form\""));
    assert!(!html.contains("/remove\""));

    // The owner makes ada an admin, then removes her.
    let r = browser
        .post(app.url("/companies/lighthouse/members/ada/role"))
        .form(&[("csrf", csrf.as_str()), ("role", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        role_in(&app, "lighthouse", "ada").await.as_deref(),
        Some("admin")
    );
    let r = browser
        .post(app.url("/companies/lighthouse/members/ada/remove"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(role_in(&app, "lighthouse", "ada").await, None);

    // The last owner leaving gets an explanation, not a silent failure.
    let r = browser
        .post(app.url("/companies/lighthouse/leave"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("only owner"));
}

#[tokio::test]
async fn declining_from_the_page_and_leaving() {
    let (app, boss, ada) = space_with_ada().await;
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    create_company(&app, &boss, "quay", "Quay Studio").await;
    invite_and_accept(&app, &boss, "lighthouse", "ada", "member", &ada).await;
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies/quay/invites",
            &json!({"member": "ada"}),
        )
        .await;
    let quay_invite = r.json::<Value>().await.unwrap()["id"].clone();

    let browser = signed_in_browser(&app, "ada", PASSWORD).await;
    let (_, home) = page(&browser, &app, "/").await;
    let csrf = csrf_from(&home);
    let r = browser
        .post(app.url(&format!("/invitations/{quay_invite}/decline")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(role_in(&app, "quay", "ada").await, None);
    // Answering again, or someone else's invitation: not found.
    let r = browser
        .post(app.url(&format!("/invitations/{quay_invite}/accept")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (_, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert!(html.contains("id=\"leave-form\""));
    let r = browser
        .post(app.url("/companies/lighthouse/leave"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/companies/lighthouse");
    assert_eq!(role_in(&app, "lighthouse", "ada").await, None);
    let (_, html) = page(&browser, &app, "/companies/lighthouse").await;
    assert!(html.contains("You left the company."));
    assert!(!html.contains("id=\"leave-form\""));

    // Unknown companies are a 404 page.
    let (status, html) = page(&browser, &app, "/companies/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

async fn notifications_of(app: &TestApp, token: &str) -> Value {
    app.get(Some(token), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap()
}

/// An invitation reaches the invited member as a notification that names the inviter, with
/// their name and picture; opening the notifications page reads it and clears the badge.
#[tokio::test]
async fn an_invitation_notifies_and_reading_the_page_clears_the_badge() {
    let (app, boss, ada) = space_with_ada().await;
    let r = app
        .send_json(
            Method::PATCH,
            Some(&boss),
            "/api/v1/me",
            &json!({"display_name": "Marta Boss"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .api
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&boss)
        .multipart(upload(png_bytes(64, 64), "me.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let avatar: Value = r.json().await.unwrap();
    let avatar = avatar["avatar_url"].as_str().unwrap().to_string();
    create_company(&app, &boss, "lighthouse", "Lighthouse Labs").await;
    invite(&app, &boss, "lighthouse", "ada", "admin").await;

    let listed = notifications_of(&app, &ada).await;
    assert_eq!(listed["unread"], 1, "{listed}");
    let n = &listed["items"][0];
    assert_eq!(n["kind"], "invitation");
    assert_eq!(n["actor_name"], "Marta Boss");
    assert_eq!(n["summary"], "invited you to join Lighthouse Labs as admin");
    assert_eq!(n["link"], "/#invitations");

    // Her page before opening the notifications shows the badge; the notifications page
    // shows who invited her, with their picture, and the badge is gone from its header.
    let browser = signed_in_browser(&app, "ada", PASSWORD).await;
    let (status, home) = page(&browser, &app, "/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("aria-label=\"1 unread\""), "{home}");
    let (status, html) = page(&browser, &app, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>Marta Boss</strong>"), "{html}");
    assert!(html.contains(&format!("src=\"{avatar}\"")), "{html}");
    assert!(html.contains("invited you to join Lighthouse Labs as admin"));
    assert!(html.contains("1 new since you last looked"), "{html}");
    assert!(
        !html.contains("class=\"badge\""),
        "the badge is cleared: {html}"
    );
    let listed = notifications_of(&app, &ada).await;
    assert_eq!(listed["unread"], 0, "{listed}");
    assert_eq!(listed["items"][0]["read"], true);

    // The same invitation again is refused and notifies no one twice.
    let r = app
        .post_json(
            Some(&boss),
            "/api/v1/companies/lighthouse/invites",
            &json!({"member": "ada"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed = notifications_of(&app, &ada).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}
