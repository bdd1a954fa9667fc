//! Domain rules and the federation mode: the admin page, the JSON API and who may use them.
//! What a rule decides (`policy::decide`) and what a block clears are unit-tested beside the
//! code, against a real database.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD};

const OWN_DOMAIN: &str = "harbour.example";

/// A set-up instance whose domain is `harbour.example`; returns the admin's token.
async fn spawn_admin() -> (TestApp, String) {
    let app = TestApp::spawn_with(&[("GUILDHALL_DOMAIN", OWN_DOMAIN)]).await;
    let r = app
        .post_json(
            None,
            "/api/v1/setup",
            &json!({
                "name": "Harbour Works",
                "admin_handle": "boss",
                "admin_email": "boss@example.org",
                "admin_password": ADMIN_PASSWORD,
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = app.token("boss", ADMIN_PASSWORD).await;
    (app, token)
}

async fn add(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_json(Some(token), "/api/v1/admin/domains", &body)
        .await
}

async fn rules(app: &TestApp, token: &str) -> Value {
    let r = app.get(Some(token), "/api/v1/admin/domains").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn rules_are_added_listed_replaced_and_removed_through_the_api() {
    let (app, admin) = spawn_admin().await;
    let empty = rules(&app, &admin).await;
    assert_eq!(empty, json!({"total": 0, "items": []}));

    let r = add(
        &app,
        &admin,
        json!({"domain": "Spam.Example", "policy": "block", "reason": "spam waves"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["domain"], "spam.example");
    assert_eq!(body["policy"], "block");
    assert_eq!(body["reason"], "spam waves");
    assert_eq!(body["replaced"], false);
    assert_eq!(
        body["effects"],
        json!({"follows_removed": 0, "deliveries_failed": 0})
    );
    assert!(body["created_at"].as_i64().unwrap() > 0);

    let r = add(
        &app,
        &admin,
        json!({"domain": "quiet.example", "policy": "silence"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = add(
        &app,
        &admin,
        json!({"domain": "friend.example", "policy": "allow", "reason": "partner space"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // Setting a rule for a domain that has one replaces it: 200, not a second rule.
    let r = add(
        &app,
        &admin,
        json!({"domain": "spam.example", "policy": "silence", "reason": "calmer now"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["replaced"], true);

    let list = rules(&app, &admin).await;
    assert_eq!(list["total"], 3);
    let items: Vec<(String, String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["domain"].as_str().unwrap().to_string(),
                r["policy"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (
                "friend.example".into(),
                "allow".into(),
                "partner space".into()
            ),
            ("quiet.example".into(), "silence".into(), "".into()),
            ("spam.example".into(), "silence".into(), "calmer now".into()),
        ]
    );
    let paged = app
        .get(Some(&admin), "/api/v1/admin/domains?limit=1&offset=1")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(paged["total"], 3);
    assert_eq!(paged["items"][0]["domain"], "quiet.example");

    let r = app
        .send_json(
            Method::DELETE,
            Some(&admin),
            "/api/v1/admin/domains/quiet.example",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .send_json(
            Method::DELETE,
            Some(&admin),
            "/api/v1/admin/domains/quiet.example",
            &json!({}),
        )
        .await;
    assert_error(r, StatusCode::NOT_FOUND, None).await;
    assert_eq!(rules(&app, &admin).await["total"], 2);
}

#[tokio::test]
async fn bad_rules_are_refused_with_a_message_for_the_field() {
    let (app, admin) = spawn_admin().await;
    for (body, field, hint) in [
        (
            json!({"domain": "https://spam.example/", "policy": "block"}),
            "domain",
            "https://",
        ),
        (
            json!({"domain": "spam.example/users/a", "policy": "block"}),
            "domain",
            "path",
        ),
        (
            json!({"domain": "spam.example:8443", "policy": "block"}),
            "domain",
            "port",
        ),
        (
            json!({"domain": "localhost", "policy": "block"}),
            "domain",
            "dot",
        ),
        (
            json!({"domain": "*.spam.example", "policy": "block"}),
            "domain",
            "subdomain",
        ),
        (
            json!({"domain": "", "policy": "block"}),
            "domain",
            "required",
        ),
        (
            json!({"domain": "spam.example", "policy": "mute"}),
            "policy",
            "block, silence or allow",
        ),
        (
            json!({"domain": "spam.example", "policy": "block", "reason": "x".repeat(501)}),
            "reason",
            "500",
        ),
        // This space's own domain, or a parent of it, cannot be blocked or silenced.
        (
            json!({"domain": "Harbour.Example", "policy": "block"}),
            "domain",
            "own domain",
        ),
        (
            json!({"domain": "harbour.example", "policy": "silence"}),
            "domain",
            "own domain",
        ),
    ] {
        let r = add(&app, &admin, body.clone()).await;
        let error = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        let message = error["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(hint), "{body}: {message}");
    }
    // A typo in a field name is not silently ignored.
    let r = add(
        &app,
        &admin,
        json!({"domain": "spam.example", "polcy": "block"}),
    )
    .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    // Nothing was stored.
    assert_eq!(rules(&app, &admin).await["total"], 0);
    // Allowing our own domain is harmless and accepted.
    let r = add(
        &app,
        &admin,
        json!({"domain": OWN_DOMAIN, "policy": "allow"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn only_administrators_manage_domain_rules() {
    let (app, admin) = spawn_admin().await;
    app.open_registration(&admin).await;
    let member = app.member("ada").await;
    let rule = json!({"domain": "spam.example", "policy": "block"});
    let mode = json!({"mode": "allowlist"});

    for token in [Some(member.as_str()), None] {
        let status = if token.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        let r = app.get(token, "/api/v1/admin/domains").await;
        assert_error(r, status, None).await;
        let r = app.post_json(token, "/api/v1/admin/domains", &rule).await;
        assert_error(r, status, None).await;
        let r = app
            .send_json(
                Method::DELETE,
                token,
                "/api/v1/admin/domains/spam.example",
                &json!({}),
            )
            .await;
        assert_error(r, status, None).await;
        let r = app.get(token, "/api/v1/admin/federation").await;
        assert_error(r, status, None).await;
        let r = app
            .send_json(Method::PUT, token, "/api/v1/admin/federation", &mode)
            .await;
        assert_error(r, status, None).await;
    }
    assert_eq!(rules(&app, &admin).await["total"], 0);
    let current: Value = app
        .get(Some(&admin), "/api/v1/admin/federation")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["mode"], "open");

    // Members do not see the page; visitors are sent to sign in.
    let browser = signed_in_browser(&app, "ada", crate::support::PASSWORD).await;
    let r = browser.get(app.url("/admin/domains")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.get(None, "/admin/domains").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

async fn mode_of(app: &TestApp, token: &str) -> Value {
    let r = app.get(Some(token), "/api/v1/admin/federation").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn put_mode(app: &TestApp, token: &str, mode: &str) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        Some(token),
        "/api/v1/admin/federation",
        &json!({ "mode": mode }),
    )
    .await
}

#[tokio::test]
async fn federation_mode_switches_between_open_and_allowlist() {
    let (app, admin) = spawn_admin().await;
    let start = mode_of(&app, &admin).await;
    assert_eq!(start["mode"], "open");
    assert_eq!(start["allowed_domains"], 0);

    let r = put_mode(&app, &admin, "allowlist").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["mode"], "allowlist");
    assert!(
        body["explanation"]
            .as_str()
            .unwrap()
            .contains("federates with nobody"),
        "{body}"
    );
    add(
        &app,
        &admin,
        json!({"domain": "friend.example", "policy": "allow"}),
    )
    .await;
    let now = mode_of(&app, &admin).await;
    assert_eq!(now["mode"], "allowlist");
    assert_eq!(now["allowed_domains"], 1);

    let r = put_mode(&app, &admin, "sometimes").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("mode")).await;
    assert_eq!(mode_of(&app, &admin).await["mode"], "allowlist");

    assert_eq!(
        put_mode(&app, &admin, "open").await.status(),
        StatusCode::OK
    );
    assert_eq!(mode_of(&app, &admin).await["mode"], "open");
}

/// A browser signed in through the sign-in form.
async fn signed_in_browser(app: &TestApp, login: &str, password: &str) -> Client {
    app.signed_in(login, password).await
}

async fn page(browser: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = browser.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post_form(
    browser: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn the_domains_page_adds_and_removes_rules_and_switches_the_mode() {
    let (app, _) = spawn_admin().await;
    let browser = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;
    let (status, html) = page(&browser, &app, "/admin/domains").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Federation: domain rules"));
    assert!(html.contains("No domain rules yet."));
    assert!(html.contains("id=\"fed-open\" name=\"mode\" value=\"open\" checked"));
    let csrf = csrf_from(&html);
    // The settings page links here.
    assert!(page(&browser, &app, "/admin")
        .await
        .1
        .contains("href=\"/admin/domains\""));

    // Without the CSRF token: refused.
    let r = post_form(
        &browser,
        &app,
        "/admin/domains",
        &[("domain", "spam.example"), ("policy", "block")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Invalid: the form comes back with the message next to the field and the input kept.
    let r = post_form(
        &browser,
        &app,
        "/admin/domains",
        &[
            ("csrf", &csrf),
            ("domain", "https://spam.example/about"),
            ("policy", "silence"),
            ("reason", "keep me"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"domain-error\""), "{html}");
    assert!(html.contains("without http:// or https://"));
    assert!(html.contains("value=\"keep me\""));
    assert!(html.contains("value=\"silence\" selected"));

    let r = post_form(
        &browser,
        &app,
        "/admin/domains",
        &[
            ("csrf", &csrf),
            ("domain", "spam.example"),
            ("policy", "block"),
            ("reason", "spam <waves>"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/domains");
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("spam.example is now blocked."), "{html}");
    assert!(html.contains("id=\"rule-spam.example\""));
    assert!(html.contains("spam &#60;waves&#62;") || html.contains("spam &lt;waves&gt;"));
    assert!(html.contains("action=\"/admin/domains/spam.example/remove\""));

    // Allowlist mode with no allowed domain warns that nothing federates.
    let r = post_form(
        &browser,
        &app,
        "/admin/federation-mode",
        &[("csrf", &csrf), ("mode", "allowlist")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("this space federates with nobody until you allow some"));
    assert!(html.contains("id=\"mode-warning\""));
    assert!(html.contains("value=\"allowlist\" checked"));

    let r = post_form(
        &browser,
        &app,
        "/admin/domains",
        &[
            ("csrf", &csrf),
            ("domain", "friend.example"),
            ("policy", "allow"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("friend.example is now allowed."));
    assert!(html.contains("1 allowed domain."));
    assert!(!html.contains("id=\"mode-warning\""));

    let r = post_form(
        &browser,
        &app,
        "/admin/federation-mode",
        &[("csrf", &csrf), ("mode", "closed")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"mode-error\""));

    let r = post_form(
        &browser,
        &app,
        "/admin/federation-mode",
        &[("csrf", &csrf), ("mode", "open")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("Federation is open"));

    let r = post_form(
        &browser,
        &app,
        "/admin/domains/spam.example/remove",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("The rule for spam.example is removed."));
    assert!(!html.contains("id=\"rule-spam.example\""));
    assert!(html.contains("id=\"rule-friend.example\""));
}

/// Serves `list` (changeable while it runs) as `/blocks.csv` on a loopback port; returns its
/// address.
async fn serve_list(list: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/blocks.csv",
        get(move || {
            let body = list.lock().unwrap().clone();
            async move { ([("content-type", "text/csv")], body) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}/blocks.csv")
}

const LIST_HEADER: &str =
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n";

fn policies(rules: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["domain"].as_str().unwrap().to_string(),
                r["policy"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn refreshes_in_audit(app: &TestApp, token: &str) -> usize {
    let audit: Value = app
        .get(Some(token), "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "refresh_blocklist")
        .count()
}

#[tokio::test]
async fn a_blocklist_subscription_previews_then_applies_adds_and_removes() {
    let (app, token) = spawn_admin().await;
    let list = std::sync::Arc::new(std::sync::Mutex::new(format!(
        "{LIST_HEADER}spam.example,suspend,true,true,Spam,false\nloud.example,silence,false,false,,false\n"
    )));
    let url = serve_list(list.clone()).await;

    // Subscribing twice at once: one subscription.
    let body = json!({ "url": url });
    let (a, b) = tokio::join!(
        app.post_json(Some(&token), "/api/v1/admin/blocklists", &body),
        app.post_json(Some(&token), "/api/v1/admin/blocklists", &body),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
    let sub: Value = a.json().await.unwrap();
    let id = sub["id"].as_i64().unwrap();
    assert_eq!(sub["url"], url.as_str());
    assert!(sub["fetched_at"].is_null());
    let subs: Value = app
        .get(Some(&token), "/api/v1/admin/blocklists")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs["items"].as_array().unwrap().len(), 1);

    // The preview lists what would change and changes nothing.
    let r = app
        .get(
            Some(&token),
            &format!("/api/v1/admin/blocklists/{id}/preview"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let preview: Value = r.json().await.unwrap();
    assert_eq!(
        preview["preview"]["adds"],
        json!([{"domain": "spam.example", "severity": "suspend"},
               {"domain": "loud.example", "severity": "silence"}])
    );
    assert_eq!(preview["preview"]["removes"], json!([]));
    assert!(policies(&rules(&app, &token).await).is_empty());

    let refresh = || async {
        app.post_json(
            Some(&token),
            &format!("/api/v1/admin/blocklists/{id}/refresh"),
            &json!({}),
        )
        .await
    };
    let r = refresh().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        policies(&rules(&app, &token).await),
        pairs(&[("loud.example", "silence"), ("spam.example", "block")])
    );

    // The list changes: one domain goes, one comes. The preview says so; two refreshes at
    // once apply it once.
    *list.lock().unwrap() =
        format!("{LIST_HEADER}spam.example,suspend,true,true,Spam,false\nnew.example,suspend,false,false,,false\n");
    let preview: Value = app
        .get(
            Some(&token),
            &format!("/api/v1/admin/blocklists/{id}/preview"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        preview["preview"]["adds"],
        json!([{"domain": "new.example", "severity": "suspend"}])
    );
    assert_eq!(preview["preview"]["removes"], json!(["loud.example"]));
    assert_eq!(preview["preview"]["unchanged"], 1);
    let before = refreshes_in_audit(&app, &token).await;
    let (a, b) = tokio::join!(refresh(), refresh());
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    assert_eq!(refreshes_in_audit(&app, &token).await, before + 1);
    assert_eq!(
        policies(&rules(&app, &token).await),
        pairs(&[("new.example", "block"), ("spam.example", "block")])
    );

    // A list with a bad line changes nothing, and says why.
    *list.lock().unwrap() = format!("{LIST_HEADER}spam.example,nuke,false,false,,false\n");
    let r = refresh().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        policies(&rules(&app, &token).await),
        pairs(&[("new.example", "block"), ("spam.example", "block")])
    );
    let subs: Value = app
        .get(Some(&token), "/api/v1/admin/blocklists")
        .await
        .json()
        .await
        .unwrap();
    assert!(subs["items"][0]["last_error"]
        .as_str()
        .unwrap()
        .contains("nuke"));
    assert_eq!(subs["items"][0]["domains"], 2);

    // Not an address the space fetches from; an unknown subscription.
    let r = app
        .post_json(
            Some(&token),
            "/api/v1/admin/blocklists",
            &json!({"url": "ftp://lists.example/blocks.csv"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("url")).await;
    let r = app
        .send_json(
            Method::DELETE,
            Some(&token),
            "/api/v1/admin/blocklists/999",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Unsubscribing keeps the rules.
    let r = app
        .send_json(
            Method::DELETE,
            Some(&token),
            &format!("/api/v1/admin/blocklists/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(policies(&rules(&app, &token).await).len(), 2);
}

#[tokio::test]
async fn the_blocklists_page_subscribes_previews_and_applies() {
    let (app, _) = spawn_admin().await;
    let list = std::sync::Arc::new(std::sync::Mutex::new(format!(
        "{LIST_HEADER}spam.example,suspend,true,true,Spam,false\n"
    )));
    let url = serve_list(list).await;
    let browser = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;
    let (status, html) = page(&browser, &app, "/admin/blocklists").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No subscriptions yet."));
    assert!(html.contains("<label for=\"url\">Address of the list</label>"));
    let csrf = csrf_from(&html);
    // The domain rules page links here.
    assert!(page(&browser, &app, "/admin/domains")
        .await
        .1
        .contains("href=\"/admin/blocklists\""));

    let r = post_form(
        &browser,
        &app,
        "/admin/blocklists",
        &[("csrf", csrf.as_str()), ("url", "not an address")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"url-error\""));

    let r = post_form(
        &browser,
        &app,
        "/admin/blocklists",
        &[("csrf", csrf.as_str()), ("url", url.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let preview_path = r.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = page(&browser, &app, &preview_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Subscribed."), "{html}");
    assert!(html.contains("1 added, 0 changed, 0 removed, 0 unchanged."));
    assert!(html.contains("<code>spam.example</code> · block"));
    // Applying asks for confirmation first.
    assert!(html.contains(
        "<details class=\"confirm\"><summary class=\"button\">Apply this refresh</summary>"
    ));
    let action = preview_path.replace("/preview", "/refresh");
    let r = post_form(&browser, &app, &action, &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, &app, "/admin/blocklists").await;
    assert!(
        html.contains("is refreshed: 1 added, 0 changed, 0 removed, 0 unchanged."),
        "{html}"
    );
    assert!(html.contains("1 domain · last refreshed"));
    let (_, html) = page(&browser, &app, "/admin/domains").await;
    assert!(html.contains("id=\"rule-spam.example\""));
}
