//! Hostile links: a peer sends posts, events, an actor and project objects whose ids, `url`s,
//! `attributedTo`, icons, mentions, assignees and online links are `javascript:`, `data:`,
//! `vbscript:` or `file:` addresses (also in the `javascript://its-own-host/…` shape that looks
//! like its own server). Each is refused, or stored without the link, and no page links it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events::signed_in_browser;
use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::support::TestApp;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Addresses no page may link, built around the peer's own `host:port`.
fn hostile_urls(host: &str) -> Vec<String> {
    vec![
        format!("javascript://{host}/%0aalert(document.domain)//"),
        "javascript:alert(document.domain)".to_string(),
        format!("JaVaScRiPt://{host}/%0aalert(1)"),
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==".to_string(),
        format!("data://{host}/x"),
        "vbscript:msgbox(1)".to_string(),
        format!("vbscript://{host}/x"),
        "file:///etc/passwd".to_string(),
        format!("file://{host}/etc/passwd"),
        format!(" javascript://{host}/%0aalert(1)"),
        format!("java\tscript://{host}/%0aalert(1)"),
    ]
}

fn host_of(base: &str) -> String {
    base.split_once("://").unwrap().1.to_string()
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// HTML character references decoded, as a browser reads an attribute.
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|i| i + 1);
        let (name, after) = match end {
            Some(e) => (&rest[1..e], &rest[e..]),
            None => (&rest[1..], ""),
        };
        let decoded = if let Some(num) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
            u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
        } else if let Some(num) = name.strip_prefix('#') {
            num.parse().ok().and_then(char::from_u32)
        } else {
            match name.to_ascii_lowercase().as_str() {
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "sol" => Some('/'),
                _ => None,
            }
        };
        match decoded {
            Some(c) if !name.is_empty() => {
                out.push(c);
                rest = after.strip_prefix(';').unwrap_or(after);
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The values of every attribute a browser follows or loads (`href`, `src`, `action`, …).
fn link_attributes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    for attr in [
        "href",
        "src",
        "action",
        "formaction",
        "srcset",
        "poster",
        "data",
        "xlink:href",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(attr) {
            let start = from + i;
            from = start + attr.len();
            let before = lower[..start].chars().next_back();
            if !before.is_some_and(|c| c.is_whitespace() || c == '"' || c == '\'') {
                continue;
            }
            let tail = lower[from..].trim_start();
            let Some(tail) = tail.strip_prefix('=') else {
                continue;
            };
            let tail = tail.trim_start();
            let offset = html.len() - tail.len();
            let value = match tail.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &html[offset + 1..];
                    body[..body.find(q).unwrap_or(body.len())].to_string()
                }
                _ => {
                    let body = &html[offset..];
                    body[..body
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(body.len())]
                        .to_string()
                }
            };
            out.push(value);
        }
    }
    out
}

/// No attribute of `html` links anything but a path here or an http(s) address; and no
/// `javascript:`, `data:`, `vbscript:` or `file:` link appears, raw or entity-encoded.
fn assert_no_script_links(html: &str, page: &str) {
    for value in link_attributes(html) {
        // As a browser reads it: references decoded, leading controls and spaces dropped,
        // tabs and newlines removed.
        let read: String = decode_entities(&value)
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
            .to_ascii_lowercase();
        let scheme_end = read.find([':', '/', '?', '#']);
        if let Some(end) = scheme_end.filter(|&e| read[e..].starts_with(':')) {
            let scheme = &read[..end];
            assert!(
                matches!(scheme, "http" | "https" | "mailto"),
                "{page} links {value:?} (scheme {scheme:?})"
            );
        }
        assert!(
            !read.starts_with("//"),
            "{page} links {value:?} off-site without a scheme"
        );
    }
    for text in [html.to_string(), decode_entities(html)] {
        let squashed: String = text
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        for attr in ["href=", "src=", "action="] {
            for scheme in ["javascript:", "data:", "vbscript:", "file:"] {
                for quote in ["\"", "'", ""] {
                    let needle = format!("{attr}{quote}{scheme}");
                    assert!(!squashed.contains(&needle), "{page} contains {needle}");
                }
            }
        }
    }
}

