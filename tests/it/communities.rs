//! Communities on other servers (FEP-1b12 groups, Lemmy communities) and emoji reactions.
//! A member follows a remote `Group`; what it relays by `Announce` (its members' `Create`,
//! `Update` and `Delete` of `Page`s and `Note`s, embedded or by id) lands in the member's home
//! and on the group's page here, always as its origin has it; a group is trusted to relay,
//! never for what a post says or who wrote it. `EmojiReact` and Misskey's `Like` with
//! `_misskey_reaction` are kept with their emoji, counted by emoji and undone.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{eventually, FakePeer};
use crate::hostile_authority::{activity_id, encode, follow_accepted, json_of, send};
use crate::support::{TestApp, PASSWORD};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn uris(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uri"].as_str().unwrap().to_string())
        .collect()
}

/// A Lemmy post (`Page`) or comment (`Note`) by `author` in `group`.
pub(crate) fn lemmy_object(kind: &str, id: &str, author: &str, group: &str, text: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id, "type": kind, "attributedTo": author,
        "to": [group, PUBLIC], "cc": [], "audience": group,
        "name": format!("Title: {text}"), "content": format!("<p>{text}</p>"),
        "mediaType": "text/html"
    })
}

/// The group's `Announce` of `actor`'s activity `kind` of `object` (a document or an id).
pub(crate) fn announce(
    peer: &FakePeer,
    group: &str,
    kind: &str,
    actor: &str,
    object: Value,
) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id(peer), "type": "Announce", "actor": group,
        "to": [PUBLIC], "cc": [format!("{group}/followers")],
        "object": {
            "id": activity_id(peer), "type": kind, "actor": actor,
            "to": [group, PUBLIC], "audience": group, "object": object
        }
    })
}

async fn post_of(app: &TestApp, token: Option<&str>, uri: &str) -> reqwest::Response {
    app.get(token, &format!("/api/v1/posts?uri={}", encode(uri)))
        .await
}

async fn home(app: &TestApp, token: &str) -> Value {
    json_of(app, Some(token), "/api/v1/timelines/home").await
}

async fn group_page(app: &TestApp, group: &str) -> Vec<String> {
    uris(
        &json_of(
            app,
            None,
            &format!("/api/v1/timelines/actor?uri={}", encode(group)),
        )
        .await,
    )
}

