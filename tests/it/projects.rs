//! Shared projects: validation of tasks, notes and uploads; the `Group` actor and its
//! documents; joining with approval, the group's `Announce` fan-out and contributions from a
//! remote member (a test peer); and a member of another instance who joins, takes a task and
//! comments from their own instance.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{assert_terms_defined, eventually, port_of, rand_id, FakePeer, AS_JSON};
use crate::support::{assert_error, csrf_from, eventually_exactly, TestApp, PASSWORD};

async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app.post_json(Some(token), path, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{path} {body}");
    r.json().await.unwrap()
}

fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn fetch_as(app: &TestApp, path: &str) -> Value {
    let r = app
        .api
        .get(app.url(path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    app.api
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    json_of(app, Some(token), "/api/v1/notifications").await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let cy = alpha.member("cy").await;
    for (body, field) in [
        (json!({"handle": "x", "name": "Boat"}), "handle"),
        (json!({"handle": "ada", "name": "Boat"}), "handle"),
        (json!({"handle": "boat", "name": ""}), "name"),
        (
            json!({"handle": "boat", "name": "Boat", "as": "company:nope"}),
            "as",
        ),
    ] {
        let r = alpha.post_json(Some(&ada), "/api/v1/projects", &body).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat"}),
    )
    .await;
    // The handle is taken for members and companies too.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "boat", "name": "Boat Co"}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;

    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "Sand", "assignees": ["@cy"]}), "assignees"),
        (
            json!({"title": "Sand", "assignees": "@nobody@far.example"}),
            "assignees",
        ),
        (json!({"title": "Sand", "due_on": "2026-02-30"}), "due_on"),
        (json!({"title": "Sand", "status": "blocked"}), "status"),
        (json!({"title": "Sand", "priority": "urgent"}), "priority"),
    ] {
        let r = alpha
            .post_json(Some(&ada), "/api/v1/projects/boat/tasks", &body)
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    // Only members write on the board.
    let r = alpha
        .post_json(
            Some(&cy),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Sand"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Uploads: too large, mislabelled, not on the allow-list.
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/boat/files",
        "big.txt",
        vec![b'a'; 5 * 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/boat/files",
        "plan.pdf",
        b"\x89PNG\r\n\x1a\n0000".to_vec(),
    )
    .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/boat/files",
        "tool.txt",
        b"MZ\x90\x00\x03\x00".to_vec(),
    )
    .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    let r = upload(
        &alpha,
        &cy,
        "/api/v1/projects/boat/files",
        "a.txt",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let board = json_of(&alpha, None, "/api/v1/projects/boat").await;
    assert_eq!(board["tasks"], json!([]));
    assert_eq!(board["files"], json!([]));

    // A comment needs something to answer.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "hm", "in_reply_to": format!("{}/projects/boat/tasks/nope", alpha.base)}),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("in_reply_to")).await;

    // A good file is stored, served with its checked type, and can be commented on.
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/boat/files",
        "notes.md",
        b"# Plan\n".to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let file: Value = r.json().await.unwrap();
    assert_eq!(file["media_type"], "text/markdown");
    let r = alpha
        .get(None, &path_of(file["url"].as_str().unwrap()))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/markdown");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"# Plan\n");
    created(
        &alpha,
        &ada,
        "/api/v1/posts",
        json!({"text": "looks good", "in_reply_to": file["uri"]}),
    )
    .await;
}

#[tokio::test]
async fn tasks_notes_and_the_board() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let cy = alpha.member("cy").await;
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat"}),
    )
    .await;
    let r = alpha
        .post_json(Some(&cy), "/api/v1/projects/boat/join", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(notifications(&alpha, &ada)
        .await
        .iter()
        .any(|n| n["kind"] == "project_join"));
    // Due in a week: calendar feeds keep what is due from 90 days ago on.
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(7)).to_string();
    let task = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/tasks",
        json!({"title": "Sand the hull", "assignees": "@cy", "due_on": due, "priority": "high"}),
    )
    .await;
    assert_eq!(task["status"], "todo");
    assert_eq!(task["assignees"].as_array().unwrap().len(), 1);
    let n = notifications(&alpha, &cy).await;
    assert!(
        n.iter()
            .any(|n| n["kind"] == "task_assigned" && n["object"] == task["uri"]),
        "{n:?}"
    );
    // Ada takes it too: she joins the assignees and it moves to doing.
    let token = task["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = alpha
        .post_json(
            Some(&ada),
            &format!("/api/v1/projects/boat/tasks/{token}/take"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let taken: Value = r.json().await.unwrap();
    assert_eq!(taken["status"], "doing");
    assert_eq!(taken["assignees"].as_array().unwrap().len(), 2);
    // Deadlines, for calendars.
    let d = json_of(&alpha, Some(&cy), "/api/v1/me/deadlines").await;
    assert_eq!(d[0]["due_on"], due.as_str());
    assert_eq!(d[0]["project_name"], "Boat");
    assert_eq!(d[0]["uid"], task["uri"]);
    // ... in Cy's private calendar feed and in the project's, as all-day items.
    let r = alpha
        .post_json(Some(&cy), "/api/v1/calendar/feed", &json!({}))
        .await;
    let feed = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let day = due.replace('-', "");
    let task_uri = task["uri"].as_str().unwrap();
    for path in [path_of(&feed), "/projects/boat/calendar.ics".to_string()] {
        let r = alpha.get(None, &path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        let lines = crate::events::ics_lines(&r.text().await.unwrap());
        let at = lines
            .iter()
            .position(|l| l == &format!("UID:{task_uri}"))
            .unwrap_or_else(|| panic!("{path}: {lines:?}"));
        let item: Vec<&String> = lines[at..]
            .iter()
            .take_while(|l| *l != "END:VEVENT")
            .collect();
        assert!(
            item.iter()
                .any(|l| **l == format!("DTSTART;VALUE=DATE:{day}")),
            "{item:?}"
        );
        assert!(
            item.iter()
                .any(|l| **l == "SUMMARY:Due: Sand the hull (Boat)"),
            "{item:?}"
        );
    }
    // The board links its feed for calendar programs.
    let board = alpha
        .get(None, "/projects/boat")
        .await
        .text()
        .await
        .unwrap();
    assert!(board.contains(
        r#"<link rel="alternate" type="text/calendar" title="Deadlines of Boat" href="/projects/boat/calendar.ics">"#
    ));

    // Notes keep every revision.
    let note = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/notes",
        json!({"title": "Plan", "body": "one"}),
    )
    .await;
    let ntoken = note["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    for body in ["two", "three"] {
        let r = alpha
            .send_json(
                reqwest::Method::PATCH,
                Some(&cy),
                &format!("/api/v1/projects/boat/notes/{ntoken}"),
                &json!({"title": "Plan", "body": body}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let n = json_of(
        &alpha,
        None,
        &format!("/api/v1/projects/boat/notes/{ntoken}"),
    )
    .await;
    assert_eq!(n["note"]["body"], "three");
    assert_eq!(n["note"]["revision"], 3);
    let bodies: Vec<&str> = n["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["three", "two", "one"]);
    // Only the author or a manager deletes.
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&cy),
            &format!("/api/v1/projects/boat/notes/{ntoken}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Pages render: board with three columns, task, note, history, members.
    let board = alpha.get(Some(&ada), "/projects/boat").await;
    assert_eq!(board.status(), StatusCode::OK);
    let html = board.text().await.unwrap();
    for col in [
        "column-todo",
        "column-doing",
        "column-done",
        "Sand the hull",
    ] {
        assert!(html.contains(col), "{col}");
    }
    for path in [
        path_of(task["uri"].as_str().unwrap()),
        path_of(note["uri"].as_str().unwrap()),
        format!("{}/history", path_of(note["uri"].as_str().unwrap())),
        "/projects/boat/members".to_string(),
        "/projects".to_string(),
    ] {
        assert_eq!(
            alpha.get(Some(&ada), &path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }

    // A manager removes a member; only managers may.
    let cy_uri = json_of(&alpha, None, "/api/v1/projects/boat").await["members"][1]
        .as_str()
        .unwrap()
        .to_string();
    let r = alpha
        .post_json(
            Some(&cy),
            "/api/v1/projects/boat/remove",
            &json!({"actor": cy_uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/remove",
            &json!({"actor": cy_uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = alpha
        .post_json(
            Some(&cy),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "More"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_group_actor_and_its_documents() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat", "closed": true}),
    )
    .await;
    let group = fetch_as(&alpha, "/projects/boat").await;
    assert_terms_defined(&group);
    assert_eq!(group["type"], "Group");
    assert_eq!(group["id"], format!("http://{domain}/projects/boat"));
    assert_eq!(
        group["inbox"],
        format!("http://{domain}/projects/boat/inbox")
    );
    assert_eq!(
        group["followers"],
        format!("http://{domain}/projects/boat/followers")
    );
    assert_eq!(
        group["attributedTo"],
        format!("http://{domain}/members/ada")
    );
    assert_eq!(group["manuallyApprovesFollowers"], true);
    assert!(group["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("PUBLIC KEY"));
    let mods = fetch_as(&alpha, "/projects/boat/moderators").await;
    assert_eq!(
        mods["orderedItems"][0],
        format!("http://{domain}/members/ada")
    );
    let followers = fetch_as(&alpha, "/projects/boat/followers").await;
    assert_eq!(followers["totalItems"], 1);

    let wf = json_of(
        &alpha,
        None,
        &format!("/.well-known/webfinger?resource=acct:boat@{domain}"),
    )
    .await;
    assert_eq!(
        wf["links"][0]["href"],
        format!("http://{domain}/projects/boat")
    );

    let task = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/tasks",
        json!({"title": "Sand", "due_on": "2026-12-01"}),
    )
    .await;
    let note = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/notes",
        json!({"title": "Plan", "body": "x"}),
    )
    .await;
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/boat/files",
        "a.txt",
        b"hello".to_vec(),
    )
    .await;
    let file: Value = r.json().await.unwrap();
    for (uri, kind) in [
        (&task["uri"], "Page"),
        (&note["uri"], "Article"),
        (&file["uri"], "Document"),
    ] {
        let doc = fetch_as(&alpha, &path_of(uri.as_str().unwrap())).await;
        assert_terms_defined(&doc);
        assert_eq!(doc["type"], kind);
        assert_eq!(doc["audience"], group["id"]);
        assert_eq!(doc["context"], group["id"]);
    }
    let doc = fetch_as(&alpha, &path_of(task["uri"].as_str().unwrap())).await;
    assert_eq!(doc["dueDate"], "2026-12-01");
    assert_eq!(doc["taskStatus"], "todo");
}

#[tokio::test]
async fn a_remote_member_joins_with_approval_and_the_group_announces() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat", "closed": true}),
    )
    .await;
    let group = format!("http://{domain}/projects/boat");
    let peer = FakePeer::start().await;
    let follow = peer.follow(&group);
    assert_eq!(
        peer.deliver(&alpha, &domain, "/projects/boat/inbox", &follow)
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the join request", || async {
        let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
        (b["pending"][0] == peer.actor()).then_some(())
    })
    .await;
    assert!(notifications(&alpha, &ada)
        .await
        .iter()
        .any(|n| n["kind"] == "project_join"));
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/requests",
            &json!({"actor": peer.actor(), "accept": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the Accept", || async {
        let got = peer.received.lock().unwrap().clone();
        got.iter()
            .any(|a| a["type"] == "Accept" && a["actor"] == group.as_str())
            .then_some(())
    })
    .await;

    // The manager adds a task assigned to the remote member: the group announces its Create.
    let task = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/tasks",
        json!({"title": "Sand the hull", "assignees": [peer.actor()]}),
    )
    .await;
    let announce = eventually("the Announce of the task", || async {
        let got = peer.received.lock().unwrap().clone();
        got.into_iter()
            .find(|a| a["type"] == "Announce" && a["object"]["object"]["id"] == task["uri"])
    })
    .await;
    assert_terms_defined(&announce);
    assert_eq!(announce["actor"], group.as_str());
    assert_eq!(announce["object"]["type"], "Create");
    assert_eq!(announce["object"]["object"]["type"], "Page");
    assert_eq!(announce["object"]["object"]["assignees"][0], peer.actor());
    // Someone who is not a member cannot contribute.
    let stranger = FakePeer::start().await;
    let sneak = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", stranger.base, rand_id()),
        "type": "Create", "actor": stranger.actor(),
        "object": {"id": format!("{}/tasks/{}", stranger.base, rand_id()), "type": "Page", "name": "Sneak",
                   "attributedTo": stranger.actor(), "audience": group, "to": [group]},
    });
    assert_eq!(
        stranger
            .deliver(&alpha, &domain, "/projects/boat/inbox", &sneak)
            .await,
        StatusCode::ACCEPTED
    );

    // The remote member moves the task and comments; both are stored and announced.
    let mut page = announce["object"]["object"].clone();
    page["taskStatus"] = json!("doing");
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Update", "actor": peer.actor(), "object": page, "to": [group],
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/projects/boat/inbox", &update)
            .await,
        StatusCode::ACCEPTED
    );
    let comment_id = format!("{}/notes/{}", peer.base, rand_id());
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Create", "actor": peer.actor(),
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group],
        "object": {"id": comment_id, "type": "Note", "attributedTo": peer.actor(),
                   "content": "<p>On it<script>alert(1)</script></p>", "inReplyTo": task["uri"],
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group], "audience": group},
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &create).await,
        StatusCode::ACCEPTED
    );
    let replies_path = format!(
        "/api/v1/replies?uri={}",
        encode(task["uri"].as_str().unwrap())
    );
    eventually_exactly(1, "comments stored", || async {
        let r = json_of(&alpha, None, &replies_path).await;
        r["items"].as_array().map_or(0, Vec::len)
    })
    .await;
    let replies = json_of(&alpha, None, &replies_path).await;
    assert!(!replies["items"][0]["content"]
        .as_str()
        .unwrap()
        .contains("script"));
    eventually("the Announce of the comment", || async {
        let got = peer.received.lock().unwrap().clone();
        got.iter()
            .any(|a| a["type"] == "Announce" && a["object"]["object"]["id"] == comment_id.as_str())
            .then_some(())
    })
    .await;
    // Activities are processed in order: by now the stranger's task was dropped.
    let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
    assert_eq!(b["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(b["tasks"][0]["status"], "doing");
    // Ada hears about the reply to her task.
    assert!(notifications(&alpha, &ada)
        .await
        .iter()
        .any(|n| n["kind"] == "reply"));

    // A post to the group from other software (a Lemmy `Page`: no task terms) becomes a task
    // that members here can take.
    let post_id = format!("{}/post/{}", peer.base, rand_id());
    let lemmy = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Create", "actor": peer.actor(), "to": [group.clone()],
        "object": {"id": post_id, "type": "Page", "name": "Fix the mast", "attributedTo": peer.actor(),
                   "content": "<p>It leans.</p>", "audience": group.clone(), "to": [group.clone()]},
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/projects/boat/inbox", &lemmy)
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the page to become a task", || async {
        let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
        b["tasks"]
            .as_array()?
            .iter()
            .any(|t| t["uri"] == post_id.as_str())
            .then_some(())
    })
    .await;
    let r = alpha
        .api
        .post(alpha.url("/projects/boat/item/take"))
        .bearer_auth(&ada)
        .form(&[("uri", post_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
    let mast = b["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["uri"] == post_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mast["status"], "doing");
    assert_eq!(mast["description"], "It leans.");
    assert_eq!(
        alpha
            .get(
                Some(&ada),
                &format!("/projects/remote/item?uri={}", encode(&post_id))
            )
            .await
            .status(),
        StatusCode::OK
    );

    // Assigning a non-member from outside is dropped.
    let mut page = announce["object"]["object"].clone();
    page["assignees"] = json!(["http://elsewhere.test/actor"]);
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Update", "actor": peer.actor(), "object": page, "to": [group],
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/projects/boat/inbox", &update)
            .await,
        StatusCode::ACCEPTED
    );
    // Leaving is an Undo of the Follow.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{}", peer.base, rand_id()),
        "type": "Undo", "actor": peer.actor(), "object": follow,
    });
    assert_eq!(
        peer.deliver(&alpha, &domain, "/projects/boat/inbox", &undo)
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the member to leave", || async {
        let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
        (b["members"].as_array()?.len() == 1).then_some(b)
    })
    .await;
    let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
    assert_eq!(b["tasks"][0]["assignees"][0], peer.actor());
}

#[tokio::test]
async fn a_member_of_another_instance_joins_takes_a_task_and_comments() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (gamma, _) = TestApp::spawn_named("gamma").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let gamma_domain = format!("gamma.test:{}", port_of(&gamma));
    let ada = alpha.member("ada").await;
    let gus = gamma.member("gus").await;
    let gus_uri = format!("http://{gamma_domain}/members/gus");
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat"}),
    )
    .await;
    let group = format!("http://{alpha_domain}/projects/boat");
    // Written before gus joins: his instance gets it when he does.
    let old = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/notes",
        json!({"title": "Welcome", "body": "Read me first"}),
    )
    .await;
    let remote_path = format!("/api/v1/projects/remote?uri={}", encode(&group));

    let r = gamma
        .post_json(
            Some(&gus),
            "/api/v1/projects/remote/join",
            &json!({"target": format!("@boat@{alpha_domain}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("gus to be a member on alpha", || async {
        let b = json_of(&alpha, None, "/api/v1/projects/boat").await;
        b["members"]
            .as_array()?
            .iter()
            .any(|m| m == gus_uri.as_str())
            .then_some(())
    })
    .await;
    eventually("gus to hear he is in", || async {
        let n = notifications(&gamma, &gus).await;
        n.iter()
            .any(|n| n["kind"] == "project_join" && n["object"] == group.as_str())
            .then_some(())
    })
    .await;
    eventually("the earlier note to reach gamma", || async {
        let b = json_of(&gamma, Some(&gus), &remote_path).await;
        (b["notes"][0]["uri"] == old["uri"] && b["notes"][0]["body"] == "Read me first")
            .then_some(())
    })
    .await;
    let task = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/tasks",
        json!({"title": "Sand the hull"}),
    )
    .await;
    let uri = task["uri"].as_str().unwrap().to_string();
    eventually("the task to reach gamma", || async {
        let b = json_of(&gamma, Some(&gus), &remote_path).await;
        (b["tasks"][0]["uri"] == uri.as_str()).then_some(())
    })
    .await;
    // Assigned on alpha: gus is told on gamma.
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &path_of(&uri).replace("/projects/", "/api/v1/projects/"),
            &json!({"assignees": [format!("@gus@{gamma_domain}")]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the assignment to reach gus", || async {
        let n = notifications(&gamma, &gus).await;
        n.iter()
            .any(|n| n["kind"] == "task_assigned" && n["object"] == uri.as_str())
            .then_some(())
    })
    .await;
    // Gus moves it to doing from gamma; alpha applies it and announces it back.
    let r = gamma
        .post_json(
            Some(&gus),
            "/api/v1/projects/remote/status",
            &json!({"uri": uri, "status": "doing"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually("the move on alpha and back on gamma", || async {
        let a = json_of(&alpha, None, "/api/v1/projects/boat").await;
        let g = json_of(&gamma, Some(&gus), &remote_path).await;
        (a["tasks"][0]["status"] == "doing" && g["tasks"][0]["status"] == "doing").then_some(())
    })
    .await;
    // Gus comments from gamma: visible on alpha, and announced back to gamma.
    let comment = created(
        &gamma,
        &gus,
        "/api/v1/posts",
        json!({"text": "Started on the port side", "in_reply_to": uri}),
    )
    .await;
    eventually("the comment on alpha", || async {
        let r = json_of(
            &alpha,
            None,
            &format!("/api/v1/replies?uri={}", encode(&uri)),
        )
        .await;
        (r["items"][0]["uri"] == comment["uri"]).then_some(())
    })
    .await;
    // Ada answers on alpha; the group announces it to gamma.
    let answer = created(
        &alpha,
        &ada,
        "/api/v1/posts",
        json!({"text": "Thanks!", "in_reply_to": uri}),
    )
    .await;
    eventually("ada's answer on gamma", || async {
        let r = json_of(
            &gamma,
            Some(&gus),
            &format!("/api/v1/replies?uri={}", encode(&uri)),
        )
        .await;
        r["items"]
            .as_array()?
            .iter()
            .any(|i| i["uri"] == answer["uri"])
            .then_some(())
    })
    .await;
    // A note written on alpha is revised from gamma: the group keeps the revision and
    // announces it back.
    let note = created(
        &alpha,
        &ada,
        "/api/v1/projects/boat/notes",
        json!({"title": "Plan", "body": "First draft"}),
    )
    .await;
    let note_uri = note["uri"].as_str().unwrap().to_string();
    eventually("the note to reach gamma", || async {
        let b = json_of(&gamma, Some(&gus), &remote_path).await;
        (b["notes"][0]["uri"] == note_uri.as_str()).then_some(())
    })
    .await;
    let r = gamma
        .post_json(
            Some(&gus),
            "/api/v1/projects/remote/note",
            &json!({"uri": note_uri, "title": "Plan", "body": "Second draft, from gamma"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually("the revision on alpha and back on gamma", || async {
        let a = json_of(
            &alpha,
            None,
            &path_of(&note_uri).replace("/projects/", "/api/v1/projects/"),
        )
        .await;
        let g = json_of(&gamma, Some(&gus), &remote_path).await;
        (a["note"]["revision"] == 2
            && a["revisions"][0]["author"] == gus_uri.as_str()
            && g["notes"][0]["body"] == "Second draft, from gamma")
            .then_some(())
    })
    .await;

    // Ada deletes the note: its address answers 410, and gamma drops its copy.
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&gus),
            &path_of(&note_uri).replace("/projects/", "/api/v1/projects/"),
            &json!({}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "gus has no account on alpha"
    );
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &path_of(&note_uri).replace("/projects/", "/api/v1/projects/"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        alpha.get(None, &path_of(&note_uri)).await.status(),
        StatusCode::GONE
    );
    eventually("the note to go from gamma", || async {
        let b = json_of(&gamma, Some(&gus), &remote_path).await;
        (!b["notes"]
            .as_array()?
            .iter()
            .any(|n| n["uri"] == note_uri.as_str()))
        .then_some(())
    })
    .await;

    // The remote board and task pages render on gamma.
    for path in [
        format!("/projects/remote?uri={}", encode(&group)),
        format!("/projects/remote/item?uri={}", encode(&uri)),
    ] {
        assert_eq!(
            gamma.get(Some(&gus), &path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }

    // Ada removes gus from the project: gamma forgets the membership too.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/projects/boat/remove",
            &json!({"actor": gus_uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("gamma to drop the membership", || async {
        let b = json_of(&gamma, Some(&gus), &remote_path).await;
        b["members_here"].as_array()?.is_empty().then_some(())
    })
    .await;
    let r = gamma
        .post_json(
            Some(&gus),
            "/api/v1/projects/remote/take",
            &json!({"uri": uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The API reaches tasks, notes and files as their pages do: once deleted, every route of an
/// item answers `410` with a message (its address too), and `404` for one that never existed.
#[tokio::test]
async fn the_api_answers_gone_for_a_deleted_item_and_not_found_for_a_missing_one() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    created(
        &alpha,
        &ada,
        "/api/v1/projects",
        json!({"handle": "kiln", "name": "Kiln"}),
    )
    .await;
    let task = created(
        &alpha,
        &ada,
        "/api/v1/projects/kiln/tasks",
        json!({"title": "Fire the kiln"}),
    )
    .await;
    let note = created(
        &alpha,
        &ada,
        "/api/v1/projects/kiln/notes",
        json!({"title": "Glazes", "body": "Celadon first."}),
    )
    .await;
    let r = upload(
        &alpha,
        &ada,
        "/api/v1/projects/kiln/files",
        "firing.txt",
        b"cone 6".to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let file: Value = r.json().await.unwrap();
    // The inbox's processor asks which project an item is of (one statement over the three
    // tables); the space's own address for the project, not the test's loopback one.
    let project = task["uri"]
        .as_str()
        .unwrap()
        .split("/tasks/")
        .next()
        .unwrap();
    assert!(project.ends_with("/projects/kiln"), "{project}");
    for uri in [&task["uri"], &note["uri"], &file["uri"]] {
        let uri = uri.as_str().unwrap();
        let found = guildhall::projects::store::item_project(&alpha.db, uri).await;
        assert_eq!(found.unwrap().as_deref(), Some(project), "{uri}");
    }
    let missing = format!("{project}/tasks/none");
    let found = guildhall::projects::store::item_project(&alpha.db, &missing).await;
    assert_eq!(found.unwrap(), None);
    let api =
        |uri: &Value| path_of(uri.as_str().unwrap()).replace("/projects/", "/api/v1/projects/");
    let (task_api, note_api, file_api) = (api(&task["uri"]), api(&note["uri"]), api(&file["uri"]));
    // Live: reachable, and a task's token under `notes` names nothing.
    assert_eq!(alpha.get(None, &note_api).await.status(), StatusCode::OK);
    let task_token = task_api.rsplit('/').next().unwrap();
    let r = alpha
        .get(None, &format!("/api/v1/projects/kiln/notes/{task_token}"))
        .await;
    assert_error(r, StatusCode::NOT_FOUND, None).await;

    for path in [&task_api, &note_api, &file_api] {
        let r = alpha
            .send_json(reqwest::Method::DELETE, Some(&ada), path, &json!({}))
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
    }
    // Deleted: every route of the item answers 410 with a message, the address too.
    let gone = [
        alpha.get(None, &note_api).await,
        alpha
            .send_json(
                reqwest::Method::PATCH,
                Some(&ada),
                &note_api,
                &json!({"title": "G", "body": "b"}),
            )
            .await,
        alpha
            .send_json(
                reqwest::Method::PATCH,
                Some(&ada),
                &task_api,
                &json!({"status": "done"}),
            )
            .await,
        alpha
            .post_json(Some(&ada), &format!("{task_api}/take"), &json!({}))
            .await,
        alpha
            .send_json(reqwest::Method::DELETE, Some(&ada), &task_api, &json!({}))
            .await,
        alpha
            .send_json(reqwest::Method::DELETE, Some(&ada), &note_api, &json!({}))
            .await,
        alpha
            .send_json(reqwest::Method::DELETE, Some(&ada), &file_api, &json!({}))
            .await,
    ];
    for r in gone {
        let url = r.url().to_string();
        let body = assert_error(r, StatusCode::GONE, None).await;
        assert_eq!(body["error"], "This was deleted.", "{url}");
    }
    for uri in [&task["uri"], &note["uri"], &file["uri"]] {
        let path = path_of(uri.as_str().unwrap());
        assert_eq!(
            alpha.get(None, &path).await.status(),
            StatusCode::GONE,
            "{path}"
        );
    }
    // Never there: 404, not 410.
    let missing = [
        alpha.get(None, "/api/v1/projects/kiln/notes/nothing").await,
        alpha
            .send_json(
                reqwest::Method::PATCH,
                Some(&ada),
                "/api/v1/projects/kiln/tasks/nothing",
                &json!({"status": "done"}),
            )
            .await,
        alpha
            .post_json(
                Some(&ada),
                "/api/v1/projects/kiln/tasks/nothing/take",
                &json!({}),
            )
            .await,
        alpha
            .send_json(
                reqwest::Method::DELETE,
                Some(&ada),
                "/api/v1/projects/kiln/files/nothing",
                &json!({}),
            )
            .await,
        alpha
            .get(None, "/api/v1/projects/no-such/notes/nothing")
            .await,
    ];
    for r in missing {
        let url = r.url().to_string();
        let body = assert_error(r, StatusCode::NOT_FOUND, None).await;
        assert_eq!(body["error"], "Nothing here.", "{url}");
    }
}

/// A browser signed in through the sign-in form.
async fn signed_in(app: &TestApp, login: &str) -> reqwest::Client {
    app.signed_in(login, PASSWORD).await
}

async fn form(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = browser
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser
        .post(app.url(action))
        .form(&all)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_pages_work_as_a_person_uses_them() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    alpha.member("ada").await;
    alpha.member("cy").await;
    let ada = signed_in(&alpha, "ada").await;
    let cy = signed_in(&alpha, "cy").await;
    let r = form(
        &alpha,
        &ada,
        "/projects/new",
        "/projects/new",
        &[("handle", "boat"), ("name", ""), ("closed", "on")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Name is required"));
    let r = form(
        &alpha,
        &ada,
        "/projects/new",
        "/projects/new",
        &[("handle", "boat"), ("name", "Boat"), ("closed", "on")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/projects/boat");

    // Cy asks to join; Ada approves on the members page.
    let r = form(&alpha, &cy, "/projects/boat", "/projects/boat/join", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let members = ada
        .get(alpha.url("/projects/boat/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(members.contains("Waiting to join") && members.contains("/members/cy"));
    let cy_uri = json_of(&alpha, None, "/api/v1/projects/boat").await["pending"][0]
        .as_str()
        .unwrap()
        .to_string();
    let r = form(
        &alpha,
        &ada,
        "/projects/boat/members",
        "/projects/boat/requests",
        &[("actor", &cy_uri), ("accept", "yes")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // A task for a non-member is refused with the reason next to the field.
    let r = form(
        &alpha,
        &ada,
        "/projects/boat",
        "/projects/boat/tasks",
        &[("title", "Sand"), ("assignees", "@nobody")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("@nobody is not a member of this project"));
    let r = form(
        &alpha,
        &ada,
        "/projects/boat",
        "/projects/boat/tasks",
        &[
            ("title", "Sand"),
            ("assignees", "@cy"),
            ("due_on", "2026-12-01"),
            ("priority", "high"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let task_page = r.headers()["location"].to_str().unwrap().to_string();
    let html = cy
        .get(alpha.url(&task_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sand") && html.contains("Move to Doing") && html.contains("reply-form"));
    // Cy comments and comes back to the task.
    let task_uri = json_of(&alpha, None, "/api/v1/projects/boat").await["tasks"][0]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let r = form(
        &alpha,
        &cy,
        &task_page,
        "/posts",
        &[
            ("text", "On it"),
            ("in_reply_to", &task_uri),
            ("next", &task_page),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], task_page.as_str());
    let html = ada
        .get(alpha.url(&task_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("On it"));
    let r = form(
        &alpha,
        &cy,
        &task_page,
        &format!("{task_page}/status"),
        &[("status", "done")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        json_of(&alpha, None, "/api/v1/projects/boat").await["tasks"][0]["status"],
        "done"
    );

    // Notes keep revisions; the history shows them.
    let r = form(
        &alpha,
        &cy,
        "/projects/boat",
        "/projects/boat/notes",
        &[("title", "Plan"), ("body", "first")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let note_page = r.headers()["location"].to_str().unwrap().to_string();
    let r = form(
        &alpha,
        &ada,
        &note_page,
        &note_page,
        &[("title", "Plan"), ("body", "second")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let history = ada
        .get(alpha.url(&format!("{note_page}/history")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        history.contains("Revision 2")
            && history.contains("Revision 1")
            && history.contains("first")
    );

    // An upload through the page; a mislabelled one is refused with a reason.
    let html = ada
        .get(alpha.url("/projects/boat"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&html);
    let send = |name: &'static str, bytes: &'static [u8]| {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name);
        ada.post(alpha.url(&format!("/projects/boat/files?csrf={csrf}")))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let r = send("plan.png", b"%PDF-1.4 x").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("but its content is a PDF document"));
    let r = send("plan.pdf", b"%PDF-1.4 x").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Settings: the manager opens the project.
    let r = form(
        &alpha,
        &ada,
        "/projects/boat/members",
        "/projects/boat/edit",
        &[("name", "Boat club"), ("summary", "Open now")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = json_of(&alpha, None, "/api/v1/projects/boat").await;
    assert_eq!(p["project"]["name"], "Boat club");
    assert_eq!(p["project"]["closed"], false);
    let r = form(
        &alpha,
        &cy,
        "/projects/boat/members",
        "/projects/boat/edit",
        &[("name", "Mine")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// `GET /api/v1/following` (and the Network page) print local projects and the space by the
/// handles people type: `@boat@domain` named "Boat", and the space's domain named after it;
/// never "the project Boat@domain" or `@host@host:port`.
#[tokio::test]
async fn following_prints_projects_and_the_space_by_their_handles() {
    let (app, admin) = TestApp::spawn_set_up().await;
    app.open_registration(&admin).await;
    let ada = app.member("ada").await;
    let project = created(
        &app,
        &ada,
        "/api/v1/projects",
        json!({"handle": "boat", "name": "Boat"}),
    )
    .await;
    let project_uri = project["uri"].as_str().unwrap().to_string();
    let domain = project_uri
        .split_once("://")
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let space_uri = format!("{}/", project_uri.split("/projects/").next().unwrap());
    for target in [project_uri.as_str(), space_uri.as_str()] {
        let r = app
            .post_json(Some(&ada), "/api/v1/follows", &json!({ "target": target }))
            .await;
        assert!(r.status().is_success(), "{target}: {}", r.status());
        let body: Value = r.json().await.unwrap();
        assert!(!body["handle"].as_str().unwrap().contains("the "), "{body}");
    }
    let list = json_of(&app, Some(&ada), "/api/v1/following").await;
    let items = list["items"].as_array().unwrap();
    let find = |uri: &str| {
        items
            .iter()
            .find(|i| i["uri"].as_str().unwrap().trim_end_matches('/') == uri.trim_end_matches('/'))
            .unwrap_or_else(|| panic!("{uri} in {list}"))
            .clone()
    };
    let boat = find(&project_uri);
    assert_eq!(boat["handle"], format!("@boat@{domain}"));
    assert_eq!(boat["name"], "Boat");
    let space = find(&space_uri);
    assert_eq!(space["handle"], domain, "the space is its domain: {space}");
    assert!(!space["name"].as_str().unwrap().is_empty());
    for i in items {
        let handle = i["handle"].as_str().unwrap();
        assert!(!handle.contains(' '), "a handle has no spaces: {handle}");
    }
    // The Network page prints the same.
    let page = app.get(Some(&ada), "/network").await.text().await.unwrap();
    assert!(page.contains(&format!("@boat@{domain}")));
    assert!(!page.contains("the project Boat"));
}
