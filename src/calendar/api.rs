//! JSON API of the private calendar feed: whether there is one, and making a new address.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::accounts::session::User;
use crate::error::Result;
use crate::events::store;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/calendar/feed", get(show).post(regenerate))
}

async fn show(State(state): State<AppState>, User(user): User) -> Result<Json<serde_json::Value>> {
    let made = store::calendar_token_made(&state.db, user.account.id).await?;
    Ok(Json(
        json!({ "exists": made.is_some(), "created_at": made }),
    ))
}

async fn regenerate(State(state): State<AppState>, User(user): User) -> Result<Response> {
    let url = super::web::new_private_feed(&state, user.account.id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "url": url }))).into_response())
}
