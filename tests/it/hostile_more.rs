//! What the first round on hostile input left: remote file names cleaned as uploads are, a
//! remote task's assignees replaced and notified under the task's lock, and the events of a
//! remote organiser that deletes itself.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{eventually, port_of, rand_id, FakePeer};
use crate::hostile_authority::{
    activity_id, announce, encode, event_activity, event_by_uri, follow_accepted, following_state,
    json_of, received, remote_board, send, task_page, task_title,
};
use crate::support::{eventually_exactly, TestApp};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Ada at alpha asks to join the peer's group `team`; returns the group's address.
async fn joined_group(alpha: &TestApp, ada: &str, peer: &FakePeer) -> String {
    let group = peer.actor_named("team");
    let r = alpha
        .post_json(
            Some(ada),
            "/api/v1/projects/remote/join",
            &json!({"target": group}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the join request at the peer", || async {
        received(peer, "Follow")
            .into_iter()
            .find(|f| f["object"] == group.as_str())
    })
    .await;
    group
}

fn document(peer: &FakePeer, group: &str, name: &str) -> Value {
    json!({"id": format!("{}/files/{}", peer.base, rand_id()), "type": "Document",
           "attributedTo": group, "name": name, "mediaType": "text/plain", "fileSize": 5,
           "url": format!("{}/media/{}", peer.base, rand_id()),
           "to": [PUBLIC], "cc": [group], "audience": group, "context": group})
}

#[tokio::test]
async fn remote_file_names_are_cleaned_as_uploads_are() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_typed_actors(&[("team", "Group")]).await;
    let group = joined_group(&alpha, &ada, &peer).await;
    let cases = [
        ("invoice\u{202E}fdp.exe", Some("invoicefdp.exe")),
        ("report\u{2066}\u{200F}.pdf\u{061C}", Some("report.pdf")),
        ("../../etc/passwd", Some("passwd")),
        ("C:\\Windows\\run.bat", Some("run.bat")),
        ("bell\u{0007}\u{001B}[31m.txt", Some("bell[31m.txt")),
        ("<b>bold</b>.md", Some("bold.md")),
        ("notes/", None),
        ("\u{202E}", None),
    ];
    let mut sent = Vec::new();
    for (name, _) in &cases {
        let object = document(&peer, &group, name);
        sent.push(object["id"].as_str().unwrap().to_string());
        send(
            &peer,
            "team",
            &alpha,
            &announce(&peer, &group, "Create", &group, object),
        )
        .await;
    }
    // The group's next item, once here, shows that everything before it was processed.
    let marker = document(&peer, &group, "marker.txt");
    let marker_id = marker["id"].as_str().unwrap().to_string();
    send(
        &peer,
        "team",
        &alpha,
        &announce(&peer, &group, "Create", &group, marker),
    )
    .await;
    let file_name = |files: &Value, id: &str| {
        files
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["uri"] == id)
            .map(|f| f["name"].as_str().unwrap().to_string())
    };
    eventually("the marker file", || async {
        file_name(
            &remote_board(&alpha, &ada, &group).await["files"],
            &marker_id,
        )
    })
    .await;
    let files = remote_board(&alpha, &ada, &group).await["files"].clone();
    for ((name, expected), id) in cases.iter().zip(&sent) {
        assert_eq!(
            file_name(&files, id).as_deref(),
            *expected,
            "the file named {name:?}"
        );
    }
}

/// Ada's `task_assigned` notifications.
async fn assigned_notifications(app: &TestApp, token: &str) -> usize {
    json_of(app, Some(token), "/api/v1/notifications").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "task_assigned")
        .count()
}

