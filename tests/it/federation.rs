//! Actors, WebFinger and NodeInfo as a remote server sees them.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;

const AS_JSON: &str = "application/activity+json";

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
];

/// Every key in the document is a standard term or defined in its inline context.
fn assert_terms_defined(doc: &Value) {
    let inline: BTreeSet<String> = doc["@context"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_object())
        .flat_map(|o| o.keys().cloned())
        .collect();
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k != "@context" {
                        out.insert(k.clone());
                        walk(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut used = BTreeSet::new();
    walk(doc, &mut used);
    for key in used {
        assert!(
            STANDARD_TERMS.contains(&key.as_str()) || inline.contains(&key),
            "term {key} is not defined"
        );
    }
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
