//! The messages pages: conversations with a form to start one, and one conversation with a
//! form to answer.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::Conversation;
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::posts::service::{self, Draft};
use crate::posts::store;
use crate::posts::web::{present, PostView};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", get(list).post(send))
        .route("/messages/thread", get(thread))
}

#[derive(Template)]
#[template(path = "messages/list.html")]
struct ListPage {
    ctx: PageCtx,
    conversations: Vec<Conversation>,
    to: String,
    text: String,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    account: &Account,
    to: String,
    text: String,
    errors: FieldErrors,
) -> Result<Response> {
    let me = Urls::new(&state.config).member(&account.handle);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ListPage {
            conversations: super::list(state, &me, account.id, 100).await?,
            ctx,
            to,
            text,
            errors,
        },
    )
}

#[derive(Deserialize, Default)]
struct ListQuery {
    /// Who a new message goes to (a profile's Message button).
    #[serde(default)]
    to: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response> {
    let to: String = q.to.trim().chars().take(300).collect();
    list_page(
        &state,
        ctx,
        &user.account,
        to,
        String::new(),
        FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
struct SendForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    in_reply_to: Option<String>,
}

/// Sends a message: a new conversation (`to`), or an answer in one (`in_reply_to`).
async fn send(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    Form(form): Form<SendForm>,
) -> Result<Response> {
    state.limits.check(crate::web::rate::Bucket::Posts, from)?;
    let draft = Draft {
        text: form.text.clone(),
        visibility: "direct".into(),
        in_reply_to: form.in_reply_to.clone().filter(|s| !s.trim().is_empty()),
        to: form
            .to
            .split([',', ' ', '\n'])
            .map(str::to_string)
            .collect(),
        ..Draft::default()
    };
    let author = user.account.local_actor();
    match service::create(&state, &user.account, &author, &draft).await {
        Ok(post) => Ok(redirect_with_notice(
            &super::link(&post.conversation),
            "Message sent.",
        )),
        Err(Error::Invalid(errors)) => {
            list_page(&state, ctx, &user.account, form.to, form.text, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ThreadQuery {
    #[serde(default)]
    c: String,
}

#[derive(Template)]
#[template(path = "messages/thread.html")]
struct ThreadPage {
    ctx: PageCtx,
    messages: Vec<PostView>,
    reply_to: String,
    errors: FieldErrors,
}

async fn thread(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Query(q): Query<ThreadQuery>,
) -> Result<Response> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    let posts = store::conversation(&state.db, q.c.trim(), &me, 500).await?;
    let posts = super::without_blocked(&state, user.account.id, posts).await?;
    // Someone else's conversation looks like no conversation at all.
    let last = posts.last().map(|p| p.uri.clone()).ok_or(Error::NotFound)?;
    render(&ThreadPage {
        messages: present(&state, posts, Some(&user.account)).await?,
        reply_to: last,
        errors: FieldErrors::new(),
        ctx,
    })
}
