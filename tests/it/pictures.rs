//! Pictures in posts: uploads checked and re-encoded, attached by their owner only, once
//! (also under a race), federated as `Image` attachments; received attachments typed and
//! filtered.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{eventually, port_of, rand_id, FakePeer, AS_JSON};
use crate::support::{assert_error, csrf_from, TestApp, PASSWORD};

/// A JPEG of `w`×`h` with an EXIF block (a camera's GPS position) spliced in after its start.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let plain = out.into_inner();
    let payload = b"Exif\0\0SECRET-GPS-POSITION";
    let len = (payload.len() + 2) as u16;
    let mut with = plain[..2].to_vec();
    with.extend([0xFF, 0xE1]);
    with.extend(len.to_be_bytes());
    with.extend(payload);
    with.extend(&plain[2..]);
    with
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgba8(w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, alt: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("p.jpg"),
        )
        .text("description", alt.to_string());
    app.api
        .post(app.url("/api/v1/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn uploaded(app: &TestApp, token: &str, bytes: Vec<u8>, alt: &str) -> Value {
    let r = upload(app, token, bytes, alt).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

#[tokio::test]
async fn pictures_are_checked_attached_once_by_their_owner_and_federated() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;

    let m = uploaded(
        &app,
        &ada,
        jpeg_with_exif(2400, 1200),
        "The big room, set for ten",
    )
    .await;
    assert_eq!(m["description"], "The big room, set for ten");
    assert_eq!(
        (m["width"].as_i64(), m["height"].as_i64()),
        (Some(1600), Some(800))
    );
    let id = m["id"].as_str().unwrap().to_string();
    let file = app.get(None, &path_of(m["url"].as_str().unwrap())).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    let bytes = file.bytes().await.unwrap();
    assert!(
        !bytes.windows(10).any(|w| w == b"SECRET-GPS"),
        "EXIF survived the upload"
    );
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 1600);

    // Refused: not an image, a declared picture far too large (read from its header), no file,
    // alt text too long, no session.
    assert_error(
        upload(&app, &ada, b"<svg onload=alert(1)>".to_vec(), "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    let mut bomb = png(1, 1);
    // IHDR width and height (bytes 16..24) rewritten to 60000×60000; the CRC no longer
    // matches, and nothing gets decoded either way.
    bomb[16..20].copy_from_slice(&60000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60000u32.to_be_bytes());
    assert_error(
        upload(&app, &ada, bomb, "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_error(
        upload(&app, &ada, png(10, 10), &"x".repeat(1600)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file_description"),
    )
    .await;
    let anonymous = app
        .api
        .post(app.url("/api/v1/media"))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png(10, 10)).file_name("a.png"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Bob may not attach Ada's picture; five are too many; nothing is posted then.
    let r = app
        .post_json(
            Some(&bob),
            "/api/v1/posts",
            &json!({"text": "mine now", "media_ids": [id]}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("media_ids")).await;
    let five: Vec<String> = (0..5).map(|i| format!("x{i}")).collect();
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "many", "media_ids": five}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("media_ids")).await;
    let bobs: Value = app
        .get(Some(&bob), "/api/v1/timelines/home")
        .await
        .json()
        .await
        .unwrap();
    assert!(!bobs.to_string().contains("mine now"), "{bobs}");

    // Ada posts it with a second picture; it is hers once.
    let second = uploaded(&app, &ada, png(300, 200), "A plan of the floor").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "The **room** is ready", "media_ids": [id, second["id"]]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let post: Value = r.json().await.unwrap();
    let media = post["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(media[0]["description"], "The big room, set for ten");
    assert_eq!(media[1]["description"], "A plan of the floor");
    assert!(post["content"]
        .as_str()
        .unwrap()
        .contains("<strong>room</strong>"));
    let again = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "twice", "media_ids": [id]}),
        )
        .await;
    assert_error(again, StatusCode::UNPROCESSABLE_ENTITY, Some("media_ids")).await;

    // Its document carries them as Image attachments, and its markdown source.
    let uri = post["uri"].as_str().unwrap();
    let doc: Value = app
        .api
        .get(app.url(&path_of(uri)))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attachment = doc["attachment"].as_array().expect("attachments");
    assert_eq!(attachment.len(), 2);
    assert_eq!(attachment[0]["type"], "Image");
    assert_eq!(attachment[0]["mediaType"], "image/jpeg");
    assert_eq!(attachment[0]["name"], "The big room, set for ten");
    assert_eq!(
        (
            attachment[0]["width"].as_i64(),
            attachment[0]["height"].as_i64()
        ),
        (Some(1600), Some(800))
    );
    assert_eq!(attachment[0]["url"], m["url"]);
    assert_eq!(attachment[1]["mediaType"], "image/png");
    assert_eq!(doc["source"]["mediaType"], "text/markdown");
    assert_eq!(doc["source"]["content"], "The **room** is ready");

    // The page shows them with their alt text and a relative time with the exact one.
    let html = app.get(None, &path_of(uri)).await.text().await.unwrap();
    assert!(html.contains("alt=\"The big room, set for ten\""), "{html}");
    assert!(
        html.contains("just now</time>") && html.contains(" UTC\">"),
        "{html}"
    );

    // The composer: pictures with alt text in the same form as the text.
    let browser = app.signed_in("ada", PASSWORD).await;
    let home = browser
        .get(app.url("/home"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("<label for=\"alt1\">"), "{home}");
    let csrf = csrf_from(&home);
    let form = reqwest::multipart::Form::new()
        .text("text", "From the composer")
        .text("visibility", "public")
        .part(
            "file1",
            reqwest::multipart::Part::bytes(png(40, 30)).file_name("a.png"),
        )
        .text("alt1", "A small square")
        .part(
            "file2",
            reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        )
        .text("alt2", "");
    let r = browser
        .post(app.url(&format!("/posts?csrf={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = r.headers()["location"].to_str().unwrap().to_string();
    let shown = browser
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("Posted with 1 picture."), "{shown}");
    assert!(shown.contains("alt=\"A small square\""), "{shown}");

    // A deleted post takes its pictures with it.
    let token = uri.rsplit('/').next().unwrap();
    let r = app
        .api
        .delete(app.url(&format!("/api/v1/posts/{token}")))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let gone = app.get(None, &path_of(m["url"].as_str().unwrap())).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_posts_racing_for_one_picture_cannot_both_take_it() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let m = uploaded(&app, &ada, png(64, 64), "The one picture").await;
    let id = m["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url, ada, id) = (
            app.api.clone(),
            app.url("/api/v1/posts"),
            ada.clone(),
            id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(ada)
                .json(&json!({"text": format!("race {i}"), "media_ids": [id]}))
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
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((won, lost), (1, 19), "{statuses:?}");
    // The picture is in exactly one post, and the losers left no post behind.
    let home: Value = app
        .get(Some(&ada), "/api/v1/timelines/home")
        .await
        .json()
        .await
        .unwrap();
    let items = home["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{home}");
    assert_eq!(items[0]["media"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn received_attachments_are_typed_filtered_and_capped() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let mut attachment = vec![
        // Mastodon's shape.
        json!({"type": "Document", "mediaType": "image/png", "url": "https://files.example/a.png",
               "name": "The room <b>at</b> noon", "width": 1200, "height": 800, "blurhash": "x"}),
        // Misskey's: an Image, url as a Link object.
        json!({"type": "Image", "url": {"type": "Link", "href": "https://files.example/b.webp"}, "name": null}),
        // Hostile or not pictures: dropped.
        json!({"type": "Image", "mediaType": "image/png", "url": "javascript:alert(1)"}),
        json!({"type": "Image", "url": "data:image/png;base64,AAAA"}),
        json!({"type": "Document", "mediaType": "image/svg+xml", "url": "https://files.example/c.svg"}),
        json!({"type": "Document", "mediaType": "video/mp4", "url": "https://files.example/d.mp4"}),
        json!({"type": "Image", "mediaType": "image/png", "url": "ftp://files.example/e.png"}),
        json!({"type": "PropertyValue", "name": "x", "value": "<a href=\"https://x\">x</a>"}),
        json!("https://files.example/bare.png"),
    ];
    for i in 0..10 {
        attachment.push(json!({"type": "Image", "mediaType": "image/jpeg",
            "url": format!("https://files.example/many-{i}.jpg"), "name": format!("Picture {i}")}));
    }
    let id = format!("{}/notes/{}", peer.base, rand_id());
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
        "actor": peer.actor(),
        "object": {
            "id": id, "type": "Note", "attributedTo": peer.actor(), "content": "<p>pictures</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ada_uri],
            "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"}],
            "attachment": attachment,
        }
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &create).await,
        StatusCode::ACCEPTED
    );
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let stored = eventually("the post with pictures", || async {
        let r = alpha
            .get(Some(&ada), &format!("/api/v1/posts?uri={encoded}"))
            .await;
        if r.status() != StatusCode::OK {
            return None;
        }
        r.json::<Value>().await.ok()
    })
    .await;
    let media = stored["media"].as_array().unwrap();
    assert_eq!(media.len(), 8, "{media:?}");
    assert_eq!(media[0]["url"], "https://files.example/a.png");
    assert_eq!(media[0]["description"], "The room <b>at</b> noon");
    assert_eq!(
        (media[0]["width"].as_i64(), media[0]["height"].as_i64()),
        (Some(1200), Some(800))
    );
    assert_eq!(media[1]["url"], "https://files.example/b.webp");
    assert_eq!(media[2]["url"], "https://files.example/many-0.jpg");
    for m in media {
        assert!(
            m["url"]
                .as_str()
                .unwrap()
                .starts_with("https://files.example/"),
            "{m}"
        );
    }
    // The page links them from their origin, alt text escaped.
    let browser = alpha.signed_in("ada", PASSWORD).await;
    let html = browser
        .get(alpha.url(stored["link"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("src=\"https://files.example/a.png\""),
        "{html}"
    );
    assert!(
        html.contains("alt=\"The room &#60;b&#62;at&#60;/b&#62; noon\""),
        "{html}"
    );
    assert!(!html.contains("javascript:alert"), "{html}");
}

#[tokio::test]
async fn uploads_no_post_took_are_removed_with_their_files_and_a_racing_post_keeps_its_own() {
    let (instance, ada, _dir) = crate::delivery::start(&[]).await;
    let (app, state) = (&instance.app, instance.state.clone());
    let kept = uploaded(app, &ada, png(32, 32), "Taken by a post").await;
    let left = uploaded(app, &ada, png(32, 32), "Never posted").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "With a picture", "media_ids": [kept["id"]]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let served = |v: &Value| path_of(v["url"].as_str().unwrap());
    assert_eq!(app.get(None, &served(&left)).await.status(), StatusCode::OK);

    // Young uploads stay (a day to write a post).
    let day = guildhall::posts::media::UNATTACHED_FOR_MS;
    assert_eq!(
        guildhall::posts::media::prune_unattached(&state, day)
            .await
            .unwrap(),
        0
    );
    // Old enough (here: any age), the one no post took goes, row and file; the other stays.
    let removed = guildhall::posts::media::prune_unattached(&state, -1)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        app.get(None, &served(&left)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(None, &served(&kept)).await.status(), StatusCode::OK);
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "Too late", "media_ids": [left["id"]]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A post taking an upload while the chore runs: either the post has it and it is served,
    // or the post is refused and it is gone; never a post whose picture is missing.
    for round in 0..5 {
        let m = uploaded(app, &ada, png(16, 16), "Racing").await;
        let (client, url, token, id) = (
            app.api.clone(),
            app.url("/api/v1/posts"),
            ada.clone(),
            m["id"].clone(),
        );
        let post = tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"text": format!("race {round}"), "media_ids": [id]}))
                .send()
                .await
                .expect("request sent")
                .status()
        });
        let pruned = guildhall::posts::media::prune_unattached(&state, -1)
            .await
            .unwrap();
        let status = post.await.expect("post task");
        let file = app.get(None, &served(&m)).await.status();
        match status {
            StatusCode::CREATED => assert_eq!((pruned, file), (0, StatusCode::OK), "round {round}"),
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!((pruned, file), (1, StatusCode::NOT_FOUND), "round {round}")
            }
            other => panic!("round {round}: {other}"),
        }
    }
    instance.stop().await;
}
