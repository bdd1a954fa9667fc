//! Guildhall to Guildhall: instances as separate processes.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{eventually, Instance, SOON};

/// Waits until `instance` has `name` as the cached name of the remote actor `uri`.
async fn wait_cached_name(
    instance: &Instance,
    token: &str,
    uri: &str,
    name: &str,
    within: Duration,
) {
    eventually(
        &format!("{} to know {uri} as {name:?}", instance.name),
        within,
        || async {
            let (status, actor) = instance.lookup(token, uri).await?;
            if status == StatusCode::OK && actor["name"] == name {
                Ok(())
            } else {
                Err(format!("{status} {actor}"))
            }
        },
    )
    .await;
}

#[tokio::test]
async fn webfinger_lookup_resolves_remote_members_and_companies() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let bob = beta.member("bob").await;

    let (status, company) = beta.lookup(&bob, &alpha.handle("tidewater")).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["uri"], alpha.company_uri("tidewater"));
    assert_eq!(company["kind"], "Organization");
    assert_eq!(company["preferred_username"], "tidewater");
    assert_eq!(company["name"], "Tidewater Labs");
    assert_eq!(company["inbox"], alpha.url("/companies/tidewater/inbox"));
    assert_eq!(company["shared_inbox"], alpha.url("/inbox"));

    let (status, member) = beta.lookup(&bob, &alpha.handle("ada")).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(member["uri"], alpha.member_uri("ada"));
    assert_eq!(member["kind"], "Person");

    // By address too, and the `acct:` form.
    let (status, by_url) = beta.lookup(&bob, &alpha.member_uri("ada")).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_url["uri"], alpha.member_uri("ada"));
    let acct = format!("acct:boss@{}", alpha.domain);
    let (status, admin) = beta.lookup(&bob, &acct).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{admin}");
    assert_eq!(admin["uri"], alpha.member_uri("boss"));

    // A name WebFinger does not know is an error for the caller, not a crash.
    let (status, body) = beta.lookup(&bob, &alpha.handle("nobody")).await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn members_of_two_instances_follow_a_company_and_are_accepted() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;

    let followed = beta.follow(&bob, &alpha.handle("tidewater")).await;
    assert_eq!(followed["uri"], company);
    assert_eq!(followed["name"], "Tidewater Labs");
    gamma.follow(&carol, &alpha.handle("tidewater")).await;

    // Alpha accepts both on its own; each instance records the Accept.
    let entry = beta.wait_following(&bob, &company, "accepted").await;
    assert_eq!(entry["name"], "Tidewater Labs");
    gamma.wait_following(&carol, &company, "accepted").await;
    let mut followers = eventually("both followers at alpha", SOON, || async {
        let items = alpha.followers_page("/companies/tidewater").await?;
        if items.len() == 2 {
            Ok(items)
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await;
    followers.sort();
    let mut expected = vec![beta.member_uri("bob"), gamma.member_uri("carol")];
    expected.sort();
    assert_eq!(followers, expected);
    assert_eq!(alpha.followers_total("/companies/tidewater").await, Ok(2));
}

#[tokio::test]
async fn a_locked_member_approves_one_remote_follower_and_rejects_another() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    let (status, me) = alpha
        .patch(Some(&ada), "/api/v1/me", &json!({"locked": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let ada_uri = alpha.member_uri("ada");
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;
    let bob_uri = beta.member_uri("bob");
    let carol_uri = gamma.member_uri("carol");

    beta.follow(&bob, &alpha.handle("ada")).await;
    gamma.follow(&carol, &alpha.handle("ada")).await;
    // Both requests wait at alpha.
    eventually("two pending requests at alpha", SOON, || async {
        let (_, list) = alpha.get(Some(&ada), "/api/v1/followers").await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let pending = |uri: &str| {
            items
                .iter()
                .any(|f| f["uri"] == uri && f["state"] == "pending")
        };
        if pending(&bob_uri) && pending(&carol_uri) {
            Ok(())
        } else {
            Err(list.to_string())
        }
    })
    .await;
    beta.wait_following(&bob, &ada_uri, "pending").await;
    assert_eq!(alpha.followers_total("/members/ada").await, Ok(0));

    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/follow-requests/approve",
            &json!({"follower": bob_uri}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/follow-requests/reject",
            &json!({"follower": carol_uri}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    beta.wait_following(&bob, &ada_uri, "accepted").await;
    eventually("the rejection to reach gamma", SOON, || async {
        match gamma.following_entry(&carol, &ada_uri).await? {
            None => Ok(()),
            Some(f) => Err(f.to_string()),
        }
    })
    .await;
    assert_eq!(
        alpha.followers_page("/members/ada").await,
        Ok(vec![bob_uri])
    );
}

#[tokio::test]
async fn a_company_profile_update_reaches_every_following_instance() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;
    beta.follow(&bob, &company).await;
    gamma.follow(&carol, &company).await;
    beta.wait_following(&bob, &company, "accepted").await;
    gamma.wait_following(&carol, &company, "accepted").await;

    let (status, body) = alpha
        .patch(
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"name": "Tidewater Studio", "description": "Now a studio."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    wait_cached_name(&beta, &bob, &company, "Tidewater Studio", SOON).await;
    wait_cached_name(&gamma, &carol, &company, "Tidewater Studio", SOON).await;
    // The follow lists show the name from each instance's own copy.
    let entry = beta.following_entry(&bob, &company).await.unwrap().unwrap();
    assert_eq!(entry["name"], "Tidewater Studio");
    let (_, actor) = gamma.lookup(&carol, &company).await.unwrap();
    assert!(
        actor["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("Now a studio."),
        "{actor}"
    );
}

#[tokio::test]
async fn unfollowing_removes_the_follower_at_the_remote_instance() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    beta.follow(&bob, &alpha.handle("tidewater")).await;
    beta.wait_following(&bob, &company, "accepted").await;
    eventually("one follower at alpha", SOON, || async {
        match alpha.followers_total("/companies/tidewater").await? {
            1 => Ok(()),
            n => Err(n.to_string()),
        }
    })
    .await;

    let (status, body) = beta
        .post(Some(&bob), "/api/v1/unfollow", &json!({"target": company}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(beta.following_entry(&bob, &company).await, Ok(None));
    eventually("the Undo to reach alpha", SOON, || async {
        match alpha.followers_total("/companies/tidewater").await? {
            0 => Ok(()),
            n => Err(n.to_string()),
        }
    })
    .await;
    assert_eq!(
        alpha.followers_page("/companies/tidewater").await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn a_blocked_domain_is_refused_both_ways() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;

    let (status, rule) = alpha
        .post(
            Some(&alpha.admin),
            "/api/v1/admin/domains",
            &json!({"domain": "beta.test", "policy": "block", "reason": "federation tests"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");

    // Inbound: beta can still read alpha's public actor, but its Follow is refused with 403,
    // which beta records as a failed delivery; the follow stays pending.
    let followed = beta.follow(&bob, &alpha.handle("tidewater")).await;
    assert_eq!(followed["state"], "pending");
    let host = eventually("beta's delivery to alpha to fail", SOON, || async {
        let host = beta.delivery_host(&alpha.domain).await?;
        if host["failed"] == 1 && host["queued"] == 0 {
            Ok(host)
        } else {
            Err(host.to_string())
        }
    })
    .await;
    assert_eq!(host["delivered"], 0, "{host}");
    assert_eq!(
        beta.following_entry(&bob, &company).await.unwrap().unwrap()["state"],
        "pending"
    );
    assert_eq!(alpha.followers_total("/companies/tidewater").await, Ok(0));

    // Outbound: alpha's members cannot follow anyone on beta, by handle or by address.
    for target in [beta.handle("bob"), beta.member_uri("bob")] {
        let (status, body) = alpha
            .post(Some(&ada), "/api/v1/follows", &json!({"target": target}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "follow of {target}: {body}");
        let (status, body) = alpha.lookup(&ada, &target).await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "lookup of {target}: {body}");
    }

    // Gamma is not blocked: the same follow from there is accepted.
    gamma.follow(&carol, &alpha.handle("tidewater")).await;
    gamma.wait_following(&carol, &company, "accepted").await;
    assert_eq!(
        alpha.followers_page("/companies/tidewater").await,
        Ok(vec![gamma.member_uri("carol")])
    );
}

#[tokio::test]
async fn an_update_waits_for_a_receiver_that_is_down() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let mut beta = beta;
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    beta.follow(&bob, &alpha.handle("tidewater")).await;
    beta.wait_following(&bob, &company, "accepted").await;

    beta.stop().await;
    let (status, body) = alpha
        .patch(
            Some(&ada),
            "/api/v1/companies/tidewater",
            &json!({"name": "Tidewater While You Were Out"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The Update to beta's shared inbox is tried, fails, and stays queued.
    let host = eventually("alpha to fail delivering to beta", SOON, || async {
        let host = alpha.delivery_host(&beta.domain).await?;
        if host["queued"] == 1 && host["consecutive_failures"].as_i64() >= Some(1) {
            Ok(host)
        } else {
            Err(host.to_string())
        }
    })
    .await;
    assert_eq!(host["failed"], 0, "{host}");

    beta.restart().await;
    wait_cached_name(&beta, &bob, &company, "Tidewater While You Were Out", SOON).await;
    let host = eventually("alpha's queue to beta to drain", SOON, || async {
        let host = alpha.delivery_host(&beta.domain).await?;
        if host["queued"] == 0 {
            Ok(host)
        } else {
            Err(host.to_string())
        }
    })
    .await;
    // The Accept of bob's follow, then the Update.
    assert_eq!(host["delivered"], 2, "{host}");
    assert_eq!(host["failed"], 0, "{host}");
    assert_eq!(host["consecutive_failures"], 0, "{host}");
}

#[tokio::test]
async fn a_deleted_company_answers_410_and_its_followers_drop_it() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    alpha.company(&ada, "tidewater", "Tidewater Labs").await;
    let company = alpha.company_uri("tidewater");
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;
    beta.follow(&bob, &company).await;
    gamma.follow(&carol, &company).await;
    beta.wait_following(&bob, &company, "accepted").await;
    gamma.wait_following(&carol, &company, "accepted").await;

    let (status, body) = alpha
        .call(
            Method::DELETE,
            Some(&ada),
            "/api/v1/companies/tidewater",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Servers asking for the company get a Tombstone with 410.
    let (status, doc) = alpha.activity_json("/companies/tidewater").await.unwrap();
    assert_eq!(status, StatusCode::GONE, "{doc}");
    assert_eq!(doc["type"], "Tombstone", "{doc}");
    assert_eq!(doc["id"], company);
    assert_eq!(doc["formerType"], "Organization");

    // Both followers learn of it through the Delete and forget the company.
    for (instance, token) in [(&beta, &bob), (&gamma, &carol)] {
        eventually(
            &format!(
                "{} to drop its follow of the deleted company",
                instance.name
            ),
            SOON,
            || async {
                match instance.following_entry(token, &company).await? {
                    None => Ok(()),
                    Some(f) => Err(f.to_string()),
                }
            },
        )
        .await;
        // Asked again, it does not bring the company back.
        let (status, body) = instance.lookup(token, &company).await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let host = alpha.delivery_host(&instance.domain).await.unwrap();
        // The Accept of the follow, then the Delete.
        assert_eq!(host["delivered"], 2, "{host}");
        assert_eq!(host["failed"], 0, "{host}");
    }
}
