//! Joining a project is following its group, so a member joins, leaves and a manager answers a
//! join request through the follow rules ([`super::follows`]): the rules and their routes live
//! here, above both, so the projects feature never calls up into the hub. Pages and API alike:
//! `POST /projects/{handle}/join`, `/leave`, `/requests` and `POST /projects/remote/join`
//! (pages redirect with a notice; `/api/v1/...` answers JSON).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::follows::{self, Followed};
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::api::ApiJson;
use crate::error::Result;
use crate::projects::model::Project;
use crate::projects::service;
use crate::state::AppState;
use crate::web::page::redirect_with_notice;

/// A local member joins: at once when open, as a request when closed. Returns the state.
pub async fn join(state: &AppState, by: &Account, project: &Project) -> Result<String> {
    let uri = service::uri_of(state, project);
    let me = crate::federation::urls::Urls::new(&state.config).member(&by.handle);
    let managers = crate::projects::store::managers(&state.db, project).await?;
    crate::moderation::blocks::ensure_not_blocked_by_accounts(state, &managers, &me).await?;
    Ok(follows::follow(state, by, &uri).await?.state)
}

/// A local member leaves (or withdraws a request).
pub async fn leave(state: &AppState, by: &Account, project: &Project) -> Result<()> {
    follows::unfollow(state, by, &service::uri_of(state, project)).await
}

/// A manager approves or refuses a join request (local or remote).
pub async fn answer(
    state: &AppState,
    by: &Account,
    handle: &str,
    actor: &str,
    accept: bool,
) -> Result<()> {
    let project = service::managed(state, handle, by).await?;
    follows::answer_request(state, &project.local_actor(), actor, accept).await
}

/// Joins a remote project (`@handle@host` or its address): a `Follow` of its group.
pub async fn join_remote(state: &AppState, by: &Account, target: &str) -> Result<Followed> {
    follows::follow(state, by, target).await
}

/// The pages' routes.
pub fn web_router() -> Router<AppState> {
    Router::new()
        .route("/projects/{handle}/join", post(web_join))
        .route("/projects/{handle}/leave", post(web_leave))
        .route("/projects/{handle}/requests", post(web_answer))
        .route("/projects/remote/join", post(web_join_remote))
}

/// The API's routes (under `/api/v1`).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/projects/{handle}/join", post(api_join))
        .route("/projects/{handle}/leave", post(api_leave))
        .route("/projects/{handle}/requests", post(api_answer))
        .route("/projects/remote/join", post(api_join_remote))
}

async fn web_join(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    let s = join(&state, &user.account, &p).await?;
    let notice = if s == "accepted" {
        "You joined the project."
    } else {
        "Your request to join is waiting for a manager."
    };
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        notice,
    ))
}

async fn web_leave(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    leave(&state, &user.account, &p).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "You left the project.",
    ))
}

#[derive(Deserialize)]
struct AnswerForm {
    actor: String,
    #[serde(default)]
    accept: String,
}

async fn web_answer(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response> {
    let accept = f.accept == "yes";
    answer(&state, &user.account, &handle, f.actor.trim(), accept).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{handle}/members"),
        if accept {
            "The request is approved."
        } else {
            "The request is declined."
        },
    ))
}

#[derive(Deserialize)]
struct TargetForm {
    #[serde(default)]
    target: String,
}

async fn web_join_remote(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<TargetForm>,
) -> Result<Response> {
    let followed = join_remote(&state, &user.account, &f.target).await?;
    Ok(redirect_with_notice(
        &format!("/projects/remote?uri={}", service::urlencode(&followed.uri)),
        "Your request to join is sent; the board fills as the project shares its work.",
    ))
}

async fn api_join(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Json<Value>> {
    let p = service::get(&state, &handle).await?;
    let s = join(&state, &user.account, &p).await?;
    Ok(Json(json!({ "state": s })))
}

async fn api_leave(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<StatusCode> {
    let p = service::get(&state, &handle).await?;
    leave(&state, &user.account, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Answer {
    actor: String,
    accept: bool,
}

async fn api_answer(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(a): ApiJson<Answer>,
) -> Result<StatusCode> {
    answer(&state, &user.account, &handle, a.actor.trim(), a.accept).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Target {
    target: String,
}

async fn api_join_remote(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(t): ApiJson<Target>,
) -> Result<Json<Value>> {
    let f = join_remote(&state, &user.account, &t.target).await?;
    Ok(Json(json!(f)))
}
