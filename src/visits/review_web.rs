//! The administrators' page of visits to review (`/admin/visits`): requests from spaces whose
//! visits staff review, each with Accept and Reject (with a reason, after a confirmation), and
//! the requests answered lately.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{VisitRequest, VisitState};
use super::{api, review, store};
use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, render, PageCtx};

const BACK: &str = "/admin/visits";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/visits", get(page))
        .route("/admin/visits/{id}/accept", post(accept))
        .route("/admin/visits/{id}/reject", post(reject))
}

#[derive(Template)]
#[template(path = "visits/review.html")]
struct ReviewPage {
    ctx: PageCtx,
    filter: String,
    items: Vec<(VisitRequest, String)>,
}

impl ReviewPage {
    fn pending(&self) -> bool {
        self.filter == "pending"
    }
}

#[derive(Deserialize, Default)]
struct FilterQuery {
    #[serde(default)]
    state: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Query(q): Query<FilterQuery>,
) -> Result<Response> {
    let filter = api::parse_filter(q.state.as_deref()).unwrap_or(Some(VisitState::Pending));
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let items = store::requests(&state.db, filter, 500)
        .await?
        .into_iter()
        .map(|r| {
            let when = crate::events::times::span(r.starts_at, r.ends_at, &tz);
            (r, when)
        })
        .collect();
    render(&ReviewPage {
        ctx,
        filter: filter.map(|f| f.as_str()).unwrap_or("all").to_string(),
        items,
    })
}

async fn accept(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    match review::accept(&state, id).await {
        Ok(q) => Ok(redirect_with_notice(
            BACK,
            &format!(
                "Accepted: {} booked {}; their space is told.",
                q.who(),
                q.resource_name
            ),
        )),
        Err(Error::Conflict(m)) => Ok(redirect_with_notice(BACK, &m)),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    Form(f): Form<RejectForm>,
) -> Result<Response> {
    match review::reject(&state, id, &f.reason).await {
        Ok(q) => Ok(redirect_with_notice(
            BACK,
            &format!("Rejected the request of {}; their space is told.", q.who()),
        )),
        Err(Error::Conflict(m)) => Ok(redirect_with_notice(BACK, &m)),
        Err(e) => Err(e),
    }
}
