//! JSON API for accounts: tokens, sign-up, one's own profile, avatar and password, and the
//! member list.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::profile::ProfilePatch;
use super::register::{self, SignupForm};
use super::session::{self, MaybeUser, User};
use super::{store, Account};
use crate::api::{ApiJson, Paging};
use crate::companies;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::web::client::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", post(create_token))
        .route("/tokens/current", delete(revoke_token))
        .route("/accounts", post(sign_up))
        .route("/me", get(me).patch(update_me).delete(delete_me))
        .route("/me/avatar", put(put_avatar))
        .route("/me/password", post(change_password))
        .route("/members", get(list_members))
        .route("/members/{handle}", get(get_member))
}

/// A member as the API shows it to anyone.
#[derive(Serialize)]
pub struct MemberView {
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub skills: Vec<String>,
    pub links: Vec<super::ProfileLink>,
    pub avatar_url: Option<String>,
    pub is_admin: bool,
    pub is_moderator: bool,
    pub discoverable: bool,
    pub locked: bool,
    pub created_at: i64,
}

impl MemberView {
    pub fn of(a: &Account) -> Self {
        MemberView {
            handle: a.handle.clone(),
            display_name: a.display_name.clone(),
            bio: a.bio.clone(),
            skills: a.skills.clone(),
            links: a.links.clone(),
            avatar_url: a.avatar_url(),
            is_admin: a.is_admin,
            is_moderator: a.is_moderator,
            discoverable: a.discoverable,
            locked: a.locked,
            created_at: a.created_at,
        }
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    label: String,
    /// A code from the authenticator app (or a recovery code) when two-factor sign-in is on.
    #[serde(default)]
    code: String,
}

async fn create_token(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Response> {
    let account = register::authenticate(&state, &body.login, &body.password, client).await?;
    super::totp::service::check_for_token(&state, &account, &body.code, client).await?;
    let label: String = body.label.chars().take(100).collect();
    let token = session::issue_api_token(&state, account.id, &label).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "handle": account.handle })),
    )
        .into_response())
}

async fn revoke_token(State(state): State<AppState>, User(user): User) -> Result<StatusCode> {
    store::delete_session(&state.db, &user.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sign_up(
    State(state): State<AppState>,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    ApiJson(form): ApiJson<SignupForm>,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Signups, from)?;
    let valid = form.validate()?;
    let id = register::sign_up(&state.db, &valid, form.invite.as_deref()).await?;
    super::email::after_sign_up(&state, id).await?;
    let account = store::by_id(&state.db, id).await?.ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(MemberView::of(&account))).into_response())
}

/// One's own account, with the private e-mail and companies.
async fn me(State(state): State<AppState>, User(user): User) -> Result<Json<serde_json::Value>> {
    let a = &user.account;
    let companies = companies::store::memberships_of(&state.db, a.id).await?;
    let mut view = serde_json::to_value(MemberView::of(a)).map_err(anyhow::Error::from)?;
    view["email"] = json!(a.email);
    view["companies"] = json!(companies);
    Ok(Json(view))
}

async fn update_me(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<Json<MemberView>> {
    let update = patch.apply(&user.account)?;
    store::update_profile(&state.db, user.account.id, &update).await?;
    super::actor::publish_update(&state, user.account.id).await?;
    let account = store::by_id(&state.db, user.account.id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(MemberView::of(&account)))
}

async fn put_avatar(
    State(state): State<AppState>,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    multipart: Multipart,
) -> Result<Json<MemberView>> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
    let data = crate::media::read_upload(multipart, "file").await?;
    super::profile::replace_avatar(&state, user.account.id, data).await?;
    let account = store::by_id(&state.db, user.account.id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(MemberView::of(&account)))
}

#[derive(Deserialize)]
struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode> {
    register::change_password(
        &state,
        &user.account,
        &body.current_password,
        &body.new_password,
        &user.token_hash,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_members(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(paging): Query<Paging>,
) -> Result<Json<serde_json::Value>> {
    // Anonymous callers see only the members who chose to be listed.
    let everyone = user.is_some();
    let members = store::list_visible(&state.db, everyone, paging.limit(), paging.offset()).await?;
    let total = store::count_visible(&state.db, everyone).await?;
    let items: Vec<MemberView> = members.iter().map(MemberView::of).collect();
    Ok(Json(json!({ "total": total, "items": items })))
}

async fn get_member(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Json<MemberView>> {
    let account = store::by_handle(&state.db, &handle)
        .await?
        .filter(|a| !a.suspended)
        .ok_or(Error::NotFound)?;
    Ok(Json(MemberView::of(&account)))
}

#[derive(Deserialize)]
struct DeleteRequest {
    #[serde(default)]
    password: String,
}

/// Deletes the caller's account (the password confirms it).
async fn delete_me(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<DeleteRequest>,
) -> Result<StatusCode> {
    super::delete::delete_account(&state, &user.account, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
