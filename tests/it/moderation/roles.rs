//! The moderator role from the administrators' API and members page: who may set it, bad
//! input, the last administrator keeping the role, the audit log, and the page's form as a
//! browser submits it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{ok_json, space};
use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD};

async fn set_role(app: &TestApp, token: &str, handle: &str, role: &str) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        Some(token),
        &format!("/api/v1/admin/members/{handle}/role"),
        &json!({ "role": role }),
    )
    .await
}

#[tokio::test]
async fn administrators_set_roles_through_the_api_and_the_last_one_keeps_theirs() {
    let (app, admin, ada, bob, _cy) = space().await;
    assert_eq!(
        app.get(Some(&bob), "/api/v1/admin/reports").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = set_role(&app, &admin, "bob", "moderator").await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["role"], "moderator");
    assert!(body["done"]
        .as_str()
        .unwrap()
        .contains("@bob is now a moderator"));
    assert_eq!(
        app.get(Some(&bob), "/api/v1/admin/reports").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ok_json(&app, &bob, "/api/v1/me").await["is_moderator"],
        true
    );

    // Only administrators set roles: not a moderator, not a member.
    for token in [&bob, &ada] {
        assert_eq!(
            set_role(&app, token, "ada", "admin").await.status(),
            StatusCode::FORBIDDEN
        );
    }
    // Bad input: an unknown role, no role, nobody.
    for role in ["owner", ""] {
        assert_error(
            set_role(&app, &admin, "ada", role).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("role"),
        )
        .await;
    }
    let r = app
        .send_json(
            Method::PUT,
            Some(&admin),
            "/api/v1/admin/members/ada/role",
            &json!({ "role": 7 }),
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(
        set_role(&app, &admin, "nobody", "moderator").await.status(),
        StatusCode::NOT_FOUND
    );

    // The last administrator cannot take their own role away.
    let r = assert_error(
        set_role(&app, &admin, "boss", "member").await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(r.to_string().contains("last administrator"), "{r}");
    assert_eq!(
        app.get(Some(&admin), "/api/v1/admin/members")
            .await
            .status(),
        StatusCode::OK
    );
    // Once there is another, they can; and then they are no longer one.
    assert_eq!(
        set_role(&app, &admin, "ada", "admin").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        set_role(&app, &admin, "boss", "moderator").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(Some(&admin), "/api/v1/admin/members")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(Some(&admin), "/api/v1/admin/reports")
            .await
            .status(),
        StatusCode::OK
    );
    // Ada, the last administrator now, keeps it too.
    assert_eq!(
        set_role(&app, &ada, "ada", "member").await.status(),
        StatusCode::CONFLICT
    );

    // Every change is in the audit log: who, on whom, which role.
    let audit = ok_json(&app, &ada, "/api/v1/admin/audit").await;
    let lines: Vec<(String, String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "set_role")
        .map(|l| {
            (
                l["moderator"].as_str().unwrap().to_string(),
                l["target"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("boss", "@boss", "moderator"),
        ("boss", "@ada", "admin"),
        ("boss", "@bob", "moderator"),
    ];
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, (who, target, role)) in lines.iter().zip(expected) {
        assert_eq!(
            (line.0.as_str(), line.1.as_str(), line.2.as_str()),
            (who, target, role)
        );
    }
}

#[tokio::test]
async fn the_members_page_sets_a_role_and_asks_before_taking_an_administrators_away() {
    let (app, admin, _ada, bob, _cy) = space().await;
    let browser = app.signed_in("boss", ADMIN_PASSWORD).await;
    let page = |browser: &reqwest::Client| {
        let (browser, url) = (browser.clone(), app.url("/admin/members"));
        async move {
            let r = browser.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    let html = page(&browser).await;
    // Each member's role is a labelled choice; an administrator's is behind a confirmation.
    assert!(html.contains("<label class=\"visually-hidden\" for=\"role-bob\">Role of @bob</label>"));
    assert!(
        html.contains("Take the administrator role away from @boss?"),
        "{html}"
    );
    let submit = |handle: &'static str, role: &'static str, csrf: String| {
        let (browser, url) = (
            browser.clone(),
            app.url(&format!("/admin/members/{handle}/role")),
        );
        async move {
            browser
                .post(url)
                .form(&[("csrf", csrf.as_str()), ("role", role)])
                .send()
                .await
                .unwrap()
        }
    };

    // Without the page's token the form is refused and nothing changes.
    let r = submit("bob", "moderator", "forged".into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        ok_json(&app, &bob, "/api/v1/me").await["is_moderator"],
        false
    );

    // With it, bob becomes a moderator and the page says so.
    let r = submit("bob", "moderator", csrf_from(&html)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/members");
    let html = page(&browser).await;
    assert!(html.contains("@bob is now a moderator."), "{html}");
    assert!(html.contains("<option value=\"moderator\" selected>"));
    assert_eq!(
        ok_json(&app, &bob, "/api/v1/me").await["is_moderator"],
        true
    );

    // An unknown role and the last administrator's own role: nothing changes, and why.
    let r = submit("bob", "owner", csrf_from(&html)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&browser).await;
    assert!(html.contains("Nothing changed: choose member, moderator or administrator."));
    let r = submit("boss", "member", csrf_from(&html)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&browser).await;
    assert!(
        html.contains("Nothing changed: @boss is the last administrator"),
        "{html}"
    );
    assert_eq!(
        app.get(Some(&admin), "/api/v1/admin/members")
            .await
            .status(),
        StatusCode::OK
    );
}
