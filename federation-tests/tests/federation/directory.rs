//! The federated directory across three spaces as processes: gamma peers with alpha and beta,
//! finds alpha's company by skill, city and free text within a short sync round (and alpha's
//! public event by its dates, until it is cancelled), and loses the company
//! when the company opts out, when gamma blocks alpha's domain, and when the company is
//! deleted. A member who never asked to be listed appears nowhere.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{ahead, eventually, Instance, AS_JSON, SOON};

/// Searches `instance`'s directory API.
async fn search(instance: &Instance, query: &str) -> Result<Value, String> {
    let (status, body) = instance
        .try_call(
            Method::GET,
            None,
            &format!("/api/v1/directory?{query}"),
            None,
        )
        .await?;
    if status == StatusCode::OK {
        Ok(body)
    } else {
        Err(format!("{status} {body}"))
    }
}

fn uris(results: &Value) -> Vec<String> {
    results["entries"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["uri"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until a search on `instance` does (or does not) list `uri`.
async fn wait_listed(instance: &Instance, query: &str, uri: &str, listed: bool) -> Value {
    eventually(
        &format!(
            "{} to {}list {uri} for {query}",
            instance.name,
            if listed { "" } else { "no longer " }
        ),
        SOON,
        || async {
            let r = search(instance, query).await?;
            if uris(&r).iter().any(|u| u == uri) == listed {
                Ok(r)
            } else {
                Err(r.to_string())
            }
        },
    )
    .await
}

#[tokio::test]
async fn three_spaces_find_each_others_companies_and_forget_them() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    // Alpha: a company doing Rust in Lisbon, owned by a member who never asked to be listed.
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let (status, body) = alpha
        .patch(
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"description": "Rust consulting by the river.", "skills": ["Rust", "PostgreSQL"],
                    "industry": "Software", "city": "Lisbon", "country": "PT", "hiring": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = alpha
        .patch(
            Some(&ada),
            "/api/v1/me",
            &json!({"bio": "Rust in Lisbon", "skills": ["Rust"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Beta: a design studio in Porto, which also does some Rust.
    let bea = beta.member("bea").await;
    beta.company(&bea, "quay", "Quay Studio").await;
    let (status, body) = beta
        .patch(
            Some(&bea),
            "/api/v1/companies/quay",
            &json!({"skills": ["Design", "Rust"], "city": "Porto", "country": "PT"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Gamma peers with both: one through the API, one as an operator would from the page.
    for peer in [&alpha, &beta] {
        let (status, body) = gamma
            .post(
                Some(&gamma.admin),
                "/api/v1/peers",
                &json!({"domain": peer.domain}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let company = alpha.company_uri("tidewater");
    let found = wait_listed(&gamma, "skill=rust&city=lisbon", &company, true).await;
    assert_eq!(
        uris(&found),
        vec![company.clone()],
        "only alpha's is in Lisbon"
    );
    let entry = &found["entries"][0];
    assert_eq!(entry["name"], "Tidewater Labs");
    assert_eq!(entry["origin"], alpha.domain);
    assert_eq!(entry["space_name"], "alpha space");
    assert_eq!(entry["hiring"], true);
    // The page a visitor sees: the card, its facets, the link to the origin.
    let page = gamma
        .http
        .get(gamma.url("/directory?skill=rust&city=lisbon"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Tidewater Labs"), "{html}");
    assert!(html.contains("id=\"facet-skill\""));
    assert!(html.contains("alpha space ↗"), "a link back to alpha");
    // Free text and facets reach both peers.
    let r = search(&gamma, "q=rust%20consulting").await.unwrap();
    assert_eq!(uris(&r), vec![company.clone()]);
    let quay = beta.company_uri("quay");
    let r = wait_listed(&gamma, "skill=rust", &quay, true).await;
    assert!(uris(&r).contains(&company));
    let spaces: Vec<&str> = r["facets"]["space"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["value"].as_str())
        .collect();
    assert!(spaces.contains(&alpha.domain.as_str()) && spaces.contains(&beta.domain.as_str()));
    // The local rendering links back to the origin.
    let link = entry["link"].as_str().unwrap();
    let page = gamma.http.get(gamma.url(link)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{link}");
    let html = page.text().await.unwrap();
    assert!(html.contains(&company), "a link to the origin");
    // Known spaces carry their NodeInfo.
    let (_, peers) = gamma.get(Some(&gamma.admin), "/api/v1/peers").await;
    let alpha_peer = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["domain"] == alpha.domain.as_str())
        .unwrap()
        .clone();
    assert_eq!(alpha_peer["software"], "guildhall");
    assert_eq!(alpha_peer["name"], "alpha space");

    // Alpha's public upcoming event reaches gamma, found by its dates; cancelled, it goes.
    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/events",
            &json!({"title": "Rust meetup", "starts_at": ahead("06-01T18:00"),
                    "ends_at": ahead("06-01T20:00"), "timezone": "Europe/Lisbon",
                    "locality": "Lisbon", "country": "PT", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let event = body["uri"].as_str().unwrap().to_string();
    let june = &format!("kind=event&from={}&to={}", ahead("06-01"), ahead("06-30"));
    let found = wait_listed(&gamma, june, &event, true).await;
    assert_eq!(found["entries"][0]["space_name"], "alpha space");
    assert_eq!(found["entries"][0]["city"], "Lisbon");
    let r = search(&gamma, &format!("kind=event&from={}", ahead("07-01")))
        .await
        .unwrap();
    assert!(!uris(&r).contains(&event), "{r}");
    let token = event.rsplit('/').next().unwrap();
    let (status, body) = alpha
        .post(
            Some(&ada),
            &format!("/api/v1/events/{token}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_listed(&gamma, june, &event, false).await;

    // The member who never opted in appears nowhere: not on alpha, not on the wire, not on gamma.
    let ada_uri = alpha.member_uri("ada");
    let r = search(&alpha, "q=ada").await.unwrap();
    assert!(!uris(&r).contains(&ada_uri));
    let directory = alpha
        .http
        .get(alpha.url("/directory?after=Z2gxOjA&limit=200"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(directory.contains(&company));
    assert!(!directory.contains(&ada_uri), "{directory}");
    for q in ["q=ada", "q=lisbon", "kind=person"] {
        let r = search(&gamma, q).await.unwrap();
        assert!(!uris(&r).contains(&ada_uri), "{q}: {r}");
    }

    // Opting out removes it from gamma; opting in brings it back.
    let set_listed = |on: bool| {
        let alpha = &alpha;
        let ada = ada.clone();
        async move {
            let (status, body) = alpha
                .patch(
                    Some(&ada),
                    "/api/v1/companies/tidewater",
                    &json!({"discoverable": on}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    set_listed(false).await;
    wait_listed(&gamma, "skill=rust&city=lisbon", &company, false).await;
    set_listed(true).await;
    wait_listed(&gamma, "skill=rust&city=lisbon", &company, true).await;

    // Gamma blocks alpha's domain: gone at once, beta's entries untouched.
    let (status, body) = gamma
        .post(
            Some(&gamma.admin),
            "/api/v1/admin/domains",
            &json!({"domain": "alpha.test", "policy": "block"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let r = search(&gamma, "skill=rust").await.unwrap();
    assert!(!uris(&r).contains(&company), "{r}");
    assert!(uris(&r).contains(&quay));
    // Unblocked, the whole directory is read again.
    let (status, body) = gamma
        .try_call(
            Method::DELETE,
            Some(&gamma.admin),
            "/api/v1/admin/domains/alpha.test",
            None,
        )
        .await
        .unwrap();
    assert!(status.is_success(), "{status} {body}");
    wait_listed(&gamma, "skill=rust&city=lisbon", &company, true).await;

    // Deleting the company removes it from gamma.
    let (status, body) = alpha
        .try_call(
            Method::DELETE,
            Some(&ada),
            "/api/v1/companies/tidewater",
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    wait_listed(&gamma, "skill=rust&city=lisbon", &company, false).await;
    let r = search(&gamma, "q=tidewater").await.unwrap();
    assert_eq!(r["total"], 0, "{r}");
}
