//! A suspended remote actor's events leave every list of events here until the suspension is
//! lifted; "delete the content" from a report removes stored remote posts and events from
//! this space (nothing sent for them) and deletes a local project's item through the
//! projects feature, whose group announces the `Delete` to its members' servers.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{act_on_report, file_report};
use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::support::{ahead, TestApp};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn create(peer: &FakePeer, object: Value) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
        "actor": peer.actor(), "object": object})
}

async fn text_of(app: &TestApp, token: Option<&str>, path: &str) -> String {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// A space where ada follows the peer (accepted), which has sent a public event and a public
/// post mentioning ada; the space, its admin, ada, the peer, the event's and the post's ids.
async fn with_remote_event_and_post() -> (TestApp, String, String, FakePeer, String, String) {
    let (alpha, admin) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://{domain}/members/ada");
    let peer = FakePeer::start().await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let follow = eventually("the Follow at the peer", || async {
        peer.received_of("Follow").into_iter().next()
    })
    .await;
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": follow});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &accept).await,
        StatusCode::ACCEPTED
    );
    eventually("the follow accepted", || async {
        let r = alpha.get(Some(&ada), "/api/v1/following").await;
        let list: Value = r.json().await.unwrap();
        (list["items"][0]["state"] == "accepted").then_some(())
    })
    .await;
    let event_id = format!("{}/events/{}", peer.base, rand_id());
    let event = create(
        &peer,
        json!({"id": event_id, "type": "Event", "attributedTo": peer.actor(),
            "name": "Watch fair", "content": "Watches.",
            "startTime": ahead("07-01T10:00:00+02:00"), "endTime": ahead("07-01T12:00:00+02:00"),
            "timezone": "Europe/Berlin", "to": [PUBLIC],
            "cc": [format!("{}/followers", peer.actor())],
            "location": {"type": "Place", "name": "Hall", "address": {"type": "PostalAddress",
                "streetAddress": "Hauptstr. 1", "addressLocality": "Berlin"}},
            "joinMode": "free", "category": "MEETING"}),
    );
    let note_id = format!("{}/notes/{}", peer.base, rand_id());
    let note = create(
        &peer,
        json!({"id": note_id, "type": "Note", "attributedTo": peer.actor(),
            "content": "Cheap watches @ada", "to": [PUBLIC], "cc": [ada_uri],
            "tag": [{"type": "Mention", "href": ada_uri, "name": "@ada"}],
            "published": "2026-11-24T10:00:00Z"}),
    );
    for a in [&event, &note] {
        assert_eq!(
            peer.deliver(&alpha, &domain, "/inbox", a).await,
            StatusCode::ACCEPTED
        );
    }
    let post_api = format!("/api/v1/posts?uri={}", encode(&note_id));
    eventually("the event and the post stored", || async {
        let events = text_of(&alpha, Some(&ada), "/api/v1/events").await;
        (events.contains("Watch fair")
            && alpha.get(Some(&ada), &post_api).await.status() == StatusCode::OK)
            .then_some(())
    })
    .await;
    (alpha, admin, ada, peer, event_id, note_id)
}

