//! Moderation inside the space: members' blocks, mutes and hidden domains and what they stop;
//! reports, the moderators' queue, actions from a report and the audit log; the moderator
//! role; rate limits on reports; domain rules as a Mastodon CSV.

mod forms;
mod hiding;
mod roles;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, fresh_database, Instance, TestApp, PASSWORD};

async fn ok_json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(Some(token), path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    app.post_text(token, text).await
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A set-up space with open registration and members `ada`, `bob` and `cy`.
async fn space() -> (TestApp, String, String, String, String) {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cy = app.member("cy").await;
    (app, admin, ada, bob, cy)
}

#[tokio::test]
async fn a_block_ends_follows_and_keeps_the_blocked_member_away() {
    let (app, _admin, ada, bob, _cy) = space().await;
    // They follow each other first.
    for (token, target) in [(&ada, "@bob"), (&bob, "@ada")] {
        let r = app
            .post_json(Some(token), "/api/v1/follows", &json!({ "target": target }))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let ada_post = post(&app, &ada, "Coffee at ten").await;

    // Bad blocks: oneself, nobody, nothing.
    for (target, status) in [("@ada", 422), ("@nobody", 422), ("", 422)] {
        let r = app
            .post_json(Some(&ada), "/api/v1/blocks", &json!({ "target": target }))
            .await;
        assert_error(r, StatusCode::from_u16(status).unwrap(), Some("target")).await;
    }
    let r = app
        .post_json(Some(&ada), "/api/v1/blocks", &json!({ "target": "@bob" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let blocked: Value = r.json().await.unwrap();
    assert!(blocked["target"]
        .as_str()
        .unwrap()
        .ends_with("/members/bob"));
    // Blocking again changes nothing.
    let r = app
        .post_json(Some(&ada), "/api/v1/blocks", &json!({ "target": "@bob" }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let list = ok_json(&app, &ada, "/api/v1/blocks").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert!(list["items"][0]["label"]
        .as_str()
        .unwrap()
        .starts_with("@bob@"));

    // Follows ended both ways, in the block's transaction.
    let following = ok_json(&app, &ada, "/api/v1/following").await;
    assert!(
        !following.to_string().contains("/members/bob"),
        "{following}"
    );
    let following = ok_json(&app, &bob, "/api/v1/following").await;
    assert!(
        !following.to_string().contains("/members/ada"),
        "{following}"
    );

    // Bob can no longer follow, comment, or message ada.
    let r = app
        .post_json(Some(&bob), "/api/v1/follows", &json!({ "target": "@ada" }))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/posts",
            &json!({ "text": "hello?", "in_reply_to": ada_post }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/messages",
            &json!({ "text": "psst", "to": ["@ada"] }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let replies = ok_json(
        &app,
        &ada,
        &format!("/api/v1/replies?uri={}", encode(&ada_post)),
    )
    .await;
    assert!(!replies.to_string().contains("hello?"), "{replies}");

    // Undo: by handle; then it is gone.
    let r = app
        .send_json(
            Method::DELETE,
            Some(&ada),
            "/api/v1/blocks?target=@bob",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .send_json(
            Method::DELETE,
            Some(&ada),
            "/api/v1/blocks?target=@bob",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_json(Some(&bob), "/api/v1/follows", &json!({ "target": "@ada" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_mute_and_a_hidden_domain_quiet_timelines_and_notifications() {
    let (app, _admin, ada, bob, cy) = space().await;
    let r = app
        .post_json(Some(&ada), "/api/v1/follows", &json!({ "target": "@cy" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    post(&app, &cy, "Before the mute").await;
    let home = ok_json(&app, &ada, "/api/v1/timelines/home").await;
    assert!(home.to_string().contains("Before the mute"), "{home}");

    let r = app
        .post_json(Some(&ada), "/api/v1/mutes", &json!({ "target": "@cy" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(Some(&ada), "/api/v1/mutes", &json!({ "target": "@ada" }))
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("target")).await;
    post(&app, &cy, "After the mute, @ada").await;
    post(&app, &bob, "Bob says hi to @ada").await;
    let home = ok_json(&app, &ada, "/api/v1/timelines/home").await;
    assert!(!home.to_string().contains("mute"), "{home}");
    let notes = ok_json(&app, &ada, "/api/v1/notifications").await;
    let text = notes.to_string();
    assert!(text.contains("/members/bob"), "{text}");
    assert!(!text.contains("/members/cy"), "{text}");
    // Muted is not blocked: cy may still follow ada.
    let r = app
        .post_json(Some(&cy), "/api/v1/follows", &json!({ "target": "@ada" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        ok_json(&app, &ada, "/api/v1/mutes").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = app
        .send_json(
            Method::DELETE,
            Some(&ada),
            "/api/v1/mutes?target=@cy",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Hidden domains: a bare domain, never this space's own.
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/domain_blocks",
            &json!({ "domain": "Spam.Example" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/domain_blocks",
            &json!({ "domain": "https://x.example/a" }),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("domain")).await;
    let list = ok_json(&app, &ada, "/api/v1/domain_blocks").await;
    assert_eq!(list["items"][0]["target"], "spam.example");
    let r = app
        .send_json(
            Method::DELETE,
            Some(&ada),
            "/api/v1/domain_blocks?domain=spam.example",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn reports_reach_the_queue_and_moderators_act_on_them() {
    let (app, admin, ada, bob, _cy) = space().await;
    let bob_post = post(&app, &bob, "Buy cheap watches").await;
    let report = |body: Value| {
        let app = &app;
        let ada = ada.clone();
        async move { app.post_json(Some(&ada), "/api/v1/reports", &body).await }
    };
    // Bad reports: nothing is stored.
    for (body, field) in [
        (json!({"objects": [bob_post], "category": "spam"}), "target"),
        (json!({"target": "@bob", "category": "rude"}), "category"),
        (
            json!({"target": "@bob", "category": "spam", "objects": ["https://elsewhere.example/p/1"]}),
            "objects",
        ),
        (
            json!({"target": "@bob", "category": "spam", "objects": ["not a url"]}),
            "objects",
        ),
        (
            json!({"target": "@bob", "category": "spam", "comment": "x".repeat(1001)}),
            "comment",
        ),
        (json!({"target": "@ada", "category": "spam"}), "target"),
    ] {
        assert_error(
            report(body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(field),
        )
        .await;
    }
    // Only moderators see the queue.
    let r = app.get(Some(&ada), "/api/v1/admin/reports").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        ok_json(&app, &admin, "/api/v1/admin/reports").await,
        json!({"items": []})
    );

    let r = report(json!({"target": "@bob", "objects": [bob_post], "category": "spam", "comment": "Spam in the feed", "forward": true})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let filed: Value = r.json().await.unwrap();
    let id = filed["id"].as_i64().unwrap();
    let queue = ok_json(&app, &admin, "/api/v1/admin/reports?state=open").await;
    let item = &queue["items"][0];
    for key in [
        "id",
        "state",
        "category",
        "comment",
        "target",
        "objects",
        "reporter",
        "origin",
        "created_at",
    ] {
        assert!(!item[key].is_null(), "{key} in {item}");
    }
    assert_eq!(item["state"], "open");
    assert_eq!(item["reporter"], "ada");
    assert_eq!(item["origin"], "local");
    assert_eq!(item["objects"], json!([bob_post]));
    // A local target is not forwarded anywhere.
    assert_eq!(item["forward"], false);
    let r = app
        .get(Some(&admin), "/api/v1/admin/reports?state=odd")
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("state")).await;

    let act = |action: &'static str, reason: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post_json(
                Some(&admin),
                &format!("/api/v1/admin/reports/{id}/actions"),
                &json!({ "action": action, "reason": reason }),
            )
            .await
        }
    };
    let r = app
        .post_json(
            Some(&admin),
            &format!("/api/v1/admin/reports/{id}/assign"),
            &json!({"to": "me"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["assigned_to"], "boss");
    // Limits are for remote accounts.
    assert_error(
        act("limit", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("action"),
    )
    .await;
    assert_eq!(act("delete", "spam").await.status(), StatusCode::OK);
    let r = app
        .get(None, &format!("/api/v1/posts?uri={}", encode(&bob_post)))
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(
        act("warn", "No advertising here").await.status(),
        StatusCode::OK
    );
    let notes = ok_json(&app, &bob, "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "warning", "{notes}");
    assert!(notes.to_string().contains("No advertising here"));
    assert_eq!(
        act("suspend", "repeat spammer").await.status(),
        StatusCode::OK
    );
    // Suspended: tokens ended, no sign-in, profile hidden.
    assert_eq!(
        app.get(Some(&bob), "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post_json(
            None,
            "/api/v1/tokens",
            &json!({"login": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(None, "/api/v1/members/bob").await.status(),
        StatusCode::NOT_FOUND
    );

    let resolve = |note: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post_json(
                Some(&admin),
                &format!("/api/v1/admin/reports/{id}/resolve"),
                &json!({ "note": note }),
            )
            .await
        }
    };
    let r = resolve("Suspended for spam").await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["state"], "resolved");
    assert_eq!(done["resolution_note"], "Suspended for spam");
    assert_eq!(resolve("again").await.status(), StatusCode::CONFLICT);
    assert_eq!(
        ok_json(&app, &admin, "/api/v1/admin/reports?state=open").await["items"],
        json!([])
    );
    let r = app
        .post_json(
            Some(&admin),
            &format!("/api/v1/admin/reports/{id}/reopen"),
            &json!({"note": "appeal"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.get(Some(&admin), "/api/v1/admin/reports/999999").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Every action is in the audit log, newest first, with who and why.
    let audit = ok_json(&app, &admin, "/api/v1/admin/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["reopen", "resolve", "suspend", "warn", "delete", "assign"],
        "{audit}"
    );
    assert_eq!(audit["items"][2]["moderator"], "boss");
    assert_eq!(audit["items"][2]["reason"], "repeat spammer");
    let one = ok_json(&app, &admin, &format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(one["audit"].as_array().unwrap().len(), 6);
    assert_eq!(one["state"], "open");
}

#[tokio::test]
async fn two_moderators_resolving_one_report_one_wins() {
    let (app, admin, ada, bob, _cy) = space().await;
    let bob_post = post(&app, &bob, "Something rude").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@bob", "objects": [bob_post], "category": "abuse"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = app.api.clone();
        let url = app.url(&format!("/api/v1/admin/reports/{id}/resolve"));
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(admin)
                .json(&json!({ "note": format!("note {i}") }))
                .send()
                .await
                .expect("request sent")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("request task"));
    }
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 7), "{statuses:?}");
    let audit = ok_json(&app, &admin, &format!("/api/v1/admin/audit?report={id}")).await;
    let resolves = audit["items"].as_array().unwrap();
    assert_eq!(resolves.len(), 1, "{audit}");
    let report = ok_json(&app, &admin, &format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(report["resolution_note"], resolves[0]["reason"]);
}

#[tokio::test]
async fn the_moderator_role_opens_the_queue_and_reports_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let instance = Instance::start(&db, &[("GUILDHALL_RATE_REPORTS", "2")]).await;
    let app = &instance.app;
    let admin = app.set_up_space(json!({"name": "Harbour Works"})).await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let mo = app.member("mo").await;
    assert_eq!(
        app.get(Some(&mo), "/api/v1/admin/reports").await.status(),
        StatusCode::FORBIDDEN
    );
    let said = guildhall::admin::users::set_role(&instance.state.db, "mo", "moderator")
        .await
        .unwrap();
    assert!(said.contains("moderator"), "{said}");
    assert_eq!(
        app.get(Some(&mo), "/api/v1/admin/reports").await.status(),
        StatusCode::OK
    );
    assert_eq!(ok_json(app, &mo, "/api/v1/me").await["is_moderator"], true);
    // The last administrator keeps the role.
    assert!(
        guildhall::admin::users::set_role(&instance.state.db, "boss", "member")
            .await
            .is_err()
    );
    // Moderators do not manage domain rules.
    assert_eq!(
        app.get(Some(&mo), "/api/v1/admin/domains").await.status(),
        StatusCode::FORBIDDEN
    );

    for _ in 0..2 {
        let r = app
            .post_json(
                Some(&ada),
                "/api/v1/reports",
                &json!({"target": "@mo", "category": "other"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@mo", "category": "other"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 3600);
    let audit = ok_json(app, &mo, "/api/v1/admin/audit").await;
    assert_eq!(audit["items"][0]["action"], "set_role");
    assert_eq!(audit["items"][0]["moderator"], "cli");
    instance.stop().await;
}

/// An export of Mastodon's admin page (quoting as Ruby's CSV writes it).
const MASTODON_CSV: &str =
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
spam.example,suspend,true,true,\"Spam, scams and more\",false\n\
loud.example,silence,false,false,,false\n\
pics.example,noop,true,false,\"\",true\n\
quote.example,suspend,false,true,\"They said \"\"hi\"\"\",false\n";

#[tokio::test]
async fn a_mastodon_domain_block_csv_imports_and_exports_unchanged() {
    let (app, admin) = TestApp::spawn_set_up().await;
    let import = |body: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.api
                .post(app.url("/api/v1/admin/domains/import"))
                .bearer_auth(&admin)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // A file with a bad line changes nothing.
    let r = import("#domain,#severity\nfine.example,suspend\nbad..example,suspend\n").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    let rules = ok_json(&app, &admin, "/api/v1/admin/domains").await;
    assert_eq!(rules["total"], 0, "{rules}");

    let r = import(MASTODON_CSV).await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        done,
        json!({"rows": 4, "blocked": 2, "silenced": 1, "noop": 1})
    );
    let rules = ok_json(&app, &admin, "/api/v1/admin/domains").await;
    assert_eq!(rules["total"], 3, "{rules}");
    let spam = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["domain"] == "spam.example")
        .unwrap();
    assert_eq!(spam["policy"], "block");
    assert_eq!(spam["reason"], "Spam, scams and more");

    let r = app.get(Some(&admin), "/api/v1/admin/domains/export").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(r.text().await.unwrap(), MASTODON_CSV);

    // A rule added here afterwards is exported too, after the imported ones.
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/domains",
            &json!({"domain": "new.example", "policy": "block", "reason": "new"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = app
        .get(Some(&admin), "/api/v1/admin/domains/export")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        format!("{MASTODON_CSV}new.example,suspend,false,false,new,false\n")
    );
    let member_csv = app.get(None, "/api/v1/admin/domains/export").await;
    assert_eq!(member_csv.status(), StatusCode::UNAUTHORIZED);
}
