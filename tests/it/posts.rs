//! Posts, comments and direct messages: validation, visibility under every kind of fetch,
//! mentions, tags, replies, reactions, and how they travel between instances.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{assert_terms_defined, eventually, port_of, rand_id, FakePeer, AS_JSON};
use crate::support::{assert_error, eventually_exactly, TestApp};

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post_json(Some(token), "/api/v1/posts", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    r.json().await.unwrap()
}

/// The path of a local URI on `app`.
fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

async fn fetch_as(app: &TestApp, path: &str) -> reqwest::Response {
    app.api
        .get(app.url(path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
}

async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    json_of(app, Some(token), "/api/v1/notifications").await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn bad_posts_are_refused_and_nothing_is_stored() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    for (body, field) in [
        (json!({"text": "   "}), "text"),
        (json!({"text": "x".repeat(20_001)}), "text"),
        (json!({"text": "hi", "visibility": "secret"}), "visibility"),
        (json!({"text": "hi", "name": "a\nb"}), "name"),
        (
            json!({"text": "hi", "in_reply_to": "http://nowhere.test/posts/1"}),
            "in_reply_to",
        ),
        (json!({"text": "hi", "as": "company:nope"}), "as"),
        (json!({"text": "hi", "as": "space"}), "as"),
        (json!({"text": "hi", "visibility": "direct"}), "to"),
        (
            json!({"text": "hi", "visibility": "direct", "to": ["@nobody"]}),
            "to",
        ),
    ] {
        let r = alpha.post_json(Some(&ada), "/api/v1/posts", &body).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let r = alpha
        .api
        .post(alpha.url("/api/v1/posts"))
        .bearer_auth(&ada)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alpha
        .post_json(None, "/api/v1/posts", &json!({"text": "hi"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let feed = json_of(&alpha, Some(&ada), "/api/v1/timelines/home").await;
    assert_eq!(feed["items"], json!([]));
}

#[tokio::test]
async fn posts_mentions_tags_replies_edits_and_deletion_in_one_space() {
    let (alpha, boss) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;

    let p = post(
        &alpha,
        &ada,
        json!({"text": "Hello @boss, <b>bold</b> & #Rust!\n\nSee https://example.org/x?a=1&b=2"}),
    )
    .await;
    let uri = p["uri"].as_str().unwrap().to_string();
    let content = p["content"].as_str().unwrap();
    assert!(
        content.contains(&format!(
            "href=\"http://{domain}/members/boss\" class=\"u-url mention\""
        )),
        "{content}"
    );
    assert!(
        content.contains(&format!("href=\"http://{domain}/tags/rust\"")),
        "{content}"
    );
    assert!(
        content.contains("&lt;b&gt;bold&lt;/b&gt; &amp;"),
        "{content}"
    );
    assert!(
        content.contains("<a href=\"https://example.org/x?a=1&amp;b=2\""),
        "{content}"
    );
    assert_eq!(p["visibility"], "public");
    assert_eq!(p["kind"], "Note");

    // The document peers fetch.
    let r = fetch_as(&alpha, &path_of(&uri)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert_terms_defined(&doc);
    assert_eq!(doc["type"], "Note");
    assert_eq!(doc["attributedTo"], format!("http://{domain}/members/ada"));
    assert_eq!(
        doc["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(
        doc["cc"][0],
        format!("http://{domain}/members/ada/followers")
    );
    let tags = doc["tag"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["type"] == "Mention"
        && t["href"] == format!("http://{domain}/members/boss")
        && t["name"] == format!("@boss@{domain}")));
    assert!(tags
        .iter()
        .any(|t| t["type"] == "Hashtag" && t["name"] == "#rust"));
    // In the outbox, on the tag page, in the space's feed, on the page.
    let outbox: Value = fetch_as(&alpha, "/members/ada/outbox?page=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["orderedItems"][0]["object"]["id"], uri.as_str());
    assert_eq!(
        json_of(&alpha, None, "/api/v1/tags/rust").await["items"][0]["uri"],
        uri.as_str()
    );
    assert_eq!(
        json_of(&alpha, None, "/api/v1/timelines/space").await["items"][0]["uri"],
        uri.as_str()
    );
    let page = alpha.get(None, &path_of(&uri)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<span>Rust</span>"));

    // Boss was mentioned; he replies; Ada is told.
    let n = notifications(&alpha, &boss).await;
    assert_eq!(n[0]["kind"], "mention");
    assert_eq!(n[0]["object"], uri.as_str());
    let reply = post(
        &alpha,
        &boss,
        json!({"text": "Welcome!", "in_reply_to": uri}),
    )
    .await;
    assert_eq!(reply["in_reply_to"], uri.as_str());
    assert_eq!(reply["conversation"], uri.as_str());
    assert_eq!(
        json_of(
            &alpha,
            None,
            &format!("/api/v1/posts/{}", uri.rsplit('/').next().unwrap())
        )
        .await["replies_count"],
        1
    );
    let replies = json_of(
        &alpha,
        None,
        &format!("/api/v1/replies?uri={}", encode(&uri)),
    )
    .await;
    assert_eq!(replies["items"][0]["uri"], reply["uri"]);
    assert_eq!(notifications(&alpha, &ada).await[0]["kind"], "reply");
    // Comments stay under their post, not in the feed.
    assert_eq!(
        json_of(&alpha, None, "/api/v1/timelines/space").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Only the author edits or deletes.
    let token = uri.rsplit('/').next().unwrap().to_string();
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&boss),
            &format!("/api/v1/posts/{token}"),
            &json!({"text": "mine now"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &format!("/api/v1/posts/{token}"),
            &json!({"text": "Hello again #coworking"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let edited: Value = r.json().await.unwrap();
    assert!(edited["content"].as_str().unwrap().contains("Hello again"));
    assert!(edited["edited_at"].is_i64());
    assert_eq!(
        json_of(&alpha, None, "/api/v1/tags/rust").await["items"],
        json!([])
    );
    assert_eq!(
        json_of(&alpha, None, "/api/v1/tags/coworking").await["items"][0]["uri"],
        uri.as_str()
    );

    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/posts/{token}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        fetch_as(&alpha, &path_of(&uri)).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        alpha
            .get(None, &format!("/api/v1/posts/{token}"))
            .await
            .status(),
        StatusCode::GONE
    );
    // The reply keeps its place; replying to the deleted post is refused.
    let r = alpha
        .post_json(
            Some(&boss),
            "/api/v1/posts",
            &json!({"text": "late", "in_reply_to": uri}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("in_reply_to")).await;
}

#[tokio::test]
async fn members_only_and_followers_only_posts_are_not_served_to_strangers() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let members = post(
        &alpha,
        &ada,
        json!({"text": "members only", "visibility": "members"}),
    )
    .await;
    let followers = post(
        &alpha,
        &ada,
        json!({"text": "followers only", "visibility": "followers"}),
    )
    .await;
    let peer = FakePeer::start().await;
    for p in [&members, &followers] {
        let uri = p["uri"].as_str().unwrap();
        let token = uri.rsplit('/').next().unwrap();
        assert_eq!(
            fetch_as(&alpha, &path_of(uri)).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            alpha.get(None, &path_of(uri)).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            alpha
                .get(None, &format!("/api/v1/posts/{token}"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        // A signed fetch by a stranger sees nothing either; a broken signature is refused.
        assert_eq!(
            peer.get_signed(&alpha, &domain, &path_of(uri), false)
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            peer.get_signed(&alpha, &domain, &path_of(uri), true)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Members see the members-only post in the feed; anonymous readers do not.
    let anon = json_of(&alpha, None, "/api/v1/timelines/space").await;
    assert_eq!(anon["items"], json!([]));
    let signed_in = json_of(&alpha, Some(&ada), "/api/v1/timelines/space").await;
    assert_eq!(signed_in["items"][0]["uri"], members["uri"]);
    // Neither is in the outbox.
    let outbox: Value = fetch_as(&alpha, "/members/ada/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["totalItems"], 0);

    // Once the peer follows Ada, its signed fetch of the followers-only post succeeds.
    let follow = peer.follow(&format!("http://{domain}/members/ada"));
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &follow).await,
        StatusCode::ACCEPTED
    );
    let uri = followers["uri"].as_str().unwrap().to_string();
    let doc: Value = eventually("the follower to be allowed in", || async {
        let r = peer
            .get_signed(&alpha, &domain, &path_of(&uri), false)
            .await;
        if r.status() != StatusCode::OK {
            return None;
        }
        r.json().await.ok()
    })
    .await;
    assert_eq!(
        doc["to"],
        json!([format!("http://{domain}/members/ada/followers")])
    );
    assert_eq!(
        fetch_as(&alpha, &path_of(members["uri"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn posts_replies_edits_and_deletions_travel_between_instances() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let beta_domain = format!("beta.test:{}", port_of(&beta));
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let ada_uri = format!("http://{alpha_domain}/members/ada");
    let r = beta
        .post_json(Some(&bob), "/api/v1/follows", &json!({"target": ada_uri}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually("the follow to be accepted", || async {
        let list = json_of(&beta, Some(&bob), "/api/v1/following").await;
        (list["items"][0]["state"] == "accepted").then_some(())
    })
    .await;

    let public = post(
        &alpha,
        &ada,
        json!({"text": format!("Hi @bob@{beta_domain}, #coworking tomorrow?")}),
    )
    .await;
    let uri = public["uri"].as_str().unwrap().to_string();
    let followers_only = post(
        &alpha,
        &ada,
        json!({"text": "for followers", "visibility": "followers"}),
    )
    .await;
    let home_items = || async {
        let home = json_of(&beta, Some(&bob), "/api/v1/timelines/home").await;
        home["items"].as_array().map_or(0, Vec::len)
    };
    eventually_exactly(2, "posts at beta", home_items).await;
    let home = json_of(&beta, Some(&bob), "/api/v1/timelines/home").await;
    // Deliveries to one server run several at a time, so the two may arrive in either order.
    let item = |u: &Value| {
        home["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| &i["uri"] == u)
            .unwrap_or_else(|| panic!("{u} not in {home}"))
            .clone()
    };
    assert_eq!(item(&followers_only["uri"])["visibility"], "followers");
    let public = item(&json!(uri));
    assert_eq!(
        public["author_info"]["handle"],
        format!("@ada@{alpha_domain}")
    );
    let content = public["content"].as_str().unwrap();
    assert!(content.contains("class=\"u-url mention\""), "{content}");
    let n = notifications(&beta, &bob).await;
    assert!(
        n.iter()
            .any(|n| n["kind"] == "mention" && n["object"] == uri.as_str()),
        "{n:?}"
    );
    // The tag is known on beta too, and the page of a received post opens locally.
    assert_eq!(
        json_of(&beta, None, "/api/v1/tags/coworking").await["items"][0]["uri"],
        uri.as_str()
    );
    assert_eq!(
        beta.get(Some(&bob), &format!("/thread?uri={}", encode(&uri)))
            .await
            .status(),
        StatusCode::OK
    );

    // Bob answers from beta; Ada's post counts it and Ada is told.
    let reply = post(
        &beta,
        &bob,
        json!({"text": "Count me in", "in_reply_to": uri}),
    )
    .await;
    assert_eq!(reply["visibility"], "public");
    let token = uri.rsplit('/').next().unwrap().to_string();
    eventually_exactly(1, "replies counted at alpha", || async {
        let p = json_of(&alpha, None, &format!("/api/v1/posts/{token}")).await;
        p["replies_count"].as_u64().unwrap_or_default() as usize
    })
    .await;
    let replies = json_of(
        &alpha,
        None,
        &format!("/api/v1/replies?uri={}", encode(&uri)),
    )
    .await;
    assert_eq!(replies["items"][0]["uri"], reply["uri"]);
    assert!(notifications(&alpha, &ada)
        .await
        .iter()
        .any(|n| n["kind"] == "reply"));

    // An edit and a deletion reach beta's copy.
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &format!("/api/v1/posts/{token}"),
            &json!({"text": "Moved to Friday"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the edit to reach beta", || async {
        let p = json_of(
            &beta,
            Some(&bob),
            &format!("/api/v1/posts?uri={}", encode(&uri)),
        )
        .await;
        p["content"]
            .as_str()?
            .contains("Moved to Friday")
            .then_some(())
    })
    .await;
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/posts/{token}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the deletion to reach beta", || async {
        let r = beta
            .get(Some(&bob), &format!("/api/v1/posts?uri={}", encode(&uri)))
            .await;
        (r.status() == StatusCode::GONE).then_some(())
    })
    .await;
}

#[tokio::test]
async fn direct_messages_reach_only_their_people() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let beta_domain = format!("beta.test:{}", port_of(&beta));
    let ada = alpha.member("ada").await;
    let eve = alpha.member("eve").await;
    let bob = beta.member("bob").await;
    let peer = FakePeer::start().await;

    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/messages",
            &json!({"to": [format!("@bob@{beta_domain}")], "text": "Lunch at noon?"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let message: Value = r.json().await.unwrap();
    let uri = message["uri"].as_str().unwrap().to_string();
    assert_eq!(message["visibility"], "direct");

    let conversation = eventually("the message to reach bob", || async {
        let list = json_of(&beta, Some(&bob), "/api/v1/conversations").await;
        list["items"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(
        conversation["with"][0]["handle"],
        format!("@ada@{alpha_domain}")
    );
    assert!(notifications(&beta, &bob)
        .await
        .iter()
        .any(|n| n["kind"] == "message"));
    let c = conversation["id"].as_str().unwrap().to_string();
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/messages",
            &json!({"in_reply_to": uri, "text": "Yes!"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually_exactly(2, "messages in Ada's conversation", || async {
        let m = json_of(
            &alpha,
            Some(&ada),
            &format!("/api/v1/conversations/messages?c={}", encode(&c)),
        )
        .await;
        m["items"].as_array().map_or(0, Vec::len)
    })
    .await;

    // Nobody else reads it: not anonymous, not a stranger's signed fetch, not another member,
    // not the outbox or any timeline.
    let path = path_of(&uri);
    assert_eq!(
        fetch_as(&alpha, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(alpha.get(None, &path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        alpha.get(Some(&eve), &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        peer.get_signed(&alpha, &alpha_domain, &path, false)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alpha
            .get(
                Some(&eve),
                &format!("/api/v1/conversations/messages?c={}", encode(&c))
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_of(&alpha, Some(&eve), "/api/v1/conversations").await["items"],
        json!([])
    );
    let outbox: Value = fetch_as(&alpha, "/members/ada/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["totalItems"], 0);
    assert_eq!(
        json_of(&alpha, Some(&ada), "/api/v1/timelines/home").await["items"],
        json!([])
    );
    assert_eq!(
        json_of(&alpha, Some(&eve), "/api/v1/timelines/space").await["items"],
        json!([])
    );

    // A message to the peer reaches its inbox alone, and its signed fetch may read it.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/messages",
            &json!({"to": [peer.actor()], "text": "Hello peer"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let to_peer: Value = r.json().await.unwrap();
    let create = eventually("the message to reach the peer", || async {
        peer.received
            .lock()
            .unwrap()
            .iter()
            .find(|a| a["type"] == "Create")
            .cloned()
    })
    .await;
    assert_eq!(create["to"], json!([peer.actor()]));
    assert_eq!(create["cc"], json!([]));
    assert_eq!(create["object"]["id"], to_peer["uri"]);
    let r = peer
        .get_signed(
            &alpha,
            &alpha_domain,
            &path_of(to_peer["uri"].as_str().unwrap()),
            false,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn remote_posts_are_checked_sanitised_and_reactions_counted() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let note = |content: &str, extra: Value| {
        let id = format!("{}/notes/{}", peer.base, rand_id());
        let mut object = json!({
            "id": id, "type": "Note", "attributedTo": peer.actor(), "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ada_uri],
            "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"}],
            "published": "2026-11-24T10:00:00Z"
        });
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
            "actor": peer.actor(), "object": object
        })
    };
    let hostile = note("<p onclick=\"x()\">hi <script>alert(1)</script><a href=\"javascript:alert(1)\">x</a><img src=x onerror=y></p>", json!({"name": "<b>Title</b>"}));
    let hostile_id = hostile["object"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &hostile).await,
        StatusCode::ACCEPTED
    );
    let stored = eventually("the mention to arrive", || async {
        let r = alpha
            .get(
                Some(&ada),
                &format!("/api/v1/posts?uri={}", encode(&hostile_id)),
            )
            .await;
        if r.status() != StatusCode::OK {
            return None;
        }
        r.json::<Value>().await.ok()
    })
    .await;
    let content = stored["content"].as_str().unwrap();
    for bad in ["<script", "onclick", "javascript:", "onerror"] {
        assert!(!content.contains(bad), "{content}");
    }
    assert_eq!(stored["name"], "Title");
    assert_eq!(notifications(&alpha, &ada).await[0]["kind"], "mention");

    // Dropped: megabyte content, someone else's note, a stranger's post nobody follows, and a
    // reply to nothing we have.
    let huge = note(&"x".repeat(200_000), json!({}));
    let forged = note("forged", json!({"attributedTo": ada_uri}));
    let unwanted = note("nobody asked", json!({"cc": [], "tag": []}));
    let orphan = note(
        "to nothing",
        json!({"cc": [], "tag": [], "inReplyTo": format!("http://{domain}/posts/nothing")}),
    );
    for a in [&huge, &forged, &unwanted, &orphan] {
        assert_eq!(
            peer.deliver(&alpha, &domain, "/inbox", a).await,
            StatusCode::ACCEPTED
        );
    }
    // A marker after them: once it is stored, the others have been processed.
    let marker = note("marker", json!({}));
    let marker_id = marker["object"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &marker).await,
        StatusCode::ACCEPTED
    );
    eventually("the marker", || async {
        (alpha
            .get(
                Some(&ada),
                &format!("/api/v1/posts?uri={}", encode(&marker_id)),
            )
            .await
            .status()
            == StatusCode::OK)
            .then_some(())
    })
    .await;
    for a in [&huge, &forged, &unwanted, &orphan] {
        let id = a["object"]["id"].as_str().unwrap();
        assert_eq!(
            alpha
                .get(Some(&ada), &format!("/api/v1/posts?uri={}", encode(id)))
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }

    // Likes and shares of Ada's post are counted once and can be undone.
    let mine = post(&alpha, &ada, json!({"text": "like me"})).await;
    let mine_uri = mine["uri"].as_str().unwrap().to_string();
    let token = mine_uri.rsplit('/').next().unwrap().to_string();
    let like = json!({"id": format!("{}/likes/{}", peer.base, rand_id()), "type": "Like", "actor": peer.actor(), "object": mine_uri});
    let share = json!({"id": format!("{}/shares/{}", peer.base, rand_id()), "type": "Announce", "actor": peer.actor(), "object": mine_uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &like).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &share).await,
        StatusCode::ACCEPTED
    );
    let mut again = like.clone();
    again["id"] = json!(format!("{}/likes/{}", peer.base, rand_id()));
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &again).await,
        StatusCode::ACCEPTED
    );
    // The repeated like (another id) is not counted twice.
    let reactions = || async {
        let p = json_of(&alpha, None, &format!("/api/v1/posts/{token}")).await;
        [&p["likes_count"], &p["announces_count"]].map(|n| n.as_u64().unwrap_or_default())
    };
    eventually_exactly(2, "reactions counted", || async {
        reactions().await.iter().sum::<u64>() as usize
    })
    .await;
    assert_eq!(reactions().await, [1, 1]);
    let undo = json!({"id": format!("{}/undo/{}", peer.base, rand_id()), "type": "Undo", "actor": peer.actor(), "object": like});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &undo).await,
        StatusCode::ACCEPTED
    );
    eventually("the like to be undone", || async {
        let p = json_of(&alpha, None, &format!("/api/v1/posts/{token}")).await;
        (p["likes_count"] == 0 && p["announces_count"] == 1).then_some(())
    })
    .await;

    // The peer deletes its note.
    let delete = json!({"id": format!("{}/delete/{}", peer.base, rand_id()), "type": "Delete", "actor": peer.actor(),
        "object": {"id": hostile_id, "type": "Tombstone"}});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &delete).await,
        StatusCode::ACCEPTED
    );
    eventually("the deletion", || async {
        (alpha
            .get(
                Some(&ada),
                &format!("/api/v1/posts?uri={}", encode(&hostile_id)),
            )
            .await
            .status()
            == StatusCode::GONE)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_pages_of_posts_and_messages_render() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    alpha.member("bob").await;
    let p = post(
        &alpha,
        &ada,
        json!({"text": "A page post #pages", "name": "An article"}),
    )
    .await;
    assert_eq!(p["kind"], "Article");
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/messages",
            &json!({"to": ["@bob"], "text": "psst"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let conversation = r.json::<Value>().await.unwrap()["conversation"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        "/home".to_string(),
        "/feed".to_string(),
        "/tags/pages".to_string(),
        "/messages".to_string(),
        format!("/messages/thread?c={}", encode(&conversation)),
        format!(
            "/posts/{}",
            p["uri"].as_str().unwrap().rsplit('/').next().unwrap()
        ),
        format!(
            "/posts/{}/edit",
            p["uri"].as_str().unwrap().rsplit('/').next().unwrap()
        ),
        "/notifications".to_string(),
    ] {
        let r = alpha.get(Some(&ada), &path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("</html>"), "{path}");
    }
    let r = alpha.get(Some(&ada), "/home").await;
    assert!(r.text().await.unwrap().contains("An article"));
}
