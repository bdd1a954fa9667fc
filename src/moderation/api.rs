//! JSON API of moderation: a member's `/api/v1/blocks`, `/api/v1/mutes`,
//! `/api/v1/domain_blocks` and `/api/v1/reports`; the moderators' `/api/v1/admin/reports`
//! and `/api/v1/admin/audit`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::blocks::{self, Target};
use super::model::{Actor, BlockKind, ReportState};
use super::reports::ReportForm;
use super::{queue, store};
use crate::accounts::session::{Moderator, User};
use crate::accounts::{self};
use crate::api::{ApiJson, Paging};
use crate::error::{Error, Result};
use crate::hub::moderation::{self as actions, Action};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::rate::Bucket;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/blocks",
            get(list_blocks).post(add_block).delete(remove_block),
        )
        .route("/mutes", get(list_mutes).post(add_mute).delete(remove_mute))
        .route(
            "/domain_blocks",
            get(list_domains).post(add_domain).delete(remove_domain),
        )
        .route("/reports", post(file_report))
        .route("/admin/reports", get(list_reports))
        .route("/admin/reports/{id}", get(get_report))
        .route("/admin/reports/{id}/assign", post(assign_report))
        .route("/admin/reports/{id}/resolve", post(resolve_report))
        .route("/admin/reports/{id}/reopen", post(reopen_report))
        .route("/admin/reports/{id}/actions", post(act_on_report))
        .route("/admin/audit", get(audit_log))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetBody {
    #[serde(default)]
    target: String,
}

#[derive(Deserialize)]
struct TargetQuery {
    #[serde(default)]
    target: String,
}

fn target_json(t: &Target, new: bool) -> Value {
    json!({ "target": t.uri, "handle": t.handle, "local": t.local, "created": new })
}

fn created(new: bool) -> StatusCode {
    if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn listed(state: &AppState, user: &User, kind: BlockKind) -> Result<Json<Value>> {
    let items = blocks::list(state, &user.0.account, kind).await?;
    Ok(Json(json!({ "items": items })))
}

async fn list_blocks(State(state): State<AppState>, user: User) -> Result<Json<Value>> {
    listed(&state, &user, BlockKind::Block).await
}

async fn list_mutes(State(state): State<AppState>, user: User) -> Result<Json<Value>> {
    listed(&state, &user, BlockKind::Mute).await
}

async fn list_domains(State(state): State<AppState>, user: User) -> Result<Json<Value>> {
    listed(&state, &user, BlockKind::Domain).await
}

async fn add_block(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<TargetBody>,
) -> Result<Response> {
    let (target, new) =
        crate::hub::member_blocks::block(&state, &user.account, &body.target).await?;
    Ok((created(new), Json(target_json(&target, new))).into_response())
}

async fn add_mute(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<TargetBody>,
) -> Result<Response> {
    let (target, new) = blocks::mute(&state, &user.account, &body.target).await?;
    Ok((created(new), Json(target_json(&target, new))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainBody {
    #[serde(default)]
    domain: String,
}

#[derive(Deserialize)]
struct DomainQuery {
    #[serde(default)]
    domain: String,
}

async fn add_domain(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<DomainBody>,
) -> Result<Response> {
    let (domain, new) = blocks::hide_domain(&state, &user.account, &body.domain).await?;
    Ok((
        created(new),
        Json(json!({ "domain": domain, "created": new })),
    )
        .into_response())
}

async fn remove_block(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<TargetQuery>,
) -> Result<StatusCode> {
    crate::hub::member_blocks::unblock(&state, &user.account, &q.target).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_mute(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<TargetQuery>,
) -> Result<StatusCode> {
    blocks::undo(&state, &user.account, BlockKind::Mute, &q.target).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_domain(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<DomainQuery>,
) -> Result<StatusCode> {
    blocks::undo(&state, &user.account, BlockKind::Domain, &q.domain).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- reports ---------------------------------------------------------------------------------

async fn file_report(
    State(state): State<AppState>,
    User(user): User,
    ClientIp(from): ClientIp,
    ApiJson(form): ApiJson<ReportForm>,
) -> Result<Response> {
    state.limits.check(Bucket::Reports, from)?;
    let id = crate::hub::flags::report(&state, &user.account, &form).await?;
    let report = queue::get(&state.db, id).await?;
    Ok((StatusCode::CREATED, Json(json!(report))).into_response())
}

#[derive(Deserialize)]
struct ReportsQuery {
    #[serde(default)]
    state: String,
    #[serde(flatten)]
    paging: Paging,
}

async fn list_reports(
    State(state): State<AppState>,
    Moderator(_): Moderator,
    Query(q): Query<ReportsQuery>,
) -> Result<Json<Value>> {
    let filter = match q.state.as_str() {
        "" | "all" => None,
        s => Some(
            ReportState::parse(s)
                .map_err(|m| Error::invalid("state", m))?
                .as_str(),
        ),
    };
    let items = store::reports(&state.db, filter, q.paging.limit(), q.paging.offset()).await?;
    Ok(Json(json!({ "items": items })))
}

async fn get_report(
    State(state): State<AppState>,
    Moderator(_): Moderator,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    let report = queue::get(&state.db, id).await?;
    let audit = store::audit(&state.db, Some(id), 200, 0).await?;
    let mut v = json!(report);
    v["audit"] = json!(audit);
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    /// A moderator's handle; empty or absent unassigns. `"me"` is the caller.
    #[serde(default)]
    to: Option<String>,
}

async fn assign_report(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<Value>> {
    let to = assignee(&state, &me.account, body.to.as_deref()).await?;
    let report = queue::assign(
        &state.db,
        &Actor::of(&me.account),
        id,
        to.as_ref().map(|a| (a.id, a.handle.as_str())),
    )
    .await?;
    Ok(Json(json!(report)))
}

/// The moderator a report is given to: `me`, a handle, or nobody.
pub async fn assignee(
    state: &AppState,
    me: &accounts::Account,
    to: Option<&str>,
) -> Result<Option<accounts::Account>> {
    let to = to.map(str::trim).unwrap_or("");
    if to.is_empty() {
        return Ok(None);
    }
    if to == "me" {
        return Ok(Some(me.clone()));
    }
    let account = accounts::store::by_handle(&state.db, to.trim_start_matches('@'))
        .await?
        .filter(|a| a.can_moderate() && !a.suspended)
        .ok_or_else(|| Error::invalid("to", "is not a moderator of this space"))?;
    Ok(Some(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    #[serde(default)]
    note: String,
}

async fn resolve_report(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Value>> {
    let report = queue::resolve(&state.db, &Actor::of(&me.account), id, &body.note).await?;
    Ok(Json(json!(report)))
}

async fn reopen_report(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Value>> {
    let report = queue::reopen(&state.db, &Actor::of(&me.account), id, &body.note).await?;
    Ok(Json(json!(report)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

async fn act_on_report(
    State(state): State<AppState>,
    Moderator(me): Moderator,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<Value>> {
    let action = Action::parse(&body.action).map_err(|m| Error::invalid("action", m))?;
    let outcome = actions::act(&state, &me.account, id, action, &body.reason).await?;
    Ok(Json(json!(outcome)))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    report: Option<i64>,
    #[serde(flatten)]
    paging: Paging,
}

async fn audit_log(
    State(state): State<AppState>,
    Moderator(_): Moderator,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>> {
    let items = store::audit(&state.db, q.report, q.paging.limit(), q.paging.offset()).await?;
    Ok(Json(json!({ "items": items })))
}
