//! JSON API for posts: write, edit, delete, read one (by token or URI), replies to any object,
//! the home timeline, the space's feed and tag timelines.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::access::Viewer;
use super::inbound::Reaction;
use super::model::Post;
use super::people::Person;
use super::reactions;
use super::service::{self, Draft};
use super::store;
use super::web::{present, PostView};
use crate::accounts::session::{MaybeUser, User};
use crate::accounts::Account;
use crate::api::ApiJson;
use crate::error::Result;
use crate::federation::urls::Urls;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts", get(by_uri).post(create))
        .route("/posts/{token}", get(one).patch(edit).delete(delete))
        .route("/replies", get(replies))
        .route("/timelines/home", get(home))
        .route("/timelines/space", get(space))
        .route("/tags/{tag}", get(tag))
        .route("/timelines/actor", get(actor_timeline))
        .route("/likes", post(like).delete(unlike))
        .route("/boosts", post(boost).delete(unboost))
}

/// A post as the API shows it.
#[derive(Serialize)]
pub struct PostJson {
    #[serde(flatten)]
    pub post: Post,
    pub author_info: Person,
    /// The local page that shows it.
    pub link: String,
    pub can_edit: bool,
    /// Whether the caller liked it, and boosted it.
    pub liked: bool,
    pub boosted: bool,
    /// Who brought it into this timeline by boosting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boosted_by: Option<Person>,
    /// Its pictures: `url` (here, or at the origin of a received post), `description` (the
    /// alt text), `width`, `height`.
    pub media: Vec<Value>,
}

impl From<PostView> for PostJson {
    fn from(v: PostView) -> Self {
        PostJson {
            post: v.post,
            author_info: v.author,
            link: v.link,
            can_edit: v.can_edit,
            liked: v.liked,
            boosted: v.boosted,
            boosted_by: v.boosted_by,
            media: v
                .media
                .iter()
                .map(|m| {
                    json!({"url": m.src, "description": m.alt, "width": m.width, "height": m.height})
                })
                .collect(),
        }
    }
}

pub async fn to_json(
    state: &AppState,
    posts: Vec<Post>,
    me: Option<&Account>,
) -> Result<Vec<PostJson>> {
    Ok(views_json(present(state, posts, me).await?))
}

pub fn views_json(views: Vec<PostView>) -> Vec<PostJson> {
    views.into_iter().map(PostJson::from).collect()
}

async fn create(
    State(state): State<AppState>,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    ApiJson(draft): ApiJson<Draft>,
) -> Result<Response> {
    state.limits.check(crate::web::rate::Bucket::Posts, from)?;
    let author = service::author_for(&state, &user.account, &draft.as_actor).await?;
    let post = service::create(&state, &user.account, &author, &draft).await?;
    let mut out = to_json(&state, vec![post], Some(&user.account)).await?;
    Ok((StatusCode::CREATED, Json(out.remove(0))).into_response())
}

async fn readable(state: &AppState, uri: &str, me: Option<&Account>) -> Result<Post> {
    super::access::readable(state, uri, &Viewer::from(me.cloned())).await
}