async fn page(app: &TestApp, browser: Option<&reqwest::Client>, path: &str) -> String {
    let r = match browser {
        Some(b) => b.get(app.url(path)).send().await.unwrap(),
        None => app.api.get(app.url(path)).send().await.unwrap(),
    };
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let html = r.text().await.unwrap();
    assert_no_script_links(&html, path);
    html
}

async fn status_of(app: &TestApp, token: &str, path: &str) -> StatusCode {
    app.get(Some(token), path).await.status()
}

async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

/// Delivers `activity`: the inbox takes it (202) or refuses it outright (400, for an object
/// whose id names no server); never anything else.
async fn deliver(peer: &FakePeer, app: &TestApp, domain: &str, path: &str, activity: &Value) {
    let status = peer.deliver(app, domain, path, activity).await;
    assert!(
        status == StatusCode::ACCEPTED || status == StatusCode::BAD_REQUEST,
        "{status} for {activity}"
    );
}

fn create(peer: &FakePeer, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
        "actor": peer.actor(), "object": object
    })
}

fn with(mut object: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        object[k] = v.clone();
    }
    object
}

/// A peer whose own actor document carries hostile profile links and pictures.
async fn hostile_peer() -> FakePeer {
    FakePeer::start_with_fields(|base| {
        let host = host_of(base);
        json!({
            "name": "Peer",
            "url": "javascript:alert(document.domain)",
            "icon": {"type": "Image", "url": format!("javascript://{host}/%0aalert(1)")},
            "image": {"type": "Image", "url": "data:image/svg+xml,<svg onload=alert(1)>"},
            "followers": format!("vbscript://{host}/followers"),
            "endpoints": {"sharedInbox": format!("file://{host}/inbox")}
        })
    })
    .await
}

