//! The moderators' pages: the queue (`/admin/reports`), one report with its actions
//! (`/admin/reports/{id}`), and the audit log (`/admin/audit`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{Actor, AuditEntry, Report, ReportState};
use super::{api, queue, store};
use crate::accounts::session::Moderator;
use crate::error::{Error, Result};
use crate::hub::moderation::{self as actions, Action};
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(queue_page))
        .route("/admin/reports/{id}", get(report_page))
        .route("/admin/reports/{id}/assign", post(assign))
        .route("/admin/reports/{id}/resolve", post(resolve))
        .route("/admin/reports/{id}/reopen", post(reopen))
        .route("/admin/reports/{id}/action", post(act))
        .route("/admin/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "moderation/queue.html")]
struct QueuePage {
    ctx: PageCtx,
    reports: Vec<Report>,
    filter: String,
}

#[derive(Deserialize, Default)]
struct StateQuery {
    #[serde(default)]
    state: String,
}

async fn queue_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Moderator(_): Moderator,
    Query(q): Query<StateQuery>,
) -> Result<Response> {
    let filter = match q.state.as_str() {
        "all" => "all",
        "resolved" => "resolved",
        _ => "open",
    };
    let wanted = (filter != "all").then_some(filter);
    let reports = store::reports(&state.db, wanted, 200, 0).await?;
    render(&QueuePage {
        ctx,
        reports,
        filter: filter.to_string(),
    })
}

#[derive(Template)]
#[template(path = "moderation/report_show.html")]
struct ReportShow {
    ctx: PageCtx,
    report: Report,
    audit: Vec<AuditEntry>,
    actions: Vec<(&'static str, &'static str)>,
}

async fn report_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Moderator(_): Moderator,
    Path(id): Path<i64>,
) -> Result<Response> {
    let report = queue::get(&state.db, id).await?;
    let audit = store::audit(&state.db, Some(id), 200, 0).await?;
    render(&ReportShow {
        ctx,
        report,
        audit,
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
    })
}

#[derive(Deserialize, Default)]
struct AssignForm {
    #[serde(default)]
    to: String,
}

async fn assign(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response> {
    let to = api::assignee(&state, &me.account, Some(&form.to)).await?;
    queue::assign(
        &state.db,
        &Actor::of(&me.account),
        id,
        to.as_ref().map(|a| (a.id, a.handle.as_str())),
    )
    .await?;
    let notice = match to {
        Some(a) => format!("Report #{id} is assigned to @{}.", a.handle),
        None => format!("Report #{id} is unassigned."),
    };
    Ok(redirect_with_notice(
        &format!("/admin/reports/{id}"),
        &notice,
    ))
}

#[derive(Deserialize, Default)]
struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn resolve(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    queue::resolve(&state.db, &Actor::of(&me.account), id, &form.note).await?;
    Ok(redirect_with_notice(
        "/admin/reports",
        &format!("Report #{id} is resolved."),
    ))
}

async fn reopen(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    queue::reopen(&state.db, &Actor::of(&me.account), id, &form.note).await?;
    Ok(redirect_with_notice(
        &format!("/admin/reports/{id}"),
        &format!("Report #{id} is open again."),
    ))
}

#[derive(Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

async fn act(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response> {
    let action = Action::parse(&form.action).map_err(|m| Error::invalid("action", m))?;
    if form.confirm != "on" {
        return Err(Error::invalid(
            "confirm",
            "must be ticked: moderation actions take effect at once",
        ));
    }
    let outcome = actions::act(&state, &me.account, id, action, &form.reason).await?;
    Ok(redirect_with_notice(
        &format!("/admin/reports/{id}"),
        &outcome.done,
    ))
}

#[derive(Template)]
#[template(path = "moderation/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<AuditEntry>,
}

async fn audit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Moderator(_): Moderator,
) -> Result<Response> {
    let entries = store::audit(&state.db, None, 500, 0).await?;
    render(&AuditPage { ctx, entries })
}

impl ReportShow {
    fn is_open(&self) -> bool {
        self.report.state == ReportState::Open
    }
}