#[tokio::test]
async fn a_suspended_remote_actors_events_leave_every_list_until_it_is_lifted() {
    let (alpha, admin, ada, peer, _event_id, _) = with_remote_event_and_post().await;
    let id = file_report(
        &alpha,
        &ada,
        json!({"target": peer.actor(), "category": "spam", "comment": "Watches"}),
    )
    .await;
    let lists = [
        (Some(ada.as_str()), "/api/v1/events"),
        (Some(ada.as_str()), "/events"),
        (Some(ada.as_str()), "/"),
        (Some(admin.as_str()), "/api/v1/events"),
        (None, "/api/v1/events"),
        (None, "/events"),
    ];
    let organizer = format!("/api/v1/events?organizer={}", encode(&peer.actor()));
    act_on_report(&alpha, &admin, id, "suspend", "spam").await;
    for (token, path) in lists
        .iter()
        .copied()
        .chain([(Some(ada.as_str()), organizer.as_str())])
    {
        let text = text_of(&alpha, token, path).await;
        assert!(!text.contains("Watch fair"), "{path}: {text}");
    }
    act_on_report(&alpha, &admin, id, "unsuspend", "a mistake").await;
    for (token, path) in lists
        .iter()
        .copied()
        .chain([(Some(ada.as_str()), organizer.as_str())])
    {
        assert!(
            text_of(&alpha, token, path).await.contains("Watch fair"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn deleting_reported_content_removes_remote_copies_and_announces_a_project_items_deletion() {
    let (alpha, admin, ada, peer, event_id, note_id) = with_remote_event_and_post().await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    // Ada's project, which a member of the peer's server joined, with ada's task.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let group = format!("http://{domain}/projects/boat");
    assert_eq!(
        peer.deliver(
            &alpha,
            &domain,
            "/projects/boat/inbox",
            &peer.follow(&group)
        )
        .await,
        StatusCode::ACCEPTED
    );
    eventually("the peer's member in the project", || async {
        peer.received_of("Accept")
            .into_iter()
            .find(|a| a["actor"] == group.as_str())
    })
    .await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Sell watches"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let task = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let task_path = task.replace(&format!("http://{domain}"), "");

    // Deleting the remote post and event: gone here, for moderators too; nothing is sent.
    let remote = file_report(
        &alpha,
        &ada,
        json!({"target": peer.actor(), "objects": [note_id, event_id], "category": "spam",
            "comment": "Watches"}),
    )
    .await;
    let sent_before = peer.received.lock().unwrap().len();
    act_on_report(&alpha, &admin, remote, "delete", "spam").await;
    let post_api = format!("/api/v1/posts?uri={}", encode(&note_id));
    for token in [&ada, &admin] {
        assert_eq!(
            alpha.get(Some(token), &post_api).await.status(),
            StatusCode::GONE
        );
        let events = text_of(&alpha, Some(token), "/api/v1/events").await;
        assert!(!events.contains("Watch fair"), "{events}");
    }
    // Deleting again finds nothing left to delete.
    let r = alpha
        .post_json(
            Some(&admin),
            &format!("/api/v1/admin/reports/{remote}/actions"),
            &json!({"action": "delete", "reason": "again"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Deleting the project's task: 410 at its address, the group announces the Delete.
    let local = file_report(
        &alpha,
        &admin,
        json!({"target": "@ada", "objects": [task], "category": "other", "comment": "Off topic"}),
    )
    .await;
    act_on_report(&alpha, &admin, local, "delete", "off topic").await;
    assert_eq!(
        alpha.get(Some(&ada), &task_path).await.status(),
        StatusCode::GONE
    );
    let board = text_of(&alpha, Some(&ada), "/api/v1/projects/boat").await;
    assert!(!board.contains("Sell watches"), "{board}");
    let announce = eventually("the group's Announce of the Delete", || async {
        peer.received_of("Announce").into_iter().find(|a| {
            a["object"]["type"] == "Delete" && a["object"]["object"]["id"] == task.as_str()
        })
    })
    .await;
    assert_eq!(announce["actor"], group.as_str());
    // Of everything the peer was sent since, only the group's announces: no Delete of the
    // remote post or event went back to it.
    let sent: Vec<Value> = peer.received.lock().unwrap()[sent_before..].to_vec();
    assert!(sent.iter().all(|a| a["type"] == "Announce"), "{sent:?}");
    // The audit log has a line for each deletion.
    let r = alpha.get(Some(&admin), "/api/v1/admin/audit").await;
    let audit = r.text().await.unwrap();
    for uri in [&note_id, &event_id, &task] {
        assert!(audit.contains(uri.as_str()), "{uri} not in {audit}");
    }
}
