//! The administrators' members page, `/admin/members`: each member's address (confirmed or
//! not), role and two-factor sign-in, with "mark the address confirmed" and "reset two-factor
//! sign-in" (behind a confirmation), and a choice of role (taking an administrator's role away
//! behind a confirmation). `members.rs` holds what they do.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::members::{self, Role, Row};
use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::moderation::model::Actor;
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
        .route("/admin/members/{handle}/role", post(set_role))
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

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

/// The role form: back to the list with what changed, or with why nothing did (an unknown
/// role; the last administrator).
async fn set_role(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(handle): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response> {
    let outcome = match Role::parse(&form.role) {
        Ok(role) => members::set_role(&state.db, &Actor::of(&admin.account), &handle, role).await,
        Err(e) => Err(e),
    };
    let notice = match outcome {
        Ok(done) => done,
        Err(Error::Conflict(why)) => format!("Nothing changed: {why}"),
        Err(Error::Invalid(_)) => {
            "Nothing changed: choose member, moderator or administrator.".into()
        }
        Err(e) => return Err(e),
    };
    Ok(redirect_with_notice("/admin/members", &notice))
}
