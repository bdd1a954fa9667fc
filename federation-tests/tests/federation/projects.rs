//! A shared project across instances: members of gamma and beta join a closed project on
//! alpha (approved by its manager), a task is assigned to the gamma member, who takes it and
//! comments from gamma; alpha applies and stores both, and its group announces the comment to
//! the other member instance.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{encode, eventually, Instance, SOON};

async fn remote_board(i: &Instance, token: &str, group: &str) -> Result<Value, String> {
    let (status, body) = i
        .get(
            Some(token),
            &format!("/api/v1/projects/remote?uri={}", encode(group)),
        )
        .await;
    if status == StatusCode::OK {
        Ok(body)
    } else {
        Err(format!("{status} {body}"))
    }
}

#[tokio::test]
async fn a_member_of_gamma_joins_a_project_on_alpha_takes_a_task_and_comments() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let carol = gamma.member("carol").await;
    let carol_uri = gamma.member_uri("carol");
    let bob_uri = beta.member_uri("bob");
    let (status, body) = alpha
        .post(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat", "closed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let group = body["uri"].as_str().unwrap().to_string();
    // A note written before anyone joins reaches each member's instance when it joins.
    let (status, old) = alpha
        .post(
            Some(&ada),
            "/api/v1/projects/boat/notes",
            &json!({"title": "Welcome", "body": "Read me first"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{old}");

    // Both ask to join from their own instance; the manager approves both.
    for (i, token) in [(&gamma, &carol), (&beta, &bob)] {
        let (status, body) = i
            .post(
                Some(token),
                "/api/v1/projects/remote/join",
                &json!({"target": alpha.handle("boat")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "pending");
    }
    eventually("two join requests at alpha", SOON, || async {
        let (_, b) = alpha.get(None, "/api/v1/projects/boat").await;
        let pending = b["pending"].as_array().cloned().unwrap_or_default();
        if pending.len() == 2 {
            Ok(())
        } else {
            Err(b.to_string())
        }
    })
    .await;
    for actor in [&carol_uri, &bob_uri] {
        let (status, body) = alpha
            .post(
                Some(&ada),
                "/api/v1/projects/boat/requests",
                &json!({"actor": actor, "accept": true}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    gamma.wait_following(&carol, &group, "accepted").await;
    beta.wait_following(&bob, &group, "accepted").await;
    for (i, token) in [(&gamma, &carol), (&beta, &bob)] {
        eventually(&format!("the earlier note on {}", i.name), SOON, || async {
            let b = remote_board(i, token, &group).await?;
            if b["notes"][0]["uri"] == old["uri"] {
                Ok(())
            } else {
                Err(b.to_string())
            }
        })
        .await;
    }

    // A task assigned to carol: she is told on gamma, and gamma shows it.
    let (status, task) = alpha
        .post(
            Some(&ada),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Sand the hull", "assignees": [gamma.handle("carol")]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let uri = task["uri"].as_str().unwrap().to_string();
    eventually("the assignment to reach carol on gamma", SOON, || async {
        let (_, n) = gamma.get(Some(&carol), "/api/v1/notifications").await;
        let told = n["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|i| i["kind"] == "task_assigned" && i["object"] == uri.as_str())
        });
        let b = remote_board(&gamma, &carol, &group).await?;
        if told && b["tasks"][0]["assignees"][0] == carol_uri.as_str() {
            Ok(())
        } else {
            Err(format!("{n} {b}"))
        }
    })
    .await;

    // Carol takes it from gamma: alpha applies it and announces the change to every member.
    let (status, body) = gamma
        .post(
            Some(&carol),
            "/api/v1/projects/remote/take",
            &json!({"uri": uri}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    eventually("the task to be doing everywhere", SOON, || async {
        let (_, a) = alpha.get(None, "/api/v1/projects/boat").await;
        let g = remote_board(&gamma, &carol, &group).await?;
        let b = remote_board(&beta, &bob, &group).await?;
        if a["tasks"][0]["status"] == "doing"
            && g["tasks"][0]["status"] == "doing"
            && b["tasks"][0]["status"] == "doing"
        {
            Ok(())
        } else {
            Err(format!("{a} {g} {b}"))
        }
    })
    .await;

    // Carol comments from gamma: visible on alpha, and announced to beta.
    let (status, comment) = gamma
        .post(
            Some(&carol),
            "/api/v1/posts",
            &json!({"text": "Started on the port side", "in_reply_to": uri}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let replies = format!("/api/v1/replies?uri={}", encode(&uri));
    for (i, token) in [(&alpha, &ada), (&beta, &bob)] {
        eventually(
            &format!("the comment to be visible on {}", i.name),
            SOON,
            || async {
                let (_, r) = i.get(Some(token), &replies).await;
                if r["items"][0]["uri"] == comment["uri"] {
                    Ok(())
                } else {
                    Err(r.to_string())
                }
            },
        )
        .await;
    }
    // Ada hears about the comment on her task.
    let (_, n) = alpha.get(Some(&ada), "/api/v1/notifications").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "reply" && i["object"] == comment["uri"]),
        "{n}"
    );
}
