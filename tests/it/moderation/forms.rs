//! The moderation pages' forms as a browser submits them (the page first, for its CSRF token):
//! blocks and mutes, a report, and a report's page (assign, act, resolve, reopen), with the
//! feedback each shows, and the audit log page.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::{post, space};
use crate::support::{csrf_from, TestApp, ADMIN_PASSWORD, PASSWORD};

/// The page at `path` as `browser` gets it (200).
async fn page(app: &TestApp, browser: &Client, path: &str) -> String {
    let r = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// Submits a form to `path` with the token of the page `html`, as a browser does.
async fn submit(
    app: &TestApp,
    browser: &Client,
    path: &str,
    html: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = csrf_from(html);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Where a redirect leads.
fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_blocks_and_report_forms_work_as_a_browser_submits_them() {
    let (app, admin, ada, _bob, _cy) = space().await;
    let browser = app.signed_in("ada", PASSWORD).await;
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains("You have blocked nobody."));

    // A forged form is refused and changes nothing.
    let r = browser
        .post(app.url("/settings/blocks"))
        .form(&[
            ("csrf", "forged"),
            ("kind", "block"),
            ("target", "@bob"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // "Continue" asks first; "Yes, block" blocks, and the list says so.
    let r = submit(
        &app,
        &browser,
        "/settings/blocks",
        &html,
        &[("kind", "block"), ("target", "@bob")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let confirm = r.text().await.unwrap();
    assert!(confirm.contains("id=\"confirm-form\"") && confirm.contains("Are you sure?"));
    let blocks: Value = app
        .get(Some(&ada), "/api/v1/blocks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(blocks["items"], json!([]));
    let r = submit(
        &app,
        &browser,
        "/settings/blocks",
        &confirm,
        &[("kind", "block"), ("target", "@bob"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(location(&r), "/settings/blocks");
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains("You blocked @bob@"), "{html}");
    assert!(!html.contains("You have blocked nobody."));

    // Bad input: oneself, an unknown kind; the page says what is wrong.
    let r = submit(
        &app,
        &browser,
        "/settings/blocks",
        &html,
        &[("kind", "block"), ("target", "@ada"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("you cannot block yourself"));
    let r = submit(
        &app,
        &browser,
        "/settings/blocks",
        &html,
        &[("kind", "ban"), ("target", "@cy")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("must be block, mute or domain"));

    // A mute, then both undone from their lists.
    let r = submit(
        &app,
        &browser,
        "/settings/blocks",
        &html,
        &[("kind", "mute"), ("target", "@cy"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(location(&r), "/settings/blocks");
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains("You muted @cy@"), "{html}");
    let blocks: Value = app
        .get(Some(&ada), "/api/v1/blocks")
        .await
        .json()
        .await
        .unwrap();
    let bob = blocks["items"][0]["target"].as_str().unwrap().to_string();
    let r = submit(
        &app,
        &browser,
        "/settings/blocks/remove",
        &html,
        &[("kind", "block"), ("target", &bob)],
    )
    .await;
    assert_eq!(location(&r), "/settings/blocks");
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains(&format!("{bob} is unblocked.")), "{html}");
    assert!(html.contains("You have blocked nobody."));
    let r = submit(
        &app,
        &browser,
        "/settings/blocks/remove",
        &html,
        &[("kind", "mute"), ("target", "@cy")],
    )
    .await;
    assert_eq!(location(&r), "/settings/blocks");
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains("@cy is unmuted."), "{html}");
    // Undoing what is not there says so.
    let r = submit(
        &app,
        &browser,
        "/settings/blocks/remove",
        &html,
        &[("kind", "mute"), ("target", "@cy")],
    )
    .await;
    assert_eq!(location(&r), "/settings/blocks");
    let html = page(&app, &browser, "/settings/blocks").await;
    assert!(html.contains("@cy was not on your list."), "{html}");

    // A report: without a category the form comes back with the error and nothing is filed.
    let html = page(&app, &browser, "/report?target=%40bob").await;
    assert!(html.contains("value=\"@bob\""), "{html}");
    let r = submit(
        &app,
        &browser,
        "/report",
        &html,
        &[("target", "@bob"), ("comment", "Spam")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"error\""));
    let queue: Value = app
        .get(Some(&admin), "/api/v1/admin/reports")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue["items"], json!([]));
    let r = submit(
        &app,
        &browser,
        "/report",
        &html,
        &[
            ("target", "@bob"),
            ("category", "spam"),
            ("comment", "Cheap watches"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/");
    let home = page(&app, &browser, "/").await;
    assert!(home.contains("Your report went to the moderators of this space."));
    let queue: Value = app
        .get(Some(&admin), "/api/v1/admin/reports")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue["items"][0]["comment"], "Cheap watches");
    assert_eq!(queue["items"][0]["category"], "spam");
}

#[tokio::test]
async fn a_reports_page_assigns_acts_resolves_and_reopens_and_the_audit_log_shows_it() {
    let (app, admin, ada, bob, _cy) = space().await;
    let spam = post(&app, &bob, "Cheap watches").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@bob", "objects": [spam], "category": "spam", "comment": "Watches"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let report_path = format!("/admin/reports/{id}");
    let at = |what: &str| format!("{report_path}/{what}");
    // Members do not see it.
    let member = app.signed_in("ada", PASSWORD).await;
    let r = member.get(app.url(&report_path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let browser = app.signed_in("boss", ADMIN_PASSWORD).await;
    let html = page(&app, &browser, &report_path).await;
    assert!(html.contains("Watches") && html.contains("id=\"action-form\""));

    let r = submit(&app, &browser, &at("assign"), &html, &[("to", "me")]).await;
    assert_eq!(location(&r), report_path);
    let html = page(&app, &browser, &report_path).await;
    assert!(
        html.contains(&format!("Report #{id} is assigned to @boss.")),
        "{html}"
    );

    // An action without the confirmation ticked does nothing and says why.
    let r = submit(
        &app,
        &browser,
        &at("action"),
        &html,
        &[("action", "delete"), ("reason", "spam")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("must be ticked"));
    let by_uri = format!("/api/v1/posts?uri={}", super::encode(&spam));
    assert_eq!(app.get(Some(&ada), &by_uri).await.status(), StatusCode::OK);
    let r = submit(
        &app,
        &browser,
        &at("action"),
        &html,
        &[("action", "delete"), ("reason", "spam"), ("confirm", "on")],
    )
    .await;
    assert_eq!(location(&r), report_path);
    let html = page(&app, &browser, &report_path).await;
    assert!(html.contains("1 item(s) deleted."), "{html}");
    assert_eq!(
        app.get(Some(&ada), &by_uri).await.status(),
        StatusCode::GONE
    );

    let r = submit(
        &app,
        &browser,
        &at("resolve"),
        &html,
        &[("note", "Deleted the spam")],
    )
    .await;
    assert_eq!(location(&r), "/admin/reports");
    let list = page(&app, &browser, "/admin/reports").await;
    assert!(
        list.contains(&format!("Report #{id} is resolved.")),
        "{list}"
    );
    // Resolving twice is refused.
    let r = submit(&app, &browser, &at("resolve"), &html, &[("note", "again")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = submit(
        &app,
        &browser,
        &at("reopen"),
        &html,
        &[("note", "More of it")],
    )
    .await;
    assert_eq!(location(&r), report_path);
    let html = page(&app, &browser, &report_path).await;
    assert!(
        html.contains(&format!("Report #{id} is open again.")),
        "{html}"
    );
    let report: Value = app
        .get(Some(&admin), &format!("/api/v1/admin/reports/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["state"], "open");

    // The audit log page lists each, newest first, with who and why.
    let audit = page(&app, &browser, "/admin/audit").await;
    let actions: Vec<usize> = ["reopen", "resolve", "delete", "assign"]
        .iter()
        .map(|a| {
            audit
                .find(&format!("<td>{a} <a href=\"/admin/reports/{id}\">"))
                .unwrap_or_else(|| panic!("{a} not in {audit}"))
        })
        .collect();
    assert!(actions.windows(2).all(|w| w[0] < w[1]), "{actions:?}");
    assert!(audit.contains("<td>@boss</td>") && audit.contains("<td>spam</td>"));
    let r = member.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
