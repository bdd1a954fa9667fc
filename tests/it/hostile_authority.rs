//! Authority from outside: a stranger on the owner's own server (one peer, several actors,
//! each with its own key) cannot change an event, answer its Joins, change or delete a post,
//! speak for a project's group, undo someone else's activity or delete another actor. Each test
//! ends with the owner doing the same thing, which works. Also what a deleted remote actor
//! leaves behind, the tombstones of project items, and the shape of a group's `Announce`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{assert_terms_defined, eventually, port_of, rand_id, FakePeer, AS_JSON};
use crate::support::TestApp;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

pub(crate) fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

pub(crate) async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

/// What the peer has received of one type.
pub(crate) fn received(peer: &FakePeer, kind: &str) -> Vec<Value> {
    peer.received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == kind)
        .cloned()
        .collect()
}

/// A fresh activity id on the peer's host.
pub(crate) fn activity_id(peer: &FakePeer) -> String {
    format!("{}/activities/{}", peer.base, rand_id())
}

/// A time `days` from now, as ActivityStreams writes it.
pub(crate) fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Delivers `activity` to the shared inbox, signed by the peer's actor `who`.
pub(crate) async fn send(peer: &FakePeer, who: &str, app: &TestApp, activity: &Value) {
    let domain = format!("alpha.test:{}", port_of(app));
    assert_eq!(
        peer.deliver_as(who, app, &domain, "/inbox", activity).await,
        StatusCode::ACCEPTED,
        "{activity}"
    );
}

/// `member` follows the peer's actor `who`, which accepts.
pub(crate) async fn follow_accepted(app: &TestApp, member: &str, peer: &FakePeer, who: &str) {
    let target = peer.actor_named(who);
    let r = app
        .post_json(Some(member), "/api/v1/follows", &json!({"target": target}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let follow = eventually("the Follow at the peer", || async {
        received(peer, "Follow")
            .into_iter()
            .find(|f| f["object"] == target.as_str())
    })
    .await;
    let accept =
        json!({"id": activity_id(peer), "type": "Accept", "actor": target, "object": follow});
    send(peer, who, app, &accept).await;
    eventually("the follow to be accepted", || async {
        following_state(app, member, &target)
            .await
            .filter(|s| s == "accepted")
    })
    .await;
}

pub(crate) async fn following_state(app: &TestApp, member: &str, uri: &str) -> Option<String> {
    let list = json_of(app, Some(member), "/api/v1/following").await;
    list["items"]
        .as_array()?
        .iter()
        .find(|f| f["uri"] == uri)
        .map(|f| f["state"].as_str().unwrap_or_default().to_string())
}

/// A `Create` (or, with `kind`, another activity) of an `Event` organised by `organiser`.
pub(crate) fn event_activity(
    peer: &FakePeer,
    kind: &str,
    actor: &str,
    organiser: &str,
    id: &str,
    name: &str,
) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id(peer), "type": kind, "actor": actor,
        "object": {
            "id": id, "type": "Event", "attributedTo": organiser, "name": name,
            "content": "<p>Bring a laptop.</p>", "startTime": in_days(30), "endTime": in_days(31),
            "to": [PUBLIC], "joinMode": "free", "maximumAttendeeCapacity": 10,
        }
    })
}

/// The event at `uri` as `member` sees it: `None` when it is gone or unknown.
pub(crate) async fn event_by_uri(app: &TestApp, member: &str, uri: &str) -> Option<Value> {
    let r = app
        .get(
            Some(member),
            &format!("/api/v1/events/by-uri?uri={}", encode(uri)),
        )
        .await;
    if r.status() != StatusCode::OK {
        return None;
    }
    r.json().await.ok()
}

/// Sends a new event from the organiser and waits until it is stored: activities are processed
/// in the order received, so whatever came before it has been processed too.
async fn marker_event(app: &TestApp, member: &str, peer: &FakePeer, who: &str) {
    let id = format!("{}/events/{}", peer.base, rand_id());
    let organiser = peer.actor_named(who);
    send(
        peer,
        who,
        app,
        &event_activity(peer, "Create", &organiser, &organiser, &id, "Marker"),
    )
    .await;
    eventually("the marker event", || event_by_uri(app, member, &id)).await;
}

