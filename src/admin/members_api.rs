//! The administrators' API of members' accounts (`members.rs` holds what it does):
//! `GET /api/v1/admin/members`, `POST /api/v1/admin/members/{handle}/email-verified`,
//! `DELETE /api/v1/admin/members/{handle}/totp`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::members::{self, Row};
use crate::accounts::session::Admin;
use crate::api::Paging;
use crate::error::{Error, Result};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(list))
        .route(
            "/admin/members/{handle}/email-verified",
            post(mark_verified),
        )
        .route("/admin/members/{handle}/totp", delete(reset_totp))
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