#[tokio::test]
async fn a_followed_community_relays_posts_comments_edits_and_deletions() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let peer = FakePeer::start_with_typed_actors(&[
        ("community", "Group"),
        ("author", "Person"),
        ("critic", "Person"),
    ])
    .await;
    let group = peer.actor_named("community");
    let author = peer.actor_named("author");
    let critic = peer.actor_named("critic");
    follow_accepted(&app, &ada, &peer, "community").await;
    // Ada hears that the community took her in, with a link to its page here (which also leads
    // to a board, should the group be a project of another space).
    let accepted = eventually("the notification of the accept", || async {
        json_of(&app, Some(&ada), "/api/v1/notifications").await["items"]
            .as_array()?
            .iter()
            .find(|i| i["kind"] == "project_join")
            .cloned()
    })
    .await;
    let name = accepted["summary"].as_str().unwrap_or_default();
    assert!(
        name.starts_with("accepted your request to join "),
        "{accepted}"
    );
    let page = format!("/actors?uri={}", encode(&group));
    assert_eq!(accepted["link"], page.as_str(), "{accepted}");
    let html = app
        .signed_in("ada", PASSWORD)
        .await
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/projects/remote?uri={}", encode(&group))),
        "a group's page links its board"
    );

    // A post, embedded in the author's Create (the group's own server is its origin).
    let post = format!("{}/objects/post-1", peer.base);
    let page = lemmy_object("Page", &post, &author, &group, "Harbour clean-up");
    peer.serve_object("/objects/post-1", Some(page.clone()));
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &author, page),
    )
    .await;
    let item = eventually("the post in Ada's home", || async {
        home(&app, &ada).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["uri"] == post.as_str())
            .cloned()
    })
    .await;
    assert_eq!(item["name"], "Title: Harbour clean-up");
    assert_eq!(item["author"], author.as_str());
    assert_eq!(item["boosted_by"]["uri"], group.as_str(), "{item}");
    assert_eq!(group_page(&app, &group).await, vec![post.clone()]);
    // Bob follows nothing: not in his home.
    assert!(uris(&home(&app, &bob).await).is_empty());

    // A comment, its Create naming it by id: fetched from its origin; it answers the post.
    let comment = format!("{}/objects/comment-1", peer.base);
    let mut note = lemmy_object("Note", &comment, &critic, &group, "Count me in");
    note["inReplyTo"] = json!(post);
    peer.serve_object("/objects/comment-1", Some(note));
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &critic, json!(comment)),
    )
    .await;
    eventually("the comment under the post", || async {
        let r = json_of(
            &app,
            None,
            &format!("/api/v1/replies?uri={}", encode(&post)),
        )
        .await;
        (r["items"][0]["uri"] == comment.as_str()).then_some(())
    })
    .await;

    // The author's edit, relayed.
    let mut edited = lemmy_object("Page", &post, &author, &group, "Harbour clean-up, at nine");
    edited["updated"] = json!("2026-01-02T10:00:00Z");
    peer.serve_object("/objects/post-1", Some(edited.clone()));
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Update", &author, edited),
    )
    .await;
    eventually("the edit", || async {
        let p: Value = post_of(&app, Some(&ada), &post).await.json().await.ok()?;
        p["content"].as_str()?.contains("at nine").then_some(())
    })
    .await;

    // A Delete relayed while the origin still serves the post: a removal from the community
    // only; the post stays, and leaves the community's page and Ada's home.
    // (Lemmy names the post by id; others embed a Tombstone.)
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Delete", &author, json!(post)),
    )
    .await;
    eventually("the post off the community's page", || async {
        (!group_page(&app, &group).await.contains(&post)).then_some(())
    })
    .await;
    assert_eq!(
        post_of(&app, Some(&ada), &post).await.status(),
        StatusCode::OK
    );
    assert!(!uris(&home(&app, &ada).await).contains(&post));
    // Gone at the origin: deleted here too.
    peer.serve_object("/objects/post-1", None);
    let delete = json!({"id": post, "type": "Tombstone"});
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Delete", &author, delete),
    )
    .await;
    eventually("the post deleted", || async {
        (post_of(&app, Some(&ada), &post).await.status() == StatusCode::GONE).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_community_is_trusted_to_relay_never_for_content_or_authorship() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let peer = FakePeer::start_with_typed_actors(&[
        ("community", "Group"),
        ("author", "Person"),
        ("stranger", "Group"),
    ])
    .await;
    // Another server, with a person whose posts the community relays.
    let other = FakePeer::start_with_actors(&["victim"]).await;
    let group = peer.actor_named("community");
    let author = peer.actor_named("author");
    let victim = other.actor_named("victim");
    follow_accepted(&app, &ada, &peer, "community").await;

    // 1. Someone else's post with forged content embedded: the origin's copy is kept.
    let genuine = format!("{}/objects/v1", other.base);
    other.serve_object(
        "/objects/v1",
        Some(lemmy_object(
            "Page",
            &genuine,
            &victim,
            &group,
            "what I wrote",
        )),
    );
    let forged = lemmy_object("Page", &genuine, &victim, &group, "words put in my mouth");
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &victim, forged),
    )
    .await;
    // 2. A post of that server attributed to its author, in a Create by the community's own
    //    author: the activity's actor does not own it.
    let claimed = format!("{}/objects/v2", other.base);
    other.serve_object(
        "/objects/v2",
        Some(lemmy_object("Page", &claimed, &victim, &group, "mine")),
    );
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &author, json!(claimed)),
    )
    .await;
    // 3. A post on the community's server attributed to the person of the other server.
    let misplaced = format!("{}/objects/m1", peer.base);
    let page = lemmy_object("Page", &misplaced, &victim, &group, "not from here");
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &victim, page),
    )
    .await;
    // 4. A post its origin does not serve.
    let missing = format!("{}/objects/none", other.base);
    let page = lemmy_object("Page", &missing, &victim, &group, "made up");
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &victim, page),
    )
    .await;
    // 5. A group nobody here follows.
    let stranger = peer.actor_named("stranger");
    let unfollowed = format!("{}/objects/s1", peer.base);
    let page = lemmy_object("Page", &unfollowed, &author, &stranger, "unasked");
    peer.serve_object("/objects/s1", Some(page.clone()));
    send(
        &peer,
        "stranger",
        &app,
        &announce(&peer, &stranger, "Create", &author, page),
    )
    .await;
    // 6. A relayed Delete of the victim's post, which its origin still serves.
    let delete = json!({"id": genuine, "type": "Tombstone"});
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Delete", &victim, delete),
    )
    .await;
    // Then the community's author posts, as it may: once that is here, all the above was read.
    let fine = format!("{}/objects/ok", peer.base);
    let page = lemmy_object("Page", &fine, &author, &group, "all good");
    send(
        &peer,
        "community",
        &app,
        &announce(&peer, &group, "Create", &author, page),
    )
    .await;
    eventually("the legitimate post", || async {
        uris(&home(&app, &ada).await).contains(&fine).then_some(())
    })
    .await;

    let kept: Value = post_of(&app, Some(&ada), &genuine)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        kept["content"].as_str().unwrap().contains("what I wrote"),
        "{kept}"
    );
    assert!(!kept.to_string().contains("words put in my mouth"));
    assert_eq!(kept["author"], victim.as_str());
    for refused in [&claimed, &misplaced, &missing, &unfollowed] {
        assert_eq!(
            post_of(&app, Some(&ada), refused).await.status(),
            StatusCode::NOT_FOUND,
            "{refused}"
        );
    }
    // The victim's post was not deleted, only no longer relayed.
    assert_eq!(
        post_of(&app, Some(&ada), &genuine).await.status(),
        StatusCode::OK
    );
    let mut page = group_page(&app, &group).await;
    page.sort();
    assert_eq!(page, vec![fine.clone()]);
}

