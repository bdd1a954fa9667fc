//! Every document Guildhall serves expands under JSON-LD with no undefined term: the actors,
//! their collections and pages (with real activities in them) and tombstones (a company's and a
//! project task's), checked by
//! `peer-fedify/jsonld-check.mjs` (jsonld.js with the ActivityStreams and security contexts
//! Fedify ships, so no network is needed).

use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{ahead, eventually, Instance};
use crate::peer::{node_ready, tools_dir};

fn run_checker(args: &[String]) -> (bool, String) {
    let out = Command::new("node")
        .arg("jsonld-check.mjs")
        .args(args)
        .current_dir(tools_dir())
        .output()
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn every_served_document_expands_with_no_undefined_term() {
    if !node_ready("every_served_document_expands_with_no_undefined_term") {
        return;
    }
    // The checker itself must catch a made-up term, or its "ok" means nothing.
    let (ok, text) = run_checker(&["--self-test".to_string()]);
    assert!(text.contains("undefined terms madeUpTerm"), "{text}");
    assert!(ok, "{text}");

    let alpha = Instance::start("alpha").await;
    let beta = Instance::start("beta").await;
    let ada = alpha.member("ada").await;
    let (status, _) = alpha
        .patch(
            Some(&ada),
            "/api/v1/me",
            &json!({"bio": "Rust.", "skills": ["Rust", "data engineering"],
                    "links": [{"label": "Code", "url": "https://code.example/ada"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    alpha.company(&ada, "gone", "Gone Ltd").await;
    let (status, event) = alpha
        .post(
            Some(&ada),
            "/api/v1/events",
            &json!({"as": "company:tidewater", "title": "Open studio",
                    "starts_at": ahead("06-01T18:00"), "ends_at": ahead("06-01T20:00"),
                    "timezone": "Europe/Lisbon", "place_name": "Harbour Works",
                    "street_address": "Rua do Cais 1", "locality": "Lisbon", "country": "PT",
                    "online_url": "https://meet.example/studio", "capacity": 30,
                    "category": "SCIENCE_TECH"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event_path = format!(
        "/events/{}",
        event["uri"].as_str().unwrap().rsplit('/').next().unwrap()
    );
    let bob = beta.member("bob").await;
    let company = alpha.company_uri("tidewater");
    let (status, _) = beta
        .post(Some(&bob), "/api/v1/follows", &json!({"target": company}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    beta.wait_following(&bob, &company, "accepted").await;
    // An Update in the outbox, and a Tombstone.
    let (status, _) = alpha
        .patch(
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"industry": "Software", "city": "Lisbon", "country": "PT", "hiring": true,
                    "open_to_collaborate": true, "size": "2-10", "website": "https://tidewater.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = alpha
        .call(
            reqwest::Method::DELETE,
            Some(&ada),
            "/api/v1/companies/gone",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually(
        "the Update in the outbox",
        Duration::from_secs(20),
        || async {
            let (_, page) = alpha
                .activity_json("/companies/tidewater/outbox?page=1")
                .await?;
            if page["orderedItems"][0]["type"] == "Update" {
                Ok(())
            } else {
                Err(page.to_string())
            }
        },
    )
    .await;

    // A project (a `Group`) with a task and a note.
    let (status, _) = alpha
        .post(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat", "summary": "A boat."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut project_items = Vec::new();
    for (path, body) in [
        (
            "/api/v1/projects/boat/tasks",
            json!({"title": "Sand", "assignees": "@ada", "due_on": "2026-12-01"}),
        ),
        (
            "/api/v1/projects/boat/notes",
            json!({"title": "Plan", "body": "First."}),
        ),
    ] {
        let (status, item) = alpha.post(Some(&ada), path, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        let uri = item["uri"].as_str().unwrap_or_default();
        let path = uri.splitn(4, '/').nth(3).unwrap_or_default();
        project_items.push(format!("/{path}"));
    }
    // A deleted task answers a Tombstone.
    let (status, gone) = alpha
        .post(
            Some(&ada),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Gone"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gone}");
    let gone_uri = gone["uri"].as_str().unwrap_or_default();
    let token = gone_uri.rsplit('/').next().unwrap_or_default();
    let (status, _) = alpha
        .call(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/projects/boat/tasks/{token}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    project_items.push(format!(
        "/{}",
        gone_uri.splitn(4, '/').nth(3).unwrap_or_default()
    ));

    let local = |i: &Instance, path: &str| format!("http://127.0.0.1:{}{path}", i.port);
    let documents: Vec<String> = [
        "/",
        "/members/ada",
        "/companies/tidewater",
        "/companies/gone",
        "/followers",
        "/outbox",
        "/members/ada/followers",
        "/members/ada/following",
        "/members/ada/outbox",
        "/companies/tidewater/followers",
        "/companies/tidewater/followers?page=1",
        "/companies/tidewater/outbox?page=1",
        "/directory",
        // A page from the start: the space and the company as directory entries.
        "/directory?after=Z2gxOjA",
        "/projects/boat",
        "/projects/boat/moderators",
        "/projects/boat/followers?page=1",
    ]
    .iter()
    .map(|p| local(&alpha, p))
    .chain(project_items.iter().map(|p| local(&alpha, p)))
    .chain(std::iter::once(local(&alpha, &event_path)))
    .chain(std::iter::once(local(
        &alpha,
        "/companies/tidewater/upcoming-events",
    )))
    .chain(
        ["/members/bob", "/members/bob/following?page=1"]
            .iter()
            .map(|p| local(&beta, p)),
    )
    .collect();
    let (ok, text) = run_checker(&documents);
    assert!(ok, "JSON-LD check failed:\n{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        documents.len(),
        "{text}"
    );
}
