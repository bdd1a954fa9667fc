//! What a member's blocks and mutes and a moderator's suspension of a member hide inside the
//! space: replies in threads (page and API), the suspended member's posts and events at their
//! addresses (pages and documents), and the member lists and directory.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{encode, ok_json, space};
use crate::support::{ahead, TestApp};

const AS_JSON: &str = "application/activity+json";

async fn reply(app: &TestApp, token: &str, to: &str, text: &str) {
    let r = app
        .post_json(
            Some(token),
            "/api/v1/posts",
            &json!({"text": text, "in_reply_to": to}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}

/// The texts of the replies to `uri` as `token` (or an anonymous reader) gets them.
async fn replies(app: &TestApp, token: Option<&str>, uri: &str) -> String {
    let r = app
        .get(token, &format!("/api/v1/replies?uri={}", encode(uri)))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

#[tokio::test]
async fn blocked_and_muted_actors_replies_leave_the_members_threads() {
    let (app, _admin, ada, bob, cy) = space().await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "Lunch plans?"}),
        )
        .await;
    let uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    reply(&app, &bob, &uri, "Pizza from bob").await;
    reply(&app, &cy, &uri, "Sushi from cy").await;
    let both = replies(&app, Some(&ada), &uri).await;
    assert!(both.contains("Pizza from bob") && both.contains("Sushi from cy"));

    let r = app
        .post_json(Some(&ada), "/api/v1/blocks", &json!({"target": "@cy"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(Some(&ada), "/api/v1/mutes", &json!({"target": "@bob"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Ada sees neither reply, in the API or on the post's page.
    let mine = replies(&app, Some(&ada), &uri).await;
    assert!(!mine.contains("Pizza") && !mine.contains("Sushi"), "{mine}");
    let browser = app.signed_in("ada", crate::support::PASSWORD).await;
    let page = browser
        .get(app.url(&path_of(&uri)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Lunch plans?"));
    assert!(!page.contains("Pizza") && !page.contains("Sushi"));
    // Her rules are hers: others and anonymous readers still see both.
    for token in [Some(bob.as_str()), None] {
        let theirs = replies(&app, token, &uri).await;
        assert!(
            theirs.contains("Pizza") && theirs.contains("Sushi"),
            "{theirs}"
        );
    }
}

#[tokio::test]
async fn a_suspended_members_posts_events_and_listing_are_hidden_until_lifted() {
    let (app, admin, ada, bob, _cy) = space().await;
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&bob),
            "/api/v1/me",
            &json!({"display_name": "Bob Watchseller", "discoverable": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/posts",
            &json!({"text": "Cheap watches"}),
        )
        .await;
    let post_uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/events",
            &json!({"title": "Watch fair", "description": "Watches.",
                "starts_at": ahead("06-01T18:00"), "ends_at": ahead("06-01T19:00"),
                "timezone": "Europe/Lisbon", "place_name": "Harbour Works",
                "street_address": "Rua do Cais 1", "postal_code": "1200-001",
                "locality": "Lisbon", "country": "Portugal", "category": "SCIENCE_TECH"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let event_uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(Some(&ada), "/api/v1/posts", &json!({"text": "Anyone?"}))
        .await;
    let ada_post = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    reply(&app, &bob, &ada_post, "Buy a watch").await;
    let listed = || async {
        let dir = ok_json(&app, &ada, "/api/v1/directory?q=watchseller").await;
        let members = ok_json(&app, &ada, "/api/v1/members").await.to_string();
        let public = app.get(None, "/api/v1/members").await.text().await.unwrap();
        (
            dir["total"].as_i64().unwrap(),
            members.contains("\"bob\""),
            public.contains("\"bob\""),
        )
    };
    assert_eq!(listed().await, (1, true, true));

    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@bob", "category": "spam", "comment": "Watches"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let act = |action: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let r = app
                .post_json(
                    Some(&admin),
                    &format!("/api/v1/admin/reports/{id}/actions"),
                    &json!({"action": action, "reason": "spam"}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
        }
    };
    act("suspend").await;

    // Its post and event: 404 to members, anonymous readers and servers; moderators see them.
    let as2 = |path: String| {
        let app = &app;
        async move {
            app.api
                .get(app.url(&path))
                .header("accept", AS_JSON)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for uri in [&post_uri, &event_uri] {
        let path = path_of(uri);
        assert_eq!(
            app.get(None, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            app.get(Some(&ada), &path).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(as2(path.clone()).await, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(app.get(Some(&admin), &path).await.status(), StatusCode::OK);
    }
    let by_uri = format!("/api/v1/posts?uri={}", encode(&post_uri));
    assert_eq!(
        app.get(Some(&ada), &by_uri).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(Some(&admin), &by_uri).await.status(),
        StatusCode::OK
    );
    let event_api = format!("/api/v1/events{}", &path_of(&event_uri)["/events".len()..]);
    assert_eq!(
        app.get(Some(&ada), &event_api).await.status(),
        StatusCode::NOT_FOUND
    );
    // Its reply leaves ada's thread; it leaves the directory and the member lists.
    assert!(!replies(&app, Some(&ada), &ada_post)
        .await
        .contains("Buy a watch"));
    assert_eq!(listed().await, (0, false, false));

    act("unsuspend").await;
    for uri in [&post_uri, &event_uri] {
        assert_eq!(app.get(None, &path_of(uri)).await.status(), StatusCode::OK);
    }
    assert!(replies(&app, Some(&ada), &ada_post)
        .await
        .contains("Buy a watch"));
    assert_eq!(listed().await, (1, true, true));
}

/// What a page or document at `path` says, as `token` (or an anonymous reader) gets it.
async fn text_of(app: &TestApp, token: Option<&str>, path: &str) -> String {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// As [`text_of`], asking for ActivityStreams.
async fn document_of(app: &TestApp, path: &str) -> String {
    let r = app
        .api
        .get(app.url(path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_suspended_members_events_project_items_and_notifications_leave_every_list() {
    let (app, admin, ada, bob, _cy) = space().await;
    // Bob follows ada (a notification of hers), organises an event, and writes on ada's board.
    let r = app
        .post_json(Some(&bob), "/api/v1/follows", &json!({"target": "@ada"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/events",
            &json!({"title": "Watch fair", "description": "Watches.",
                "starts_at": ahead("06-01T18:00"), "ends_at": ahead("06-01T19:00"),
                "timezone": "Europe/Lisbon", "place_name": "Harbour Works",
                "street_address": "Rua do Cais 1", "postal_code": "1200-001",
                "locality": "Lisbon", "country": "Portugal", "category": "SCIENCE_TECH"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let r = app
        .post_json(Some(&bob), "/api/v1/projects/boat/join", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let mut uris = Vec::new();
    for (who, path, body) in [
        (
            &bob,
            "tasks",
            json!({"title": "Sell watches", "due_on": "2031-05-01", "assignees": ["@ada"]}),
        ),
        (
            &bob,
            "notes",
            json!({"title": "Watch catalogue", "body": "All of them."}),
        ),
        (
            &ada,
            "tasks",
            json!({"title": "Fix the hull", "due_on": "2031-05-02"}),
        ),
    ] {
        let r = app
            .post_json(Some(who), &format!("/api/v1/projects/boat/{path}"), &body)
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        uris.push(
            r.json::<Value>().await.unwrap()["uri"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Bob's actor URI, as ada's notification of his follow names it.
    let bob_uri = ok_json(&app, &ada, "/api/v1/notifications").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["actor"].as_str())
        .find(|a| a.ends_with("/members/bob"))
        .expect("ada is told of bob's follow")
        .to_string();
    let (task_path, note_path) = (path_of(&uris[0]), path_of(&uris[1]));
    let note_api = format!("/api/v1{note_path}");
    let ada_unread = || async {
        let n = ok_json(&app, &ada, "/api/v1/notifications").await;
        let from_bob = n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["actor"] == bob_uri.as_str())
            .count() as i64;
        (n["unread"].as_i64().unwrap(), from_bob)
    };
    // His follow, his joining her project, the task he gave her; all unread.
    let (unread_before, from_bob) = ada_unread().await;
    assert!(
        from_bob >= 3 && unread_before >= from_bob,
        "{from_bob} {unread_before}"
    );

    // Every list of events and project items, and where each one is, as ada, an anonymous
    // reader and a moderator get it: (what it says, whether bob's things should show).
    let lists = || async {
        let app = &app;
        let mut seen = Vec::new();
        for token in [Some(ada.as_str()), None, Some(admin.as_str())] {
            for path in [
                "/api/v1/events",
                "/events",
                "/",
                "/calendar.ics",
                "/members/bob/calendar.ics",
                "/projects/boat",
                "/api/v1/projects/boat",
                "/projects/boat/calendar.ics",
            ] {
                seen.push((path.to_string(), text_of(app, token, path).await));
            }
        }
        seen.push((
            "/members/bob/upcoming-events".into(),
            document_of(app, "/members/bob/upcoming-events").await,
        ));
        seen.push((
            "/api/v1/events?organizer=bob".into(),
            text_of(
                app,
                Some(&ada),
                &format!("/api/v1/events?organizer={}", encode(&bob_uri)),
            )
            .await,
        ));
        seen.push((
            "ada's deadlines".into(),
            text_of(app, Some(&ada), "/api/v1/me/deadlines").await,
        ));
        seen
    };
    for (path, text) in lists().await {
        if path.contains("projects/boat") {
            assert!(text.contains("Fix the hull"), "{path}");
        }
        let bobs = ["Watch fair", "Sell watches", "Watch catalogue"];
        assert!(bobs.iter().any(|b| text.contains(b)), "{path}: {text}");
    }
    for path in [&task_path, &note_api] {
        assert_eq!(app.get(Some(&ada), path).await.status(), StatusCode::OK);
    }

    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/reports",
            &json!({"target": "@bob", "category": "spam", "comment": "Watches"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let act = |action: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let r = app
                .post_json(
                    Some(&admin),
                    &format!("/api/v1/admin/reports/{id}/actions"),
                    &json!({"action": action, "reason": "spam"}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
        }
    };
    act("suspend").await;

    // Out of every list, for everyone, moderators too; the rest of the board stays.
    for (path, text) in lists().await {
        if path.contains("projects/boat") {
            assert!(text.contains("Fix the hull"), "{path}");
        }
        for bobs in ["Watch fair", "Sell watches", "Watch catalogue"] {
            assert!(!text.contains(bobs), "{path} still shows {bobs}: {text}");
        }
    }
    // At their addresses: 404 to members and anonymous readers, there for the moderators.
    for path in [&task_path, &note_api] {
        assert_eq!(
            app.get(Some(&ada), path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(app.get(None, path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.get(Some(&admin), path).await.status(), StatusCode::OK);
    }
    // Ada's notifications of what bob did leave her list and her unread count.
    assert_eq!(ada_unread().await, (unread_before - from_bob, 0));

    // Lifting the suspension brings all of it back.
    act("unsuspend").await;
    for (path, text) in lists().await {
        let bobs = ["Watch fair", "Sell watches", "Watch catalogue"];
        assert!(bobs.iter().any(|b| text.contains(b)), "{path}: {text}");
    }
    assert_eq!(
        app.get(Some(&ada), &task_path).await.status(),
        StatusCode::OK
    );
    assert_eq!(ada_unread().await, (unread_before, from_bob));
}
