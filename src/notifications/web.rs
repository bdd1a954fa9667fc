//! The notifications page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::store::{self, Notification};
use crate::accounts::session::User;
use crate::error::Result;
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read", post(read))
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<Notification>,
    unread: i64,
}

async fn page(State(state): State<AppState>, ctx: PageCtx, User(user): User) -> Result<Response> {
    let id = user.account.id;
    render(&ListPage {
        items: store::list(&state.db, id, 100, 0).await?,
        unread: store::unread_count(&state.db, id).await?,
        ctx,
    })
}

async fn read(State(state): State<AppState>, User(user): User) -> Result<Response> {
    store::mark_all_read(&state.db, user.account.id).await?;
    Ok(redirect_with_notice(
        "/notifications",
        "All notifications marked read.",
    ))
}
