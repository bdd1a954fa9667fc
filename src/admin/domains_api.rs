//! JSON API for domain rules and the federation mode, for administrators:
//! `/api/v1/admin/domains` and `/api/v1/admin/federation`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::accounts::session::Admin;
use crate::api::{ApiJson, Paging};
use crate::error::{Error, Result};
use crate::federation::policy::{self, FederationMode, RuleForm};
use crate::hub;
use crate::state::AppState;
use crate::validate::FieldErrors;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/domains", get(list_rules).post(add_rule))
        .route("/admin/domains/{domain}", delete(remove_rule))
        .route("/admin/federation", get(get_mode).put(put_mode))
        .route("/admin/domains/export", get(export_csv))
        .route("/admin/domains/import", post(import_csv))
}

async fn list_rules(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>> {
    let rules = policy::list(&state.db).await?;
    let total = rules.len();
    let items: Vec<_> = rules
        .into_iter()
        .skip(paging.offset() as usize)
        .take(paging.limit() as usize)
        .collect();
    Ok(Json(json!({ "total": total, "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRule {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    reason: String,
}

async fn add_rule(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(body): ApiJson<NewRule>,
) -> Result<Response> {
    let form = RuleForm {
        domain: body.domain,
        policy: body.policy,
        reason: body.reason,
    };
    let rule = form.validate(&state.config.domain)?;
    let outcome = hub::blocks::set_rule(&state.db, &rule.domain, rule.policy, &rule.reason).await?;
    let mut v = serde_json::to_value(&outcome.rule).map_err(anyhow::Error::from)?;
    v["replaced"] = json!(outcome.replaced);
    v["effects"] = serde_json::to_value(outcome.effects).map_err(anyhow::Error::from)?;
    let status = if outcome.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(v)).into_response())
}

async fn remove_rule(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<StatusCode> {
    if policy::remove(&state.db, &domain).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

async fn mode_body(state: &AppState) -> Result<Json<Value>> {
    let mode = policy::federation_mode(&state.db).await?;
    let allowed = policy::allowed_count(&state.db).await?;
    Ok(Json(json!({
        "mode": mode,
        "allowed_domains": allowed,
        "explanation": mode.explain(allowed),
    })))
}

async fn get_mode(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Value>> {
    mode_body(&state).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    #[serde(default)]
    mode: String,
}

async fn put_mode(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(body): ApiJson<ModeBody>,
) -> Result<Json<Value>> {
    let mut errors = FieldErrors::new();
    let mode = errors.check("mode", FederationMode::parse(&body.mode));
    errors.into_result()?;
    if let Some(mode) = mode {
        policy::set_federation_mode(&state.db, mode).await?;
    }
    mode_body(&state).await
}

/// `GET /api/v1/admin/domains/export`: Mastodon's domain-block CSV.
async fn export_csv(State(state): State<AppState>, Admin(_): Admin) -> Result<Response> {
    let body = super::domains_csv::export(&state.db).await?;
    Ok(super::domains_web::csv_download(body))
}

/// `POST /api/v1/admin/domains/import` with the CSV as the body: all rows or none.
async fn import_csv(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: String,
) -> Result<Json<Value>> {
    let done = super::domains_csv::import(
        &state.db,
        &state.config.domain,
        &crate::moderation::model::Actor::of(&admin.account),
        &body,
    )
    .await?;
    Ok(Json(json!(done)))
}
