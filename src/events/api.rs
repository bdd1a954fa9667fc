//! JSON API for events: publish, edit, cancel, delete, read (by token or URI, local or
//! remote), upcoming lists, look up a remote event, RSVP (join, leave) and the organiser's
//! approvals.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::{Event, Participant, RsvpState};
use super::service::{self, Draft};
use super::{inbound, lists, store, times};
use crate::accounts::session::{MaybeUser, User};
use crate::accounts::Account;
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::posts::access::Viewer;
use crate::posts::people::{self, Person};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(upcoming).post(create))
        .route("/events/by-uri", get(by_uri))
        .route("/events/lookup", post(lookup))
        .route("/events/join", post(join))
        .route("/events/leave", post(leave))
        .route("/events/{token}", get(one).patch(edit).delete(delete))
        .route("/events/{token}/cancel", post(cancel))
        .route("/events/{token}/participants", get(participants))
        .route("/events/{token}/participants/{id}/{decision}", post(decide))
        .route("/events/{token}/invite", post(invite))
}

#[derive(Deserialize)]
struct InviteBody {
    #[serde(default)]
    who: String,
}

async fn invite(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<Json<Participant>> {
    let p = service::invite(&state, &user.account, &local_uri(&state, &token), &body.who).await?;
    Ok(Json(p))
}

/// An event as the API shows it.
#[derive(Serialize)]
pub struct EventJson {
    #[serde(flatten)]
    pub event: Event,
    pub organizer_info: Person,
    /// The description as the organiser wrote it (local events; empty for received ones).
    pub description: String,
    /// The local page that shows it.
    pub link: String,
    /// `startTime` with the zone's offset, as peers get it.
    pub start_time: String,
    pub end_time: String,
    pub remaining: Option<i64>,
    pub can_edit: bool,
    /// The caller's RSVP: pending, accepted or rejected.
    pub my_rsvp: Option<RsvpState>,
}

async fn to_json(
    state: &AppState,
    events: Vec<Event>,
    me: Option<&Account>,
) -> Result<Vec<EventJson>> {
    let urls = Urls::new(&state.config);
    let people =
        people::people(state, events.iter().map(|e| e.organizer.clone()).collect()).await?;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let (can_edit, my_rsvp) = match me {
            Some(a) => (
                service::organises(state, a, &event).await?,
                store::participant(&state.db, event.id, &urls.member(&a.handle))
                    .await?
                    .map(|p| p.state),
            ),
            None => (false, None),
        };
        out.push(EventJson {
            organizer_info: people
                .get(&event.organizer)
                .cloned()
                .unwrap_or_else(|| Person::unknown(&event.organizer)),
            link: event.link(),
            description: event.source.clone(),
            start_time: times::wire(event.starts_at, &event.timezone),
            end_time: times::wire(event.ends_at, &event.timezone),
            remaining: event.remaining(),
            can_edit,
            my_rsvp,
            event,
        });
    }
    Ok(out)
}

async fn one_json(state: &AppState, event: Event, me: Option<&Account>) -> Result<Json<EventJson>> {
    Ok(Json(to_json(state, vec![event], me).await?.remove(0)))
}

fn local_uri(state: &AppState, token: &str) -> String {
    format!("{}/events/{token}", Urls::new(&state.config).base())
}

/// The event at `uri` if the caller may see it.
async fn visible(state: &AppState, uri: &str, me: Option<&Account>) -> Result<Event> {
    super::access::visible(state, uri, &Viewer::from(me.cloned())).await
}

async fn create(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(draft): ApiJson<Draft>,
) -> Result<Response> {
    let organizer =
        crate::posts::service::author_for(&state, &user.account, &draft.as_actor).await?;
    let event = service::create(&state, &user.account, &organizer, &draft).await?;
    let body = one_json(&state, event, Some(&user.account)).await?;
    Ok((StatusCode::CREATED, body).into_response())
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    organizer: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn upcoming(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let events = match q
        .organizer
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(o) => lists::upcoming_by(&state, o, false, limit, crate::storage::now_ms()).await?,
        None => lists::upcoming(&state, me.is_some(), limit).await?,
    };
    Ok(Json(
        json!({ "items": to_json(&state, events, me.as_ref()).await? }),
    ))
}

async fn one(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> Result<Json<EventJson>> {
    let me = user.map(|u| u.account);
    let event = visible(&state, &local_uri(&state, &token), me.as_ref()).await?;
    one_json(&state, event, me.as_ref()).await
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

async fn by_uri(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Json<EventJson>> {
    let me = user.map(|u| u.account);
    let event = visible(&state, &q.uri, me.as_ref()).await?;
    one_json(&state, event, me.as_ref()).await
}

async fn edit(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
    ApiJson(draft): ApiJson<Draft>,
) -> Result<Json<EventJson>> {
    let event = service::edit(&state, &user.account, &local_uri(&state, &token), &draft).await?;
    one_json(&state, event, Some(&user.account)).await
}

async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Json<EventJson>> {
    let event = service::cancel(&state, &user.account, &local_uri(&state, &token)).await?;
    one_json(&state, event, Some(&user.account)).await
}

async fn delete(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<StatusCode> {
    service::delete(&state, &user.account, &local_uri(&state, &token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LookupBody {
    #[serde(default)]
    url: String,
}

async fn lookup(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<LookupBody>,
) -> Result<Json<EventJson>> {
    let event = inbound::lookup(&state, &body.url).await?;
    one_json(&state, event, Some(&user.account)).await
}

#[derive(Deserialize)]
struct RsvpBody {
    #[serde(default)]
    uri: String,
}

async fn join(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<RsvpBody>,
) -> Result<Json<Value>> {
    let outcome = service::join(&state, &user.account, &body.uri).await?;
    Ok(Json(json!({ "state": outcome })))
}

async fn leave(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<RsvpBody>,
) -> Result<StatusCode> {
    service::leave(&state, &user.account, &body.uri).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct ParticipantJson {
    #[serde(flatten)]
    participant: Participant,
    actor_info: Person,
}

/// The participants: organisers see everyone (waiting and declined too), others the seated.
async fn participants(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let event = visible(&state, &local_uri(&state, &token), me.as_ref()).await?;
    let organiser = match &me {
        Some(a) => service::organises(&state, a, &event).await?,
        None => false,
    };
    let list: Vec<Participant> = store::participants(&state.db, event.id)
        .await?
        .into_iter()
        .filter(|p| organiser || p.state == RsvpState::Accepted)
        .collect();
    let people = people::people(&state, list.iter().map(|p| p.actor.clone()).collect()).await?;
    let items: Vec<ParticipantJson> = list
        .into_iter()
        .map(|p| ParticipantJson {
            actor_info: people
                .get(&p.actor)
                .cloned()
                .unwrap_or_else(|| Person::unknown(&p.actor)),
            participant: p,
        })
        .collect();
    Ok(Json(
        json!({ "items": items, "participant_count": event.participant_count }),
    ))
}

async fn decide(
    State(state): State<AppState>,
    User(user): User,
    Path((token, id, decision)): Path<(String, i64, String)>,
) -> Result<Json<Participant>> {
    let accept = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(Error::NotFound),
    };
    let p = service::decide(
        &state,
        &user.account,
        &local_uri(&state, &token),
        id,
        accept,
    )
    .await?;
    Ok(Json(p))
}
