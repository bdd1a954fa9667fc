//! Concurrency: many requests at the same moment against one event, one task, one company or
//! one join request, then the invariants checked through the API. Seated rows equal the count
//! and never exceed the capacity; every taker of a task is an assignee; a company keeps an
//! owner; an invitation or a join request is answered once; a handle has one holder. Remote
//! senders delivering at once: each sender's order holds and each like counts once; members
//! liking one post at once are each counted.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestApp;

/// How many requests each test fires at once.
const AT_ONCE: usize = 50;

/// One API request: method, path, bearer token (empty: none), JSON body.
struct Call {
    method: Method,
    path: String,
    token: String,
    body: Value,
}

fn post(path: &str, token: &str, body: Value) -> Call {
    Call {
        method: Method::POST,
        path: path.to_string(),
        token: token.to_string(),
        body,
    }
}

/// Sends every call at the same moment (each on its own task) and waits for all answers, in
/// the order of `calls`: status and JSON body (`null` when there is none).
async fn fire(app: &TestApp, calls: Vec<Call>) -> Vec<(StatusCode, Value)> {
    let mut tasks = Vec::with_capacity(calls.len());
    for call in calls {
        let client = app.api.clone();
        let url = app.url(&call.path);
        tasks.push(tokio::spawn(async move {
            let mut request = client.request(call.method, url).json(&call.body);
            // An empty token: an anonymous call (a sign-up).
            if !call.token.is_empty() {
                request = request.bearer_auth(call.token);
            }
            let r = request.send().await.expect("request sent");
            let status = r.status();
            let body = r.json::<Value>().await.unwrap_or(Value::Null);
            (status, body)
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// How many answers had `status`.
fn count(answers: &[(StatusCode, Value)], status: StatusCode) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

/// Signs up `n` members named `{prefix}{i}`; their tokens.
async fn members(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        tokens.push(app.member(&format!("{prefix}{i}")).await);
    }
    tokens
}

// --- events ------------------------------------------------------------------------------

/// A local event a month from now, with `extra` fields; its URI and path token.
async fn event(app: &TestApp, organiser: &str, extra: Value) -> (String, String) {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    let mut body = json!({
        "title": "Crowded workshop",
        "starts_at": format!("{day}T18:00"),
        "ends_at": format!("{day}T20:00"),
        "timezone": "Europe/Lisbon",
        "category": "MEETING",
    });
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let r = app
        .post_json(Some(organiser), "/api/v1/events", &body)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let uri = made["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    (uri, token)
}

/// What the organiser sees: (participant_count, seated rows, waiting rows).
async fn seats(app: &TestApp, organiser: &str, token: &str) -> (i64, usize, usize) {
    let r = app
        .get(
            Some(organiser),
            &format!("/api/v1/events/{token}/participants"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    let in_state = |s: &str| items.iter().filter(|p| p["state"] == s).count();
    let e: Value = app
        .get(None, &format!("/api/v1/events/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        e["participant_count"], list["participant_count"],
        "the event and its participant list agree"
    );
    (
        e["participant_count"].as_i64().unwrap(),
        in_state("accepted"),
        in_state("pending"),
    )
}

fn join(uri: &str, token: &str) -> Call {
    post("/api/v1/events/join", token, json!({ "uri": uri }))
}

fn leave(uri: &str, token: &str) -> Call {
    post("/api/v1/events/leave", token, json!({ "uri": uri }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_member_joining_fifty_times_at_once_takes_one_seat() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 10})).await;
    let answers = fire(&app, (0..AT_ONCE).map(|_| join(&uri, &bob)).collect()).await;
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == StatusCode::OK && b["state"] == "accepted"),
        "{answers:?}"
    );
    assert_eq!(seats(&app, &ada, &token).await, (1, 1, 0));
    // And fifty leaves at once free that one seat once.
    let answers = fire(&app, (0..AT_ONCE).map(|_| leave(&uri, &bob)).collect()).await;
    assert_eq!(count(&answers, StatusCode::NO_CONTENT), AT_ONCE);
    assert_eq!(seats(&app, &ada, &token).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_members_for_ten_seats_seat_exactly_ten() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "m", AT_ONCE).await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 10})).await;
    let answers = fire(&app, crowd.iter().map(|t| join(&uri, t)).collect()).await;
    assert_eq!(count(&answers, StatusCode::OK), 10, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), AT_ONCE - 10);
    assert_eq!(seats(&app, &ada, &token).await, (10, 10, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leaves_racing_at_a_full_event_free_each_seat_once() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let seated = members(&app, "s", 5).await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 5})).await;
    for t in &seated {
        let r = app
            .post_json(Some(t), "/api/v1/events/join", &json!({ "uri": uri }))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(seats(&app, &ada, &token).await, (5, 5, 0));
    // Three of the five send many leaves at once; two stay.
    let calls = (0..AT_ONCE).map(|i| leave(&uri, &seated[i % 3])).collect();
    let answers = fire(&app, calls).await;
    assert_eq!(count(&answers, StatusCode::NO_CONTENT), AT_ONCE);
    assert_eq!(seats(&app, &ada, &token).await, (2, 2, 0));
    // Exactly the three freed seats are left for a crowd.
    let crowd = members(&app, "c", AT_ONCE).await;
    let answers = fire(&app, crowd.iter().map(|t| join(&uri, t)).collect()).await;
    assert_eq!(count(&answers, StatusCode::OK), 3, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), AT_ONCE - 3);
    assert_eq!(seats(&app, &ada, &token).await, (5, 5, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_joins_and_leaves_keep_the_count_equal_to_the_seated() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "m", 20).await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 8})).await;
    // The first eight hold seats; then everyone joins and leaves, several times, at once.
    for t in &crowd[..8] {
        let r = app
            .post_json(Some(t), "/api/v1/events/join", &json!({ "uri": uri }))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let calls: Vec<Call> = (0..3 * crowd.len())
        .map(|i| {
            let t = &crowd[i % crowd.len()];
            if (i / crowd.len()) % 2 == 0 {
                leave(&uri, t)
            } else {
                join(&uri, t)
            }
        })
        .collect();
    assert!(calls.len() >= AT_ONCE);
    let answers = fire(&app, calls).await;
    assert!(
        answers.iter().all(
            |(s, _)| [StatusCode::OK, StatusCode::NO_CONTENT, StatusCode::CONFLICT].contains(s)
        ),
        "{answers:?}"
    );
    let (count_now, seated, _) = seats(&app, &ada, &token).await;
    assert_eq!(count_now, seated as i64);
    assert!(seated <= 8, "{seated} seated for 8 seats");
    // Everyone leaves: nothing is left counted.
    let answers = fire(
        &app,
        (0..AT_ONCE)
            .map(|i| leave(&uri, &crowd[i % crowd.len()]))
            .collect(),
    )
    .await;
    assert_eq!(count(&answers, StatusCode::NO_CONTENT), AT_ONCE);
    assert_eq!(seats(&app, &ada, &token).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_racing_for_the_last_seats_seat_no_more_than_the_capacity() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "p", AT_ONCE).await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 5, "join_mode": "approval"})).await;
    let answers = fire(&app, crowd.iter().map(|t| join(&uri, t)).collect()).await;
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == StatusCode::OK && b["state"] == "pending"),
        "{answers:?}"
    );
    assert_eq!(seats(&app, &ada, &token).await, (0, 0, AT_ONCE));
    let list: Value = app
        .get(Some(&ada), &format!("/api/v1/events/{token}/participants"))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), AT_ONCE);
    // The organiser approves all fifty at once: five get a seat, the others find it full.
    let calls = ids
        .iter()
        .map(|id| {
            post(
                &format!("/api/v1/events/{token}/participants/{id}/approve"),
                &ada,
                json!({}),
            )
        })
        .collect();
    let answers = fire(&app, calls).await;
    assert_eq!(count(&answers, StatusCode::OK), 5, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), AT_ONCE - 5);
    assert_eq!(seats(&app, &ada, &token).await, (5, 5, AT_ONCE - 5));
    // Approving one more into the full event answers 409 and changes nothing.
    let waiting = ids
        .iter()
        .zip(&answers)
        .find(|(_, (s, _))| *s == StatusCode::CONFLICT)
        .map(|(id, _)| *id)
        .unwrap();
    let r = app
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{token}/participants/{waiting}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.to_string().contains("full"),
        "the refusal says why: {body}"
    );
    assert_eq!(seats(&app, &ada, &token).await, (5, 5, AT_ONCE - 5));
    // Lowering the capacity below the five seats taken answers 422 and keeps it.
    let mut edit = json!({
        "title": "Crowded workshop",
        "starts_at": format!("{}T18:00", chrono::Utc::now().date_naive() + chrono::Days::new(30)),
        "ends_at": format!("{}T20:00", chrono::Utc::now().date_naive() + chrono::Days::new(30)),
        "timezone": "Europe/Lisbon",
        "category": "MEETING",
        "join_mode": "approval",
        "capacity": 4,
    });
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            &format!("/api/v1/events/{token}"),
            &edit,
        )
        .await;
    crate::support::assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("capacity")).await;
    let e: Value = app
        .get(None, &format!("/api/v1/events/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["capacity"], 5);
    // Raising it to six is fine, and one more approval then seats one more.
    edit["capacity"] = json!(6);
    let r = app
        .send_json(
            Method::PATCH,
            Some(&ada),
            &format!("/api/v1/events/{token}"),
            &edit,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{token}/participants/{waiting}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(seats(&app, &ada, &token).await, (6, 6, AT_ONCE - 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_capacity_lowered_while_members_join_is_never_below_the_seated() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "m", AT_ONCE).await;
    let (uri, token) = event(&app, &ada, json!({"capacity": 40})).await;
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    let mut calls: Vec<Call> = crowd.iter().map(|t| join(&uri, t)).collect();
    // Among the joins, the organiser tries to lower the capacity to 10, five times.
    let edits: Vec<usize> = (0..5).map(|i| i * 11).collect();
    for &i in &edits {
        calls.insert(
            i,
            Call {
                method: Method::PATCH,
                path: format!("/api/v1/events/{token}"),
                token: ada.clone(),
                body: json!({
                    "title": "Crowded workshop",
                    "starts_at": format!("{day}T18:00"),
                    "ends_at": format!("{day}T20:00"),
                    "timezone": "Europe/Lisbon",
                    "category": "MEETING",
                    "capacity": 10,
                }),
            },
        );
    }
    let answers = fire(&app, calls).await;
    assert!(
        answers.iter().all(|(s, _)| [
            StatusCode::OK,
            StatusCode::CONFLICT,
            StatusCode::UNPROCESSABLE_ENTITY
        ]
        .contains(s)),
        "{answers:?}"
    );
    let e: Value = app
        .get(None, &format!("/api/v1/events/{token}"))
        .await
        .json()
        .await
        .unwrap();
    let capacity = e["capacity"].as_i64().unwrap();
    let (count_now, seated, _) = seats(&app, &ada, &token).await;
    assert_eq!(count_now, seated as i64);
    assert!(
        count_now <= capacity,
        "{count_now} seated for a capacity of {capacity}"
    );
    // A join answered 200 holds a seat; one answered 409 does not.
    let seated_joins = answers
        .iter()
        .enumerate()
        .filter(|(i, (s, _))| !edits.contains(i) && *s == StatusCode::OK)
        .count();
    assert_eq!(seated_joins, seated);
}

// --- tasks -------------------------------------------------------------------------------

/// An open project `boat` of `owner` that every token in `crowd` joined; the token of a new
/// task in it.
async fn board_with_task(app: &TestApp, owner: &str, crowd: &[String]) -> String {
    let r = app
        .post_json(
            Some(owner),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let answers = fire(
        app,
        crowd
            .iter()
            .map(|t| post("/api/v1/projects/boat/join", t, json!({})))
            .collect(),
    )
    .await;
    assert_eq!(count(&answers, StatusCode::OK), crowd.len(), "{answers:?}");
    let r = app
        .post_json(
            Some(owner),
            "/api/v1/projects/boat/tasks",
            &json!({"title": "Sand the hull"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let task: Value = r.json().await.unwrap();
    task["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

/// The board's one task.
async fn the_task(app: &TestApp) -> Value {
    let b: Value = app
        .get(None, "/api/v1/projects/boat")
        .await
        .json()
        .await
        .unwrap();
    let tasks = b["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    tasks[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_members_taking_one_task_at_once_are_all_assignees() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "m", AT_ONCE).await;
    let task = board_with_task(&app, &ada, &crowd).await;
    let take = format!("/api/v1/projects/boat/tasks/{task}/take");
    let answers = fire(
        &app,
        crowd.iter().map(|t| post(&take, t, json!({}))).collect(),
    )
    .await;
    assert_eq!(count(&answers, StatusCode::OK), AT_ONCE, "{answers:?}");
    let t = the_task(&app).await;
    let assignees: Vec<&str> = t["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(assignees.len(), AT_ONCE, "{assignees:?}");
    for i in 0..AT_ONCE {
        let me = format!("/members/m{i}");
        assert!(
            assignees.iter().any(|a| a.ends_with(&me)),
            "m{i} took the task: {assignees:?}"
        );
    }
    assert_eq!(t["status"], "doing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn takes_moves_and_edits_of_one_task_at_once_lose_no_taker() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let crowd = members(&app, "m", 20).await;
    let task = board_with_task(&app, &ada, &crowd).await;
    let path = format!("/api/v1/projects/boat/tasks/{task}");
    // Each of twenty members takes the task twice; meanwhile others move it and retitle it
    // (an edit that does not name the assignees keeps them).
    let mut calls = Vec::new();
    for (i, t) in crowd.iter().enumerate() {
        calls.push(post(&format!("{path}/take"), t, json!({})));
        calls.push(post(&format!("{path}/take"), t, json!({})));
        calls.push(Call {
            method: Method::PATCH,
            path: path.clone(),
            token: t.clone(),
            body: if i % 2 == 0 {
                json!({"status": "done"})
            } else {
                json!({"title": format!("Sand the hull ({i})")})
            },
        });
    }
    assert!(calls.len() >= AT_ONCE);
    let answers = fire(&app, calls).await;
    assert_eq!(
        count(&answers, StatusCode::OK),
        answers.len(),
        "{answers:?}"
    );
    let t = the_task(&app).await;
    let assignees = t["assignees"].as_array().unwrap();
    assert_eq!(assignees.len(), crowd.len(), "{assignees:?}");
    for i in 0..crowd.len() {
        let me = format!("/members/m{i}");
        assert!(
            assignees.iter().any(|a| a.as_str().unwrap().ends_with(&me)),
            "m{i} took the task: {assignees:?}"
        );
    }
}

// --- memberships -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn join_requests_answered_many_times_at_once_are_answered_once() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let cy = app.member("cy").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/projects",
            &json!({"handle": "boat", "name": "Boat", "closed": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let answers = fire(
        &app,
        (0..AT_ONCE)
            .map(|_| post("/api/v1/projects/boat/join", &cy, json!({})))
            .collect(),
    )
    .await;
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == StatusCode::OK && b["state"] == "pending"),
        "{answers:?}"
    );
    let b: Value = app
        .get(None, "/api/v1/projects/boat")
        .await
        .json()
        .await
        .unwrap();
    let cy_uri = b["pending"][0].as_str().unwrap().to_string();
    assert_eq!(b["pending"].as_array().unwrap().len(), 1);
    // The manager hears of the request once.
    let notes: Value = app
        .get(Some(&ada), "/api/v1/notifications")
        .await
        .json()
        .await
        .unwrap();
    let requests = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "project_join")
        .count();
    assert_eq!(requests, 1, "{notes}");
    // The manager clicks accept and refuse, fifty times at once: one of them decides.
    let answers = fire(
        &app,
        (0..AT_ONCE)
            .map(|i| {
                post(
                    "/api/v1/projects/boat/requests",
                    &ada,
                    json!({"actor": cy_uri, "accept": i % 2 == 0}),
                )
            })
            .collect(),
    )
    .await;
    assert_eq!(count(&answers, StatusCode::NO_CONTENT), 1, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::NOT_FOUND), AT_ONCE - 1);
    let accepted = answers
        .iter()
        .position(|(s, _)| *s == StatusCode::NO_CONTENT)
        .unwrap()
        % 2
        == 0;
    let b: Value = app
        .get(None, "/api/v1/projects/boat")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["pending"], json!([]));
    let members = b["members"].as_array().unwrap();
    assert_eq!(members.iter().any(|m| m == &json!(cy_uri)), accepted);
    if accepted {
        // Asking again keeps the member a member.
        let answers = fire(
            &app,
            (0..AT_ONCE)
                .map(|_| post("/api/v1/projects/boat/join", &cy, json!({})))
                .collect(),
        )
        .await;
        assert!(
            answers
                .iter()
                .all(|(s, b)| *s == StatusCode::OK && b["state"] == "accepted"),
            "{answers:?}"
        );
    }
}

/// The members of `lighthouse` with their roles, from the company's page.
async fn roles(app: &TestApp) -> Vec<(String, String)> {
    let c: Value = app
        .get(None, "/api/v1/companies/lighthouse")
        .await
        .json()
        .await
        .unwrap();
    c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["handle"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Invites `handle` as `role` and has them accept.
async fn admit(app: &TestApp, inviter: &str, handle: &str, token: &str, role: &str) {
    let r = app
        .post_json(
            Some(inviter),
            "/api/v1/companies/lighthouse/invites",
            &json!({"member": handle, "role": role}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let invite: Value = r.json().await.unwrap();
    let r = app
        .post_json(
            Some(token),
            &format!("/api/v1/invitations/{}/accept", invite["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_demoting_each_other_at_once_leave_the_company_an_owner() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let owners = members(&app, "o", 5).await;
    let r = app
        .post_json(
            Some(&owners[0]),
            "/api/v1/companies",
            &json!({"handle": "lighthouse", "name": "Lighthouse"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for (i, t) in owners.iter().enumerate().skip(1) {
        admit(&app, &owners[0], &format!("o{i}"), t, "member").await;
        let r = app
            .send_json(
                Method::PATCH,
                Some(&owners[0]),
                &format!("/api/v1/companies/lighthouse/members/o{i}"),
                &json!({"role": "owner"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let owner_count = |r: &[(String, String)]| r.iter().filter(|(_, role)| role == "owner").count();
    assert_eq!(owner_count(&roles(&app).await), 5);
    // Every owner demotes every owner (themselves too), twice, at once.
    let mut calls = Vec::new();
    for _ in 0..2 {
        for t in &owners {
            for j in 0..owners.len() {
                calls.push(Call {
                    method: Method::PATCH,
                    path: format!("/api/v1/companies/lighthouse/members/o{j}"),
                    token: t.clone(),
                    body: json!({"role": "admin"}),
                });
            }
        }
    }
    assert!(calls.len() >= AT_ONCE);
    let answers = fire(&app, calls).await;
    assert!(
        answers.iter().all(
            |(s, _)| [StatusCode::OK, StatusCode::CONFLICT, StatusCode::FORBIDDEN].contains(s)
        ),
        "{answers:?}"
    );
    let after = roles(&app).await;
    assert_eq!(owner_count(&after), 1, "{after:?}");
    assert_eq!(after.len(), 5, "nobody lost their membership: {after:?}");
    // The last owner and the admins all leave at once: the owner stays.
    let answers = fire(
        &app,
        (0..AT_ONCE)
            .map(|i| {
                post(
                    "/api/v1/companies/lighthouse/leave",
                    &owners[i % 5],
                    json!({}),
                )
            })
            .collect(),
    )
    .await;
    assert!(
        answers
            .iter()
            .all(|(s, _)| [StatusCode::NO_CONTENT, StatusCode::CONFLICT].contains(s)),
        "{answers:?}"
    );
    let after = roles(&app).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].1, "owner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invitation_accepted_many_times_at_once_admits_once() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "lighthouse", "name": "Lighthouse"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            Some(&ada),
            "/api/v1/companies/lighthouse/invites",
            &json!({"member": "bob", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let invite: Value = r.json().await.unwrap();
    let id = &invite["id"];
    // Bob accepts and declines, fifty times at once: one answer counts.
    let calls = (0..AT_ONCE)
        .map(|i| {
            let what = if i % 5 == 4 { "decline" } else { "accept" };
            post(&format!("/api/v1/invitations/{id}/{what}"), &bob, json!({}))
        })
        .collect();
    let answers = fire(&app, calls).await;
    let done = count(&answers, StatusCode::OK) + count(&answers, StatusCode::NO_CONTENT);
    assert_eq!(done, 1, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::NOT_FOUND), AT_ONCE - 1);
    let accepted = count(&answers, StatusCode::OK) == 1;
    let after = roles(&app).await;
    let bobs: Vec<_> = after.iter().filter(|(h, _)| h == "bob").collect();
    if accepted {
        assert_eq!(bobs, vec![&("bob".to_string(), "admin".to_string())]);
    } else {
        assert!(bobs.is_empty(), "{after:?}");
    }
    let pending: Value = app
        .get(Some(&bob), "/api/v1/invitations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending, json!([]));
}

// --- handles ---------------------------------------------------------------------------------

/// Members, companies and projects share one namespace of handles: a sign-up and a new project
/// asking for the same handle at the same moment end with exactly one of them holding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_and_a_project_taking_one_handle_at_once_leave_it_to_one() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let pairs = AT_ONCE / 2;
    let mut calls = Vec::with_capacity(AT_ONCE);
    for i in 0..pairs {
        let handle = format!("dock{i}");
        calls.push(post(
            "/api/v1/accounts",
            "",
            json!({"handle": handle, "email": format!("{handle}@example.org"),
                   "password": crate::support::PASSWORD}),
        ));
        calls.push(post(
            "/api/v1/projects",
            &ada,
            json!({"handle": handle, "name": format!("Dock {i}")}),
        ));
    }
    let answers = fire(&app, calls).await;
    for (i, pair) in answers.chunks(2).enumerate() {
        let (member, project) = (pair[0].0, pair[1].0);
        let created = [member, project]
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert_eq!(
            created, 1,
            "dock{i}: one of the two holds the handle: {pair:?}"
        );
        let loser = if member == StatusCode::CREATED {
            &pair[1]
        } else {
            &pair[0]
        };
        assert_eq!(
            loser.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "dock{i}: {pair:?}"
        );
        assert_eq!(loser.1["fields"][0]["field"], "handle", "dock{i}: {pair:?}");
        // What the space serves agrees: the handle names the one that took it.
        let as_member = app
            .get(None, &format!("/api/v1/members/dock{i}"))
            .await
            .status();
        let as_project = app
            .get(Some(&ada), &format!("/api/v1/projects/dock{i}"))
            .await
            .status();
        let expected = if member == StatusCode::CREATED {
            (StatusCode::OK, StatusCode::NOT_FOUND)
        } else {
            (StatusCode::NOT_FOUND, StatusCode::OK)
        };
        assert_eq!((as_member, as_project), expected, "dock{i}");
    }
}

/// Remote actors sending at the same moment.
const SENDERS: usize = 24;

/// Many remote senders delivering at the same moment: each sender's own order holds (a reply
/// created then deleted stays deleted, never brought back by a `Create` handled after its
/// `Delete`) and every sender's like of one post is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn activities_from_many_senders_at_once_keep_each_senders_order() {
    use crate::federation::{eventually, port_of, rand_id, FakePeer};
    use std::sync::Arc;

    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let post_uri = alpha.post_text(&ada, "Who is in today?").await;
    let names: Vec<String> = (0..SENDERS).map(|n| format!("s{n}")).collect();
    let peer = Arc::new(
        FakePeer::start_with_actors(&names.iter().map(String::as_str).collect::<Vec<_>>()).await,
    );
    let alpha = Arc::new(alpha);

    let mut senders = Vec::new();
    let mut replies = Vec::new();
    for name in names {
        let actor = peer.actor_named(&name);
        let reply = format!("{}/notes/{}", peer.base, rand_id());
        replies.push(reply.clone());
        let activity = |kind: &str, object: Value| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/activities/{}", peer.base, rand_id()),
                "type": kind, "actor": actor, "object": object
            })
        };
        let sent = [
            activity("Like", json!(post_uri)),
            activity(
                "Create",
                json!({"id": reply, "type": "Note", "attributedTo": actor,
                    "content": "In at ten", "inReplyTo": post_uri,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    "published": "2026-11-24T10:00:00Z"}),
            ),
            activity("Delete", json!({"id": reply, "type": "Tombstone"})),
        ];
        let (peer, alpha, domain) = (peer.clone(), alpha.clone(), domain.clone());
        senders.push(tokio::spawn(async move {
            // One sender's activities one after another, as a server sends them.
            for activity in &sent {
                let status = peer
                    .deliver_as(&name, &alpha, &domain, "/inbox", activity)
                    .await;
                assert_eq!(status, StatusCode::ACCEPTED, "{activity}");
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }

    let path = format!(
        "/api/v1/posts?uri={}",
        url::form_urlencoded::byte_serialize(post_uri.as_bytes()).collect::<String>()
    );
    let post = eventually("every like counted", || async {
        let post: Value = alpha.get(Some(&ada), &path).await.json().await.unwrap();
        (post["likes_count"] == SENDERS).then_some(post)
    })
    .await;
    assert_eq!(post["likes_count"], SENDERS, "{post}");
    for reply in &replies {
        let path = format!(
            "/api/v1/posts?uri={}",
            url::form_urlencoded::byte_serialize(reply.as_bytes()).collect::<String>()
        );
        eventually("each reply created, then deleted", || async {
            (alpha.get(Some(&ada), &path).await.status() == StatusCode::GONE).then_some(())
        })
        .await;
    }
    let post: Value = alpha.get(Some(&ada), &path).await.json().await.unwrap();
    assert_eq!(post["replies_count"], 0, "{post}");
}

/// Fifty members liking one post at once: every like counted (each reaction's count is taken
/// with the post's row held, so none counts without the others' rows), and a second like by
/// one of them changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_members_liking_one_post_at_once_are_all_counted() {
    let (app, _) = TestApp::spawn_named("alpha").await;
    let ada = app.member("ada").await;
    let uri = app.post_text(&ada, "Lunch on the roof?").await;
    let crowd = members(&app, "l", AT_ONCE).await;
    let like = |token: &String| post("/api/v1/likes", token, json!({ "uri": uri }));
    let answers = fire(&app, crowd.iter().map(like).collect()).await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    let again = fire(&app, vec![like(&crowd[0])]).await;
    assert_eq!(again[0].0, StatusCode::OK);
    let path = format!(
        "/api/v1/posts?uri={}",
        url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
    );
    let post: Value = app.get(Some(&ada), &path).await.json().await.unwrap();
    assert_eq!(post["likes_count"], AT_ONCE, "{post}");
}
