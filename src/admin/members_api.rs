//! The administrators' API of members' accounts (`members.rs` holds what it does):
//! `GET /api/v1/admin/members`, `POST /api/v1/admin/members/{handle}/email-verified`,
//! `DELETE /api/v1/admin/members/{handle}/totp`, `PUT /api/v1/admin/members/{handle}/role`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::members::{self, Role, Row};
use crate::accounts::session::Admin;
use crate::api::{ApiJson, Paging};
use crate::error::{Error, Result};
use crate::moderation::model::Actor;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(list))
        .route(
            "/admin/members/{handle}/email-verified",
            post(mark_verified),
        )
        .route("/admin/members/{handle}/totp", delete(reset_totp))
        .route("/admin/members/{handle}/role", put(set_role))
}

async fn list(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(paging): Query<Paging>,
) -> Result<Json<Vec<Row>>> {
    Ok(Json(
        members::list(&state, paging.limit(), paging.offset()).await?,
    ))
}

/// 204 when the address is now confirmed; 409 when it was already.
async fn mark_verified(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
) -> Result<StatusCode> {
    if members::mark_verified(&state, &admin.account, &handle).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::Conflict(
            "This member's address is confirmed already.".into(),
        ))
    }
}

/// 204 when two-factor sign-in was on and is now off; 409 when it was not on.
async fn reset_totp(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
) -> Result<StatusCode> {
    if members::reset_two_factor(&state, &admin.account, &handle).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::Conflict(
            "This member does not use two-factor sign-in.".into(),
        ))
    }
}

#[derive(Deserialize)]
struct RoleBody {
    #[serde(default)]
    role: String,
}

/// Sets the member's role: `{"role": "member" | "moderator" | "admin"}` → `200` with what
/// changed; `422` for another role, `404` for no such member, `409` when it would take the
/// last administrator's role away.
async fn set_role(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<Value>> {
    let role = Role::parse(&body.role)?;
    let done = members::set_role(&state.db, &Actor::of(&admin.account), &handle, role).await?;
    Ok(Json(json!({ "role": role.as_str(), "done": done })))
}
