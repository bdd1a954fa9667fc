//! Likes, boosts and replies by members, on local and remote posts; profiles with Follow,
//! Message and recent posts; the actor timeline; the outbox backfill of a followed actor.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{eventually, port_of};
use crate::support::{assert_error, csrf_from, eventually_exactly, TestApp, PASSWORD};

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post_json(Some(token), "/api/v1/posts", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    r.json().await.unwrap()
}

async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn uris(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uri"].as_str().unwrap().to_string())
        .collect()
}

async fn react(app: &TestApp, token: &str, path: &str, uri: &str) -> reqwest::Response {
    app.post_json(Some(token), path, &json!({ "uri": uri }))
        .await
}

async fn unreact(app: &TestApp, token: &str, path: &str, uri: &str) -> reqwest::Response {
    app.send_json(
        reqwest::Method::DELETE,
        Some(token),
        &format!("{path}?uri={}", encode(uri)),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn likes_and_boosts_of_local_posts_count_once_and_reach_followers_timelines() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cy = app.member("cy").await;
    let bob_uri = format!("http://alpha.test:{}/members/bob", port_of(&app));
    let mine = post(&app, &ada, json!({"text": "Coffee at ten"})).await;
    let uri = mine["uri"].as_str().unwrap().to_string();

    // Twenty likes at once by one member count once.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, bob, uri) = (
            app.api.clone(),
            app.url("/api/v1/likes"),
            bob.clone(),
            uri.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(bob)
                .json(&json!({ "uri": uri }));
            r.send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let seen = json_of(
        &app,
        Some(&bob),
        &format!("/api/v1/posts?uri={}", encode(&uri)),
    )
    .await;
    assert_eq!(seen["likes_count"], 1);
    assert_eq!(seen["liked"], true);
    assert_eq!(seen["boosted"], false);
    // Ada is told once.
    let n = json_of(&app, Some(&ada), "/api/v1/notifications").await;
    let likes = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "like")
        .count();
    assert_eq!(likes, 1, "{n}");
    // Unliking twice takes it back once.
    for _ in 0..2 {
        let r = unreact(&app, &bob, "/api/v1/likes", &uri).await;
        assert_eq!(r.status(), StatusCode::OK);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["likes_count"], 0);
        assert_eq!(p["liked"], false);
    }

    // Cy follows Bob; Bob boosts Ada's post: it is in Cy's home, marked as Bob's boost, and on
    // Bob's actor timeline.
    let r = app
        .post_json(Some(&cy), "/api/v1/follows", &json!({ "target": bob_uri }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let home = json_of(&app, Some(&cy), "/api/v1/timelines/home").await;
    assert!(!uris(&home).contains(&uri), "{home}");
    let r = react(&app, &bob, "/api/v1/boosts", &uri).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["announces_count"], 1);
    let home = json_of(&app, Some(&cy), "/api/v1/timelines/home").await;
    assert_eq!(uris(&home), vec![uri.clone()]);
    assert_eq!(home["items"][0]["boosted_by"]["uri"], bob_uri.as_str());
    let timeline = json_of(
        &app,
        None,
        &format!("/api/v1/timelines/actor?uri={}", encode(&bob_uri)),
    )
    .await;
    assert_eq!(uris(&timeline), vec![uri.clone()]);
    // The boost taken back leaves Cy's home.
    let r = unreact(&app, &bob, "/api/v1/boosts", &uri).await;
    assert_eq!(r.json::<Value>().await.unwrap()["announces_count"], 0);
    let home = json_of(&app, Some(&cy), "/api/v1/timelines/home").await;
    assert!(uris(&home).is_empty(), "{home}");

    // Only public posts are boosted; unknown and unreadable posts are 404.
    let private = post(
        &app,
        &ada,
        json!({"text": "followers only", "visibility": "followers"}),
    )
    .await;
    let private_uri = private["uri"].as_str().unwrap();
    assert_error(
        react(&app, &ada, "/api/v1/boosts", private_uri).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("uri"),
    )
    .await;
    assert_error(
        react(&app, &bob, "/api/v1/likes", private_uri).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_error(
        react(
            &app,
            &bob,
            "/api/v1/likes",
            "https://nowhere.example/notes/1",
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_eq!(
        app.post_json(None, "/api/v1/likes", &json!({ "uri": uri }))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_actor_timeline_shows_followers_only_posts_to_followers_alone() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cy = app.member("cy").await;
    let public = post(&app, &ada, json!({"text": "for everyone"})).await;
    let followers = post(
        &app,
        &ada,
        json!({"text": "for followers", "visibility": "followers"}),
    )
    .await;
    let members = post(
        &app,
        &ada,
        json!({"text": "for members", "visibility": "members"}),
    )
    .await;
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({ "target": format!("http://alpha.test:{}/members/ada", port_of(&app)) }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ada_uri = public["author"].as_str().unwrap().to_string();
    let path = format!("/api/v1/timelines/actor?uri={}", encode(&ada_uri));
    let u = |v: &Value| v["uri"].as_str().unwrap().to_string();
    assert_eq!(uris(&json_of(&app, None, &path).await), vec![u(&public)]);
    assert_eq!(
        uris(&json_of(&app, Some(&cy), &path).await),
        vec![u(&members), u(&public)]
    );
    assert_eq!(
        uris(&json_of(&app, Some(&bob), &path).await),
        vec![u(&members), u(&followers), u(&public)]
    );
    // Paging: one at a time, older before the id given.
    let first = json_of(&app, Some(&bob), &format!("{path}&limit=1")).await;
    assert_eq!(uris(&first), vec![u(&members)]);
    let id = first["items"][0]["id"].as_i64().unwrap();
    let next = json_of(&app, Some(&bob), &format!("{path}&limit=1&before={id}")).await;
    assert_eq!(uris(&next), vec![u(&followers)]);
    assert_error(
        app.get(None, "/api/v1/timelines/actor").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("uri"),
    )
    .await;
}

#[tokio::test]
async fn likes_boosts_and_replies_travel_to_a_remote_author_and_backfill_fills_a_new_follow() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    // Ada posted before Bob follows her: the follow's backfill brings her public posts (not the
    // followers-only one, which predates the follow and is not in her outbox).
    let mut earlier = Vec::new();
    for i in 0..3 {
        let p = post(&alpha, &ada, json!({"text": format!("Earlier post {i}")})).await;
        earlier.push(p["uri"].as_str().unwrap().to_string());
    }
    post(
        &alpha,
        &ada,
        json!({"text": "followers only", "visibility": "followers"}),
    )
    .await;
    let ada_uri = format!("http://{alpha_domain}/members/ada");
    let r = beta
        .post_json(Some(&bob), "/api/v1/follows", &json!({"target": ada_uri}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let actor_path = format!("/api/v1/timelines/actor?uri={}", encode(&ada_uri));
    eventually_exactly(3, "the backfill at beta", || async {
        let t = json_of(&beta, Some(&bob), &actor_path).await;
        t["items"].as_array().map_or(0, Vec::len)
    })
    .await;
    let timeline = json_of(&beta, Some(&bob), &actor_path).await;
    let mut got = uris(&timeline);
    got.sort();
    let mut want = earlier.clone();
    want.sort();
    assert_eq!(got, want);
    let home = json_of(&beta, Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(home["items"].as_array().unwrap().len(), 3);

    // Bob likes and boosts one from beta: counted at alpha; Ada is told.
    let target = earlier[0].clone();
    let token = target.rsplit('/').next().unwrap().to_string();
    for path in ["/api/v1/likes", "/api/v1/boosts"] {
        let r = react(&beta, &bob, path, &target).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let counts = || async {
        let p = json_of(&alpha, None, &format!("/api/v1/posts/{token}")).await;
        [&p["likes_count"], &p["announces_count"]].map(|n| n.as_u64().unwrap_or_default())
    };
    eventually("the like and boost at alpha", || async {
        (counts().await == [1, 1]).then_some(())
    })
    .await;
    let n = json_of(&alpha, Some(&ada), "/api/v1/notifications").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "like"),
        "{n}"
    );
    // A reply in place from beta reaches Ada's thread.
    let reply = post(
        &beta,
        &bob,
        json!({"text": "Nice one", "in_reply_to": target}),
    )
    .await;
    eventually("the reply at alpha", || async {
        let r = json_of(
            &alpha,
            None,
            &format!("/api/v1/replies?uri={}", encode(&target)),
        )
        .await;
        (r["items"][0]["uri"] == reply["uri"]).then_some(())
    })
    .await;
    // Unlike and unboost: the Undo reaches alpha.
    for path in ["/api/v1/likes", "/api/v1/boosts"] {
        let r = unreact(&beta, &bob, path, &target).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    eventually("the undo at alpha", || async {
        (counts().await == [0, 0]).then_some(())
    })
    .await;
}

#[tokio::test]
async fn profiles_offer_follow_message_and_posts_and_the_buttons_work_in_place() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    app.member("bob").await;
    let p = post(&app, &ada, json!({"text": "Hello from Ada"})).await;
    let uri = p["uri"].as_str().unwrap().to_string();
    let bob = app.signed_in("bob", PASSWORD).await;

    // Ada's profile, seen by Bob: Follow, Message, her post with its buttons.
    let html = bob
        .get(app.url("/members/ada"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for part in [
        "id=\"follow-form\"",
        "id=\"message-link\"",
        "Hello from Ada",
        "name=\"kind\" value=\"like\"",
        "name=\"kind\" value=\"boost\"",
        "class=\"reply-link\"",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let csrf = csrf_from(&html);
    // Follow from the profile comes back to it with a notice.
    let r = bob
        .post(app.url("/network/follow"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("target", p["author"].as_str().unwrap()),
            ("next", "/members/ada"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/members/ada");
    // Like in place: back to the same page, which says so and shows the count.
    let r = bob
        .post(app.url("/posts/react"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("uri", uri.as_str()),
            ("kind", "like"),
            ("set", "on"),
            ("next", "/members/ada"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/members/ada");
    let html = bob
        .get(app.url("/members/ada"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Liked."), "the notice");
    assert!(html.contains("Liked · 1"), "the button shows the like");
    assert!(
        html.contains("id=\"unfollow\""),
        "Unfollow behind a confirmation"
    );
    // Without the CSRF token the form is refused.
    let r = bob
        .post(app.url("/posts/react"))
        .form(&[("uri", uri.as_str()), ("kind", "like"), ("set", "off")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The message link prefills the recipient.
    let html = bob
        .get(app.url(&format!("/messages?to={}", encode("@ada@x"))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"@ada@x\""), "prefilled");

    // Ada's own profile has the composer instead of Follow.
    let ada_browser = app.signed_in("ada", PASSWORD).await;
    let html = ada_browser
        .get(app.url("/members/ada"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"compose-form\""));
    assert!(!html.contains("id=\"follow-form\""));
    // A remote actor's page that is not known here is 404.
    assert_eq!(
        bob.get(app.url("/actors?uri=https%3A%2F%2Fnowhere.example%2Fu"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// A post of a server nobody here follows, met by its link only, is fetched when a member likes
/// or boosts it; the reactions reach its author. What cannot be had is a 404.
#[tokio::test]
async fn a_post_met_by_its_link_only_is_fetched_when_a_member_likes_it() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let mine = post(&alpha, &ada, json!({"text": "Who wants the corner desk?"})).await;
    let uri = mine["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();

    for path in ["/api/v1/likes", "/api/v1/boosts"] {
        let r = react(&beta, &bob, path, &uri).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    eventually("the like and boost at alpha", || async {
        let p = json_of(&alpha, None, &format!("/api/v1/posts/{token}")).await;
        (p["likes_count"] == 1 && p["announces_count"] == 1).then_some(())
    })
    .await;
    // Beta now holds it, with Bob's like counted there too.
    let thread = json_of(
        &beta,
        Some(&bob),
        &format!("/api/v1/replies?uri={}", encode(&uri)),
    )
    .await;
    assert!(thread["items"].is_array(), "{thread}");

    for bad in [
        format!("http://{alpha_domain}/posts/no-such-post"),
        "javascript:alert(1)".to_string(),
        "http://nowhere.invalid/posts/1".to_string(),
    ] {
        let r = react(&beta, &bob, "/api/v1/likes", &bad).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}
