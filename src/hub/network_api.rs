//! JSON API for following: follow by handle or URL, unfollow, lists, and approving requests.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{actors, follows};
use crate::accounts::session::User;
use crate::api::{ApiJson, Paging};
use crate::error::{Error, Result};
use crate::federation::follows::{self as follow_store, Follow};
use crate::federation::link::RemoteUrl;
use crate::federation::remote;
use crate::federation::urls::Urls;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/follows", post(follow))
        .route("/unfollow", post(unfollow))
        .route("/following", get(following))
        .route("/followers", get(followers))
        .route("/follow-requests/approve", post(approve))
        .route("/follow-requests/reject", post(reject))
        .route("/lookup", get(lookup))
}

#[derive(Deserialize)]
struct Target {
    #[serde(default)]
    target: String,
}

async fn follow(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<Target>,
) -> Result<Response> {
    crate::moderation::blocks::ensure_may_follow(&state, &user.account, &body.target).await?;
    let followed = follows::follow(&state, &user.account, &body.target).await?;
    Ok((StatusCode::CREATED, Json(followed)).into_response())
}

async fn unfollow(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<Target>,
) -> Result<StatusCode> {
    follows::unfollow(&state, &user.account, body.target.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One side of a follow, with what we know of the other actor.
#[derive(Serialize)]
pub struct FollowEntry {
    pub uri: String,
    /// Where a page links the other actor: its id, when that is a web address.
    #[serde(skip)]
    pub link: Option<RemoteUrl>,
    pub handle: String,
    pub name: String,
    pub state: String,
    pub since: i64,
}

pub async fn entries(
    state: &AppState,
    rows: Vec<Follow>,
    followers: bool,
) -> Result<Vec<FollowEntry>> {
    let mut out = Vec::with_capacity(rows.len());
    for f in rows {
        let other = if followers {
            f.follower.clone()
        } else {
            f.followee.clone()
        };
        let (handle, name) = match remote::by_uri(&state.db, &other).await? {
            Some(r) => (actors::remote_handle(&r), r.display_name().to_string()),
            None => match actors::by_uri(state, &other).await? {
                Some(l) => actors::handle_and_name(state, &l).await?,
                None => (other.clone(), other.clone()),
            },
        };
        out.push(FollowEntry {
            link: RemoteUrl::stored(&other),
            uri: other,
            handle,
            name,
            state: f.state,
            since: f.created_at,
        });
    }
    Ok(out)
}

async fn following(
    State(state): State<AppState>,
    User(user): User,
    Query(p): Query<Paging>,
) -> Result<Json<serde_json::Value>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    let rows = follow_store::list(&state.db, &me, false, None, p.limit(), p.offset()).await?;
    Ok(Json(
        json!({ "items": entries(&state, rows, false).await? }),
    ))
}

async fn followers(
    State(state): State<AppState>,
    User(user): User,
    Query(p): Query<Paging>,
) -> Result<Json<serde_json::Value>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    let rows = follow_store::list(&state.db, &me, true, None, p.limit(), p.offset()).await?;
    Ok(Json(json!({ "items": entries(&state, rows, true).await? })))
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    follower: String,
}

async fn approve(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<Request>,
) -> Result<StatusCode> {
    follows::answer_request(
        &state,
        &user.account.local_actor(),
        body.follower.trim(),
        true,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reject(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<Request>,
) -> Result<StatusCode> {
    follows::answer_request(
        &state,
        &user.account.local_actor(),
        body.follower.trim(),
        false,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LookupQuery {
    target: Option<String>,
}

/// Resolves `@name@host` or an address to a remote actor (fetching it when needed).
async fn lookup(
    State(state): State<AppState>,
    User(_): User,
    Query(q): Query<LookupQuery>,
) -> Result<Json<remote::RemoteActor>> {
    let target = q.target.unwrap_or_default();
    if target.trim().is_empty() {
        return Err(Error::invalid("target", "is required"));
    }
    Ok(Json(remote::resolve_handle_or_url(&state, &target).await?))
}