async fn one(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> Result<Json<PostJson>> {
    let me = user.map(|u| u.account);
    let post = readable(&state, &Urls::new(&state.config).post(&token), me.as_ref()).await?;
    Ok(Json(
        to_json(&state, vec![post], me.as_ref()).await?.remove(0),
    ))
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

async fn by_uri(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Json<PostJson>> {
    let me = user.map(|u| u.account);
    let post = readable(&state, q.uri.trim(), me.as_ref()).await?;
    Ok(Json(
        to_json(&state, vec![post], me.as_ref()).await?.remove(0),
    ))
}

async fn edit(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
    ApiJson(draft): ApiJson<Draft>,
) -> Result<Json<PostJson>> {
    let post = service::edit(
        &state,
        &user.account,
        &Urls::new(&state.config).post(&token),
        &draft,
    )
    .await?;
    Ok(Json(
        to_json(&state, vec![post], Some(&user.account))
            .await?
            .remove(0),
    ))
}

async fn delete(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<StatusCode> {
    service::delete(
        &state,
        &user.account,
        &Urls::new(&state.config).post(&token),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The replies to any object (a post, an event, a task…) that the caller may read.
async fn replies(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let viewer = me.clone().map(Viewer::Member).unwrap_or(Viewer::Anonymous);
    let visible = super::web::visible_replies(&state, q.uri.trim(), me.as_ref(), &viewer).await?;
    Ok(Json(
        json!({ "items": to_json(&state, visible, me.as_ref()).await? }),
    ))
}

#[derive(Deserialize, Default)]
struct Before {
    #[serde(default)]
    before: i64,
    #[serde(default)]
    limit: Option<i64>,
}

impl Before {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(30).clamp(1, 100)
    }
}

async fn home(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<Before>,
) -> Result<Json<Value>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    let mut posts = store::home(&state.db, &me, q.limit(), q.before).await?;
    let hidden =
        crate::moderation::blocks::hidden_for_viewer(&state, Some(&user.account), false).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    let mut views = present(&state, posts, Some(&user.account)).await?;
    super::web::mark_boosts(
        &state,
        &mut views,
        &super::web::home_boosters(&state, &me).await?,
    )
    .await?;
    Ok(Json(json!({ "items": views_json(views) })))
}

async fn space(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<Before>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let mut posts = store::space_feed(&state.db, me.is_some(), q.limit(), q.before).await?;
    let hidden = crate::moderation::blocks::hidden_for_viewer(&state, me.as_ref(), true).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    Ok(Json(
        json!({ "items": to_json(&state, posts, me.as_ref()).await? }),
    ))
}

async fn tag(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(tag): Path<String>,
    Query(q): Query<Before>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let tag = tag.trim_start_matches('#').to_lowercase();
    let mut posts = store::by_tag(&state.db, &tag, q.limit(), q.before).await?;
    let hidden = crate::moderation::blocks::hidden_for_viewer(&state, me.as_ref(), true).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    Ok(Json(
        json!({ "items": to_json(&state, posts, me.as_ref()).await? }),
    ))
}

#[derive(Deserialize, Default)]
struct ActorQuery {
    #[serde(default)]
    uri: String,
    #[serde(default)]
    before: i64,
    #[serde(default)]
    limit: Option<i64>,
}

/// An actor's (local or remote) top-level posts and the public posts it boosted, as far as the
/// caller may read them: followers-only ones for its followers, members-only ones for members.
async fn actor_timeline(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ActorQuery>,
) -> Result<Json<Value>> {
    let me = user.map(|u| u.account);
    let uri = q.uri.trim();
    if uri.is_empty() {
        return Err(crate::error::Error::invalid("uri", "is required"));
    }
    let paging = Before {
        before: q.before,
        limit: q.limit,
    };
    let views =
        super::profile::actor_posts(&state, uri, me.as_ref(), paging.limit(), q.before).await?;
    Ok(Json(json!({ "items": views_json(views) })))
}

#[derive(Deserialize)]
struct UriBody {
    #[serde(default)]
    uri: String,
}

async fn react(
    state: &AppState,
    account: &Account,
    uri: &str,
    reaction: Reaction,
    on: bool,
) -> Result<Json<PostJson>> {
    let post = reactions::set(state, account, uri, reaction, on).await?;
    Ok(Json(
        to_json(state, vec![post], Some(account)).await?.remove(0),
    ))
}

async fn like(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<UriBody>,
) -> Result<Json<PostJson>> {
    react(&state, &user.account, &body.uri, Reaction::Like, true).await
}

async fn unlike(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<UriQuery>,
) -> Result<Json<PostJson>> {
    react(&state, &user.account, &q.uri, Reaction::Like, false).await
}

async fn boost(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<UriBody>,
) -> Result<Json<PostJson>> {
    react(&state, &user.account, &body.uri, Reaction::Announce, true).await
}

async fn unboost(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<UriQuery>,
) -> Result<Json<PostJson>> {
    react(&state, &user.account, &q.uri, Reaction::Announce, false).await
}