#[tokio::test]
async fn only_the_organiser_updates_or_deletes_a_remote_event() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_actors(&["organiser", "stranger"]).await;
    let organiser = peer.actor_named("organiser");
    let stranger = peer.actor_named("stranger");
    follow_accepted(&alpha, &ada, &peer, "organiser").await;
    let id = format!("{}/events/{}", peer.base, rand_id());
    send(
        &peer,
        "organiser",
        &alpha,
        &event_activity(&peer, "Create", &organiser, &organiser, &id, "Meetup"),
    )
    .await;
    eventually("the event", || event_by_uri(&alpha, &ada, &id)).await;

    // The stranger, on the same server, renames it (claiming the organiser, then itself) and
    // deletes it.
    for attributed in [&organiser, &stranger] {
        send(
            &peer,
            "stranger",
            &alpha,
            &event_activity(&peer, "Update", &stranger, attributed, &id, "Hijacked"),
        )
        .await;
    }
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": stranger,
        "object": {"id": id, "type": "Tombstone"}});
    send(&peer, "stranger", &alpha, &delete).await;
    marker_event(&alpha, &ada, &peer, "organiser").await;
    let e = event_by_uri(&alpha, &ada, &id)
        .await
        .expect("the event is still there");
    assert_eq!(e["title"], "Meetup");
    assert_eq!(e["organizer"], organiser.as_str());

    // The organiser does the same: both work.
    send(
        &peer,
        "organiser",
        &alpha,
        &event_activity(&peer, "Update", &organiser, &organiser, &id, "Renamed"),
    )
    .await;
    eventually("the organiser's rename", || async {
        event_by_uri(&alpha, &ada, &id)
            .await
            .filter(|e| e["title"] == "Renamed")
    })
    .await;
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": organiser,
        "object": {"id": id, "type": "Tombstone"}});
    send(&peer, "organiser", &alpha, &delete).await;
    eventually("the organiser's deletion", || async {
        let r = alpha
            .get(
                Some(&ada),
                &format!("/api/v1/events/by-uri?uri={}", encode(&id)),
            )
            .await;
        (r.status() == StatusCode::GONE).then_some(())
    })
    .await;
}

#[tokio::test]
async fn only_the_organiser_answers_a_join() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_actors(&["organiser", "stranger"]).await;
    let organiser = peer.actor_named("organiser");
    let stranger = peer.actor_named("stranger");
    follow_accepted(&alpha, &ada, &peer, "organiser").await;
    let id = format!("{}/events/{}", peer.base, rand_id());
    send(
        &peer,
        "organiser",
        &alpha,
        &event_activity(&peer, "Create", &organiser, &organiser, &id, "Meetup"),
    )
    .await;
    eventually("the event", || event_by_uri(&alpha, &ada, &id)).await;
    let r = alpha
        .post_json(Some(&ada), "/api/v1/events/join", &json!({"uri": id}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let join = eventually("the Join at the peer", || async {
        received(&peer, "Join").into_iter().next()
    })
    .await;
    let rsvp = || async {
        event_by_uri(&alpha, &ada, &id).await.unwrap()["my_rsvp"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(rsvp().await, "pending");
    let answer = |kind: &str, actor: &str, object: Value| json!({"id": activity_id(&peer), "type": kind, "actor": actor, "object": object});

    // The stranger accepts (by id), then rejects (embedding the Join): neither counts.
    send(
        &peer,
        "stranger",
        &alpha,
        &answer("Accept", &stranger, join["id"].clone()),
    )
    .await;
    send(
        &peer,
        "stranger",
        &alpha,
        &answer("Reject", &stranger, join.clone()),
    )
    .await;
    marker_event(&alpha, &ada, &peer, "organiser").await;
    assert_eq!(rsvp().await, "pending");

    // The organiser accepts: Ada is seated. The stranger's Reject then changes nothing.
    send(
        &peer,
        "organiser",
        &alpha,
        &answer("Accept", &organiser, join["id"].clone()),
    )
    .await;
    eventually("Ada to be seated", || async {
        (rsvp().await == "accepted").then_some(())
    })
    .await;
    send(
        &peer,
        "stranger",
        &alpha,
        &answer("Reject", &stranger, join["id"].clone()),
    )
    .await;
    marker_event(&alpha, &ada, &peer, "organiser").await;
    assert_eq!(rsvp().await, "accepted");
    // The organiser's own Reject does.
    send(
        &peer,
        "organiser",
        &alpha,
        &answer("Reject", &organiser, join["id"].clone()),
    )
    .await;
    eventually("Ada to be declined", || async {
        (rsvp().await == "rejected").then_some(())
    })
    .await;
}

/// A `Create` (or `Update`) of a public `Note` by `actor`, attributed to `author`.
fn note_activity(
    peer: &FakePeer,
    kind: &str,
    actor: &str,
    author: &str,
    id: &str,
    text: &str,
) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id(peer), "type": kind, "actor": actor,
        "to": [PUBLIC],
        "object": {"id": id, "type": "Note", "attributedTo": author, "content": format!("<p>{text}</p>"),
                   "to": [PUBLIC], "published": in_days(0)}
    })
}

