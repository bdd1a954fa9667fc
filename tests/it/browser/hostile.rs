//! Hostile content in a real browser: a peer delivers a post and an event whose links are
//! `javascript:` addresses and whose content carries `<script>`, `<img onerror>`,
//! `<a href="javascript:…">` and `<svg onload>`; a local member posts the same as text. The
//! pages that show them are opened in Chromium and every link in those items is clicked: no
//! payload may run (each would mark the page's title, its window name or its local storage, or
//! open a dialog), and every page carries the Content-Security-Policy header.

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use super::webdriver::Browser;
use crate::events::signed_in_browser;
use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::support::{TestApp, PASSWORD};

const TEST: &str = "hostile_content_runs_no_script";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// What every payload writes when it runs.
const MARK: &str = "pwned";
/// The local storage entry a payload writes when it runs.
const STORAGE_KEY: &str = "ran";
/// Text shown by every hostile item, to find it on the page.
const VISIBLE: &str = "Harmless words";

/// Script that marks the page as `MARK-<what>` in every way a test can read back. The mark is
/// put together when the script runs, so the payload shown as text (in a title) is no mark.
fn payload_js(what: &str) -> String {
    let (head, tail) = MARK.split_at(2);
    let mark = format!("'{head}'+'{tail}-{what}'");
    format!(
        "document.title={mark};window.name={mark};\
         localStorage.setItem('{STORAGE_KEY}',{mark});alert({mark})"
    )
}

/// The hostile content: markup that runs script in a page that trusts it.
fn hostile_html() -> String {
    format!(
        "<p>{VISIBLE}</p>\
         <script>{script}</script>\
         <img src=\"x\" onerror=\"{img}\">\
         <a href=\"javascript:{link}\">plain link</a> \
         <a href=\"JaVaScRiPt:{link_case}\">shouting link</a> \
         <a href=\"data:text/html,&lt;script&gt;{data}&lt;/script&gt;\">data link</a>\
         <svg onload=\"{svg}\"><circle r=\"4\"/></svg>\
         <iframe src=\"javascript:{frame}\"></iframe>\
         <form action=\"javascript:{form}\"><button>go</button></form>",
        script = payload_js("script"),
        img = payload_js("img"),
        link = payload_js("link"),
        link_case = payload_js("link-case"),
        data = payload_js("data"),
        svg = payload_js("svg"),
        frame = payload_js("iframe"),
        form = payload_js("form"),
    )
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn create(peer: &FakePeer, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
        "actor": peer.actor(), "object": object
    })
}

#[tokio::test]
async fn hostile_content_runs_no_script() {
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let pages = deliver_hostile_content(&alpha).await;
    super::run_scenario(TEST, &browser, scenario(&alpha, &pages, &browser)).await;
}

/// Puts the hostile items in place and returns the pages that show them.
async fn deliver_hostile_content(alpha: &TestApp) -> Vec<String> {
    let domain = format!("alpha.test:{}", port_of(alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start_with_fields(|_| {
        json!({"name": format!("<img src=x onerror=\"{}\">Peer", payload_js("actor-name")),
               "url": format!("javascript:{}", payload_js("actor-url"))})
    })
    .await;
    let js_url = format!("javascript:{}", payload_js("url"));

    // Ada follows the peer, which accepts: its events are kept here.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let follow = eventually("the Follow at the peer", || async {
        let got = peer.received.lock().unwrap().clone();
        got.into_iter().find(|a| a["type"] == "Follow")
    })
    .await;
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": follow});
    peer.deliver(alpha, &domain, "/inbox", &accept).await;

    // A post mentioning Ada and an event, each also sent with a script as its id (refused).
    let note_id = format!("{}/notes/{}", peer.base, rand_id());
    let note = |id: &str| {
        create(
            &peer,
            json!({
                "id": id, "type": "Note", "attributedTo": peer.actor(),
                "content": hostile_html(), "url": js_url, "to": [PUBLIC], "cc": [ada_uri],
                "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"},
                        {"type": "Mention", "href": js_url, "name": "@evil"}]
            }),
        )
    };
    peer.deliver(alpha, &domain, "/inbox", &note(&js_url)).await;
    peer.deliver(alpha, &domain, "/inbox", &note(&note_id))
        .await;
    let day = |d: i64| {
        (chrono::Utc::now() + chrono::Duration::days(d))
            .format("%Y-%m-%dT10:00:00Z")
            .to_string()
    };
    let event_id = format!("{}/events/{}", peer.base, rand_id());
    let event = |id: &str| {
        create(
            &peer,
            json!({
                "id": id, "type": "Event", "attributedTo": peer.actor(),
                "name": format!("<script>{}</script>Peer meetup", payload_js("event-name")),
                "content": hostile_html(), "startTime": day(10), "endTime": day(11),
                "to": [PUBLIC], "joinMode": "free", "url": js_url,
                "externalParticipationUrl": js_url,
                "location": [{"type": "VirtualLocation", "url": js_url},
                             {"type": "Place", "name": hostile_html()}],
                "attachment": [{"type": "Link", "name": "Website", "href": js_url}]
            }),
        )
    };
    peer.deliver(alpha, &domain, "/inbox", &event(&js_url))
        .await;
    peer.deliver(alpha, &domain, "/inbox", &event(&event_id))
        .await;

    // Ada posts the same as text.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": hostile_html()}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201, "the local post");
    let local: Value = r.json().await.unwrap();

    let thread = format!("/thread?uri={}", encode(&note_id));
    let event_page = format!("/events/remote?uri={}", encode(&event_id));
    let web = signed_in_browser(alpha, "ada").await;
    for path in [&thread, &event_page] {
        eventually(&format!("{path} to show the delivered item"), || async {
            let r = web.get(alpha.url(path)).send().await.unwrap();
            let ok = r.status().is_success() && r.text().await.unwrap().contains(VISIBLE);
            ok.then_some(())
        })
        .await;
    }
    vec![
        "/home".to_string(),
        thread,
        local["link"].as_str().unwrap().to_string(),
        event_page,
        "/events".to_string(),
        "/notifications".to_string(),
    ]
}

