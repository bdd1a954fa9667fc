//! The notifications page: what happened, by whom (name and picture, local or remote, as posts
//! show people), newest first. Opening the page reads what it shows: those notifications are
//! marked read, so the badge in the header clears, and the ones that were new stay highlighted on
//! this view. It lives in the hub because it shows the people of every feature's notifications.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::accounts::session::User;
use crate::error::Result;
use crate::notifications::store::{self, Notification};
use crate::posts::people::{people, Person};
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, render, PageCtx};

/// How many notifications the page shows.
const PAGE_SIZE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read", post(read))
}

/// A notification with the person who caused it.
struct Item {
    n: Notification,
    who: Option<Person>,
}

impl Item {
    /// The name to show: the person's, else what the notification stored.
    fn name(&self) -> &str {
        match &self.who {
            Some(p) if p.name != p.uri => &p.name,
            _ => &self.n.actor_name,
        }
    }
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<Item>,
    /// How many of `items` were unread before this view read them.
    new: usize,
}

async fn page(
    State(state): State<AppState>,
    mut ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    let id = user.account.id;
    let list = crate::notifications::listed(&state, id, PAGE_SIZE, 0).await?;
    if let Some(last) = list.first() {
        store::mark_read_up_to(&state.db, id, last.id).await?;
        ctx.unread = crate::notifications::unread(&state, id).await?;
    }
    let uris: Vec<String> = list
        .iter()
        .filter(|n| !n.actor.is_empty())
        .map(|n| n.actor.clone())
        .collect();
    let who: HashMap<String, Person> = people(&state, uris).await?;
    let new = list.iter().filter(|n| !n.read).count();
    let items = list
        .into_iter()
        .map(|n| Item {
            who: who.get(&n.actor).cloned(),
            n,
        })
        .collect();
    render(&ListPage { ctx, items, new })
}

async fn read(State(state): State<AppState>, User(user): User) -> Result<Response> {
    store::mark_all_read(&state.db, user.account.id).await?;
    Ok(redirect_with_notice(
        "/notifications",
        "All notifications marked read.",
    ))
}
