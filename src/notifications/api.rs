//! `GET /api/v1/notifications` (newest first, with the unread count) and
//! `POST /api/v1/notifications/read`.

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::store;
use crate::accounts::session::User;
use crate::api::Paging;
use crate::error::Result;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(read))
}

async fn list(
    State(state): State<AppState>,
    User(user): User,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>> {
    let id = user.account.id;
    let items = super::listed(&state, id, paging.limit(), paging.offset()).await?;
    let unread = super::unread(&state, id).await?;
    Ok(Json(json!({ "unread": unread, "items": items })))
}

async fn read(State(state): State<AppState>, User(user): User) -> Result<Json<Value>> {
    let marked = store::mark_all_read(&state.db, user.account.id).await?;
    Ok(Json(json!({ "marked": marked })))
}