/// The hostile items of a page: posts and the event.
const ITEMS: &str = "article.post, #event, .event-card";

async fn scenario(alpha: &TestApp, pages: &[String], b: &Browser) -> Result<()> {
    // Every page carries the policy that forbids inline script.
    let web = signed_in_browser(alpha, "ada").await;
    for path in pages {
        let r = web.get(alpha.url(path)).send().await?;
        ensure!(r.status().is_success(), "{path}: {}", r.status());
        let policy = r
            .headers()
            .get("content-security-policy")
            .with_context(|| format!("{path} has no Content-Security-Policy"))?
            .to_str()?
            .to_string();
        ensure!(
            policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
            "{path}: the policy allows inline script: {policy}"
        );
    }

    b.goto(&alpha.url("/login")).await?;
    b.fill("#login-form #login", "ada").await?;
    b.fill("#login-form #password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_for_text(".account-nav .chip", "@ada").await?;

    let mut clicked = 0;
    for path in pages {
        let url = alpha.url(path);
        b.goto(&url).await?;
        assert_untouched(b, path).await?;
        if *path != "/notifications" && *path != "/events" {
            b.wait_for_text(ITEMS, VISIBLE).await?;
        }
        let links = b.find_all(&items_links()).await?.len();
        for i in 0..links {
            b.goto(&url).await?;
            let all = b.find_all(&items_links()).await?;
            let Some(link) = all.get(i) else {
                bail!("{path}: link {i} of {links} is gone on reload");
            };
            let href = link.attribute("href").await?;
            // A link that cannot be clicked (hidden, covered) is followed from script, as a
            // click would.
            if link.click().await.is_err() {
                b.execute("arguments[0].click()", json!([link.reference()]))
                    .await?;
            }
            clicked += 1;
            assert_untouched(b, &format!("{path} after clicking {href}")).await?;
            // Back on the page: its own storage holds no mark either.
            b.goto(&url).await?;
            assert_untouched(b, &format!("{path} after following {href}")).await?;
        }
    }
    ensure!(clicked > 0, "no link in the hostile items was clicked");
    Ok(())
}

fn items_links() -> String {
    ITEMS
        .split(", ")
        .map(|item| format!("{item} a[href]"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// No dialog is open, and neither the title, the window's name nor the page's storage carries
/// a payload's mark.
async fn assert_untouched(b: &Browser, at: &str) -> Result<()> {
    if let Some(text) = b.dialog_text().await? {
        bail!("{at}: a dialog is open ({text:?}): a payload ran");
    }
    let seen = b
        .execute(
            "let stored = null;
             try { stored = window.localStorage.getItem(arguments[0]); } catch (e) {}
             return [document.title, window.name, stored];",
            json!([STORAGE_KEY]),
        )
        .await?;
    let marked = |i: usize| seen[i].as_str().is_some_and(|s| s.contains(MARK));
    ensure!(
        !marked(0) && !marked(1) && seen[2].is_null(),
        "{at}: a payload ran: {seen}"
    );
    Ok(())
}