#[tokio::test]
async fn a_remote_task_update_notifies_each_new_assignee_once() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://alpha.test:{}/members/ada", port_of(&alpha));
    let peer = FakePeer::start_with_typed_actors(&[("team", "Group")]).await;
    let group = joined_group(&alpha, &ada, &peer).await;
    let task = format!("{}/tasks/{}", peer.base, rand_id());
    send(
        &peer,
        "team",
        &alpha,
        &announce(
            &peer,
            &group,
            "Create",
            &group,
            task_page(&group, &task, "Sand the hull"),
        ),
    )
    .await;
    eventually("the task", || async {
        task_title(&alpha, &ada, &group, &task).await
    })
    .await;
    let assigned = |assignees: Value| {
        let mut page = task_page(&group, &task, "Sand the hull");
        page["assignees"] = assignees;
        announce(&peer, &group, "Update", &group, page)
    };

    // The same assignment arrives many times (the group's retries, its relays), processed in
    // one batch: Ada is assigned once, and told once.
    for _ in 0..8 {
        let update = assigned(json!([ada_uri, peer.actor_named("team")]));
        send(&peer, "team", &alpha, &update).await;
    }
    eventually_exactly(1, "Ada's assignment notifications", || {
        assigned_notifications(&alpha, &ada)
    })
    .await;
    let board = remote_board(&alpha, &ada, &group).await;
    let stored = board["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["uri"] == task.as_str())
        .unwrap()["assignees"]
        .clone();
    assert_eq!(stored.as_array().unwrap().len(), 2, "{stored}");
    assert!(stored.as_array().unwrap().contains(&json!(ada_uri)));

    // Taken off the task and put back on: a new assignment, told once more.
    send(&peer, "team", &alpha, &assigned(json!([]))).await;
    send(&peer, "team", &alpha, &assigned(json!([ada_uri]))).await;
    eventually_exactly(2, "Ada's assignment notifications", || {
        assigned_notifications(&alpha, &ada)
    })
    .await;
}

#[tokio::test]
async fn a_remote_organiser_that_deletes_itself_leaves_no_live_event() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_actors(&["organiser", "stranger"]).await;
    let organiser = peer.actor_named("organiser");
    let stranger = peer.actor_named("stranger");
    follow_accepted(&alpha, &ada, &peer, "organiser").await;
    follow_accepted(&alpha, &ada, &peer, "stranger").await;
    let mut events = Vec::new();
    for (who, uri, name) in [
        ("organiser", &organiser, "Harbour meetup"),
        ("organiser", &organiser, "Quay cleanup"),
        ("stranger", &stranger, "Stranger's talk"),
    ] {
        let id = format!("{}/events/{}", peer.base, rand_id());
        send(
            &peer,
            who,
            &alpha,
            &event_activity(&peer, "Create", uri, uri, &id, name),
        )
        .await;
        events.push(id);
    }
    for id in &events {
        eventually("the event", || event_by_uri(&alpha, &ada, id)).await;
    }
    let listed = || async {
        let list = json_of(&alpha, Some(&ada), "/api/v1/events").await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        events
            .iter()
            .filter(|id| items.iter().any(|e| e["uri"] == id.as_str()))
            .count()
    };
    assert_eq!(listed().await, 3, "the events are listed");
    // Ada has a seat at the organiser's first event.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events/join",
            &json!({"uri": events[0]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let join = eventually("the Join at the peer", || async {
        received(&peer, "Join").into_iter().next()
    })
    .await;
    let accept = json!({"id": activity_id(&peer), "type": "Accept", "actor": organiser,
        "object": join["id"]});
    send(&peer, "organiser", &alpha, &accept).await;
    eventually("Ada to be seated", || async {
        let e = event_by_uri(&alpha, &ada, &events[0]).await?;
        (e["my_rsvp"] == "accepted").then_some(())
    })
    .await;
    let told = || async {
        json_of(&alpha, Some(&ada), "/api/v1/notifications").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "event_updated" && n["object"] == events[0].as_str())
            .count()
    };
    assert_eq!(told().await, 0);

    // The organiser deletes itself: its events become tombstones; the stranger's stays.
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": organiser,
        "object": organiser, "to": [PUBLIC]});
    send(&peer, "organiser", &alpha, &delete).await;
    eventually("the organiser's follow to go", || async {
        following_state(&alpha, &ada, &organiser)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    // The follow goes in the same transaction as the events.
    for id in &events[..2] {
        let r = alpha
            .get(
                Some(&ada),
                &format!("/api/v1/events/by-uri?uri={}", encode(id)),
            )
            .await;
        assert_eq!(r.status(), StatusCode::GONE, "{id}");
    }
    assert_eq!(
        event_by_uri(&alpha, &ada, &events[2]).await.unwrap()["title"],
        "Stranger's talk"
    );
    assert_eq!(listed().await, 1, "only the stranger's event is listed");
    // Ada was told, once, that the event she had a seat at is gone.
    eventually_exactly(1, "Ada's notices of the deleted event", told).await;
}
