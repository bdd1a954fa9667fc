//! Actors, WebFinger and NodeInfo as a remote server sees them.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{eventually_exactly, TestApp};

pub(crate) const AS_JSON: &str = "application/activity+json";

async fn fetch_actor(app: &TestApp, path: &str) -> Value {
    let r = app
        .api
        .get(app.url(path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with(AS_JSON));
    assert_eq!(r.headers()["vary"], "Accept");
    let text = r.text().await.unwrap();
    assert!(!text.contains("PRIVATE KEY"), "a private key was served");
    serde_json::from_str(&text).unwrap()
}

/// Terms the ActivityStreams and security contexts define that our actors use.
const STANDARD_TERMS: &[&str] = &[
    "id",
    "type",
    "preferredUsername",
    "name",
    "summary",
    "url",
    "icon",
    "image",
    "inbox",
    "outbox",
    "followers",
    "following",
    "endpoints",
    "sharedInbox",
    "publicKey",
    "owner",
    "publicKeyPem",
    "published",
    "attachment",
    "tag",
    "mediaType",
    "@context",
    // Objects and activities.
    "actor",
    "object",
    "to",
    "cc",
    "attributedTo",
    "content",
    "source",
    "context",
    "inReplyTo",
    "updated",
    "href",
    "startTime",
    "endTime",
    "location",
    "totalItems",
    "orderedItems",
    "first",
    "next",
    "prev",
    "partOf",
    "items",
    "audience",
    "formerType",
    "deleted",
    "replies",
    "target",
];

/// Every key in the document is a standard term or defined in an inline context in scope: the
/// document's own, or one an embedded object carries (JSON-LD scopes a nested `@context` to
/// the object that holds it).
pub(crate) fn assert_terms_defined(doc: &Value) {
    assert!(
        doc["@context"].is_array(),
        "the document has no @context list"
    );
    fn inline_terms(context: &Value) -> Vec<String> {
        let items = match context {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        items
            .into_iter()
            .filter_map(|c| c.as_object())
            .flat_map(|o| o.keys().cloned())
            .collect()
    }
    fn walk(v: &Value, scope: &BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                let mut scope = scope.clone();
                if let Some(context) = map.get("@context") {
                    scope.extend(inline_terms(context));
                }
                for (key, v) in map {
                    if key == "@context" {
                        continue;
                    }
                    // A compact IRI (`ical:status`) is defined when its prefix is.
                    let prefixed = key
                        .split_once(':')
                        .is_some_and(|(prefix, _)| scope.contains(prefix));
                    assert!(
                        STANDARD_TERMS.contains(&key.as_str()) || scope.contains(key) || prefixed,
                        "term {key} is not defined"
                    );
                    walk(v, &scope);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, scope)),
            _ => {}
        }
    }
    walk(doc, &BTreeSet::new());
}

