//! What calendar feeds must leave out: public feeds never carry members-only or followers-only
//! events, a member's private feed never carries what is another member's alone, and only the
//! private feed token's hash is stored.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events::ics_lines;
use crate::support::{ahead, fresh_database, Instance, TestApp};

/// Creates an event with `extra` laid over a valid body; returns its address.
async fn event(app: &TestApp, token: &str, title: &str, extra: Value) -> String {
    let mut body = json!({
        "title": title, "description": "", "starts_at": ahead("06-01T18:00"),
        "ends_at": ahead("06-01T20:00"), "timezone": "Europe/Lisbon", "visibility": "public",
    });
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let r = app.post_json(Some(token), "/api/v1/events", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{title}");
    r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The titles (`SUMMARY`) in the feed at `path`, read without signing in.
async fn titles(app: &TestApp, path: &str) -> Vec<String> {
    let r = app.get(None, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    ics_lines(&r.text().await.unwrap())
        .into_iter()
        .filter_map(|l| l.strip_prefix("SUMMARY:").map(str::to_string))
        .collect()
}

/// The path of a private feed: a new address for the member of `token`.
async fn private_feed(app: &TestApp, token: &str) -> String {
    let r = app
        .post_json(Some(token), "/api/v1/calendar/feed", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

#[tokio::test]
async fn calendars_leave_out_what_they_must() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    let instance = Instance::start(&url, &[]).await;
    let app = &instance.app;
    let admin = app.set_up_space(json!({"name": "Harbour Works"})).await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Tidewater Labs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let open_day = event(app, &ada, "Open day", json!({})).await;
    let breakfast = event(
        app,
        &ada,
        "Members breakfast",
        json!({"visibility": "members"}),
    )
    .await;
    event(
        app,
        &ada,
        "Followers talk",
        json!({"visibility": "followers"}),
    )
    .await;
    event(
        app,
        &ada,
        "Company fair",
        json!({"as": "company:tidewater"}),
    )
    .await;
    event(
        app,
        &ada,
        "Company retreat",
        json!({"as": "company:tidewater", "visibility": "members"}),
    )
    .await;
    let hidden = ["Members breakfast", "Followers talk", "Company retreat"];

    // Public feeds: the space's, Ada's and the company's carry only public events.
    for (path, expected) in [
        ("/calendar.ics", vec!["Open day", "Company fair"]),
        ("/members/ada/calendar.ics", vec!["Open day"]),
        ("/companies/tidewater/calendar.ics", vec!["Company fair"]),
    ] {
        let got = titles(app, path).await;
        for title in &expected {
            assert!(got.iter().any(|t| t == title), "{title} in {path}: {got:?}");
        }
        for title in hidden {
            assert!(
                !got.iter().any(|t| t == title),
                "{title} in {path}: {got:?}"
            );
        }
    }
    // A members-only event's own feed is no one's business without signing in.
    let rest = breakfast.split_once("://").unwrap().1;
    let breakfast_ics = format!("/{}.ics", rest.split_once('/').unwrap().1);
    let r = app.get(None, &breakfast_ics).await;
    assert_ne!(r.status(), StatusCode::OK);
    assert!(!r.text().await.unwrap().contains("Members breakfast"));

    // Ada's private feed has everything she organises; Bob's has nothing of hers until he
    // joins one, and then only that one.
    let ada_feed = private_feed(app, &ada).await;
    let got = titles(app, &ada_feed).await;
    for title in ["Open day", "Members breakfast", "Followers talk"] {
        assert!(got.iter().any(|t| t == title), "{title} in Ada's: {got:?}");
    }
    let bob_feed = private_feed(app, &bob).await;
    assert_eq!(titles(app, &bob_feed).await, Vec::<String>::new());
    let r = app
        .post_json(Some(&bob), "/api/v1/events/join", &json!({"uri": open_day}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(titles(app, &bob_feed).await, vec!["Open day".to_string()]);

    // Only a hash of the feed's token is stored: the token itself is nowhere in the table.
    let token = bob_feed
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".ics")
        .to_string();
    assert!(token.len() >= 32, "a long random token: {token}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calendar_tokens")
        .fetch_one(instance.state.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 2, "Ada's and Bob's");
    let holding: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM calendar_tokens WHERE token_hash LIKE '%' || $1 || '%'",
    )
    .bind(&token)
    .fetch_one(instance.state.db.pool())
    .await
    .unwrap();
    assert_eq!(holding, 0, "the token is stored as it is");
    instance.stop().await;
}
