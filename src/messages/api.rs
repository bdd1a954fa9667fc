//! `GET /api/v1/conversations`, `GET /api/v1/conversations/messages?c=…` and
//! `POST /api/v1/messages`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::accounts::session::User;
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::posts::api::to_json;
use crate::posts::service::{self, Draft};
use crate::posts::store;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/messages", get(messages))
        .route("/messages", post(send))
}

async fn list(State(state): State<AppState>, User(user): User) -> Result<Json<Value>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    Ok(Json(
        json!({ "items": super::list(&state, &me, user.account.id, 100).await? }),
    ))
}

#[derive(Deserialize)]
struct ConversationQuery {
    #[serde(default)]
    c: String,
}

async fn messages(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<ConversationQuery>,
) -> Result<Json<Value>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    let posts = store::conversation(&state.db, q.c.trim(), &me, 500).await?;
    let posts = super::without_blocked(&state, user.account.id, posts).await?;
    if posts.is_empty() {
        return Err(Error::NotFound);
    }
    Ok(Json(
        json!({ "items": to_json(&state, posts, Some(&user.account)).await? }),
    ))
}

#[derive(Deserialize)]
struct NewMessage {
    #[serde(default)]
    to: Vec<String>,
    #[serde(default, alias = "content")]
    text: String,
    #[serde(default)]
    in_reply_to: Option<String>,
}

async fn send(
    State(state): State<AppState>,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<Response> {
    state.limits.check(crate::web::rate::Bucket::Posts, from)?;
    let draft = Draft {
        text: body.text,
        visibility: "direct".into(),
        in_reply_to: body.in_reply_to,
        to: body.to,
        ..Draft::default()
    };
    let author = user.account.local_actor();
    let post = service::create(&state, &user.account, &author, &draft).await?;
    let mut out = to_json(&state, vec![post], Some(&user.account)).await?;
    Ok((StatusCode::CREATED, Json(out.remove(0))).into_response())
}
