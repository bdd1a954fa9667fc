//! The federated directory: what a space publishes (shape, cursor, removals), search (full
//! text with hostile syntax, facets, bad input), pulling a peer's directory with its bounds
//! and rejections, and a few thousand entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::federation::{assert_terms_defined, eventually, port_of, AS_JSON};
use crate::support::{ahead, assert_error, fresh_database, Instance, TestApp};

async fn as2(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = app
        .api
        .get(app.url(path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The path and query of one of our own URLs.
fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) {
    let r = app.send_json(Method::PATCH, Some(token), path, &body).await;
    assert_eq!(r.status(), StatusCode::OK, "PATCH {path}");
}

async fn company(app: &TestApp, token: &str, body: Value) {
    let r = app.post_json(Some(token), "/api/v1/companies", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
}

async fn search(app: &TestApp, query: &str) -> Value {
    let r = app.get(None, &format!("/api/v1/directory?{query}")).await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    r.json().await.unwrap()
}

/// Our own URLs as the space names them (its configured domain, not the test's address).
fn own(path: &str) -> String {
    format!("http://localhost:8080{path}")
}

fn names(results: &Value) -> Vec<String> {
    results["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn publishes_listed_entries_by_change_with_tombstones() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    patch(
        &app,
        &ada,
        "/api/v1/me",
        json!({"display_name": "Ada Moreira", "discoverable": true, "skills": ["Rust", "PostgreSQL"]}),
    )
    .await;
    // Bob never asks to be listed.
    let bob = app.member("bob").await;
    patch(&app, &bob, "/api/v1/me", json!({"bio": "Private person"})).await;
    company(
        &app,
        &ada,
        json!({"handle": "tidewater", "name": "Tidewater Labs", "skills": ["Rust"], "industry": "Software", "city": "Lisbon", "country": "PT", "hiring": true}),
    )
    .await;

    let (status, collection) = as2(&app, "/directory").await;
    assert_eq!(status, StatusCode::OK);
    assert_terms_defined(&collection);
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["id"], own("/directory"));
    assert_eq!(collection["totalItems"], 3, "{collection}");
    let (_, page) = as2(&app, &path_of(collection["first"].as_str().unwrap())).await;
    assert_terms_defined(&page);
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["partOf"], own("/directory"));
    let items = page["orderedItems"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![own("/"), own("/members/ada"), own("/companies/tidewater")],
        "the space, listed members and companies, by change"
    );
    assert!(
        !page.to_string().contains("/members/bob"),
        "bob is not listed"
    );
    let tide = &items[2];
    assert_eq!(tide["type"], "Organization");
    assert_eq!(tide["directoryKind"], "company");
    assert_eq!(tide["preferredUsername"], "tidewater");
    assert_eq!(tide["skills"], json!(["Rust"]));
    assert_eq!(tide["city"], "Lisbon");
    assert_eq!(tide["country"], "PT");
    assert_eq!(tide["hiring"], true);
    assert_eq!(tide["indexable"], true);
    assert_eq!(items[1]["type"], "Person");
    assert_eq!(items[1]["spaceName"], "Harbour Works");
    assert_eq!(items[0]["directoryKind"], "space");

    // Caught up: the next page is empty and has no next.
    let next = path_of(page["next"].as_str().unwrap());
    let (_, empty) = as2(&app, &next).await;
    assert_eq!(empty["orderedItems"], json!([]));
    assert!(empty.get("next").is_none());

    // The company opts out and ada deletes her account: both come back as tombstones, and
    // only they.
    patch(
        &app,
        &ada,
        "/api/v1/companies/tidewater",
        json!({"discoverable": false}),
    )
    .await;
    patch(&app, &ada, "/api/v1/me", json!({"discoverable": false})).await;
    let (_, changes) = as2(&app, &next).await;
    let items = changes["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{changes}");
    assert_eq!(items[0]["id"], own("/companies/tidewater"));
    assert_eq!(items[0]["type"], "Tombstone");
    assert_eq!(items[0]["formerType"], "Organization");
    assert!(items[0]["deleted"].is_string());
    assert!(items[0].get("name").is_none(), "nothing of it is left");
    assert_eq!(items[1]["type"], "Tombstone");
    assert_eq!(items[1]["formerType"], "Person");
    let (_, collection) = as2(&app, "/directory").await;
    assert_eq!(collection["totalItems"], 1);

    // Opting in again brings the company back, as a change after the tombstones.
    patch(
        &app,
        &ada,
        "/api/v1/companies/tidewater",
        json!({"discoverable": true}),
    )
    .await;
    let after = path_of(changes["next"].as_str().unwrap());
    let (_, back) = as2(&app, &after).await;
    assert_eq!(back["orderedItems"][0]["type"], "Organization");

    // Cursors are ours or refused; pages are bounded.
    let (status, _) = as2(&app, "/directory?after=not-a-cursor").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = as2(&app, "/directory?after=Z2gxOjA&limit=100000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, one) = as2(&app, "/directory?after=Z2gxOjA&limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["orderedItems"].as_array().unwrap().len(), 1);

    // The administrator stops publishing: everything becomes a tombstone.
    let browser = app.browser();
    let login = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::support::csrf_from(&login).as_str()),
            ("login", "boss"),
            ("password", crate::support::ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let html = browser
        .get(app.url("/admin/peers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Known spaces"));
    let csrf = crate::support::csrf_from(&html);
    let r = browser
        .post(app.url("/admin/directory"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let (_, collection) = as2(&app, "/directory").await;
    assert_eq!(collection["totalItems"], 0);
}

#[tokio::test]
async fn search_full_text_facets_and_hostile_queries() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    company(
        &app,
        &ada,
        json!({"handle": "tidewater", "name": "Tidewater Labs", "description": "Rust consulting by the river.", "skills": ["Rust", "PostgreSQL"], "industry": "Software", "city": "Lisbon", "country": "PT", "hiring": true}),
    )
    .await;
    company(
        &app,
        &ada,
        json!({"handle": "quay", "name": "Quay Studio", "description": "Print and web design.", "skills": ["Design", "Print"], "industry": "Design", "city": "Porto", "country": "PT", "open_to_collaborate": true}),
    )
    .await;
    company(
        &app,
        &ada,
        json!({"handle": "rustbelt", "name": "Rustbelt Analytics", "description": "Data pipelines.", "skills": ["Python"], "industry": "Software", "city": "Berlin", "country": "DE"}),
    )
    .await;
    company(
        &app,
        &ada,
        json!({"handle": "hidden", "name": "Hidden Rust Co", "skills": ["Rust"], "discoverable": false}),
    )
    .await;

    // Free text: whole words and prefixes, in any field.
    let r = search(&app, "q=rust").await;
    let mut found = names(&r);
    found.sort();
    assert_eq!(found, vec!["Rustbelt Analytics", "Tidewater Labs"], "{r}");
    let r = search(&app, "q=Rust%20Lisbon").await;
    assert_eq!(names(&r), vec!["Tidewater Labs"]);
    assert_eq!(r["entries"][0]["link"], "/companies/tidewater");
    // Facet filters, alone and together.
    let r = search(&app, "skill=rust&city=lisbon").await;
    assert_eq!(names(&r), vec!["Tidewater Labs"]);
    let r = search(&app, "kind=company&country=pt&collaborate=true").await;
    assert_eq!(names(&r), vec!["Quay Studio"]);
    let r = search(&app, "industry=Software&hiring=1").await;
    assert_eq!(names(&r), vec!["Tidewater Labs"]);
    // Counts: each facet ignores its own filter.
    let r = search(&app, "kind=company&city=Lisbon").await;
    let cities: Vec<(String, i64)> = r["facets"]["city"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().into(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(cities.contains(&("Lisbon".into(), 1)), "{cities:?}");
    assert!(cities.contains(&("Porto".into(), 1)), "{cities:?}");
    assert!(cities.contains(&("Berlin".into(), 1)), "{cities:?}");
    let r = search(&app, "").await;
    assert_eq!(r["total"], 4, "the space and three companies: {r}");
    let kinds = r["facets"]["kind"].as_array().unwrap();
    assert!(kinds
        .iter()
        .any(|k| k["value"] == "company" && k["count"] == 3));
    assert!(kinds
        .iter()
        .any(|k| k["value"] == "space" && k["count"] == 1));
    let skills = r["facets"]["skill"].as_array().unwrap();
    assert!(skills
        .iter()
        .any(|s| s["value"] == "rust" && s["label"] == "Rust" && s["count"] == 1));
    assert_eq!(r["facets"]["hiring"], 1);
    assert!(!r.to_string().contains("Hidden Rust"), "not discoverable");

    // Whatever full-text syntax users type is only words.
    for q in [
        "\"rust",
        "rust OR NOT",
        "rust*",
        "(rust",
        "NEAR(rust lisbon)",
        "rust:* & !x | y",
        "'; DROP TABLE directory_entries; --",
        "^rust -lisbon +x {a b}",
        "name:rust",
        "\\\\",
        "***",
        "ü ß 日本",
        "rust \u{0345} \u{093E}",
        "\u{0345}",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let r = app
            .get(None, &format!("/api/v1/directory?q={encoded}"))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{q}");
        let page = app.get(None, &format!("/directory?q={encoded}")).await;
        assert_eq!(page.status(), StatusCode::OK, "page for {q}");
    }
    let r = search(&app, "q=%22rust%22%20%28lisbon%29%20-").await;
    assert_eq!(names(&r), vec!["Tidewater Labs"], "both words, as words");

    // Bad input is a clear 422.
    let huge = "rust ".repeat(100);
    let r = app.get(None, &format!("/api/v1/directory?q={huge}")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("q")).await;
    let r = app
        .get(
            None,
            "/api/v1/directory?q=a%20b%20c%20d%20e%20f%20g%20h%20i%20j%20k%20l%20m",
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("q")).await;
    for (query, field) in [
        ("kind=robot", "kind"),
        ("hiring=maybe", "hiring"),
        ("page=0", "page"),
        ("from=yesterday", "from"),
        ("from=2026-12-02&to=2026-12-01", "to"),
        ("country=Portugal", "country"),
    ] {
        let r = app.get(None, &format!("/api/v1/directory?{query}")).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let page = app.get(None, "/directory?kind=robot").await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The page: results, facet counts and filters.
    let html = app
        .get(None, "/directory?q=rust&city=Lisbon")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tidewater Labs"));
    assert!(!html.contains("Rustbelt Analytics"));
    assert!(html.contains("id=\"facet-city\""));
    // An address of this space resolves to its entry.
    let uri = search(&app, "q=tidewater").await["entries"][0]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let encoded: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
    let r = search(&app, &format!("q={encoded}")).await;
    assert_eq!(r["resolved"]["name"], "Tidewater Labs", "{r}");
}

/// A peer that serves whatever documents the test puts at each path and query.
struct FakeDirectory {
    base: String,
    domain: String,
    docs: Arc<Mutex<HashMap<String, Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeDirectory {
    async fn start() -> FakeDirectory {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let domain = format!("beta.test:{port}");
        let base = format!("http://{domain}");
        let docs: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let served = docs.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let served = served.clone();
            async move {
                let key = uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                match served.lock().unwrap().get(&key) {
                    Some(v) => axum::response::IntoResponse::into_response(axum::Json(v.clone())),
                    None => axum::response::IntoResponse::into_response(
                        axum::http::StatusCode::NOT_FOUND,
                    ),
                }
            }
        });
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let fake = FakeDirectory {
            base,
            domain,
            docs,
            _server: server,
        };
        fake.put(
            "/.well-known/nodeinfo",
            json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/nodeinfo/2.1", fake.base)}]}),
        );
        fake.put(
            "/nodeinfo/2.1",
            json!({"version": "2.1", "software": {"name": "guildhall", "version": "0.1.0"},
                   "usage": {"users": {"total": 7}},
                   "metadata": {"nodeName": "Beta <b>Space</b>", "directory": format!("{}/directory", fake.base)}}),
        );
        fake.put(
            "/directory",
            json!({"type": "OrderedCollection", "id": format!("{}/directory", fake.base), "first": format!("{}/directory?after=p0", fake.base)}),
        );
        fake
    }

    fn put(&self, path: &str, doc: Value) {
        self.docs.lock().unwrap().insert(path.to_string(), doc);
    }

    fn remove(&self, path: &str) {
        self.docs.lock().unwrap().remove(path);
    }

    fn page(&self, after: &str, items: Vec<Value>, next: Option<&str>) {
        let mut doc = json!({"type": "OrderedCollectionPage", "id": format!("{}/directory?after={after}", self.base), "orderedItems": items});
        if let Some(n) = next {
            doc["next"] = json!(format!("{}/directory?after={n}", self.base));
        }
        self.put(&format!("/directory?after={after}"), doc);
    }

    fn company(&self, handle: &str, name: &str) -> Value {
        json!({"id": format!("{}/companies/{handle}", self.base), "type": "Organization",
               "directoryKind": "company", "preferredUsername": handle, "name": name,
               "summary": "<p>Rust <script>alert(1)</script>consulting</p>", "skills": ["Rust", "Go"],
               "industry": "Software", "city": "Lisbon", "country": "PT", "hiring": true,
               "spaceName": "Beta Space", "discoverable": true, "indexable": true})
    }
}

async fn peer_state(app: &TestApp, admin: &str, domain: &str) -> Value {
    let peers: Value = app
        .get(Some(admin), "/api/v1/peers")
        .await
        .json()
        .await
        .unwrap();
    peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["domain"] == domain)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn pulls_a_peer_incrementally_and_rejects_what_is_wrong() {
    let (app, admin) =
        TestApp::spawn_named_with("alpha", &[("GUILDHALL_DIRECTORY_SYNC_SECS", "1")]).await;
    let fake = FakeDirectory::start().await;
    let b = fake.base.clone();
    fake.page(
        "p0",
        vec![
            fake.company("acme", "Acme Rust"),
            // Claims another server.
            json!({"id": format!("http://gamma.test:{}/companies/evil", port_of(&app)), "type": "Organization", "name": "Evil Rust", "discoverable": true}),
            // Wrong types.
            json!({"id": format!("{b}/companies/odd"), "type": "Organization", "name": "Odd Rust", "skills": "Rust", "discoverable": true}),
            json!({"id": format!("{b}/companies/odd2"), "type": "Organization", "name": "Odd Rust Two", "hiring": "yes", "discoverable": true}),
            json!({"id": format!("{b}/notes/1"), "type": "Note", "content": "Rust", "discoverable": true}),
            json!("just a string"),
            // Not asking to be listed.
            json!({"id": format!("{b}/members/shy"), "type": "Person", "name": "Shy Rust", "discoverable": false}),
        ],
        Some("p1"),
    );
    fake.page("p1", vec![], None);

    // Peers: validation, then the real one.
    for bad in ["", "not a domain", "ada@beta.test", "alpha.test:0x"] {
        let r = app
            .post_json(Some(&admin), "/api/v1/peers", &json!({"domain": bad}))
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("domain")).await;
    }
    let member = {
        let r = app
            .post_json(None, "/api/v1/accounts", &json!({"handle": "mia", "email": "mia@example.org", "password": crate::support::PASSWORD}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        app.token("mia", crate::support::PASSWORD).await
    };
    let r = app
        .post_json(
            Some(&member),
            "/api/v1/peers",
            &json!({"domain": fake.domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "administrators only");
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/peers",
            &json!({"domain": fake.domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let found = eventually("the peer's company", || async {
        let r = search(&app, "q=acme").await;
        (r["total"] == 1).then_some(r)
    })
    .await;
    let acme = &found["entries"][0];
    assert_eq!(acme["origin"], fake.domain);
    assert_eq!(acme["city"], "Lisbon");
    assert_eq!(acme["summary"], "Rust consulting");
    assert_eq!(acme["space_name"], "Beta Space");
    assert_eq!(acme["local"], false);
    let link = acme["link"].as_str().unwrap().to_string();
    assert!(link.starts_with("/directory/entry?uri="));
    let page = app.get(None, &link).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Acme Rust") && html.contains(&format!("{b}/companies/acme")));
    assert!(!html.contains("<script>alert"));
    let r = search(&app, "q=rust").await;
    assert_eq!(
        names(&r),
        vec!["Acme Rust"],
        "nothing rejected was stored: {r}"
    );
    let peer = eventually("the peer's state", || async {
        let p = peer_state(&app, &admin, &fake.domain).await;
        (p["state"] == "ok").then_some(p)
    })
    .await;
    assert_eq!(peer["software"], "guildhall");
    assert_eq!(peer["users"], 7);
    assert_eq!(peer["name"], "Beta Space");
    assert_eq!(peer["entries"], 1);
    // Facets cover remote entries: by space and skill.
    let r = search(&app, &format!("space={}&skill=go", fake.domain)).await;
    assert_eq!(names(&r), vec!["Acme Rust"]);

    // Next round, from the saved cursor: a removal, a new entry, then a cursor that loops.
    fake.page(
        "p1",
        vec![
            json!({"id": format!("{b}/companies/acme"), "type": "Tombstone", "formerType": "Organization"}),
            json!({"id": format!("{b}/members/ida"), "type": "Person", "name": "Ida Loop", "preferredUsername": "ida", "discoverable": true}),
        ],
        Some("p2"),
    );
    fake.page("p2", vec![fake.company("loop1", "Loop One")], Some("p3"));
    fake.page("p3", vec![fake.company("loop2", "Loop Two")], Some("p2"));
    let r = app
        .post_json(Some(&admin), "/api/v1/peers/sync", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually("the removal and the new entries", || async {
        let gone = search(&app, "q=acme").await["total"] == 0;
        let ida = search(&app, "q=ida").await["total"] == 1;
        let loops = search(&app, "q=loop").await["total"] == 3;
        (gone && ida && loops).then_some(())
    })
    .await;

    // A huge page is refused whole; what was there stays.
    let many: Vec<Value> = (0..501)
        .map(|i| fake.company(&format!("c{i}"), &format!("Bulk {i}")))
        .collect();
    fake.page("p2", many.clone(), None);
    fake.page("p3", many, None);
    let r = app
        .post_json(Some(&admin), "/api/v1/peers/sync", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let peer = eventually("the refusal", || async {
        let p = peer_state(&app, &admin, &fake.domain).await;
        (p["state"] == "error").then_some(p)
    })
    .await;
    assert!(
        peer["last_error"].as_str().unwrap().contains("more than"),
        "{peer}"
    );
    assert_eq!(search(&app, "q=bulk").await["total"], 0);
    assert_eq!(search(&app, "q=ida").await["total"], 1);

    // The peer forgets the saved cursor (404): the next round reads its directory from the start.
    fake.remove("/directory?after=p2");
    let r = app
        .post_json(Some(&admin), "/api/v1/peers/sync", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually("the refused cursor", || async {
        let p = peer_state(&app, &admin, &fake.domain).await;
        p["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("404"))
            .then_some(())
    })
    .await;
    fake.page("p2", vec![], None);
    let r = app
        .post_json(Some(&admin), "/api/v1/peers/sync", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually("a pull from the start", || async {
        let p = peer_state(&app, &admin, &fake.domain).await;
        (p["state"] == "ok").then_some(())
    })
    .await;
    assert_eq!(
        search(&app, "q=acme").await["total"],
        0,
        "its tombstone read again"
    );
    assert_eq!(search(&app, "q=ida").await["total"], 1);

    // Silencing the domain hides its entries from search and pages; they stay stored.
    let ida_link = search(&app, "q=ida").await["entries"][0]["link"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/domains",
            &json!({"domain": "beta.test", "policy": "silence"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(search(&app, "q=ida").await["total"], 0);
    assert_eq!(
        app.get(None, &ida_link).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = app
        .send_json(
            Method::DELETE,
            Some(&admin),
            "/api/v1/admin/domains/beta.test",
            &json!({}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(search(&app, "q=ida").await["total"], 1);
    // In allowlist mode only allowed domains show (and this space's own entries).
    let r = app
        .send_json(
            Method::PUT,
            Some(&admin),
            "/api/v1/admin/federation",
            &json!({"mode": "allowlist"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(search(&app, "q=ida").await["total"], 0);
    assert_eq!(
        search(&app, "kind=space").await["total"],
        1,
        "our own space"
    );
    let r = app
        .send_json(
            Method::PUT,
            Some(&admin),
            "/api/v1/admin/federation",
            &json!({"mode": "open"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(search(&app, "q=ida").await["total"], 1);

    // Blocking the peer's domain removes its entries at once.
    let r = app
        .post_json(
            Some(&admin),
            "/api/v1/admin/domains",
            &json!({"domain": "beta.test", "policy": "block"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(search(&app, "q=ida").await["total"], 0);
    assert_eq!(search(&app, "q=loop").await["total"], 0);

    // Removing the peer is the administrator's too.
    let r = app
        .send_json(
            Method::DELETE,
            Some(&admin),
            &format!("/api/v1/peers/{}", fake.domain),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(peer_state(&app, &admin, &fake.domain).await, Value::Null);
}

#[tokio::test]
async fn a_few_thousand_entries() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    let instance = Instance::start(&url, &[]).await;
    let app = &instance.app;
    app.set_up_space(json!({"name": "Load Space"})).await;
    let summary = guildhall::admin::directory::seed_directory(&instance.state.db, 3000)
        .await
        .unwrap();
    assert!(summary.starts_with("3000 synthetic"), "{summary}");

    let all = search(app, "").await;
    assert_eq!(all["total"], 3001, "and the space itself");
    assert_eq!(all["entries"].as_array().unwrap().len(), 20);
    let kinds: i64 = all["facets"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["count"].as_i64().unwrap())
        .sum();
    assert_eq!(kinds, 3001);
    // Filters narrow and agree with their counts.
    let lisbon_count = all["facets"]["city"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "lisbon")
        .map(|c| c["count"].as_i64().unwrap())
        .unwrap();
    let lisbon = search(app, "city=Lisbon").await;
    assert_eq!(lisbon["total"].as_i64().unwrap(), lisbon_count);
    let rust = search(app, "q=rust&kind=company&city=Lisbon").await;
    let total = rust["total"].as_i64().unwrap();
    assert!(
        total > 0 && total < lisbon_count,
        "{total} of {lisbon_count}"
    );
    for e in rust["entries"].as_array().unwrap() {
        assert_eq!(e["kind"], "company");
        assert_eq!(e["city"], "Lisbon");
        let text = e.to_string().to_lowercase();
        assert!(text.contains("rust"), "{e}");
    }
    // Paging walks every result once.
    let pages = (total + 19) / 20;
    let mut seen = std::collections::HashSet::new();
    for p in 1..=pages {
        let r = search(app, &format!("q=rust&kind=company&city=Lisbon&page={p}")).await;
        for e in r["entries"].as_array().unwrap() {
            assert!(seen.insert(e["uri"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(seen.len() as i64, total);
    let events = search(app, "kind=event&from=2000-01-01&to=2999-12-31").await;
    assert!(events["total"].as_i64().unwrap() > 0);
    let none = search(app, "kind=event&from=2000-01-01&to=2000-01-02").await;
    assert_eq!(none["total"], 0);
    instance.stop().await;
}

#[tokio::test]
async fn pushed_updates_and_deletes_reach_entries_between_pulls() {
    // Alpha pulls rarely, so what changes below arrives by push only.
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, beta_admin) =
        TestApp::spawn_named_with("beta", &[("GUILDHALL_DIRECTORY_SYNC_SECS", "3600")]).await;
    let ada = alpha.member("ada").await;
    company(
        &alpha,
        &ada,
        json!({"handle": "tidewater", "name": "Tidewater Labs", "skills": ["Rust"], "city": "Lisbon", "country": "PT"}),
    )
    .await;
    let company_uri = format!("http://alpha.test:{}/companies/tidewater", port_of(&alpha));
    let bob = beta.member("bob").await;
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": company_uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Following made alpha known to beta; the administrator's adding makes it a peer of theirs.
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let known = peer_state(&beta, &beta_admin, &alpha_domain).await;
    assert_eq!(known["source"], "follow", "{known}");
    let r = beta
        .post_json(
            Some(&beta_admin),
            "/api/v1/peers",
            &json!({"domain": alpha_domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "already known");
    eventually("the first pull", || async {
        let r = search(&beta, "q=tidewater").await;
        (r["total"] == 1).then_some(())
    })
    .await;
    // Alpha's company is followed by bob once the Accept is in.
    eventually("the accepted follow", || async {
        let list: Value = beta
            .get(Some(&bob), "/api/v1/following")
            .await
            .json()
            .await
            .ok()?;
        (list["items"][0]["state"] == "accepted").then_some(())
    })
    .await;

    // An edit is pushed to followers as Update; beta's entry follows it.
    patch(
        &alpha,
        &ada,
        "/api/v1/companies/tidewater",
        json!({"skills": ["Rust", "Elixir"], "name": "Tidewater Collective"}),
    )
    .await;
    let r = eventually("the pushed update", || async {
        let r = search(&beta, "skill=elixir").await;
        (r["total"] == 1).then_some(r)
    })
    .await;
    assert_eq!(r["entries"][0]["name"], "Tidewater Collective");
    assert_eq!(r["entries"][0]["city"], "Lisbon", "kept from the directory");

    // The company is deleted: the pushed Delete removes the entry.
    let r = alpha
        .send_json(
            Method::DELETE,
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the pushed delete", || async {
        let r = search(&beta, "q=tidewater").await;
        (r["total"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn peers_of_peers_are_followed_one_hop() {
    let sync = [("GUILDHALL_DIRECTORY_SYNC_SECS", "1")];
    let (alpha, alpha_admin) = TestApp::spawn_named_with("alpha", &sync).await;
    let (beta, beta_admin) = TestApp::spawn_named_with("beta", &sync).await;
    let (gamma, gamma_admin) = TestApp::spawn_named_with("gamma", &sync).await;
    company(
        &beta,
        &beta_admin,
        json!({"handle": "quay", "name": "Quay Studio", "skills": ["Design"], "city": "Porto"}),
    )
    .await;
    let beta_domain = format!("beta.test:{}", port_of(&beta));
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    // Alpha syncs with beta; gamma only knows alpha.
    let r = alpha
        .post_json(
            Some(&alpha_admin),
            "/api/v1/peers",
            &json!({"domain": beta_domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually("alpha syncing beta", || async {
        let p = peer_state(&alpha, &alpha_admin, &beta_domain).await;
        (p["state"] == "ok").then_some(())
    })
    .await;
    let r = gamma
        .post_json(
            Some(&gamma_admin),
            "/api/v1/peers",
            &json!({"domain": alpha_domain}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let learnt = eventually("gamma learning beta from alpha", || async {
        let p = peer_state(&gamma, &gamma_admin, &beta_domain).await;
        (p["state"] == "ok").then_some(p)
    })
    .await;
    assert_eq!(learnt["source"], "peer");
    assert_eq!(learnt["hops"], 1);
    eventually("beta's company on gamma", || async {
        let r = search(&gamma, "skill=design&city=porto").await;
        (r["total"] == 1).then_some(())
    })
    .await;
    // Beta stops publishing: gamma drops beta's entries at its next pull.
    let r = beta
        .send_json(
            Method::PUT,
            Some(&beta_admin),
            "/api/v1/admin/directory",
            &json!({"publish": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("gamma dropping beta's entries", || async {
        let r = search(&gamma, "skill=design&city=porto").await;
        (r["total"] == 0).then_some(())
    })
    .await;
    let r = beta
        .send_json(
            Method::PUT,
            Some(&gamma_admin),
            "/api/v1/admin/directory",
            &json!({"publish": true}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "another space's token"
    );

    // Entries are never passed on: alpha's directory holds only alpha's own.
    let (_, page) = as2(&alpha, "/directory?after=Z2gxOjA&limit=200").await;
    assert!(!page.to_string().contains("quay"), "{page}");

    // A handle is resolved on the fly for members: shown, but not listed when its actor did
    // not ask to be. Anonymous visitors cannot make the space fetch elsewhere.
    let handle = format!("%40boss%40{}", alpha_domain);
    let r = search(&gamma, &format!("q={handle}")).await;
    assert!(r["resolved"].is_null());
    assert!(
        r["resolve_error"].as_str().unwrap().contains("sign in"),
        "{r}"
    );
    let authed = |query: String| {
        let gamma = &gamma;
        let token = gamma_admin.clone();
        async move {
            let r = gamma
                .get(Some(&token), &format!("/api/v1/directory?{query}"))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let r = authed(format!("q={handle}")).await;
    assert_eq!(
        r["resolved"]["uri"],
        format!("http://{alpha_domain}/members/boss"),
        "{r}"
    );
    assert_eq!(r["resolved"]["kind"], "person");
    assert!(r["resolve_error"].is_null());
    assert_eq!(search(&gamma, "q=boss").await["total"], 0);
    let r = authed("q=%40nobody%40nowhere.invalid".into()).await;
    assert!(r["resolved"].is_null());
    assert!(r["resolve_error"].is_string(), "{r}");
    // A discoverable company resolved by its address is listed from then on.
    company(
        &alpha,
        &alpha_admin,
        json!({"handle": "harbourco", "name": "Harbour Co", "skills": ["Sailing"]}),
    )
    .await;
    let address = format!("http%3A%2F%2F{alpha_domain}%2Fcompanies%2Fharbourco");
    let r = authed(format!("q={address}")).await;
    assert_eq!(r["resolved"]["name"], "Harbour Co", "{r}");
    assert_eq!(search(&gamma, "skill=sailing").await["total"], 1);
}

/// An event as the events API takes it.
fn event_body(title: &str, visibility: &str, day: &str, country: &str) -> Value {
    json!({
        "title": title,
        "description": "Bring a laptop.",
        "starts_at": format!("{day}T18:00"),
        "ends_at": format!("{day}T20:30"),
        "timezone": "Europe/Lisbon",
        "place_name": "Harbour Works",
        "locality": "Porto",
        "country": country,
        "category": "SCIENCE_TECH",
        "visibility": visibility,
    })
}

async fn new_event(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post_json(Some(token), "/api/v1/events", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    let doc: Value = r.json().await.unwrap();
    doc["uri"].as_str().unwrap().to_string()
}

fn entry_named<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in {results}"))
}

/// Every item of the published collection from `after`, and the cursor to read on from.
async fn published_since(app: &TestApp, after: &str) -> (Vec<Value>, String) {
    let (status, page) = as2(app, after).await;
    assert_eq!(status, StatusCode::OK);
    assert_terms_defined(&page);
    let items = page["orderedItems"].as_array().unwrap().clone();
    let next = page["next"]
        .as_str()
        .map(path_of)
        .unwrap_or_else(|| after.to_string());
    (items, next)
}

#[tokio::test]
async fn lists_the_spaces_projects_and_public_upcoming_events() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    let instance = Instance::start(&url, &[]).await;
    let app = &instance.app;
    let admin = app
        .set_up_space(json!({"name": "Harbour Works", "city": "Lisbon", "country": "PT"}))
        .await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    // The company is not listed itself; its project still carries its facets.
    company(
        app,
        &ada,
        json!({"handle": "tidewater", "name": "Tidewater Labs", "skills": ["Rust"], "industry": "Software", "city": "Braga", "country": "PT", "discoverable": false}),
    )
    .await;
    for body in [
        json!({"handle": "boat", "name": "Boat", "summary": "We build a boat."}),
        json!({"handle": "dock", "name": "Dock", "closed": true, "as": "company:tidewater"}),
    ] {
        let r = app.post_json(Some(&ada), "/api/v1/projects", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    }
    let meetup = new_event(
        app,
        &ada,
        event_body("Rust meetup", "public", &ahead("06-01"), "pt"),
    )
    .await;
    let party = new_event(
        app,
        &ada,
        event_body("Summer party", "public", &ahead("07-10"), "Portugal"),
    )
    .await;
    new_event(
        app,
        &ada,
        event_body("Members breakfast", "members", &ahead("06-02"), "PT"),
    )
    .await;
    new_event(
        app,
        &ada,
        event_body("Followers talk", "followers", &ahead("06-03"), "PT"),
    )
    .await;
    let called_off = new_event(
        app,
        &ada,
        event_body("Called off", "public", &ahead("06-04"), "PT"),
    )
    .await;
    let token = |uri: &str| uri.rsplit('/').next().unwrap().to_string();
    let r = app
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{}/cancel", token(&called_off)),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Projects: both, open or closed; a company's carries its industry, skills and place.
    let projects = search(app, "kind=project").await;
    assert_eq!(projects["total"], 2, "{projects}");
    let boat = entry_named(&projects, "Boat");
    assert_eq!(boat["uri"], own("/projects/boat"));
    assert_eq!(boat["handle"], "@boat@localhost:8080");
    assert_eq!(boat["summary"], "We build a boat.");
    assert_eq!(boat["open_to_collaborate"], true);
    assert_eq!(boat["city"], "Lisbon");
    assert_eq!(boat["industry"], "");
    let dock = entry_named(&projects, "Dock");
    assert_eq!(dock["open_to_collaborate"], false);
    assert_eq!(dock["industry"], "Software");
    assert_eq!(dock["skills"], json!(["Rust"]));
    assert_eq!(dock["city"], "Braga");
    assert_eq!(dock["space_name"], "Harbour Works");
    let open = search(app, "kind=project&collaborate=1").await;
    assert_eq!(names(&open), vec!["Boat"]);

    // Events: public, upcoming and not cancelled only.
    let events = search(app, "kind=event").await;
    let mut listed = names(&events);
    listed.sort();
    assert_eq!(listed, vec!["Rust meetup", "Summer party"], "{events}");
    let e = entry_named(&events, "Rust meetup");
    assert_eq!(e["uri"], meetup.as_str());
    assert_eq!(e["url"], meetup.as_str());
    assert_eq!(e["handle"], "");
    assert_eq!(e["city"], "Porto");
    assert_eq!(e["country"], "PT");
    assert_eq!(e["space_name"], "Harbour Works");
    assert!(e["starts_at"].as_i64().unwrap() < e["ends_at"].as_i64().unwrap());
    // A country that is not a code is left out rather than guessed.
    assert_eq!(entry_named(&events, "Summer party")["country"], "");
    // The date range finds it, and only it.
    let june = search(
        app,
        &format!("kind=event&from={}&to={}", ahead("06-01"), ahead("06-30")),
    )
    .await;
    assert_eq!(names(&june), vec!["Rust meetup"]);
    let july = search(app, &format!("from={}", ahead("07-01"))).await;
    assert_eq!(names(&july), vec!["Summer party"]);
    let none = search(app, &format!("kind=event&from={}", ahead("08-01"))).await;
    assert_eq!(none["total"], 0);

    // The published collection carries them as Group and Event.
    let (items, cursor) = published_since(app, &format!("/directory?after={}", "Z2gxOjA")).await;
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not published"))
            .clone()
    };
    let group = by_id(&own("/projects/boat"));
    assert_eq!(group["type"], "Group");
    assert_eq!(group["directoryKind"], "project");
    assert_eq!(group["preferredUsername"], "boat");
    assert_eq!(group["openToCollaborate"], true);
    let event = by_id(&meetup);
    assert_eq!(event["type"], "Event");
    assert_eq!(event["directoryKind"], "event");
    assert_eq!(event["startTime"], ahead("06-01T17:00:00Z"));
    assert_eq!(event["endTime"], ahead("06-01T19:30:00Z"));
    assert_eq!(event["city"], "Porto");
    assert!(event.get("preferredUsername").is_none());
    let published = serde_json::to_string(&items).unwrap();
    for hidden in ["Members breakfast", "Followers talk", "Called off"] {
        assert!(!published.contains(hidden), "{hidden} is published");
    }

    // A project renamed is updated; a cancelled event and a deleted one become tombstones.
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            "/api/v1/projects/boat",
            &json!({"name": "Big Boat", "summary": "We build a boat."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{}/cancel", token(&meetup)),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .send_json(
            Method::DELETE,
            Some(&ada),
            &format!("/api/v1/events/{}", token(&party)),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (changes, cursor) = published_since(app, &cursor).await;
    assert_eq!(changes.len(), 3, "{changes:?}");
    let renamed = changes
        .iter()
        .find(|i| i["id"] == own("/projects/boat"))
        .unwrap();
    assert_eq!(renamed["name"], "Big Boat");
    for uri in [&meetup, &party] {
        let tomb = changes.iter().find(|i| i["id"] == uri.as_str()).unwrap();
        assert_eq!(tomb["type"], "Tombstone");
        assert_eq!(tomb["formerType"], "Event");
    }
    assert_eq!(search(app, "kind=event").await["total"], 0);

    // Time passing ends an event: nothing about it is edited, yet it leaves the directory.
    let later = new_event(
        app,
        &ada,
        event_body("Autumn talk", "public", &ahead("10-01"), "PT"),
    )
    .await;
    assert_eq!(names(&search(app, "kind=event").await), vec!["Autumn talk"]);
    let (_, cursor) = published_since(app, &cursor).await;
    sqlx::query("UPDATE events SET starts_at = 1000, ends_at = 2000 WHERE uri = $1")
        .bind(&later)
        .execute(instance.state.db.pool())
        .await
        .unwrap();
    assert_eq!(search(app, "kind=event").await["total"], 0);
    let (changes, _) = published_since(app, &cursor).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["id"], later.as_str());
    assert_eq!(changes[0]["type"], "Tombstone");
}

#[tokio::test]
async fn remote_events_and_projects_open_where_this_space_shows_them() {
    use guildhall::directory::{Draft, Kind};
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    let instance = Instance::start(&url, &[]).await;
    let app = &instance.app;
    let admin = app.set_up_space(json!({"name": "Harbour Works"})).await;
    app.open_registration(&admin).await;
    app.member("ada").await;

    let draft = |uri: &str, kind: Kind, name: &str| Draft {
        uri: uri.to_string(),
        kind,
        origin: "far.example".into(),
        handle: String::new(),
        name: name.into(),
        summary: String::new(),
        url: uri.to_string(),
        icon_url: String::new(),
        industry: String::new(),
        skills: Vec::new(),
        city: String::new(),
        country: String::new(),
        space_name: "Far Space".into(),
        hiring: false,
        open_to_collaborate: true,
        starts_at: Some(1_900_000_000_000),
        ends_at: Some(1_900_000_360_000),
    };
    let known = "https://far.example/events/known";
    let unknown = "https://far.example/events/unknown";
    let project = "https://far.example/projects/raft";
    let mut raft = draft(project, Kind::Project, "Raft");
    raft.starts_at = None;
    raft.ends_at = None;
    guildhall::directory::store::insert_batch(
        &instance.state.db,
        &[
            draft(known, Kind::Event, "Known event"),
            draft(unknown, Kind::Event, "Unknown event"),
            raft,
        ],
        1,
    )
    .await
    .unwrap();
    // This space has received the first event already.
    let mut tx = instance.state.db.begin_write().await.unwrap();
    guildhall::events::store::insert(
        &mut tx,
        &guildhall::events::model::NewEvent {
            uri: known.into(),
            local: false,
            organizer: "https://far.example/members/zoe".into(),
            title: "Known event".into(),
            source: String::new(),
            content: String::new(),
            starts_at: 1_900_000_000_000,
            ends_at: 1_900_000_360_000,
            timezone: "UTC".into(),
            place_name: String::new(),
            street_address: String::new(),
            postal_code: String::new(),
            locality: String::new(),
            country: String::new(),
            online_url: String::new(),
            capacity: None,
            join_mode: guildhall::events::model::JoinMode::Free,
            external_url: String::new(),
            visibility: guildhall::events::model::EventVisibility::Public,
            category: "MEETING".into(),
            status: guildhall::events::model::Status::Confirmed,
            participant_count: 0,
            url: known.into(),
            published_at: 1,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let page = |client: reqwest::Client, uri: &'static str| async move {
        let enc: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
        let r = client
            .get(app.url(&format!("/directory/entry?uri={enc}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        (r.text().await.unwrap(), enc)
    };
    // A received event opens at its page here, with its RSVP.
    let (html, enc) = page(app.api.clone(), known).await;
    assert!(
        html.contains(&format!(
            "id=\"here-link\" href=\"/events/remote?uri={enc}\""
        )) || html.contains(&format!(
            "href=\"/events/remote?uri={enc}\" id=\"here-link\""
        )),
        "{html}"
    );
    let r = app.get(None, &format!("/events/remote?uri={enc}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    // One not received yet: visitors go to its origin; members can fetch it here.
    let (html, _) = page(app.api.clone(), unknown).await;
    assert!(!html.contains("here-link"));
    assert!(!html.contains("fetch-event-form"));
    assert!(html.contains("id=\"origin-link\""));
    let browser = app.browser();
    let login = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::support::csrf_from(&login).as_str()),
            ("login", "ada"),
            ("password", crate::support::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (html, _) = page(browser.clone(), unknown).await;
    assert!(html.contains("id=\"fetch-event-form\""), "{html}");
    assert!(html.contains("action=\"/events/lookup\""));
    assert!(html.contains(&format!("name=\"url\" value=\"{unknown}\"")));
    // A remote project this space has not seen links to its origin only.
    let (html, _) = page(app.api.clone(), project).await;
    assert!(!html.contains("here-link"));
    assert!(html.contains("href=\"https://far.example/projects/raft\""));
}

#[tokio::test]
async fn two_processes_on_one_database_follow_each_others_changes() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    let first = Instance::start(&url, &[]).await;
    let admin = first
        .app
        .set_up_space(json!({"name": "Shared Space"}))
        .await;
    let second = Instance::start(&url, &[]).await;
    assert_eq!(search(&second.app, "").await["total"], 1, "the space");

    // Entries written through one process are in the other's next search, facets included.
    guildhall::admin::directory::seed_directory(&first.state.db, 50)
        .await
        .unwrap();
    company(
        &first.app,
        &admin,
        json!({"handle": "ferry", "name": "Ferry Robotics", "skills": ["Embedded"], "city": "Oslo", "country": "NO", "hiring": true}),
    )
    .await;
    let r = search(&second.app, "q=ferry").await;
    assert_eq!(names(&r), vec!["Ferry Robotics"], "{r}");
    let r = search(&second.app, "city=oslo&hiring=true").await;
    assert_eq!(names(&r), vec!["Ferry Robotics"]);
    assert_eq!(search(&second.app, "").await["total"], 52);

    // A change made through the second leaves the first's results at its next search.
    patch(
        &second.app,
        &admin,
        "/api/v1/companies/ferry",
        json!({"discoverable": false}),
    )
    .await;
    assert_eq!(search(&first.app, "q=ferry").await["total"], 0);
    let r = search(&first.app, "").await;
    assert_eq!(r["total"], 51);
    assert!(!r["facets"]["city"].to_string().contains("oslo"), "{r}");
    second.stop().await;
    first.stop().await;
}

/// Adding a space that does not answer is checked at once and reported as a failure (in red,
/// with a 502), not as a success; the space stays known and is tried again.
#[tokio::test]
async fn adding_an_unreachable_peer_reports_the_failure() {
    let (app, _) =
        TestApp::spawn_set_up_with(&[("GUILDHALL_RESOLVE", "nowhere.test=127.0.0.1")]).await;
    // A port that nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let browser = app.browser();
    let login = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::support::csrf_from(&login).as_str()),
            ("login", "boss"),
            ("password", crate::support::ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let html = browser
        .get(app.url("/admin/peers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let domain = format!("nowhere.test:{port}");
    let r = browser
        .post(app.url("/admin/peers"))
        .form(&[
            ("csrf", crate::support::csrf_from(&html).as_str()),
            ("domain", domain.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"peer-problem\""), "{page}");
    assert!(page.contains("could not be reached"), "{page}");
    assert!(
        !page.contains("class=\"notice\""),
        "no green success: {page}"
    );
    // Still known, in error, and tried again later.
    assert!(page.contains(&domain));
}
