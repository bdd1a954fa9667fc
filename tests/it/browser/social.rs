//! The social side across two spaces, in one browser: Ada on alpha posts a picture with its
//! description and mentions Bob on beta; Bob opens her profile from his notifications (her name and picture link there), follows
//! her, likes, boosts and replies to her post in place, and writes to her with the profile's
//! Message button; Ada, on alpha, sees the like, the boost, the reply and the message, and who
//! did each. Everything happens through the pages, except creating the members' accounts.
//!
//! And a community: Ada follows a group on another server (a Lemmy-like peer) from her network
//! page; the posts it relays arrive in her home, marked as relayed by it, and on its page here.

use anyhow::{ensure, Result};

use serde_json::json;

use super::journey::{expect_text, submit};
use super::two_spaces::{sign_in, Space};
use super::webdriver::Browser;
use crate::communities::{announce, lemmy_object};
use crate::federation::{eventually, FakePeer};
use crate::hostile_authority::{activity_id, received, send};

const TEST: &str = "like_boost_reply_follow_and_message_across_spaces_journey";
const GROUP_TEST: &str = "follow_a_community_elsewhere_and_read_its_posts_journey";

#[tokio::test]
async fn like_boost_reply_follow_and_message_across_spaces_journey() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, beta) = tokio::join!(Space::start("alpha"), Space::start("beta"));
    alpha.app.member("ada").await;
    beta.app.member("bob").await;
    super::run_scenario(TEST, &browser, journey(&alpha, &beta, &browser)).await;
}

/// The description Ada gives her picture.
const ALT: &str = "The new pier at dawn, two boats moored";

async fn journey(alpha: &Space, beta: &Space, b: &Browser) -> Result<()> {
    // Ada, on alpha, posts from her home page with a picture and its description, and
    // mentions Bob.
    let dir = tempfile::tempdir()?;
    let picture = dir.path().join("pier.png");
    image::DynamicImage::new_rgb8(320, 200).save(&picture)?;
    sign_in(alpha, b, "ada").await?;
    b.goto(&alpha.url("/home")).await?;
    b.fill(
        "#compose-form [name=text]",
        &format!("Launch day at the harbour, {} come by!", beta.handle("bob")),
    )
    .await?;
    b.click("#compose-form details.compose-pictures summary")
        .await?;
    b.find("#compose-form #file1")
        .await?
        .send_keys(&picture.display().to_string())
        .await?;
    b.fill("#compose-form #alt1", ALT).await?;
    submit(b, "#compose-form").await?;
    b.wait_for_text(".notice", "Posted with 1 picture.").await?;

    // Bob, on beta, is told; her name in the notification opens her profile here.
    sign_in(beta, b, "bob").await?;
    b.reload_until_text(
        &beta.url("/notifications"),
        "#notifications",
        "mentioned you",
    )
    .await?;
    b.click("#notifications a[href^=\"/actors?uri=\"]").await?;
    b.wait_for_path("/actors").await?;
    expect_text(b, "h1", "ada").await?;
    let profile = b.current_url().await?;

    // He follows her from the profile; her post is among her recent posts.
    b.click("#follow-form button[type=submit]").await?;
    b.reload_until_text(&profile, "#profile-actions", "You follow")
        .await?;
    b.reload_until_text(&profile, "#recent-posts", "Launch day at the harbour")
        .await?;
    // Her picture came with the post, described.
    let alt = b
        .find("#recent-posts article.post .post-media img")
        .await?
        .attribute("alt")
        .await?;
    ensure!(alt == ALT, "the picture here is described as `{alt}`");

    // Like and boost, in place: the page comes back with the buttons pressed and counted.
    b.click("#recent-posts article.post button.likes").await?;
    b.wait_for_text("#recent-posts article.post button.likes", "Liked · 1")
        .await?;
    b.click("#recent-posts article.post button.shares").await?;
    b.wait_for_text("#recent-posts article.post button.shares", "Boosted · 1")
        .await?;
    ensure!(
        b.current_url().await? == profile,
        "after the like and the boost Bob is back on the profile"
    );

    // A reply from the post's page.
    b.click("#recent-posts article.post a.reply-link").await?;
    b.fill(
        "#reply-form [name=text]",
        "Count me in, I'll bring the boat.",
    )
    .await?;
    submit(b, "#reply-form").await?;
    b.wait_for_text(".notice", "Posted.").await?;
    // The reply's own page, under the post it answers.
    expect_text(b, "main", "Count me in, I'll bring the boat.").await?;
    expect_text(b, "main", "In reply to").await?;

    // And a message from the profile: the form comes with her address filled in.
    b.goto(&profile).await?;
    b.click("#message-link").await?;
    b.wait_for_path("/messages").await?;
    let to = b
        .find("#message-form [name=to]")
        .await?
        .property("value")
        .await?;
    ensure!(
        to == alpha.handle("ada"),
        "the message is addressed to `{to}`"
    );
    b.fill("#message-form [name=text]", "Which pier?").await?;
    submit(b, "#message-form").await?;
    expect_text(b, "main", "Which pier?").await?;

    // Ada, on alpha (still signed in there: each space keeps its own cookie), sees each of
    // them, and who did it.
    b.goto(&alpha.url("/home")).await?;
    expect_text(b, ".account-nav .chip", "@ada").await?;
    let her_profile = alpha.url("/members/ada");
    b.reload_until_text(&her_profile, "#recent-posts article.post .likes", "· 1")
        .await?;
    expect_text(b, "#recent-posts article.post .shares", "· 1").await?;
    expect_text(b, "#recent-posts article.post footer", "1 reply").await?;
    b.reload_until_text(
        &alpha.url("/notifications"),
        "#notifications",
        "liked your post",
    )
    .await?;
    for what in ["shared your post", "replied to you", "bob"] {
        expect_text(b, "#notifications", what).await?;
    }
    b.reload_until_text(&alpha.url("/messages"), "#conversations", "bob")
        .await?;
    b.click("#conversations a.conversation").await?;
    expect_text(b, "#messages", "Which pier?").await?;
    Ok(())
}

