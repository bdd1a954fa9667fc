//! Events across real processes: RSVPs from other instances with seats that hold, updates that
//! reach participants elsewhere.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{ahead, encode, eventually, Instance, SOON};

fn event_body(title: &str, capacity: Option<i64>) -> Value {
    json!({
        "title": title,
        "description": "Bring a laptop.",
        "starts_at": ahead("06-01T18:00"),
        "ends_at": ahead("06-01T20:00"),
        "timezone": "Europe/Lisbon",
        "place_name": "Harbour Works",
        "locality": "Lisbon",
        "capacity": capacity,
    })
}

/// Publishes an event on `instance`; returns its URI.
async fn publish(instance: &Instance, token: &str, body: &Value) -> String {
    let (status, event) = instance.post(Some(token), "/api/v1/events", body).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    event["uri"].as_str().expect("an uri").to_string()
}

/// The member's view of the event at `uri` on their own instance.
async fn seen_by(instance: &Instance, token: &str, uri: &str) -> Result<Value, String> {
    let (status, event) = instance
        .try_call(
            Method::GET,
            Some(token),
            &format!("/api/v1/events/by-uri?uri={}", encode(uri)),
            None,
        )
        .await?;
    if status == StatusCode::OK {
        Ok(event)
    } else {
        Err(format!("{status} {event}"))
    }
}

/// Looks the event up on the member's instance and asks to join; returns the answer's state.
async fn look_up_and_join(instance: &Instance, token: &str, uri: &str) -> String {
    let (status, body) = instance
        .post(Some(token), "/api/v1/events/lookup", &json!({"url": uri}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "lookup on {}: {body}",
        instance.name
    );
    let (status, body) = instance
        .post(Some(token), "/api/v1/events/join", &json!({"uri": uri}))
        .await;
    assert_eq!(status, StatusCode::OK, "join on {}: {body}", instance.name);
    body["state"].as_str().unwrap_or_default().to_string()
}

/// Waits until the member's RSVP has an answer from the organiser; returns it.
async fn answered(instance: &Instance, token: &str, uri: &str) -> String {
    eventually(
        &format!("the organiser's answer at {}", instance.name),
        SOON,
        || async {
            let e = seen_by(instance, token, uri).await?;
            match e["my_rsvp"].as_str() {
                Some(s @ ("accepted" | "rejected")) => Ok(s.to_string()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

#[tokio::test]
async fn members_of_two_instances_race_for_the_last_seat_and_exactly_one_gets_it() {
    let (alpha, beta, gamma) = tokio::join!(
        Instance::start("alpha"),
        Instance::start("beta"),
        Instance::start("gamma")
    );
    let ada = alpha.member("ada").await;
    let uri = publish(&alpha, &ada, &event_body("Two seats", Some(2))).await;
    let token = uri.rsplit('/').next().unwrap().to_string();

    // A member of beta takes the first seat.
    let bob = beta.member("bob").await;
    assert_eq!(look_up_and_join(&beta, &bob, &uri).await, "pending");
    assert_eq!(answered(&beta, &bob, &uri).await, "accepted");

    // A member of beta and one of gamma ask for the last seat at the same moment.
    let dan = beta.member("dan").await;
    let carol = gamma.member("carol").await;
    for (instance, t) in [(&beta, &dan), (&gamma, &carol)] {
        let (status, body) = instance
            .post(Some(t), "/api/v1/events/lookup", &json!({"url": uri}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let body = json!({"uri": uri});
    let (a, b) = tokio::join!(
        beta.post(Some(&dan), "/api/v1/events/join", &body),
        gamma.post(Some(&carol), "/api/v1/events/join", &body)
    );
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    let (dan_answer, carol_answer) =
        tokio::join!(answered(&beta, &dan, &uri), answered(&gamma, &carol, &uri));
    let mut answers = vec![dan_answer, carol_answer];
    answers.sort();
    assert_eq!(
        answers,
        vec!["accepted".to_string(), "rejected".to_string()]
    );
    let (status, event) = alpha.get(None, &format!("/api/v1/events/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["participant_count"], 2, "{event}");
    assert_eq!(event["remaining"], 0, "{event}");
    let (_, people) = alpha
        .get(Some(&ada), &format!("/api/v1/events/{token}/participants"))
        .await;
    let seated = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "accepted")
        .count();
    assert_eq!(seated, 2, "{people}");
}

#[tokio::test]
async fn an_event_update_reaches_participants_on_other_instances() {
    let (alpha, beta) = tokio::join!(Instance::start("alpha"), Instance::start("beta"));
    let ada = alpha.member("ada").await;
    let uri = publish(&alpha, &ada, &event_body("Rust evening", None)).await;
    let token = uri.rsplit('/').next().unwrap().to_string();
    let bob = beta.member("bob").await;
    look_up_and_join(&beta, &bob, &uri).await;
    assert_eq!(answered(&beta, &bob, &uri).await, "accepted");

    let mut changed = event_body("Rust evening, moved upstairs", None);
    changed["place_name"] = json!("Harbour Works, first floor");
    let (status, body) = alpha
        .patch(Some(&ada), &format!("/api/v1/events/{token}"), &changed)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the update at beta", SOON, || async {
        let e = seen_by(&beta, &bob, &uri).await?;
        if e["title"] == "Rust evening, moved upstairs"
            && e["place_name"] == "Harbour Works, first floor"
        {
            Ok(())
        } else {
            Err(e.to_string())
        }
    })
    .await;
    let (_, notes) = beta.get(Some(&bob), "/api/v1/notifications").await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "event_updated"),
        "{notes}"
    );
    // Cancelling reaches beta too.
    let (status, _) = alpha
        .post(
            Some(&ada),
            &format!("/api/v1/events/{token}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually("the cancellation at beta", SOON, || async {
        let e = seen_by(&beta, &bob, &uri).await?;
        if e["status"] == "cancelled" {
            Ok(())
        } else {
            Err(e.to_string())
        }
    })
    .await;
}
