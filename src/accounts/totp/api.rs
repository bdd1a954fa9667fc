//! JSON routes of two-factor sign-in: enrolment, recovery codes, turning it off, and the
//! administrator's staff requirement. Creating an API token with a code is `accounts::api`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{service, store};
use crate::accounts::session::{Admin, User};
use crate::api::ApiJson;
use crate::error::Result;
use crate::spaces;
use crate::state::AppState;
use crate::web::client::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/totp", get(status).post(begin).delete(disable))
        .route("/me/totp/confirm", post(confirm))
        .route("/me/totp/recovery-codes", post(regenerate))
        .route(
            "/admin/two-factor",
            get(get_requirement).put(put_requirement),
        )
}

async fn status(
    State(state): State<AppState>,
    User(user): User,
) -> Result<Json<serde_json::Value>> {
    let id = user.account.id;
    let enabled = store::is_enabled(&state.db, id).await?;
    let left = if enabled {
        store::recovery_codes_left(&state.db, id).await?
    } else {
        0
    };
    Ok(Json(json!({
        "enabled": enabled,
        "recovery_codes_left": left,
        "required": service::must_enrol(&state, &user.account).await?,
    })))
}

/// Starts enrolment: the secret and the otpauth URI for an authenticator app.
async fn begin(State(state): State<AppState>, User(user): User) -> Result<Response> {
    let e = service::begin_enrolment(&state, &user.account).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "secret": e.secret, "otpauth_uri": e.uri })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct CodeBody {
    #[serde(default)]
    code: String,
}

async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    User(user): User,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<serde_json::Value>> {
    let codes = service::confirm_enrolment(&state, &user.account, &body.code, Some(client)).await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

async fn regenerate(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    User(user): User,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<serde_json::Value>> {
    let codes =
        service::regenerate_recovery_codes(&state, &user.account, &body.code, Some(client)).await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

async fn disable(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    User(user): User,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<StatusCode> {
    service::disable(&state, &user.account, &body.code, Some(client)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_requirement(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<serde_json::Value>> {
    let on = spaces::store::require_2fa_for_staff(&state.db).await?;
    Ok(Json(json!({ "require_2fa_for_staff": on })))
}

#[derive(Deserialize)]
struct RequirementBody {
    require_2fa_for_staff: bool,
}

async fn put_requirement(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<RequirementBody>,
) -> Result<Json<serde_json::Value>> {
    service::set_staff_requirement(&state, &admin.account, body.require_2fa_for_staff).await?;
    get_requirement(State(state), Admin(admin)).await
}