async fn post_by_uri(app: &TestApp, member: &str, uri: &str) -> reqwest::Response {
    app.get(Some(member), &format!("/api/v1/posts?uri={}", encode(uri)))
        .await
}

/// Sends a new note from `who` and waits until it is stored (everything sent before it has
/// been processed by then).
async fn marker_post(app: &TestApp, member: &str, peer: &FakePeer, who: &str) {
    let id = format!("{}/notes/{}", peer.base, rand_id());
    let author = peer.actor_named(who);
    send(
        peer,
        who,
        app,
        &note_activity(peer, "Create", &author, &author, &id, "marker"),
    )
    .await;
    eventually("the marker post", || async {
        (post_by_uri(app, member, &id).await.status() == StatusCode::OK).then_some(())
    })
    .await;
}

#[tokio::test]
async fn only_the_author_updates_or_deletes_a_remote_post() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_actors(&["author", "stranger"]).await;
    let author = peer.actor_named("author");
    let stranger = peer.actor_named("stranger");
    follow_accepted(&alpha, &ada, &peer, "author").await;
    let id = format!("{}/notes/{}", peer.base, rand_id());
    send(
        &peer,
        "author",
        &alpha,
        &note_activity(&peer, "Create", &author, &author, &id, "original"),
    )
    .await;
    let content = || async {
        let r = post_by_uri(&alpha, &ada, &id).await;
        if r.status() != StatusCode::OK {
            return None;
        }
        r.json::<Value>().await.ok()?["content"]
            .as_str()
            .map(str::to_string)
    };
    eventually("the post", content).await;

    for attributed in [&author, &stranger] {
        send(
            &peer,
            "stranger",
            &alpha,
            &note_activity(&peer, "Update", &stranger, attributed, &id, "hijacked"),
        )
        .await;
    }
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": stranger,
        "object": {"id": id, "type": "Tombstone"}});
    send(&peer, "stranger", &alpha, &delete).await;
    marker_post(&alpha, &ada, &peer, "author").await;
    let now = content().await.expect("the post is still there");
    assert!(now.contains("original"), "{now}");
    assert!(!now.contains("hijacked"), "{now}");

    send(
        &peer,
        "author",
        &alpha,
        &note_activity(&peer, "Update", &author, &author, &id, "edited"),
    )
    .await;
    eventually("the author's edit", || async {
        content().await.filter(|c| c.contains("edited"))
    })
    .await;
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": author,
        "object": {"id": id, "type": "Tombstone"}});
    send(&peer, "author", &alpha, &delete).await;
    eventually("the author's deletion", || async {
        (post_by_uri(&alpha, &ada, &id).await.status() == StatusCode::GONE).then_some(())
    })
    .await;
}