#[tokio::test]
async fn emoji_reactions_are_kept_with_their_emoji_counted_by_emoji_and_undone() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let r = app
        .post_json(Some(&ada), "/api/v1/posts", &json!({"text": "Launch day"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let post = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let peer = FakePeer::start_with_actors(&["mi", "pl", "pl2", "ak", "plain", "bad"]).await;
    let actor = |n: &str| peer.actor_named(n);
    let react = |who: &str, kind: &str, extra: Value| {
        let mut a = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": activity_id(&peer), "type": kind, "actor": actor(who), "object": post
        });
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    // Misskey: a Like with its reaction; Pleroma: EmojiReact; Akkoma: a custom emoji with its
    // tag; a plain Like stays a like.
    let misskey = react(
        "mi",
        "Like",
        json!({"_misskey_reaction": "🎉", "content": "🎉"}),
    );
    let pleroma = react("pl", "EmojiReact", json!({"content": "👍"}));
    send(&peer, "mi", &app, &misskey).await;
    send(&peer, "pl", &app, &pleroma).await;
    send(
        &peer,
        "pl2",
        &app,
        &react("pl2", "EmojiReact", json!({"content": "👍"})),
    )
    .await;
    let custom = json!({
        "content": ":blobcat@.:",
        "tag": [{"type": "Emoji", "name": ":blobcat:", "icon": {"type": "Image", "url": format!("{}/emoji/blobcat.png", peer.base)}}]
    });
    send(&peer, "ak", &app, &react("ak", "EmojiReact", custom)).await;
    send(&peer, "plain", &app, &react("plain", "Like", json!({}))).await;
    // Hostile: no emoji, markup, the same person twice.
    send(
        &peer,
        "bad",
        &app,
        &react("bad", "EmojiReact", json!({"content": "<img src=x>"})),
    )
    .await;
    send(&peer, "bad", &app, &react("bad", "EmojiReact", json!({}))).await;
    send(
        &peer,
        "pl",
        &app,
        &react("pl", "EmojiReact", json!({"content": "🎉"})),
    )
    .await;

    let want = json!([
        {"emoji": "👍", "count": 2},
        {"emoji": "🎉", "count": 1},
        {"emoji": ":blobcat:", "count": 1}
    ]);
    let seen = eventually("the reactions counted", || async {
        let p: Value = post_of(&app, Some(&ada), &post).await.json().await.ok()?;
        (p["reactions"] == want && p["likes_count"] == 1).then_some(p)
    })
    .await;
    assert_eq!(seen["liked"], false);
    // Shown grouped under the post.
    let token = post.rsplit('/').next().unwrap();
    let browser = app.signed_in("ada", PASSWORD).await;
    let html = browser
        .get(app.url(&format!("/posts/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("aria-label=\"Emoji reactions\""),
        "the reactions line"
    );
    for part in ["👍 2", "🎉 1", ":blobcat: 1", "Like · 1"] {
        assert!(html.contains(part), "{part}");
    }
    assert!(!html.contains("<img src=x>"));
    // Ada hears of them, emoji included.
    let n = json_of(&app, Some(&ada), "/api/v1/notifications").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["summary"] == "reacted 👍 to your post"),
        "{n}"
    );

    // Undo takes each back: an EmojiReact, and Misskey's Like.
    let undo = |who: &str, inner: &Value| json!({"id": activity_id(&peer), "type": "Undo", "actor": actor(who), "object": inner});
    send(&peer, "pl", &app, &undo("pl", &pleroma)).await;
    send(&peer, "mi", &app, &undo("mi", &misskey)).await;
    let want = json!([{"emoji": "👍", "count": 1}, {"emoji": ":blobcat:", "count": 1}]);
    eventually("the undos", || async {
        let p: Value = post_of(&app, Some(&ada), &post).await.json().await.ok()?;
        (p["reactions"] == want && p["likes_count"] == 1).then_some(())
    })
    .await;
}