async fn populated() -> (TestApp, String) {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let r = app
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({
                "display_name": "Ada <Moreira>", "bio": "Rust & federation.\nLisbon.",
                "skills": ["Rust", "data engineering"],
                "links": [{"label": "Code", "url": "https://code.example/ada"}]
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({
                "handle": "tidewater", "name": "Tidewater Labs", "industry": "Software",
                "skills": ["Rust"], "city": "Lisbon", "country": "PT", "size": "2-10",
                "website": "https://tidewater.example", "hiring": true, "open_to_collaborate": true
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    (app, ada)
}

#[tokio::test]
async fn members_companies_and_the_space_are_actors() {
    let (app, _) = populated().await;
    let base = "http://localhost:8080";

    let person = fetch_actor(&app, "/members/ada").await;
    assert_terms_defined(&person);
    assert_eq!(person["type"], "Person");
    assert_eq!(person["id"], format!("{base}/members/ada"));
    assert_eq!(person["preferredUsername"], "ada");
    assert_eq!(person["name"], "Ada <Moreira>");
    assert_eq!(
        person["summary"],
        "<p>Rust &amp; federation.<br>Lisbon.</p>"
    );
    assert_eq!(person["inbox"], format!("{base}/members/ada/inbox"));
    assert_eq!(person["outbox"], format!("{base}/members/ada/outbox"));
    assert_eq!(person["followers"], format!("{base}/members/ada/followers"));
    assert_eq!(person["following"], format!("{base}/members/ada/following"));
    assert_eq!(person["endpoints"]["sharedInbox"], format!("{base}/inbox"));
    assert_eq!(
        person["publicKey"]["id"],
        format!("{base}/members/ada#main-key")
    );
    assert_eq!(person["publicKey"]["owner"], person["id"]);
    assert!(person["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(person["discoverable"], false);
    assert_eq!(person["indexable"], false);
    assert_eq!(person["manuallyApprovesFollowers"], false);
    assert!(person["published"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        person["tag"],
        json!([{"type": "Hashtag", "name": "#Rust"}, {"type": "Hashtag", "name": "#dataEngineering"}])
    );
    assert_eq!(person["attachment"][0]["type"], "PropertyValue");
    assert_eq!(person["attachment"][0]["name"], "Code");
    assert!(person["attachment"][0]["value"]
        .as_str()
        .unwrap()
        .contains("href=\"https://code.example/ada\""));

    let org = fetch_actor(&app, "/companies/tidewater").await;
    assert_terms_defined(&org);
    assert_eq!(org["type"], "Organization");
    assert_eq!(org["preferredUsername"], "tidewater");
    assert_eq!(org["industry"], "Software");
    assert_eq!(org["hiring"], true);
    assert_eq!(org["openToCollaborate"], true);
    assert_eq!(org["companySize"], "2-10");
    assert_eq!(org["city"], "Lisbon");
    assert_eq!(org["country"], "PT");
    assert_eq!(org["discoverable"], true, "companies are listed by default");
    let fields: Vec<&str> = org["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["Website", "Industry", "Based in", "Status"]);
    assert_ne!(
        org["publicKey"]["publicKeyPem"], person["publicKey"]["publicKeyPem"],
        "each actor has its own key"
    );

    let space = fetch_actor(&app, "/").await;
    assert_terms_defined(&space);
    assert_eq!(space["type"], "Organization");
    assert_eq!(space["id"], format!("{base}/"));
    assert_eq!(space["preferredUsername"], "localhost");
    assert_eq!(space["name"], "Harbour Works");
    assert_eq!(space["inbox"], format!("{base}/inbox"));

    // The same URLs still serve HTML to browsers.
    let html = app.get(None, "/members/ada").await;
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(html.headers()["vary"], "Accept");
    let r = app
        .api
        .get(app.url("/members/nobody"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn webfinger_resolves_members_companies_and_the_space() {
    let (app, _) = populated().await;
    let finger = |resource: &str| {
        let url = format!(
            "{}/.well-known/webfinger?resource={}",
            app.base,
            urlencode(resource)
        );
        let client = app.api.clone();
        async move { client.get(url).send().await.unwrap() }
    };

    let r = finger("acct:ada@localhost:8080").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/jrd+json"));
    let jrd: Value = r.json().await.unwrap();
    assert_eq!(jrd["subject"], "acct:ada@localhost:8080");
    let self_link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert_eq!(self_link["type"], AS_JSON);
    assert_eq!(self_link["href"], "http://localhost:8080/members/ada");

    let jrd: Value = finger("acct:Tidewater@localhost:8080")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        jrd["links"][0]["href"],
        "http://localhost:8080/companies/tidewater"
    );

    for space in [
        "acct:localhost@localhost:8080",
        "http://localhost:8080/",
        "http://localhost:8080",
    ] {
        let jrd: Value = finger(space).await.json().await.unwrap();
        assert_eq!(jrd["links"][0]["href"], "http://localhost:8080/", "{space}");
        assert_eq!(jrd["subject"], "acct:localhost@localhost:8080");
    }
    let jrd: Value = finger("http://localhost:8080/members/ada")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jrd["subject"], "acct:ada@localhost:8080");

    assert_eq!(
        finger("acct:nobody@localhost:8080").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        finger("acct:ada@elsewhere.example").await.status(),
        StatusCode::NOT_FOUND
    );
    let r = app
        .api
        .get(app.url("/.well-known/webfinger"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn nodeinfo_describes_the_space() {
    let (app, _) = populated().await;
    let links: Value = app
        .get(None, "/.well-known/nodeinfo")
        .await
        .json()
        .await
        .unwrap();
    let href = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(href.ends_with("/nodeinfo/2.1"));
    assert!(links["links"].as_array().unwrap().iter().any(|l| l["rel"]
        == "https://www.w3.org/ns/activitystreams#Application"
        && l["href"] == "http://localhost:8080/"));

    let info: Value = app.get(None, "/nodeinfo/2.1").await.json().await.unwrap();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "guildhall");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["openRegistrations"], true);
    assert_eq!(info["usage"]["users"]["total"], 2);
    assert_eq!(info["usage"]["users"]["activeMonth"], 2);
    assert_eq!(info["metadata"]["nodeName"], "Harbour Works");
    assert_eq!(info["metadata"]["spaceActor"], "http://localhost:8080/");
    assert_eq!(info["metadata"]["companies"], 1);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `check` until it returns `Some`, for at most 20 seconds.
pub(crate) async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    test_support::eventually(
        what,
        std::time::Duration::from_secs(20),
        std::time::Duration::from_millis(50),
        check,
    )
    .await
}

/// The port of a named instance (`NAME.test:PORT` listens on 127.0.0.1:PORT).
pub(crate) fn port_of(app: &TestApp) -> String {
    app.base.rsplit(':').next().unwrap_or_default().to_string()
}

async fn following_state(app: &TestApp, token: &str, uri: &str) -> Option<String> {
    let list: Value = app
        .get(Some(token), "/api/v1/following")
        .await
        .json()
        .await
        .ok()?;
    list["items"]
        .as_array()?
        .iter()
        .find(|f| f["uri"] == uri)
        .map(|f| f["state"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_member_follows_a_company_on_another_instance_and_unfollows() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Tidewater Labs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let bob = beta.member("bob").await;
    let beta_bob = format!("http://beta.test:{}/members/bob", port_of(&beta));
    let company = format!("http://{alpha_domain}/companies/tidewater");

    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": format!("@tidewater@{alpha_domain}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);

    // Alpha accepts automatically; beta records the Accept.
    eventually("the follow to be accepted", || async {
        (following_state(&beta, &bob, &company).await.as_deref() == Some("accepted")).then_some(())
    })
    .await;
    let followers: Value = alpha
        .api
        .get(alpha.url("/companies/tidewater/followers?page=1"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["orderedItems"], json!([beta_bob]));
    assert_eq!(followers["totalItems"], 1);

    // Unfollow: alpha forgets the follower.
    let r = beta
        .post_json(Some(&bob), "/api/v1/unfollow", &json!({"target": company}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the unfollow to arrive", || async {
        let doc: Value = alpha
            .api
            .get(alpha.url("/companies/tidewater/followers"))
            .header("accept", AS_JSON)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (doc["totalItems"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_locked_member_approves_a_remote_follower() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/me",
            &json!({"locked": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bob = beta.member("bob").await;
    let ada_uri = format!("http://{alpha_domain}/members/ada");
    let bob_uri = format!("http://beta.test:{}/members/bob", port_of(&beta));

    let r = beta
        .post_json(Some(&bob), "/api/v1/follows", &json!({"target": ada_uri}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // The request waits on alpha.
    let pending = eventually("the request to reach alpha", || async {
        let list: Value = alpha
            .get(Some(&ada), "/api/v1/followers")
            .await
            .json()
            .await
            .ok()?;
        list["items"]
            .as_array()?
            .iter()
            .find(|f| f["uri"] == bob_uri)
            .cloned()
    })
    .await;
    assert_eq!(pending["state"], "pending");
    assert_eq!(
        following_state(&beta, &bob, &ada_uri).await.as_deref(),
        Some("pending")
    );
    // Ada is told, on the web and in the API; reading them clears the count.
    let notes: Value = alpha
        .get(Some(&ada), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notes["unread"], 1, "{notes}");
    assert_eq!(notes["items"][0]["kind"], "follow_request");
    assert_eq!(notes["items"][0]["actor"], bob_uri.as_str());
    assert!(notes["items"][0]["actor_name"]
        .as_str()
        .unwrap()
        .starts_with("@bob@beta.test"));
    let r = alpha
        .post_json(Some(&ada), "/api/v1/notifications/read", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let notes: Value = alpha
        .get(Some(&ada), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notes["unread"], 0);

    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follow-requests/approve",
            &json!({"follower": bob_uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the approval to reach beta", || async {
        (following_state(&beta, &bob, &ada_uri).await.as_deref() == Some("accepted")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn unsigned_and_tampered_activities_are_refused() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let body = json!({
        "id": "http://beta.test:1/activities/1", "type": "Follow",
        "actor": "http://beta.test:1/members/bob", "object": "http://alpha.test/"
    });
    let r = alpha
        .api
        .post(alpha.url("/inbox"))
        .header("content-type", AS_JSON)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = alpha
        .api
        .post(alpha.url("/inbox"))
        .header("content-type", AS_JSON)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alpha
        .api
        .post(alpha.url("/inbox"))
        .header("content-type", AS_JSON)
        .body(json!({"type": "Follow"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let huge = format!("{{\"id\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = alpha
        .api
        .post(alpha.url("/inbox"))
        .header("content-type", AS_JSON)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A minimal ActivityPub peer written in the test: one actor with its own key, served at
/// `http://gamma.test:PORT/actor`, and an inbox that records what it receives.
pub(crate) struct FakePeer {
    pub(crate) base: String,
    /// Every actor it serves, by name (`start` serves one, unnamed, at `/actor`).
    actors: Vec<PeerActor>,
    /// The actor documents it serves, by path (see [`FakePeer::new_key`]).
    documents: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Value>>>,
    pub(crate) received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

/// One actor of a [`FakePeer`], with its own key.
struct PeerActor {
    name: String,
    uri: String,
    /// Where its document is served.
    path: String,
    /// The id of its key: `ACTOR#main-key` as Mastodon names it, or another shape.
    key_id: String,
    /// The key it signs with now (see [`FakePeer::new_key`]).
    key: std::sync::Mutex<std::sync::Arc<guildhall::federation::crypto::SigningKey>>,
}

impl FakePeer {
    pub(crate) async fn start() -> FakePeer {
        Self::start_with_key_suffix("#main-key").await
    }

    /// A peer whose key id is its actor id followed by `suffix` (GoToSocial: `/main-key`).
    async fn start_with_key_suffix(suffix: &str) -> FakePeer {
        Self::serve(&[("", "Person")], suffix, &|_| json!({})).await
    }

    /// A peer whose actor document carries `fields(base)` besides (or instead of) its own:
    /// another `type`, hostile `url`s or icons.
    pub(crate) async fn start_with_fields(fields: impl Fn(&str) -> Value) -> FakePeer {
        Self::serve(&[("", "Person")], "#main-key", &fields).await
    }

    /// One server (one host) serving several `Person`s, `/users/NAME` each, with their own
    /// keys: a stranger on the same host as an owner. The first is [`FakePeer::actor`].
    pub(crate) async fn start_with_actors(names: &[&str]) -> FakePeer {
        let typed: Vec<(&str, &str)> = names.iter().map(|n| (*n, "Person")).collect();
        Self::serve(&typed, "#main-key", &|_| json!({})).await
    }

    /// The same with each actor's type given (`("team", "Group")`).
    pub(crate) async fn start_with_typed_actors(actors: &[(&str, &str)]) -> FakePeer {
        Self::serve(actors, "#main-key", &|_| json!({})).await
    }

    /// Serves `actors` (the name "" is the single actor at `/actor`), each document with
    /// `fields(base)` laid over it, and one inbox that records everything it receives.
    async fn serve(
        actors: &[(&str, &str)],
        suffix: &str,
        fields: &dyn Fn(&str) -> Value,
    ) -> FakePeer {
        use axum::routing::{get, post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://gamma.test:{port}");
        let mut documents = std::collections::HashMap::new();
        let mut served = Vec::new();
        for (name, kind) in actors {
            let keys = guildhall::federation::crypto::generate_keys().unwrap();
            let path = if name.is_empty() {
                "/actor".to_string()
            } else {
                format!("/users/{name}")
            };
            let uri = format!("{base}{path}");
            let key_id = format!("{uri}{suffix}");
            let username = if name.is_empty() { "peer" } else { name };
            let mut document = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": uri, "type": kind, "preferredUsername": username,
                "inbox": format!("{base}/inbox"),
                "publicKey": {"id": key_id, "owner": uri, "publicKeyPem": keys.public_pem}
            });
            if !name.is_empty() {
                document["followers"] = json!(format!("{uri}/followers"));
            }
            if let Value::Object(extra) = fields(&base) {
                for (k, v) in extra {
                    document[k] = v;
                }
            }
            documents.insert(path.clone(), document);
            served.push(PeerActor {
                name: name.to_string(),
                uri,
                path,
                key_id,
                key: std::sync::Mutex::new(std::sync::Arc::new(
                    guildhall::federation::crypto::SigningKey::from_pem(&keys.private_pem).unwrap(),
                )),
            });
        }
        let documents = std::sync::Arc::new(std::sync::Mutex::new(documents));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = received.clone();
        let shared = documents.clone();
        let actor_document = move |uri: axum::http::Uri| {
            let document = shared.lock().unwrap().get(uri.path()).map(Value::to_string);
            async move {
                match document {
                    Some(doc) => (
                        StatusCode::OK,
                        [("content-type", "application/activity+json")],
                        doc,
                    ),
                    None => (
                        StatusCode::NOT_FOUND,
                        [("content-type", "text/plain")],
                        String::new(),
                    ),
                }
            }
        };
        let app = axum::Router::new()
            .route("/actor", get(actor_document.clone()))
            .route("/users/{name}", get(actor_document.clone()))
            .route("/objects/{id}", get(actor_document))
            .route(
                "/inbox",
                post(move |body: String| {
                    let sink = sink.clone();
                    async move {
                        if let Ok(v) = serde_json::from_str::<Value>(&body) {
                            sink.lock().unwrap().push(v);
                        }
                        StatusCode::ACCEPTED
                    }
                }),
            );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePeer {
            base,
            actors: served,
            documents,
            received,
            _server: server,
        }
    }

    /// Serves `doc` at `path` (`/objects/…`) from now on, or, with `None`, stops serving it
    /// (a 404).
    pub(crate) fn serve_object(&self, path: &str, doc: Option<Value>) {
        let mut documents = self.documents.lock().unwrap();
        match doc {
            Some(doc) => documents.insert(path.to_string(), doc),
            None => documents.remove(path),
        };
    }

    /// The first (or only) actor.
    pub(crate) fn actor(&self) -> String {
        self.actors[0].uri.clone()
    }

    fn named(&self, name: &str) -> &PeerActor {
        self.actors
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("the peer serves no actor named {name}"))
    }

    /// The URI of the actor `name` (see [`FakePeer::start_with_actors`]).
    pub(crate) fn actor_named(&self, name: &str) -> String {
        self.named(name).uri.clone()
    }

    /// [`FakePeer::deliver`] signed with the key of the actor `name` instead of the first.
    pub(crate) async fn deliver_as(
        &self,
        name: &str,
        app: &TestApp,
        domain: &str,
        path: &str,
        activity: &Value,
    ) -> StatusCode {
        let actor = self.named(name);
        let key = actor.key.lock().unwrap().clone();
        self.post_signed(
            app,
            domain,
            path,
            activity.to_string().as_bytes(),
            (&actor.key_id, &key),
            Scheme::Cavage,
            chrono::Utc::now(),
            Tamper::None,
        )
        .await
    }

    /// The headers of a POST of `body` to `http://{domain}{path}` signed (draft-cavage) by the
    /// actor `name`, for a test that sends the request itself.
    pub(crate) fn signed_post_headers(
        &self,
        name: &str,
        domain: &str,
        path: &str,
        body: &[u8],
    ) -> axum::http::HeaderMap {
        let actor = self.named(name);
        let key = actor.key.lock().unwrap().clone();
        let url = url::Url::parse(&format!("http://{domain}{path}")).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("content-type", AS_JSON.parse().unwrap());
        guildhall::federation::signatures::sign_request(
            &axum::http::Method::POST,
            &url,
            &mut headers,
            Some(body),
            &actor.key_id,
            &key,
            chrono::Utc::now(),
        )
        .unwrap();
        headers
    }

    /// The first actor signs from now on with a new key under the same key id; `publish` puts
    /// it in the actor document (a key rotation), otherwise the document keeps naming the old
    /// one.
    pub(crate) fn new_key(&self, publish: bool) {
        let keys = guildhall::federation::crypto::generate_keys().unwrap();
        let first = &self.actors[0];
        *first.key.lock().unwrap() = std::sync::Arc::new(
            guildhall::federation::crypto::SigningKey::from_pem(&keys.private_pem).unwrap(),
        );
        if publish {
            let mut documents = self.documents.lock().unwrap();
            let document = documents
                .get_mut(&first.path)
                .expect("the first actor's document");
            document["publicKey"]["publicKeyPem"] = json!(keys.public_pem);
        }
    }

    /// What its inbox received of one activity type, in order.
    pub(crate) fn received_of(&self, kind: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == kind)
            .cloned()
            .collect()
    }

    /// The first actor's key id and the key it signs with now.
    fn signer(
        &self,
    ) -> (
        &str,
        std::sync::Arc<guildhall::federation::crypto::SigningKey>,
    ) {
        let first = &self.actors[0];
        (&first.key_id, first.key.lock().unwrap().clone())
    }

    /// A signed POST of `activity` to `path` on `app` (addressed as `domain`).
    pub(crate) async fn deliver(
        &self,
        app: &TestApp,
        domain: &str,
        path: &str,
        activity: &Value,
    ) -> StatusCode {
        self.post(
            app,
            domain,
            path,
            activity.to_string().as_bytes(),
            Scheme::Cavage,
            chrono::Utc::now(),
            Tamper::None,
        )
        .await
    }

    /// A GET of `path` on `app` (addressed as `domain`) signed as this peer, asking for
    /// ActivityStreams; `tamper` breaks the signature.
    pub(crate) async fn get_signed(
        &self,
        app: &TestApp,
        domain: &str,
        path: &str,
        tamper: bool,
    ) -> reqwest::Response {
        use guildhall::federation::signatures;
        let url = url::Url::parse(&format!("http://{domain}{path}")).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("accept", AS_JSON.parse().unwrap());
        signatures::sign_request(
            &axum::http::Method::GET,
            &url,
            &mut headers,
            None,
            self.signer().0,
            &self.signer().1,
            chrono::Utc::now(),
        )
        .unwrap();
        if tamper {
            let sig = headers
                .get("signature")
                .unwrap()
                .to_str()
                .unwrap()
                .replacen("signature=\"", "signature=\"AAAA", 1);
            headers.insert("signature", sig.parse().unwrap());
        }
        let mut request = app.api.get(app.url(path));
        for (k, v) in headers.iter() {
            request = request.header(k.as_str(), v.as_bytes());
        }
        request.send().await.unwrap()
    }

    pub(crate) fn follow(&self, object: &str) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{}", self.base, rand_id()),
            "type": "Follow", "actor": self.actor(), "object": object
        })
    }

    /// POSTs `body` to `inbox` (an URL on `app`, addressed as `domain`) signed as this peer.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        app: &TestApp,
        domain: &str,
        path: &str,
        body: &[u8],
        scheme: Scheme,
        when: chrono::DateTime<chrono::Utc>,
        tamper: Tamper,
    ) -> StatusCode {
        let (key_id, key) = self.signer();
        self.post_signed(
            app,
            domain,
            path,
            body,
            (key_id, &key),
            scheme,
            when,
            tamper,
        )
        .await
    }

    /// [`FakePeer::post`] signed with the given key id and key.
    #[allow(clippy::too_many_arguments)]
    async fn post_signed(
        &self,
        app: &TestApp,
        domain: &str,
        path: &str,
        body: &[u8],
        (key_id, key): (&str, &guildhall::federation::crypto::SigningKey),
        scheme: Scheme,
        when: chrono::DateTime<chrono::Utc>,
        tamper: Tamper,
    ) -> StatusCode {
        use guildhall::federation::signatures;
        let url = url::Url::parse(&format!("http://{domain}{path}")).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("content-type", AS_JSON.parse().unwrap());
        match scheme {
            Scheme::Cavage => signatures::sign_request(
                &axum::http::Method::POST,
                &url,
                &mut headers,
                Some(body),
                key_id,
                key,
                when,
            )
            .unwrap(),
            Scheme::Rfc9421 => signatures::sign_request_rfc9421(
                &axum::http::Method::POST,
                &url,
                &mut headers,
                Some(body),
                key_id,
                key,
                when,
            )
            .unwrap(),
        }
        let mut body = body.to_vec();
        match tamper {
            Tamper::None => {}
            Tamper::Body => body.push(b' '),
            Tamper::Signature => {
                let sig = headers
                    .get("signature")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                let flipped = if sig.contains("signature=\"A") {
                    sig.replacen("signature=\"A", "signature=\"B", 1)
                } else {
                    sig.replacen("signature=\"", "signature=\"A", 1)
                };
                headers.insert("signature", flipped.parse().unwrap());
            }
        }
        let mut request = app.api.post(app.url(path)).body(body);
        for (k, v) in headers.iter() {
            request = request.header(k.as_str(), v.as_bytes());
        }
        request.send().await.unwrap().status()
    }
}

#[derive(Clone, Copy)]
enum Scheme {
    Cavage,
    Rfc9421,
}

#[derive(Clone, Copy, PartialEq)]
enum Tamper {
    None,
    Body,
    Signature,
}

pub(crate) fn rand_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

#[tokio::test]
async fn signatures_are_verified_in_both_schemes_and_tampering_is_refused() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let peer = FakePeer::start().await;
    let target = format!("http://{alpha_domain}/");
    let now = chrono::Utc::now();

    let follow = peer.follow(&target).to_string();
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::Body
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::Signature
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    let stale = now - chrono::Duration::hours(13);
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Cavage,
            stale,
            Tamper::None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Rfc9421,
            now,
            Tamper::Body
        )
        .await,
        StatusCode::UNAUTHORIZED
    );

    // Properly signed: accepted, in either scheme; a repeat is accepted and ignored.
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None
        )
        .await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None
        )
        .await,
        StatusCode::ACCEPTED
    );
    let second = peer
        .follow(&format!("http://{alpha_domain}/members/boss"))
        .to_string();
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/members/boss/inbox",
            second.as_bytes(),
            Scheme::Rfc9421,
            now,
            Tamper::None
        )
        .await,
        StatusCode::ACCEPTED
    );

    // A correctly signed request addressed to another server (a replayed delivery).
    let elsewhere = peer.follow(&target).to_string();
    assert_eq!(
        peer.post(
            &alpha,
            "beta.test:1",
            "/inbox",
            elsewhere.as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );

    // An activity whose actor is not the key's owner.
    let mut forged = peer.follow(&target);
    forged["actor"] = json!(format!("http://beta.test:1/members/bob"));
    assert_eq!(
        peer.post(
            &alpha,
            &alpha_domain,
            "/inbox",
            forged.to_string().as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );

    // Both follows are answered with a signed Accept delivered to the peer's inbox.
    eventually_exactly(2, "Accepts at the peer", || async {
        peer.received_of("Accept").len()
    })
    .await;
}

#[tokio::test]
async fn deleting_a_company_tells_followers_and_leaves_a_tombstone() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Tidewater Labs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let bob = beta.member("bob").await;
    let company = format!("http://{alpha_domain}/companies/tidewater");
    let r = beta
        .post_json(Some(&bob), "/api/v1/follows", &json!({"target": company}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually("the follow to be accepted", || async {
        (following_state(&beta, &bob, &company).await.as_deref() == Some("accepted")).then_some(())
    })
    .await;

    let r = alpha
        .api
        .delete(alpha.url("/api/v1/companies/tidewater"))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = alpha
        .api
        .get(alpha.url("/companies/tidewater"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let tomb: Value = r.json().await.unwrap();
    assert_eq!(tomb["type"], "Tombstone");
    assert_eq!(tomb["formerType"], "Organization");
    assert_eq!(
        alpha.get(None, "/companies/tidewater").await.status(),
        StatusCode::GONE
    );

    // Beta learns of the deletion and drops the follow.
    eventually("beta to drop the deleted company", || async {
        following_state(&beta, &bob, &company)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    // The handle stays reserved.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Impostor"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn deleting_an_account_needs_the_password_and_answers_410() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/me",
            &json!({"password": "wrong"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&admin),
            "/api/v1/me",
            &json!({"password": crate::support::ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the only administrator cannot leave"
    );
    let r = app
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/me",
            &json!({"password": crate::support::PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(Some(&ada), "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .api
        .get(app.url("/members/ada"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(r.json::<Value>().await.unwrap()["formerType"], "Person");
    let again = app
        .post_json(None, "/api/v1/accounts", &json!({"handle": "ada", "email": "ada2@example.org", "password": crate::support::PASSWORD}))
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn profile_updates_reach_followers() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Tidewater Labs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let bob = beta.member("bob").await;
    let company = format!("http://{alpha_domain}/companies/tidewater");
    beta.post_json(Some(&bob), "/api/v1/follows", &json!({"target": company}))
        .await;
    eventually("the follow to be accepted", || async {
        (following_state(&beta, &bob, &company).await.as_deref() == Some("accepted")).then_some(())
    })
    .await;

    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"name": "Tidewater Cooperative"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("beta to see the new name", || async {
        let list: Value = beta
            .get(Some(&bob), "/api/v1/following")
            .await
            .json()
            .await
            .ok()?;
        list["items"]
            .as_array()?
            .iter()
            .any(|f| f["name"] == "Tidewater Cooperative")
            .then_some(())
    })
    .await;
    // The Update is in the company's public outbox.
    let outbox: Value = alpha
        .api
        .get(alpha.url("/companies/tidewater/outbox?page=1"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["orderedItems"][0]["type"], "Update");
    assert_eq!(
        outbox["orderedItems"][0]["object"]["name"],
        "Tidewater Cooperative"
    );
}

#[tokio::test]
async fn a_member_follows_another_space_by_its_domain_handle() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let bob = beta.member("bob").await;
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": format!("@alpha.test@{alpha_domain}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let followed: Value = r.json().await.unwrap();
    let space = format!("http://{alpha_domain}/");
    assert_eq!(followed["uri"], space);
    eventually("the space to accept", || async {
        (following_state(&beta, &bob, &space).await.as_deref() == Some("accepted")).then_some(())
    })
    .await;
    let followers: Value = alpha
        .api
        .get(alpha.url("/followers"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 1);

    // Unknown handles and blocked domains give clear errors, not 500s.
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": format!("@nobody@{alpha_domain}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": "not a handle"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/follows",
            &json!({"target": "@someone@unreachable.test:1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn servers_on_one_host_name_with_different_ports_stay_apart() {
    let (first, _) = TestApp::spawn_named("alpha").await;
    let (second, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    first.member("ada").await;
    second.member("ada").await;
    let bob = beta.member("bob").await;
    for app in [&first, &second] {
        let target = format!("@ada@alpha.test:{}", port_of(app));
        let r = beta
            .post_json(Some(&bob), "/api/v1/follows", &json!({"target": target}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let followed: Value = r.json().await.unwrap();
        assert_eq!(
            followed["uri"],
            format!("http://alpha.test:{}/members/ada", port_of(app))
        );
        assert_eq!(followed["handle"], target);
    }
}

#[tokio::test]
async fn an_undo_naming_only_the_follow_id_ends_that_follow() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let peer = FakePeer::start().await;
    let now = chrono::Utc::now();
    let follow = peer.follow(&format!("http://{alpha_domain}/"));
    let status = peer
        .post(
            &alpha,
            &alpha_domain,
            "/inbox",
            follow.to_string().as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let followers = |alpha: &TestApp| {
        let request = alpha
            .api
            .get(alpha.url("/followers"))
            .header("accept", AS_JSON);
        async move {
            let doc: Value = request.send().await.ok()?.json().await.ok()?;
            doc["totalItems"].as_i64()
        }
    };
    eventually("the follow to be recorded", || async {
        (followers(&alpha).await == Some(1)).then_some(())
    })
    .await;

    // An Undo whose object is the Follow's id only (no embedded Follow).
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Undo", "actor": peer.actor(), "object": follow["id"]
    });
    let status = peer
        .post(
            &alpha,
            &alpha_domain,
            "/inbox",
            undo.to_string().as_bytes(),
            Scheme::Cavage,
            now,
            Tamper::None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually("the follow to end", || async {
        (followers(&alpha).await == Some(0)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_cached_actor_of_a_domain_blocked_since_cannot_be_followed() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, beta_admin) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let bob = beta.member("bob").await;
    let handle = format!("@alpha.test@{alpha_domain}");
    // Bob looks the space up: beta now has its actor cached.
    let r = beta
        .get(
            Some(&bob),
            &format!("/api/v1/lookup?target={}", urlencode(&handle)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let r = beta
        .post_json(
            Some(&beta_admin),
            "/api/v1/admin/domains",
            &json!({"domain": "alpha.test", "policy": "block"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());

    let space = format!("http://{alpha_domain}/");
    for target in [handle.as_str(), space.as_str()] {
        let r = beta
            .post_json(Some(&bob), "/api/v1/follows", &json!({"target": target}))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{target}");
        let r = beta
            .get(
                Some(&bob),
                &format!("/api/v1/lookup?target={}", urlencode(target)),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{target}");
    }
    assert_eq!(following_state(&beta, &bob, &space).await, None);
}

#[tokio::test]
async fn a_key_id_that_is_not_the_actor_id_with_a_fragment_is_verified() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    // GoToSocial names its keys `ACTOR/main-key`.
    let peer = FakePeer::start_with_key_suffix("/main-key").await;
    let follow = peer.follow(&format!("http://{alpha_domain}/")).to_string();
    let now = chrono::Utc::now();
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let status = peer
            .post(
                &alpha,
                &alpha_domain,
                "/inbox",
                follow.as_bytes(),
                scheme,
                now,
                Tamper::None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    // The same Follow sent twice (once per scheme) is answered once.
    eventually_exactly(1, "Accepts at the peer", || async {
        peer.received_of("Accept").len()
    })
    .await;
}

#[tokio::test]
async fn redirects_are_held_to_the_same_address_rules_as_the_first_request() {
    use axum::response::Redirect;
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app =
        axum::Router::new()
            // Credentials in a URL are refused by the client's rules even in development mode.
            .route(
                "/refused",
                get(move || async move {
                    Redirect::temporary(&format!("http://user:pw@127.0.0.1:{port}/target"))
                }),
            )
            .route(
                "/allowed",
                get(move || async move {
                    Redirect::temporary(&format!("http://127.0.0.1:{port}/target"))
                }),
            )
            .route(
                "/target",
                get(move || {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        axum::Json(json!({"ok": true}))
                    }
                }),
            );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let env: std::collections::BTreeMap<String, String> = [
        ("GUILDHALL_DEV_HTTP", "true"),
        ("GUILDHALL_DOMAIN", "alpha.test:1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config =
        guildhall::config::Config::from_sources(&std::collections::BTreeMap::new(), &env).unwrap();
    let client = guildhall::federation::client::FedClient::new(&config).unwrap();

    let refused = client
        .get_json(&format!("http://127.0.0.1:{port}/refused"), None)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let allowed = client
        .get_json(&format!("http://127.0.0.1:{port}/allowed"), None)
        .await
        .unwrap();
    assert_eq!(allowed["ok"], true);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    server.abort();
}
