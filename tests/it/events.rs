//! Events: validation, the `Event` document, RSVPs from other servers with seats and
//! approval, remote events checked and sanitised, a member's RSVP to a remote event, comments,
//! and the iCalendar feeds.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::federation::{assert_terms_defined, eventually, port_of, rand_id, FakePeer, AS_JSON};
use crate::support::{
    ahead, assert_error, csrf_from, eventually_exactly, future_year, long_day, spring_forward_day,
    TestApp, PASSWORD,
};

pub(crate) async fn signed_in_browser(app: &TestApp, login: &str) -> reqwest::Client {
    app.signed_in(login, PASSWORD).await
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn event_body(extra: Value) -> Value {
    let mut body = json!({
        "title": "Rust & coffee",
        "description": "Bring a laptop.\n\nWe meet upstairs.",
        "starts_at": ahead("06-01T18:00"),
        "ends_at": ahead("06-01T20:30"),
        "timezone": "Europe/Lisbon",
        "place_name": "Harbour Works",
        "street_address": "Rua do Cais 1",
        "postal_code": "1200-001",
        "locality": "Lisbon",
        "country": "Portugal",
        "online_url": "https://meet.example/rust",
        "category": "SCIENCE_TECH",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn create(app: &TestApp, token: &str, extra: Value) -> Value {
    let r = app
        .post_json(Some(token), "/api/v1/events", &event_body(extra))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn json_of(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn fetch_as(app: &TestApp, path: &str) -> reqwest::Response {
    app.api
        .get(app.url(path))
        .header("accept", AS_JSON)
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

/// What the peer has received of one type.
fn received(peer: &FakePeer, kind: &str) -> Vec<Value> {
    peer.received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn bad_events_are_refused_and_nothing_is_stored() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    for (extra, field) in [
        (json!({"title": "  "}), "title"),
        (json!({"title": "a\nb"}), "title"),
        (json!({"ends_at": ahead("06-01T17:00")}), "ends_at"),
        (json!({"ends_at": ahead("06-01T18:00")}), "ends_at"),
        (json!({"timezone": "Mars/Olympus_Mons"}), "timezone"),
        (json!({"starts_at": ahead("02-30T10:00")}), "starts_at"),
        (json!({"starts_at": "next tuesday"}), "starts_at"),
        (json!({"starts_at": ""}), "starts_at"),
        (json!({"ends_at": "99999-01-01T00:00"}), "ends_at"),
        // A wall time the clocks skip (Lisbon, last Sunday of March).
        (
            json!({"starts_at": format!("{}T01:30", spring_forward_day()), "ends_at": format!("{}T05:00", spring_forward_day())}),
            "starts_at",
        ),
        (json!({"capacity": 0}), "capacity"),
        (json!({"capacity": -3}), "capacity"),
        (json!({"capacity": "many"}), "capacity"),
        (json!({"capacity": 2.5}), "capacity"),
        (json!({"join_mode": "lottery"}), "join_mode"),
        (json!({"join_mode": "external"}), "external_url"),
        (json!({"visibility": "secret"}), "visibility"),
        (json!({"category": "KNITTING_WARS"}), "category"),
        (json!({"online_url": "javascript:alert(1)"}), "online_url"),
        (json!({"as": "company:nonexistent"}), "as"),
    ] {
        let r = alpha
            .post_json(Some(&ada), "/api/v1/events", &event_body(extra.clone()))
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    // Several problems at once are reported together.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events",
            &event_body(json!({"timezone": "Nowhere", "capacity": 0, "title": ""})),
        )
        .await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("timezone")).await;
    assert_eq!(body["fields"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(
        json_of(&alpha, Some(&ada), "/api/v1/events").await["items"],
        json!([])
    );
    // Signing in is needed; the form page says what is wrong in place.
    assert_eq!(
        alpha
            .post_json(None, "/api/v1/events", &event_body(json!({})))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // A company's event needs someone who manages it.
    let bob = alpha.member("bob").await;
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/companies",
            &json!({"handle": "tidewater", "name": "Tidewater Labs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = alpha
        .post_json(
            Some(&bob),
            "/api/v1/events",
            &event_body(json!({"as": "company:tidewater"})),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("as")).await;
    let made = create(&alpha, &ada, json!({"as": "company:tidewater"})).await;
    assert!(made["organizer"]
        .as_str()
        .unwrap()
        .ends_with("/companies/tidewater"));
    // The company's managers find it in their private feed.
    let r = alpha
        .post_json(Some(&ada), "/api/v1/calendar/feed", &json!({}))
        .await;
    let feed = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = ics_lines(&alpha.get(None, &path_of(&feed)).await.text().await.unwrap());
    assert!(lines
        .iter()
        .any(|l| l == &format!("UID:{}", made["uri"].as_str().unwrap())));
    // Editing keeps the same rules; the capacity cannot drop below the seats taken.
    let token = made["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &format!("/api/v1/events/{token}"),
            &event_body(json!({"ends_at": ahead("05-01T10:00")})),
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("ends_at")).await;
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&bob),
            &format!("/api/v1/events/{token}"),
            &event_body(json!({})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_event_document_defines_its_terms_and_reads_well() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let made = create(&alpha, &ada, json!({"capacity": 20})).await;
    assert_eq!(made["start_time"], ahead("06-01T18:00:00+01:00"));
    assert_eq!(made["timezone"], "Europe/Lisbon");
    let uri = made["uri"].as_str().unwrap().to_string();
    let r = fetch_as(&alpha, &path_of(&uri)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with(AS_JSON));
    let doc: Value = r.json().await.unwrap();
    assert_terms_defined(&doc);
    assert_eq!(doc["type"], "Event");
    assert_eq!(doc["id"], uri);
    assert_eq!(doc["name"], "Rust & coffee");
    assert_eq!(doc["attributedTo"], format!("http://{domain}/members/ada"));
    assert_eq!(doc["startTime"], ahead("06-01T18:00:00+01:00"));
    assert_eq!(doc["endTime"], ahead("06-01T20:30:00+01:00"));
    assert_eq!(doc["timezone"], "Europe/Lisbon");
    assert_eq!(doc["to"], json!([PUBLIC]));
    assert_eq!(doc["location"]["type"], "Place");
    assert_eq!(doc["location"]["address"]["type"], "PostalAddress");
    assert_eq!(doc["location"]["address"]["addressLocality"], "Lisbon");
    assert_eq!(doc["attachment"][0]["href"], "https://meet.example/rust");
    assert_eq!(doc["isOnline"], true);
    assert_eq!(doc["joinMode"], "free");
    assert_eq!(doc["maximumAttendeeCapacity"], 20);
    assert_eq!(doc["remainingAttendeeCapacity"], 20);
    assert_eq!(doc["participantCount"], 0);
    assert_eq!(doc["category"], "SCIENCE_TECH");
    assert_eq!(doc["ical:status"], "CONFIRMED");
    assert_eq!(doc["url"], uri);
    let content = doc["content"].as_str().unwrap();
    for part in [
        "<p>Bring a laptop.</p>",
        &format!("When: {}, 18:00–20:30 (Europe/Lisbon)", long_day("06-01")),
        "Where: Harbour Works, Rua do Cais 1, 1200-001 Lisbon, Portugal",
        "https://meet.example/rust",
    ] {
        assert!(content.contains(part), "{part} in {content}");
    }
    assert!(doc["summary"]
        .as_str()
        .unwrap()
        .contains(&format!("When: {}", long_day("06-01"))));
    // FEP-8a8e: the organiser's upcoming events.
    let actor: Value = fetch_as(&alpha, "/members/ada").await.json().await.unwrap();
    assert_terms_defined(&actor);
    assert_eq!(
        actor["upcomingEvents"],
        format!("http://{domain}/members/ada/upcoming-events")
    );
    let upcoming: Value = fetch_as(&alpha, "/members/ada/upcoming-events")
        .await
        .json()
        .await
        .unwrap();
    assert_terms_defined(&upcoming);
    assert_eq!(upcoming["type"], "OrderedCollection");
    assert_eq!(upcoming["orderedItems"][0]["id"], uri);
    // A members-only event is not served to servers, nor to anonymous readers.
    let hidden = create(&alpha, &ada, json!({"visibility": "members"})).await;
    let hidden_uri = hidden["uri"].as_str().unwrap();
    assert_eq!(
        fetch_as(&alpha, &path_of(hidden_uri)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alpha.get(None, &path_of(hidden_uri)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alpha.get(Some(&ada), &path_of(hidden_uri)).await.status(),
        StatusCode::OK
    );

    // Comments are posts replying to the event.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/posts",
            &json!({"text": "See you there", "in_reply_to": uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let replies = json_of(
        &alpha,
        None,
        &format!("/api/v1/replies?uri={}", encode(&uri)),
    )
    .await;
    assert_eq!(replies["items"][0]["content"], "<p>See you there</p>");
    let doc: Value = fetch_as(&alpha, &path_of(&uri)).await.json().await.unwrap();
    assert_eq!(doc["replies"]["totalItems"], 1);

    // The page shows it, links its calendar and can be commented on.
    let page = alpha.get(None, &path_of(&uri)).await.text().await.unwrap();
    assert!(page.contains("See you there"));
    let head = page.split("</head>").next().unwrap();
    assert!(
        head.contains("rel=\"alternate\" type=\"text/calendar\""),
        "{head}"
    );
    assert!(
        head.contains(&format!("href=\"{}.ics\"", path_of(&uri))),
        "{head}"
    );

    // Cancelling is an Update with ical:status CANCELLED; deleting leaves a tombstone.
    let token = uri.rsplit('/').next().unwrap();
    let r = alpha
        .post_json(
            Some(&ada),
            &format!("/api/v1/events/{token}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = fetch_as(&alpha, &path_of(&uri)).await.json().await.unwrap();
    assert_eq!(doc["ical:status"], "CANCELLED");
    assert_eq!(
        doc["eventStatus"],
        "https://w3id.org/fep/8a8e/EventCancelled"
    );
    let r = alpha
        .send_json(
            reqwest::Method::DELETE,
            Some(&ada),
            &format!("/api/v1/events/{token}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = fetch_as(&alpha, &path_of(&uri)).await;
    assert_eq!(r.status(), StatusCode::GONE);
    let tomb: Value = r.json().await.unwrap();
    assert_eq!(tomb["type"], "Tombstone");
    assert_eq!(tomb["formerType"], "Event");
}

/// Unfolds an iCalendar text into its content lines, checking the line rules on the way.
pub(crate) fn ics_lines(text: &str) -> Vec<String> {
    assert!(text.ends_with("\r\n"));
    let mut lines: Vec<String> = Vec::new();
    for physical in text.trim_end_matches("\r\n").split("\r\n") {
        assert!(physical.len() <= 75, "a line over 75 octets: {physical}");
        assert!(!physical.contains('\n'), "a bare line feed: {physical:?}");
        match physical.strip_prefix(' ') {
            Some(rest) => lines.last_mut().expect("a continuation").push_str(rest),
            None => lines.push(physical.to_string()),
        }
    }
    lines
}

#[tokio::test]
async fn calendars_serve_valid_icalendar_and_the_private_feed_is_secret() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    let bob = alpha.member("bob").await;
    let long = "Bring a laptop, a charger; and ideas\\questions. ".repeat(4);
    let made = create(&alpha, &ada, json!({"description": long, "capacity": 1})).await;
    let uri = made["uri"].as_str().unwrap().to_string();
    let members_only = create(
        &alpha,
        &ada,
        json!({"title": "Members breakfast", "visibility": "members"}),
    )
    .await;

    let r = alpha.get(None, &format!("{}.ics", path_of(&uri))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let lines = ics_lines(&r.text().await.unwrap());
    assert_eq!(lines.first().unwrap(), "BEGIN:VCALENDAR");
    assert_eq!(lines.last().unwrap(), "END:VCALENDAR");
    for expected in [
        "VERSION:2.0",
        "BEGIN:VEVENT",
        &format!("UID:{uri}"),
        // 18:00 in Lisbon in June is 17:00 UTC.
        &format!("DTSTART:{}0601T170000Z", future_year()),
        &format!("DTEND:{}0601T193000Z", future_year()),
        "SUMMARY:Rust & coffee",
        "LOCATION:Harbour Works\\, Rua do Cais 1\\, 1200-001 Lisbon\\, Portugal",
        &format!("URL:{uri}"),
        "STATUS:CONFIRMED",
        "END:VEVENT",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected} in {lines:#?}"
        );
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("DTSTAMP:") && l.ends_with('Z')));
    let description = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:"))
        .unwrap();
    assert!(description.contains("Bring a laptop\\, a charger\\; and ideas\\\\questions."));
    assert!(description.contains(&format!("\\n\\nWhen: {}", long_day("06-01"))));

    // The space's, Ada's and the company-less member's public feeds.
    let space = ics_lines(&alpha.get(None, "/calendar.ics").await.text().await.unwrap());
    assert!(space.iter().any(|l| l == &format!("UID:{uri}")));
    assert!(!space.iter().any(|l| l == "SUMMARY:Members breakfast"));
    let member = ics_lines(
        &alpha
            .get(None, "/members/ada/calendar.ics")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(member.iter().any(|l| l == &format!("UID:{uri}")));
    let home = alpha.get(None, "/").await.text().await.unwrap();
    assert!(home.contains("<link rel=\"alternate\" type=\"text/calendar\""));
    assert!(home.contains("coffee</strong>"), "{home}");
    let profile = alpha.get(None, "/members/ada").await.text().await.unwrap();
    assert!(profile.contains("href=\"/members/ada/calendar.ics\""));

    // Bob joins; his private feed lists the event and the members-only one he joins too.
    let r = alpha
        .post_json(Some(&bob), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "accepted");
    let r = alpha
        .post_json(
            Some(&bob),
            "/api/v1/events/join",
            &json!({"uri": members_only["uri"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = alpha
        .post_json(Some(&bob), "/api/v1/calendar/feed", &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let feed = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let feed_path = path_of(&feed);
    let r = alpha.get(None, &feed_path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let private = ics_lines(&r.text().await.unwrap());
    assert!(private.iter().any(|l| l == &format!("UID:{uri}")));
    assert!(private.iter().any(|l| l == "SUMMARY:Members breakfast"));
    // Bob's public feed shows only the public event he attends.
    let public = ics_lines(
        &alpha
            .get(None, "/members/bob/calendar.ics")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(public.iter().any(|l| l == &format!("UID:{uri}")));
    assert!(!public.iter().any(|l| l == "SUMMARY:Members breakfast"));
    // A new address replaces the old one; a made-up one is nothing.
    let r = alpha
        .post_json(Some(&bob), "/api/v1/calendar/feed", &json!({}))
        .await;
    let newer = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(newer, feed);
    assert_eq!(
        alpha.get(None, &feed_path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alpha.get(None, &path_of(&newer)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        alpha.get(None, "/calendar/nothing.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    // The settings page offers it, and makes a new one on request.
    let browser = signed_in_browser(&alpha, "bob").await;
    let page = browser
        .get(alpha.url("/settings/calendar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Make a new address"), "{page}");
    let r = browser
        .post(alpha.url("/settings/calendar"))
        .form(&[("csrf", csrf_from(&page).as_str())])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("/calendar/"), "{page}");
    assert_eq!(
        alpha.get(None, &path_of(&newer)).await.status(),
        StatusCode::NOT_FOUND
    );

    // The event is full now (one seat): Ada's second member cannot join.
    let carol = alpha.member("carol").await;
    let r = alpha
        .post_json(Some(&carol), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Bob leaves; Carol gets the seat.
    let r = alpha
        .post_json(Some(&bob), "/api/v1/events/leave", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = alpha
        .post_json(Some(&carol), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let kinds: Vec<Value> = notifications(&alpha, &ada)
        .await
        .iter()
        .map(|n| n["kind"].clone())
        .collect();
    assert!(
        kinds.iter().filter(|k| *k == "rsvp").count() >= 2,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn remote_joins_get_seats_while_they_last_and_approval_waits_for_the_organiser() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let made = create(&alpha, &ada, json!({"capacity": 1})).await;
    let uri = made["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    let first = FakePeer::start().await;
    let second = FakePeer::start().await;
    let join = |peer: &FakePeer| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/joins/{}", peer.base, rand_id()),
            "type": "Join", "actor": peer.actor(), "object": uri,
        })
    };
    let first_join = join(&first);
    assert_eq!(
        first
            .deliver(&alpha, &domain, "/members/ada/inbox", &first_join)
            .await,
        StatusCode::ACCEPTED
    );
    let accept = eventually("the Accept", || async {
        received(&first, "Accept").into_iter().next()
    })
    .await;
    assert_eq!(accept["object"]["id"], first_join["id"]);
    assert_eq!(accept["object"]["object"], uri);
    assert_eq!(accept["actor"], format!("http://{domain}/members/ada"));
    // The second peer finds the event full.
    assert_eq!(
        second
            .deliver(&alpha, &domain, "/inbox", &join(&second))
            .await,
        StatusCode::ACCEPTED
    );
    eventually("the Reject", || async {
        received(&second, "Reject").into_iter().next()
    })
    .await;
    // A repeated Join is answered again and not counted twice.
    assert_eq!(
        first
            .deliver(&alpha, &domain, "/inbox", &join(&first))
            .await,
        StatusCode::ACCEPTED
    );
    eventually_exactly(2, "Accepts at the first peer", || async {
        received(&first, "Accept").len()
    })
    .await;
    let doc: Value = fetch_as(&alpha, &path_of(&uri)).await.json().await.unwrap();
    assert_eq!(doc["participantCount"], 1);
    assert_eq!(doc["remainingAttendeeCapacity"], 0);
    let people = json_of(
        &alpha,
        None,
        &format!("/api/v1/events/{token}/participants"),
    )
    .await;
    assert_eq!(people["items"][0]["actor"], first.actor());
    let rsvps: Vec<Value> = notifications(&alpha, &ada)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "rsvp")
        .collect();
    assert_eq!(rsvps.len(), 1, "{rsvps:?}");

    // Leave frees the seat.
    let leave = json!({"id": format!("{}/leaves/{}", first.base, rand_id()), "type": "Leave",
        "actor": first.actor(), "object": uri});
    assert_eq!(
        first.deliver(&alpha, &domain, "/inbox", &leave).await,
        StatusCode::ACCEPTED
    );
    eventually("the seat to be free", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
        (e["participant_count"] == 0).then_some(())
    })
    .await;

    // An Undo naming only the Join's id frees the seat too.
    let again = join(&first);
    assert_eq!(
        first.deliver(&alpha, &domain, "/inbox", &again).await,
        StatusCode::ACCEPTED
    );
    eventually_exactly(1, "seats taken again", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
        e["participant_count"].as_u64().unwrap_or_default() as usize
    })
    .await;
    let undo = json!({"id": format!("{}/undos/{}", first.base, rand_id()), "type": "Undo",
        "actor": first.actor(), "object": again["id"]});
    assert_eq!(
        first.deliver(&alpha, &domain, "/inbox", &undo).await,
        StatusCode::ACCEPTED
    );
    eventually("the seat to be free after the Undo", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
        (e["participant_count"] == 0).then_some(())
    })
    .await;

    // With approval, a Join waits; the organiser's answer reaches the peer.
    let approval = create(
        &alpha,
        &ada,
        json!({"join_mode": "approval", "title": "Workshop"}),
    )
    .await;
    let approval_uri = approval["uri"].as_str().unwrap().to_string();
    let approval_token = approval_uri.rsplit('/').next().unwrap().to_string();
    let doc: Value = fetch_as(&alpha, &path_of(&approval_uri))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["joinMode"], "restricted");
    let mut asking = join(&second);
    asking["object"] = json!(approval_uri);
    assert_eq!(
        second.deliver(&alpha, &domain, "/inbox", &asking).await,
        StatusCode::ACCEPTED
    );
    let waiting = eventually("the request to wait", || async {
        let list = json_of(
            &alpha,
            Some(&ada),
            &format!("/api/v1/events/{approval_token}/participants"),
        )
        .await;
        list["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
            .filter(|p| p["state"] == "pending")
    })
    .await;
    // Only organisers see who waits.
    let anon = json_of(
        &alpha,
        None,
        &format!("/api/v1/events/{approval_token}/participants"),
    )
    .await;
    assert_eq!(anon["items"], json!([]));
    let r = alpha
        .post_json(
            Some(&ada),
            &format!(
                "/api/v1/events/{approval_token}/participants/{}/approve",
                waiting["id"]
            ),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let accept = eventually("the approval at the peer", || async {
        received(&second, "Accept").into_iter().next()
    })
    .await;
    assert_eq!(accept["object"]["id"], asking["id"]);

    // An edit reaches the participants as an Update.
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &format!("/api/v1/events/{approval_token}"),
            &event_body(json!({"title": "Workshop, moved", "join_mode": "approval"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let update = eventually("the Update at the participant", || async {
        received(&second, "Update").into_iter().next()
    })
    .await;
    assert_eq!(update["object"]["name"], "Workshop, moved");
    assert_terms_defined(&update);

    // Joins of members-only events and of unknown events are refused or ignored.
    let hidden = create(&alpha, &ada, json!({"visibility": "members"})).await;
    let mut sneaky = join(&first);
    sneaky["object"] = hidden["uri"].clone();
    assert_eq!(
        first.deliver(&alpha, &domain, "/inbox", &sneaky).await,
        StatusCode::ACCEPTED
    );
    eventually("the refusal of a members-only event", || async {
        received(&first, "Reject")
            .into_iter()
            .find(|r| r["object"]["id"] == sneaky["id"])
    })
    .await;

    // A participant whose account is deleted frees its seat.
    let e = json_of(&alpha, None, &format!("/api/v1/events/{approval_token}")).await;
    assert_eq!(e["participant_count"], 1);
    let gone = json!({"id": format!("{}/deletes/{}", second.base, rand_id()), "type": "Delete",
        "actor": second.actor(), "object": second.actor()});
    assert_eq!(
        second.deliver(&alpha, &domain, "/inbox", &gone).await,
        StatusCode::ACCEPTED
    );
    eventually("the seat of the deleted actor to be freed", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{approval_token}")).await;
        (e["participant_count"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn remote_events_are_checked_sanitised_and_members_rsvp_to_them() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let peer = FakePeer::start().await;
    // Ada follows the peer, which accepts.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/follows",
            &json!({"target": peer.actor()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let follow = eventually("the Follow at the peer", || async {
        received(&peer, "Follow").into_iter().next()
    })
    .await;
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": follow});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &accept).await,
        StatusCode::ACCEPTED
    );
    eventually("the follow to be accepted", || async {
        let list = json_of(&alpha, Some(&ada), "/api/v1/following").await;
        (list["items"][0]["state"] == "accepted").then_some(())
    })
    .await;

    let event = |content: &str, extra: Value| {
        let id = format!("{}/events/{}", peer.base, rand_id());
        let mut object = json!({
            "id": id, "type": "Event", "attributedTo": peer.actor(), "name": "Peer meetup",
            "content": content, "startTime": ahead("07-01T10:00:00+02:00"),
            "endTime": ahead("07-01T12:00:00+02:00"), "timezone": "Europe/Berlin",
            "to": [PUBLIC], "cc": [format!("{}/followers", peer.actor())],
            "location": {"type": "Place", "name": "Hall", "address": {"type": "PostalAddress",
                "streetAddress": "Hauptstr. 1", "addressLocality": "Berlin"}},
            "joinMode": "free", "maximumAttendeeCapacity": 10, "participantCount": 3,
            "category": "MEETING"
        });
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{}", peer.base, rand_id()), "type": "Create",
            "actor": peer.actor(), "object": object})
    };
    let hostile = event(
        "<p onclick=\"x()\">Hi <script>alert(1)</script><a href=\"javascript:alert(1)\">x</a><img src=x onerror=y></p>",
        json!({"name": "<b>Peer</b> meetup"}),
    );
    let hostile_id = hostile["object"]["id"].as_str().unwrap().to_string();
    let huge = event(&"x".repeat(1_048_000 / 2), json!({}));
    let backwards = event(
        "backwards",
        json!({"endTime": ahead("06-30T10:00:00+02:00")}),
    );
    let forged = event(
        "forged",
        json!({"attributedTo": format!("http://{domain}/members/ada")}),
    );
    let undated = event("undated", json!({"startTime": "soon"}));
    for a in [&hostile, &huge, &backwards, &forged, &undated] {
        assert_eq!(
            peer.deliver(&alpha, &domain, "/inbox", a).await,
            StatusCode::ACCEPTED
        );
    }
    let marker = event("marker", json!({}));
    let marker_id = marker["object"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &marker).await,
        StatusCode::ACCEPTED
    );
    eventually("the marker", || async {
        (alpha
            .get(
                Some(&ada),
                &format!("/api/v1/events/by-uri?uri={}", encode(&marker_id)),
            )
            .await
            .status()
            == StatusCode::OK)
            .then_some(())
    })
    .await;
    let stored = json_of(
        &alpha,
        Some(&ada),
        &format!("/api/v1/events/by-uri?uri={}", encode(&hostile_id)),
    )
    .await;
    let content = stored["content"].as_str().unwrap();
    for bad in ["<script", "onclick", "javascript:", "onerror"] {
        assert!(!content.contains(bad), "{content}");
    }
    assert_eq!(stored["title"], "Peer meetup");
    assert_eq!(stored["timezone"], "Europe/Berlin");
    assert_eq!(stored["locality"], "Berlin");
    assert_eq!(stored["participant_count"], 3);
    assert_eq!(stored["start_time"], ahead("07-01T10:00:00+02:00"));
    for a in [&huge, &backwards, &forged, &undated] {
        let id = a["object"]["id"].as_str().unwrap();
        assert_eq!(
            alpha
                .get(
                    Some(&ada),
                    &format!("/api/v1/events/by-uri?uri={}", encode(id))
                )
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
    // The events page lists it; its page renders without the hostile parts.
    let list = alpha.get(None, "/events").await.text().await.unwrap();
    assert!(list.contains("Peer meetup"));
    let page = alpha
        .get(None, &format!("/events/remote?uri={}", encode(&hostile_id)))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert"));
    let ics = alpha
        .get(
            None,
            &format!("/events/remote.ics?uri={}", encode(&hostile_id)),
        )
        .await;
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let lines = ics_lines(&ics.text().await.unwrap());
    assert!(lines.iter().any(|l| l == &format!("UID:{hostile_id}")));
    assert!(lines
        .iter()
        .any(|l| *l == format!("DTSTART:{}0701T080000Z", future_year())));

    // Ada RSVPs: a Join goes to the organiser; its Accept seats her.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events/join",
            &json!({"uri": hostile_id}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "pending");
    let join = eventually("the Join at the peer", || async {
        received(&peer, "Join").into_iter().next()
    })
    .await;
    assert_eq!(join["object"], hostile_id);
    assert_eq!(join["actor"], format!("http://{domain}/members/ada"));
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": join["id"]});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &accept).await,
        StatusCode::ACCEPTED
    );
    eventually("Ada to be seated", || async {
        let e = json_of(
            &alpha,
            Some(&ada),
            &format!("/api/v1/events/by-uri?uri={}", encode(&hostile_id)),
        )
        .await;
        (e["my_rsvp"] == "accepted").then_some(())
    })
    .await;
    // The organiser cancels: Ada hears of it.
    let mut cancel = event("Hi", json!({"ical:status": "CANCELLED"}));
    cancel["type"] = json!("Update");
    cancel["object"]["id"] = json!(hostile_id);
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &cancel).await,
        StatusCode::ACCEPTED
    );
    eventually("the cancellation", || async {
        notifications(&alpha, &ada)
            .await
            .into_iter()
            .find(|n| n["kind"] == "event_updated")
    })
    .await;
    let e = json_of(
        &alpha,
        Some(&ada),
        &format!("/api/v1/events/by-uri?uri={}", encode(&hostile_id)),
    )
    .await;
    assert_eq!(e["status"], "cancelled");
    // Ada's private feed carries it, cancelled.
    let r = alpha
        .post_json(Some(&ada), "/api/v1/calendar/feed", &json!({}))
        .await;
    let feed = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = ics_lines(&alpha.get(None, &path_of(&feed)).await.text().await.unwrap());
    assert!(lines.iter().any(|l| l == &format!("UID:{hostile_id}")));
    assert!(lines.iter().any(|l| l == "STATUS:CANCELLED"));
    // Leaving sends Leave.
    let r = alpha
        .post_json(
            Some(&ada),
            "/api/v1/events/leave",
            &json!({"uri": hostile_id}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    eventually("the Leave at the peer", || async {
        received(&peer, "Leave").into_iter().next()
    })
    .await;
    // The peer deletes it.
    let delete = json!({"id": format!("{}/delete/{}", peer.base, rand_id()), "type": "Delete",
        "actor": peer.actor(), "object": {"id": hostile_id, "type": "Tombstone"}});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &delete).await,
        StatusCode::ACCEPTED
    );
    eventually("the deletion", || async {
        (alpha
            .get(
                Some(&ada),
                &format!("/api/v1/events/by-uri?uri={}", encode(&hostile_id)),
            )
            .await
            .status()
            == StatusCode::GONE)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_member_of_another_instance_joins_and_hears_of_updates() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let ada = alpha.member("ada").await;
    let bob = beta.member("bob").await;
    let made = create(&alpha, &ada, json!({"capacity": 5})).await;
    let uri = made["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    // Bob looks the event up by its address and joins.
    let r = beta
        .post_json(Some(&bob), "/api/v1/events/lookup", &json!({"url": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["title"], "Rust & coffee");
    assert_eq!(seen["local"], false);
    let r = beta
        .post_json(Some(&bob), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "pending");
    eventually("Bob's seat at beta", || async {
        let e = json_of(
            &beta,
            Some(&bob),
            &format!("/api/v1/events/by-uri?uri={}", encode(&uri)),
        )
        .await;
        (e["my_rsvp"] == "accepted").then_some(())
    })
    .await;
    let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
    assert_eq!(e["participant_count"], 1);
    // Beta's copy counts his seat too.
    let by_uri = format!("/api/v1/events/by-uri?uri={}", encode(&uri));
    let e = json_of(&beta, Some(&bob), &by_uri).await;
    assert_eq!(e["participant_count"], 1);
    // Ada edits; beta's copy follows and Bob is told.
    let r = alpha
        .send_json(
            reqwest::Method::PATCH,
            Some(&ada),
            &format!("/api/v1/events/{token}"),
            &event_body(json!({"title": "Rust & tea", "capacity": 5})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the update at beta", || async {
        let e = json_of(
            &beta,
            Some(&bob),
            &format!("/api/v1/events/by-uri?uri={}", encode(&uri)),
        )
        .await;
        (e["title"] == "Rust & tea").then_some(())
    })
    .await;
    let told = notifications(&beta, &bob).await;
    assert!(
        told.iter().any(|n| n["kind"] == "event_updated"),
        "{told:?}"
    );
    // Bob comments from beta; the comment reaches the event at alpha and Ada hears of it.
    let r = beta
        .post_json(
            Some(&bob),
            "/api/v1/posts",
            &json!({"text": "Can I bring a friend?", "in_reply_to": uri}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually("the comment at alpha", || async {
        let replies = json_of(
            &alpha,
            None,
            &format!("/api/v1/replies?uri={}", encode(&uri)),
        )
        .await;
        replies["items"]
            .as_array()
            .and_then(|items| items.first())
            .filter(|p| p["content"] == "<p>Can I bring a friend?</p>")
            .cloned()
    })
    .await;
    assert!(notifications(&alpha, &ada)
        .await
        .iter()
        .any(|n| n["kind"] == "reply"));
    // Bob leaves; the seat is free again at alpha.
    let r = beta
        .post_json(Some(&bob), "/api/v1/events/leave", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let e = json_of(&beta, Some(&bob), &by_uri).await;
    assert_eq!(e["participant_count"], 0);
    assert!(e["my_rsvp"].is_null(), "{e}");
    eventually("the seat to be freed at alpha", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
        (e["participant_count"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_pages_create_show_and_join_events() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    alpha.member("ada").await;
    alpha.member("bob").await;
    let ada = signed_in_browser(&alpha, "ada").await;
    let form = ada
        .get(alpha.url("/events/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"timezone\""));
    let csrf = csrf_from(&form);
    let (starts, ends, later) = (
        ahead("09-01T09:00"),
        ahead("09-01T08:00"),
        ahead("09-01T11:00"),
    );
    let base = [
        ("csrf", csrf.as_str()),
        ("title", "Pages meetup"),
        ("description", "<b>bold</b> plans"),
        ("starts_at", starts.as_str()),
        ("ends_at", ends.as_str()),
        ("timezone", "Europe/Lisbon"),
        ("capacity", "0"),
        ("join_mode", "free"),
        ("visibility", "public"),
        ("category", "MEETING"),
    ];
    let r = ada
        .post(alpha.url("/events"))
        .form(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("must be after the start"), "{page}");
    assert!(page.contains("must be at least 1"), "{page}");
    let mut good = base.to_vec();
    good.retain(|(k, _)| *k != "ends_at" && *k != "capacity");
    good.push(("ends_at", later.as_str()));
    good.push(("capacity", ""));
    let r = ada
        .post(alpha.url("/events"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = r.headers()["location"].to_str().unwrap().to_string();
    let page = ada
        .get(alpha.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("&lt;b&gt;bold&lt;/b&gt; plans"), "{page}");
    assert!(page.contains("Cancel the event"));
    assert!(
        page.contains(&format!(
            "{}, 09:00–11:00 (Europe/Lisbon)",
            long_day("09-01")
        )),
        "{page}"
    );
    // Bob joins from the page.
    let bob = signed_in_browser(&alpha, "bob").await;
    let page = bob
        .get(alpha.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"rsvp-join\""), "{page}");
    let uri = format!("{}{}", alpha.base, link);
    let stored = json_of(
        &alpha,
        None,
        &format!("/api/v1/events/{}", link.rsplit('/').next().unwrap()),
    )
    .await;
    let r = bob
        .post(alpha.url("/events/join"))
        .form(&[
            ("csrf", csrf_from(&page).as_str()),
            ("uri", stored["uri"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = bob
        .get(alpha.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are going."), "{page}");
    let _ = uri;
    // The list and the space's page show it.
    let list = alpha.get(None, "/events").await.text().await.unwrap();
    assert!(list.contains("Pages meetup"));
    assert!(list.contains("type=\"text/calendar\""));
}

#[tokio::test]
async fn racing_joins_never_oversell_the_last_seat() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let made = create(&alpha, &ada, json!({"capacity": 1})).await;
    let uri = made["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    let mut members = Vec::new();
    for name in ["bob", "carol", "dan", "eve"] {
        members.push(alpha.member(name).await);
    }
    // Four local members and a remote one ask at the same moment.
    let peer = FakePeer::start().await;
    let remote_join = json!({"id": format!("{}/joins/{}", peer.base, rand_id()), "type": "Join",
        "actor": peer.actor(), "object": uri});
    let (answers, delivered) = tokio::join!(
        futures_join_all(&alpha, &members, &uri),
        peer.deliver(&alpha, &domain, "/inbox", &remote_join)
    );
    assert_eq!(delivered, StatusCode::ACCEPTED);
    let local_seats = answers.iter().filter(|s| *s == "accepted").count();
    assert!(
        answers.iter().all(|s| s == "accepted" || s == "full"),
        "{answers:?}"
    );
    // The peer hears either way; seats taken never exceed one.
    let peer_seated = eventually("the peer's answer", || async {
        let got = peer.received.lock().unwrap().clone();
        got.iter()
            .find(|a| a["type"] == "Accept" || a["type"] == "Reject")
            .map(|a| a["type"] == "Accept")
    })
    .await;
    assert_eq!(
        local_seats + usize::from(peer_seated),
        1,
        "{answers:?} {peer_seated}"
    );
    let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
    assert_eq!(e["participant_count"], 1);
    assert_eq!(e["remaining"], 0);
}

/// A seat and its participation change in one transaction; the event's page, read while a
/// member joins, never shows the member going with the seat still free.
#[tokio::test]
async fn the_event_page_never_shows_a_seat_behind_its_participants() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let ada = alpha.member("ada").await;
    for round in 0..6 {
        let name = format!("bob{round}");
        let bob = alpha.member(&name).await;
        let browser = signed_in_browser(&alpha, &name).await;
        let made = create(&alpha, &ada, json!({"capacity": 1})).await;
        let uri = made["uri"].as_str().unwrap().to_string();
        let page_url = alpha.url(&path_of(&uri));
        let reader = async {
            let mut seen = Vec::new();
            for _ in 0..12 {
                let page = browser.get(&page_url).send().await.unwrap();
                assert_eq!(page.status(), StatusCode::OK);
                seen.push(page.text().await.unwrap());
            }
            seen
        };
        let (pages, answers) = tokio::join!(
            reader,
            futures_join_all(&alpha, std::slice::from_ref(&bob), &uri)
        );
        assert_eq!(answers, ["accepted"], "round {round}");
        for page in pages.iter().filter(|p| p.contains("You are going.")) {
            assert!(
                page.contains("1 going of 1 (full)"),
                "round {round}: {page}"
            );
        }
        let last = browser.get(&page_url).send().await.unwrap().text().await;
        assert!(
            last.unwrap().contains("1 going of 1 (full)"),
            "round {round}"
        );
    }
}

/// Every member asks to join at once; each answer is "accepted" or "full".
async fn futures_join_all(app: &TestApp, tokens: &[String], uri: &str) -> Vec<String> {
    let mut tasks = Vec::new();
    for t in tokens {
        let client = app.api.clone();
        let url = app.url("/api/v1/events/join");
        let t = t.clone();
        let uri = uri.to_string();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(t)
                .json(&json!({"uri": uri}))
                .send()
                .await
                .unwrap();
            match r.status() {
                StatusCode::OK => r.json::<Value>().await.unwrap()["state"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                StatusCode::CONFLICT => "full".to_string(),
                other => other.to_string(),
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn invitations_are_the_way_into_invite_only_events() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    let bob = alpha.member("bob").await;
    let carol = alpha.member("carol").await;
    let made = create(&alpha, &ada, json!({"join_mode": "invite", "capacity": 2})).await;
    let uri = made["uri"].as_str().unwrap().to_string();
    let token = uri.rsplit('/').next().unwrap().to_string();
    let r = alpha
        .post_json(Some(&carol), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let invite = |who: &str| {
        let body = json!({"who": who});
        let path = format!("/api/v1/events/{token}/invite");
        let alpha = &alpha;
        let ada = ada.clone();
        async move { alpha.post_json(Some(&ada), &path, &body).await }
    };
    let r = invite("@nobody").await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, Some("who")).await;
    let r = invite("@bob").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "accepted");
    assert!(notifications(&alpha, &bob)
        .await
        .iter()
        .any(|n| n["kind"] == "rsvp" && n["summary"].as_str().unwrap().starts_with("invited you")));
    // Only organisers invite.
    let r = alpha
        .post_json(
            Some(&bob),
            &format!("/api/v1/events/{token}/invite"),
            &json!({"who": "@carol"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A remote guest gets an Invite and the seat when it accepts.
    let peer = FakePeer::start().await;
    let stranger = FakePeer::start().await;
    let r = invite(&peer.actor()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "pending");
    let sent = eventually("the Invite at the peer", || async {
        received(&peer, "Invite").into_iter().next()
    })
    .await;
    assert_eq!(sent["object"], uri);
    assert_eq!(sent["target"], peer.actor());
    assert_terms_defined(&sent);
    let accept = json!({"id": format!("{}/accepts/{}", peer.base, rand_id()), "type": "Accept",
        "actor": peer.actor(), "object": sent["id"]});
    assert_eq!(
        peer.deliver(&alpha, &domain, "/inbox", &accept).await,
        StatusCode::ACCEPTED
    );
    eventually_exactly(2, "seats with the guest's", || async {
        let e = json_of(&alpha, None, &format!("/api/v1/events/{token}")).await;
        e["participant_count"].as_u64().unwrap_or_default() as usize
    })
    .await;
    // Someone not invited is refused.
    let join = json!({"id": format!("{}/joins/{}", stranger.base, rand_id()), "type": "Join",
        "actor": stranger.actor(), "object": uri});
    assert_eq!(
        stranger.deliver(&alpha, &domain, "/inbox", &join).await,
        StatusCode::ACCEPTED
    );
    eventually("the stranger's Reject", || async {
        received(&stranger, "Reject").into_iter().next()
    })
    .await;
    // The event is full: a third invitation is refused.
    let r = invite("@carol").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

/// A shared link to a remote event or profile that nobody on this space has looked up yet
/// opens for a member (the page fetches it), and stays a 404 for a stranger, whose visit makes
/// this server fetch nothing; a profile is found by `@name@host` too.
#[tokio::test]
async fn shared_links_to_unknown_remote_events_and_profiles_open_for_members() {
    let (alpha, _) = TestApp::spawn_named("alpha").await;
    let (beta, _) = TestApp::spawn_named("beta").await;
    let alpha_domain = format!("alpha.test:{}", port_of(&alpha));
    let ada = alpha.member("ada").await;
    beta.member("bob").await;
    let event = create(&alpha, &ada, json!({"title": "Harbour hack night"})).await;
    let event_uri = event["uri"].as_str().unwrap().to_string();
    let ada_uri = format!("http://{alpha_domain}/members/ada");
    let event_page = format!("/events/remote?uri={}", encode(&event_uri));
    let profile_page = format!("/actors?uri={}", encode(&ada_uri));

    // A stranger first: nothing known, nothing fetched.
    for path in [&event_page, &profile_page] {
        let r = beta.browser().get(beta.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }

    let bob = signed_in_browser(&beta, "bob").await;
    let r = bob.get(beta.url(&event_page)).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{:?}",
        r.headers().get("location")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Harbour hack night"), "{html}");

    let by_handle = format!("/actors?uri={}", encode(&format!("@ada@{alpha_domain}")));
    let r = bob.get(beta.url(&by_handle)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, profile_page, "a handle's page is its address's");
    let r = bob.get(beta.url(&location)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"follow-form\""), "{html}");
    // Now known here, the pages open for anyone.
    let r = beta
        .browser()
        .get(beta.url(&profile_page))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // What cannot be found is a 404 for members too, never a 500.
    for path in [
        "/events/remote?uri=http%3A%2F%2Fnowhere.invalid%2Fevents%2F1".to_string(),
        "/actors?uri=javascript%3Aalert(1)".to_string(),
        format!(
            "/actors?uri={}",
            encode(&format!("http://{alpha_domain}/members/nobody"))
        ),
    ] {
        let r = bob.get(beta.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
