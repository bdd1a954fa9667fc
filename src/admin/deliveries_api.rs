//! JSON API for the delivery queue, for administrators: `GET /api/v1/admin/deliveries` (totals
//! and per-host state) and `POST /api/v1/admin/deliveries/{host}/retry`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::federation::delivery;
use crate::state::AppState;

/// Hosts listed in one answer.
const HOSTS_LISTED: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/deliveries", get(overview))
        .route("/admin/deliveries/{host}/retry", post(retry_host))
}

async fn overview(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Value>> {
    let (totals, hosts) = delivery::overview(&state, HOSTS_LISTED).await?;
    Ok(Json(json!({ "totals": totals, "hosts": hosts })))
}

async fn retry_host(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(host): Path<String>,
) -> Result<Json<Value>> {
    let queued = delivery::retry_host(&state, &host)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(json!({ "host": host, "queued": queued })))
}
