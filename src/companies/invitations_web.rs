//! Answering a company's invitation: the invited member accepts (and lands on the company's
//! profile) or declines.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use super::{service, store};
use crate::accounts::session::User;
use crate::error::Result;
use crate::state::AppState;
use crate::web::page::redirect_with_notice;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations/{id}/accept", post(accept_invitation))
        .route("/invitations/{id}/decline", post(decline_invitation))
}

async fn accept_invitation(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response> {
    let handle = service::answer_invite(&state.db, id, &user.account, true).await?;
    let name = store::by_handle(&state.db, &handle)
        .await?
        .map(|c| c.name)
        .unwrap_or_else(|| handle.clone());
    Ok(redirect_with_notice(
        &format!("/companies/{handle}"),
        &format!("Welcome to {name}! You are now a member."),
    ))
}

async fn decline_invitation(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response> {
    service::answer_invite(&state.db, id, &user.account, false).await?;
    Ok(redirect_with_notice("/", "The invitation is declined."))
}
