//! JSON API of visits: trusted spaces for administrators (`/api/v1/admin/trusted-spaces`), a
//! peer space's resources open to visitors (`/api/v1/spaces/resources?space=DOMAIN`), and a
//! member's visits (`/api/v1/visits`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::guest::{self, VisitDraft};
use super::model::{space_domain, TrustedSpace, Visit, VisitRequest, VisitState};
use super::review;
use super::store;
use crate::accounts::session::{Admin, User};
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::events::times;
use crate::state::AppState;
use crate::storage::now_ms;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/trusted-spaces", get(list_trusted))
        .route(
            "/admin/trusted-spaces/{domain}",
            get(get_trusted).put(put_trusted).delete(delete_trusted),
        )
        .route("/spaces/resources", get(peer_resources))
        .route("/visits", get(mine).post(ask))
        .route("/visits/{id}", delete(cancel))
        .route("/admin/visits", get(requests))
        .route("/admin/visits/{id}/accept", post(accept))
        .route("/admin/visits/{id}/reject", post(reject))
}

/// The largest monthly quota (every day of a month).
pub const MAX_DAYS: i64 = 31;

fn trusted_json(t: &TrustedSpace) -> Value {
    json!({
        "domain": t.domain,
        "visit_days_per_month": t.visit_days_per_month,
        "review_visits": t.review_visits,
        "created_at": crate::federation::wire::datetime(t.created_at),
        "updated_at": crate::federation::wire::datetime(t.updated_at),
    })
}

pub fn visit_json(v: &Visit) -> Value {
    json!({
        "id": v.id,
        "space": v.space,
        "space_name": v.space_name,
        "resource": v.resource_uri,
        "resource_name": v.resource_name,
        "starts_at": times::wire(v.starts_at, &v.timezone),
        "ends_at": times::wire(v.ends_at, &v.timezone),
        "timezone": v.timezone,
        "state": v.state,
        "reason": v.reason,
        "uri": v.uri,
    })
}

async fn list_trusted(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Value>> {
    let items: Vec<Value> = store::trusted_spaces(&state.db)
        .await?
        .iter()
        .map(trusted_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

fn domain_of(raw: &str) -> Result<String> {
    space_domain(raw).map_err(|e| Error::invalid("domain", e))
}

async fn get_trusted(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<Json<Value>> {
    let t = store::trusted_space(&state.db, &domain_of(&domain)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(trusted_json(&t)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quota {
    #[serde(default)]
    visit_days_per_month: Option<i64>,
    /// Requests wait for an administrator (false when absent).
    #[serde(default)]
    review_visits: bool,
}

/// Checks a monthly quota: a whole number from 0 to 31.
pub fn check_days(days: Option<i64>) -> Result<i64> {
    match days {
        Some(d) if (0..=MAX_DAYS).contains(&d) => Ok(d),
        Some(_) => Err(Error::invalid(
            "visit_days_per_month",
            format!("must be between 0 and {MAX_DAYS}"),
        )),
        None => Err(Error::invalid("visit_days_per_month", "is required")),
    }
}

async fn put_trusted(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
    ApiJson(body): ApiJson<Quota>,
) -> Result<Response> {
    let domain = domain_of(&domain)?;
    if domain == state.config.domain.to_ascii_lowercase() {
        return Err(Error::invalid("domain", "is this space"));
    }
    let days = check_days(body.visit_days_per_month)?;
    let created = store::put_trusted(&state.db, &domain, days, body.review_visits).await?;
    let t = store::trusted_space(&state.db, &domain)
        .await?
        .ok_or(Error::NotFound)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(trusted_json(&t))).into_response())
}

async fn delete_trusted(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<StatusCode> {
    if store::delete_trusted(&state.db, &domain_of(&domain)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

#[derive(Deserialize)]
struct SpaceQuery {
    #[serde(default)]
    space: String,
}

async fn peer_resources(
    State(state): State<AppState>,
    User(_): User,
    Query(q): Query<SpaceQuery>,
) -> Result<Json<Value>> {
    let peer = guest::peer_resources(&state, &q.space).await?;
    let items: Vec<Value> = peer
        .items
        .iter()
        .map(|r| {
            json!({
                "id": r.id.as_str(),
                "name": r.name,
                "summary": r.summary,
                "kind": r.resource_kind,
                "capacity": r.capacity,
                "timezone": r.timezone,
                "slot_minutes": r.slot_minutes,
                "min_minutes": r.min_minutes,
                "max_minutes": r.max_minutes,
            })
        })
        .collect();
    Ok(Json(json!({
        "space": {
            "domain": peer.domain,
            "name": peer.space.display_name(),
            "uri": peer.space.uri,
        },
        "items": items,
    })))
}

async fn ask(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(draft): ApiJson<VisitDraft>,
) -> Result<Response> {
    let visit = guest::request(&state, &user.account, &draft).await?;
    Ok((StatusCode::CREATED, Json(visit_json(&visit))).into_response())
}

async fn mine(State(state): State<AppState>, User(user): User) -> Result<Json<Value>> {
    let items: Vec<Value> = store::of_account(&state.db, user.account.id, now_ms(), 500)
        .await?
        .iter()
        .map(visit_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let visit = guest::cancel(&state, &user.account, id).await?;
    Ok(Json(visit_json(&visit)))
}

/// A visitor's request as staff see it.
pub fn request_json(q: &VisitRequest, tz: &str) -> Value {
    json!({
        "id": q.id,
        "state": q.state,
        "reason": q.reason,
        "resource": q.resource_id,
        "resource_name": q.resource_name,
        "starts_at": times::wire(q.starts_at, tz),
        "ends_at": times::wire(q.ends_at, tz),
        "timezone": tz,
        "visitor": q.visitor_actor,
        "visitor_space": q.visitor_space,
        "visitor_label": q.who(),
        "booking": q.booking_id,
        "created_at": crate::federation::wire::datetime(q.created_at),
    })
}

#[derive(Deserialize)]
struct StateQuery {
    #[serde(default)]
    state: Option<String>,
}

/// `pending` (the default), `accepted`, `rejected`, `cancelled`, or `all`.
pub fn parse_filter(raw: Option<&str>) -> Result<Option<VisitState>> {
    match raw.map(str::trim).unwrap_or("pending") {
        "" | "pending" => Ok(Some(VisitState::Pending)),
        "accepted" => Ok(Some(VisitState::Accepted)),
        "rejected" => Ok(Some(VisitState::Rejected)),
        "cancelled" => Ok(Some(VisitState::Cancelled)),
        "all" => Ok(None),
        _ => Err(Error::invalid(
            "state",
            "must be pending, accepted, rejected, cancelled or all",
        )),
    }
}

async fn requests(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<StateQuery>,
) -> Result<Json<Value>> {
    let filter = parse_filter(q.state.as_deref())?;
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let items: Vec<Value> = store::requests(&state.db, filter, 500)
        .await?
        .iter()
        .map(|q| request_json(q, &tz))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn accept(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let q = review::accept(&state, id).await?;
    let tz = crate::spaces::store::timezone(&state.db).await?;
    Ok(Json(request_json(&q, &tz)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Json<Value>> {
    if body.reason.chars().count() > review::MAX_REASON {
        return Err(Error::invalid(
            "reason",
            format!("must be at most {} characters", review::MAX_REASON),
        ));
    }
    let q = review::reject(&state, id, &body.reason).await?;
    let tz = crate::spaces::store::timezone(&state.db).await?;
    Ok(Json(request_json(&q, &tz)))
}