#[tokio::test]
async fn follow_a_community_elsewhere_and_read_its_posts_journey() {
    let Some(browser) = super::launch(GROUP_TEST).await else {
        return;
    };
    let alpha = Space::start("alpha").await;
    alpha.app.member("ada").await;
    let peer =
        FakePeer::start_with_typed_actors(&[("community", "Group"), ("author", "Person")]).await;
    super::run_scenario(
        GROUP_TEST,
        &browser,
        community_journey(&alpha, &peer, &browser),
    )
    .await;
}

async fn community_journey(alpha: &Space, peer: &FakePeer, b: &Browser) -> Result<()> {
    let group = peer.actor_named("community");
    let author = peer.actor_named("author");
    sign_in(alpha, b, "ada").await?;
    b.goto(&alpha.url("/network")).await?;
    b.fill("#follow-form [name=target]", &group).await?;
    submit(b, "#follow-form").await?;
    b.wait_for_text(".notice", "").await?;

    // The community's server accepts, then relays a post of one of its members.
    let follow = eventually("the Follow at the community", || async {
        received(peer, "Follow")
            .into_iter()
            .find(|f| f["object"] == group.as_str())
    })
    .await;
    let accept =
        json!({"id": activity_id(peer), "type": "Accept", "actor": group, "object": follow});
    send(peer, "community", &alpha.app, &accept).await;
    let post = format!("{}/objects/post-1", peer.base);
    let page = lemmy_object(
        "Page",
        &post,
        &author,
        &group,
        "Harbour clean-up on Saturday",
    );
    peer.serve_object("/objects/post-1", Some(page.clone()));
    send(
        peer,
        "community",
        &alpha.app,
        &announce(peer, &group, "Create", &author, page),
    )
    .await;

    // Ada reads it in her home, relayed by the community, and on the community's page.
    b.reload_until_text(&alpha.url("/home"), "main", "Harbour clean-up on Saturday")
        .await?;
    expect_text(b, "article.post .boosted-by", "Boosted by").await?;
    b.click("article.post .boosted-by a").await?;
    b.wait_for_path("/actors").await?;
    expect_text(b, "#profile-actions", "You follow").await?;
    expect_text(b, "#recent-posts", "Harbour clean-up on Saturday").await?;
    Ok(())
}
