//! The administrators' members page, `/admin/members`: each member's address (confirmed or
//! not), role and two-factor sign-in, with "mark the address confirmed" and "reset two-factor
//! sign-in" (behind a confirmation). `members.rs` holds what they do.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::members::{self, Row};
use crate::accounts::session::Admin;
use crate::error::Result;
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, render, PageCtx};

const PER_PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(members_page))
        .route(
            "/admin/members/{handle}/email-verified",
            post(mark_verified),
        )
        .route("/admin/members/{handle}/totp/reset", post(reset_totp))
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct MembersPage {
    ctx: PageCtx,
    members: Vec<Row>,
    page: i64,
    has_more: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn members_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let mut rows = members::list(&state, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let has_more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    render(&MembersPage {
        ctx,
        members: rows,
        page,
        has_more,
    })
}

async fn mark_verified(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
) -> Result<Response> {
    let notice = if members::mark_verified(&state, &admin.account, &handle).await? {
        format!("The address of @{handle} is now confirmed.")
    } else {
        format!("The address of @{handle} was confirmed already.")
    };
    Ok(redirect_with_notice("/admin/members", &notice))
}

async fn reset_totp(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
) -> Result<Response> {
    let notice = if members::reset_two_factor(&state, &admin.account, &handle).await? {
        format!(
            "Two-factor sign-in of @{handle} is off: they sign in with their password and can turn it on again."
        )
    } else {
        format!("@{handle} did not use two-factor sign-in; nothing changed.")
    };
    Ok(redirect_with_notice("/admin/members", &notice))
}