/// The remote project as `member` sees it.
pub(crate) async fn remote_board(app: &TestApp, member: &str, group: &str) -> Value {
    json_of(
        app,
        Some(member),
        &format!("/api/v1/projects/remote?uri={}", encode(group)),
    )
    .await
}

/// The task `uri` on a remote board: its title, `None` when it is not there.
pub(crate) async fn task_title(
    app: &TestApp,
    member: &str,
    group: &str,
    uri: &str,
) -> Option<String> {
    remote_board(app, member, group).await["tasks"]
        .as_array()?
        .iter()
        .find(|t| t["uri"] == uri)
        .map(|t| t["title"].as_str().unwrap_or_default().to_string())
}

/// The group's `Announce` of an activity of `kind` about `object`, by `actor`.
pub(crate) fn announce(
    peer: &FakePeer,
    group: &str,
    kind: &str,
    actor: &str,
    object: Value,
) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id(peer), "type": "Announce", "actor": group,
        "to": [PUBLIC], "cc": [format!("{group}/followers")], "audience": group,
        "object": {"id": activity_id(peer), "type": kind, "actor": actor, "object": object,
                   "to": [PUBLIC], "cc": [group], "audience": group}
    })
}

pub(crate) fn task_page(group: &str, id: &str, title: &str) -> Value {
    json!({"id": id, "type": "Page", "attributedTo": group, "name": title,
           "content": "<p>Smooth.</p>", "taskStatus": "todo", "priority": "normal",
           "to": [PUBLIC], "cc": [group], "audience": group, "context": group})
}

