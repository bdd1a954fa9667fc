//! The Network page: follow people, companies and spaces anywhere by handle, see who you
//! follow and who follows you, and answer follow requests.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::follows;
use super::network_api::{entries, FollowEntry};
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::federation::follows as follow_store;
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network", get(page))
        .route("/network/follow", post(follow))
        .route("/network/unfollow", post(unfollow))
        .route("/network/requests", post(answer))
}

#[derive(Template)]
#[template(path = "federation/network.html")]
struct NetworkPage {
    ctx: PageCtx,
    my_handle: String,
    target: String,
    following: Vec<FollowEntry>,
    followers: Vec<FollowEntry>,
    errors: FieldErrors,
}

async fn build(
    state: &AppState,
    ctx: PageCtx,
    account: &crate::accounts::Account,
    target: String,
    errors: FieldErrors,
) -> Result<NetworkPage> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&account.handle);
    let following = follow_store::list(&state.db, &me, false, None, 200, 0).await?;
    let followers = follow_store::list(&state.db, &me, true, None, 200, 0).await?;
    Ok(NetworkPage {
        my_handle: format!("@{}@{}", account.handle, urls.domain()),
        following: entries(state, following, false).await?,
        followers: entries(state, followers, true).await?,
        ctx,
        target,
        errors,
    })
}

async fn page(State(state): State<AppState>, ctx: PageCtx, User(user): User) -> Result<Response> {
    render(
        &build(
            &state,
            ctx,
            &user.account,
            String::new(),
            FieldErrors::new(),
        )
        .await?,
    )
}

#[derive(Deserialize)]
struct TargetForm {
    #[serde(default)]
    target: String,
    /// The page to come back to (a profile's Follow button), else the network page.
    #[serde(default)]
    next: Option<String>,
}

impl TargetForm {
    fn back(&self) -> String {
        match self.next.as_deref() {
            Some(n) if !n.is_empty() => crate::web::page::safe_next(Some(n)),
            _ => "/network".to_string(),
        }
    }
}

async fn follow(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<TargetForm>,
) -> Result<Response> {
    crate::moderation::blocks::ensure_may_follow(&state, &user.account, &form.target).await?;
    match follows::follow(&state, &user.account, &form.target).await {
        Ok(f) => {
            let notice = if f.state == "accepted" {
                format!("You now follow {}.", f.handle)
            } else {
                format!("Follow request sent to {}.", f.handle)
            };
            Ok(redirect_with_notice(&form.back(), &notice))
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&state, ctx, &user.account, form.target, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

async fn unfollow(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<TargetForm>,
) -> Result<Response> {
    follows::unfollow(&state, &user.account, form.target.trim()).await?;
    Ok(redirect_with_notice(&form.back(), "Unfollowed."))
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    follower: String,
    #[serde(default)]
    accept: Option<String>,
}

async fn answer(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<AnswerForm>,
) -> Result<Response> {
    let accept = form.accept.is_some();
    follows::answer_request(
        &state,
        &user.account.local_actor(),
        form.follower.trim(),
        accept,
    )
    .await?;
    Ok(redirect_with_notice(
        "/network",
        if accept {
            "Follow request approved."
        } else {
            "Follow request declined."
        },
    ))
}
