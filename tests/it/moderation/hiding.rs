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