#[tokio::test]
async fn only_the_group_speaks_for_its_project() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_typed_actors(&[
        ("team", "Group"),
        ("stranger", "Person"),
        ("other", "Group"),
    ])
    .await;
    let group = peer.actor_named("team");
    let stranger = peer.actor_named("stranger");
    let other = peer.actor_named("other");
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/remote/join",
            &json!({"target": group}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let follow = eventually("the join request at the peer", || async {
        received(&peer, "Follow")
            .into_iter()
            .find(|f| f["object"] == group.as_str())
    })
    .await;
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
    assert_eq!(
        following_state(&alpha, &ada, &group).await.as_deref(),
        Some("pending")
    );

    // The stranger on the group's server: a direct Update and Delete of the task, an Announce
    // of an Update as a person, the same from another group there, and an Accept of Ada's
    // request to join.
    let hijacked = task_page(&group, &task, "Hijacked");
    let update = json!({"id": activity_id(&peer), "type": "Update", "actor": stranger,
        "object": hijacked, "to": [PUBLIC], "cc": [group]});
    send(&peer, "stranger", &alpha, &update).await;
    let delete =
        json!({"id": activity_id(&peer), "type": "Delete", "actor": stranger, "object": task});
    send(&peer, "stranger", &alpha, &delete).await;
    send(
        &peer,
        "stranger",
        &alpha,
        &announce(&peer, &stranger, "Update", &stranger, hijacked.clone()),
    )
    .await;
    send(
        &peer,
        "other",
        &alpha,
        &announce(&peer, &other, "Update", &other, hijacked.clone()),
    )
    .await;
    send(
        &peer,
        "other",
        &alpha,
        &announce(&peer, &other, "Delete", &other, json!(task)),
    )
    .await;
    let accept = json!({"id": activity_id(&peer), "type": "Accept", "actor": stranger, "object": follow["id"]});
    send(&peer, "stranger", &alpha, &accept).await;
    // The group's next task, once here, shows everything before it was processed.
    let marker = format!("{}/tasks/{}", peer.base, rand_id());
    send(
        &peer,
        "team",
        &alpha,
        &announce(
            &peer,
            &group,
            "Create",
            &group,
            task_page(&group, &marker, "Marker"),
        ),
    )
    .await;
    eventually("the marker task", || async {
        task_title(&alpha, &ada, &group, &marker).await
    })
    .await;
    assert_eq!(
        task_title(&alpha, &ada, &group, &task).await.as_deref(),
        Some("Sand the hull")
    );
    assert_eq!(
        following_state(&alpha, &ada, &group).await.as_deref(),
        Some("pending")
    );
    // Nor did the stranger's Update become a post of its own under the task's address.
    assert_eq!(
        post_by_uri(&alpha, &ada, &task).await.status(),
        StatusCode::NOT_FOUND
    );

    // The group itself: accepts Ada, renames the task, deletes it.
    let accept =
        json!({"id": activity_id(&peer), "type": "Accept", "actor": group, "object": follow["id"]});
    send(&peer, "team", &alpha, &accept).await;
    eventually("Ada to be in", || async {
        following_state(&alpha, &ada, &group)
            .await
            .filter(|s| s == "accepted")
    })
    .await;
    send(
        &peer,
        "team",
        &alpha,
        &announce(
            &peer,
            &group,
            "Update",
            &group,
            task_page(&group, &task, "Renamed"),
        ),
    )
    .await;
    eventually("the group's rename", || async {
        task_title(&alpha, &ada, &group, &task)
            .await
            .filter(|t| t == "Renamed")
    })
    .await;
    send(
        &peer,
        "team",
        &alpha,
        &announce(&peer, &group, "Delete", &group, json!(task)),
    )
    .await;
    eventually("the group's deletion", || async {
        task_title(&alpha, &ada, &group, &task)
            .await
            .is_none()
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_undo_undoes_only_the_senders_own_follow_or_like() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let ada_uri = format!("http://alpha.test:{}/members/ada", port_of(&alpha));
    let peer = FakePeer::start_with_actors(&["follower", "stranger"]).await;
    let follower = peer.actor_named("follower");
    let stranger = peer.actor_named("stranger");
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "Open desk today"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let post_uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let likes = || async {
        post_by_uri(&alpha, &ada, &post_uri)
            .await
            .json::<Value>()
            .await
            .unwrap()["likes_count"]
            .as_i64()
            .unwrap()
    };
    let followers = || async {
        let list = json_of(&alpha, Some(&ada), "/api/v1/followers").await;
        let mut uris: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["uri"].as_str().unwrap().to_string())
            .collect();
        uris.sort();
        uris
    };

    let follow =
        json!({"id": activity_id(&peer), "type": "Follow", "actor": follower, "object": ada_uri});
    let like =
        json!({"id": activity_id(&peer), "type": "Like", "actor": follower, "object": post_uri});
    let stranger_follow =
        json!({"id": activity_id(&peer), "type": "Follow", "actor": stranger, "object": ada_uri});
    send(&peer, "follower", &alpha, &follow).await;
    send(&peer, "follower", &alpha, &like).await;
    send(&peer, "stranger", &alpha, &stranger_follow).await;
    eventually("both followers and the like", || async {
        (followers().await.len() == 2 && likes().await == 1).then_some(())
    })
    .await;

    // The stranger undoes the follower's Follow and Like, embedded and by id.
    for inner in [
        follow.clone(),
        follow["id"].clone(),
        like.clone(),
        like["id"].clone(),
    ] {
        let undo =
            json!({"id": activity_id(&peer), "type": "Undo", "actor": stranger, "object": inner});
        send(&peer, "stranger", &alpha, &undo).await;
    }
    // Its own Like, after those, shows they were processed.
    let own_like =
        json!({"id": activity_id(&peer), "type": "Like", "actor": stranger, "object": post_uri});
    send(&peer, "stranger", &alpha, &own_like).await;
    eventually("the stranger's like", || async {
        (likes().await == 2).then_some(())
    })
    .await;
    let mut both = vec![follower.clone(), stranger.clone()];
    both.sort();
    assert_eq!(followers().await, both);

    // The follower's own Undos work.
    for inner in [follow.clone(), like.clone()] {
        let undo =
            json!({"id": activity_id(&peer), "type": "Undo", "actor": follower, "object": inner});
        send(&peer, "follower", &alpha, &undo).await;
    }
    eventually("the follower's undos", || async {
        (followers().await == vec![stranger.clone()] && likes().await == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn only_an_actor_deletes_itself_and_then_nothing_of_it_stays() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start_with_actors(&["author", "stranger"]).await;
    let author = peer.actor_named("author");
    let stranger = peer.actor_named("stranger");
    follow_accepted(&alpha, &ada, &peer, "author").await;
    // Ada's post and event, which the author likes, boosts, answers and joins.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "Open desk today"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let post_uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events",
            &json!({"title": "Coffee", "starts_at": (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT10:00").to_string(),
                    "ends_at": (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT11:00").to_string(),
                    "timezone": "UTC", "capacity": 5}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let event_uri = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let own_note = format!("{}/notes/{}", peer.base, rand_id());
    let reply = format!("{}/notes/{}", peer.base, rand_id());
    send(
        &peer,
        "author",
        &alpha,
        &note_activity(&peer, "Create", &author, &author, &own_note, "mine"),
    )
    .await;
    let mut answer = note_activity(&peer, "Create", &author, &author, &reply, "count me in");
    answer["object"]["inReplyTo"] = json!(post_uri);
    send(&peer, "author", &alpha, &answer).await;
    for kind in ["Like", "Announce"] {
        let a = json!({"id": activity_id(&peer), "type": kind, "actor": author, "object": post_uri, "to": [PUBLIC]});
        send(&peer, "author", &alpha, &a).await;
    }
    let join =
        json!({"id": activity_id(&peer), "type": "Join", "actor": author, "object": event_uri});
    send(&peer, "author", &alpha, &join).await;
    let counts = || async {
        let p: Value = post_by_uri(&alpha, &ada, &post_uri)
            .await
            .json()
            .await
            .unwrap();
        let e = event_by_uri(&alpha, &ada, &event_uri).await.unwrap();
        [
            p["likes_count"].as_i64().unwrap(),
            p["announces_count"].as_i64().unwrap(),
            p["replies_count"].as_i64().unwrap(),
            e["participant_count"].as_i64().unwrap(),
        ]
    };
    eventually("the author's traces", || async {
        (counts().await == [1, 1, 1, 1]).then_some(())
    })
    .await;

    // The stranger undoes the author's Join and deletes the author; then likes the post
    // (processed after both).
    let undo = json!({"id": activity_id(&peer), "type": "Undo", "actor": stranger, "object": join});
    send(&peer, "stranger", &alpha, &undo).await;
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": stranger, "object": author, "to": [PUBLIC]});
    send(&peer, "stranger", &alpha, &delete).await;
    let like =
        json!({"id": activity_id(&peer), "type": "Like", "actor": stranger, "object": post_uri});
    send(&peer, "stranger", &alpha, &like).await;
    eventually("the stranger's like", || async {
        (counts().await[0] == 2).then_some(())
    })
    .await;
    assert_eq!(counts().await, [2, 1, 1, 1]);
    assert_eq!(
        following_state(&alpha, &ada, &author).await.as_deref(),
        Some("accepted")
    );
    for uri in [&own_note, &reply] {
        assert_eq!(
            post_by_uri(&alpha, &ada, uri).await.status(),
            StatusCode::OK,
            "{uri}"
        );
    }

    // The author deletes itself: its posts, comment, like, boost, seat and follow go.
    let delete = json!({"id": activity_id(&peer), "type": "Delete", "actor": author, "object": author, "to": [PUBLIC]});
    send(&peer, "author", &alpha, &delete).await;
    eventually("the author's traces to go", || async {
        (counts().await == [1, 0, 0, 0]).then_some(())
    })
    .await;
    for uri in [&own_note, &reply] {
        assert_eq!(
            post_by_uri(&alpha, &ada, uri).await.status(),
            StatusCode::GONE,
            "{uri}"
        );
    }
    assert_eq!(following_state(&alpha, &ada, &author).await, None);
}

#[tokio::test]
async fn deleted_tasks_notes_and_files_answer_a_tombstone() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made = |path: &'static str, body: Value| {
        let alpha = &alpha;
        let ada = ada.clone();
        async move {
            let r = alpha.post_json(Some(&ada), path, &body).await;
            assert_eq!(r.status(), StatusCode::CREATED, "{path}");
            r.json::<Value>().await.unwrap()["uri"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let task = made(
        "/api/v1/projects/boat/tasks",
        json!({"title": "Sand the hull"}),
    )
    .await;
    let note = made(
        "/api/v1/projects/boat/notes",
        json!({"title": "Plan", "body": "First"}),
    )
    .await;
    let part = reqwest::multipart::Part::bytes(b"# Plan\n".to_vec()).file_name("plan.md");
    let r = alpha
        .api
        .post(alpha.url("/api/v1/projects/boat/files"))
        .bearer_auth(&ada)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let file = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let fetch_as = |uri: &str| {
        let request = alpha
            .api
            .get(alpha.url(&path_of(uri)))
            .header("accept", AS_JSON);
        async move { request.send().await.unwrap() }
    };
    for (uri, former) in [(&task, "Page"), (&note, "Article"), (&file, "Document")] {
        // Served as an object while it exists.
        let r = fetch_as(uri).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(r.json::<Value>().await.unwrap()["type"], former);
        let r = alpha
            .send_json(
                reqwest::Method::DELETE,
                Some(&ada),
                &path_of(uri).replace("/projects/", "/api/v1/projects/"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{uri}");
        let r = fetch_as(uri).await;
        assert_eq!(r.status(), StatusCode::GONE, "{uri}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(AS_JSON));
        let tombstone: Value = r.json().await.unwrap();
        assert_terms_defined(&tombstone);
        assert_eq!(tombstone["type"], "Tombstone");
        assert_eq!(tombstone["id"], uri.as_str());
        assert_eq!(tombstone["formerType"], former);
        assert!(tombstone["deleted"].as_str().unwrap().ends_with('Z'));
        // Browsers still get the page that says it is gone.
        let r = alpha.get(None, &path_of(uri)).await;
        assert_eq!(r.status(), StatusCode::GONE);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn a_groups_announce_keeps_a_remote_activitys_context_and_drops_its_signature() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let group = format!("http://{domain}/projects/boat");
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Sand the hull"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let task = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let peer = FakePeer::start().await;
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
    eventually("the member to be in", || async {
        received(&peer, "Accept").into_iter().next()
    })
    .await;

    // A comment as Mastodon sends it: its own context for its own terms, and an LD signature.
    let context = json!(["https://www.w3.org/ns/activitystreams", {
        "ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri",
        "conversation": "ostatus:conversation", "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#"
    }]);
    let comment = format!("{}/notes/{}", peer.base, rand_id());
    let create = json!({
        "@context": context,
        "id": activity_id(&peer), "type": "Create", "actor": peer.actor(),
        "to": [PUBLIC], "cc": [group],
        "object": {"id": comment, "type": "Note", "attributedTo": peer.actor(), "inReplyTo": task,
                   "content": "<p>On it</p>", "to": [PUBLIC], "cc": [group], "audience": group,
                   "sensitive": false, "atomUri": comment, "conversation": "tag:gamma.test,2025:objectId=1"},
        "signature": {"type": "RsaSignature2017", "creator": format!("{}#main-key", peer.actor()),
                      "created": in_days(0), "signatureValue": "c3RhbGU="}
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &create).await,
        StatusCode::ACCEPTED
    );
    let announce = eventually("the group's Announce of the comment", || async {
        received(&peer, "Announce")
            .into_iter()
            .find(|a| a["object"]["object"]["id"] == comment.as_str())
    })
    .await;
    assert_eq!(announce["actor"], group.as_str());
    assert_eq!(announce["object"]["@context"], context);
    assert!(announce["object"].get("signature").is_none(), "{announce}");
    assert_eq!(announce["object"]["object"]["atomUri"], comment.as_str());
    assert_terms_defined(&announce);

    // The group's own activities embed without a second copy of its context.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Paint"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let painted = r.json::<Value>().await.unwrap()["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let own = eventually("the Announce of the new task", || async {
        received(&peer, "Announce")
            .into_iter()
            .find(|a| a["object"]["object"]["id"] == painted.as_str())
    })
    .await;
    assert!(own["object"].get("@context").is_none(), "{own}");
    assert_terms_defined(&own);
}
