//! Posts and direct messages between whole processes: who receives them, and that nothing
//! private is served to anyone else, however they ask: anonymously, as a browser, or with a
//! valid signature from a server that was not addressed (the Fedify peer signs those fetches).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{encode, eventually, Instance, SOON};
use crate::peer::Peer;

/// Publishes a post through the API; returns its `uri`.
async fn publish(instance: &Instance, token: &str, body: Value) -> String {
    let (status, post) = instance.post(Some(token), "/api/v1/posts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {post}");
    post["uri"].as_str().expect("a post uri").to_string()
}

/// The path part of a URI on an instance.
fn path_of(uri: &str) -> String {
    let url = url::Url::parse(uri).expect("an absolute URI");
    url.path().to_string()
}

/// Every way a stranger could ask `instance` for the document at `uri`: as ActivityStreams
/// and as a page, without credentials. None may show it.
async fn assert_hidden_from_strangers(instance: &Instance, uri: &str, secret: &str) {
    let (status, doc) = instance.activity_json(&path_of(uri)).await.unwrap();
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::NOT_FOUND,
        "anonymous AS2 fetch of {uri}: {status} {doc}"
    );
    assert!(!doc.to_string().contains(secret), "{doc}");
    let (status, body) = instance
        .get(None, &format!("/api/v1/posts?uri={}", encode(uri)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "anonymous API read: {body}");
    let page = instance
        .http
        .get(instance.url(&path_of(uri)))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = page.status();
    let text = page.text().await.unwrap_or_default();
    assert!(!status.is_success(), "anonymous page of {uri}: {status}");
    assert!(!text.contains(secret), "the page of {uri} shows the secret");
    // Nor in the public outbox.
    let (_, outbox) = instance
        .activity_json("/members/ada/outbox?page=1")
        .await
        .unwrap();
    assert!(!outbox.to_string().contains(secret), "{outbox}");
}

#[tokio::test]
async fn followers_only_posts_and_direct_messages_reach_only_their_people() {
    let Some(peer) =
        Peer::start("followers_only_posts_and_direct_messages_reach_only_their_people").await
    else {
        return;
    };
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;
    let ada_uri = alpha.member_uri("ada");

    // Bob follows Ada; Carol follows nobody there.
    beta.follow(&bob, &alpha.handle("ada")).await;
    beta.wait_following(&bob, &ada_uri, "accepted").await;

    let followers_secret = "only my followers may read this";
    let followers_post = publish(
        &alpha,
        &ada,
        json!({"text": followers_secret, "visibility": "followers"}),
    )
    .await;
    let dm_secret = "the door code is 4711";
    let (status, dm) = alpha
        .post(
            Some(&ada),
            "/api/v1/messages",
            &json!({"to": [beta.handle("bob")], "text": dm_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    let dm_uri = dm["uri"].as_str().unwrap().to_string();

    // Bob has both: the post on his home timeline, the message in his conversations.
    eventually("the followers-only post to reach bob", SOON, || async {
        let (_, home) = beta.get(Some(&bob), "/api/v1/timelines/home").await;
        if home.to_string().contains(followers_secret) {
            Ok(())
        } else {
            Err(home.to_string())
        }
    })
    .await;
    let conversation = eventually("the message to reach bob", SOON, || async {
        let (_, list) = beta.get(Some(&bob), "/api/v1/conversations").await;
        match list["items"].as_array().and_then(|i| i.first()) {
            Some(c) if c.to_string().contains(dm_secret) => Ok(c.clone()),
            _ => Err(list.to_string()),
        }
    })
    .await;
    // Bob answers; Ada has the answer in the same conversation.
    let (status, answer) = beta
        .post(
            Some(&bob),
            "/api/v1/messages",
            &json!({"to": [alpha.handle("ada")], "text": "thanks, see you", "in_reply_to": dm_uri}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer} in {conversation}");
    eventually("the answer to reach ada", SOON, || async {
        let (_, list) = alpha.get(Some(&ada), "/api/v1/conversations").await;
        if list.to_string().contains("thanks, see you") {
            Ok(())
        } else {
            Err(list.to_string())
        }
    })
    .await;

    // Nobody else: not gamma's member (nothing reached gamma), not anonymous readers, not a
    // server that signs its fetch but was not addressed.
    let (_, carol_home) = gamma.get(Some(&carol), "/api/v1/timelines/home").await;
    assert!(!carol_home.to_string().contains(followers_secret));
    let (_, carol_messages) = gamma.get(Some(&carol), "/api/v1/conversations").await;
    assert_eq!(carol_messages["items"], json!([]), "{carol_messages}");
    for (uri, secret) in [(&followers_post, followers_secret), (&dm_uri, dm_secret)] {
        assert_hidden_from_strangers(&alpha, uri, secret).await;
        for spec in ["rfc9421", "draft-cavage-http-signatures-12"] {
            let (status, body) = peer.signed_get(uri, spec).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "signed fetch ({spec}) of {uri} by a stranger: {status} {body}"
            );
            assert!(!body.contains(secret), "{body}");
        }
        // Gamma's member cannot make gamma fetch it either.
        let (status, body) = gamma
            .get(Some(&carol), &format!("/api/v1/posts?uri={}", encode(uri)))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // The message's answer stays between the two as well.
    let answer_uri = answer["uri"].as_str().unwrap();
    let (status, _) = beta.activity_json(&path_of(answer_uri)).await.unwrap();
    assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_fedify_peer_receives_a_public_post_and_its_reply() {
    let Some(peer) = Peer::start("the_fedify_peer_receives_a_public_post_and_its_reply").await
    else {
        return;
    };
    let alpha = Instance::start("alpha").await;
    let ada = alpha.member("ada").await;
    let ada_uri = alpha.member_uri("ada");
    let follow_id = peer.follow(&ada_uri).await;
    eventually("ada to accept the peer", SOON, || async {
        let state = peer.state().await?;
        if state["following"][&follow_id]["state"] == "accepted" {
            Ok(())
        } else {
            Err(state.to_string())
        }
    })
    .await;

    let uri = publish(
        &alpha,
        &ada,
        json!({"text": "Open desk day on Friday #coworking"}),
    )
    .await;
    let reply = publish(
        &alpha,
        &ada,
        json!({"text": "Bring your own mug.", "in_reply_to": uri}),
    )
    .await;
    let received = eventually("the peer to receive both posts", SOON, || async {
        let state = peer.state().await?;
        let creates: Vec<Value> = state["received"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "Create")
            .cloned()
            .collect();
        if creates.len() >= 2 {
            Ok(creates)
        } else {
            Err(state.to_string())
        }
    })
    .await;
    // Fedify read the objects as notes with their content, author and thread.
    let note = received
        .iter()
        .find(|c| c["object"] == uri.as_str())
        .unwrap_or_else(|| panic!("{received:?}"));
    assert_eq!(note["actor"], ada_uri.as_str());
    let details = &note["objectDetails"];
    assert_eq!(details["type"], "Note", "{details}");
    assert!(
        details["content"]
            .as_str()
            .is_some_and(|c| c.contains("Open desk day on Friday")),
        "{details}"
    );
    assert_eq!(details["attributedTo"], ada_uri.as_str(), "{details}");
    let answer = received
        .iter()
        .find(|c| c["object"] == reply.as_str())
        .unwrap_or_else(|| panic!("{received:?}"));
    assert_eq!(answer["objectDetails"]["inReplyTo"], uri.as_str());
}
