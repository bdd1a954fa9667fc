//! JSON API for blocklist subscriptions, for administrators: `/api/v1/admin/blocklists`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::blocklists;
use crate::accounts::session::Admin;
use crate::api::ApiJson;
use crate::error::Result;
use crate::moderation::model::Actor;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/blocklists", get(list).post(subscribe))
        .route("/admin/blocklists/{id}", delete(unsubscribe))
        .route("/admin/blocklists/{id}/preview", get(preview))
        .route("/admin/blocklists/{id}/refresh", post(refresh))
}

async fn list(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Value>> {
    Ok(Json(
        json!({ "items": super::store::list(&state.db).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSubscription {
    #[serde(default)]
    url: String,
}

async fn subscribe(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<Response> {
    let (sub, new) = blocklists::subscribe(&state, &body.url).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(sub))).into_response())
}

async fn unsubscribe(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    blocklists::unsubscribe(&state, &Actor::of(&me.account), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn preview(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let (sub, changes) = blocklists::preview(&state, id).await?;
    Ok(Json(json!({ "subscription": sub, "preview": changes })))
}

async fn refresh(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let (sub, changes) = blocklists::refresh(&state, &Actor::of(&me.account), id).await?;
    Ok(Json(json!({ "subscription": sub, "applied": changes })))
}
