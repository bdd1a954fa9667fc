//! Hostile input at the web boundary: image bombs, pages' security headers, redirect targets,
//! sign-in guessing (in parallel, across accounts, through proxies), the API's CSRF check,
//! `/metrics` and file names.

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, csrf_from, TestApp, ADMIN_PASSWORD, PASSWORD};

/// Sends every request at once and collects the answers in order.
async fn send_all(requests: impl IntoIterator<Item = RequestBuilder>) -> Vec<Response> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| tokio::spawn(r.send()))
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("request task").expect("request"));
    }
    answers
}

// --- images ---------------------------------------------------------------------------------

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A small PNG whose header claims `w`×`h` pixels, with a correct checksum, as a decompression
/// bomb declares itself: a few hundred bytes that would decode to gigabytes.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut data = png(8, 8);
    data[16..20].copy_from_slice(&w.to_be_bytes());
    data[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&data[12..29]);
    data[29..33].copy_from_slice(&crc.to_be_bytes());
    data
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn avatar_upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> RequestBuilder {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("me.png");
    app.api
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
}

async fn put_avatar(app: &TestApp, token: &str, bytes: Vec<u8>) -> Response {
    avatar_upload(app, token, bytes).send().await.unwrap()
}

#[tokio::test]
async fn image_bombs_are_refused_from_their_header() {
    let (app, admin) = TestApp::spawn_set_up().await;
    // The header says what decoding would cost: each is refused with a message, not decoded.
    for (w, h) in [(8000, 8000), (6400, 6400), (12_001, 100), (100, 100_000)] {
        let bomb = png_claiming(w, h);
        assert!(bomb.len() < 1024);
        let r = put_avatar(&app, &admin, bomb).await;
        let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
        assert!(body.to_string().contains("megapixels"), "{w}×{h}: {body}");
    }
    // Six at once, as the finding sent them: all refused.
    let answers =
        send_all((0..6).map(|_| avatar_upload(&app, &admin, png_claiming(8000, 8000)))).await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A header within the limits over data that is not there is refused too, as unreadable.
    let r = put_avatar(&app, &admin, png_claiming(2000, 2000)).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    let me: Value = app
        .get(Some(&admin), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert!(me["avatar_url"].is_null(), "{me}");

    // A normal picture still works, several at once too.
    let answers = send_all((0..4).map(|_| avatar_upload(&app, &admin, png(640, 480)))).await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::OK);
    }
    let me: Value = app
        .get(Some(&admin), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    let img = app.get(None, me["avatar_url"].as_str().unwrap()).await;
    assert_eq!(img.status(), StatusCode::OK);
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));
}

// --- pages ----------------------------------------------------------------------------------

async fn signed_in_browser(app: &TestApp, login: &str, password: &str) -> Client {
    app.signed_in(login, password).await
}

/// Asserts the headers of a page and that its markup needs no inline script or style.
async fn assert_page_headers(r: Response, what: &str) {
    let h = r.headers().clone();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap()
        .to_string();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    assert!(
        h["content-type"].to_str().unwrap().starts_with("text/html"),
        "{what}"
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains(" style="), "{what} has an inline style");
    // The one script is the site's own file, from this origin; no inline script.
    let site_script = "<script src=\"/static/site.js\" defer></script>";
    assert!(
        !html.replace(site_script, "").contains("<script"),
        "{what} has an inline or foreign script"
    );
    assert!(!has_event_handler(&html), "{what} has an event handler");
}

