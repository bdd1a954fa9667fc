//! Notification mails of the three kinds the other mail tests do not reach: a direct message,
//! an RSVP answer to one's event, a task assigned in a project. A member who chose "at once"
//! for them gets each by mail, with its link; a member who chose "never" gets none, though the
//! same things happen to them.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use test_support::MailServer;

use crate::support::{TestApp, PASSWORD};

const SETTINGS: &str = "/api/v1/me/notification-settings";

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app.post_json(Some(token), path, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{path} {body}");
    r.json().await.unwrap()
}

/// Sets the three topics to `mode` for the member of `token`.
async fn choose(app: &TestApp, token: &str, mode: &str) {
    let r = app
        .send_json(
            Method::PUT,
            Some(token),
            SETTINGS,
            &json!({"messages": mode, "rsvp": mode, "tasks": mode}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = r.json().await.unwrap();
    for topic in ["messages", "rsvp", "tasks"] {
        assert_eq!(got[topic], mode, "{got}");
    }
}

/// An open event organised by the member of `token`; its URI and token.
async fn event(app: &TestApp, token: &str, title: &str) -> (String, String) {
    let e = created(
        app,
        token,
        "/api/v1/events",
        json!({
            "title": title,
            "starts_at": test_support::ahead("06-01T18:00"),
            "ends_at": test_support::ahead("06-01T20:00"),
            "timezone": "Europe/Lisbon",
        }),
    )
    .await;
    let uri = e["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    (uri, token)
}

#[tokio::test]
async fn messages_rsvps_and_task_assignments_are_mailed_at_once_or_never() {
    let smtp = MailServer::start();
    let (app, _admin) = TestApp::spawn_with_mail(&smtp.url(), &[]).await;
    let ada = app.token("ada", PASSWORD).await;
    let bob = app.member("bob").await;
    let carol = app.member("carol").await;
    // RSVP answers are in the digest by default; ada wants all three at once, carol never.
    choose(&app, &ada, "immediate").await;
    choose(&app, &carol, "never").await;

    // Each thing happens to carol first, then to ada: once ada's mail is in, carol's would
    // have been sent before it.
    for who in ["@carol", "@ada"] {
        created(
            &app,
            &bob,
            "/api/v1/messages",
            json!({"to": [who], "text": "Lunch at noon?"}),
        )
        .await;
    }
    let (carol_event, _) = event(&app, &carol, "Letterpress evening").await;
    let (ada_event, ada_event_token) = event(&app, &ada, "Rust & coffee").await;
    for uri in [&carol_event, &ada_event] {
        let r = app
            .post_json(Some(&bob), "/api/v1/events/join", &json!({"uri": uri}))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
    }
    created(
        &app,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat"}),
    )
    .await;
    for token in [&carol, &bob] {
        let r = app
            .post_json(Some(token), "/api/v1/projects/boat/join", &json!({}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    for (title, to) in [("Oil the oars", "@carol"), ("Sand the hull", "@ada")] {
        created(
            &app,
            &bob,
            "/api/v1/projects/boat/tasks",
            json!({"title": title, "assignees": to}),
        )
        .await;
    }

    // Ada: three mails, one of each kind, each with its link and a way to stop it.
    test_support::eventually_exactly(3, "mails to ada", || async {
        smtp.received_by("ada@example.org").len()
    })
    .await;
    let mails = smtp.received_by("ada@example.org");
    let of = |needle: &str| {
        let found: Vec<_> = mails
            .iter()
            .filter(|m| m.header("Subject").is_some_and(|s| s.contains(needle)))
            .collect();
        assert_eq!(found.len(), 1, "one mail about {needle}: {mails:?}");
        found[0].clone()
    };
    let message = of("sent you a message");
    assert!(
        message.header("Subject").unwrap().starts_with("@bob"),
        "{message:?}"
    );
    assert!(
        message.link("/messages/thread?c=").is_some(),
        "{}",
        message.body()
    );
    assert!(message
        .link("/unsubscribe?")
        .is_some_and(|l| l.contains("t=messages")));
    let rsvp = of("joined Rust & coffee");
    assert!(
        rsvp.link(&format!("/events/{ada_event_token}")).is_some(),
        "{}",
        rsvp.body()
    );
    assert!(rsvp
        .link("/unsubscribe?")
        .is_some_and(|l| l.contains("t=rsvp")));
    let task = of("assigned you: Sand the hull");
    assert!(task.link("/projects/boat").is_some(), "{}", task.body());
    assert!(task
        .link("/unsubscribe?")
        .is_some_and(|l| l.contains("t=tasks")));

    // Carol was told on the site, as always, but mailed nothing.
    let told: Value = app
        .get(Some(&carol), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    for kind in ["message", "rsvp", "task_assigned"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    test_support::eventually_exactly(0, "mails to carol", || async {
        smtp.received_by("carol@example.org").len()
    })
    .await;
}