#[tokio::test]
async fn remote_posts_and_actors_never_link_other_schemes() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = hostile_peer().await;
    let host = host_of(&peer.base);
    let note = |extra: Value| {
        let object = json!({
            "id": format!("{}/notes/{}", peer.base, rand_id()), "type": "Note",
            "attributedTo": peer.actor(), "content": "<p>Hello Ada</p>",
            "to": [PUBLIC], "cc": [ada_uri],
            "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"}]
        });
        create(&peer, with(object, extra))
    };
    let hostile = hostile_urls(&host);
    // Refused: ids that are no web address (no `url`, so the id would have been the link),
    // and replies to one.
    let mut refused: Vec<Value> = hostile.iter().map(|bad| note(json!({"id": bad}))).collect();
    refused.extend(
        hostile
            .iter()
            .take(3)
            .map(|bad| note(json!({"inReplyTo": bad}))),
    );
    // Kept without the link: a hostile `url` (as a string, a Link, a list) or mention.
    let mut kept: Vec<Value> = hostile
        .iter()
        .map(|bad| note(json!({"url": bad})))
        .collect();
    kept.push(note(json!({"url": {"type": "Link", "href": hostile[0]}})));
    kept.push(note(
        json!({"url": [hostile[1], {"type": "Link", "href": hostile[3]}]}),
    ));
    kept.push(note(json!({"tag": [
        {"type": "Mention", "href": ada_uri, "name": "@ada"},
        {"type": "Mention", "href": hostile[0], "name": "@evil"},
        {"type": "Hashtag", "href": hostile[1], "name": "#tide"}
    ]})));
    for a in refused.iter().chain(kept.iter()) {
        deliver(&peer, &alpha, &domain, "/inbox", a).await;
    }
    let marker = note(json!({}));
    let marker_id = marker["object"]["id"].as_str().unwrap().to_string();
    deliver(&peer, &alpha, &domain, "/inbox", &marker).await;
    eventually("the marker", || async {
        let path = format!("/api/v1/posts?uri={}", encode(&marker_id));
        (status_of(&alpha, &ada, &path).await == StatusCode::OK).then_some(())
    })
    .await;

    for a in &refused {
        let id = a["object"]["id"].as_str().unwrap();
        let path = format!("/api/v1/posts?uri={}", encode(id));
        assert_eq!(
            status_of(&alpha, &ada, &path).await,
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
    for a in &kept {
        let id = a["object"]["id"].as_str().unwrap();
        let post = json_of(
            &alpha,
            Some(&ada),
            &format!("/api/v1/posts?uri={}", encode(id)),
        )
        .await;
        assert_eq!(
            post["url"], id,
            "a hostile url falls back to the post's own id"
        );
        // The author is linked at its id: its own `url` was hostile, its icon dropped.
        assert_eq!(post["author_info"]["link"], peer.actor());
        assert_eq!(post["author_info"]["icon"], Value::Null);
    }
    // The actor was stored without its hostile links.
    let actor = json_of(
        &alpha,
        Some(&ada),
        &format!("/api/v1/lookup?target={}", encode(&peer.actor())),
    )
    .await;
    assert_eq!(actor["url"], "");
    assert_eq!(actor["icon_url"], "");
    assert_eq!(actor["followers"], Value::Null);
    assert_eq!(actor["shared_inbox"], Value::Null);

    // The pages that show them link nothing hostile.
    let browser = signed_in_browser(&alpha, "ada").await;
    let thread = page(
        &alpha,
        Some(&browser),
        &format!(
            "/thread?uri={}",
            encode(kept[0]["object"]["id"].as_str().unwrap())
        ),
    )
    .await;
    assert!(thread.contains("Hello Ada"));
    assert!(thread.contains(&format!("href=\"{}\"", peer.actor())));
    let home = page(&alpha, Some(&browser), "/home").await;
    assert!(
        home.contains("Hello Ada"),
        "the received posts are on the home page"
    );
    page(&alpha, Some(&browser), "/").await;
    page(&alpha, None, "/").await;
    page(&alpha, Some(&browser), "/notifications").await;
}

#[tokio::test]
async fn remote_events_never_link_other_schemes() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let peer = hostile_peer().await;
    let host = host_of(&peer.base);
    // Ada follows the peer, which accepts: its events are kept here.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let follow = eventually("the Follow at the peer", || async {
        let got = peer.received.lock().unwrap().clone();
        got.into_iter().find(|a| a["type"] == "Follow")
    })
    .await;
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": follow});
    deliver(&peer, &alpha, &domain, "/inbox", &accept).await;
    eventually("the follow to be accepted", || async {
        let list = json_of(&alpha, Some(&ada), "/api/v1/following").await;
        (list["items"][0]["state"] == "accepted").then_some(())
    })
    .await;

    let day = |d: i64| {
        (chrono::Utc::now() + chrono::Duration::days(d))
            .format("%Y-%m-%dT10:00:00Z")
            .to_string()
    };
    let event = |extra: Value| {
        let object = json!({
            "id": format!("{}/events/{}", peer.base, rand_id()), "type": "Event",
            "attributedTo": peer.actor(), "name": "Peer meetup", "content": "<p>Come along</p>",
            "startTime": day(10), "endTime": day(11), "to": [PUBLIC],
            "joinMode": "free"
        });
        create(&peer, with(object, extra))
    };
    let hostile = hostile_urls(&host);
    let mut refused: Vec<Value> = hostile
        .iter()
        .map(|bad| event(json!({"id": bad})))
        .collect();
    refused.extend(
        hostile
            .iter()
            .map(|bad| event(json!({"attributedTo": bad}))),
    );
    let kept: Vec<Value> = hostile
        .iter()
        .map(|bad| {
            event(json!({
                "url": bad,
                "externalParticipationUrl": bad,
                "location": [{"type": "VirtualLocation", "url": bad}],
                "attachment": [{"type": "Link", "name": "Website", "href": bad}]
            }))
        })
        .collect();
    for a in refused.iter().chain(kept.iter()) {
        deliver(&peer, &alpha, &domain, "/inbox", a).await;
    }
    let marker = event(json!({"name": "Marker meetup"}));
    let marker_id = marker["object"]["id"].as_str().unwrap().to_string();
    deliver(&peer, &alpha, &domain, "/inbox", &marker).await;
    eventually("the marker", || async {
        let path = format!("/api/v1/events/by-uri?uri={}", encode(&marker_id));
        (status_of(&alpha, &ada, &path).await == StatusCode::OK).then_some(())
    })
    .await;

    for a in &refused {
        let id = a["object"]["id"].as_str().unwrap();
        let path = format!("/api/v1/events/by-uri?uri={}", encode(id));
        assert_eq!(
            status_of(&alpha, &ada, &path).await,
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
    for a in &kept {
        let id = a["object"]["id"].as_str().unwrap();
        let e = json_of(
            &alpha,
            Some(&ada),
            &format!("/api/v1/events/by-uri?uri={}", encode(id)),
        )
        .await;
        assert_eq!(
            e["url"], id,
            "a hostile url falls back to the event's own id"
        );
        assert_eq!(e["online_url"], "");
        assert_eq!(e["external_url"], "");
        assert_eq!(e["organizer"], peer.actor());
        assert_eq!(e["organizer_info"]["link"], peer.actor());
    }

    let list = page(&alpha, None, "/events").await;
    assert!(list.contains("Peer meetup"));
    let show = page(
        &alpha,
        None,
        &format!(
            "/events/remote?uri={}",
            encode(kept[0]["object"]["id"].as_str().unwrap())
        ),
    )
    .await;
    assert!(show.contains("Come along"));
    assert!(
        show.contains(&format!(
            "href=\"{}\"",
            kept[0]["object"]["id"].as_str().unwrap()
        )),
        "“View on its own server” links the event's id"
    );
    page(&alpha, None, "/").await;
    let browser = signed_in_browser(&alpha, "ada").await;
    page(&alpha, Some(&browser), "/events").await;
    page(&alpha, Some(&browser), "/network").await;
}

#[tokio::test]
async fn remote_project_objects_never_link_other_schemes() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let group = FakePeer::start_with_fields(
        |_| json!({"type": "Group", "preferredUsername": "crew", "name": "Crew"}),
    )
    .await;
    let host = host_of(&group.base);
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/remote/join",
            &json!({"target": group.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let zed = format!("{}/members/zed", group.base);
    let announce = |inner_actor: &str, object: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/announces/{}", group.base, rand_id()), "type": "Announce",
            "actor": group.actor(), "to": [PUBLIC],
            "object": {"id": format!("{}/activities/{}", group.base, rand_id()), "type": "Create",
                       "actor": inner_actor, "object": object}
        })
    };
    let task = |extra: Value| {
        with(
            json!({
                "id": format!("{}/tasks/{}", group.base, rand_id()), "type": "Page",
                "name": "Sand the hull", "content": "<p>Both sides</p>", "taskStatus": "todo",
                "attributedTo": zed, "audience": group.actor(), "to": [group.actor()],
                "assignees": [zed]
            }),
            extra,
        )
    };
    let file = |extra: Value| {
        with(
            json!({
                "id": format!("{}/files/{}", group.base, rand_id()), "type": "Document",
                "name": "plan.pdf", "mediaType": "application/pdf", "fileSize": 10,
                "url": format!("{}/files/plan.pdf", group.base),
                "attributedTo": zed, "audience": group.actor(), "to": [group.actor()]
            }),
            extra,
        )
    };
    let hostile = hostile_urls(&host);
    let mut refused: Vec<Value> = Vec::new();
    for bad in &hostile {
        refused.push(announce(&zed, task(json!({"id": bad}))));
        refused.push(announce(&zed, task(json!({"attributedTo": bad}))));
        refused.push(announce(bad, task(json!({"attributedTo": null}))));
        refused.push(announce(&zed, file(json!({"url": bad}))));
        refused.push(announce(&zed, file(json!({"id": bad}))));
    }
    let mut assignees: Vec<Value> = hostile.iter().map(|b| json!(b)).collect();
    assignees.push(json!(zed));
    assignees.push(json!(ada_uri));
    let listed = announce(&zed, task(json!({"assignees": assignees})));
    let single = announce(
        &zed,
        task(json!({"name": "Paint it", "assignees": hostile[0]})),
    );
    for a in refused.iter().chain([&listed, &single]) {
        deliver(&group, &alpha, &domain, "/inbox", a).await;
    }
    let marker = announce(&zed, file(json!({"name": "marker.txt"})));
    let marker_id = marker["object"]["object"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    deliver(&group, &alpha, &domain, "/inbox", &marker).await;
    let board_path = format!("/api/v1/projects/remote?uri={}", encode(&group.actor()));
    // The marker and the two good tasks: everything before them has been processed too.
    let board = eventually("the marker and the good tasks", || async {
        let b = json_of(&alpha, Some(&ada), &board_path).await;
        let has = |list: &str, id: &Value| {
            b[list]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| &i["uri"] == id))
        };
        (has("files", &json!(marker_id))
            && has("tasks", &listed["object"]["object"]["id"])
            && has("tasks", &single["object"]["object"]["id"]))
        .then_some(b.clone())
    })
    .await;

    let tasks = board["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "only the two good tasks: {tasks:?}");
    let listed_task = tasks
        .iter()
        .find(|t| t["uri"] == listed["object"]["object"]["id"])
        .expect("the task with hostile assignees is kept");
    let mut kept_assignees: Vec<&str> = listed_task["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    kept_assignees.sort();
    let mut good = vec![zed.as_str(), ada_uri.as_str()];
    good.sort();
    assert_eq!(
        kept_assignees, good,
        "only the web addresses among the assignees"
    );
    assert_eq!(listed_task["author"], zed);
    let single_task = tasks
        .iter()
        .find(|t| t["uri"] == single["object"]["object"]["id"])
        .expect("the task with one hostile assignee is kept");
    assert_eq!(single_task["assignees"], json!([]));
    let files = board["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "only the marker file: {files:?}");

    let browser = signed_in_browser(&alpha, "ada").await;
    let remote_board = format!("/projects/remote?uri={}", encode(&group.actor()));
    let html = page(&alpha, Some(&browser), &remote_board).await;
    assert!(html.contains("Sand the hull"));
    page(&alpha, None, &remote_board).await;
    let item = page(
        &alpha,
        Some(&browser),
        &format!(
            "/projects/remote/item?uri={}",
            encode(listed_task["uri"].as_str().unwrap())
        ),
    )
    .await;
    assert!(
        item.contains(&format!("href=\"{zed}\"")),
        "the good assignee is linked"
    );
    page(
        &alpha,
        Some(&browser),
        &format!("/projects/remote/item?uri={}", encode(&marker_id)),
    )
    .await;
    page(&alpha, Some(&browser), "/projects").await;
}

#[test]
fn the_page_check_catches_what_it_must() {
    let bad = [
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href='JaVaScRiPt:alert(1)'>x</a>"#,
        r#"<a href=javascript:alert(1)>x</a>"#,
        r#"<a href="&#106;avascript&#58;alert(1)">x</a>"#,
        r#"<a href="&#x6A;avascript&colon;alert(1)">x</a>"#,
        "<a href=\" \tjava\tscript:alert(1)\">x</a>",
        r#"<img src="data:image/svg+xml,<svg>">"#,
        r#"<a class="x" href="vbscript:msgbox(1)">x</a>"#,
        r#"<form action="file:///etc/passwd"></form>"#,
        r#"<a href="//evil.example/">x</a>"#,
    ];
    for html in bad {
        assert!(
            std::panic::catch_unwind(|| assert_no_script_links(html, "test")).is_err(),
            "{html}"
        );
    }
    assert_no_script_links(
        r#"<a href="/members/ada">a</a> <a href="https://a.example/x?y=1&amp;z=2">b</a> <img src="http://b.example/i.png"> <p>javascript: is text here</p>"#,
        "test",
    );
}