/// Whether markup has an `on…=` attribute (inline script the policy would block).
fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name_len = rest.bytes().take_while(|b| b.is_ascii_lowercase()).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    app.member("ada").await;
    let anonymous = app.browser();
    for path in [
        "/",
        "/login",
        "/signup",
        "/members",
        "/members/ada",
        "/companies",
        "/events",
        "/no/such/page",
        "/members/nobody",
    ] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_page_headers(r, path).await;
    }
    // A form without its CSRF token: a 403 page.
    let r = anonymous
        .post(app.url("/login"))
        .form(&[("login", "ada"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_page_headers(r, "403 page").await;

    let boss = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;
    for path in [
        "/",
        "/settings/profile",
        "/admin",
        "/admin/domains",
        "/network",
        "/directory",
        "/notifications",
        "/companies/new",
        "/members/boss",
        "/no/such/page",
    ] {
        let r = boss.get(app.url(path)).send().await.unwrap();
        assert!(
            r.status() == StatusCode::OK || r.status() == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status()
        );
        assert_page_headers(r, path).await;
    }
    // A page form with an error shown again (422).
    let html = boss
        .get(app.url("/companies/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let r = boss
        .post(app.url("/companies/new"))
        .form(&[("csrf", csrf.as_str()), ("handle", "!"), ("name", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_page_headers(r, "422 page").await;

    // Everything else gets nosniff and the referrer policy; no page policy where none is needed.
    for path in [
        "/api/v1/space",
        "/static/style.css",
        "/healthz",
        "/api/v1/nothing",
    ] {
        let r = app.get(None, path).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers()["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn next_accepts_only_local_paths() {
    let (app, _) = TestApp::spawn_set_up().await;
    let hostile = [
        "/%09/evil.example/x",
        "/%0A/evil.example/x",
        "/%0D%0A/evil.example",
        "/%20/evil.example",
        "/%E2%80%AE/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "/%2F/evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/a%5Cb",
        "/%00",
    ];
    // Signed in, the sign-in page sends the browser on at once.
    let boss = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;
    for next in hostile {
        let r = boss
            .get(app.url(&format!("/login?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    let r = boss
        .get(app.url("/login?next=/companies%3Fq%3Dx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/companies?q=x");

    // Signing in with the form: the hidden field is checked again.
    let browser = app.browser();
    let html = browser
        .get(app.url("/login?next=%2F%09%2Fevil.example%2Fx"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("evil.example"), "the page kept the target");
    let csrf = csrf_from(&html);
    for next in [
        "/\t/evil.example/x",
        "/\\evil.example",
        "//evil.example",
        "/ok",
    ] {
        let r = browser
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "boss"),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        let expected = if next == "/ok" { "/ok" } else { "/" };
        assert_eq!(r.headers()["location"], expected, "{next:?}");
    }
}

// --- sign-in --------------------------------------------------------------------------------

fn sign_in_request(
    app: &TestApp,
    login: &str,
    password: &str,
    forwarded: Option<&str>,
) -> RequestBuilder {
    let r = app
        .api
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"login": login, "password": password}));
    match forwarded {
        Some(f) => r.header("x-forwarded-for", f),
        None => r,
    }
}

async fn api_sign_in(
    app: &TestApp,
    login: &str,
    password: &str,
    forwarded: Option<&str>,
) -> Response {
    sign_in_request(app, login, password, forwarded)
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &Response) -> u64 {
    r.headers()
        .get("retry-after")
        .expect("a 429 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn parallel_guesses_get_no_more_checks_than_the_limit() {
    let (app, _) = TestApp::spawn_set_up().await;
    // 60 wrong passwords at once for one account: every attempt is counted before its check, so
    // at most the limit (5) are checked; the rest are refused without a check.
    let answers =
        send_all((0..60).map(|i| sign_in_request(&app, "boss", &format!("guess {i}"), None))).await;
    let mut checked = 0;
    for r in &answers {
        match r.status() {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after(r);
                assert!(wait > 0 && wait <= 900, "{wait}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked"
    );
    // The account is closed to the right password too, until the window passes.
    let r = api_sign_in(&app, "boss", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) > 0);
    // Named by e-mail it is the same account.
    let r = api_sign_in(&app, "boss@example.org", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn one_address_is_throttled_across_accounts_on_the_api_and_the_page() {
    let (app, admin) = TestApp::spawn_set_up_with(&[("GUILDHALL_LOGIN_ATTEMPTS", "3")]).await;
    app.open_registration(&admin).await;
    app.member("ada").await;
    // Successful sign-ins (admin, ada above) do not count against the address.
    for login in ["nobody", "ada", "someone"] {
        let r = api_sign_in(&app, login, "wrong guess", None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{login}");
    }
    // Three failures from this address, each for another account: the address is closed.
    let r = api_sign_in(&app, "boss", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) > 0);

    // The sign-in page says so too, as a page, with Retry-After.
    let r = app.submit_sign_in(&app.browser(), "ada", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) > 0);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("try again"));
}

#[tokio::test]
async fn sign_in_page_guesses_are_throttled_in_parallel() {
    let (app, _) = TestApp::spawn_set_up_with(&[("GUILDHALL_LOGIN_ATTEMPTS", "4")]).await;
    let browser = app.browser();
    let html = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let answers = send_all((0..30).map(|i| {
        browser.post(app.url("/login")).form(&[
            ("csrf", csrf.as_str()),
            ("login", "boss"),
            ("password", format!("guess {i}").as_str()),
        ])
    }))
    .await;
    let checked = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(checked + refused.len(), 30);
    assert!(
        (1..=4).contains(&checked),
        "{checked} passwords were checked"
    );
    for r in refused {
        assert!(retry_after(r) > 0);
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // No trusted proxy: the header is the client's to invent, so it is ignored and every guess
    // counts against the socket's address.
    let (app, _) = TestApp::spawn_set_up_with(&[("GUILDHALL_LOGIN_ATTEMPTS", "3")]).await;
    for i in 0..3 {
        let spoofed = format!("203.0.113.{i}");
        let r = api_sign_in(&app, &format!("user{i}"), "guess", Some(&spoofed)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = api_sign_in(&app, "boss", ADMIN_PASSWORD, Some("198.51.100.77")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // Behind a trusted proxy (loopback here) the forwarded address is the client.
    let (app, _) = TestApp::spawn_set_up_with(&[
        ("GUILDHALL_LOGIN_ATTEMPTS", "3"),
        ("GUILDHALL_TRUSTED_PROXIES", "127.0.0.0/8, ::1"),
    ])
    .await;
    for i in 0..3 {
        // The client put its own invention first; the proxy appended what it saw.
        let chain = format!("192.0.2.{i}, 203.0.113.5");
        let r = api_sign_in(&app, &format!("user{i}"), "guess", Some(&chain)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = api_sign_in(&app, "boss", ADMIN_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the guesser");
    // Another visitor behind the same proxy is not locked out.
    let r = api_sign_in(&app, "boss", ADMIN_PASSWORD, Some("203.0.113.6")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "another visitor");
    let r = app
        .api
        .post(app.url("/api/v1/tokens"))
        .header("forwarded", "for=\"203.0.113.5:4711\";proto=https")
        .json(&json!({"login": "boss", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "Forwarded");
}

// --- the API's CSRF check, /metrics ---------------------------------------------------------

#[tokio::test]
async fn cookie_sessions_on_the_api_need_the_csrf_token() {
    let (app, admin) = TestApp::spawn_set_up().await;
    let browser = signed_in_browser(&app, "boss", ADMIN_PASSWORD).await;
    let html = browser
        .get(app.url("/settings/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let patch = |name: &str| json!({"display_name": name});

    // The session cookie alone, as a forged cross-site request would carry it: refused.
    let r = browser
        .patch(app.url("/api/v1/me"))
        .json(&patch("Forged"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    let r = browser
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", "A".repeat(43))
        .json(&patch("Forged"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::FORBIDDEN, None).await;
    // With the page's token: allowed.
    let r = browser
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", &csrf)
        .json(&patch("With token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A bearer token carries no ambient authority and needs none.
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&admin),
            "/api/v1/me",
            &patch("Bearer"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = app
        .get(Some(&admin), "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "Bearer");
}

#[tokio::test]
async fn metrics_open_to_loopback_or_the_token() {
    let (app, _) = TestApp::spawn_set_up().await;
    let r = app.get(None, "/metrics").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("guildhall_members"));
    // Through a reverse proxy on this machine the peer is loopback, but the request is not.
    let r = app
        .api
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let secret = "metrics secret 0123456789";
    let (app, _) = TestApp::spawn_set_up_with(&[("GUILDHALL_METRICS_TOKEN", secret)]).await;
    assert_eq!(
        app.get(None, "/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(Some("metrics secret 0123456788"), "/metrics")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app.get(Some(secret), "/metrics").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("guildhall_members"));
}

// --- file names -----------------------------------------------------------------------------

#[tokio::test]
async fn file_names_lose_direction_overrides_and_paths() {
    let (app, admin) = TestApp::spawn_set_up().await;
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Built by hand: browsers send the name as raw UTF-8, which is what an attacker controls.
    for (sent, kept) in [
        ("invoice\u{202E}txt.exe\u{2069}.txt", "invoicetxt.exe.txt"),
        ("..\\..\\notes\u{2066}.txt", "notes.txt"),
        ("/etc/\u{200F}plan.txt", "plan.txt"),
    ] {
        let boundary = "hostileboundary7";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{sent}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(b"hello\r\n");
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = app
            .api
            .post(app.url("/api/v1/projects/boat/files"))
            .bearer_auth(&admin)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{sent:?}");
        let file: Value = r.json().await.unwrap();
        assert_eq!(file["name"], kept, "{sent:?}");
    }
}
