//! JSON API of e-mail addresses: `GET /api/v1/me/email` (the address, whether it is confirmed,
//! a pending change), `PUT /api/v1/me/email` (ask for a change), `POST
//! /api/v1/me/email/resend` (a new confirmation link) and `POST /api/v1/email/confirm` (use a
//! mailed link's token).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Confirmed;
use crate::accounts::session::User;
use crate::api::ApiJson;
use crate::error::Result;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/email", put(change).get(show))
        .route("/me/email/resend", post(resend))
        .route("/email/confirm", post(confirm))
}

async fn show(State(state): State<AppState>, User(user): User) -> Result<Json<serde_json::Value>> {
    let pending = super::store::pending_change(&state.db, user.account.id).await?;
    Ok(Json(json!({
        "email": user.account.email,
        "verified": user.account.email_verified,
        "must_confirm": super::must_confirm(&state, &user.account).await?,
        "pending": pending,
    })))
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// 202 with the pending address: a link went to it, a notice to the current one.
async fn change(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Response> {
    let email = super::request_change(&state, &user.account, &body.email, &body.password).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "email": user.account.email, "pending": email.as_str() })),
    )
        .into_response())
}

/// 202 when a link was mailed, 204 when the address is confirmed already, 429 within a minute
/// of the last one.
async fn resend(State(state): State<AppState>, User(user): User) -> Result<StatusCode> {
    Ok(if super::resend(&state, &user.account).await? {
        StatusCode::ACCEPTED
    } else {
        StatusCode::NO_CONTENT
    })
}

#[derive(Deserialize)]
struct ConfirmBody {
    #[serde(default)]
    token: String,
}

/// 200 with what changed; 422 on `token` for a used, expired or unknown link, on `email` when
/// another account has the address.
async fn confirm(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Json<serde_json::Value>> {
    Ok(Json(match super::confirm(&state, &body.token).await? {
        Confirmed::Verified { .. } => json!({ "confirmed": "verify" }),
        Confirmed::Changed { email, .. } => json!({ "confirmed": "change", "email": email }),
    }))
}
